package stats

import (
	"net/netip"
	"sync"

	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/decode"
)

// Panel is one ranking of the explorer's stats view.
type Panel uint8

const (
	Sources       Panel = iota // source addresses
	Destinations               // destination addresses
	Ports                      // destination ports, with their protocol
	RejectedPorts              // destination ports of REJECT records
	Interfaces                 // interface IDs
	Conversations              // address pairs, either direction
	ScanPorts                  // sources by distinct destination ports they asked for
	ScanHosts                  // sources by distinct destination hosts they asked for
	NumPanels
)

var panelNames = [NumPanels]string{"sources", "destinations", "ports", "rejected ports", "interfaces",
	"conversations", "port scans", "host scans"}

func (p Panel) String() string {
	if p < NumPanels {
		return panelNames[p]
	}
	return "panel?"
}

// counts are a live row's metrics. Flows and rejects are 32 bits: a Live counts the
// records a ring holds, far fewer than 4 billion.
type counts struct {
	flows, rejects uint32
	packets, bytes uint64
}

func (c *counts) add(r *model.Flow) {
	c.flows++
	c.packets += r.Packets
	c.bytes += r.Bytes
	if r.Action == model.Reject {
		c.rejects++
	}
}

func (c *counts) sub(r *model.Flow) {
	c.flows--
	c.packets -= r.Packets
	c.bytes -= r.Bytes
	if r.Action == model.Reject {
		c.rejects--
	}
}

func (c *counts) get(m Metric) uint64 {
	switch m {
	case Packets:
		return c.packets
	case Bytes:
		return c.bytes
	case Rejects:
		return uint64(c.rejects)
	}
	return uint64(c.flows)
}

// addrRow is everything kept about one address: its traffic as a source and as a
// destination, and, as a source of request-like records, how many distinct destination
// ports and hosts it asked for (the scan panels).
type addrRow struct {
	src, dst     counts
	ports, hosts uint32
}

// timeRow is one minute of the histogram.
type timeRow struct{ accepted, rejected, other counts }

// portKey is a destination port with its protocol: bit 24 set when the record has a
// protocol, its number in bits 16-23, the port below.
type portKey uint32

// Live keeps the stats view's counts incrementally. Add a record when it enters the
// view (a new batch, a filter that now matches it) and Remove the same record when it
// leaves (the ring evicts it): every count then reads as if the record had never been
// added. Remove must be given only records that were added, with the same values.
//
// Costs, with G groups held: Add and Remove are a few hash-table updates each (no
// reading of other records, no allocation once the tables have grown); Top is O(G of
// the panel) with a heap of K; Histogram is O(minutes held). Memory is O(G), at most a
// few rows per record held (docs/stats.md has the measured figures).
//
// NODATA and SKIPDATA records carry no traffic: they are counted in Totals.Markers and
// in no panel.
//
// A Live is not safe for concurrent use.
type Live struct {
	addrs    slab[[16]byte, addrRow]
	ports    slab[portKey, counts]
	rejPorts slab[portKey, counts]
	// portIdx indexes the rows of ports for TCP and UDP directly by port (position + 1,
	// 0 for none): a reply's destination is a client's ephemeral port, so the ports
	// table grows to tens of thousands of rows, and one read of this array replaces a
	// hash, a slot and a key that each miss the cache (about a tenth of a recount).
	portIdx *[2][65536]int32
	ifaces  slab[model.Sym, counts]
	convs   slab[uint64, counts]  // lower address row << 32 | higher
	times   slab[uint32, timeRow] // start / 60
	// srcPorts counts the request-like records per (source row, destination port), and
	// srcHosts per (source row, destination row): a distinct count that supports
	// removal needs the multiplicity of each pair.
	srcPorts pairCounts
	srcHosts pairCounts

	total   counts
	markers uint64
}

// NewLive makes an empty Live.
func NewLive() *Live {
	h := newHashers()
	u64 := h.u64
	u32 := func(k uint32) uint64 { return u64(uint64(k)) }
	return &Live{addrs: newSlab[[16]byte, addrRow](h.addr),
		ports:    newSlab[portKey, counts](func(k portKey) uint64 { return u64(uint64(k)) }),
		rejPorts: newSlab[portKey, counts](func(k portKey) uint64 { return u64(uint64(k)) }),
		ifaces:   newSlab[model.Sym, counts](func(k model.Sym) uint64 { return u64(uint64(k)) }),
		convs:    newSlab[uint64, counts](u64), times: newSlab[uint32, timeRow](u32),
		srcPorts: newPairCounts(h.seed ^ 0x5ca1ab1e), srcHosts: newPairCounts(h.seed ^ 0x0ddba11)}
}

// Reset empties the counts, keeping their memory for the next fill.
func (l *Live) Reset() {
	l.addrs.reset()
	l.ports.reset()
	l.rejPorts.reset()
	if l.portIdx != nil {
		clear(l.portIdx[:])
	}
	l.ifaces.reset()
	l.convs.reset()
	l.times.reset()
	l.srcPorts.reset()
	l.srcHosts.reset()
	l.total, l.markers = counts{}, 0
}

