package ui

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/flowlens/flowlens/model/decode"
	"github.com/flowlens/flowlens/model/stats"
)

// statsLayout is where the stats view puts the chart and the panels in its area.
type statsLayout struct {
	chart     rect // empty when a panel is expanded
	cells     []statsCell
	panelRows int // data rows of the tallest panel shown: how many rows a frame ranks
	zoomRows  int // data rows of the expanded panel
	// page says which rows of the grid of panels are shown, when not all fit
	page, pages int
}

type statsCell struct {
	panel stats.Panel
	rect  rect
}

// gridSlot is a panel in a row of the grid, span columns wide.
type gridSlot struct {
	panel stats.Panel
	span  int
}

const (
	statsColumnWidth = 50 // a panel narrower than this cuts its labels short
	minPanelHeight   = 7  // border, header and four rows
)

// layoutStats places the chart above a grid of panels: three columns on a wide terminal
// (the conversations, whose rows are two addresses, two columns wide), two or one on a
// narrower one. When the panels do not all fit under the chart, the rows of the grid
// that hold the focused panel are shown, a page at a time. An expanded panel takes the
// whole area.
func layoutStats(w, h int, zoom bool, focus int) statsLayout {
	var l statsLayout
	if w < 20 || h < 6 {
		return l
	}
	l.pages = 1
	if zoom {
		l.cells = []statsCell{{panelOrder[focus], rect{0, 0, w, h}}}
		l.zoomRows = max(1, h-3)
		l.panelRows = 1
		return l
	}
	bars := min(max(h/6, 3), 8)
	l.chart = rect{0, 0, w, bars + 3} // the border, the bars and the time axis
	cols := min(max(w/statsColumnWidth, 1), 3)
	var grid [][]gridSlot
	var row []gridSlot
	used, focusRow := 0, 0
	for i, p := range panelOrder {
		span := 1
		if p == stats.Conversations && cols == 3 {
			span = 2
		}
		if used+span > cols {
			grid = append(grid, row)
			row, used = nil, 0
		}
		if i == focus {
			focusRow = len(grid)
		}
		row = append(row, gridSlot{p, span})
		used += span
	}
	grid = append(grid, row)

	avail := h - l.chart.h
	fit := min(max(avail/minPanelHeight, 1), len(grid))
	l.pages = (len(grid) + fit - 1) / fit
	l.page = focusRow / fit
	first := l.page * fit
	shown := grid[first:min(first+fit, len(grid))]
	y := l.chart.h
	for r, row := range shown {
		ph := avail / fit
		if r < avail%fit {
			ph++ // the rows left over go to the first rows of panels
		}
		l.panelRows = max(l.panelRows, ph-3)
		x, spans := 0, 0
		for _, s := range row {
			spans += s.span
			pw := w*spans/cols - x
			l.cells = append(l.cells, statsCell{s.panel, rect{x, y, pw, ph}})
			x += pw
		}
		y += ph
	}
	return l
}

// statsDraw is what drawing the view needs from the root model besides the view.
type statsDraw struct {
	focused  bool // the view has the keys (the filter bar does not)
	local    bool // times in the local zone
	filtered bool
}

// draw renders the whole view into v.screen. It runs in Update, after every message, so
// View only returns the text: a few hundred cells styled, the same work whatever the
// number of records.
func (v *statsView) draw(s Styles, d statsDraw) {
	if v.width == 0 || len(v.lay.cells) == 0 {
		v.screen = ""
		return
	}
	var parts []string
	if v.lay.chart.h > 0 {
		parts = append(parts, v.drawChart(s, d))
	}
	// the panels, a row of the grid at a time
	var line []string
	rowY := -1
	flush := func() {
		if len(line) > 0 {
			joined := line[0]
			for _, l := range line[1:] {
				joined = joinColumns(joined, l)
			}
			parts = append(parts, joined)
		}
		line = line[:0]
	}
	for _, c := range v.lay.cells {
		if c.rect.y != rowY {
			flush()
			rowY = c.rect.y
		}
		line = append(line, v.drawPanel(s, d, c))
	}
	flush()
	v.screen = strings.Join(parts, "\n")
}

var panelTitles = [stats.NumPanels]string{
	stats.Sources:       "Top sources",
	stats.Destinations:  "Top destinations",
	stats.Ports:         "Top destination ports",
	stats.RejectedPorts: "Rejected destination ports",
	stats.Interfaces:    "Top interfaces",
	stats.Conversations: "Top conversations",
	stats.ScanPorts:     "Scan suspects: most ports",
	stats.ScanHosts:     "Scan suspects: most hosts",
}

