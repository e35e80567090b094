package ui

import (
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/flowlens/flowlens/keymap"
	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/ring"
)

func (m *Model) is(msg tea.KeyPressMsg, a keymap.Action) bool {
	return key.Matches(msg, m.keys.Key(a))
}

// isTyping matches the keys of action a that work in context c while text is typed
// there (the filter bar, the picker): those that type nothing.
func (m *Model) isTyping(msg tea.KeyPressMsg, c keymap.Context, a keymap.Action) bool {
	return key.Matches(msg, m.keys.TypingKey(c, a))
}

// quit ends the program. Run closes the source once the terminal is restored (a Live
// Tail session is billed until then): closing can wait on the network, and the screen
// must answer a second Ctrl+C while it does.
func (m *Model) quit() tea.Cmd {
	return tea.Quit
}

func (m *Model) handleKey(msg tea.KeyPressMsg) tea.Cmd {
	if m.picker != nil {
		return m.handlePickerKey(msg)
	}
	if m.overlay != overlayNone {
		return m.handleOverlayKey(msg)
	}
	if m.prompt != nil {
		return m.handlePromptKey(msg)
	}
	if m.bar.active {
		return m.handleFilterKey(msg)
	}
	switch {
	case m.is(msg, keymap.Quit):
		return m.quit()
	case m.is(msg, keymap.Help):
		m.overlay, m.overlayOffset = overlayHelp, 0
	case m.is(msg, keymap.Malformed):
		m.overlay, m.overlayOffset = overlayMalformed, 0
	case m.is(msg, keymap.OpenFilter):
		return m.bar.focus()
	case m.is(msg, keymap.Back):
		switch {
		case m.cancelWork():
			// Esc stops long work first: an export, a refilter, a listing.
		case m.zoomed():
			m.zoomVerdict(false)
		case m.mode == modeStats && m.sv.zoom:
			m.sv.zoom = false
			m.sv.relayout()
			m.sv.refresh()
		case m.focus != paneTable:
			m.focus = paneTable
		case m.bar.applied != "":
			m.bar.input.SetValue("")
			m.applyFilter("", false)
			m.narrow("")
		}
	case m.is(msg, keymap.NextPane) && m.mode == modeStats:
		m.sv.moveFocus(1)
	case m.is(msg, keymap.NextPane):
		m.focus = (m.focus + 1) % numPanes
	case m.is(msg, keymap.Pause):
		m.togglePause()
	case m.is(msg, keymap.TimeZone):
		m.local = !m.local
		m.table.setLocal(m.local)
		m.refreshDetail()
	case m.is(msg, keymap.PairsView):
		m.toggleMode()
	case m.is(msg, keymap.StatsView):
		return m.toggleStats()
	case m.is(msg, keymap.ExportJSONL):
		return m.askExport("jsonl")
	case m.is(msg, keymap.ExportCSV):
		return m.askExport("csv")
	case m.is(msg, keymap.ExportRaw):
		return m.askExport("raw")
	case m.is(msg, keymap.Ticket):
		return m.askTicket()
	case m.is(msg, keymap.Queries):
		return m.askQueries()
	case m.is(msg, keymap.VerdictZoom) && m.mode != modeStats:
		m.zoomVerdict(!m.verdictZoom)
	case m.is(msg, keymap.ReloadRules):
		return m.reloadRules()
	default:
		switch {
		case m.zoomed():
			m.handleVerdictKey(msg)
		case m.mode == modeStats:
			return m.handleStatsKey(msg)
		case m.focus == paneTable && m.mode == modePairs:
			m.handlePairsKey(msg)
		case m.focus == paneTable:
			m.handleTableKey(msg)
		case m.focus == paneDetail:
			m.handleDetailKey(msg)
		case m.focus == paneVerdict:
			m.handleVerdictKey(msg)
		}
	}
	return nil
}

// handlePairsKey moves through the conversations; enter goes to the newest record of
// the selected one in the flows table.
func (m *Model) handlePairsKey(msg tea.KeyPressMsg) {
	switch {
	case m.handleMove(msg, &m.pv):
		m.refreshDetail()
	case m.handlePairsOrderKey(msg):
	case m.is(msg, keymap.PairsOpen) && m.pv.toggleGroup():
		m.refreshDetail()
	case m.is(msg, keymap.PairsOpen):
		row := m.pv.selected()
		if row == nil {
			return
		}
		seq := ring.Seq(newestSeq(m.pairs, m.rules, row))
		m.toggleMode()
		if !m.table.selectSeq(seq) {
			m.notify("that conversation's records are hidden by the flows filter ("+m.keys.Short(keymap.Back)+" clears it)", true, 8*time.Second)
		}
		m.refreshDetail()
	}
}

func (m *Model) handleVerdictKey(msg tea.KeyPressMsg) {
	switch {
	case m.is(msg, keymap.Up):
		m.verdict.scroll(-1)
	case m.is(msg, keymap.Down):
		m.verdict.scroll(1)
	case m.is(msg, keymap.PageUp):
		m.verdict.scroll(-(m.verdict.height - 3))
	case m.is(msg, keymap.PageDown):
		m.verdict.scroll(m.verdict.height - 3)
	case m.is(msg, keymap.Top):
		m.verdict.scroll(-len(m.verdict.screen))
	case m.is(msg, keymap.Bottom):
		m.verdict.scroll(len(m.verdict.screen))
	}
}

