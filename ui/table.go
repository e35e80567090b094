package ui

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/decode"
	"github.com/flowlens/flowlens/model/output"
	"github.com/flowlens/flowlens/model/ring"
)

// flowTable is the virtualized table of flows: it renders only the rows on screen, so a
// frame costs the same with ten records or a million. Each row's text is cached by
// sequence number until the layout or the time zone changes; the cache is filled in
// Update (prepare), so drawing only reads it.
//
// The rows are the view's (the filter's matches, in the order they arrived) or, when
// sorted, a frozen order of them (sort.go): records that arrive meanwhile are counted,
// not inserted, until the user asks for a re-sort. Records are read through record
// (one place, by Seq) and the rows through seqAt and length.
type flowTable struct {
	view *ring.View
	ring *ring.Ring

	sel       int      // index of the selected row
	selSeq    ring.Seq // the selected record, to find it again after a refilter
	top       int      // index of the first row on screen
	following bool     // keep the selection on the newest row as records arrive

	width, height int // outer size, border included
	local         bool
	cols          []column
	cache         map[ring.Seq]rowText

	names *nameCache
	// named: the optional columns laid out. A name column joins once a row on screen
	// had a name for it, FLAGS and DIR once a format seen has tcp-flags or
	// flow-direction (the default format has neither: two columns always empty would
	// push out packets). Sticky: the columns do not come and go as the rows scroll by.
	named optionalCols

	sortBy sortSpec     // the order asked for; arrival order when !sortBy.on
	order  *frozenOrder // the sorted rows, nil in arrival order
	job    *sortJob     // a sort under way
	gen    int          // numbers sorts, so that a late one that was replaced is dropped
}

// rowText is a row cut in three, so the action can be coloured without re-rendering.
type rowText struct{ pre, action, post string }

// colID names a column, for sorting and for the columns that names widen.
type colID uint8

const (
	colTime colID = iota
	colInterface
	colInterfaceName
	colSource
	colSourceName
	colArrow
	colDest
	colDestName
	colProto
	colService
	colAction
	colPackets
	colBytes
	colFlags
	colDir
)

type column struct {
	id    colID
	title string
	width int
	right bool
	drop  int // when the pane is narrow, columns go in decreasing order of this; 0 stays
	cell  func(t *flowTable, r *model.Flow) string
	// name columns (a host's or an interface's name beside its address or ID) are laid
	// out only when names are known, shrink to minW before they go, and take room to
	// spare up to maxW
	name       bool
	minW, maxW int
}

// allColumns are the table's columns in order; the action column is special-cased.
var allColumns = []column{
	{id: colTime, title: "TIME", width: 8, cell: func(t *flowTable, r *model.Flow) string { return clock(r.Start, r.Has(model.FStart), t.local) }},
	{id: colInterface, title: "INTERFACE", width: 13, drop: 3, cell: func(_ *flowTable, r *model.Flow) string { return shortID(sym(r, model.FInterfaceID), 13) }},
	{id: colInterfaceName, width: 10, drop: 6, name: true, minW: 6, maxW: 16, cell: func(t *flowTable, r *model.Flow) string { return t.names.iface(r.Interface) }},
	{id: colSource, title: "SOURCE", width: 21, cell: func(_ *flowTable, r *model.Flow) string { return endpoint(r, model.FSrcAddr, model.FSrcPort) }},
	{id: colSourceName, width: 12, drop: 4, name: true, minW: 6, maxW: 20, cell: func(t *flowTable, r *model.Flow) string { return t.addrName(r, model.FSrcAddr) }},
	{id: colArrow, width: 1, cell: func(*flowTable, *model.Flow) string { return "→" }},
	{id: colDest, title: "DESTINATION", width: 21, cell: func(_ *flowTable, r *model.Flow) string { return endpoint(r, model.FDstAddr, model.FDstPort) }},
	{id: colDestName, width: 12, drop: 4, name: true, minW: 6, maxW: 20, cell: func(t *flowTable, r *model.Flow) string { return t.addrName(r, model.FDstAddr) }},
	{id: colProto, title: "PROTO", width: 5, drop: 1, cell: func(_ *flowTable, r *model.Flow) string { return protoLabel(r) }},
	{id: colService, title: "SERVICE", width: 10, drop: 9, cell: func(_ *flowTable, r *model.Flow) string { return output.ServiceOf(r) }},
	{id: colAction, title: "ACTION", width: 6},
	{id: colPackets, title: "PKTS", width: 5, right: true, drop: 7, cell: func(_ *flowTable, r *model.Flow) string { return number(r, model.FPackets) }},
	{id: colBytes, title: "BYTES", width: 8, right: true, drop: 2, cell: func(_ *flowTable, r *model.Flow) string { return bytesCell(r) }},
	{id: colFlags, title: "FLAGS", width: 11, drop: 5, cell: func(_ *flowTable, r *model.Flow) string { return flags(r) }},
	{id: colDir, title: "DIR", width: 3, drop: 8, cell: func(_ *flowTable, r *model.Flow) string { return dirCell(r) }},
}

