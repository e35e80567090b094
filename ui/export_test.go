package ui

import (
	"github.com/flowlens/flowlens/feed"
	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/stats"
)

// What the external tests (package ui_test, which run the explorer over real sources
// without package ui importing them) may look at.

// WaitScreen waits until the program's output shows every want.
var WaitScreen = waitScreen

// Take takes recs in as a batch from the source, every slice of it, as the program
// would over several Updates.
func (m *Model) Take(recs []model.Flow) {
	m.Update(batchMsg{batch: feed.Batch{Records: recs}, ok: true})
	for len(m.backlog) > 0 {
		m.Update(ingestMsg{})
	}
}

// Held is the number of records in the ring.
func (m *Model) Held() int { return m.ring.Len() }

// Shown returns the records the filter lets through, and whether a filter is applied.
func (m *Model) Shown() ([]*model.Flow, bool) {
	out := make([]*model.Flow, m.view.Len())
	for i := range out {
		out[i] = m.view.Record(i)
	}
	return out, m.view.Filtered()
}

// Filter is the flows filter applied.
func (m *Model) Filter() string { return m.bar.applied }

// StatsTop is what a panel of the stats view shows once every record held is counted
// and the panels recomputed; nil when the view is closed. (The view recounts in steps
// and recomputes on its own tick: a program stopped on a loaded machine can end between
// the two, and a test judges the counts, not the tick.)
func (m *Model) StatsTop(p stats.Panel) []stats.PanelRow {
	if m.mode != modeStats {
		return nil
	}
	for m.sv.tr.Pending() > 0 {
		m.sv.tr.Backfill(backfillStep)
	}
	m.sv.refresh()
	return m.sv.frame.Panels[p]
}
