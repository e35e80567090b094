package ui

import (
	"time"

	"github.com/flowlens/flowlens/feed"
	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/filter"
)

// Feed is what the explorer consumes: batches of records with the source's status, and
// the few things the screen may ask of any source. It is declared here, by its consumer;
// the sources (package source) satisfy it without either package importing the other.
type Feed interface {
	// Batches delivers batches until one with Done; then it is closed.
	Batches() <-chan feed.Batch
	// Pause stops reading (a live source closes what it is billed for) until Resume.
	Pause()
	Resume()
	// Close stops the source and releases what it holds.
	Close()
}

// What a source may also be able to do. The explorer asks with a type assertion and
// offers only what the source answers to. Each call returns at once: the source does the
// work on its own goroutine and reports through its batches (records, Status.Fields,
// Err), never by blocking the screen.
type (
	// Narrower can push a filter down to where the records come from (a CloudWatch
	// filter pattern, an Insights or Athena query), so that less is read and paid for.
	// The explorer's own filter stays the final word: a source may push down less than
	// expr, never more, and says what it pushed in a status field. An error says why
	// nothing was pushed ("" expressions mean read everything again).
	Narrower interface {
		Narrow(expr string) error
	}
	// HistoryLoader can read further back than it has: the records of the window before
	// the given time (the oldest record held), delivered in later batches.
	HistoryLoader interface {
		LoadBefore(t time.Time) error
	}
)

// narrow offers the flows filter the user kept to a source that can push it down. What
// the source pushed shows in its status fields; a refusal is only logged, because the
// explorer's own filter applies either way.
func (m *Model) narrow(expr string) {
	n, ok := m.opts.Feed.(Narrower)
	if !ok || m.mode == modePairs || m.srcDone || expr == m.narrowed {
		return
	}
	m.narrowed = expr
	// The source pushes the filter down with its own clock: pinned, its relative times
	// (15m, 09:10) name the instants the table's filter was compiled with.
	opts := m.filterOptions(nil)
	opts.Now = m.filterAt
	if pinned, err := filter.Pin(expr, opts); err == nil {
		expr = pinned
	}
	if err := n.Narrow(expr); err != nil {
		m.log.Info("narrow", "filter", expr, "err", err)
	}
}

// loadOlder asks a source that can read further back for the records before the first
// one held: what moving up past the first row means. One request at a time: the next
// batch with records ends it.
func (m *Model) loadOlder() {
	h, ok := m.opts.Feed.(HistoryLoader)
	if !ok || m.olderAsked || m.ring.Len() == 0 {
		return
	}
	first := m.ring.At(m.ring.First())
	if !first.Has(model.FStart) {
		return
	}
	before := time.Unix(int64(first.Start), 0)
	if err := h.LoadBefore(before); err != nil {
		m.notify("no older records: "+err.Error(), true, 8*time.Second)
		return
	}
	m.olderAsked = true
	m.notify("reading the records before "+clock(first.Start, true, m.local)+"…", false, 10*time.Second)
}
