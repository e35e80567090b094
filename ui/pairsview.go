package ui

import (
	"cmp"
	"net/netip"
	"slices"
	"strings"

	"github.com/charmbracelet/x/ansi"

	tea "charm.land/bubbletea/v2"

	"github.com/flowlens/flowlens/model/pairs"
	"github.com/flowlens/flowlens/model/rules"
)

// pairsView lists conversations (a flow and its reverse on one interface) with their
// verdicts, in the order chosen (pairsort.go: the worst first until another is asked
// for), filtered with the same language plus verdict= and friends; or, collapsed, the
// groups of conversations that differ only by the initiator's port. The list is rebuilt
// when the filter or the order changes and at most once a second while records arrive,
// not on every batch, and then keeps its order (new conversations at the end) until the
// person asks for a re-sort. A rebuild is a job (see work.go): the pairs are listed and
// classified a bounded number per step on the update loop (judging is cached per pair,
// and the index changes with every batch), then sorted off it, and the rows on show
// stay until the new ones are ready.
type pairsView struct {
	rows          []pairRow
	spare         []pairRow // the rows before the last rebuild, for the next one to fill
	sel, top      int       // in rows, or in items when collapsed
	selKey        pairs.Key
	selGroup      uint64 // collapsed, a group's line selected: its hash; 0 otherwise
	width, height int
	match         func(*pairs.Pair, *pairs.Judgement) bool
	expr          string // the filter text of match
	dirty         bool
	build         *pairsBuild // the rebuild under way, nil when none
	gen           int         // numbers rebuilds, so a late sort of a replaced one is dropped
	opening       bool        // the view was just opened and has not been listed yet
	lent          bool        // rows are being exported: a rebuild must not reuse them
	names         Names

	order     pairOrder   // the order shown
	collapsed bool        // the groups are listed (PairsCollapse)
	ranks     *orderRanks // the order shown, by what it placed where: held while records arrive
	held      bool        // the order shown was held: the rows listed since are at the end
	added     int         // how many were put at the end since the order was made
	groups    []pairGroup // collapsed: the groups, in order; their rows are in rows
	items     []pairItem  // collapsed: the lines, groups and the members of expanded ones
	expanded  map[uint64]bool

	cols     []pairCol // the columns that fit, for the width and the mode
	colsFor  [3]int    // the width, mode and order the columns were laid out for
	onScreen []pairScreenRow
}

// pairScreenRow is what a line on screen shows, judged in Update (prepare): judging
// fills the index's cache, which drawing must not touch.
type pairScreenRow struct {
	j      pairs.Judgement
	joint  pairs.Verdict // the joint verdict with the other end; "" when none is in the data
	row    *pairRow
	group  *pairGroup // a group's line (collapsed); nil for a conversation
	member bool       // a conversation listed under its group
}

// pairItem is a line of the collapsed view: a group, or one of its conversations.
type pairItem struct {
	group int32
	row   int32 // -1: the group's own line
}

// pairRow is a conversation in the list: small, so that sorting hundreds of thousands
// of them moves little; its judgement is fetched (from the index's cache) when drawn.
// What the order reads is copied in when the row is made, so that a sort off the
// update loop reads only the row.
type pairRow struct {
	p *pairs.Pair
	orderKeys
	ini pairs.Side // the initiator's side, as classified
}

// orderKeys are what an order reads of a conversation or a group, copied, so that the
// sort runs off the update loop.
type orderKeys struct {
	value       uint64 // bytes, packets or records, by the order's column (a group: the sum)
	first, last uint32 // first and last seen
	sev, jsev   int8   // the verdict's severity, and the joint verdict's
}

