package stats

import (
	"cmp"
	"encoding/binary"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/filter"
)

// PanelRow is one row of a panel. Which of the identifying fields is set depends on the
// panel: Addr for sources, destinations and the scan panels; Addr and Peer (Addr the
// lower, as netip orders them) for conversations; Port and Protocol for the port
// panels; Interface for interfaces.
type PanelRow struct {
	Addr, Peer  netip.Addr
	Port        uint16
	Protocol    uint8
	HasProtocol bool
	Interface   model.Sym

	Flows, Packets, Bytes, Rejects uint64
	// Distinct is, in ScanPorts, the number of distinct destination ports the source
	// asked for; in ScanHosts, the distinct destination hosts. Requests only: see
	// docs/stats.md.
	Distinct uint64
}

// Get returns one metric of the row.
func (r *PanelRow) Get(m Metric) uint64 {
	switch m {
	case Packets:
		return r.Packets
	case Bytes:
		return r.Bytes
	case Rejects:
		return r.Rejects
	case Distinct:
		return r.Distinct
	}
	return r.Flows
}

// Filter is the filter expression that selects the row's records, for the view's
// drill-down (Enter adds it to the filter).
func (r *PanelRow) Filter(p Panel) string {
	switch p {
	case Sources, ScanPorts, ScanHosts:
		return "srcaddr=" + r.Addr.String()
	case Destinations:
		return "dstaddr=" + r.Addr.String()
	case Ports, RejectedPorts:
		var b strings.Builder
		b.WriteString("dstport=" + strconv.Itoa(int(r.Port)))
		if r.HasProtocol {
			b.WriteString(" protocol=" + strconv.Itoa(int(r.Protocol)))
		}
		if p == RejectedPorts {
			b.WriteString(" action=REJECT")
		}
		return b.String()
	case Interfaces:
		// An ID is text from the log: quoted when it holds what the filter language
		// reads as syntax (a parenthesis, a quote), so the term still selects it.
		return filter.String(&filter.Term{Field: "interface-id", Op: filter.OpEq, Value: r.Interface.String()})
	case Conversations:
		if r.Addr == r.Peer {
			return "srcaddr=" + r.Addr.String() + " dstaddr=" + r.Addr.String()
		}
		// addr= is either side: both terms hold exactly for the records between them.
		return "addr=" + r.Addr.String() + " addr=" + r.Peer.String()
	}
	return ""
}

func (r *PanelRow) setCounts(c *counts) {
	r.Flows, r.Packets, r.Bytes, r.Rejects = uint64(c.flows), c.packets, c.bytes, uint64(c.rejects)
}

// Top returns the k rows of panel p with the most of metric m, most first (k <= 0:
// every row). The scan panels rank by their distinct count first and m second. Ties go
// to the lower key (address, port, interface ID), so the order is stable from one frame
// to the next. The cost is one pass over the panel's groups with a heap of k.
func (l *Live) Top(p Panel, m Metric, k int) []PanelRow { return l.AppendTop(nil, p, m, k) }

