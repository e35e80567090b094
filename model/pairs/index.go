package pairs

import (
	"bytes"
	"net/netip"

	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/decode"
)

// Side is a direction of a conversation: AtoB is what Key.A sent to Key.B.
type Side uint8

const (
	AtoB        Side = 0
	BtoA        Side = 1
	SideUnknown Side = 2
)

// Other is the reverse direction; SideUnknown stays unknown.
func (s Side) Other() Side {
	switch s {
	case AtoB:
		return BtoA
	case BtoA:
		return AtoB
	}
	return SideUnknown
}

func (s Side) String() string {
	switch s {
	case AtoB:
		return "a-to-b"
	case BtoA:
		return "b-to-a"
	}
	return "unknown"
}

// Key names a conversation on one interface. A sorts before B (netip.AddrPort.Compare),
// so a record and its reverse share the key. Ports are 0 for ICMP and the other
// protocols without ports, so every ping between two addresses is one pair.
type Key struct {
	Interface model.Sym
	Protocol  uint8
	A, B      netip.AddrPort
}

// Sender is the endpoint that sends direction s (A for AtoB); the zero AddrPort for
// SideUnknown.
func (k Key) Sender(s Side) netip.AddrPort {
	switch s {
	case AtoB:
		return k.A
	case BtoA:
		return k.B
	}
	return netip.AddrPort{}
}

// Receiver is the endpoint that receives direction s.
func (k Key) Receiver(s Side) netip.AddrPort { return k.Sender(s.Other()) }

// KeyOf returns the key of a record and the direction it travelled. It is false for
// NODATA and SKIPDATA records and for records without addresses or protocol, which
// belong to no conversation. A missing port counts as 0.
func KeyOf(r *model.Flow) (Key, Side, bool) {
	if !r.IsData() || !r.Has(model.FSrcAddr) || !r.Has(model.FDstAddr) || !r.Has(model.FProtocol) {
		return Key{}, AtoB, false
	}
	src := netip.AddrPortFrom(r.Src(), r.SrcPort)
	dst := netip.AddrPortFrom(r.Dst(), r.DstPort)
	if src.Compare(dst) <= 0 {
		return Key{Interface: r.Interface, Protocol: r.Protocol, A: src, B: dst}, AtoB, true
	}
	return Key{Interface: r.Interface, Protocol: r.Protocol, A: dst, B: src}, BtoA, true
}

// Dir is one direction of a pair: its records, aggregated. First and Last are exact
// over the records held, also after the oldest were removed.
type Dir struct {
	Records, Accepts, Rejects, BPA int
	Packets, Bytes                 uint64
	First, Last                    uint32 // earliest start, latest end (Unix seconds); 0 when no record had them
	Flags                          uint8  // tcp-flags OR-ed over the records held
	Ingress, Egress                int    // records by flow-direction
	LastSeq                        uint64 // the newest record's ring Seq
}

// Action is "ACCEPT" or "REJECT" when every record with an action says so, "MIXED" when
// both occur, and "" when the direction has no records (or none with an action).
func (d *Dir) Action() string {
	switch {
	case d.Accepts > 0 && d.Rejects > 0:
		return "MIXED"
	case d.Accepts > 0:
		return "ACCEPT"
	case d.Rejects > 0:
		return "REJECT"
	}
	return ""
}

// Pair is a conversation on one interface: both directions of one key.
type Pair struct {
	Key  Key
	Dirs [2]Dir

	more    [2]dirState
	counts  counters
	subnet  model.Sym // the records' subnet-id (version 3+), for the rules when the interface is not loaded
	version uint64    // changes with every record added or removed
	cache   *judged
}

// Dir returns the direction s (nil for SideUnknown).
func (p *Pair) Dir(s Side) *Dir {
	if s > BtoA {
		return nil
	}
	return &p.Dirs[s]
}

// Reverse returns the direction opposite to s, or nil when it has no records: the
// explorer's jump from a flow to its reverse (whose newest record is LastSeq). Whether
// a reverse that exists was rejected is its Action; whether a missing one is a
// rejected request's or an unanswered one's is the judgement's Verdict.
func (p *Pair) Reverse(s Side) *Dir {
	d := p.Dir(s.Other())
	if d == nil || d.Records == 0 {
		return nil
	}
	return d
}