// pairsBuild is a rebuild of the list under way: a walk over the index's table, a
// bounded number of slots at a time, keeping the pairs the filter matches.
type pairsBuild struct {
	match     func(*pairs.Pair, *pairs.Judgement) bool
	expr      string // the filter text, shown once the rows are
	slot      int    // the next slot of the index's table to walk
	slots     int    // the table's size when the walk started; a growth restarts it
	found     []*pairs.Pair
	rows      []pairRow
	sorting   bool // the walk is done and the rows are being sorted off the update loop
	gen       int
	shown     bool // the person is waiting for it (opening, a filter, a sort): progress shows
	order     pairOrder
	collapsed bool
	held      *orderRanks
	// link: each conversation is linked to its other end as it is listed, for the
	// order by both ends' verdict or a filter's joint-verdict term
	link bool
}

// startBuild begins a rebuild with match; one under way is replaced. A rebuild the
// person asked for (shown) makes the order afresh; the one a tick starts while records
// arrive holds the order shown.
func (v *pairsView) startBuild(ix *pairs.Index, match func(*pairs.Pair, *pairs.Judgement) bool, expr string, shown bool) {
	order, collapsed := v.order, v.collapsed
	if b := v.build; b != nil && b.shown {
		order, collapsed = b.order, b.collapsed // a re-sort asked for before the last one ended
	}
	v.startOrdered(ix, match, expr, shown, order, collapsed)
}

// startOrdered is startBuild in the given order and mode.
func (v *pairsView) startOrdered(ix *pairs.Index, match func(*pairs.Pair, *pairs.Judgement) bool, expr string, shown bool, order pairOrder, collapsed bool) {
	v.gen++
	v.dirty = false
	// The rows are allocated once, at the index's size: a slice grown by append while
	// the collector marks a few GB is charged assists and write barriers for every
	// copy (a 150-180 ms step at 5M records, measured).
	rows := v.spare[:0]
	v.spare = nil
	if cap(rows) < ix.Len() {
		rows = make([]pairRow, 0, ix.Len()+ix.Len()/8)
	}
	var held *orderRanks
	if !shown && order == v.order && collapsed == v.collapsed && v.ranks != nil {
		held = v.ranks
	}
	v.build = &pairsBuild{match: match, expr: expr, slots: ix.Slots(), rows: rows, gen: v.gen, shown: shown,
		order: order, collapsed: collapsed, held: held,
		link: order.col == sortJoint || match != nil && strings.Contains(strings.ToLower(expr), "joint")}
}

// pending is the order and mode the view is going to: the rebuild's the person asked
// for, or the one shown.
func (v *pairsView) pending() (pairOrder, bool) {
	if b := v.build; b != nil && b.shown {
		return b.order, b.collapsed
	}
	return v.order, v.collapsed
}

// step lists and classifies at most budget conversations of the rebuild under way, and
// when the walk is done returns the command that sorts the rows. It reports how many it
// classified.
func (v *pairsView) step(ix *pairs.Index, rs *rules.Set, budget int) (int, tea.Cmd) {
	b := v.build
	if b == nil || b.sorting {
		return 0, nil
	}
	if ix.Slots() != b.slots {
		// The table grew and moved every pair: start the walk again.
		b.slot, b.slots, b.rows = 0, ix.Slots(), b.rows[:0]
	}
	judged, cost := 0, 1
	if b.link {
		cost = 2 // linking classifies the other end too
	}
	for judged+cost <= budget && b.slot < b.slots {
		// A slot holds at most one pair: walking (budget-judged)/cost slots cannot
		// judge more.
		b.found, b.slot = ix.Walk(b.found[:0], b.slot, min((budget-judged)/cost, 1024))
		for _, p := range b.found {
			j := ix.Classify(p, rs)
			judged += cost
			if b.link {
				// Linking looks the other end up (a few lookups, classifications
				// cached): only when the order or the filter needs it.
				j.JointVerdict = ix.JointVerdict(p, rs)
			}
			if b.match != nil && !b.match(p, &j) {
				continue
			}
			b.rows = append(b.rows, b.rowOf(p, &j))
		}
	}
	if b.slot < b.slots {
		return judged, nil
	}
	b.sorting = true
	job := pairSortJob{rows: b.rows, gen: b.gen, order: b.order, collapsed: b.collapsed, held: b.held, selKey: v.selKey, selGroup: v.selGroup}
	return judged, job.run
}