// requestLike reports whether a record looks like a request rather than a reply, for
// the scan panels: its destination port looks more like a server's port than its source
// port does (decode.ServicePortRank, the guess the conversations view makes without TCP
// flags: a known service, then below 1024, then below 32768), or, when the two ports look
// alike, the destination port is the lower; a record without ports (ICMP) counts.
// Counting replies would rank every busy server first: its replies go to as many ports
// and hosts as it has clients. The guess depends on the record alone, so a record is
// judged the same when it is removed as when it was added.
func requestLike(r *model.Flow) bool {
	if !r.Has(model.FSrcPort) || !r.Has(model.FDstPort) || r.SrcPort == 0 && r.DstPort == 0 {
		return true
	}
	rs, rd := portRank(r.Protocol, r.SrcPort), portRank(r.Protocol, r.DstPort)
	if rs != rd {
		return rd < rs
	}
	return r.DstPort < r.SrcPort
}

// portRanks holds decode.ServicePortRank for every TCP and UDP port: the service table
// behind it is a map, and two lookups per record were an eighth of the cost of Add.
var portRanks = sync.OnceValue(func() *[2][65536]uint8 {
	var t [2][65536]uint8
	for port := range 65536 {
		t[0][port] = uint8(decode.ServicePortRank(decode.ProtoTCP, uint16(port)))
		t[1][port] = uint8(decode.ServicePortRank(decode.ProtoUDP, uint16(port)))
	}
	return &t
})

func portRank(proto uint8, port uint16) uint8 {
	switch proto {
	case decode.ProtoTCP:
		return portRanks()[0][port]
	case decode.ProtoUDP:
		return portRanks()[1][port]
	}
	return uint8(decode.ServicePortRank(proto, port)) // the number alone: no table
}

// hasPorts reports whether the record's protocol has ports to sweep: ICMP and the others
// without ports are logged with 0 for both.
func hasPorts(r *model.Flow) bool {
	return r.Has(model.FSrcPort) && r.Has(model.FDstPort) && r.SrcPort|r.DstPort != 0
}

func dstPortKey(r *model.Flow) portKey {
	k := portKey(r.DstPort)
	if r.Has(model.FProtocol) {
		k |= 1<<24 | portKey(r.Protocol)<<16
	}
	return k
}

// direct returns the direct index of k's protocol, or nil.
func (l *Live) direct(k portKey) *[65536]int32 {
	if k&(1<<24) == 0 {
		return nil
	}
	var p int
	switch uint8(k >> 16) {
	case decode.ProtoTCP:
		p = 0
	case decode.ProtoUDP:
		p = 1
	default:
		return nil
	}
	if l.portIdx == nil {
		l.portIdx = new([2][65536]int32)
	}
	return &l.portIdx[p]
}

// portAt is l.ports.at through the direct index.
func (l *Live) portAt(k portKey) int32 {
	d := l.direct(k)
	if d == nil {
		return l.ports.at(k)
	}
	if i := d[uint16(k)]; i > 0 {
		return i - 1
	}
	i := l.ports.at(k)
	d[uint16(k)] = i + 1
	return i
}

func (l *Live) portFind(k portKey) int32 {
	if d := l.direct(k); d != nil {
		return d[uint16(k)] - 1
	}
	return l.ports.find(k)
}

func (l *Live) releasePort(i int32) {
	if d := l.direct(l.ports.keys[i]); d != nil {
		d[uint16(l.ports.keys[i])] = 0
	}
	l.ports.release(i)
}

func pairKey(a, b int32) uint64 {
	if a > b {
		a, b = b, a
	}
	return uint64(a)<<32 | uint64(uint32(b))
}

// Add counts a record.
func (l *Live) Add(r *model.Flow) {
	if !r.IsData() {
		l.markers++
		return
	}
	l.total.add(r)
	si, di := int32(-1), int32(-1)
	if r.Has(model.FSrcAddr) {
		si = l.addrs.at(r.Src().As16())
		l.addrs.vals[si].src.add(r)
	}
	if r.Has(model.FDstAddr) {
		di = l.addrs.at(r.Dst().As16())
		l.addrs.vals[di].dst.add(r)
	}
	if r.Has(model.FDstPort) {
		k := dstPortKey(r)
		l.ports.vals[l.portAt(k)].add(r)
		if r.Action == model.Reject {
			l.rejPorts.vals[l.rejPorts.at(k)].add(r)
		}
	}
	if r.Interface != 0 {
		l.ifaces.vals[l.ifaces.at(r.Interface)].add(r)
	}
	if si >= 0 && di >= 0 {
		l.convs.vals[l.convs.at(pairKey(si, di))].add(r)
	}
	if si >= 0 && requestLike(r) {
		if hasPorts(r) && l.srcPorts.inc(uint64(si)<<16|uint64(r.DstPort)) {
			l.addrs.vals[si].ports++
		}
		if di >= 0 && l.srcHosts.inc(uint64(si)<<32|uint64(di)) {
			l.addrs.vals[si].hosts++
		}
	}
	if r.Has(model.FStart) {
		t := &l.times.vals[l.times.at(r.Start/60)]
		switch r.Action {
		case model.Accept:
			t.accepted.add(r)
		case model.Reject:
			t.rejected.add(r)
		default:
			t.other.add(r)
		}
	}
}

