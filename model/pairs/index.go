package pairs

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"net/netip"
	"slices"
	"strconv"

	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/decode"
	"github.com/flowlens/flowlens/model/rules"
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
//
// The ends are kept as 16-byte addresses and ports, 44 bytes in all instead of the 72
// of two netip.AddrPort: the explorer holds a key for about every other record. Records
// hold no IPv4-mapped IPv6 addresses (the parser unmaps them) and no zones, so an IPv4
// address and its mapped form cannot collide and A and B give back what was stored.
// Make one with NewKey or KeyOf; keys are comparable.
type Key struct {
	a, b         [16]byte
	aPort, bPort uint16
	Interface    model.Sym
	Protocol     uint8
}

// NewKey returns the key of a conversation between x and y on an interface, in
// either order: the end that sorts first becomes A.
func NewKey(ifc model.Sym, proto uint8, x, y netip.AddrPort) Key {
	// Stored as 16 bytes, an IPv4-mapped address reads back as IPv4: ordered as one
	// here, as KeyOf's records (which hold none) are.
	x = netip.AddrPortFrom(x.Addr().Unmap(), x.Port())
	y = netip.AddrPortFrom(y.Addr().Unmap(), y.Port())
	if x.Compare(y) > 0 {
		x, y = y, x
	}
	return Key{a: x.Addr().As16(), b: y.Addr().As16(), aPort: x.Port(), bPort: y.Port(), Interface: ifc, Protocol: proto}
}

// A is the end that sorts first.
func (k Key) A() netip.AddrPort { return netip.AddrPortFrom(addrOf16(&k.a), k.aPort) }

// B is the other end (A itself when a record went from an endpoint to itself).
func (k Key) B() netip.AddrPort { return netip.AddrPortFrom(addrOf16(&k.b), k.bPort) }

// String is the key for messages: "eni-0abc 6 10.0.1.5:22 203.0.113.7:51515".
func (k Key) String() string {
	return k.Interface.String() + " " + strconv.Itoa(int(k.Protocol)) + " " + k.A().String() + " " + k.B().String()
}

// Sender is the endpoint that sends direction s (A for AtoB); the zero AddrPort for
// SideUnknown.
func (k Key) Sender(s Side) netip.AddrPort {
	switch s {
	case AtoB:
		return k.A()
	case BtoA:
		return k.B()
	}
	return netip.AddrPort{}
}

// Receiver is the endpoint that receives direction s.
func (k Key) Receiver(s Side) netip.AddrPort { return k.Sender(s.Other()) }

// Compare orders keys by interface (symbol number, which is stable within a run),
// protocol and ends, the ends as netip.AddrPort.Compare orders them: a total order,
// for lists that must not shuffle between rebuilds.
func (k Key) Compare(o Key) int {
	if c := cmp.Compare(k.Interface, o.Interface); c != 0 {
		return c
	}
	if c := cmp.Compare(k.Protocol, o.Protocol); c != 0 {
		return c
	}
	if c := compareEnd(&k.a, k.aPort, &o.a, o.aPort); c != 0 {
		return c
	}
	return compareEnd(&k.b, k.bPort, &o.b, o.bPort)
}

// compareEnd is netip.AddrPort.Compare for stored ends: IPv4 before IPv6, then the
// address's bytes, then the port.
func compareEnd(a *[16]byte, aPort uint16, b *[16]byte, bPort uint16) int {
	if c := cmp.Compare(familyOf16(a), familyOf16(b)); c != 0 {
		return c
	}
	if c := bytes.Compare(a[:], b[:]); c != 0 {
		return c
	}
	return cmp.Compare(aPort, bPort)
}