// rowOf makes the row of p: what the order reads, copied.
func (b *pairsBuild) rowOf(p *pairs.Pair, j *pairs.Judgement) pairRow {
	r := pairRow{p: p, orderKeys: orderKeys{sev: int8(pairs.Severity(j.Verdict)), jsev: jointNotLinked}, ini: j.Initiator}
	if b.link {
		r.jsev = jointSeverity(j.JointVerdict)
	}
	r.first, r.last = firstSeen(p), lastSeen(p)
	d0, d1 := &p.Dirs[0], &p.Dirs[1]
	switch b.order.col {
	case sortBytes:
		r.value = d0.Bytes + d1.Bytes
	case sortPackets:
		r.value = d0.Packets + d1.Packets
	case sortCount:
		r.value = uint64(d0.Records) + uint64(d1.Records)
	}
	return r
}

// install shows the rows of the rebuild msg ends, unless another replaced it; it
// reports whether it did.
func (v *pairsView) install(msg pairsSortedMsg) bool {
	b := v.build
	if b == nil || msg.gen != b.gen {
		return false
	}
	v.build = nil
	v.opening = false
	v.match, v.expr = b.match, b.expr
	v.order, v.collapsed = b.order, b.collapsed
	v.spare, v.rows = v.rows, msg.rows
	v.groups, v.ranks = msg.groups, msg.ranks
	if msg.held {
		v.added += msg.added
	} else {
		v.added = 0
	}
	v.held = msg.held
	if v.lent {
		v.spare, v.lent = nil, false
	}
	if v.collapsed {
		v.buildItems()
		// Keep the selection on the same group, or on the same conversation in it.
		if msg.sel >= 0 {
			v.sel = v.itemOf(int32(msg.sel), int32(msg.member))
		}
	} else {
		v.items = nil
		if msg.sel >= 0 {
			v.sel = msg.sel
		}
	}
	v.sel = min(v.sel, max(0, v.lines()-1))
	v.clamp()
	return true
}

// buildItems lists the lines of the collapsed view: each group, and under the expanded
// ones their conversations.
func (v *pairsView) buildItems() {
	v.items = v.items[:0]
	for gi := range v.groups {
		g := &v.groups[gi]
		v.items = append(v.items, pairItem{group: int32(gi), row: -1})
		if v.expanded[g.hash] {
			for k := g.start; k < g.start+g.n; k++ {
				v.items = append(v.items, pairItem{group: int32(gi), row: k})
			}
		}
	}
}

// itemOf is the line of group gi, or of its conversation at row when the group is
// expanded. The lines are in group order, a group's members right after it.
func (v *pairsView) itemOf(gi, row int32) int {
	i, _ := slices.BinarySearchFunc(v.items, gi, func(it pairItem, gi int32) int { return cmp.Compare(it.group, gi) })
	if i >= len(v.items) {
		return 0
	}
	if g := &v.groups[gi]; row >= g.start && row < g.start+g.n && v.expanded[g.hash] {
		return i + 1 + int(row-g.start)
	}
	return i
}

// lines is how many lines the view lists: conversations, or groups and the members of
// the expanded ones.
func (v *pairsView) lines() int {
	if v.collapsed {
		return len(v.items)
	}
	return len(v.rows)
}

// toggleGroup expands the selected group or folds it again; it reports whether a
// group's line was selected (on a conversation's line, enter opens its records).
func (v *pairsView) toggleGroup() bool {
	if !v.onGroupLine() {
		return false // a conversation's line: enter opens its records
	}
	it := v.items[v.sel]
	g := &v.groups[it.group]
	if v.expanded == nil {
		v.expanded = map[uint64]bool{}
	}
	if v.expanded[g.hash] {
		delete(v.expanded, g.hash)
	} else {
		v.expanded[g.hash] = true
	}
	v.buildItems()
	v.sel = v.itemOf(it.group, -1)
	if v.expanded[g.hash] {
		// Scrolled so that the group's conversations show under it.
		rows := v.rowsOnScreen()
		v.top = max(v.top, v.sel+min(int(g.n), rows-1)-rows+1)
	}
	v.clamp()
	return true
}