// Remove takes back a record that was added. A record that was not added is ignored
// where its groups do not exist, but may leave the counts wrong where they do.
func (l *Live) Remove(r *model.Flow) {
	if !r.IsData() {
		if l.markers > 0 {
			l.markers--
		}
		return
	}
	l.total.sub(r)
	si, di := int32(-1), int32(-1)
	if r.Has(model.FSrcAddr) {
		si = l.addrs.find(r.Src().As16())
	}
	if r.Has(model.FDstAddr) {
		di = l.addrs.find(r.Dst().As16())
	}
	if r.Has(model.FDstPort) {
		k := dstPortKey(r)
		if i := l.portFind(k); i >= 0 {
			l.ports.vals[i].sub(r)
			if l.ports.vals[i].flows == 0 {
				l.releasePort(i)
			}
		}
		if r.Action == model.Reject {
			subFrom(&l.rejPorts, k, r)
		}
	}
	if r.Interface != 0 {
		subFrom(&l.ifaces, r.Interface, r)
	}
	if si >= 0 && di >= 0 {
		subFrom(&l.convs, pairKey(si, di), r)
	}
	if si >= 0 && requestLike(r) {
		if hasPorts(r) && l.srcPorts.dec(uint64(si)<<16|uint64(r.DstPort)) {
			l.addrs.vals[si].ports--
		}
		if di >= 0 && l.srcHosts.dec(uint64(si)<<32|uint64(di)) {
			l.addrs.vals[si].hosts--
		}
	}
	if r.Has(model.FStart) {
		if i := l.times.find(r.Start / 60); i >= 0 {
			t := &l.times.vals[i]
			switch r.Action {
			case model.Accept:
				t.accepted.sub(r)
			case model.Reject:
				t.rejected.sub(r)
			default:
				t.other.sub(r)
			}
			if t.accepted.flows == 0 && t.rejected.flows == 0 && t.other.flows == 0 {
				l.times.release(i)
			}
		}
	}
	// The address rows go last: the pair keys above were made of their positions,
	// which a released row gives to the next new address.
	if si >= 0 {
		l.addrs.vals[si].src.sub(r)
		l.releaseAddr(si)
	}
	if di >= 0 {
		l.addrs.vals[di].dst.sub(r)
		l.releaseAddr(di)
	}
}

func (l *Live) releaseAddr(i int32) {
	if a := &l.addrs.vals[i]; a.src.flows == 0 && a.dst.flows == 0 {
		l.addrs.release(i)
	}
}

func subFrom[K comparable](s *slab[K, counts], k K, r *model.Flow) {
	i := s.find(k)
	if i < 0 {
		return
	}
	s.vals[i].sub(r)
	if s.vals[i].flows == 0 {
		s.release(i)
	}
}

// Totals are the counts of everything a Live holds.
type Totals struct {
	Flows, Packets, Bytes, Rejects uint64 // records with traffic
	Markers                        uint64 // NODATA and SKIPDATA records
}

// Totals returns the counts over every record held: the denominators of share bars.
func (l *Live) Totals() Totals {
	return Totals{Flows: uint64(l.total.flows), Packets: l.total.packets, Bytes: l.total.bytes,
		Rejects: uint64(l.total.rejects), Markers: l.markers}
}

// Get returns one metric of the totals.
func (t Totals) Get(m Metric) uint64 {
	switch m {
	case Packets:
		return t.Packets
	case Bytes:
		return t.Bytes
	case Rejects:
		return t.Rejects
	}
	return t.Flows
}

// Groups is the number of rows a panel has.
func (l *Live) Groups(p Panel) int {
	switch p {
	case Sources, Destinations:
		n := 0
		for i, used := range l.addrs.used {
			if used && (p == Sources && l.addrs.vals[i].src.flows > 0 || p == Destinations && l.addrs.vals[i].dst.flows > 0) {
				n++
			}
		}
		return n
	case ScanPorts, ScanHosts:
		n := 0
		for i, used := range l.addrs.used {
			if used && (p == ScanPorts && l.addrs.vals[i].ports > 0 || p == ScanHosts && l.addrs.vals[i].hosts > 0) {
				n++
			}
		}
		return n
	case Ports:
		return l.ports.Len()
	case RejectedPorts:
		return l.rejPorts.Len()
	case Interfaces:
		return l.ifaces.Len()
	case Conversations:
		return l.convs.Len()
	}
	return 0
}

func addrOf(k [16]byte) netip.Addr { return netip.AddrFrom16(k).Unmap() }
