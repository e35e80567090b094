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
// and Resume acting on the source.
type pausableFeed struct {
	source.Feed
	ctl *control
}

func (f *pausableFeed) Pause()  { f.ctl.pause() }
func (f *pausableFeed) Resume() { f.ctl.resume() }

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
