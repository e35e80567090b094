package ui

import (
	"fmt"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/flowlens/flowlens/keymap"
)

// Long work (refiltering millions of records, listing and judging every conversation,
// copying what is exported) never runs whole inside Update: a job does a bounded amount
// per workMsg, and re-arms the message while it has more to do. Bubble Tea delivers
// keys between two steps, so the screen answers within one step whatever is held: Esc
// cancels the job, Ctrl+C quits. Work that touches nothing the update loop changes
// (sorting the rows of the conversations, writing a file) runs in a tea.Cmd instead.

// workBudget bounds what one step does, whatever is held. The figures keep a step, its
// frame included, to a few milliseconds of CPU (BenchmarkFilterKeystroke5M and
// BenchmarkOpenConversations5M report the largest): a record is filtered in 10-100 ns,
// a conversation classified in 1-6 µs (0.1 µs from the cache), judged with its
// explanation in 4-15 µs. The collector's assists, charged to whoever allocates, add to
// that when gigabytes are held.
type workBudget struct {
	records int // records a refilter scans, or an export copies, per step
	pairs   int // conversations classified per step
	judged  int // conversations fully judged (an export) per step
}

var defaultBudget = workBudget{records: 1 << 16, pairs: 2048, judged: 512}

// stepTime ends a step early, whatever its budget: a key waits for one step at most.
// stepChunk is how much is done between two looks at the clock (a sixteenth of it for
// conversations, which cost more).
const (
	stepTime  = 8 * time.Millisecond
	stepChunk = 4096
)

// workMsg asks for the next step of the jobs under way.
type workMsg struct{}

// workDone is what the last Update did for the jobs: what a test reads to show the
// work per message is bounded.
type workDone struct {
	records int // records scanned or copied
	pairs   int // conversations classified or judged
	// records taken in from the source (feed.go)
	ingested int
}

// busy reports whether a job needs steps.
func (m *Model) busy() bool {
	_, _, refiltering := m.view.Refiltering()
	return refiltering || m.pv.build != nil && !m.pv.build.sorting || m.exporting != nil ||
		m.table.job != nil && !m.table.job.sorting || m.ticketing != nil
}

// armWork returns the command that delivers the next workMsg, once: at most one is
// ever pending.
func (m *Model) armWork() tea.Cmd {
	if m.workArmed || !m.busy() {
		return nil
	}
	m.workArmed = true
	return func() tea.Msg { return workMsg{} }
}

// step does one bounded step of every job under way. The commands it starts (a sort,
// a write) go to m.cmds, which Update returns.
// It does not re-arm: only the workMsg that arrives clears workArmed, so a key that
// steps at once (a sort key) cannot start a second chain of steps beside the first.
func (m *Model) step() {
	// Besides its budget, a step stops at stepTime: the cost of a record differs by
	// far between filters (a bare word searches the text of every field), and of a
	// conversation between the first judgement and the cached one.
	deadline := time.Now().Add(stepTime)
	if m.refiltering() {
		for done := 0; done < m.budget.records; {
			n, pending := m.view.Step(min(stepChunk, m.budget.records-done))
			done += n
			m.work.records += n
			if !pending {
				m.sv.setFilter(m.refilterMatch, m.ring.Len())
				m.filtered(m.refilterExpr)
				break
			}
			if time.Now().After(deadline) {
				break
			}
		}
	}
	if b := m.pv.build; b != nil && !b.sorting {
		var sort tea.Cmd
		for done := 0; done < m.budget.pairs && sort == nil; {
			var n int
			n, sort = m.pv.step(m.pairs, m.rules, min(stepChunk/16, m.budget.pairs-done))
			done += n
			m.work.pairs += n
			if n == 0 || time.Now().After(deadline) {
				break
			}
		}
		switch {
		case sort == nil:
		case len(b.rows) <= m.budget.pairs:
			// Few rows: sorted here, within the step's budget.
			if m.pv.install(sort().(pairsSortedMsg)) {
				m.refreshDetail()
			}
		default:
			m.cmds = append(m.cmds, sort)
		}
	}
	if m.exporting != nil {
		m.exportStep()
	}
	if j := m.table.job; j != nil && !j.sorting {
		n, sort := m.table.sortStep(m.budget.records, deadline)
		m.work.records += n
		switch {
		case sort == nil:
		case len(j.entries) <= syncSortRows:
			// Few rows: sorted here, within the step's budget.
			if m.table.installSort(sort().(flowsSortedMsg)) {
				m.refreshDetail()
			}
		default:
			m.cmds = append(m.cmds, sort)
		}
	}
	if m.ticketing != nil {
		m.ticketStep(deadline)
	}
}

// cancelJobs drops the refilter and the rebuild under way, as a switch of views does.
func (m *Model) cancelJobs() {
	m.view.CancelFilter()
	m.pv.build = nil
}

// cancelWork stops the job the person started and is waiting for, and puts back what
// was shown before it; it reports whether there was one. Esc calls it first.
func (m *Model) cancelWork() bool {
	switch {
	case m.exporting != nil:
		m.exporting = nil
		m.notify("export cancelled", false, 5*time.Second)
	case m.ticketing != nil:
		m.ticketing = nil
		m.notify("ticket cancelled", false, 5*time.Second)
	case m.mode == modeFlows && m.table.job != nil:
		m.table.job = nil
		m.table.sortBy = sortSpec{}
		if m.table.order != nil {
			m.table.sortBy = m.table.order.spec
		}
		m.notify("sort cancelled", false, 5*time.Second)
	case m.mode == modePairs && m.pv.build != nil && m.pv.build.shown:
		m.pv.build = nil
		if m.pv.opening {
			// Esc while the conversations are first listed: back to the flows.
			m.toggleMode()
		} else {
			m.restoreFilter(m.pv.expr)
		}
	case m.mode == modeFlows && m.refiltering():
		m.view.CancelFilter()
		m.restoreFilter(m.flowsExpr)
	default:
		return false
	}
	return true
}

// refiltering reports whether the flows view is being refiltered.
func (m *Model) refiltering() bool {
	_, _, ok := m.view.Refiltering()
	return ok
}

// restoreFilter puts back the filter text of what is shown, after the job that was
// applying another was cancelled.
func (m *Model) restoreFilter(expr string) {
	m.bar.applied = expr
	m.bar.input.SetValue(expr)
	m.bar.err = nil
}

// progress says what long work is under way, for the status bar; "" when none.
func (m *Model) progress() string {
	esc := m.keys.Short(keymap.Back)
	switch {
	case m.exporting != nil:
		return fmt.Sprintf("exporting %s… (%s cancels)", percent(m.exporting.done(), m.exporting.total()), esc)
	case m.ticketing != nil:
		return fmt.Sprintf("finding the records of the ticket %s… (%s cancels)", percent(m.ticketing.scanned, m.ticketing.total), esc)
	case m.mode == modeFlows && m.refiltering():
		done, total, _ := m.view.Refiltering()
		return fmt.Sprintf("filtering %s %s… (%s cancels)", counted(total, "record", "records"), percent(done, total), esc)
	case m.mode == modeFlows && m.table.job != nil:
		return m.table.sortProgress() + " (" + esc + " cancels)"
	case m.mode == modePairs && m.pv.build != nil && m.pv.build.shown:
		return m.pv.build.progress() + " (" + esc + " cancels)"
	}
	return ""
}

// percent is done of total as a whole percentage.
func percent(done, total int) string {
	if total <= 0 {
		return "0%"
	}
	return fmt.Sprintf("%d%%", min(100, done*100/total))
}