// dirState is what a direction needs beyond Dir to judge it and to undo a record:
// per-flag counts (an OR cannot be undone), the roles the flags give, the run of
// REJECT records that came after the last ACCEPT (the stray policy), and the
// queues that keep First and Last exact.
type dirState struct {
	flagged   int32    // records that carry tcp-flags
	flagCount [4]int32 // records with FIN, SYN, RST, ACK set (see flagBits)
	synOnly   int32    // records with SYN but not ACK: this side opened
	synAck    int32    // records with SYN-ACK: this side answered an open
	// The trailing run: REJECT records added since the newest ACCEPT record.
	trail         int32
	trailStart    uint32 // earliest start in the run (not raised when the run shrinks: conservative)
	trailFlagged  int32
	trailTeardown int32 // of them, FIN or RST without SYN: packets of a closing connection
	trailPackets  uint64
	timed         int32  // records with start and end
	adds, removes uint32 // ordinals of timed records, for the queues
	times         *timeQueues
}

// flagBits are the tcp-flags bits flow logs record, in dirState.flagCount order.
var flagBits = [4]uint8{decode.FlagFIN, decode.FlagSYN, decode.FlagRST, 16}

// Index groups records into pairs. Add records in ring order and Remove them as the
// ring drops them (oldest first): the per-direction aggregates, including First and
// Last, stay exact. It also learns, per interface, the addresses present in every
// record (the interface's own address) and how many conversations each endpoint takes
// part in (listening ports), which the direction inference uses.
//
// An Index is not safe for concurrent use; Judge caches into the pairs.
type Index struct {
	pairs     map[pairKey]*Pair
	ifaces    map[model.Sym]*ifaceState
	addrs     map[addrKey]*addrState
	endpoints map[endpointKey]*int32 // pairs of an interface an endpoint takes part in
}

// Addresses are stored in 16 bytes: records hold no IPv4-mapped IPv6 addresses (the
// parser unmaps them), so an IPv4 address and its mapped form cannot collide.
type pairKey struct {
	a, b         [16]byte
	aPort, bPort uint16
	ifc          model.Sym
	proto        uint8
}

func compact(k Key) pairKey {
	return pairKey{a: k.A.Addr().As16(), b: k.B.Addr().As16(), aPort: k.A.Port(), bPort: k.B.Port(),
		ifc: k.Interface, proto: k.Protocol}
}

// pairKeyOf is KeyOf without building a Key: an existing pair needs none.
func pairKeyOf(r *model.Flow) (pairKey, Side, bool) {
	if !r.IsData() || !r.Has(model.FSrcAddr) || !r.Has(model.FDstAddr) || !r.Has(model.FProtocol) {
		return pairKey{}, AtoB, false
	}
	src, dst := r.Src(), r.Dst()
	if src.Is4() != dst.Is4() {
		// Never seen in flow logs; KeyOf's order (AddrPort.Compare) is the reference.
		k, s, ok := KeyOf(r)
		return compact(k), s, ok
	}
	s16, d16 := src.As16(), dst.As16()
	// For addresses of one family the bytes sort as AddrPort.Compare does.
	c := bytes.Compare(s16[:], d16[:])
	if c < 0 || c == 0 && r.SrcPort <= r.DstPort {
		return pairKey{a: s16, b: d16, aPort: r.SrcPort, bPort: r.DstPort, ifc: r.Interface, proto: r.Protocol}, AtoB, true
	}
	return pairKey{a: d16, b: s16, aPort: r.DstPort, bPort: r.SrcPort, ifc: r.Interface, proto: r.Protocol}, BtoA, true
}

// ifaceState counts an interface's records and pairs by address family.
type ifaceState struct {
	records [2]int32 // IPv4, IPv6
	pairs   [2]int32
}

type addrKey struct {
	addr [16]byte
	ifc  model.Sym
}

// addrState counts the records of an interface that carry an address, and the pairs
// that hold it (the entry lives while they do).
type addrState struct {
	records, pairs int32
}

type endpointKey struct {
	addr  [16]byte
	ifc   model.Sym
	port  uint16
	proto uint8
}