// KeyOf returns the key of a record and the direction it travelled. It is false for
// NODATA and SKIPDATA records and for records without addresses or protocol, which
// belong to no conversation. A missing port counts as 0.
func KeyOf(r *model.Flow) (Key, Side, bool) {
	if !r.IsData() || !r.Has(model.FSrcAddr) || !r.Has(model.FDstAddr) || !r.Has(model.FProtocol) {
		return Key{}, AtoB, false
	}
	src, dst := r.Src(), r.Dst()
	s16, d16 := src.As16(), dst.As16()
	var srcFirst bool
	if src4 := src.Is4(); src4 != dst.Is4() {
		// Never seen in flow logs: as netip.AddrPort.Compare, IPv4 sorts first.
		srcFirst = src4
	} else {
		// For addresses of one family the bytes sort as netip.AddrPort.Compare does.
		c := bytes.Compare(s16[:], d16[:])
		srcFirst = c < 0 || c == 0 && r.SrcPort <= r.DstPort
	}
	if srcFirst {
		return Key{a: s16, b: d16, aPort: r.SrcPort, bPort: r.DstPort, Interface: r.Interface, Protocol: r.Protocol}, AtoB, true
	}
	return Key{a: d16, b: s16, aPort: r.DstPort, bPort: r.SrcPort, Interface: r.Interface, Protocol: r.Protocol}, BtoA, true
}

// Dir is one direction of a pair: its records, aggregated. First and Last are exact
// over the records held, also after the oldest were removed. The counts are int32 and
// the newest record's Seq shares a word with the flags: an index holds two Dirs for
// every conversation (up to a million records in the explorer), and a Dir takes 48
// bytes (with int counts it took 88). The records by flow-direction, which the default
// format lacks, are counted out of line (Pair.ways).
type Dir struct {
	Records, Accepts, Rejects, BPA int32
	Packets, Bytes                 uint64
	First, Last                    uint32 // earliest start, latest end (Unix seconds); 0 when no record had them
	seqFlags                       uint64 // LastSeq<<8 | Flags
}

// LastSeq is the newest record's ring Seq. It is kept in 56 bits: more records than a
// ring sees in two thousand years at a million a second.
func (d *Dir) LastSeq() uint64 { return d.seqFlags >> 8 }

// Flags are the tcp-flags OR-ed over the records held.
func (d *Dir) Flags() uint8 { return uint8(d.seqFlags) }

func (d *Dir) setLastSeq(seq uint64) { d.seqFlags = seq<<8 | d.seqFlags&0xff }

func (d *Dir) setFlags(f uint8) { d.seqFlags = d.seqFlags&^0xff | uint64(f) }

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
	// A Pair is 176 bytes (a size class of the allocator; TestPairSize keeps it there):
	// the explorer holds one for about every other record, so the state that most
	// conversations do not need lives out of line: extra while a record had tcp-flags,
	// a flow-direction, a subnet-id or no times (never in the default format's records
	// of traffic) or the pair's judgement is cached, rare while a direction has a
	// trailing run of REJECT records or two timed records. The fields are in an order
	// that leaves no padding.
	Key    Key
	counts counters
	extra  *pairExtra
	rare   *[2]dirRare

	Dirs [2]Dir
}

// pairExtra is what a pair needs only when its records carry tcp-flags, a
// flow-direction or a subnet-id, or lack a start or an end, or when its judgement is
// cached.
type pairExtra struct {
	// What classifying a pair reads comes first, together.
	cache   *judged
	ways    [2]flowWays
	flags   [2]flagState
	subnet  model.Sym // the records' subnet-id (version 3+), for the rules when the interface is not loaded
	untimed [2]int32  // records without start or end, by direction (the others are timed)
}

// flowWays counts a direction's records by flow-direction (version 5+).
type flowWays struct {
	ingress, egress int32
}

// bump records a change of the pair: its cached judgement, made of the state before,
// is dropped. (A version number to compare with the cache's would cost every pair a
// field; few pairs are judged in full, and those rarely between two changes.)
func (p *Pair) bump() {
	if p.extra != nil {
		p.extra.cache = nil
	}
}

// timed is the number of direction s's records with start and end.
func (p *Pair) timed(s Side) int32 {
	if p.extra == nil {
		return p.Dirs[s].Records
	}
	return p.Dirs[s].Records - p.extra.untimed[s]
}

// subnet is the records' subnet-id, 0 when none had one.
func (p *Pair) subnet() model.Sym {
	if p.extra == nil {
		return 0
	}
	return p.extra.subnet
}

// flagsOf returns direction s's tcp-flags counts; zero when no record had flags.
func (p *Pair) flagsOf(s Side) flagState {
	if p.extra == nil {
		return flagState{}
	}
	return p.extra.flags[s]
}

