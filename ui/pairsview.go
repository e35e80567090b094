package ui

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/flowlens/flowlens/model/pairs"
	"github.com/flowlens/flowlens/model/rules"
)

// pairsView lists conversations (a flow and its reverse on one interface) with their
// verdicts, the worst first, filtered with the same language plus verdict= and friends.
// The list is rebuilt when the filter changes and at most once a second while records
// arrive, not on every batch: judging is cached per pair, but sorting is not free.
type pairsView struct {
	rows          []pairRow
	sel, top      int
	selKey        pairs.Key
	width, height int
	match         func(*pairs.Pair, *pairs.Judgement) bool
	dirty         bool
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

// rebuild classifies every pair (the verdict without the explanation: cached in the
// index, so a rebuild only pays for the pairs that changed), keeps those the filter
// matches and sorts them by severity, then by the newest record.
func (v *pairsView) rebuild(ix *pairs.Index, rs *rules.Set) {
	v.dirty = false
	v.rows = v.rows[:0]
	for _, p := range ix.All() {
		j := ix.Classify(p, rs)
		if v.match != nil && !v.match(p, &j) {
			continue
		}
		v.rows = append(v.rows, pairRow{p, int32(pairs.Severity(j.Verdict)), lastSeen(p)})
	}
	// A total order (ties broken by the conversation's key), so the list does not shuffle
	// between rebuilds.
	slices.SortFunc(v.rows, func(a, b pairRow) int {
		if c := cmp.Compare(a.sev, b.sev); c != 0 {
			return c
		}
		if c := cmp.Compare(b.last, a.last); c != 0 {
			return c
		}
		return a.p.Key.Compare(b.p.Key)
	})
	// Keep the selection on the same conversation.
	v.sel = min(v.sel, max(0, len(v.rows)-1))
	for i, r := range v.rows {
		if r.p.Key == v.selKey {
			v.sel = i
			break
		}
	}
	v.clamp()
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
	if len(v.rows) == 0 {
		lines = append(lines, "", s.Muted.Render("  no conversations match"))
	}
	right := ""
	if len(v.rows) > 0 {
		right = fmt.Sprintf("rows %s-%s of %s/%s", thousands(v.top+1), thousands(min(v.top+rows, len(v.rows))), thousands(len(v.rows)), thousands(total))
	}
	return s.box("Conversations, worst first", right, lines, v.width, v.height, focused)
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
	return fmt.Sprintf("%s ×%d", d.Action(), d.Records)
}
