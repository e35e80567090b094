package clock

import (
	"context"
	"errors"
	"testing"
	"time"
)

// A cancelled context ends a sleep that would otherwise outlast the test.
func TestSleepStopsWithItsContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := (Wall{}).Sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", err)
	}
	if err := Sleep(context.Background(), 0); err != nil {
		t.Fatalf("a zero sleep: %v", err)
	}
}
