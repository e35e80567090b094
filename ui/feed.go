package ui

import (
	"time"

	tea "charm.land/bubbletea/v2"

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

// olderWait is how long a request for older records holds before moving up past the
// first row asks again: a source may find nothing before the first record held, and
// says so only in its status, which the explorer does not read for it.
const olderWait = 10 * time.Second

// loadOlder asks a source that can read further back for the records before the first
// one held: what moving up past the first row means. One request at a time: the next
// batch with records or an error ends it, and so does olderWait without either (the
// source found nothing, or the answer was lost).
func (m *Model) loadOlder() {
	h, ok := m.opts.Feed.(HistoryLoader)
	if m.olderAsked && m.now().Sub(m.olderAt) >= olderWait {
		m.olderAsked = false
	}
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
	m.olderAsked, m.olderAt = true, m.now()
	m.notify("reading the records before "+clock(first.Start, true, m.local)+"…", false, olderWait)
}

// Taking records in. A followed file growing at tens of MB/s fills every batch (the
// batcher's 8,192 and a chunk's more), and taking one in costs a few µs a record (the
// ring, the conversations index with what the ring evicts, the stats view's counts):
// tens of ms for a batch, more on a busy machine, during which a key waits. So a batch
// is taken in a slice per Update, and the rest waits for an ingestMsg, which Bubble
// Tea delivers after the keys already waiting: a key waits for one slice at most. The
// next batch is asked for only once the last is in, so a screen that cannot keep up
// makes the source drop (and count) what it cannot show, as before.
const (
	ingestRecords = 4096                 // records taken in per Update at most
	ingestChunk   = 1024                 // records between two looks at the clock
	ingestTime    = 3 * time.Millisecond // and the time after which a slice ends early
)

// ingestLimit bounds a slice; the zero value means the constants above (a benchmark
// sets another to measure a batch taken in whole, as before).
type ingestLimit struct {
	records int
	time    time.Duration
}

// ingestMsg asks for the next slice of the batch being taken in.
type ingestMsg struct{}

// ingestStep takes the next slice of the backlog into the ring, the conversations index
// and the views.
func (m *Model) ingestStep() {
	if len(m.backlog) == 0 {
		return
	}
	limit := m.ingestLimit
	if limit.records == 0 {
		limit = ingestLimit{ingestRecords, ingestTime}
	}
	deadline := time.Now().Add(limit.time)
	for done := 0; len(m.backlog) > 0 && done < limit.records; {
		n := min(len(m.backlog), ingestChunk, limit.records-done)
		m.take(m.backlog[:n])
		m.backlog = m.backlog[n:]
		done += n
		m.work.ingested += n
		if time.Now().After(deadline) {
			break
		}
	}
	if len(m.backlog) == 0 {
		m.backlog = nil // the batch's records are the ring's now: let the batch go
	}
	m.pv.dirty = true
	m.view.Update()
	m.sv.afterAppend()
	m.table.afterAppend()
	m.refreshDetail()
}

// take appends recs to the ring and indexes them.
func (m *Model) take(recs []model.Flow) {
	first := m.ring.Append(recs)
	for i := range recs {
		m.pairs.Add(uint64(first)+uint64(i), &recs[i])
	}
	last, lastIf := model.FormatID(0xffff), model.Sym(0)
	for i := range recs {
		if id := recs[i].Format; id != last {
			last = id
			if _, ok := m.formats[id]; !ok {
				m.formats[id] = model.FormatByID(id)
				m.table.learnFormat(m.formats[id])
			}
		}
		if ifc := recs[i].Interface; ifc != lastIf && ifc != 0 {
			lastIf = ifc
			m.interfaces[ifc] = true
		}
	}
}

// nextIngest is what follows a batch or a slice: the next slice while records wait,
// then the next batch, until the source is done.
func (m *Model) nextIngest() tea.Cmd {
	switch {
	case len(m.backlog) > 0:
		return func() tea.Msg { return ingestMsg{} }
	case m.srcDone:
		return nil
	}
	return m.waitBatch()
}

// followFrameEvery is how often the screen is drawn while only records arrive: ten
// frames a second follow a flood well enough, and a key, or anything else, is drawn at
// once.
const followFrameEvery = 100 * time.Millisecond

// frameMsg draws the records that arrived since the last frame, when no other message
// has by then.
type frameMsg struct{}

// frameAfter draws the frame View will give, unless the message only brought records
// and the frame drawn last is less than frameEvery old; then a frameMsg is armed so
// that the last of them are drawn even if nothing else arrives.
func (m *Model) frameAfter(msg tea.Msg) {
	if m.frameEvery == 0 {
		return
	}
	switch msg.(type) {
	case batchMsg, ingestMsg:
		if m.framed && time.Since(m.frameAt) < m.frameEvery {
			if !m.frameArmed {
				m.frameArmed = true
				m.cmds = append(m.cmds, tea.Tick(m.frameEvery, func(time.Time) tea.Msg { return frameMsg{} }))
			}
			return
		}
	}
	m.frame, m.framed, m.frameAt = m.draw(), true, time.Now()
}