var labelTitles = [stats.NumPanels]string{
	stats.Sources: "SOURCE", stats.Destinations: "DESTINATION", stats.Ports: "PORT", stats.RejectedPorts: "PORT",
	stats.Interfaces: "INTERFACE", stats.Conversations: "BETWEEN", stats.ScanPorts: "SOURCE", stats.ScanHosts: "SOURCE",
}

// statsCol is a number column of a panel.
type statsCol struct {
	title  string
	width  int
	metric stats.Metric // what it shows; Distinct for the scans' count
	human  bool         // bytes in binary units
}

const shareWidth = 6 // the share bar, in cells of eighths

// panelColumns are the number columns of panel p in iw cells, and the label's width: the
// flows, bytes and rejects of every row, the distinct count of a scan panel, the packets
// when they rank the rows (or the panel is expanded), and a share bar; the bar, then the
// packets, give way on a narrow panel.
func panelColumns(p stats.Panel, iw int, ranked stats.Metric, zoom bool) (cols []statsCol, labelW int, bar bool) {
	if p == stats.ScanPorts || p == stats.ScanHosts {
		title := "PORTS"
		if p == stats.ScanHosts {
			title = "HOSTS"
		}
		cols = append(cols, statsCol{title, 6, stats.Distinct, false})
	}
	cols = append(cols, statsCol{"FLOWS", 7, stats.Flows, false})
	if ranked == stats.Packets || zoom {
		cols = append(cols, statsCol{"PKTS", 7, stats.Packets, false})
	}
	cols = append(cols, statsCol{"BYTES", 8, stats.Bytes, true}, statsCol{"REJ", 6, stats.Rejects, false})
	width := func() int {
		n := 0
		for _, c := range cols {
			n += c.width + 1
		}
		if bar {
			n += shareWidth + 1
		}
		return n
	}
	bar = true
	const minLabel = 15
	if iw-width() < minLabel {
		bar = false
	}
	if iw-width() < minLabel && ranked != stats.Packets {
		for i, c := range cols {
			if c.metric == stats.Packets {
				cols = append(cols[:i], cols[i+1:]...)
				break
			}
		}
	}
	return cols, max(1, iw-width()), bar
}

// drawPanel draws one panel's box: a header row, then its rows, the selected one
// highlighted when the panel has the focus.
func (v *statsView) drawPanel(s Styles, d statsDraw, c statsCell) string {
	p := c.panel
	iw := c.rect.w - 2
	focused := d.focused && p == v.panel()
	ranked := v.frame.Metric
	if p == stats.ScanPorts || p == stats.ScanHosts {
		ranked = stats.Distinct
	}
	cols, labelW, bar := panelColumns(p, iw, v.frame.Metric, v.zoom)

	var hb strings.Builder
	hb.WriteString(padRight(labelTitles[p], labelW))
	for _, col := range cols {
		title := col.title
		if col.metric == ranked {
			title = "▾" + title // what the rows are ranked by
		}
		hb.WriteString(" " + padLeft(title, col.width))
	}
	if bar {
		hb.WriteString(" " + padRight("SHARE", shareWidth))
	}
	lines := []string{s.Header.Render(hb.String())}

	rows := v.rows(p)
	top, n := 0, c.rect.h-3
	if v.zoom {
		top = v.zoomTop
	}
	var denom uint64
	switch {
	case ranked == stats.Distinct && len(rows) > 0:
		denom = rows[0].Distinct // the scans: against the first suspect
	default:
		denom = v.frame.Totals.Get(v.frame.Metric)
	}
	for i := top; i < len(rows) && i < top+n; i++ {
		lines = append(lines, v.drawRow(s, p, &rows[i], cols, labelW, bar, denom, ranked, focused && i == v.sel[p]))
	}
	if len(rows) == 0 {
		msg := "  nothing counted yet"
		switch {
		case v.tr != nil && v.tr.Pending() > 0:
			msg = "  counting…"
		case d.filtered:
			msg = "  no record of the filter"
		case p == stats.RejectedPorts:
			msg = "  no REJECT records"
		case p == stats.ScanPorts || p == stats.ScanHosts:
			msg = "  no requests from any source"
		}
		lines = append(lines, s.Muted.Render(msg))
	}
	right := fmt.Sprintf("%s of %s", thousands(min(len(rows), n)), thousands(v.frame.Groups[p]))
	if v.zoom && len(rows) > 0 {
		right = fmt.Sprintf("rows %s-%s of %s", thousands(top+1), thousands(min(top+n, len(rows))), thousands(v.frame.Groups[p]))
	}
	if v.lay.pages > 1 && !v.zoom {
		right += fmt.Sprintf(" · page %d/%d", v.lay.page+1, v.lay.pages)
	}
	return s.box(panelTitles[p], right, lines, c.rect.w, c.rect.h, focused)
}

