package ui

import (
	"cmp"
	"slices"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/decode"
	"github.com/flowlens/flowlens/model/ring"
)

// Sorting the flows table by a column. A sort is a job (work.go): the key of every row
// is read on the update loop, a bounded number of records per step (the ring changes
// with every batch), into a snapshot of (key, Seq); the snapshot is sorted off the
// loop, in a command, and comes back as the rows' order. That order is then frozen, as
// iftop's is: records that arrive are counted, not inserted, so the rows hold still
// under the reader's eyes, until the user asks for a re-sort (the sort keys, or a new
// filter). Records the ring drops leave the order.

// sortSpec is an order asked for: a column and a direction; !on is arrival order.
type sortSpec struct {
	on   bool
	col  colID
	desc bool
}

// frozenOrder is the table's rows in a sorted order: the view's matches that had
// arrived before upTo.
type frozenOrder struct {
	spec   sortSpec
	seqs   []ring.Seq
	upTo   ring.Seq // the ring's Next when the sort began: later records are new
	minSeq ring.Seq // the oldest Seq in seqs: the ring dropping it means compacting
}

// sortJob is a sort under way.
type sortJob struct {
	spec    sortSpec
	gen     int
	entries []sortEntry
	next    ring.Seq // the next record of the view to read
	upTo    ring.Seq
	total   int  // rows to read, for the progress
	keepSel bool // a re-sort keeps the selected record; a new order starts at its top
	sorting bool // every key is read: the entries are being sorted off the loop
}

// sortEntry is one row of the snapshot: 16 bytes, so that a million sort in a blink
// of the reader's eye (BenchmarkSortFlows1M) and move little.
type sortEntry struct {
	key uint64
	seq ring.Seq
}

// flowsSortedMsg brings back a sort's order.
type flowsSortedMsg struct {
	gen  int
	seqs []ring.Seq
	// What installing the order would otherwise walk every row for, on the update
	// loop (a few milliseconds at 5M): the oldest record in it, and where the record
	// selected when the last key was read (sel) went; selPos is -1 when it is not a row.
	minSeq ring.Seq
	sel    ring.Seq
	selPos int
}

// syncSortRows is the most rows sorted within a step, on the update loop: a few
// milliseconds' work, and no frame in arrival order between.
const syncSortRows = 1 << 14

// sortKey is the key of record r in column c: the value where it is a number, an
// address with its port for the endpoints (IPv4 before IPv6; an IPv6 address by its
// first 47 bits, then its port, then the order of arrival), and, for the columns
// sorted by their text (the interface, the service), a number that rankText turns into
// the text's rank off the loop.
func sortKey(c colID, r *model.Flow) uint64 {
	switch c {
	case colTime:
		return uint64(r.Start)
	case colInterface, colInterfaceName:
		return uint64(r.Interface)
	case colSource, colSourceName:
		return endpointKey(r, model.FSrcAddr, r.SrcPort)
	case colDest, colDestName:
		return endpointKey(r, model.FDstAddr, r.DstPort)
	case colProto:
		return uint64(r.Protocol)
	case colService:
		if !r.Has(model.FProtocol) {
			return 0
		}
		port := r.DstPort
		if decode.ServicePortRank(r.Protocol, r.SrcPort) < decode.ServicePortRank(r.Protocol, port) {
			port = r.SrcPort
		}
		return uint64(r.Protocol)<<16 | uint64(port)
	case colAction:
		return uint64(r.Action)
	case colPackets:
		return r.Packets
	case colBytes:
		return r.Bytes
	case colFlags:
		return uint64(r.TCPFlags)
	case colDir:
		return uint64(r.Direction)
	}
	return 0
}

func endpointKey(r *model.Flow, f model.Field, port uint16) uint64 {
	a, ok := r.Addr(f)
	if !ok {
		return 0
	}
	if a.Is4() {
		b := a.As4()
		return 1<<62 | uint64(b[0])<<40 | uint64(b[1])<<32 | uint64(b[2])<<24 | uint64(b[3])<<16 | uint64(port)
	}
	b := a.As16()
	var hi uint64
	for _, x := range b[:6] {
		hi = hi<<8 | uint64(x)
	}
	return 1<<63 | hi>>1<<16 | uint64(port)
}

// sortText, for the columns sorted by their text, gives the text of a key.
func sortText(c colID) func(key uint64) string {
	switch c {
	case colInterface, colInterfaceName:
		return func(k uint64) string { return model.Sym(k).String() }
	case colService:
		return func(k uint64) string {
			s, _ := decode.Service(uint8(k>>16), uint16(k))
			return s
		}
	}
	return nil
}

