package ui

import (
	"context"
	"io"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
)

// runHeadless runs the whole program without a terminal, keys read from the returned
// writer.
func runHeadless(t *testing.T, ctx context.Context, src *fakeFeed) (io.WriteCloser, chan error) {
	t.Helper()
	in, keys := io.Pipe()
	dark := true
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, Options{Feed: src, Dark: &dark, Now: func() time.Time { return testNow }},
			tea.WithInput(in), tea.WithOutput(io.Discard), tea.WithWindowSize(120, 40))
	}()
	return keys, done
}

func waitRun(t *testing.T, done chan error) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return")
		return nil
	}
}

// q ends Run without an error, and the source is closed on the way out: a Live Tail
// session is billed until it is.
func TestRunClosesTheFeedOnQuit(t *testing.T) {
	src := newFakeFeed()
	keys, done := runHeadless(t, context.Background(), src)
	if _, err := keys.Write([]byte("q")); err != nil {
		t.Fatal(err)
	}
	if err := waitRun(t, done); err != nil {
		t.Fatalf("q: %v", err)
	}
	if !src.closed {
		t.Fatal("the source was left open after q")
	}
}

// A context ended by a signal stops the program and closes the source too, and it is no
// failure: the command tells the exit status from the signal.
func TestRunStopsWithItsContext(t *testing.T) {
	src := newFakeFeed()
	ctx, cancel := context.WithCancel(context.Background())
	_, done := runHeadless(t, ctx, src)
	time.Sleep(50 * time.Millisecond) // let it start: the test holds either way
	cancel()
	if err := waitRun(t, done); err != nil {
		t.Fatalf("a cancelled context is not a failure of the screen: %v", err)
	}
	if !src.closed {
		t.Fatal("the source was left open after the context ended")
	}
}