// counters are the shared counts a pair updates. A pair keeps pointers to them, so
// that a record of a known pair costs one map lookup.
type counters struct {
	iface      *ifaceState
	addrA      *addrState
	addrB      *addrState // nil when B's address is A's
	endA, endB *int32     // nil for protocols without ports
}

// NewIndex returns an empty index.
func NewIndex() *Index {
	return &Index{
		pairs:     map[pairKey]*Pair{},
		ifaces:    map[model.Sym]*ifaceState{},
		addrs:     map[addrKey]*addrState{},
		endpoints: map[endpointKey]*int32{},
	}
}

// Len is the number of pairs.
func (ix *Index) Len() int { return len(ix.pairs) }

// All returns every pair, in no particular order.
func (ix *Index) All() []*Pair {
	out := make([]*Pair, 0, len(ix.pairs))
	for _, p := range ix.pairs {
		out = append(out, p)
	}
	return out
}

// Lookup returns the pair of a key, or nil.
func (ix *Index) Lookup(k Key) *Pair { return ix.pairs[compact(k)] }

// Get returns the pair a record belongs to and the record's direction; nil when the
// record has no pair (not added, or not a conversation record).
func (ix *Index) Get(r *model.Flow) (*Pair, Side) {
	pk, s, ok := pairKeyOf(r)
	if !ok {
		return nil, SideUnknown
	}
	p := ix.pairs[pk]
	if p == nil {
		return nil, SideUnknown
	}
	return p, s
}

// Add counts a record, seq being its ring Seq.
func (ix *Index) Add(seq uint64, r *model.Flow) {
	pk, s, ok := pairKeyOf(r)
	if !ok {
		return
	}
	p := ix.pairs[pk]
	if p == nil {
		k, _, _ := KeyOf(r)
		p = &Pair{Key: k}
		ix.pairs[pk] = p
		ix.attach(p, pk)
	}
	p.add(s, seq, r)
	c := &p.counts
	c.iface.records[family(p.Key.A.Addr())]++
	c.addrA.records++
	if c.addrB != nil {
		c.addrB.records++
	}
}

// Remove forgets a record that left the ring. Records must leave in the order they were
// added (the ring drops the oldest first); a pair without records is deleted.
func (ix *Index) Remove(r *model.Flow) {
	pk, s, ok := pairKeyOf(r)
	if !ok {
		return
	}
	p := ix.pairs[pk]
	if p == nil || p.Dirs[s].Records == 0 {
		return
	}
	p.remove(s, r)
	c := &p.counts
	c.iface.records[family(p.Key.A.Addr())]--
	c.addrA.records--
	if c.addrB != nil {
		c.addrB.records--
	}
	if p.Dirs[AtoB].Records == 0 && p.Dirs[BtoA].Records == 0 {
		delete(ix.pairs, pk)
		ix.detach(p, pk)
	}
}

func family(a netip.Addr) int {
	if a.Is4() {
		return 0
	}
	return 1
}

// attach finds or makes the counters a new pair shares with its interface, and counts
// the pair in them.
func (ix *Index) attach(p *Pair, pk pairKey) {
	c := &p.counts
	c.iface = ix.ifaces[pk.ifc]
	if c.iface == nil {
		c.iface = &ifaceState{}
		ix.ifaces[pk.ifc] = c.iface
	}
	c.iface.pairs[family(p.Key.A.Addr())]++
	c.addrA = ix.addrState(addrKey{addr: pk.a, ifc: pk.ifc})
	if pk.b != pk.a {
		c.addrB = ix.addrState(addrKey{addr: pk.b, ifc: pk.ifc})
	}
	if hasPorts(pk.proto) {
		c.endA = ix.endpoint(endpointKey{addr: pk.a, ifc: pk.ifc, port: pk.aPort, proto: pk.proto})
		c.endB = ix.endpoint(endpointKey{addr: pk.b, ifc: pk.ifc, port: pk.bPort, proto: pk.proto})
	}
}

func (ix *Index) addrState(k addrKey) *addrState {
	a := ix.addrs[k]
	if a == nil {
		a = &addrState{}
		ix.addrs[k] = a
	}
	a.pairs++
	return a
}

func (ix *Index) endpoint(k endpointKey) *int32 {
	n := ix.endpoints[k]
	if n == nil {
		n = new(int32)
		ix.endpoints[k] = n
	}
	*n++
	return n
}