// ways returns direction s's records by flow-direction; zero when no record had one.
func (p *Pair) ways(s Side) flowWays {
	if p.extra == nil {
		return flowWays{}
	}
	return p.extra.ways[s]
}

// run returns direction s's trailing run (empty when there is none).
func (p *Pair) run(s Side) trailRun {
	if p.rare == nil || p.rare[s].run == nil {
		return trailRun{}
	}
	return *p.rare[s].run
}

// rareState returns direction s's rare state, made on first need.
func (p *Pair) rareState(s Side) *dirRare {
	if p.rare == nil {
		p.rare = &[2]dirRare{}
	}
	return &p.rare[s]
}

// extraState returns the pair's extra state, made on first need.
func (p *Pair) extraState() *pairExtra {
	if p.extra == nil {
		p.extra = &pairExtra{}
	}
	return p.extra
}

// tidy drops the out-of-line state once nothing in it is in use.
func (p *Pair) tidy() {
	if r := p.rare; r != nil && r[0].run.empty() && r[1].run.empty() && !r[0].times.inUse() && !r[1].times.inUse() {
		p.rare = nil
	}
	if e := p.extra; e != nil && e.subnet == 0 && e.flags[0].flagged == 0 && e.flags[1].flagged == 0 &&
		e.untimed == [2]int32{} && e.ways == [2]flowWays{} && e.cache == nil {
		p.extra = nil
	}
}