// jumpReverse selects the other direction of the selected flow's conversation, and says
// what it found: the reply, a rejected reply, or why there is none.
func (m *Model) jumpReverse() {
	r, _ := m.table.Selected()
	if r == nil {
		return
	}
	seq, found, note := reverseTarget(m.pairs, r, m.rules)
	if !found {
		m.notify(note, false, 10*time.Second)
		return
	}
	if !m.table.selectSeq(seq) {
		m.notify(note+": hidden by the filter ("+m.keys.Short(keymap.Back)+" clears it)", true, 10*time.Second)
		return
	}
	m.notify("jumped to "+note, false, 8*time.Second)
	m.refreshDetail()
}

func (m *Model) togglePause() {
	if m.opts.Feed == nil || m.srcDone {
		return
	}
	m.paused = !m.paused
	if m.paused {
		m.opts.Feed.Pause()
		m.notify("paused: the source stopped reading ("+m.keys.Short(keymap.Pause)+" resumes)", false, 5*time.Second)
	} else {
		m.opts.Feed.Resume()
		m.notify("resumed", false, 2*time.Second)
	}
}

// scroller is what the movement keys move: the flows table or the conversations list.
type scroller interface {
	move(delta int)
	page() int
	toTop()
	toBottom()
}

// handleMove applies the movement keys to sc; it reports whether the key was one.
func (m *Model) handleMove(msg tea.KeyPressMsg, sc scroller) bool {
	switch {
	case m.is(msg, keymap.Up):
		sc.move(-1)
	case m.is(msg, keymap.Down):
		sc.move(1)
	case m.is(msg, keymap.PageUp):
		sc.move(-sc.page())
	case m.is(msg, keymap.PageDown):
		sc.move(sc.page())
	case m.is(msg, keymap.Top):
		sc.toTop()
	case m.is(msg, keymap.Bottom):
		sc.toBottom()
	default:
		return false
	}
	return true
}

func (m *Model) handleTableKey(msg tea.KeyPressMsg) {
	atTop := m.table.sel == 0
	switch {
	case m.handleMove(msg, m.table):
		if atTop && (m.is(msg, keymap.Up) || m.is(msg, keymap.PageUp) || m.is(msg, keymap.Top)) {
			m.loadOlder()
		}
		m.refreshDetail()
	case m.is(msg, keymap.FocusDetail):
		m.focus = paneDetail
	case m.is(msg, keymap.Reverse):
		m.jumpReverse()
	case m.is(msg, keymap.Sort):
		m.table.setSort(m.table.nextSort(m.table.sortBy), false)
		m.step()
		m.refreshDetail()
	case m.is(msg, keymap.SortReverse):
		spec := m.table.sortBy
		if !spec.on {
			spec = m.table.nextSort(spec)
		}
		spec.desc = !spec.desc
		m.table.setSort(spec, true)
		m.step()
		m.refreshDetail()
	case m.is(msg, keymap.Resort):
		if !m.table.sortBy.on {
			m.notify("the rows are in arrival order: "+m.keys.Short(keymap.Sort)+" sorts them", false, 5*time.Second)
			return
		}
		m.table.setSort(m.table.sortBy, true)
		m.step()
		m.refreshDetail()
	}
}

func (m *Model) handleDetailKey(msg tea.KeyPressMsg) {
	page := m.detail.height - 3
	switch {
	case m.is(msg, keymap.Up):
		m.detail.scroll(-1)
	case m.is(msg, keymap.Down):
		m.detail.scroll(1)
	case m.is(msg, keymap.PageUp):
		m.detail.scroll(-page)
	case m.is(msg, keymap.PageDown):
		m.detail.scroll(page)
	case m.is(msg, keymap.Top):
		m.detail.scroll(-len(m.detail.screen))
	case m.is(msg, keymap.Bottom):
		m.detail.scroll(len(m.detail.screen))
	}
}

// handleFilterKey edits the filter; every change schedules an apply after the debounce.
func (m *Model) handleFilterKey(msg tea.KeyPressMsg) tea.Cmd {
	switch {
	case m.is(msg, keymap.FilterApply):
		m.applyFilter(m.bar.input.Value(), true)
		if m.bar.err == nil {
			m.bar.blur()
			m.narrow(m.bar.applied)
		}
		return nil
	case m.is(msg, keymap.FilterCancel):
		m.bar.input.SetValue("")
		m.bar.err = nil
		m.applyFilter("", false)
		m.bar.blur()
		m.narrow("")
		return nil
	case m.isTyping(msg, keymap.Filter, keymap.Quit):
		return m.quit()
	case m.is(msg, keymap.HistoryPrev):
		if m.bar.browse(-1) {
			return m.scheduleFilter()
		}
		return nil
	case m.is(msg, keymap.HistoryNext):
		if m.bar.browse(1) {
			return m.scheduleFilter()
		}
		return nil
	}
	before := m.bar.input.Value()
	var cmd tea.Cmd
	m.bar.input, cmd = m.bar.input.Update(msg)
	if m.bar.input.Value() != before {
		return tea.Batch(cmd, m.scheduleFilter())
	}
	return cmd
}