// maxDrop is the highest drop rank in allColumns.
const maxDrop = 9

// gutter is the width of the column before the rows that holds selMark.
const gutter = 1

func newFlowTable(v *ring.View, r *ring.Ring, names Names) *flowTable {
	return &flowTable{view: v, ring: r, following: true, cache: map[ring.Seq]rowText{}, names: newNameCache(names)}
}

// record is the record with Seq s, nil when the ring no longer holds it: the one place
// the table reads the ring.
func (t *flowTable) record(s ring.Seq) *model.Flow { return t.ring.At(s) }

// length is the number of rows: the view's, or the frozen order's.
func (t *flowTable) length() int {
	if t.order != nil {
		return len(t.order.seqs)
	}
	return t.view.Len()
}

// seqAt is the Seq of row i.
func (t *flowTable) seqAt(i int) ring.Seq {
	if t.order != nil {
		return t.order.seqs[i]
	}
	return t.view.At(i)
}

// indexOf is the row of the record with Seq s, and whether it is listed: in arrival
// order, the row at or after it.
func (t *flowTable) indexOf(s ring.Seq) (int, bool) {
	if t.order == nil {
		return t.view.Index(s)
	}
	i := slices.Index(t.order.seqs, s)
	return max(i, 0), i >= 0
}

func (t *flowTable) addrName(r *model.Flow, f model.Field) string {
	a, ok := r.Addr(f)
	if !ok {
		return ""
	}
	return t.names.addr(a)
}

// SetSize lays the columns out for the width, dropping the least needed ones first.
func (t *flowTable) SetSize(w, h int) {
	if w == t.width && h == t.height && t.cols != nil {
		return
	}
	t.width, t.height = w, h
	t.cols = layoutColumns(w-3-gutter, t.named) // borders, the scrollbar and the gutter
	t.invalidate()
	t.clampScroll()
}

// layoutColumns fits the columns into inner cells: the least needed go first (a name
// column shrinks to its minimum before it goes), the addresses give way before the
// action does, and room to spare goes to the names, then to the addresses.
func layoutColumns(inner int, named optionalCols) []column {
	cols := make([]column, 0, len(allColumns))
	for _, c := range allColumns {
		if !named.optional(c.id) || named.has(c.id) {
			cols = append(cols, c)
		}
	}
	for rank := maxDrop; rank > 0 && tableWidth(cols) > inner; rank-- {
		for over := tableWidth(cols) - inner; over > 0; over = tableWidth(cols) - inner {
			shrunk := false
			for i := range cols {
				if cols[i].name && cols[i].drop == rank && cols[i].width > cols[i].minW && over > 0 {
					cols[i].width--
					over--
					shrunk = true
				}
			}
			if !shrunk {
				break
			}
		}
		if tableWidth(cols) <= inner {
			break
		}
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
			if (cols[i].id == colSource || cols[i].id == colDest) && cols[i].width > 15 && tableWidth(cols) > inner {
				cols[i].width--
				shrunk = true
			}
		}
		if !shrunk {
			break
		}
	}
	// Room to spare goes to the names, then to the addresses, so IPv6 endpoints are
	// not cut.
	for grown := true; grown && tableWidth(cols) < inner; {
		grown = false
		for i := range cols {
			if cols[i].name && cols[i].width < cols[i].maxW && tableWidth(cols) < inner {
				cols[i].width++
				grown = true
			}
		}
	}
	if extra := inner - tableWidth(cols); extra > 1 {
		for i := range cols {
			if cols[i].id == colSource || cols[i].id == colDest {
				cols[i].width += min(extra/2, 20)
			}
		}
	}
	return cols
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

// refreshNames asks the lookup again for the names shown, and lays the table out again
// when names became known (or all were forgotten); the rows are drawn again when a
// name changed. Called once a second: a lookup learns names as live rules and AWS's
// ranges arrive.
func (t *flowTable) refreshNames() {
	if t.names.refresh() {
		t.invalidate()
	}
}

// rows is the number of table rows on screen (border and header excluded).
func (t *flowTable) rows() int { return max(1, t.height-3) }

// Len is the number of rows.
func (t *flowTable) Len() int { return t.length() }

// Selected returns the selected record, or nil.
func (t *flowTable) Selected() (*model.Flow, ring.Seq) {
	if t.length() == 0 {
		return nil, 0
	}
	seq := t.seqAt(t.sel)
	return t.record(seq), seq
}

