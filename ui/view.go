package ui

import (
	"context"
	"fmt"
	"runtime/trace"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/flowlens/flowlens/keymap"
	"github.com/flowlens/flowlens/model"
)

type rect struct{ x, y, w, h int }

func (r rect) contains(x, y int) bool { return x >= r.x && x < r.x+r.w && y >= r.y && y < r.y+r.h }

// layout is where the panes go for the terminal's size: the detail beside the table on a
// wide terminal, below it on a narrow one.
type layout struct {
	wide                   bool
	tooSmall               bool
	table, detail, verdict rect
	// shared: the detail and verdict panes take turns in one place (tab switches)
	shared        bool
	barY, statusY int
}

// Below these the panes cannot show a useful row; the explorer says so instead.
const (
	minWidth  = 60
	minHeight = 12
	wideFrom  = 120
)

func computeLayout(w, h int) layout {
	l := layout{barY: h - 2, statusY: h - 1}
	if w < minWidth || h < minHeight {
		l.tooSmall = true
		return l
	}
	main := h - 2
	if w >= wideFrom {
		// the detail and the verdict share a column beside the table; on a short
		// terminal they take turns in it (tab switches)
		dw := min(max(w*30/100, 46), 72)
		l.wide = true
		l.table = rect{0, 0, w - dw, main}
		if main < 20 {
			l.shared = true
			l.detail = rect{w - dw, 0, dw, main}
			l.verdict = l.detail
			return l
		}
		dh := max(8, main*45/100)
		l.detail = rect{w - dw, 0, dw, dh}
		l.verdict = rect{w - dw, dh, dw, main - dh}
		return l
	}
	th := max(6, main*50/100)
	l.table = rect{0, 0, w, th}
	if w >= 96 {
		half := w / 2
		l.detail = rect{0, th, half, main - th}
		l.verdict = rect{half, th, w - half, main - th}
		return l
	}
	l.shared = true
	l.detail = rect{0, th, w, main - th}
	l.verdict = l.detail
	return l
}

func (l layout) inTable(x, y int) bool  { return l.table.contains(x, y) }
func (l layout) inDetail(x, y int) bool { return l.detail.contains(x, y) }

// inShared reports whether x,y is where the detail and verdict panes take turns.
func (l layout) inShared(x, y int) bool  { return l.shared && l.detail.contains(x, y) }
func (l layout) inVerdict(x, y int) bool { return !l.shared && l.verdict.contains(x, y) }

func (m *Model) resize(w, h int) {
	m.width, m.height = w, h
	m.lay = computeLayout(w, h)
	if m.lay.tooSmall {
		return
	}
	if m.barExtra > 0 && !computeLayout(w, h-m.barExtra).tooSmall {
		// A long filter error takes lines above the bar: the panes give them up.
		m.lay = computeLayout(w, h-m.barExtra)
		m.lay.barY, m.lay.statusY = h-2, h-1
	}
	m.table.SetSize(m.lay.table.w, m.lay.table.h)
	m.pv.SetSize(m.lay.table.w, m.lay.table.h)
	m.detail.SetSize(m.lay.detail.w, m.lay.detail.h)
	m.verdict.SetSize(m.lay.verdict.w, m.lay.verdict.h)
	if m.verdictZoom {
		m.verdict.SetSize(w, h-2)
	}
	m.bar.SetSize(w)
	m.layoutPrompt()
	m.sv.SetSize(w, h-2)
	m.sv.refresh()
}

// View draws the screen from state prepared in Update: only the visible rows are
// rendered, from cached text.
//
// Bubble Tea asks for a frame after every message. In the program (Run), Update draws
// the frame and View gives it: while only records arrive (a followed file sends a
// batch, in slices, every few ms), the frame drawn less than frameEvery ago stands
// (feed.go), since drawing and diffing a full screen cost as much CPU as taking the
// records in, CPU a key then waits for on a busy machine.
func (m *Model) View() tea.View {
	if m.frameEvery > 0 && m.framed {
		return m.frame
	}
	return m.draw()
}

// draw renders the frame.
func (m *Model) draw() tea.View {
	defer trace.StartRegion(context.Background(), "view").End()
	v := tea.NewView(m.render())
	v.AltScreen = true
	v.MouseMode = tea.MouseModeCellMotion
	v.WindowTitle = "flowlens: " + m.src.Source
	return v
}