// AppendTop is Top appending to dst, so a view can reuse one slice frame after frame.
func (l *Live) AppendTop(dst []PanelRow, p Panel, m Metric, k int) []PanelRow {
	if m == MetricDefault || m == Distinct {
		m = Flows
	}
	// A secondary metric orders rows equal in the first: flows, or bytes when ranking
	// by flows.
	second := Flows
	if m == Flows {
		second = Bytes
	}
	rk := ranker{k: k}
	switch p {
	case Sources, Destinations, ScanPorts, ScanHosts:
		var want [NumPanels]bool
		want[p] = true
		rks, _ := l.rankAddrs(&want, m, second, k)
		return l.appendAddrRows(dst, p, rks[p])
	case Ports, RejectedPorts:
		s := &l.ports
		if p == RejectedPorts {
			s = &l.rejPorts
		}
		// by port, then protocol
		rk.tie = func(a, b int32) int {
			ka, kb := s.keys[a], s.keys[b]
			if c := cmp.Compare(uint16(ka), uint16(kb)); c != 0 {
				return c
			}
			return cmp.Compare(ka, kb)
		}
		rankCounts(&rk, s, m, second)
		for _, e := range rk.sorted() {
			key := s.keys[e.i]
			row := PanelRow{Port: uint16(key), Protocol: uint8(key >> 16), HasProtocol: key&(1<<24) != 0}
			row.setCounts(&s.vals[e.i])
			dst = append(dst, row)
		}
	case Interfaces:
		s := &l.ifaces
		rk.tie = func(a, b int32) int { return strings.Compare(s.keys[a].String(), s.keys[b].String()) }
		rankCounts(&rk, s, m, second)
		for _, e := range rk.sorted() {
			row := PanelRow{Interface: s.keys[e.i]}
			row.setCounts(&s.vals[e.i])
			dst = append(dst, row)
		}
	case Conversations:
		s := &l.convs
		// ends returns a conversation's two address keys, the lower first.
		ends := func(i int32) (*[16]byte, *[16]byte) {
			k := s.keys[i]
			a, b := &l.addrs.keys[int32(k>>32)], &l.addrs.keys[int32(uint32(k))]
			if compareAddr16(a, b) > 0 {
				a, b = b, a
			}
			return a, b
		}
		rk.tie = func(x, y int32) int {
			xa, xb := ends(x)
			ya, yb := ends(y)
			if c := compareAddr16(xa, ya); c != 0 {
				return c
			}
			return compareAddr16(xb, yb)
		}
		rankCounts(&rk, s, m, second)
		for _, e := range rk.sorted() {
			a, b := ends(e.i)
			row := PanelRow{Addr: addrOf(*a), Peer: addrOf(*b)}
			row.setCounts(&s.vals[e.i])
			dst = append(dst, row)
		}
	}
	return dst
}

// compareAddr16 orders two addresses stored as 16 bytes as netip.Addr.Compare orders
// them (IPv4 before IPv6, then by bytes) without converting them: ranking a panel of a
// million addresses with equal counts compares them a million times.
func compareAddr16(a, b *[16]byte) int {
	a4, b4 := isMapped(a), isMapped(b)
	if a4 != b4 {
		if a4 {
			return -1
		}
		return 1
	}
	if c := cmp.Compare(binary.BigEndian.Uint64(a[:8]), binary.BigEndian.Uint64(b[:8])); c != 0 {
		return c
	}
	return cmp.Compare(binary.BigEndian.Uint64(a[8:]), binary.BigEndian.Uint64(b[8:]))
}

// isMapped reports whether a holds an IPv4 address (::ffff:a.b.c.d).
func isMapped(a *[16]byte) bool {
	return binary.LittleEndian.Uint64(a[:8]) == 0 && binary.LittleEndian.Uint32(a[8:12]) == 0xffff0000
}

// rankAddrs ranks the panels made of address rows that want names (sources,
// destinations and the scans) in one pass over the addresses, and counts the rows each
// of the four has (Groups, without passes of its own).
func (l *Live) rankAddrs(want *[NumPanels]bool, m, second Metric, k int) (rks [NumPanels]*ranker, n [NumPanels]int) {
	s := &l.addrs
	tie := func(a, b int32) int { return compareAddr16(&s.keys[a], &s.keys[b]) }
	for _, p := range []Panel{Sources, Destinations, ScanPorts, ScanHosts} {
		if want[p] {
			rks[p] = &ranker{k: k, tie: tie}
		}
	}
	src, dst, ports, hosts := rks[Sources], rks[Destinations], rks[ScanPorts], rks[ScanHosts]
	for i, used := range s.used {
		if !used {
			continue
		}
		a := &s.vals[i]
		if a.src.flows > 0 {
			n[Sources]++
			if a.ports > 0 {
				n[ScanPorts]++
			}
			if a.hosts > 0 {
				n[ScanHosts]++
			}
			if src != nil {
				src.offer(entry{v1: a.src.get(m), v2: a.src.get(second), i: int32(i)})
			}
			if ports != nil && a.ports > 0 {
				ports.offer(entry{v1: uint64(a.ports), v2: a.src.get(m), v3: a.src.get(second), i: int32(i)})
			}
			if hosts != nil && a.hosts > 0 {
				hosts.offer(entry{v1: uint64(a.hosts), v2: a.src.get(m), v3: a.src.get(second), i: int32(i)})
			}
		}
		if a.dst.flows > 0 {
			n[Destinations]++
			if dst != nil {
				dst.offer(entry{v1: a.dst.get(m), v2: a.dst.get(second), i: int32(i)})
			}
		}
	}
	return rks, n
}

