package ui

import (
	"cmp"
	"hash/maphash"
	"net/netip"
	"slices"

	tea "charm.land/bubbletea/v2"

	"github.com/flowlens/flowlens/keymap"

	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/pairs"
)

// The conversations view's order: a column and a direction, chosen with the sort keys.
// The order is made when the list is made afresh (the view opened, a filter, a sort
// key, the re-sort key); while records arrive the list is remade every second and the
// order is held (iftop's freeze): the conversations listed keep their places, new ones
// go to the end, until the person asks for a re-sort. Making an order runs off the
// update loop (a tea.Cmd): it reads only what never changes in a row, its own fields
// and its pair's key.

// sortColumn is what the conversations are ordered by.
type sortColumn uint8

const (
	sortVerdict sortColumn = iota // the worst verdict first
	sortJoint                     // the worst joint verdict (both ends) first; no other end last
	sortLast                      // the newest record first
	sortBytes                     // the most bytes first
	sortPackets                   // the most packets first
	sortCount                     // the most records (a conversation), conversations (a group) first
	sortArrival                   // arrival order: the first seen first (new ones at the end)
	numSortColumns
)

// pairOrder is the order of the view: a column, the other way round when reverse.
type pairOrder struct {
	col     sortColumn
	reverse bool
}

// next is the order by the next column, in its natural direction.
func (o pairOrder) next() pairOrder { return pairOrder{col: (o.col + 1) % numSortColumns} }

// arrow marks the direction in the header: ▼ the natural one (worst, newest, most,
// first arrived first), ▲ reversed.
func (o pairOrder) arrow() string {
	if o.reverse {
		return "▲"
	}
	return "▼"
}

// words names the order for the pane's title: ", worst first" (the order the view
// opens in), or " by bytes ▼".
func (o pairOrder) words() string {
	names := [...]string{"verdict", "both ends' verdict", "last seen", "bytes", "packets", "count", "arrival"}
	if o == (pairOrder{}) {
		return ", worst first"
	}
	return " by " + names[o.col] + " " + o.arrow()
}

// The joint severity of a row: pairs.Severity of its joint verdict, or one of these.
const (
	jointNotLinked int8 = -1 // not linked when listed (the order needs no link)
	jointNone      int8 = 64 // no other end in the data: after every verdict
)

// jointSeverity ranks a joint verdict; "" (no peer) after all others.
func jointSeverity(v pairs.Verdict) int8 {
	if v == "" {
		return jointNone
	}
	return int8(pairs.Severity(v))
}

// cmpColumn compares two rows or groups by the order's column (a count compares the
// values, which a conversation's count order holds), the other way round when the
// order is reversed; 0 on a tie.
func (o pairOrder) cmpColumn(a, b *orderKeys) int {
	var c int
	switch o.col {
	case sortVerdict:
		c = cmp.Compare(a.sev, b.sev)
	case sortJoint:
		c = cmp.Compare(a.jsev, b.jsev)
	case sortLast:
		c = cmp.Compare(b.last, a.last)
	case sortArrival:
		c = cmp.Compare(a.first, b.first)
	default:
		c = cmp.Compare(b.value, a.value)
	}
	if o.reverse {
		c = -c
	}
	return c
}

// cmpRows orders two conversations: the column, then the worst verdict, the newest, and
// the key, a total order, so that the list does not shuffle between two sorts.
func (o pairOrder) cmpRows(a, b *pairRow) int {
	if c := o.cmpColumn(&a.orderKeys, &b.orderKeys); c != 0 {
		return c
	}
	if c := cmp.Compare(a.sev, b.sev); c != 0 {
		return c
	}
	if c := cmp.Compare(b.last, a.last); c != 0 {
		return c
	}
	return a.p.Key.Compare(b.p.Key)
}

// cmpGroups orders two groups as cmpRows orders conversations, the count being the
// number of conversations; rows gives their newest members, whose keys break the last
// ties.
func (o pairOrder) cmpGroups(a, b *pairGroup, rows []pairRow) int {
	var c int
	if o.col == sortCount {
		if c = cmp.Compare(b.n, a.n); o.reverse {
			c = -c
		}
	} else {
		c = o.cmpColumn(&a.orderKeys, &b.orderKeys)
	}
	if c != 0 {
		return c
	}
	if c := cmp.Compare(a.sev, b.sev); c != 0 {
		return c
	}
	if c := cmp.Compare(b.n, a.n); c != 0 {
		return c
	}
	if c := cmp.Compare(b.last, a.last); c != 0 {
		return c
	}
	return rows[a.rep].p.Key.Compare(rows[b.rep].p.Key)
}