func (m *Model) render() string {
	if m.width == 0 {
		return "starting…"
	}
	if m.lay.tooSmall {
		msg := fmt.Sprintf("The terminal is too small: %dx%d.\nflowlens needs at least %dx%d.\n\n%s quits.", m.width, m.height, minWidth, minHeight, m.keys.Short(keymap.Quit))
		return lipgloss.Place(m.width, m.height, lipgloss.Center, lipgloss.Center, m.styles.Warn.Render(msg))
	}
	var main string
	if m.picker != nil {
		main = m.renderPicker(m.width, m.height-2)
		return main + "\n" + spaces(m.width) + "\n" + renderStatus(m.styles, m.statusInfo(), m.width)
	}
	switch m.overlay {
	case overlayHelp, overlayMalformed:
		main = m.renderOverlay(m.width, m.height-2)
	default:
		if m.mode == modeStats {
			main = m.sv.screen
			break
		}
		if m.zoomed() {
			main = m.verdict.Render(m.styles, true)
			break
		}
		focused := func(p pane) bool { return m.focus == p && !m.bar.active }
		var table string
		if m.mode == modePairs {
			table = m.pv.Render(m.styles, focused(paneTable), m.local, m.pairs.Len())
		} else {
			table = m.table.Render(m.styles, focused(paneTable), m.tableTitle(), m.ring.Len())
		}
		detail := m.detail.Render(m.styles, focused(paneDetail))
		verdict := m.verdict.Render(m.styles, focused(paneVerdict))
		switch {
		case m.lay.wide && m.lay.shared && m.focus == paneVerdict:
			main = joinColumns(table, verdict)
		case m.lay.wide && m.lay.shared:
			main = joinColumns(table, detail)
		case m.lay.wide:
			main = joinColumns(table, detail+"\n"+verdict)
		case m.lay.shared && m.focus == paneVerdict:
			main = table + "\n" + verdict
		case m.lay.shared:
			main = table + "\n" + detail
		default:
			main = table + "\n" + joinColumns(detail, verdict)
		}
	}
	bar := m.renderBar()
	if m.prompt != nil {
		bar = m.renderPrompt()
	}
	if extra := strings.Count(bar, "\n"); extra > m.barExtra {
		// Lines the panes did not give up (a terminal too short for both): the bar
		// covers their bottom.
		lines := strings.Split(main, "\n")
		main = strings.Join(lines[:max(0, len(lines)-(extra-m.barExtra))], "\n")
	}
	status := renderStatus(m.styles, m.statusInfo(), m.width)
	return main + "\n" + bar + "\n" + status
}

// renderBar draws the filter bar with the counts of the view on screen.
func (m *Model) renderBar() string {
	key := m.keys.Label(keymap.OpenFilter)
	if m.mode == modePairs {
		return m.bar.Render(m.styles, key, len(m.pv.rows), m.pairs.Len(), m.pv.match != nil, "conversations")
	}
	return m.bar.Render(m.styles, key, m.view.Len(), m.ring.Len(), m.view.Filtered(), "")
}

func (m *Model) tableTitle() string {
	title := "Flows"
	if sort := m.table.sortTitle(m.keys.Short(keymap.Resort)); sort != "" {
		return title + " · " + sort
	}
	if m.table.following && m.view.Len() > 0 {
		title += " · following"
	}
	return title
}

func (m *Model) statusInfo() statusInfo {
	return statusInfo{
		src:       m.src,
		held:      m.ring.Len(),
		capacity:  m.ring.Cap(),
		rate:      m.rate.rate(),
		dropped:   m.ring.Dropped() + m.srcDropped + m.trimmed,
		malformed: m.stats.Malformed,
		following: m.table.following || m.view.Len() == 0 || m.table.sorted(), // a frozen order says so in its title
		paused:    m.paused,
		local:     m.local,
		message:   m.message,
		msgError:  m.msgError,
		work:      m.progress(),

		followKey:    m.keys.Short(keymap.Bottom),
		malformedKey: m.keys.Short(keymap.Malformed),
		help:         m.help.ShortHelpView([]key.Binding{m.keys.Key(keymap.Help)}),
	}
}