// afterAppend keeps the selection where the user left it, or on the newest row when
// following. A frozen order takes in no new row; it forgets those the ring dropped.
func (t *flowTable) afterAppend() {
	if t.order != nil {
		t.dropGone()
		return
	}
	n := t.length()
	if n == 0 {
		t.sel, t.top = 0, 0
		return
	}
	if t.following {
		t.sel = n - 1
	} else if i, _ := t.indexOf(t.selSeq); i < n {
		t.sel = i // records before it may have been dropped
	} else {
		t.sel = n - 1
	}
	t.selSeq = t.seqAt(t.sel)
	t.clampScroll()
}

// afterRefilter puts the selection on the same record if it still matches, else on the
// nearest one after it. A sorted table sorts the new matches the same way.
func (t *flowTable) afterRefilter() {
	if t.sortBy.on {
		t.order = nil
		t.startSort(t.sortBy, true)
	}
	n := t.length()
	if n == 0 {
		t.sel, t.top = 0, 0
		return
	}
	if t.following {
		t.sel = n - 1
	} else {
		i, _ := t.indexOf(t.selSeq)
		t.sel = min(i, n-1)
	}
	t.selSeq = t.seqAt(t.sel)
	t.top = t.sel - t.rows()/2
	t.clampScroll()
}

// move shifts the selection by delta rows; moving up stops following the tail.
func (t *flowTable) move(delta int) {
	n := t.length()
	if n == 0 {
		return
	}
	t.sel = min(max(t.sel+delta, 0), n-1)
	t.following = delta > 0 && t.sel == n-1 && t.following
	t.selSeq = t.seqAt(t.sel)
	t.clampScroll()
}

func (t *flowTable) page() int { return max(1, t.rows()-1) }

func (t *flowTable) toTop() {
	t.following = false
	t.sel, t.top = 0, 0
	if t.length() > 0 {
		t.selSeq = t.seqAt(0)
	}
}

// toBottom selects the last row and follows new ones; in a frozen order, where no row
// is new, it selects the last.
func (t *flowTable) toBottom() {
	if t.order != nil {
		t.move(t.length())
		return
	}
	t.following = true
	t.afterAppend()
}

// selectRow selects the row on screen line i (0 is the first row under the header).
func (t *flowTable) selectRow(i int) {
	if idx := t.top + i; idx >= 0 && idx < t.length() {
		t.sel = idx
		t.following = false
		t.selSeq = t.seqAt(idx)
	}
}

// selectSeq selects the record with Seq s if the table lists it.
func (t *flowTable) selectSeq(s ring.Seq) bool {
	i, ok := t.indexOf(s)
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
	n := t.length()
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
	end := min(t.top+rows, t.length())
	if len(t.cache) > 4*rows {
		kept := make(map[ring.Seq]rowText, 2*rows)
		for idx := t.top; idx < end; idx++ {
			if rt, ok := t.cache[t.seqAt(idx)]; ok {
				kept[t.seqAt(idx)] = rt
			}
		}
		t.cache = kept
	}
	for idx := t.top; idx < end; idx++ {
		if seq := t.seqAt(idx); !hasRow(t.cache, seq) {
			if r := t.record(seq); t.learnNames(r) {
				// A name column joins the layout: the rows are drawn again.
				t.cols = layoutColumns(t.width-3-gutter, t.named)
				t.invalidate()
				t.prepare()
				return
			}
			t.cache[seq] = t.rowText(t.record(seq))
		}
	}
}

// optionalCols says which optional columns the table lays out: the names, and the
// fields not every format has.
type optionalCols struct{ iface, src, dst, flags, dir bool }

func (n optionalCols) has(c colID) bool {
	switch c {
	case colInterfaceName:
		return n.iface
	case colSourceName:
		return n.src
	case colDestName:
		return n.dst
	case colFlags:
		return n.flags
	case colDir:
		return n.dir
	}
	return false
}

// optional reports whether column c is laid out only when has says so.
func (optionalCols) optional(c colID) bool {
	switch c {
	case colInterfaceName, colSourceName, colDestName, colFlags, colDir:
		return true
	}
	return false
}

// learnFormat lays out the columns of the fields f has that no format seen before had;
// it reports whether one joined.
func (t *flowTable) learnFormat(f *model.Format) bool {
	if f == nil {
		return false
	}
	before := t.named
	t.named.flags = t.named.flags || f.Has(model.FTCPFlags)
	t.named.dir = t.named.dir || f.Has(model.FFlowDirection)
	if t.named == before || t.width == 0 {
		return false
	}
	t.cols = layoutColumns(t.width-3-gutter, t.named)
	t.invalidate()
	return true
}

