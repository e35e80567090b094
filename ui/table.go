package ui

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/decode"
	"github.com/flowlens/flowlens/model/output"
	"github.com/flowlens/flowlens/model/ring"
)

// flowTable is the virtualized table of flows: it renders only the rows on screen, so a
// frame costs the same with ten records or a million. Each row's text is cached by
// sequence number until the layout or the time zone changes; the cache is filled in
// Update (prepare), so drawing only reads it.
type flowTable struct {
	view *ring.View

	sel       int      // index of the selected row in the view
	selSeq    ring.Seq // the selected record, to find it again after a refilter
	top       int      // index of the first row on screen
	following bool     // keep the selection on the newest row as records arrive

	width, height int // outer size, border included
	local         bool
	cols          []column
	cache         map[ring.Seq]rowText
}

// rowText is a row cut in three, so the action can be coloured without re-rendering.
type rowText struct{ pre, action, post string }

type column struct {
	title string
	width int
	right bool
	drop  int // when the pane is narrow, columns go in decreasing order of this; 0 stays
	cell  func(r *model.Flow, local bool) string
}

// allColumns are the table's columns in order; the action column is special-cased.
var allColumns = []column{
	{"TIME", 8, false, 0, func(r *model.Flow, local bool) string { return clock(r.Start, r.Has(model.FStart), local) }},
	{"INTERFACE", 13, false, 3, func(r *model.Flow, _ bool) string { return shortID(sym(r, model.FInterfaceID), 13) }},
	{"SOURCE", 21, false, 0, func(r *model.Flow, _ bool) string { return endpoint(r, model.FSrcAddr, model.FSrcPort) }},
	{"", 1, false, 0, func(r *model.Flow, _ bool) string { return "→" }},
	{"DESTINATION", 21, false, 0, func(r *model.Flow, _ bool) string { return endpoint(r, model.FDstAddr, model.FDstPort) }},
	{"PROTO", 5, false, 1, func(r *model.Flow, _ bool) string { return protoLabel(r) }},
	{"SERVICE", 10, false, 7, func(r *model.Flow, _ bool) string { return output.ServiceOf(r) }},
	{"ACTION", 6, false, 0, nil},
	{"PKTS", 5, true, 5, func(r *model.Flow, _ bool) string { return number(r, model.FPackets) }},
	{"BYTES", 8, true, 2, func(r *model.Flow, _ bool) string { return bytesCell(r) }},
	{"FLAGS", 11, false, 4, func(r *model.Flow, _ bool) string { return flags(r) }},
	{"DIR", 3, false, 6, func(r *model.Flow, _ bool) string { return dirCell(r) }},
}

func newFlowTable(v *ring.View) *flowTable {
	return &flowTable{view: v, following: true, cache: map[ring.Seq]rowText{}}
}

// SetSize lays the columns out for the width, dropping the least needed ones first.
func (t *flowTable) SetSize(w, h int) {
	if w == t.width && h == t.height && t.cols != nil {
		return
	}
	t.width, t.height = w, h
	inner := w - 3 // borders and the scrollbar
	cols := append([]column(nil), allColumns...)
	for rank := 7; rank > 0 && tableWidth(cols) > inner; rank-- {
		kept := cols[:0]
		for _, c := range cols {
			if c.drop != rank {
				kept = append(kept, c)
			}
		}
		cols = kept
	}
	// Still too wide (a terminal near the minimum width): the addresses give way before
	// the action does; an IPv4 address and port fit in 15 cells with a short port.
	for tableWidth(cols) > inner {
		shrunk := false
		for i := range cols {
			if (cols[i].title == "SOURCE" || cols[i].title == "DESTINATION") && cols[i].width > 15 && tableWidth(cols) > inner {
				cols[i].width--
				shrunk = true
			}
		}
		if !shrunk {
			break
		}
	}
	// Room to spare goes to the addresses, so IPv6 endpoints are not cut.
	if extra := inner - tableWidth(cols); extra > 1 {
		for i := range cols {
			if cols[i].title == "SOURCE" || cols[i].title == "DESTINATION" {
				cols[i].width += min(extra/2, 20)
			}
		}
	}
	t.cols = cols
	t.invalidate()
	t.clampScroll()
}

func tableWidth(cols []column) int {
	n := 0
	for _, c := range cols {
		n += c.width + 1
	}
	return n
}

func (t *flowTable) invalidate() { clear(t.cache) }

func (t *flowTable) setLocal(local bool) {
	t.local = local
	t.invalidate()
}

// rows is the number of table rows on screen (border and header excluded).
func (t *flowTable) rows() int { return max(1, t.height-3) }

// Len is the number of rows in the view.
func (t *flowTable) Len() int { return t.view.Len() }

// Selected returns the selected record, or nil.
func (t *flowTable) Selected() (*model.Flow, ring.Seq) {
	if t.view.Len() == 0 {
		return nil, 0
	}
	seq := t.view.At(t.sel)
	return t.view.Record(t.sel), seq
}