// overlayLines are the lines of the overlay shown, built from the model (cheap: a few
// dozen); Update clamps the offset with their count, and drawing shows them from there.
func (m *Model) overlayLines() []string {
	switch m.overlay {
	case overlayHelp:
		return m.helpLines()
	case overlayMalformed:
		return m.malformedLines()
	}
	return nil
}

// overlayRows is how many lines of an overlay fit: the screen less the filter and status
// lines and the box's border.
func (m *Model) overlayRows() int { return m.height - 2 - 2 }

// renderOverlay draws the overlay shown.
func (m *Model) renderOverlay(w, h int) string {
	title := "Help"
	if m.overlay == overlayMalformed {
		title = "Malformed lines"
	}
	lines := m.overlayLines()
	return m.styles.box(title, m.keys.Short(keymap.Back)+" closes", lines[min(m.overlayOffset, len(lines)):], w, h, true)
}

// helpLines list the bindings in effect, generated from the keymap.
func (m *Model) helpLines() []string {
	s := m.styles
	var lines []string
	// A description longer than the line is wrapped under itself, not cut: on a
	// small terminal the help is where the keys must be readable. (The box's border
	// takes two columns, the indent three.)
	item := func(key string, keyW int, keyStyle lipgloss.Style, desc string) {
		k := padRight(key, keyW)
		for i, part := range wrap(desc, 0, max(16, m.width-2-3-keyW-1)) {
			if i > 0 {
				k = padRight("", keyW)
			}
			lines = append(lines, "   "+keyStyle.Render(k)+s.Text.Render(part))
		}
	}
	section := func(title string, c keymap.Context) {
		lines = append(lines, "", s.Header.Render(" "+title))
		for _, b := range m.keys.Help(c) {
			item(b.Help().Key, 16, s.Key, b.Help().Desc)
		}
	}
	section("Anywhere", keymap.Global)
	section("Moving, in the tables, the panes and here", keymap.Move)
	section("Flows table", keymap.Table)
	section("Conversations", keymap.Pairs)
	section("Both lists", keymap.Lists)
	section("Stats view", keymap.Stats)
	section("Filter bar", keymap.Filter)
	section("Path prompt (exports, the ticket, the queries)", keymap.Prompt)
	lines = append(lines, "", s.Header.Render(" Filter language")+s.Muted.Render("  (docs/filter.md has it all)"))
	for _, ex := range [][2]string{
		{"action=REJECT dstport=22", "terms side by side must all match"},
		{"src=10.0.0.0/8 dport=1024-65535", "CIDRs and port ranges"},
		{"proto=tcp  flags=syn  dport=ssh", "names for protocols, flags, services"},
		{"reject or (icmp and not egress)", "and, or, not / !, parentheses"},
		{"addr=X  port=X", "either side; bare words search the record"},
	} {
		item(ex[0], 34, s.Text, ex[1])
	}
	lines = append(lines, "", s.Muted.Render(" Keys can be rebound by action name in "+keymap.ConfigPath()))
	return lines
}

// malformedLines say why lines were rejected, with the first samples.
func (m *Model) malformedLines() []string {
	s := m.styles
	st := &m.stats
	var lines []string
	if st.Cleaned > 0 {
		lines = append(lines, "", s.Text.Render(fmt.Sprintf(" %s had text with control characters or invalid UTF-8: kept, the damage shown as \uFFFD.", counted(st.Cleaned, "record", "records"))))
	}
	if st.Malformed == 0 {
		lines = append(lines, "", s.Muted.Render(" No malformed lines so far."))
	} else {
		lines = append(lines, "", s.Text.Render(fmt.Sprintf(" %s malformed of %s lines read:", thousands(st.Malformed), thousands(st.Lines))))
		for r, n := range st.ByReason {
			if n > 0 {
				lines = append(lines, fmt.Sprintf("   %s  %s", padLeft(thousands(n), 10), model.Reason(r)))
			}
		}
		lines = append(lines, "", s.Header.Render(" First samples"))
		for _, smp := range st.Samples {
			lines = append(lines, "", " "+s.Warn.Render(smp.String()), "   "+s.Muted.Render(smp.Text))
		}
	}
	return lines
}
