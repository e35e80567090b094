package ui

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/flowlens/flowlens/model/pairs"
	"github.com/flowlens/flowlens/model/rules"
)

// pairsView lists conversations (a flow and its reverse on one interface) with their
// verdicts, the worst first, filtered with the same language plus verdict= and friends.
// The list is rebuilt when the filter changes and at most once a second while records
// arrive, not on every batch. A rebuild is a job (see work.go): the pairs are listed and
// classified a bounded number per step on the update loop (judging is cached per pair,
// and the index changes with every batch), then sorted off it, and the rows on show
// stay until the new ones are ready.
type pairsView struct {
	rows          []pairRow
	spare         []pairRow // the rows before the last rebuild, for the next one to fill
	sel, top      int
	selKey        pairs.Key
	width, height int
	match         func(*pairs.Pair, *pairs.Judgement) bool
	expr          string // the filter text of match
	dirty         bool
	build         *pairsBuild // the rebuild under way, nil when none
	gen           int         // numbers rebuilds, so a late sort of a replaced one is dropped
	opening       bool        // the view was just opened and has not been listed yet
	lent          bool        // rows are being exported: a rebuild must not reuse them
	// onScreen are the judgements of the rows from top on, made in Update (prepare):
	// judging fills the index's cache, which drawing must not touch
	onScreen []pairs.Judgement
}

// pairRow is a conversation in the list: small, so that sorting hundreds of thousands
// of them moves little; its judgement is fetched (from the index's cache) when drawn.
type pairRow struct {
	p    *pairs.Pair
	sev  int32
	last uint32
}

// pairsBuild is a rebuild of the list under way: a walk over the index's table, a
// bounded number of slots at a time, keeping the pairs the filter matches.
type pairsBuild struct {
	match   func(*pairs.Pair, *pairs.Judgement) bool
	expr    string // the filter text, shown once the rows are
	slot    int    // the next slot of the index's table to walk
	slots   int    // the table's size when the walk started; a growth restarts it
	found   []*pairs.Pair
	rows    []pairRow
	sorting bool // the walk is done and the rows are being sorted off the update loop
	gen     int
	shown   bool // the person is waiting for it (opening, a filter): progress shows
}

// pairsSortedMsg brings back the rows of a rebuild, sorted.
type pairsSortedMsg struct {
	gen  int
	rows []pairRow
	sel  int // the position of the selected conversation, -1 when it is not listed
}

// startBuild begins a rebuild with match; one under way is replaced.
func (v *pairsView) startBuild(ix *pairs.Index, match func(*pairs.Pair, *pairs.Judgement) bool, expr string, shown bool) {
	v.gen++
	v.dirty = false
	rows := v.spare[:0]
	v.spare = nil
	v.build = &pairsBuild{match: match, expr: expr, slots: ix.Slots(), rows: rows, gen: v.gen, shown: shown}
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
	judged := 0
	for judged < budget && b.slot < b.slots {
		// A slot holds at most one pair: walking budget-judged slots cannot judge more.
		b.found, b.slot = ix.Walk(b.found[:0], b.slot, min(budget-judged, 1024))
		for _, p := range b.found {
			j := ix.Classify(p, rs)
			judged++
			if b.match != nil && !b.match(p, &j) {
				continue
			}
			b.rows = append(b.rows, pairRow{p, int32(pairs.Severity(j.Verdict)), lastSeen(p)})
		}
	}
	if b.slot < b.slots {
		return judged, nil
	}
	b.sorting = true
	rows, gen, selKey := b.rows, b.gen, v.selKey
	return judged, func() tea.Msg { return sortPairRows(rows, gen, selKey) }
}

// sortPairRows sorts rows by severity, then by the newest record: a total order (ties
// broken by the conversation's key), so the list does not shuffle between rebuilds. It
// runs off the update loop and reads only what never changes in a row: its own fields
// and the pair's key.
func sortPairRows(rows []pairRow, gen int, selKey pairs.Key) tea.Msg {
	slices.SortFunc(rows, func(a, b pairRow) int {
		if c := cmp.Compare(a.sev, b.sev); c != 0 {
			return c
		}
		if c := cmp.Compare(b.last, a.last); c != 0 {
			return c
		}
		return a.p.Key.Compare(b.p.Key)
	})
	// A walk across a change of the table can meet a pair twice; as one pair judged
	// alike twice, the copies are neighbours.
	rows = slices.CompactFunc(rows, func(a, b pairRow) bool { return a.p == b.p })
	sel := -1
	for i, r := range rows {
		if r.p.Key == selKey {
			sel = i
			break
		}
	}
	return pairsSortedMsg{gen: gen, rows: rows, sel: sel}
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
	v.spare, v.rows = v.rows, msg.rows
	if v.lent {
		v.spare, v.lent = nil, false
	}
	// Keep the selection on the same conversation.
	if msg.sel >= 0 {
		v.sel = msg.sel
	}
	v.sel = min(v.sel, max(0, len(v.rows)-1))
	v.clamp()
	return true
}

// progress says how far the rebuild under way is.
func (b *pairsBuild) progress() string {
	if b.sorting {
		return "sorting " + thousands(len(b.rows)) + " conversations…"
	}
	return "listing conversations " + percent(b.slot, b.slots) + "…"
}

