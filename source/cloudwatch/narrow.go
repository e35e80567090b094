package cloudwatch

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/flowlens/flowlens/model/filter"
)

// Narrow pushes the part of the explorer's filter that keeps both directions of every
// conversation down to CloudWatch (ui.Narrower): after a pause for further changes
// (Timing.NarrowDelay), the Live Tail session restarts with the new filter pattern.
// The records already delivered stay. When the new filter may keep records the
// pattern that fetched some window left out, that window is fetched again with the
// new pattern and what the screen already holds is left out.
func (f *pausableFeed) Narrow(expr string) error {
	if _, err := filter.Parse(expr); err != nil {
		return err
	}
	if !f.src.cfg.Follow {
		return errors.New("the history is read once: the filter applies to the records read")
	}
	f.ctl.requestNarrow(expr, f.src.t.NarrowDelay)
	return nil
}

// LoadBefore reads the window before t (the oldest record the screen holds) into the
// running source, without restarting it (ui.HistoryLoader). The records arrive in
// later batches; a window without records is followed by the one before it, up to
// maxOlderWindows of them.
func (f *pausableFeed) LoadBefore(t time.Time) error {
	if !f.src.cfg.Follow {
		return errors.New("the history was read to its end: start again with an earlier --since")
	}
	f.ctl.requestLoad(t)
	return nil
}

// maxOlderWindows bounds how far one LoadBefore goes back through empty windows.
const maxOlderWindows = 24

// span is a stretch of event time the source fetched with one push. What a wider
// filter may need again is the spans whose push could have left its records out.
type span struct {
	from, to time.Time // event timestamps; to is zero while the span is open
	push     *pushed
	// all is set when the span's events were fetched without any narrowing.
	all bool
	// exact marks a window read for LoadBefore: its bounds are event times already;
	// a live span's start is a wall time, whose events may be up to a look-back older.
	exact bool
}

// coverage is which push fetched which stretch of time.
type coverage struct{ spans []span }

func (c *coverage) open(from time.Time, p *pushed, all bool) {
	c.spans = append(c.spans, span{from: from, push: p, all: all})
}

// closeOpen ends the open span at to.
func (c *coverage) closeOpen(to time.Time) {
	for i := range c.spans {
		if c.spans[i].to.IsZero() {
			c.spans[i].to = to
		}
	}
}

// markNarrowed notes that the open span was fetched (in part) with a narrowing query.
func (c *coverage) markNarrowed() {
	for i := range c.spans {
		if c.spans[i].to.IsZero() {
			c.spans[i].all = false
		}
	}
}

type window struct{ from, to time.Time }

// refetch lists the windows of event time that next may need again: those of closed
// spans that fetched with a narrowing next does not imply, a look-back before a live
// span's start included, within [floor, ceil], merged.
func (c *coverage) refetch(next *pushed, lookBack time.Duration, floor, ceil time.Time) []window {
	var out []window
	for _, sp := range c.spans {
		if sp.to.IsZero() || sp.all || next.implies(sp.push) {
			continue
		}
		w := window{sp.from, sp.to}
		if !sp.exact {
			w.from = w.from.Add(-lookBack)
		}
		if w.from.Before(floor) {
			w.from = floor
		}
		if !ceil.IsZero() && w.to.After(ceil) {
			w.to = ceil
		}
		if w.from.Before(w.to) {
			out = append(out, w)
		}
	}
	slices.SortFunc(out, func(a, b window) int { return a.from.Compare(b.from) })
	var merged []window
	for _, w := range out {
		if n := len(merged); n > 0 && !w.from.After(merged[n-1].to) {
			if w.to.After(merged[n-1].to) {
				merged[n-1].to = w.to
			}
			continue
		}
		merged = append(merged, w)
	}
	return merged
}

// serve handles the explorer's requests that are ready. restart reports new patterns:
// a Live Tail session must be opened again, and read from s.from again.
func (s *Source) serve(ctx context.Context) (restart bool, err error) {
	if s.ctl == nil {
		return false, nil
	}
	expr, narrow, loads := s.ctl.take()
	for _, t := range loads {
		if err := s.loadBefore(ctx, t); err != nil {
			return false, err
		}
	}
	if narrow {
		return s.narrowTo(ctx, expr)
	}
	return false, nil
}

// narrowTo pushes expr from now on and fetches again what a wider filter needs.
func (s *Source) narrowTo(ctx context.Context, expr string) (bool, error) {
	next := s.compilePush(expr)
	if next.samePatterns(s.push) {
		s.push.expr = expr
		return false, nil
	}
	now := s.clock.Now()
	s.cover.closeOpen(now)
	floor := s.since
	if s.held != nil && s.held.from.After(floor) {
		floor = s.held.from
	}
	// The next re-read (from s.from on) runs with the new pattern anyway.
	windows := s.cover.refetch(&next, s.t.LookBack, floor, s.from)
	s.push = &next
	s.cover.open(now, s.push, !next.any())
	s.h.pushed = s.push.describe(s.ins != nil)
	s.h.note("pushed", pushNotes(s.push))
	for _, w := range windows {
		s.h.note("refetch", fmt.Sprintf("the filter is wider: fetching %s to %s again", w.from.UTC().Format(time.TimeOnly), w.to.UTC().Format(time.TimeOnly)))
		if _, err := s.readWindow(ctx, w.from, w.to); err != nil {
			return false, err
		}
	}
	s.h.note("refetch", "")
	// A new session reads again from s.from with the new patterns, so nothing between
	// the windows above and now is missed.
	return true, s.publish(nil)
}

// loadBefore reads the window before t (or before the oldest window already read, if
// that is earlier), going further back through empty windows.
func (s *Source) loadBefore(ctx context.Context, t time.Time) error {
	end := t
	if !s.olderFrom.IsZero() && s.olderFrom.Before(end) {
		end = s.olderFrom
	}
	for i := 0; i < maxOlderWindows; i++ {
		from := end.Add(-s.olderWindow)
		s.h.note("older", fmt.Sprintf("reading %s to %s", from.UTC().Format(time.DateTime), end.UTC().Format(time.DateTime)))
		_ = s.publish(nil)
		n, err := s.readWindow(ctx, from, end)
		if err != nil {
			return err
		}
		s.cover.spans = append(s.cover.spans, span{from: from, to: end, push: s.push, all: !s.push.any() && s.ins == nil, exact: true})
		s.olderFrom = from
		if n > 0 {
			s.h.note("older", fmt.Sprintf("%d older records, from %s", n, from.UTC().Format(time.DateTime)))
			return s.publish(nil)
		}
		end = from
	}
	s.h.note("older", fmt.Sprintf("no records before %s", end.UTC().Format(time.DateTime)))
	return s.publish(nil)
}

// readWindow reads the events of [from, to) again, with the current push, and
// delivers those the screen does not hold; it returns how many records it delivered.
func (s *Source) readWindow(ctx context.Context, from, to time.Time) (int, error) {
	before := s.delivered
	s.refetching = true
	defer func() { s.refetching = false }()
	var err error
	if s.ins != nil {
		err = s.insightsHistory(ctx, from, to)
	} else {
		err = s.backfill(ctx, from, to.Add(-time.Millisecond))
	}
	return int(s.delivered - before), err
}

// pushNotes says what was made looser, for the status note.
func pushNotes(p *pushed) string {
	if len(p.notes) == 0 {
		return ""
	}
	return "pushed looser: " + p.notes[0]
}