// learnNames notes the name columns r has a name for; it reports whether one was new.
// The lookups are the cache's, which the row's cells ask next anyway.
func (t *flowTable) learnNames(r *model.Flow) bool {
	if t.names.names == nil || t.named.iface && t.named.src && t.named.dst || !r.IsData() {
		return false
	}
	before := t.named
	if !t.named.iface && t.names.iface(r.Interface) != "" {
		t.named.iface = true
	}
	if !t.named.src && t.addrName(r, model.FSrcAddr) != "" {
		t.named.src = true
	}
	if !t.named.dst && t.addrName(r, model.FDstAddr) != "" {
		t.named.dst = true
	}
	return t.named != before && t.width > 0
}

func hasRow(cache map[ring.Seq]rowText, seq ring.Seq) bool {
	_, ok := cache[seq]
	return ok
}

// Render draws the pane from the rows prepared in Update.
func (t *flowTable) Render(s Styles, focused bool, title string, total int) string {
	rows := t.rows()
	n := t.length()
	lines := make([]string, 0, rows+1)
	lines = append(lines, s.Header.Render(spaces(gutter)+t.header()))
	thumbStart, thumbLen := scrollThumb(n, t.top, rows)
	for i := 0; i < rows; i++ {
		idx := t.top + i
		var line string
		if idx < n {
			line = t.renderRow(s, idx, idx == t.sel)
		} else {
			line = strings.Repeat(" ", gutter+tableWidth(t.cols))
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
		if n == 1 {
			right = "row 1 of 1"
		}
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

// header writes the column titles; the sorted column's carries ▲ (ascending) or ▼,
// before a right-aligned title and after a left-aligned one, within the column (a
// title as wide as its column gives up its last letter: PROT▲).
func (t *flowTable) header() string {
	var b strings.Builder
	for _, c := range t.cols {
		title := c.title
		if t.sortBy.on && c.id == t.sortBy.col {
			arrow := "▲"
			if t.sortBy.desc {
				arrow = "▼"
			}
			if ansi.StringWidth(title)+1 > c.width {
				title = ansi.Truncate(title, c.width-1, "")
			}
			if c.right {
				title = arrow + title
			} else {
				title += arrow
			}
		}
		if c.right {
			b.WriteString(padLeft(title, c.width))
		} else {
			b.WriteString(padRight(title, c.width))
		}
		b.WriteByte(' ')
	}
	return b.String()
}

// renderRow draws row idx after its mark: selMark for the selected row, which reverse
// video also marks; a REJECT keeps its colour and weight there.
func (t *flowTable) renderRow(s Styles, idx int, selected bool) string {
	seq := t.seqAt(idx)
	rt, ok := t.cache[seq]
	if !ok {
		rt = t.rowText(t.record(seq)) // not prepared (a test drawing directly): not kept
	}
	reject := strings.TrimSpace(rt.action) == "REJECT"
	if selected {
		action := s.Selected.Render(rt.action)
		if reject {
			action = s.SelectedReject.Render(rt.action)
		}
		return s.Key.Render(selMark) + s.Selected.Render(rt.pre) + action + s.Selected.Render(rt.post)
	}
	action := rt.action
	switch {
	case reject:
		action = s.Reject.Render(action)
	case strings.TrimSpace(action) == "-":
		action = s.Muted.Render(action)
	}
	return spaces(gutter) + s.Text.Render(rt.pre) + action + s.Text.Render(rt.post)
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
			if c.id == colSource {
				break
			}
			if c.cell != nil {
				pre.WriteString(padRight(c.cell(t, r), c.width) + " ")
			}
		}
		return rowText{pre: pre.String() + r.Status.String() + ": " + decode.LogStatusMeaning(r.Status.String())}
	}
	for _, c := range t.cols {
		if c.id == colAction {
			action = padRight(r.Action.String(), c.width) + " "
			cur = &post
			continue
		}
		v := c.cell(t, r)
		if c.right {
			cur.WriteString(padLeft(v, c.width))
		} else {
			cur.WriteString(padRight(v, c.width))
		}
		cur.WriteByte(' ')
	}
	return rowText{pre: pre.String(), action: action, post: post.String()}
}

// localZone is the zone "local time" shows: the machine's. A variable so that a test
// can show another without writing time.Local, which every timer's goroutine reads.
var localZone = time.Local

// shownZone is the zone times are shown and read in: UTC, or local after t or
// --local-time.
func shownZone(local bool) *time.Location {
	if local {
		return localZone
	}
	return time.UTC
}

func clock(sec uint32, ok, local bool) string {
	if !ok {
		return "-"
	}
	return time.Unix(int64(sec), 0).In(shownZone(local)).Format("15:04:05") // the date is in the detail pane; rows are mostly one day
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
