package ui

import (
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/flowlens/flowlens/keymap"
	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/filter"
	"github.com/flowlens/flowlens/model/ring"
	"github.com/flowlens/flowlens/model/stats"
)

// statsView is the third view beside the flows and the conversations: the records held
// over time, and panels of the top sources, destinations, ports, rejected ports,
// interfaces, conversations and scan suspects, over the flows filter.
//
// The counts are a stats.Tracker kept in step with the ring while the view is open:
// each batch adds its records and each eviction takes one away (a few hash-table
// updates a record), and a new filter recounts the ring from the newest record back, in
// steps spread over frames. The panels and the chart (a stats.Frame) are recomputed on
// the view's own tick, at most every statsRefresh and only when the counts changed, or
// at once when a key changes what they show; the screen is drawn in Update, so View
// only returns it. None of it reads the ring on a frame: the cost of a frame follows the
// groups, not the records.
//
// The tracker exists only while the view is open: the flows view does not pay for
// counts nobody reads, and opening the view again recounts (in steps).
type statsView struct {
	tr    *stats.Tracker // nil while the view is closed
	names Names
	frame stats.Frame
	// zoomRows are the expanded panel's rows: more than a frame's panels hold.
	zoomRows []stats.PanelRow
	metric   stats.Metric
	focus    int // the focused panel, as a position in panelOrder
	sel      [stats.NumPanels]int
	zoomTop  int // the first row on screen of the expanded panel
	zoom     bool
	dirty    bool // the counts changed since the frame was computed
	gen      int  // the tick loop's generation: a stale loop stops
	total    int  // records held when the recount started, for its progress

	width, height int // the main area: the screen less the filter and status lines
	lay           statsLayout
	screen        string // drawn in Update (draw), returned by View
}

// panelOrder is the order the panels are laid out and focused in.
var panelOrder = []stats.Panel{stats.Sources, stats.Destinations, stats.Ports, stats.RejectedPorts,
	stats.Interfaces, stats.ScanPorts, stats.Conversations, stats.ScanHosts}

// metricOrder is the order the metric key cycles through.
var metricOrder = []stats.Metric{stats.Flows, stats.Bytes, stats.Packets, stats.Rejects}

const (
	// statsRefresh is how often the panels are recomputed while records arrive: the
	// worst case of a frame (a flood from a million sources) costs about 20 ms, so it
	// is not done on every batch.
	statsRefresh = 150 * time.Millisecond
	backfillStep = 16_384
	// zoomRowsMax is how many rows the expanded panel ranks, to scroll through.
	zoomRowsMax = 1000
)

// backfillBudget bounds the recount done in one update after a filter change or on
// opening, so keys stay answered while a million records are counted again. (A variable
// so that tests can take one step per update.)
var backfillBudget = 20 * time.Millisecond

// statsTickMsg drives the view's loop: a recount step, or a refresh of the panels.
type statsTickMsg struct{ gen int }

func (v *statsView) panel() stats.Panel { return panelOrder[v.focus] }

// evict is the ring's eviction, for the counts.
func (v *statsView) evict(s ring.Seq, f *model.Flow) {
	if v.tr != nil {
		v.tr.Evict(s, f)
		v.dirty = true
	}
}

// afterAppend counts the records a batch appended.
func (v *statsView) afterAppend() {
	if v.tr != nil {
		v.tr.Update()
		v.dirty = true
	}
}

// setFilter starts the recount over a new filter (nil: every record), with a first step
// at once so the panels do not blank out.
func (v *statsView) setFilter(match ring.Match, held int) {
	if v.tr == nil {
		return
	}
	v.tr.SetFilter(match)
	v.total = held
	v.backfill()
	v.dirty = true
}

// backfill counts held records not counted yet, for at most backfillBudget.
func (v *statsView) backfill() {
	deadline := time.Now().Add(backfillBudget)
	for v.tr.Pending() > 0 {
		v.tr.Backfill(backfillStep)
		v.dirty = true
		if time.Now().After(deadline) {
			return
		}
	}
}

// tick is the loop's next message: at once while a recount is under way, after
// statsRefresh otherwise.
func (v *statsView) tick() tea.Cmd {
	gen := v.gen
	if v.tr != nil && v.tr.Pending() > 0 {
		return func() tea.Msg { return statsTickMsg{gen} }
	}
	return tea.Tick(statsRefresh, func(time.Time) tea.Msg { return statsTickMsg{gen} })
}