// detach uncounts a deleted pair and drops the counters no pair holds any more.
func (ix *Index) detach(p *Pair, pk pairKey) {
	c := &p.counts
	c.iface.pairs[family(p.Key.A.Addr())]--
	if c.iface.pairs[0] <= 0 && c.iface.pairs[1] <= 0 {
		delete(ix.ifaces, pk.ifc)
	}
	if c.addrA.pairs--; c.addrA.pairs <= 0 {
		delete(ix.addrs, addrKey{addr: pk.a, ifc: pk.ifc})
	}
	if c.addrB != nil {
		if c.addrB.pairs--; c.addrB.pairs <= 0 {
			delete(ix.addrs, addrKey{addr: pk.b, ifc: pk.ifc})
		}
	}
	if c.endA != nil {
		if *c.endA--; *c.endA <= 0 {
			delete(ix.endpoints, endpointKey{addr: pk.a, ifc: pk.ifc, port: pk.aPort, proto: pk.proto})
		}
		if *c.endB--; *c.endB <= 0 {
			delete(ix.endpoints, endpointKey{addr: pk.b, ifc: pk.ifc, port: pk.bPort, proto: pk.proto})
		}
	}
	p.counts = counters{}
}

// hasPorts reports whether the protocol's ports mean something (TCP, UDP, SCTP): a
// listening port can only be told by its port.
func hasPorts(proto uint8) bool { return proto == 6 || proto == 17 || proto == 132 }

// own reports whether an address of the pair (A: AtoB, B: BtoA) is in every record of
// its interface, and whether the interface has more than this pair to tell by.
func (p *Pair) own(end Side) bool {
	c := &p.counts
	if c.iface == nil {
		return false
	}
	a := c.addrA
	if end == BtoA && c.addrB != nil {
		a = c.addrB
	}
	f := family(p.Key.A.Addr())
	// With one pair on the interface both ends are in every record: no evidence.
	return a.records > 0 && a.records == c.iface.records[f] && c.iface.pairs[f] >= 2
}

// conversations is the number of pairs an end of the pair takes part in on its
// interface (0 for protocols without ports).
func (p *Pair) conversations(end Side) int32 {
	n := p.counts.endA
	if end == BtoA {
		n = p.counts.endB
	}
	if n == nil {
		return 0
	}
	return *n
}

// bpa is the reject-reason of VPC Block Public Access; interned once, so a record is
// tested with one comparison.
var bpa = model.Intern("BPA")

func (p *Pair) add(s Side, seq uint64, r *model.Flow) {
	p.version++
	d, x := &p.Dirs[s], &p.more[s]
	if d.Records == 0 {
		*d, *x = Dir{}, dirState{}
	}
	d.Records++
	d.LastSeq = seq
	if sub := r.Sym(model.FSubnetID); sub != 0 {
		p.subnet = sub
	}
	d.Packets += r.Packets
	d.Bytes += r.Bytes
	switch r.Direction {
	case model.Ingress:
		d.Ingress++
	case model.Egress:
		d.Egress++
	}
	flagged := r.Has(model.FTCPFlags)
	if flagged {
		x.flagged++
		for i, b := range flagBits {
			if r.TCPFlags&b != 0 {
				x.flagCount[i]++
			}
		}
		switch decode.TCPFlagRole(r.TCPFlags) {
		case decode.RoleInitiator:
			x.synOnly++
		case decode.RoleResponder:
			x.synAck++
		}
		d.Flags |= r.TCPFlags & (decode.FlagFIN | decode.FlagSYN | decode.FlagRST | 16)
	}
	switch r.Action {
	case model.Accept:
		d.Accepts++
		x.trail, x.trailStart, x.trailFlagged, x.trailTeardown, x.trailPackets = 0, 0, 0, 0, 0
	case model.Reject:
		d.Rejects++
		if r.Sym(model.FRejectReason) == bpa {
			d.BPA++
		}
		if x.trail == 0 || r.Start < x.trailStart {
			x.trailStart = r.Start
		}
		x.trail++
		x.trailPackets += r.Packets
		if flagged {
			x.trailFlagged++
			if isTeardown(r.TCPFlags) {
				x.trailTeardown++
			}
		}
	}
	if timed(r) {
		x.timed++
		if x.timed == 1 {
			d.First, d.Last = r.Start, r.End
		} else {
			if x.times == nil {
				// The second timed record: the first is the oldest held, so its ordinal
				// is the count removed so far.
				x.times = &timeQueues{}
				x.times.first.push(x.removes, d.First)
				x.times.last.push(x.removes, ^d.Last)
			}
			x.times.first.push(x.adds, r.Start)
			x.times.last.push(x.adds, ^r.End)
			d.First, d.Last = min(d.First, r.Start), max(d.Last, r.End)
		}
		x.adds++
	}
}