// onGroupLine reports whether the selected line is a group's (collapsed).
func (v *pairsView) onGroupLine() bool {
	return v.collapsed && v.sel < len(v.items) && v.items[v.sel].row < 0
}

// progress says how far the rebuild under way is.
func (b *pairsBuild) progress() string {
	if b.sorting {
		return "sorting " + plural(uint64(len(b.rows)), "conversation") + "…"
	}
	return "listing conversations " + percent(b.slot, b.slots) + "…"
}

func lastSeen(p *pairs.Pair) uint32 {
	return max(p.Dirs[0].Last, p.Dirs[1].Last)
}

// firstSeen is the earliest start of a conversation's records; 0 when none had one.
func firstSeen(p *pairs.Pair) uint32 {
	a, b := p.Dirs[0].First, p.Dirs[1].First
	switch {
	case a == 0:
		return b
	case b == 0:
		return a
	}
	return min(a, b)
}

func (v *pairsView) SetSize(w, h int) { v.width, v.height = w, h; v.clamp() }

func (v *pairsView) rowsOnScreen() int { return max(1, v.height-3) }

func (v *pairsView) page() int { return max(1, v.rowsOnScreen()-1) }
func (v *pairsView) toTop()    { v.move(-v.lines()) }
func (v *pairsView) toBottom() { v.move(v.lines()) }

func (v *pairsView) move(delta int) {
	if v.lines() == 0 {
		return
	}
	v.sel = min(max(v.sel+delta, 0), v.lines()-1)
	v.clamp()
}

func (v *pairsView) clamp() {
	rows := v.rowsOnScreen()
	if v.sel < v.top {
		v.top = v.sel
	}
	if v.sel >= v.top+rows {
		v.top = v.sel - rows + 1
	}
	v.top = max(0, min(v.top, v.lines()-rows))
	v.selGroup = 0
	if r := v.selected(); r != nil {
		v.selKey = r.p.Key
		if v.onGroupLine() {
			v.selGroup = v.groups[v.items[v.sel].group].hash
		}
	}
}

// selected returns the selected conversation: on a group's line, its newest.
func (v *pairsView) selected() *pairRow {
	return v.rowAt(v.sel)
}

// rowAt is the conversation of line i: on a group's line, the group's newest.
func (v *pairsView) rowAt(i int) *pairRow {
	if !v.collapsed {
		if i < len(v.rows) {
			return &v.rows[i]
		}
		return nil
	}
	if i >= len(v.items) {
		return nil
	}
	it := v.items[i]
	if it.row >= 0 {
		return &v.rows[it.row]
	}
	return &v.rows[v.groups[it.group].rep]
}

// newestSeq is the ring Seq of the newest record of a conversation, the request's when
// there is one.
func newestSeq(ix *pairs.Index, rs *rules.Set, r *pairRow) uint64 {
	if j := ix.Classify(r.p, rs); j.Request != nil && j.Request.Records > 0 {
		return j.Request.LastSeq()
	}
	if r.p.Dirs[0].Records > 0 && (r.p.Dirs[0].Last >= r.p.Dirs[1].Last || r.p.Dirs[1].Records == 0) {
		return r.p.Dirs[0].LastSeq()
	}
	return r.p.Dirs[1].LastSeq()
}

// prepare judges the lines on screen, after anything that changes them: only those are
// judged, from the index's cache for the pairs that did not change, and linked to their
// other ends (a few lookups each).
func (v *pairsView) prepare(ix *pairs.Index, rs *rules.Set) {
	v.layoutPairColumns()
	v.onScreen = v.onScreen[:0]
	for i := v.top; i < v.lines() && i < v.top+v.rowsOnScreen(); i++ {
		r := v.rowAt(i)
		sr := pairScreenRow{row: r, j: ix.Classify(r.p, rs), joint: ix.JointVerdict(r.p, rs)}
		if v.collapsed {
			it := v.items[i]
			if it.row < 0 {
				sr.group = &v.groups[it.group]
			} else {
				sr.member = true
			}
		}
		v.onScreen = append(v.onScreen, sr)
	}
}