// handlePaste types pasted text (bracketed paste, on by default) where text is typed:
// the picker's query, the path prompt or the filter bar, cleaned of control characters
// first; elsewhere a paste means nothing.
func (m *Model) handlePaste(msg tea.PasteMsg) tea.Cmd {
	msg.Content = model.CleanText(msg.Content) // a newline becomes a space
	var cmd tea.Cmd
	switch {
	case m.picker != nil:
		if !m.picker.starting { // once the choice is made the query no longer counts
			cmd = m.picker.typeInto(msg)
		}
	case m.overlay != overlayNone:
	case m.prompt != nil:
		m.prompt.input, cmd = m.prompt.input.Update(msg)
	case m.bar.active:
		before := m.bar.input.Value()
		m.bar.input, cmd = m.bar.input.Update(msg)
		if m.bar.input.Value() != before {
			return tea.Batch(cmd, m.scheduleFilter())
		}
	}
	return cmd
}

func (m *Model) scheduleFilter() tea.Cmd {
	m.bar.gen++
	gen := m.bar.gen
	return tea.Tick(debounce, func(time.Time) tea.Msg { return debounceMsg{gen} })
}

// handleOverlayKey scrolls an overlay and closes it; the quit keys that type something
// (q) close it, those that type nothing (ctrl+c) quit.
func (m *Model) handleOverlayKey(msg tea.KeyPressMsg) tea.Cmd {
	switch {
	case m.is(msg, keymap.Quit) && !keymap.Types(msg.String()):
		return m.quit()
	case m.is(msg, keymap.Back), m.is(msg, keymap.Help) && m.overlay == overlayHelp,
		m.is(msg, keymap.Malformed) && m.overlay == overlayMalformed, m.is(msg, keymap.Quit):
		m.overlay = overlayNone
	case m.is(msg, keymap.Up):
		m.overlayOffset--
	case m.is(msg, keymap.Down):
		m.overlayOffset++
	case m.is(msg, keymap.PageUp):
		m.overlayOffset -= m.overlayRows() - 1
	case m.is(msg, keymap.PageDown):
		m.overlayOffset += m.overlayRows() - 1
	case m.is(msg, keymap.Top):
		m.overlayOffset = 0
	case m.is(msg, keymap.Bottom):
		m.overlayOffset = len(m.overlayLines())
	}
	m.clampOverlay()
	return nil
}

func (m *Model) handleWheel(msg tea.MouseWheelMsg) {
	if m.picker != nil {
		return
	}
	mouse := msg.Mouse()
	step := 0
	switch mouse.Button {
	case tea.MouseWheelUp:
		step = -3
	case tea.MouseWheelDown:
		step = 3
	default:
		return
	}
	if m.overlay != overlayNone {
		m.overlayOffset += step
		m.clampOverlay()
		return
	}
	if m.mode == modeStats {
		m.statsWheel(mouse.X, mouse.Y, step)
		return
	}
	if m.zoomed() {
		m.verdict.scroll(step)
		return
	}
	if m.lay.inShared(mouse.X, mouse.Y) && m.focus == paneVerdict {
		m.verdict.scroll(step)
		return
	}
	if m.lay.inDetail(mouse.X, mouse.Y) {
		m.detail.scroll(step)
		return
	}
	if m.lay.inVerdict(mouse.X, mouse.Y) {
		m.verdict.scroll(step)
		return
	}
	if m.lay.inTable(mouse.X, mouse.Y) {
		if m.mode == modePairs {
			m.pv.move(step)
		} else {
			m.table.move(step)
		}
		m.refreshDetail()
	}
}

func (m *Model) handleClick(msg tea.MouseClickMsg) tea.Cmd {
	mouse := msg.Mouse()
	if mouse.Button != tea.MouseLeft || m.overlay != overlayNone || m.picker != nil || m.prompt != nil || m.zoomed() {
		return nil
	}
	switch {
	case m.mode == modeStats && mouse.Y < m.height-2:
		m.statsClick(mouse.X, mouse.Y)
	case m.lay.inTable(mouse.X, mouse.Y):
		m.focus = paneTable
		if row := mouse.Y - m.lay.table.y - 2; row >= 0 { // border and header
			if m.mode == modePairs {
				m.pv.move(m.pv.top + row - m.pv.sel)
			} else {
				m.table.selectRow(row)
			}
			m.refreshDetail()
		}
	case m.lay.inVerdict(mouse.X, mouse.Y):
		m.focus = paneVerdict
	case m.lay.inDetail(mouse.X, mouse.Y):
		m.focus = paneDetail
	case mouse.Y == m.lay.barY:
		if !m.bar.active {
			return m.bar.focus()
		}
	}
	return nil
}