func (p *Pair) remove(s Side, r *model.Flow) {
	p.version++
	d, x := &p.Dirs[s], &p.more[s]
	d.Records--
	if d.Records <= 0 {
		*d, *x = Dir{}, dirState{}
		return
	}
	d.Packets -= min(d.Packets, r.Packets)
	d.Bytes -= min(d.Bytes, r.Bytes)
	switch r.Direction {
	case model.Ingress:
		d.Ingress--
	case model.Egress:
		d.Egress--
	}
	if r.Has(model.FTCPFlags) {
		x.flagged--
		d.Flags = 0
		for i, b := range flagBits {
			if r.TCPFlags&b != 0 {
				x.flagCount[i]--
			}
			if x.flagCount[i] > 0 {
				d.Flags |= b
			}
		}
		switch decode.TCPFlagRole(r.TCPFlags) {
		case decode.RoleInitiator:
			x.synOnly--
		case decode.RoleResponder:
			x.synAck--
		}
	}
	switch r.Action {
	case model.Accept:
		d.Accepts--
	case model.Reject:
		// Oldest first: a REJECT leaving belongs to the trailing run only when every
		// REJECT held is in it.
		if x.trail == int32(d.Rejects) {
			x.trail--
			x.trailPackets -= min(x.trailPackets, r.Packets)
			if r.Has(model.FTCPFlags) {
				x.trailFlagged--
				if isTeardown(r.TCPFlags) {
					x.trailTeardown--
				}
			}
		}
		d.Rejects--
		if r.Sym(model.FRejectReason) == bpa {
			d.BPA--
		}
	}
	if timed(r) {
		x.timed--
		if x.times != nil {
			x.times.first.pop(x.removes)
			x.times.last.pop(x.removes)
			d.First, d.Last = x.times.first.front(), ^x.times.last.front()
			if x.timed <= 1 {
				x.times = nil // one record left: First and Last are its own
			}
		}
		x.removes++
		if x.timed == 0 {
			d.First, d.Last = 0, 0
		}
	}
}

func timed(r *model.Flow) bool { return r.Has(model.FStart) && r.Has(model.FEnd) }

// isTeardown: FIN or RST without SYN, the packets of a connection being closed.
func isTeardown(flags uint8) bool {
	return flags&decode.FlagSYN == 0 && flags&(decode.FlagFIN|decode.FlagRST) != 0
}

// timeQueues keep First (the least start) and Last (the greatest end, stored
// complemented so that both are minima) over the timed records still held.
type timeQueues struct{ first, last minQueue }

// minQueue is a monotonic queue: the minimum of a window that gains values at the back
// and loses them at the front, in amortized O(1). Entries are ordinal<<32 | value, their
// values increasing from the front; an entry is dropped at push once a newer, smaller
// value makes it unable ever to be the minimum.
type minQueue struct {
	q    []uint64
	head int
}

func (m *minQueue) push(ord, v uint32) {
	for len(m.q) > m.head && uint32(m.q[len(m.q)-1]) >= v {
		m.q = m.q[:len(m.q)-1]
	}
	m.q = append(m.q, uint64(ord)<<32|uint64(v))
}

// pop removes the record with ordinal ord, the oldest held, if it is at the front.
func (m *minQueue) pop(ord uint32) {
	if m.head < len(m.q) && uint32(m.q[m.head]>>32) == ord {
		m.head++
		if m.head >= 32 && m.head*2 >= len(m.q) {
			m.q = append(m.q[:0], m.q[m.head:]...)
			m.head = 0
		}
	}
}

func (m *minQueue) front() uint32 {
	if m.head >= len(m.q) {
		return 0
	}
	return uint32(m.q[m.head])
}