// The columns of the view. When the pane is too narrow for all, they give way by
// priority (the least first): LAST and the verdict stay, with the two ends; what the
// pane has to spare goes to the columns that show names.
type pairColID uint8

const (
	pcVerdict pairColID = iota
	pcJoint
	pcIface
	pcProto
	pcInit
	pcArrow
	pcResp
	pcRequest
	pcReply
	pcCount
	pcFirst
	pcLast
	pcValue // what the order reads when no other column shows it: bytes, packets, records
)

type pairCol struct {
	id    pairColID
	title string
	width int
}

type pairColSpec struct {
	pairCol
	prio int // 0 stays longest; columns of one priority come and go together
	grow int // how many cells of spare width it can use (names)
}

var (
	pairColsFlat = []pairColSpec{
		{pairCol{pcVerdict, "VERDICT", 11}, 0, 0},
		{pairCol{pcJoint, "BOTH ENDS", 11}, 2, 0},
		{pairCol{pcIface, "INTERFACE", 13}, 3, 20},
		{pairCol{pcProto, "PROTO", 5}, 4, 0},
		{pairCol{pcInit, "INITIATOR", 21}, 1, 20},
		{pairCol{pcArrow, "", 1}, 1, 0},
		{pairCol{pcResp, "RESPONDER", 21}, 1, 20},
		{pairCol{pcRequest, "REQUEST", 11}, 5, 0},
		{pairCol{pcReply, "REPLY", 11}, 5, 0},
		{pairCol{pcLast, "LAST", 8}, 0, 0},
	}
	pairColsCollapsed = []pairColSpec{
		{pairCol{pcVerdict, "VERDICT", 11}, 0, 0},
		{pairCol{pcJoint, "BOTH ENDS", 11}, 2, 0},
		{pairCol{pcIface, "INTERFACE", 13}, 4, 20},
		{pairCol{pcProto, "PROTO", 5}, 3, 0},
		{pairCol{pcInit, "INITIATOR", 21}, 1, 20},
		{pairCol{pcArrow, "", 1}, 1, 0},
		{pairCol{pcResp, "RESPONDER", 21}, 1, 20},
		{pairCol{pcCount, "CONVS", 7}, 0, 0},
		{pairCol{pcFirst, "FIRST", 8}, 2, 0},
		{pairCol{pcLast, "LAST", 8}, 0, 0},
	}
)

// layoutPairColumns chooses the columns that fit in width cells (one between two columns),
// by priority, and spreads the spare width over those that show names.
func layoutPairColumns(specs []pairColSpec, width int) []pairCol {
	keep := make([]bool, len(specs))
	used := -1
	for prio := 0; prio <= 5; prio++ {
		need := 0
		for _, c := range specs {
			if c.prio == prio {
				need += c.width + 1
			}
		}
		if need == 0 || used+need > width {
			continue
		}
		used += need
		for i, c := range specs {
			if c.prio == prio {
				keep[i] = true
			}
		}
	}
	var cols []pairCol
	spare := max(0, width-used)
	for i, c := range specs {
		if !keep[i] {
			continue
		}
		if c.grow > 0 && spare > 0 {
			more := min(c.grow, spare/2+spare%2)
			c.width += more
			spare -= more
		}
		cols = append(cols, c.pairCol)
	}
	return cols
}

// layoutPairColumns lays the columns out for the pane's width and mode, when either
// changed: in Update, so that drawing only reads them.
func (v *pairsView) layoutPairColumns() {
	mode := 0
	if v.collapsed {
		mode = 1
	}
	if key := [3]int{v.width, mode, int(v.order.col)}; v.cols == nil || v.colsFor != key {
		specs := pairColsFlat
		if v.collapsed {
			specs = pairColsCollapsed
		}
		if title := v.valueTitle(); title != "" {
			// The figure the order reads, before LAST: kept as long as the ends are.
			specs = slices.Insert(slices.Clone(specs), len(specs)-1, pairColSpec{pairCol{pcValue, title, 9}, 1, 0})
		}
		v.cols, v.colsFor = layoutPairColumns(specs, v.width-2-gutter), key // borders and the gutter
	}
}