func lastSeen(p *pairs.Pair) uint32 {
	return max(p.Dirs[0].Last, p.Dirs[1].Last)
}

func (v *pairsView) SetSize(w, h int) { v.width, v.height = w, h; v.clamp() }

func (v *pairsView) rowsOnScreen() int { return max(1, v.height-3) }

func (v *pairsView) page() int { return max(1, v.rowsOnScreen()-1) }
func (v *pairsView) toTop()    { v.move(-len(v.rows)) }
func (v *pairsView) toBottom() { v.move(len(v.rows)) }

func (v *pairsView) move(delta int) {
	if len(v.rows) == 0 {
		return
	}
	v.sel = min(max(v.sel+delta, 0), len(v.rows)-1)
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
	v.top = max(0, min(v.top, len(v.rows)-rows))
	if v.sel < len(v.rows) {
		v.selKey = v.rows[v.sel].p.Key
	}
}

// selected returns the selected conversation.
func (v *pairsView) selected() *pairRow {
	if v.sel < len(v.rows) {
		return &v.rows[v.sel]
	}
	return nil
}

// newestSeq is the ring Seq of the newest record of a conversation, the request's when
// there is one.
func newestSeq(ix *pairs.Index, rs *rules.Set, r *pairRow) uint64 {
	if j := ix.Classify(r.p, rs); j.Request != nil && j.Request.Records > 0 {
		return j.Request.LastSeq
	}
	if r.p.Dirs[0].Records > 0 && (r.p.Dirs[0].Last >= r.p.Dirs[1].Last || r.p.Dirs[1].Records == 0) {
		return r.p.Dirs[0].LastSeq
	}
	return r.p.Dirs[1].LastSeq
}

var pairColumns = []struct {
	title string
	width int
}{{"VERDICT", 11}, {"INTERFACE", 13}, {"PROTO", 5}, {"INITIATOR", 21}, {"", 1}, {"RESPONDER", 21}, {"REQUEST", 11}, {"REPLY", 11}, {"LAST", 8}}

// prepare judges the rows on screen, after anything that changes them: only those are
// judged, from the index's cache for the pairs that did not change.
func (v *pairsView) prepare(ix *pairs.Index, rs *rules.Set) {
	v.onScreen = v.onScreen[:0]
	for idx := v.top; idx < len(v.rows) && idx < v.top+v.rowsOnScreen(); idx++ {
		v.onScreen = append(v.onScreen, ix.Classify(v.rows[idx].p, rs))
	}
}

// Render draws the pane from the rows judged in Update.
func (v *pairsView) Render(s Styles, focused bool, local bool, total int) string {
	rows := v.rowsOnScreen()
	var b strings.Builder
	for _, c := range pairColumns {
		b.WriteString(padRight(c.title, c.width) + " ")
	}
	lines := []string{s.Header.Render(b.String())}
	for i := range v.onScreen {
		idx := v.top + i
		if idx >= len(v.rows) {
			break // rebuilt without an Update after (a benchmark): drawn at the next one
		}
		lines = append(lines, v.renderRow(s, v.rows[idx].p, &v.onScreen[i], idx == v.sel, local))
	}
	switch {
	case len(v.rows) == 0 && v.build != nil:
		lines = append(lines, "", s.Muted.Render("  "+v.build.progress()))
	case len(v.rows) == 0:
		lines = append(lines, "", s.Muted.Render("  no conversations match"))
	}
	right := ""
	if len(v.rows) > 0 {
		right = fmt.Sprintf("rows %s-%s of %s/%s", thousands(v.top+1), thousands(min(v.top+rows, len(v.rows))), thousands(len(v.rows)), thousands(total))
	}
	title := "Conversations, worst first"
	if v.build != nil && v.build.shown {
		title += " · " + v.build.progress()
	}
	return s.box(title, right, lines, v.width, v.height, focused)
}

func (v *pairsView) renderRow(s Styles, p *pairs.Pair, j *pairs.Judgement, selected bool, local bool) string {
	k := p.Key
	init, resp := k.A, k.B
	if j.Initiator != pairs.SideUnknown {
		init, resp = j.InitiatorAP, j.ResponderAP
	}
	cells := []string{
		padRight(string(j.Verdict), 11),
		padRight(shortID(k.Interface.String(), 13), 13),
		padRight(protoName(k.Protocol), 5),
		padRight(init.String(), 21),
		"→",
		padRight(resp.String(), 21),
		padRight(dirSummary(j.Request), 11),
		padRight(dirSummary(j.Response), 11),
		padRight(clock(lastSeen(p), true, local), 8),
	}
	if j.Initiator == pairs.SideUnknown {
		cells[6] = padRight(dirSummary(&p.Dirs[0]), 11)
		cells[7] = padRight(dirSummary(&p.Dirs[1]), 11)
	}
	line := strings.Join(cells, " ")
	if selected {
		return s.Selected.Render(line)
	}
	return verdictStyleOf(s, j.Verdict).Render(cells[0]) + " " + s.Text.Render(strings.Join(cells[1:], " "))
}

func dirSummary(d *pairs.Dir) string {
	if d == nil || d.Records == 0 {
		return "-"
	}
	return d.Action() + " ×" + thousands(int(d.Records))
}