// afterAppend keeps the selection where the user left it, or on the newest row when
// following.
func (t *flowTable) afterAppend() {
	n := t.view.Len()
	if n == 0 {
		t.sel, t.top = 0, 0
		return
	}
	if t.following {
		t.sel = n - 1
	} else if i, _ := t.view.Index(t.selSeq); i < n {
		t.sel = i // records before it may have been dropped
	} else {
		t.sel = n - 1
	}
	t.selSeq = t.view.At(t.sel)
	t.clampScroll()
}

// afterRefilter puts the selection on the same record if it still matches, else on the
// nearest one after it.
func (t *flowTable) afterRefilter() {
	n := t.view.Len()
	if n == 0 {
		t.sel, t.top = 0, 0
		return
	}
	if t.following {
		t.sel = n - 1
	} else {
		i, _ := t.view.Index(t.selSeq)
		t.sel = min(i, n-1)
	}
	t.selSeq = t.view.At(t.sel)
	t.top = t.sel - t.rows()/2
	t.clampScroll()
}

// move shifts the selection by delta rows; moving up stops following the tail.
func (t *flowTable) move(delta int) {
	n := t.view.Len()
	if n == 0 {
		return
	}
	t.sel = min(max(t.sel+delta, 0), n-1)
	t.following = delta > 0 && t.sel == n-1 && t.following
	t.selSeq = t.view.At(t.sel)
	t.clampScroll()
}

func (t *flowTable) page() int { return max(1, t.rows()-1) }

func (t *flowTable) toTop() {
	t.following = false
	t.sel, t.top = 0, 0
	if t.view.Len() > 0 {
		t.selSeq = t.view.At(0)
	}
}

func (t *flowTable) toBottom() {
	t.following = true
	t.afterAppend()
}

// selectRow selects the row on screen line i (0 is the first row under the header).
func (t *flowTable) selectRow(i int) {
	if idx := t.top + i; idx >= 0 && idx < t.view.Len() {
		t.sel = idx
		t.following = false
		t.selSeq = t.view.At(idx)
	}
}

// selectSeq selects the record with Seq s if the view holds it.
func (t *flowTable) selectSeq(s ring.Seq) bool {
	i, ok := t.view.Index(s)
	if !ok {
		return false
	}
	t.sel, t.selSeq, t.following = i, s, false
	t.top = t.sel - t.rows()/2
	t.clampScroll()
	return true
}

func (t *flowTable) clampScroll() {
	rows := t.rows()
	n := t.view.Len()
	if t.sel < t.top {
		t.top = t.sel
	}
	if t.sel >= t.top+rows {
		t.top = t.sel - rows + 1
	}
	t.top = max(0, min(t.top, n-rows))
}

// prepare renders the rows on screen into the cache, after anything that changes what
// is visible. Rows that scrolled away are forgotten once they outnumber the visible ones
// a few times over, so the cache stays the size of a few screens however many records
// pass by.
func (t *flowTable) prepare() {
	rows := t.rows()
	end := min(t.top+rows, t.view.Len())
	if len(t.cache) > 4*rows {
		kept := make(map[ring.Seq]rowText, 2*rows)
		for idx := t.top; idx < end; idx++ {
			if rt, ok := t.cache[t.view.At(idx)]; ok {
				kept[t.view.At(idx)] = rt
			}
		}
		t.cache = kept
	}
	for idx := t.top; idx < end; idx++ {
		if seq := t.view.At(idx); !hasRow(t.cache, seq) {
			t.cache[seq] = t.rowText(t.view.Record(idx))
		}
	}
}

func hasRow(cache map[ring.Seq]rowText, seq ring.Seq) bool {
	_, ok := cache[seq]
	return ok
}

// Render draws the pane from the rows prepared in Update.
func (t *flowTable) Render(s Styles, focused bool, title string, total int) string {
	rows := t.rows()
	n := t.view.Len()
	lines := make([]string, 0, rows+1)
	lines = append(lines, s.Header.Render(t.header()))
	thumbStart, thumbLen := scrollThumb(n, t.top, rows)
	for i := 0; i < rows; i++ {
		idx := t.top + i
		var line string
		if idx < n {
			line = t.renderRow(s, idx, idx == t.sel)
		} else {
			line = strings.Repeat(" ", tableWidth(t.cols))
		}
		line = fit(line, t.width-3)
		switch {
		case n <= rows:
			line += " "
		case i >= thumbStart && i < thumbStart+thumbLen:
			line += s.ScrollBar.Render("┃")
		default:
			line += s.Scroll.Render("┆")
		}
		lines = append(lines, line)
	}
	right := ""
	if n > 0 {
		right = fmt.Sprintf("rows %s-%s of %s", thousands(t.top+1), thousands(min(t.top+rows, n)), thousands(n))
		if t.view.Filtered() {
			right += "/" + thousands(total)
		}
	}
	return s.box(title, right, lines, t.width, t.height, focused)
}