// valueTitle is the title of the column that shows what the order reads, when no other
// column does; "" when one does.
func (v *pairsView) valueTitle() string {
	switch {
	case v.order.col == sortBytes:
		return "BYTES"
	case v.order.col == sortPackets:
		return "PACKETS"
	case v.order.col == sortCount && !v.collapsed:
		return "RECORDS"
	}
	return ""
}

// sortedColumn is the column the order reads, marked in the header; false when the
// pane has none (arrival order, flat).
func (v *pairsView) sortedColumn() (pairColID, bool) {
	switch v.order.col {
	case sortVerdict:
		return pcVerdict, true
	case sortJoint:
		return pcJoint, true
	case sortLast:
		return pcLast, true
	case sortArrival:
		return pcFirst, v.collapsed
	case sortCount:
		if v.collapsed {
			return pcCount, true
		}
	}
	return pcValue, v.valueTitle() != ""
}

// Render draws the pane from the lines judged in Update.
func (v *pairsView) Render(s Styles, focused bool, local bool, total int) string {
	cols := v.cols
	sortedCol, marked := v.sortedColumn()
	var b strings.Builder
	b.WriteString(spaces(gutter))
	for i, c := range cols {
		title := c.title
		if marked && c.id == sortedCol {
			title += v.order.arrow()
		}
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(padRight(title, c.width))
	}
	lines := []string{s.Header.Render(b.String())}
	for i := range v.onScreen {
		idx := v.top + i
		if idx >= v.lines() {
			break // rebuilt without an Update after (a benchmark): drawn at the next one
		}
		lines = append(lines, v.renderRow(s, cols, &v.onScreen[i], idx == v.sel, local))
	}
	switch {
	case v.lines() == 0 && v.build != nil:
		lines = append(lines, "", s.Muted.Render("  "+v.build.progress()))
	case v.lines() == 0:
		lines = append(lines, "", s.Muted.Render("  no conversations match"))
	}
	title := "Conversations" + v.order.words()
	if v.collapsed {
		title = "Conversations grouped" + v.order.words()
	}
	if v.held && v.added > 0 {
		title += " · " + thousands(v.added) + " new at the end"
	}
	if v.build != nil && v.build.shown {
		title += " · " + v.build.progress()
	}
	right := v.counts(total, v.width-2-ansi.StringWidth(title)-5)
	return s.box(title, right, lines, v.width, v.height, focused)
}

// counts says which lines are on screen and of what, in the most words that fit in
// room: how many conversations are listed, of how many the index holds, and why the two
// differ.
func (v *pairsView) counts(total, room int) string {
	if v.lines() == 0 {
		return ""
	}
	on := thousands(v.top+1) + "-" + thousands(min(v.top+v.rowsOnScreen(), v.lines()))
	listed := len(v.rows)
	if v.collapsed {
		on += " of " + plural(uint64(len(v.groups)), "group")
		if v.lines() != len(v.groups) {
			on += " (" + thousands(v.lines()) + " lines, groups opened)"
		}
	} else {
		on += " of " + thousands(listed)
	}
	var long, short string
	switch {
	case v.match != nil:
		long = on + " · " + thousands(listed) + " match of " + thousands(total) + " conversations"
		short = on + " · " + thousands(listed) + "/" + thousands(total) + " match"
	case listed == total && total == 1:
		long, short = on+" · the only conversation", on
	case listed == total:
		long = on + " · every one of " + thousands(total) + " conversations"
		short = on + " · all"
	case listed < total:
		// Not "new": the title's "new at the end" are conversations listed since the
		// order was made; these are not listed yet (the next refresh lists them).
		long = on + " · " + thousands(listed) + " listed of " + thousands(total) + " conversations: " + thousands(total-listed) + " not listed yet"
		short = on + " · " + thousands(total-listed) + " not listed yet"
	default:
		long = on + " · " + thousands(listed) + " listed of " + thousands(total) + " conversations: " + thousands(listed-total) + " gone since"
		short = on + " · " + thousands(listed-total) + " gone"
	}
	for _, c := range []string{long, short, on} {
		if ansi.StringWidth(c) <= room {
			return c
		}
	}
	return ""
}