// SetSize lays the view out for the main area.
func (v *statsView) SetSize(w, h int) {
	v.width, v.height = w, h
	v.relayout()
}

func (v *statsView) relayout() {
	v.lay = layoutStats(v.width, v.height, v.zoom, v.focus)
	v.dirty = true
}

// refresh recomputes the frame from the counts: the top rows of every panel shown,
// sized to what fits, and the histogram across the chart's width.
func (v *statsView) refresh() {
	if v.tr == nil {
		return
	}
	live := v.tr.Live()
	live.Frame(&v.frame, v.metric, max(1, v.lay.panelRows), max(1, v.lay.chart.w-2))
	if v.zoom {
		v.zoomRows = live.AppendTop(v.zoomRows[:0], v.panel(), v.metric, zoomRowsMax)
	}
	v.dirty = false
	v.clampSel()
}

// rows are the rows of panel p on screen: the frame's, or the expanded panel's.
func (v *statsView) rows(p stats.Panel) []stats.PanelRow {
	if v.zoom && p == v.panel() {
		return v.zoomRows
	}
	return v.frame.Panels[p]
}

func (v *statsView) clampSel() {
	for _, p := range panelOrder {
		n := len(v.rows(p))
		v.sel[p] = max(0, min(v.sel[p], n-1))
	}
	if v.zoom {
		rows := max(1, v.lay.zoomRows)
		p := v.panel()
		if v.sel[p] < v.zoomTop {
			v.zoomTop = v.sel[p]
		}
		if v.sel[p] >= v.zoomTop+rows {
			v.zoomTop = v.sel[p] - rows + 1
		}
		v.zoomTop = max(0, min(v.zoomTop, len(v.zoomRows)-rows))
	}
}

// selected is the row the drill-down takes: the focused panel's selected row.
func (v *statsView) selected() (stats.Panel, *stats.PanelRow) {
	p := v.panel()
	rows := v.rows(p)
	if i := v.sel[p]; i < len(rows) {
		return p, &rows[i]
	}
	return p, nil
}

// The movement keys move the focused panel's selection (the scroller of handleMove).
func (v *statsView) move(delta int) {
	p := v.panel()
	v.sel[p] += delta
	v.clampSel()
}

func (v *statsView) page() int {
	if v.zoom {
		return max(1, v.lay.zoomRows-1)
	}
	return max(1, v.lay.panelRows-1)
}

func (v *statsView) toTop()    { v.move(-len(v.rows(v.panel()))) }
func (v *statsView) toBottom() { v.move(len(v.rows(v.panel()))) }

// moveFocus focuses the next (delta 1) or previous panel; an expanded panel gives way to
// the next one, expanded.
func (v *statsView) moveFocus(delta int) {
	v.focus = (v.focus + delta + len(panelOrder)) % len(panelOrder)
	v.zoomTop = 0
	v.relayout()
	v.refresh()
}

// Opening, closing and the keys.

// openStats switches to the stats view: the counts start over the flows filter, from the
// newest record back.
func (m *Model) openStats() tea.Cmd {
	if m.mode == modePairs {
		m.toggleMode() // back to the flows and their filter, which the stats share
	}
	m.mode = modeStats
	m.focus = paneTable
	v := &m.sv
	v.names = m.opts.Names
	if v.metric == stats.MetricDefault {
		v.metric = stats.Flows
	}
	v.tr = stats.NewTracker(m.ring)
	v.gen++
	v.relayout()
	v.setFilter(m.flowsMatch(), m.ring.Len())
	v.refresh()
	return v.tick()
}

// closeStats goes back to the flows view and lets the counts go.
func (m *Model) closeStats() {
	if m.mode != modeStats {
		return
	}
	m.mode = modeFlows
	m.sv.tr = nil
	m.sv.gen++ // the loop stops at its next message
	m.sv.frame = stats.Frame{}
	m.sv.zoomRows = nil
	m.sv.screen = ""
	m.table.afterRefilter()
	m.refreshDetail()
}

// toggleStats is the stats view's key: to the view, or back to the flows.
func (m *Model) toggleStats() tea.Cmd {
	if m.mode == modeStats {
		m.closeStats()
		return nil
	}
	return m.openStats()
}

