// Package clock is the time the AWS sources work by: polling, back-off and look-back
// windows. Tests inject a clock they advance themselves, so those paths are exercised
// without waiting and without asserting wall-clock durations.
package clock

import (
	"context"
	"time"
)

// Clock is the time a source works by.
type Clock interface {
	Now() time.Time
	// Sleep waits for d, or until ctx is done (then it returns ctx.Err()).
	Sleep(ctx context.Context, d time.Duration) error
}

// Wall is the real clock.
type Wall struct{}

func (Wall) Now() time.Time { return time.Now() }

func (Wall) Sleep(ctx context.Context, d time.Duration) error { return Sleep(ctx, d) }

// Sleep waits for d, or until ctx is done (then it returns ctx.Err()), without leaving
// a timer behind.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