// resetDir forgets everything about direction s: its last record left, or its first
// arrives.
func (p *Pair) resetDir(s Side) {
	p.Dirs[s] = Dir{}
	if p.extra != nil {
		p.extra.flags[s], p.extra.untimed[s], p.extra.ways[s] = flagState{}, 0, flowWays{}
	}
	if p.rare != nil {
		p.rare[s] = dirRare{}
	}
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

// flagState is what a direction needs beyond Dir to judge its tcp-flags and to undo a
// record: per-flag counts (an OR cannot be undone) and the roles the flags give.
type flagState struct {
	flagged   int32    // records that carry tcp-flags
	flagCount [4]int32 // records with FIN, SYN, RST, ACK set (see flagBits)
	synOnly   int32    // records with SYN but not ACK: this side opened
	synAck    int32    // records with SYN-ACK: this side answered an open
}

// dirRare is a direction's state that most directions never need: the run of REJECT
// records that came after the last ACCEPT (the stray policy) and the queues that keep
// First and Last exact. The run is out of line again: most directions here hold two
// timed records and no REJECT, and a pair's two dirRare take 160 bytes instead of 192.
type dirRare struct {
	run   *trailRun  // nil while no REJECT came after the newest ACCEPT
	times timeQueues // in use while the direction holds two timed records or more
}

// trailRun is the trailing run: the REJECT records added since the newest ACCEPT
// record.
type trailRun struct {
	trail         int32
	trailStart    uint32 // earliest start in the run (not raised when the run shrinks: conservative)
	trailFlagged  int32
	trailTeardown int32 // of them, FIN or RST without SYN: packets of a closing connection
	trailPackets  uint64
}

// empty reports whether there is no run: none allocated, or one emptied by an ACCEPT.
func (t *trailRun) empty() bool { return t == nil || t.trail == 0 }

// add counts a REJECT record into the run; flagged: its tcp-flags are known.
func (t *trailRun) add(r *model.Flow, flagged bool) {
	if t.trail == 0 || r.Start < t.trailStart {
		t.trailStart = r.Start
	}
	t.trail++
	t.trailPackets += r.Packets
	if flagged {
		t.trailFlagged++
		if isTeardown(r.TCPFlags) {
			t.trailTeardown++
		}
	}
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
	pairs pairTable
	evidence
}

// evidence is what the pairs of an interface tell about each other: per interface, the
// addresses present in every record (the interface's own address) and how many
// conversations each endpoint takes part in (listening ports). The Index keeps it in
// step with its pairs; a Batch counts the records at the end.
type evidence struct {
	ifaces map[model.Sym]uint32 // index in ifaceStates
	addrs  map[addrKey]uint32   // index in addrStates
	// The counts the pairs share live in slabs, which the pairs name by index: a pair
	// keeps 4 bytes per count instead of an 8-byte pointer to a separate allocation,
	// and the collector has no pointers to follow.
	ifaceStates slab[ifaceState]
	addrStates  slab[addrState]
	endpoints   endpointIndex // pairs of an interface an endpoint takes part in
	// seenOn lists, by address, the interfaces whose pairs hold it: where the other end
	// of a connection can be (Index.Peer). An entry per address, not per pair: a few
	// thousand addresses hold a million conversations. Only an Index keeps it.
	seenOn map[[16]byte][]model.Sym
}

func newEvidence() evidence {
	return evidence{
		ifaces: map[model.Sym]uint32{},
		addrs:  map[addrKey]uint32{},
	}
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

// endpointKey names an endpoint on an interface by its address's index in addrStates,
// which stays put while any pair holds the address, so while the endpoint lives: 8
// bytes to hash and compare instead of 24, for about one endpoint a pair.
type endpointKey uint64

func endpointOf(addr uint32, port uint16, proto uint8) endpointKey {
	return endpointKey(uint64(addr)<<32 | uint64(port)<<8 | uint64(proto))
}

// counters are the shared counts a pair updates, by their index in the Index's slabs
// (0: none), so that a record of a known pair costs one table lookup.
type counters struct {
	iface      uint32
	addrA      uint32
	addrB      uint32 // 0 when B's address is A's
	endA, endB uint32 // 0 for protocols without ports
}

// addrOfB is the index of B's address.
func (c *counters) addrOfB() uint32 {
	if c.addrB == 0 {
		return c.addrA
	}
	return c.addrB
}

// slab keeps values at stable indices and reuses those released. Index 0 is never
// handed out, so that 0 can mean none.
type slab[T any] struct {
	items []T
	free  []uint32
}

func (s *slab[T]) alloc() uint32 {
	if n := len(s.free); n > 0 {
		i := s.free[n-1]
		s.free = s.free[:n-1]
		return i
	}
	var zero T
	if len(s.items) == 0 {
		s.items = append(s.items, zero)
	}
	s.items = append(s.items, zero)
	return uint32(len(s.items) - 1)
}

func (s *slab[T]) release(i uint32) {
	var zero T
	s.items[i] = zero
	s.free = append(s.free, i)
}

// NewIndex returns an empty index.
func NewIndex() *Index {
	ix := &Index{pairs: newPairTable(), evidence: newEvidence()}
	ix.seenOn = map[[16]byte][]model.Sym{}
	return ix
}

// Len is the number of pairs.
func (ix *Index) Len() int { return ix.pairs.n }

// All returns every pair, in no particular order.
func (ix *Index) All() []*Pair {
	out := make([]*Pair, 0, ix.pairs.n)
	ix.pairs.all(func(p *Pair) { out = append(out, p) })
	return out
}

// Lookup returns the pair of a key, or nil.
func (ix *Index) Lookup(k Key) *Pair {
	return ix.pairs.find(ix.pairs.hash(&k), &k)
}

// Get returns the pair a record belongs to and the record's direction; nil when the
// record has no pair (not added, or not a conversation record).
func (ix *Index) Get(r *model.Flow) (*Pair, Side) {
	pk, s, ok := KeyOf(r)
	if !ok {
		return nil, SideUnknown
	}
	p := ix.pairs.find(ix.pairs.hash(&pk), &pk)
	if p == nil {
		return nil, SideUnknown
	}
	return p, s
}

// Add counts a record, seq being its ring Seq.
func (ix *Index) Add(seq uint64, r *model.Flow) {
	pk, s, ok := KeyOf(r)
	if !ok {
		return
	}
	h := ix.pairs.hash(&pk)
	p := ix.pairs.find(h, &pk)
	if p == nil {
		p = &Pair{Key: pk}
		ix.pairs.insert(h, p)
		ix.attach(&p.counts, &pk)
	}
	p.add(s, seq, r)
	ix.count(p, 1)
}

// count adds n to the records of the interface and of the addresses of p.
func (ix *Index) count(p *Pair, n int32) { ix.countRecords(&p.counts, familyOf(&p.Key), n) }

// countRecords adds n to the records of the interface and of the addresses a pair's
// counters name; fam is the family of its addresses (see family).
func (e *evidence) countRecords(c *counters, fam int, n int32) {
	e.ifaceStates.items[c.iface].records[fam] += n
	e.addrStates.items[c.addrA].records += n
	if c.addrB != 0 {
		e.addrStates.items[c.addrB].records += n
	}
}

// Remove forgets a record that left the ring. Records must leave in the order they were
// added (the ring drops the oldest first); a pair without records is deleted.
func (ix *Index) Remove(r *model.Flow) {
	pk, s, ok := KeyOf(r)
	if !ok {
		return
	}
	h := ix.pairs.hash(&pk)
	p := ix.pairs.find(h, &pk)
	if p == nil || p.Dirs[s].Records == 0 {
		return
	}
	p.remove(s, r)
	ix.count(p, -1)
	if p.Dirs[AtoB].Records == 0 && p.Dirs[BtoA].Records == 0 {
		ix.pairs.remove(h, p)
		ix.detach(&p.counts, &pk)
		// A caller may still hold the pair: without counters it judges as one alone.
		p.counts = counters{}
	}
}

// familyOf is the family of a key's addresses, 0 for IPv4 and 1 for IPv6 (a record's
// are of one family; A's is taken).
func familyOf(k *Key) int { return familyOf16(&k.a) }

// familyOf16 is the family of a stored address: records hold no IPv4-mapped IPv6
// addresses, so a mapped prefix is an IPv4 address.
func familyOf16(a *[16]byte) int {
	if isMapped(a) {
		return 0
	}
	return 1
}

func isMapped(a *[16]byte) bool {
	return binary.LittleEndian.Uint64(a[:8]) == 0 && binary.BigEndian.Uint32(a[8:12]) == 0xffff
}

// attach finds or makes the counters a new pair (of key pk) shares with its interface,
// and counts the pair in them.
func (e *evidence) attach(c *counters, pk *Key) {
	c.iface = e.ifaces[pk.Interface]
	if c.iface == 0 {
		c.iface = e.ifaceStates.alloc()
		e.ifaces[pk.Interface] = c.iface
	}
	e.ifaceStates.items[c.iface].pairs[familyOf(pk)]++
	c.addrA = e.addrState(addrKey{addr: pk.a, ifc: pk.Interface})
	if pk.b != pk.a {
		c.addrB = e.addrState(addrKey{addr: pk.b, ifc: pk.Interface})
	}
	if hasPorts(pk.Protocol) {
		c.endA = e.endpoints.add(c.addrA, pk.aPort, pk.Protocol)
		c.endB = e.endpoints.add(c.addrOfB(), pk.bPort, pk.Protocol)
	}
}

func (e *evidence) addrState(k addrKey) uint32 {
	i := e.addrs[k]
	if i == 0 {
		i = e.addrStates.alloc()
		e.addrs[k] = i
		if e.seenOn != nil {
			e.seenOn[k.addr] = append(e.seenOn[k.addr], k.ifc)
		}
	}
	e.addrStates.items[i].pairs++
	return i
}

// detach uncounts a deleted pair and drops the counters no pair holds any more.
func (e *evidence) detach(c *counters, pk *Key) {
	ifc := &e.ifaceStates.items[c.iface]
	ifc.pairs[familyOf(pk)]--
	if ifc.pairs[0] <= 0 && ifc.pairs[1] <= 0 {
		delete(e.ifaces, pk.Interface)
		e.ifaceStates.release(c.iface)
	}
	if c.endA != 0 {
		e.endpoints.drop(c.endA)
		e.endpoints.drop(c.endB)
	}
	e.dropAddr(c.addrA, addrKey{addr: pk.a, ifc: pk.Interface})
	if c.addrB != 0 {
		e.dropAddr(c.addrB, addrKey{addr: pk.b, ifc: pk.Interface})
	}
}

func (e *evidence) dropAddr(i uint32, k addrKey) {
	a := &e.addrStates.items[i]
	if a.pairs--; a.pairs <= 0 {
		delete(e.addrs, k)
		e.addrStates.release(i)
		if e.seenOn != nil {
			on := e.seenOn[k.addr]
			if j := slices.Index(on, k.ifc); j >= 0 {
				on = slices.Delete(on, j, j+1)
			}
			if len(on) == 0 {
				delete(e.seenOn, k.addr)
			} else {
				e.seenOn[k.addr] = on
			}
		}
	}
}

// hasPorts reports whether the protocol's ports mean something (TCP, UDP, SCTP): a
// listening port can only be told by its port.
func hasPorts(proto uint8) bool { return proto == 6 || proto == 17 || proto == 132 }

// own reports whether an address of a pair (A: AtoB, B: BtoA) is in every record of
// its interface, and whether the interface has more than this pair to tell by; c are
// the pair's counters and fam the family of its addresses.
func (e *evidence) own(c *counters, fam int, end Side) bool {
	if c.iface == 0 {
		return false
	}
	ai := c.addrA
	if end == BtoA && c.addrB != 0 {
		ai = c.addrB
	}
	a, ifc := &e.addrStates.items[ai], &e.ifaceStates.items[c.iface]
	// With one pair on the interface both ends are in every record: no evidence.
	return a.records > 0 && a.records == ifc.records[fam] && ifc.pairs[fam] >= 2
}

// conversations is the number of pairs an end of a pair takes part in on its interface
// (0 for protocols without ports).
func (e *evidence) conversations(c *counters, end Side) int32 {
	i := c.endA
	if end == BtoA {
		i = c.endB
	}
	if i == 0 {
		return 0
	}
	return e.endpoints.count(i)
}

// inputs is what the evidence says about a pair, with the rules: what its judgement
// depends on beyond the pair.
func (e *evidence) inputs(c *counters, fam int, rs *rules.Set) inputs {
	return inputs{rs: rs, ownA: e.own(c, fam, AtoB), ownB: e.own(c, fam, BtoA),
		listenA: min(e.conversations(c, AtoB), listenerMin), listB: min(e.conversations(c, BtoA), listenerMin)}
}

// bpa is the reject-reason of VPC Block Public Access; interned once, so a record is
// tested with one comparison.
var bpa = model.Intern("BPA")

func (p *Pair) add(s Side, seq uint64, r *model.Flow) {
	p.bump()
	d := &p.Dirs[s]
	if d.Records == 0 {
		p.resetDir(s)
	}
	d.Records++
	d.setLastSeq(seq)
	if sub := r.Sym(model.FSubnetID); sub != 0 {
		p.extraState().subnet = sub
	}
	d.Packets += r.Packets
	d.Bytes += r.Bytes
	switch r.Direction {
	case model.Ingress:
		p.extraState().ways[s].ingress++
	case model.Egress:
		p.extraState().ways[s].egress++
	}
	flagged := r.Has(model.FTCPFlags)
	if flagged {
		x := &p.extraState().flags[s]
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
		d.setFlags(d.Flags() | r.TCPFlags&(decode.FlagFIN|decode.FlagSYN|decode.FlagRST|16))
	}
	switch r.Action {
	case model.Accept:
		d.Accepts++
		if p.rare != nil && p.rare[s].run != nil {
			// Emptied in place, not dropped: a direction that alternates would
			// allocate a run for every REJECT after an ACCEPT.
			*p.rare[s].run = trailRun{}
		}
	case model.Reject:
		d.Rejects++
		if r.Sym(model.FRejectReason) == bpa {
			d.BPA++
		}
		x := p.rareState(s)
		if x.run == nil {
			x.run = &trailRun{}
		}
		x.run.add(r, flagged)
	}
	if !timed(r) {
		p.extraState().untimed[s]++
	} else {
		if p.timed(s) == 1 {
			d.First, d.Last = r.Start, r.End
		} else {
			q := &p.rareState(s).times
			if !q.inUse() {
				// The second timed record: the first is the oldest held.
				q.push(d.First, d.Last)
			}
			q.push(r.Start, r.End)
			d.First, d.Last = min(d.First, r.Start), max(d.Last, r.End)
		}
	}
	p.tidy()
}

func (p *Pair) remove(s Side, r *model.Flow) {
	p.bump()
	d := &p.Dirs[s]
	d.Records--
	if d.Records <= 0 {
		p.resetDir(s)
		p.tidy()
		return
	}
	d.Packets -= min(d.Packets, r.Packets)
	d.Bytes -= min(d.Bytes, r.Bytes)
	if e := p.extra; e != nil {
		switch r.Direction {
		case model.Ingress:
			e.ways[s].ingress--
		case model.Egress:
			e.ways[s].egress--
		}
	}
	if r.Has(model.FTCPFlags) && p.extra != nil {
		x := &p.extra.flags[s]
		x.flagged--
		var flags uint8
		for i, b := range flagBits {
			if r.TCPFlags&b != 0 {
				x.flagCount[i]--
			}
			if x.flagCount[i] > 0 {
				flags |= b
			}
		}
		d.setFlags(flags)
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
		if x := p.rare; x != nil && x[s].run != nil && x[s].run.trail == d.Rejects {
			t := x[s].run
			t.trail--
			t.trailPackets -= min(t.trailPackets, r.Packets)
			if r.Has(model.FTCPFlags) {
				t.trailFlagged--
				if isTeardown(r.TCPFlags) {
					t.trailTeardown--
				}
			}
			if t.trail == 0 {
				x[s].run = nil // every count of it is back to 0
			}
		}
		d.Rejects--
		if r.Sym(model.FRejectReason) == bpa {
			d.BPA--
		}
	}
	if !timed(r) {
		if p.extra != nil {
			p.extra.untimed[s]--
		}
	} else {
		if p.rare != nil && p.rare[s].times.inUse() {
			q := &p.rare[s].times
			q.pop()
			d.First, d.Last = q.front()
			if p.timed(s) <= 1 {
				q.reset() // one record left: First and Last are its own
			}
		}
		if p.timed(s) == 0 {
			d.First, d.Last = 0, 0
		}
	}
	p.tidy()
}

func timed(r *model.Flow) bool { return r.Has(model.FStart) && r.Has(model.FEnd) }

// isTeardown: FIN or RST without SYN, the packets of a connection being closed.
func isTeardown(flags uint8) bool {
	return flags&decode.FlagSYN == 0 && flags&(decode.FlagFIN|decode.FlagRST) != 0
}

// timeQueues keep First (the least start) and Last (the greatest end, stored
// complemented so that both are minima) over the timed records still held. Records are
// numbered in the order they were added, from the oldest held when the queues start.
type timeQueues struct {
	first, last   minQueue
	adds, removes uint32 // ordinals of the next timed record added and removed
}

func (t *timeQueues) inUse() bool { return t.first.len() > 0 }

func (t *timeQueues) push(start, end uint32) {
	t.first.push(t.adds, start)
	t.last.push(t.adds, ^end)
	t.adds++
}

// pop forgets the oldest timed record held.
func (t *timeQueues) pop() {
	t.first.pop(t.removes)
	t.last.pop(t.removes)
	t.removes++
}

func (t *timeQueues) front() (first, last uint32) { return t.first.front(), ^t.last.front() }

func (t *timeQueues) reset() { *t = timeQueues{} }

// minQueue is a monotonic queue: the minimum of a window that gains values at the back
// and loses them at the front, in amortized O(1). Entries are ordinal<<32 | value, their
// values increasing from the front; an entry is dropped at push once a newer, smaller
// value makes it unable ever to be the minimum. The front is dropped by moving head; a
// full array whose front half is free is compacted in place
// before it would grow, so a queue of a steady window stops allocating (slicing the
// front off instead shrank the array's capacity and made every few pushes allocate).
type minQueue struct {
	buf  []uint64 // entries buf[head:]
	head int32
}

func (m *minQueue) len() int { return len(m.buf) - int(m.head) }

func (m *minQueue) push(ord, v uint32) {
	q := m.buf
	for len(q) > int(m.head) && uint32(q[len(q)-1]) >= v {
		q = q[:len(q)-1]
	}
	if len(q) == cap(q) && int(m.head) >= len(q)/2 && m.head > 0 {
		q = q[:copy(q, q[m.head:])]
		m.head = 0
	}
	m.buf = append(q, uint64(ord)<<32|uint64(v))
}

// pop removes the record with ordinal ord, the oldest held, if it is at the front.
func (m *minQueue) pop(ord uint32) {
	if m.len() > 0 && uint32(m.buf[m.head]>>32) == ord {
		if m.head++; int(m.head) == len(m.buf) {
			m.buf, m.head = m.buf[:0], 0
		}
	}
}

func (m *minQueue) front() uint32 {
	if m.len() == 0 {
		return 0
	}
	return uint32(m.buf[m.head])
}