// drawRow draws one row: its label (and the names flowlens knows), its counts and its
// share of the total.
func (v *statsView) drawRow(s Styles, p stats.Panel, r *stats.PanelRow, cols []statsCol, labelW int, bar bool, denom uint64, ranked stats.Metric, selected bool) string {
	label, names := v.rowLabel(p, r)
	if p == stats.Interfaces {
		// The end of an ID tells interfaces apart; a name known says more than the rest.
		switch {
		case names != "":
			label = shortID(label, min(13, labelW))
		case len(label) > labelW:
			label = shortID(label, labelW)
		}
	}
	var nums []string
	for _, c := range cols {
		var text string
		switch {
		case c.human:
			text = humanBytes(r.Get(c.metric))
		default:
			text = compact(r.Get(c.metric))
		}
		nums = append(nums, padLeft(text, c.width))
	}
	share := ""
	if bar {
		share = shareBar(r.Get(ranked), denom, shareWidth)
	}
	if selected {
		plain := label
		if names != "" {
			plain += " " + names
		}
		line := padRight(plain, labelW)
		for _, n := range nums {
			line += " " + n
		}
		if bar {
			line += " " + share
		}
		return s.Selected.Render(line)
	}
	styled := s.Text.Render(label)
	if names != "" {
		styled += " " + s.Muted.Render(names)
	}
	var b strings.Builder
	b.WriteString(fit(styled, labelW))
	for i, c := range cols {
		b.WriteByte(' ')
		switch {
		case c.metric == stats.Rejects && r.Rejects > 0:
			b.WriteString(s.Reject.Render(nums[i]))
		case c.metric == ranked:
			b.WriteString(s.Value.Render(nums[i]))
		default:
			b.WriteString(s.Muted.Render(nums[i]))
		}
	}
	if bar {
		style := s.Key
		if p == stats.RejectedPorts || ranked == stats.Rejects {
			style = s.Reject
		}
		b.WriteString(" " + style.Render(share))
	}
	return b.String()
}

// rowLabel is what identifies a row, and the names of what it identifies when known.
func (v *statsView) rowLabel(p stats.Panel, r *stats.PanelRow) (label, names string) {
	switch p {
	case stats.Ports, stats.RejectedPorts:
		switch {
		case !r.HasProtocol:
			return strconv.Itoa(int(r.Port)), ""
		case r.Port == 0 && r.Protocol != decode.ProtoTCP && r.Protocol != decode.ProtoUDP && r.Protocol != 132: // SCTP
			return protoName(r.Protocol), "" // ICMP and the others without ports log 0
		}
		label = strconv.Itoa(int(r.Port)) + "/" + protoName(r.Protocol)
		if svc, ok := decode.Service(r.Protocol, r.Port); ok {
			names = svc
		}
		return label, names
	case stats.Interfaces:
		id := r.Interface.String()
		if v.names != nil {
			names = v.names.Interface(id)
		}
		return id, names
	case stats.Conversations:
		a, b := r.Addr.String(), r.Peer.String()
		if v.names != nil {
			if n := v.names.Addr(r.Addr); n != "" {
				a += " (" + n + ")"
			}
			if n := v.names.Addr(r.Peer); n != "" {
				b += " (" + n + ")"
			}
		}
		return a + " ↔ " + b, ""
	}
	if v.names != nil {
		names = v.names.Addr(r.Addr)
	}
	return r.Addr.String(), names
}

// compact writes a count in at most 7 cells: 12,345, 123k, 1.2M.
func compact(n uint64) string {
	switch {
	case n < 100_000:
		return thousands(n)
	case n < 10_000_000:
		return strconv.FormatUint(n/1000, 10) + "k"
	case n < 10_000_000_000:
		return strconv.FormatFloat(float64(n)/1e6, 'f', 1, 64) + "M"
	}
	return strconv.FormatUint(n/1_000_000_000, 10) + "G"
}

// eighths are the left-aligned horizontal blocks of one to seven eighths of a cell.
var eighths = []string{"▏", "▎", "▍", "▌", "▋", "▊", "▉"}

// shareBar draws v/total as a bar w cells wide, in eighths of a cell; a share too small
// to draw still shows its first eighth.
func shareBar(v, total uint64, w int) string {
	if total == 0 || v == 0 {
		return strings.Repeat(" ", w)
	}
	n := int(min(v, total) * uint64(w*8) / total)
	n = max(n, 1)
	var b strings.Builder
	b.WriteString(strings.Repeat("█", n/8))
	if r := n % 8; r > 0 {
		b.WriteString(eighths[r-1])
	}
	if pad := w - n/8 - min(1, n%8); pad > 0 {
		b.WriteString(strings.Repeat(" ", pad))
	}
	return b.String()
}
