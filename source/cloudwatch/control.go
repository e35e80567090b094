package cloudwatch

import (
	"context"
	"sync"
	"time"

	"github.com/flowlens/flowlens/feed"
	"github.com/flowlens/flowlens/source"
)

// control is the explorer's hold on a running source: Pause ends the current phase (and
// with it the Live Tail session, which is billed by the minute) and Resume lets the
// source start a new one, which fills the gap from the history.
type control struct {
	mu      sync.Mutex
	paused  bool
	resumed chan struct{} // closed by Resume
	cancel  context.CancelFunc

	// wake tells the source that a request waits: a filter to push down (once its
	// debounce has passed), or older records to read.
	wake chan struct{}
	// narrowExpr is the latest filter asked for; narrowReady is set when no newer one
	// came within the debounce.
	narrowExpr  string
	narrowReady bool
	narrowTimer *time.Timer
	loads       []time.Time
}

func newControl() *control { return &control{wake: make(chan struct{}, 1)} }

func (c *control) signal() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// requestNarrow asks for expr to be pushed down once no other filter came for delay:
// restarting a Live Tail session on every filter a person tries would cost a session
// start each time, and the history fetched again for each.
func (c *control) requestNarrow(expr string, delay time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.narrowExpr, c.narrowReady = expr, false
	if c.narrowTimer != nil {
		c.narrowTimer.Stop()
	}
	c.narrowTimer = time.AfterFunc(delay, func() {
		c.mu.Lock()
		c.narrowReady = true
		c.mu.Unlock()
		c.signal()
	})
}

// requestLoad asks for the records before t.
func (c *control) requestLoad(t time.Time) {
	c.mu.Lock()
	c.loads = append(c.loads, t)
	c.mu.Unlock()
	c.signal()
}

// take returns the requests that are ready.
func (c *control) take() (expr string, narrow bool, loads []time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.narrowReady {
		expr, narrow = c.narrowExpr, true
		c.narrowReady = false
	}
	loads, c.loads = c.loads, nil
	return expr, narrow, loads
}

// stop ends the debounce timer, when the source ends.
func (c *control) stop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.narrowTimer != nil {
		c.narrowTimer.Stop()
	}
}

func (c *control) pause() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.paused {
		return
	}
	c.paused = true
	c.resumed = make(chan struct{})
	if c.cancel != nil {
		c.cancel()
	}
}

func (c *control) resume() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.paused {
		c.paused = false
		close(c.resumed)
	}
}

// pausableFeed is the Feed the explorer gets: the batches of a source.Writer, with Pause
// and Resume acting on the source, and the explorer's optional requests (Narrow,
// LoadBefore) passed to it.
type pausableFeed struct {
	source.Feed
	ctl *control
	src *Source
	// done is closed when the source's goroutine has ended, its queries stopped.
	done chan struct{}
}

func (f *pausableFeed) Pause()  { f.ctl.pause() }
func (f *pausableFeed) Resume() { f.ctl.resume() }

// closeWait bounds how long Close waits for the source to stop its Insights queries.
const closeWait = 3 * time.Second

// Close stops the source and waits (briefly) until it has ended: a Logs Insights query
// still running is stopped with StopQuery then, and the program may exit right after
// Close returns.
func (f *pausableFeed) Close() {
	f.Feed.Close()
	select {
	case <-f.done:
	case <-time.After(closeWait):
	}
}

// beginPhase waits while the source is paused, then returns a context that Pause
// cancels and the function that ends the phase; ok is false once ctx is done.
func (s *Source) beginPhase(ctx context.Context) (phase context.Context, end func(), ok bool) {
	if s.ctl == nil {
		return ctx, func() {}, ctx.Err() == nil
	}
	for {
		if !s.gate(ctx) {
			return nil, nil, false
		}
		s.ctl.mu.Lock()
		if s.ctl.paused {
			s.ctl.mu.Unlock()
			continue
		}
		phase, cancel := context.WithCancel(ctx)
		s.ctl.cancel = cancel
		s.ctl.mu.Unlock()
		return phase, func() {
			s.ctl.mu.Lock()
			s.ctl.cancel = nil
			s.ctl.mu.Unlock()
			cancel()
		}, true
	}
}

// gate blocks while the source is paused, showing it; false once ctx is done.
func (s *Source) gate(ctx context.Context) bool {
	if s.ctl == nil {
		return ctx.Err() == nil
	}
	s.ctl.mu.Lock()
	paused, resumed := s.ctl.paused, s.ctl.resumed
	s.ctl.mu.Unlock()
	if !paused {
		return ctx.Err() == nil
	}
	prev := s.h.st.State
	s.h.st.State = feed.StatePaused
	s.h.sessionStart = time.Time{}
	_ = s.publish(nil)
	select {
	case <-resumed:
		s.h.st.State = prev
		return true
	case <-ctx.Done():
		return false
	}
}