func (l *Live) appendAddrRows(dst []PanelRow, p Panel, rk *ranker) []PanelRow {
	s := &l.addrs
	for _, e := range rk.sorted() {
		a := &s.vals[e.i]
		row := PanelRow{Addr: addrOf(s.keys[e.i])}
		switch p {
		case Destinations:
			row.setCounts(&a.dst)
		case ScanPorts:
			row.setCounts(&a.src)
			row.Distinct = uint64(a.ports)
		case ScanHosts:
			row.setCounts(&a.src)
			row.Distinct = uint64(a.hosts)
		default:
			row.setCounts(&a.src)
		}
		dst = append(dst, row)
	}
	return dst
}

// Frame is what the stats view draws at once: the top rows of every panel, the number
// of rows each has, the histogram and the totals.
type Frame struct {
	Metric    Metric
	Panels    [NumPanels][]PanelRow
	Groups    [NumPanels]int // as Live.Groups, counted in the frame's own passes
	Histogram Histogram
	Totals    Totals
}

// Frame fills f with the top k rows of every panel by m and the histogram over columns,
// reusing f's slices. It walks the addresses once for the four panels made of them, so
// a whole frame costs about a pass over each table.
func (l *Live) Frame(f *Frame, m Metric, k, columns int) {
	if m == MetricDefault || m == Distinct {
		m = Flows
	}
	second := Flows
	if m == Flows {
		second = Bytes
	}
	f.Metric = m
	want := [NumPanels]bool{Sources: true, Destinations: true, ScanPorts: true, ScanHosts: true}
	rks, groups := l.rankAddrs(&want, m, second, k)
	for p := Panel(0); p < NumPanels; p++ {
		if want[p] {
			f.Panels[p] = l.appendAddrRows(f.Panels[p][:0], p, rks[p])
			f.Groups[p] = groups[p]
		} else {
			f.Panels[p] = l.AppendTop(f.Panels[p][:0], p, m, k)
			f.Groups[p] = l.Groups(p) // a table's length
		}
	}
	f.Histogram = l.Histogram(columns)
	f.Totals = l.Totals()
}

func rankCounts[K comparable](rk *ranker, s *slab[K, counts], m, second Metric) {
	for i, used := range s.used {
		if used {
			c := &s.vals[i]
			rk.offer(entry{v1: c.get(m), v2: c.get(second), i: int32(i)})
		}
	}
}

// entry is a candidate row: its values in ranking order and its position in its slab.
type entry struct {
	v1, v2, v3 uint64
	i          int32
}

// ranker keeps the k best entries seen in a heap whose root is the worst of them, so
// that most candidates are turned away by one comparison with the root.
type ranker struct {
	h   []entry
	k   int
	tie func(a, b int32) int // the key order, ascending
}

// before reports whether a ranks before b.
func (r *ranker) before(a, b *entry) bool {
	if a.v1 != b.v1 {
		return a.v1 > b.v1
	}
	if a.v2 != b.v2 {
		return a.v2 > b.v2
	}
	if a.v3 != b.v3 {
		return a.v3 > b.v3
	}
	return r.tie(a.i, b.i) < 0
}

func (r *ranker) offer(e entry) {
	if r.k <= 0 || len(r.h) < r.k {
		r.h = append(r.h, e)
		if r.k > 0 {
			r.up(len(r.h) - 1)
		}
		return
	}
	if root := &r.h[0]; e.v1 < root.v1 || !r.before(&e, root) {
		return
	}
	r.h[0] = e
	r.down(0)
}

// up and down keep the heap's order: a parent ranks after (is worse than) its children.
func (r *ranker) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !r.before(&r.h[p], &r.h[i]) {
			return
		}
		r.h[p], r.h[i] = r.h[i], r.h[p]
		i = p
	}
}

func (r *ranker) down(i int) {
	n := len(r.h)
	for {
		c := 2*i + 1
		if c >= n {
			return
		}
		if d := c + 1; d < n && r.before(&r.h[c], &r.h[d]) {
			c = d
		}
		if !r.before(&r.h[i], &r.h[c]) {
			return
		}
		r.h[i], r.h[c] = r.h[c], r.h[i]
		i = c
	}
}

func (r *ranker) sorted() []entry {
	slices.SortFunc(r.h, func(a, b entry) int {
		if r.before(&a, &b) {
			return -1
		}
		if r.before(&b, &a) {
			return 1
		}
		return 0
	})
	return r.h
}