// pairGroup is a row of the collapsed view: the conversations with the same interface,
// protocol, initiator address, responder address and port, and verdict (a brute force
// from one address, one conversation per source port, is one group).
type pairGroup struct {
	hash     uint64 // of the group's key: what keeps it selected and its place held
	start, n int32  // its conversations: rows[start : start+n]
	rep      int32  // the newest of them (an index into rows): what the panes show
	// its conversations' values summed, first and last seen, its verdict and its
	// newest conversation's joint verdict
	orderKeys
}

// groupKey is what a collapsed row stands for. When who started a conversation is not
// known, its ends stand in address order.
type groupKey struct {
	ifc       model.Sym
	proto     uint8
	sev       int8
	known     bool
	initiator netip.Addr
	responder netip.AddrPort
}

// groupSeed hashes group keys for the life of the program: a held order finds its groups
// again by their hash.
var groupSeed = maphash.MakeSeed()

func groupOf(r *pairRow) groupKey {
	k := r.p.Key
	g := groupKey{ifc: k.Interface, proto: k.Protocol, sev: r.sev, known: r.ini != pairs.SideUnknown}
	side := r.ini
	if !g.known {
		side = pairs.AtoB
	}
	g.initiator, g.responder = k.Sender(side).Addr(), k.Receiver(side)
	return g
}

func groupHash(r *pairRow) uint64 { return maphash.Comparable(groupSeed, groupOf(r)) }

// orderRanks is an order made, by what it placed where: a held order puts what it finds
// here back in its place. It is never changed once made: a rebuild makes a new one, so
// the sorts of two rebuilds (one replaced, still running) can read it together.
type orderRanks struct {
	rows   map[*pairs.Pair]uint32 // the flat view
	groups map[uint64]uint32      // the collapsed view, by group hash
}

// pairSortJob is the making of an order, off the update loop.
type pairSortJob struct {
	rows      []pairRow // the rebuild's own rows: sorted in place
	gen       int
	order     pairOrder
	collapsed bool
	held      *orderRanks // the order to hold (a rebuild while records arrive); nil: afresh
	selKey    pairs.Key   // the selected conversation
	selGroup  uint64      // the selected group (collapsed); 0: a conversation is selected
}

// pairsSortedMsg brings back the rows of a rebuild, in order.
type pairsSortedMsg struct {
	gen    int
	rows   []pairRow
	groups []pairGroup // the collapsed view's, nil otherwise
	ranks  *orderRanks
	added  int // conversations or groups not in the held order, put at the end
	held   bool
	sel    int // the position of the selected conversation or group, -1 when not listed
	member int // in the collapsed view, the selected conversation's row, -1 when none
}

// run makes the order: a walk across a change of the index's table can meet a pair
// twice, and the copies go; then the rows (or their groups) are sorted, the held ones
// in their old places.
func (j pairSortJob) run() tea.Msg {
	if j.collapsed {
		return j.runGroups()
	}
	rows := j.rows
	added := 0
	if j.held != nil {
		added = holdOrder(rows, func(r *pairRow) (uint32, bool) { rank, ok := j.held.rows[r.p]; return rank, ok },
			func(a, b *pairRow) int { return j.order.cmpRows(a, b) })
	} else {
		slices.SortFunc(rows, func(a, b pairRow) int { return j.order.cmpRows(&a, &b) })
	}
	ranks := &orderRanks{rows: make(map[*pairs.Pair]uint32, len(rows))}
	out := rows[:0]
	sel := -1
	for i := range rows {
		r := rows[i]
		if _, dup := ranks.rows[r.p]; dup {
			continue
		}
		if sel < 0 && r.p.Key == j.selKey {
			sel = len(out)
		}
		ranks.rows[r.p] = uint32(len(out))
		out = append(out, r)
	}
	return pairsSortedMsg{gen: j.gen, rows: out, ranks: ranks, added: added, held: j.held != nil, sel: sel, member: -1}
}

// holdOrder sorts xs: those rank finds first, in their ranks' order, then the others by
// cmp. It returns how many were not found.
func holdOrder[T any](xs []T, rank func(*T) (uint32, bool), cmpNew func(a, b *T) int) int {
	type ranked struct {
		rank uint32
		at   int32
	}
	keys := make([]ranked, len(xs))
	fresh := 0
	for i := range xs {
		r, ok := rank(&xs[i])
		if !ok {
			r = ^uint32(0)
			fresh++
		}
		keys[i] = ranked{r, int32(i)}
	}
	slices.SortFunc(keys, func(a, b ranked) int {
		if c := cmp.Compare(a.rank, b.rank); c != 0 || a.rank != ^uint32(0) {
			return c
		}
		return cmpNew(&xs[a.at], &xs[b.at])
	})
	sorted := make([]T, len(xs))
	for i, k := range keys {
		sorted[i] = xs[k.at]
	}
	copy(xs, sorted)
	return fresh
}