func (v *pairsView) renderRow(s Styles, cols []pairCol, sr *pairScreenRow, selected bool, local bool) string {
	p, j := sr.row.p, &sr.j
	k := p.Key
	init, resp := k.A(), k.B()
	if j.Initiator != pairs.SideUnknown {
		init, resp = j.InitiatorAP, j.ResponderAP
	}
	var b strings.Builder
	for i, c := range cols {
		if i > 0 {
			b.WriteByte(' ')
		}
		var text string
		style := s.Text
		switch c.id {
		case pcVerdict:
			text, style = string(j.Verdict), verdictStyleOf(s, j.Verdict)
		case pcJoint:
			text, style = string(sr.joint), verdictStyleOf(s, sr.joint)
			if sr.joint == "" {
				text, style = "-", s.Muted
			}
		case pcIface:
			text = fitName(shortID(k.Interface.String(), 13), ifaceName(v.names, k.Interface.String()), c.width)
		case pcProto:
			text = protoName(k.Protocol)
		case pcInit:
			switch {
			case sr.group != nil:
				mark := "▸ "
				if v.expanded[sr.group.hash] {
					mark = "▾ "
				}
				text = v.endText(mark+init.Addr().String(), init.Addr(), c.width)
			case sr.member:
				text = v.endText("  "+init.String(), init.Addr(), c.width)
			default:
				text = v.endText(init.String(), init.Addr(), c.width)
			}
		case pcArrow:
			text = "→"
		case pcResp:
			text = v.endText(resp.String(), resp.Addr(), c.width)
		case pcRequest, pcReply:
			d := j.Request
			if c.id == pcReply {
				d = j.Response
			}
			if j.Initiator == pairs.SideUnknown {
				d = &p.Dirs[0]
				if c.id == pcReply {
					d = &p.Dirs[1]
				}
			}
			text = dirSummary(d)
		case pcCount:
			if sr.group != nil {
				text = thousands(int(sr.group.n))
			}
		case pcFirst:
			first := sr.row.first
			if sr.group != nil {
				first = sr.group.first
			}
			text = clock(first, first != 0, local)
		case pcValue:
			value := sr.row.value
			if sr.group != nil {
				value = sr.group.value
			}
			if v.order.col == sortBytes {
				text = humanBytes(value)
			} else {
				text = thousands(value)
			}
			text = padLeft(text, c.width)
		case pcLast:
			last := lastSeen(p)
			if sr.group != nil {
				last = sr.group.last
			}
			text = clock(last, true, local)
		}
		cell := padRight(text, c.width)
		if selected {
			b.WriteString(cell)
			continue
		}
		b.WriteString(style.Render(cell))
	}
	// The mark survives a capture without colour, as the flows table's does.
	if selected {
		return s.Key.Render(selMark) + s.Selected.Render(b.String())
	}
	return spaces(gutter) + b.String()
}

// endText is an end of a conversation with its host's name after it, when known and
// there is room for it in width.
func (v *pairsView) endText(text string, a netip.Addr, width int) string {
	return fitName(text, addrName(v.names, a), width)
}

// fitName puts name after text when at least a few of its letters fit in width (cut
// with "…" when not all do): an address or ID is never cut for a name, and a name
// reduced to "…" says nothing.
func fitName(text, name string, width int) string {
	if name == "" {
		return text
	}
	room := width - ansi.StringWidth(text) - 1
	if room < min(ansi.StringWidth(name), 4) {
		return text
	}
	return text + " " + truncate(name, room)
}

func dirSummary(d *pairs.Dir) string {
	if d == nil || d.Records == 0 {
		return "-"
	}
	return d.Action() + " ×" + thousands(int(d.Records))
}