// defaultDesc is the direction a column first sorts in: the biggest first for counts,
// the way a person looks for top talkers; ascending otherwise.
func defaultDesc(c colID) bool { return c == colPackets || c == colBytes }

// sortColumnName names a column in the title ("sorted by bytes").
func sortColumnName(c colID) string {
	for _, col := range allColumns {
		if col.id == c && col.title != "" {
			return strings.ToLower(col.title)
		}
	}
	switch c {
	case colInterfaceName:
		return "interface name"
	case colSourceName:
		return "source name"
	case colDestName:
		return "destination name"
	}
	return "?"
}

// nextSort is the order after spec in the cycle of the sort key: every column that
// sorts, in the table's order (those a narrow table hides too: the title names the
// column; not FLAGS and DIR before a format with their fields came), then back to
// arrival order.
func (t *flowTable) nextSort(spec sortSpec) sortSpec {
	var cycle []colID
	for _, c := range allColumns {
		if c.id != colArrow && !c.name && (!t.named.optional(c.id) || t.named.has(c.id)) {
			cycle = append(cycle, c.id)
		}
	}
	if !spec.on {
		return sortSpec{on: true, col: cycle[0], desc: defaultDesc(cycle[0])}
	}
	i := slices.Index(cycle, spec.col)
	switch {
	case i < 0:
		return sortSpec{on: true, col: cycle[0], desc: defaultDesc(cycle[0])}
	case i+1 >= len(cycle):
		return sortSpec{}
	}
	return sortSpec{on: true, col: cycle[i+1], desc: defaultDesc(cycle[i+1])}
}

// setSort asks for an order: arrival order at once, a sort as a job. keepSel keeps the
// selected record selected (a re-sort); otherwise the new order starts at its top.
func (t *flowTable) setSort(spec sortSpec, keepSel bool) {
	t.sortBy = spec
	if !spec.on {
		t.job, t.order = nil, nil
		if i, ok := t.view.Index(t.selSeq); ok {
			t.sel = i
		} else {
			t.sel = min(i, max(0, t.length()-1))
		}
		t.top = t.sel - t.rows()/2
		t.clampScroll()
		return
	}
	t.startSort(spec, keepSel)
}

// startSort begins reading the keys of the view's rows; a sort under way is replaced.
func (t *flowTable) startSort(spec sortSpec, keepSel bool) {
	t.gen++
	n := t.view.Len()
	next := t.ring.Next()
	if n > 0 {
		next = t.view.At(0)
	}
	t.job = &sortJob{spec: spec, gen: t.gen, entries: make([]sortEntry, 0, n), next: next, upTo: t.ring.Next(), total: n, keepSel: keepSel}
}

// sortStep reads the keys of at most budget rows, checking the clock every stepChunk;
// once every key is read it returns the command that sorts them. It reports how many
// records it read.
func (t *flowTable) sortStep(budget int, deadline time.Time) (int, tea.Cmd) {
	j := t.job
	if j == nil || j.sorting {
		return 0, nil
	}
	i, _ := t.view.Index(j.next)
	n, end := 0, t.view.Len()
	for n < budget && i < end {
		chunk := min(end, i+stepChunk, i+budget-n)
		for ; i < chunk; i++ {
			s := t.view.At(i)
			if s >= j.upTo {
				i = end
				break
			}
			j.entries = append(j.entries, sortEntry{sortKey(j.spec.col, t.record(s)), s})
			j.next = s + 1
			n++
		}
		if time.Now().After(deadline) {
			break
		}
	}
	if i < end {
		return n, nil
	}
	j.sorting = true
	entries, spec, gen, sel := j.entries, j.spec, j.gen, t.selSeq
	return n, func() tea.Msg { return sortFlows(entries, spec, gen, sel) }
}

// sortFlows sorts a snapshot: by key in the direction asked, ties in the order of
// arrival. It runs off the update loop and reads nothing the loop changes.
func sortFlows(entries []sortEntry, spec sortSpec, gen int, sel ring.Seq) tea.Msg {
	if text := sortText(spec.col); text != nil {
		rankText(entries, text)
	}
	slices.SortFunc(entries, func(a, b sortEntry) int {
		c := cmp.Compare(a.key, b.key)
		if spec.desc {
			c = -c
		}
		if c != 0 {
			return c
		}
		return cmp.Compare(a.seq, b.seq)
	})
	msg := flowsSortedMsg{gen: gen, seqs: make([]ring.Seq, len(entries)), minSeq: ring.Seq(1<<64 - 1), sel: sel, selPos: -1}
	for i := range entries {
		s := entries[i].seq
		msg.seqs[i] = s
		msg.minSeq = min(msg.minSeq, s)
		if s == sel {
			msg.selPos = i
		}
	}
	return msg
}