// scrollThumb places the scrollbar's thumb for n rows with top at the top of rows lines.
func scrollThumb(n, top, rows int) (start, length int) {
	if n <= rows || rows <= 0 {
		return 0, rows
	}
	length = max(1, rows*rows/n)
	start = top * (rows - length) / max(1, n-rows)
	return start, length
}

func (t *flowTable) header() string {
	var b strings.Builder
	for _, c := range t.cols {
		if c.right {
			b.WriteString(padLeft(c.title, c.width))
		} else {
			b.WriteString(padRight(c.title, c.width))
		}
		b.WriteByte(' ')
	}
	return b.String()
}

func (t *flowTable) renderRow(s Styles, idx int, selected bool) string {
	rt, ok := t.cache[t.view.At(idx)]
	if !ok {
		rt = t.rowText(t.view.Record(idx)) // not prepared (a test drawing directly): not kept
	}
	if selected {
		return s.Selected.Render(rt.pre + rt.action + rt.post)
	}
	action := rt.action
	switch strings.TrimSpace(action) {
	case "REJECT":
		action = s.Reject.Render(action)
	case "-":
		action = s.Muted.Render(action)
	}
	return s.Text.Render(rt.pre) + action + s.Text.Render(rt.post)
}

func (t *flowTable) rowText(r *model.Flow) rowText {
	var pre, post strings.Builder
	var action string
	cur := &pre
	if r == nil {
		return rowText{}
	}
	if !r.IsData() {
		for _, c := range t.cols {
			if c.title == "SOURCE" {
				break
			}
			if c.cell != nil {
				pre.WriteString(padRight(c.cell(r, t.local), c.width) + " ")
			}
		}
		return rowText{pre: pre.String() + r.Status.String() + ": " + decode.LogStatusMeaning(r.Status.String())}
	}
	for _, c := range t.cols {
		if c.cell == nil && c.title == "ACTION" {
			action = padRight(r.Action.String(), c.width) + " "
			cur = &post
			continue
		}
		v := c.cell(r, t.local)
		if c.right {
			cur.WriteString(padLeft(v, c.width))
		} else {
			cur.WriteString(padRight(v, c.width))
		}
		cur.WriteByte(' ')
	}
	return rowText{pre: pre.String(), action: action, post: post.String()}
}

func clock(sec uint32, ok, local bool) string {
	if !ok {
		return "-"
	}
	tm := time.Unix(int64(sec), 0)
	if !local {
		tm = tm.UTC()
	}
	return tm.Format("15:04:05") // the date is in the detail pane; rows are mostly one day
}

// shortID keeps the start and the end of a long ID ("eni-…c123456789"), the parts that
// tell interfaces apart. It counts characters, not bytes: a damaged ID holds U+FFFD.
func shortID(id string, w int) string {
	r := []rune(id)
	if len(r) <= w {
		return id
	}
	dash := slices.Index(r, '-')
	if dash < 0 || dash+2 > w {
		return string(r[:w-1]) + "…"
	}
	return string(r[:dash+1]) + "…" + string(r[len(r)-(w-dash-2):])
}

func sym(r *model.Flow, f model.Field) string {
	if !r.Has(f) {
		return "-"
	}
	return r.Sym(f).String()
}

func endpoint(r *model.Flow, a, p model.Field) string {
	return string(output.AppendEndpoint(nil, r, a, p))
}

func protoLabel(r *model.Flow) string {
	if !r.Has(model.FProtocol) {
		return "-"
	}
	return protoName(r.Protocol)
}

// protoName names a protocol number in a few cells: tcp, udp, icmp6 (IPv6-ICMP is long).
func protoName(p uint8) string {
	if p == 58 {
		return "icmp6"
	}
	return decode.ProtocolLabel(p)
}

// number writes a count compactly: 12345, 123k, 45M.
func number(r *model.Flow, f model.Field) string {
	v, ok := r.Uint(f)
	switch {
	case !ok:
		return "-"
	case v >= 100_000_000:
		return strconv.FormatUint(v/1_000_000, 10) + "M"
	case v >= 100_000:
		return strconv.FormatUint(v/1000, 10) + "k"
	}
	return strconv.FormatUint(v, 10)
}

func bytesCell(r *model.Flow) string {
	if !r.Has(model.FBytes) {
		return "-"
	}
	return string(output.HumanBytes(nil, r.Bytes))
}

func flags(r *model.Flow) string {
	if !r.Has(model.FTCPFlags) {
		return ""
	}
	return string(decode.AppendTCPFlags(nil, r.TCPFlags))
}

func dirCell(r *model.Flow) string {
	switch r.Direction {
	case model.Ingress:
		return "in"
	case model.Egress:
		return "out"
	}
	return ""
}

// thousands writes 1234567 as 1,234,567.
func thousands[T ~int | ~int64 | ~uint64](n T) string { return output.Thousands(int64(n)) }