// runGroups makes the collapsed view: the rows grouped (by their group's hash, the
// members of a group in the order's), the groups ordered, and the rows laid out group
// after group in that order.
func (j pairSortJob) runGroups() tea.Msg {
	type hashed struct {
		h  uint64
		at int32
	}
	keys := make([]hashed, len(j.rows))
	for i := range j.rows {
		keys[i] = hashed{groupHash(&j.rows[i]), int32(i)}
	}
	slices.SortFunc(keys, func(a, b hashed) int {
		if c := cmp.Compare(a.h, b.h); c != 0 {
			return c
		}
		return j.order.cmpRows(&j.rows[a.at], &j.rows[b.at])
	})
	byHash := make([]pairRow, 0, len(keys))
	hashes := make([]uint64, 0, len(keys))
	seen := make(map[*pairs.Pair]struct{}, len(keys))
	for _, k := range keys {
		r := j.rows[k.at]
		if _, dup := seen[r.p]; dup {
			continue
		}
		seen[r.p] = struct{}{}
		byHash = append(byHash, r)
		hashes = append(hashes, k.h)
	}
	var groups []pairGroup
	for i := 0; i < len(byHash); {
		g := pairGroup{hash: hashes[i], start: int32(i), rep: int32(i),
			orderKeys: orderKeys{sev: byHash[i].sev, first: byHash[i].first, last: byHash[i].last}}
		for ; i < len(byHash) && hashes[i] == g.hash; i++ {
			r := &byHash[i]
			g.n++
			g.value += r.value
			if r.first != 0 && (g.first == 0 || r.first < g.first) {
				g.first = r.first
			}
			if rep := &byHash[g.rep]; r.last > rep.last || r.last == rep.last && r.p.Key.Compare(rep.p.Key) < 0 {
				g.rep = int32(i)
			}
			g.last = max(g.last, r.last)
		}
		g.jsev = byHash[g.rep].jsev
		groups = append(groups, g)
	}
	added := 0
	if j.held != nil {
		added = holdOrder(groups, func(g *pairGroup) (uint32, bool) { rank, ok := j.held.groups[g.hash]; return rank, ok },
			func(a, b *pairGroup) int { return j.order.cmpGroups(a, b, byHash) })
	} else {
		slices.SortFunc(groups, func(a, b pairGroup) int { return j.order.cmpGroups(&a, &b, byHash) })
	}
	// The rows group after group, in the groups' order: what an export writes.
	rows := j.rows[:0]
	ranks := &orderRanks{groups: make(map[uint64]uint32, len(groups))}
	sel, member := -1, -1
	for gi := range groups {
		g := &groups[gi]
		start := int32(len(rows))
		for k := g.start; k < g.start+g.n; k++ {
			if j.selGroup == 0 && byHash[k].p.Key == j.selKey {
				sel, member = gi, len(rows)
			}
			rows = append(rows, byHash[k])
		}
		g.rep += start - g.start
		g.start = start
		ranks.groups[g.hash] = uint32(gi)
		if j.selGroup != 0 && g.hash == j.selGroup {
			sel = gi
		}
	}
	return pairsSortedMsg{gen: j.gen, rows: rows, groups: groups, ranks: ranks, added: added, held: j.held != nil, sel: sel, member: member}
}

// handlePairsOrderKey applies the keys that order the conversations (o, O, u) and fold
// them (c); it reports whether msg was one. Each lists the conversations afresh in the
// new order, in steps, with the progress shown; Esc keeps the order shown.
func (m *Model) handlePairsOrderKey(msg tea.KeyPressMsg) bool {
	order, collapsed := m.pv.pending()
	switch {
	case m.is(msg, keymap.Sort):
		order = order.next()
	case m.is(msg, keymap.SortReverse):
		order.reverse = !order.reverse
	case m.is(msg, keymap.Resort):
	case m.is(msg, keymap.PairsCollapse):
		collapsed = !collapsed
	default:
		return false
	}
	m.pv.startOrdered(m.pairs, m.pv.match, m.pv.expr, true, order, collapsed)
	m.step()
	return true
}