// flowsMatch compiles the flows filter applied (the stats view's too); nil matches all.
func (m *Model) flowsMatch() ring.Match {
	formats := make([]*model.Format, 0, len(m.formats))
	for _, f := range m.formats {
		formats = append(formats, f)
	}
	flt, err := filter.Compile(m.bar.applied, filter.Options{Formats: formats})
	if err != nil || flt.All() {
		return nil
	}
	return flt.Match
}

func (m *Model) handleStatsTick(msg statsTickMsg) tea.Cmd {
	v := &m.sv
	if msg.gen != v.gen || m.mode != modeStats || v.tr == nil {
		return nil
	}
	if v.tr.Pending() > 0 {
		v.backfill()
	}
	if v.dirty {
		v.refresh()
	}
	return v.tick()
}

func (m *Model) handleStatsKey(msg tea.KeyPressMsg) tea.Cmd {
	v := &m.sv
	switch {
	case m.handleMove(msg, v):
	case m.is(msg, keymap.StatsNext):
		v.moveFocus(1)
	case m.is(msg, keymap.StatsPrev):
		v.moveFocus(-1)
	case m.is(msg, keymap.StatsExpand):
		v.zoom = !v.zoom
		v.zoomTop = 0
		v.relayout()
		v.refresh()
	case m.is(msg, keymap.StatsMetric):
		for i, x := range metricOrder {
			if x == v.metric {
				v.metric = metricOrder[(i+1)%len(metricOrder)]
				break
			}
		}
		v.refresh()
	case m.is(msg, keymap.StatsDrill):
		m.drillDown()
	}
	return nil
}

// drillDown adds the selected row's filter to the flows filter and shows the flows it
// selects: from "who" to "which flows" in one key.
func (m *Model) drillDown() {
	p, row := m.sv.selected()
	if row == nil {
		return
	}
	term := row.Filter(p)
	expr := addTerm(m.bar.applied, term)
	m.closeStats()
	m.bar.err = nil
	m.bar.input.SetValue(expr)
	m.setFilter(expr, true)
	if m.bar.err != nil { // cannot happen with the terms rows give; say so if it does
		m.notify("the filter "+expr+" was refused: "+m.bar.err.Error(), true, 10*time.Second)
		return
	}
	m.narrow(expr)
	m.table.toBottom()
	m.refreshDetail()
}

// addTerm adds a term to a filter expression: side by side (terms side by side must all
// match), with the expression in parentheses when its top is an `or`, and not at all when
// the expression already has the term.
func addTerm(expr, term string) string {
	expr = strings.TrimSpace(expr)
	if expr == "" {
		return term
	}
	if strings.Contains(" "+expr+" ", " "+term+" ") {
		return expr
	}
	if n, err := filter.Parse(expr); err == nil {
		if _, or := n.(*filter.Or); or {
			expr = "(" + expr + ")"
		}
	}
	return expr + " " + term
}

// statsClick focuses the panel clicked; a click on a row also selects it and drills down,
// as Enter does.
func (m *Model) statsClick(x, y int) {
	v := &m.sv
	for _, c := range v.lay.cells {
		if !c.rect.contains(x, y) {
			continue
		}
		for i, p := range panelOrder {
			if p == c.panel && i != v.focus {
				v.focus = i
				v.relayout()
				v.refresh()
			}
		}
		row := y - c.rect.y - 2 // border and header
		if v.zoom {
			row += v.zoomTop
		}
		if row >= 0 && row < len(v.rows(c.panel)) && y < c.rect.y+c.rect.h-1 {
			v.sel[c.panel] = row
			m.drillDown()
		}
		return
	}
}

// statsWheel moves the selection of the panel under the mouse.
func (m *Model) statsWheel(x, y, step int) {
	v := &m.sv
	for _, c := range v.lay.cells {
		if c.rect.contains(x, y) {
			for i, p := range panelOrder {
				if p == c.panel && i != v.focus {
					v.focus = i
					v.relayout()
					v.refresh()
				}
			}
			v.move(step)
			return
		}
	}
}

// statsDraw gathers what drawing the view needs from the root model.
func (m *Model) statsDraw() statsDraw {
	return statsDraw{focused: !m.bar.active, local: m.local, filtered: m.bar.applied != ""}
}