// rankText replaces each key by the rank of its text among the distinct keys: a handful
// (interfaces, services) however many rows.
func rankText(entries []sortEntry, text func(uint64) string) {
	distinct := map[uint64]string{}
	for _, e := range entries {
		if _, ok := distinct[e.key]; !ok {
			distinct[e.key] = text(e.key)
		}
	}
	keys := make([]uint64, 0, len(distinct))
	for k := range distinct {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b uint64) int {
		if c := cmp.Compare(distinct[a], distinct[b]); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	rank := make(map[uint64]uint64, len(keys))
	for i, k := range keys {
		rank[k] = uint64(i)
	}
	for i := range entries {
		entries[i].key = rank[entries[i].key]
	}
}

// installSort shows the order msg brings, unless another sort replaced it; it reports
// whether it did.
func (t *flowTable) installSort(msg flowsSortedMsg) bool {
	j := t.job
	if j == nil || msg.gen != j.gen {
		return false
	}
	t.job = nil
	t.order = &frozenOrder{spec: j.spec, seqs: msg.seqs, upTo: j.upTo, minSeq: msg.minSeq}
	t.following = false
	// dropGone keeps the selection by row, which in a new order is another record:
	// the record selected before is the one to find again. The sort found it, unless
	// the selection moved or records left the ring meanwhile (then the rows are
	// searched: the rare case).
	prev := t.selSeq
	compacted := len(msg.seqs) > 0 && msg.minSeq < t.ring.First()
	t.dropGone()
	t.selSeq = prev
	i, ok := msg.selPos, msg.selPos >= 0
	if j.keepSel && (msg.sel != prev || compacted) {
		i, ok = t.indexOf(prev)
	}
	if ok && j.keepSel {
		t.sel = i
		t.top = t.sel - t.rows()/2
	} else {
		t.sel, t.top = 0, 0
	}
	if t.length() > 0 {
		t.selSeq = t.seqAt(t.sel)
	}
	t.clampScroll()
	return true
}

// dropGone removes from the frozen order the records the ring no longer holds, keeping
// the selection on its record (or the row that took its place). It looks at the whole
// order only when the ring has dropped the oldest record in it.
func (t *flowTable) dropGone() {
	o := t.order
	first := t.ring.First()
	if len(o.seqs) > 0 && o.minSeq >= first {
		return
	}
	kept, sel := 0, -1
	low := ring.Seq(1<<64 - 1)
	for i, s := range o.seqs {
		if i == t.sel {
			sel = kept
		}
		if s < first {
			continue
		}
		o.seqs[kept] = s
		kept++
		low = min(low, s)
	}
	o.seqs, o.minSeq = o.seqs[:kept], low
	if sel >= 0 {
		t.sel = min(sel, max(0, kept-1))
	}
	if kept > 0 {
		t.selSeq = t.seqAt(t.sel)
	}
	t.clampScroll()
}

// sorted reports whether the rows are in a frozen sorted order.
func (t *flowTable) sorted() bool { return t.order != nil }

// newSinceSort counts the records that match the view and arrived after the order was
// frozen.
func (t *flowTable) newSinceSort() int {
	if t.order == nil {
		return 0
	}
	i, _ := t.view.Index(t.order.upTo)
	return t.view.Len() - i
}

// sortProgress says how far a sort under way is; "" when none.
func (t *flowTable) sortProgress() string {
	j := t.job
	if j == nil {
		return ""
	}
	if j.sorting {
		return "sorting " + counted(len(j.entries), "record", "records") + " by " + sortColumnName(j.spec.col) + "…"
	}
	return "sorting by " + sortColumnName(j.spec.col) + " " + percent(len(j.entries), j.total) + "…"
}

// sortTitle is what the table's title says of the order: the column and direction, and
// that the order is frozen, with the records that arrived since and the key that takes
// them in.
func (t *flowTable) sortTitle(refreshKey string) string {
	if t.job != nil {
		return t.sortProgress()
	}
	if t.order == nil {
		return ""
	}
	arrow := "▲"
	if t.sortBy.desc {
		arrow = "▼"
	}
	title := "by " + sortColumnName(t.sortBy.col) + " " + arrow + " · order frozen"
	if n := t.newSinceSort(); n > 0 {
		title += ", " + thousands(n) + " new (" + refreshKey + " re-sorts)"
	}
	return title
}
