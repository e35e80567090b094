package pairs

import (
	"encoding/binary"
	"hash/maphash"
	"math/bits"
	"net/netip"
	"sync"

	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/decode"
	"github.com/flowlens/flowlens/model/rules"
)

// Batch collects the conversations of a whole input for a command that reads every
// record before it writes (flowlens pairs). Records are only added, never removed, so a
// conversation keeps its aggregates and nothing that undoing a record would need: no
// per-flag counts, no queues of times. Conversations live by value in slabs without
// pointers (104 bytes each, their addresses by number), found through an
// open-addressed table of their numbers, so that a million of them are a few large
// allocations the collector does not scan, and adding a record to a known conversation
// allocates nothing. What the conversations of an interface tell about each other
// (own addresses, listening ports) is counted once reading is over.
//
// A Batch judges with the same code as an Index: each conversation is turned back into
// a Pair when it is judged (see pairOf), so the two cannot disagree.
//
// Add records in input order, then Write (or Len and Interfaces) once everything is
// read; no record can be added after Write. A Batch is not safe for concurrent use
// while records are added; once Write has begun, only Newest may be called, from any
// goroutine.
type Batch struct {
	slots []uint64 // hash>>32<<32 | number+1; 0 is empty
	n     int
	convs [][]conv // chunks of convChunk conversations
	// The addresses, per interface, by number: the numbers are those of the evidence's
	// addrStates, so a conversation names its ends' counts directly.
	addrKeys []addrKey
	ifaceOf  []uint32 // by address number: the interface's number in ifaceStates
	recent   *[1 << recentBits]recentAddr
	evidence
	// extra holds, by conversation number<<1 | side, what only directions with REJECT
	// records need.
	extra  map[uint32]*dirExtra
	newest [][][2]model.Flow // when kept (see NewBatch), by conversation number
	keep   bool
	seed   [2]uint64
	done   bool // reading is over: the evidence is counted
}

const (
	convShift = 13
	convChunk = 1 << convShift
)

// conv is a conversation as a Batch keeps it.
type conv struct {
	key    convKey
	listen [2]uint8 // conversations each end (A, B) takes part in on the interface, capped at listenerMin
	subnet model.Sym
	dirs   [2]convDir
}

// convKey names a conversation: A sorts before B as in Key; a and b are address
// numbers (equal when both ends share an address).
type convKey struct {
	a, b         uint32
	aPort, bPort uint16
	proto        uint8
}

// convDir is one direction of a conversation: Dir's aggregates, with what judging reads
// of dirState as bits.
type convDir struct {
	packets, bytes            uint64
	records, accepts, rejects int32
	first, last               uint32
	flags                     uint8 // tcp-flags OR-ed
	bits                      uint8 // dirIngress...
}

// convDir.bits
const (
	dirIngress uint8 = 1 << iota
	dirEgress
	dirFlagged  // some record carried tcp-flags
	dirSynOnly  // some record had SYN without ACK
	dirSynAck   // some record had SYN-ACK
	dirTimed    // some record had start and end
	dirHasExtra // the direction has an entry in Batch.extra
)

// dirExtra is what a direction with REJECT records needs: the trailing run (the stray
// policy) and its BPA rejects.
type dirExtra struct {
	trailRun
	bpa int32
}

// NewBatch returns an empty batch. keepNewest keeps the newest record of each direction
// for Newest (a filter with record terms needs them); it costs two records a
// conversation.
func NewBatch(keepNewest bool) *Batch {
	s := maphash.MakeSeed()
	return &Batch{
		evidence: newEvidence(),
		extra:    map[uint32]*dirExtra{},
		keep:     keepNewest,
		addrKeys: make([]addrKey, 1, 64), // address number 0 is none, as in the slab
		ifaceOf:  make([]uint32, 1, 64),
		recent:   new([1 << recentBits]recentAddr),
		seed:     [2]uint64{maphash.Comparable(s, 1) | 1, maphash.Comparable(s, 2)},
	}
}

// Len is the number of conversations.
func (b *Batch) Len() int { return b.n }

func (b *Batch) conv(i uint32) *conv { return &b.convs[i>>convShift][i&(convChunk-1)] }

// hash mixes a key in the manner of wyhash: a multiply folded on itself. The seed is
// random per batch, as the keys come from the records read.
func (b *Batch) hash(k *convKey) uint64 {
	hi, lo := bits.Mul64(uint64(k.a)<<32|uint64(k.b)^b.seed[0], uint64(k.aPort)<<24|uint64(k.bPort)<<8|uint64(k.proto)^b.seed[1])
	hi, lo = bits.Mul64(hi^0xa0761d6478bd642f, lo^0xe7037ed1a0b428db)
	return hi ^ lo
}

// find returns the number of the conversation of key k (hash h), or -1.
func (b *Batch) find(h uint64, k *convKey) int64 {
	if b.n == 0 {
		return -1
	}
	tag := h >> 32
	mask := uint64(len(b.slots) - 1)
	for i := tag & mask; ; i = (i + 1) & mask {
		s := b.slots[i]
		if s == 0 {
			return -1
		}
		if s>>32 == tag {
			if n := uint32(s) - 1; b.conv(n).key == *k {
				return int64(n)
			}
		}
	}
}

// insert adds a conversation of key k (hash h, not present) and returns its number.
func (b *Batch) insert(h uint64, k *convKey) uint32 {
	if (b.n+1)*4 > len(b.slots)*3 {
		b.grow()
	}
	n := uint32(b.n)
	if n&(convChunk-1) == 0 {
		b.convs = append(b.convs, make([]conv, convChunk))
		if b.keep {
			b.newest = append(b.newest, make([][2]model.Flow, convChunk))
		}
	}
	b.place(h>>32<<32 | uint64(n) + 1)
	b.n++
	b.conv(n).key = *k
	// The pair is counted in its interface and addresses now, its records at the end.
	b.ifaceStates.items[b.ifaceOf[k.a]].pairs[b.family(k.a)]++
	b.addrStates.items[k.a].pairs++
	if k.b != k.a {
		b.addrStates.items[k.b].pairs++
	}
	return n
}

func (b *Batch) place(slot uint64) {
	mask := uint64(len(b.slots) - 1)
	i := slot >> 32 & mask
	for b.slots[i] != 0 {
		i = (i + 1) & mask
	}
	b.slots[i] = slot
}

// grow doubles the table; a slot carries the high half of its key's hash, which is
// what places it, so growing reads no conversation.
func (b *Batch) grow() {
	old := b.slots
	b.slots = make([]uint64, max(1024, 2*len(old)))
	for _, s := range old {
		if s != 0 {
			b.place(s)
		}
	}
}

// address returns the number of an address on an interface, made on first sight. A
// small direct-mapped cache answers first: a record's two addresses are nearly always
// among the few an interface sees most.
func (b *Batch) address(ifc model.Sym, a [16]byte) uint32 {
	k := addrKey{addr: a, ifc: ifc}
	slot := &b.recent[(binary.LittleEndian.Uint32(a[12:])*0x9E3779B1^uint32(ifc)*0x85EBCA77)>>(32-recentBits)]
	if slot.i != 0 && slot.k == k {
		return slot.i
	}
	if i, ok := b.addrs[k]; ok {
		*slot = recentAddr{k, i}
		return i
	}
	fi, ok := b.ifaces[ifc]
	if !ok {
		fi = b.ifaceStates.alloc()
		b.ifaces[ifc] = fi
	}
	i := b.addrStates.alloc()
	b.addrs[k] = i
	b.addrKeys = append(b.addrKeys, k)
	b.ifaceOf = append(b.ifaceOf, fi)
	*slot = recentAddr{k, i}
	return i
}

const recentBits = 10

type recentAddr struct {
	k addrKey
	i uint32
}

// family is the family of an address number (see family).
func (b *Batch) family(a uint32) int {
	if isMapped(&b.addrKeys[a].addr) {
		return 0
	}
	return 1
}

// Add counts a record into its conversation. Records without a conversation (NODATA,
// SKIPDATA, no addresses) are ignored, as Index.Add ignores them.
func (b *Batch) Add(r *model.Flow) {
	if b.done {
		panic("pairs: Batch.Add after Write")
	}
	pk, s, ok := KeyOf(r)
	if !ok {
		return
	}
	k := convKey{a: b.address(pk.Interface, pk.a), aPort: pk.aPort, bPort: pk.bPort, proto: pk.Protocol}
	k.b = k.a
	if pk.b != pk.a {
		k.b = b.address(pk.Interface, pk.b)
	}
	h := b.hash(&k)
	var n uint32
	if i := b.find(h, &k); i >= 0 {
		n = uint32(i)
	} else {
		n = b.insert(h, &k)
	}
	c := b.conv(n)
	if sub := r.Sym(model.FSubnetID); sub != 0 {
		c.subnet = sub
	}
	b.addTo(n<<1|uint32(s), &c.dirs[s], r)
	if b.keep {
		b.newest[n>>convShift][n&(convChunk-1)][s] = *r
	}
}

// addTo is Pair.add for a direction that never loses a record; id is the direction's
// key in extra.
func (b *Batch) addTo(id uint32, d *convDir, r *model.Flow) {
	d.records++
	d.packets += r.Packets
	d.bytes += r.Bytes
	switch r.Direction {
	case model.Ingress:
		d.bits |= dirIngress
	case model.Egress:
		d.bits |= dirEgress
	}
	flagged := r.Has(model.FTCPFlags)
	if flagged {
		d.bits |= dirFlagged
		switch decode.TCPFlagRole(r.TCPFlags) {
		case decode.RoleInitiator:
			d.bits |= dirSynOnly
		case decode.RoleResponder:
			d.bits |= dirSynAck
		}
		d.flags |= r.TCPFlags & (decode.FlagFIN | decode.FlagSYN | decode.FlagRST | 16)
	}
	switch r.Action {
	case model.Accept:
		d.accepts++
		if d.bits&dirHasExtra != 0 {
			b.extra[id].trailRun = trailRun{}
		}
	case model.Reject:
		d.rejects++
		x := b.extra[id]
		if x == nil {
			x = &dirExtra{}
			b.extra[id] = x
			d.bits |= dirHasExtra
		}
		if r.Sym(model.FRejectReason) == bpa {
			x.bpa++
		}
		x.trailRun.add(r, flagged)
	}
	if timed(r) {
		if d.bits&dirTimed == 0 {
			d.bits |= dirTimed
			d.first, d.last = r.Start, r.End
		} else {
			d.first, d.last = min(d.first, r.Start), max(d.last, r.End)
		}
	}
}

// finish counts, once reading is over, what the conversations of an interface tell
// about each other: the records of each address and interface (own addresses) and the
// conversations of each endpoint (listening ports), as an Index counts them as it goes.
func (b *Batch) finish(workers int) {
	if b.done {
		return
	}
	b.done = true
	b.slots = nil // nothing is looked up any more
	for i := range b.n {
		c := b.conv(uint32(i))
		n := c.dirs[0].records + c.dirs[1].records
		b.ifaceStates.items[b.ifaceOf[c.key.a]].records[b.family(c.key.a)] += n
		b.addrStates.items[c.key.a].records += n
		if c.key.b != c.key.a {
			b.addrStates.items[c.key.b].records += n
		}
	}
	// Endpoints are counted in shards, one per worker, each owning the endpoints whose
	// address number falls to it: a million client ports are as many entries.
	shards := max(1, min(workers, 16))
	var wg sync.WaitGroup
	for shard := range shards {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mine := func(addr uint32) bool { return int(addr%uint32(shards)) == shard }
			t := newEndpointIndex(b.n / shards)
			for i := range b.n {
				k := &b.conv(uint32(i)).key
				if !hasPorts(k.proto) {
					continue
				}
				if mine(k.a) {
					t.add(k.a, k.aPort, k.proto)
				}
				if mine(k.b) {
					t.add(k.b, k.bPort, k.proto)
				}
			}
			for i := range b.n {
				c := b.conv(uint32(i))
				k := &c.key
				if !hasPorts(k.proto) {
					continue
				}
				if mine(k.a) {
					c.listen[AtoB] = uint8(min(t.countOf(endpointOf(k.a, k.aPort, k.proto)), listenerMin))
				}
				if mine(k.b) {
					c.listen[BtoA] = uint8(min(t.countOf(endpointOf(k.b, k.bPort, k.proto)), listenerMin))
				}
			}
		}()
	}
	wg.Wait()
}

// counters are a conversation's counts in the evidence, as an Index's pair keeps them.
func (b *Batch) counters(k *convKey) counters {
	c := counters{iface: b.ifaceOf[k.a], addrA: k.a}
	if k.b != k.a {
		c.addrB = k.b
	}
	return c
}

// inputs is what a conversation's judgement depends on beyond it.
func (b *Batch) inputs(c *conv, rs *rules.Set) inputs {
	cs := b.counters(&c.key)
	fam := b.family(c.key.a)
	return inputs{rs: rs, ownA: b.own(&cs, fam, AtoB), ownB: b.own(&cs, fam, BtoA),
		listenA: int32(c.listen[AtoB]), listB: int32(c.listen[BtoA])}
}

// Interfaces returns the interfaces the conversations were recorded on, each once.
func (b *Batch) Interfaces() []model.Sym {
	out := make([]model.Sym, 0, len(b.ifaces))
	for ifc := range b.ifaces {
		out = append(out, ifc)
	}
	return out
}

// Newest returns the newest record of a direction, named by the LastSeq of a Dir that
// the Batch handed out; nil when the Batch was made without keeping them. It is the
// record function of a pair filter (CompileFilter) over a Batch.
func (b *Batch) Newest(handle uint64) *model.Flow {
	n, s := handle>>1, handle&1
	if !b.keep || n >= uint64(b.n) {
		return nil
	}
	return &b.newest[n>>convShift][n&(convChunk-1)][s]
}

// pairOf turns conversation n back into a Pair for judging: the aggregates as Index
// would hold them for the same records. Its Dirs' LastSeq are handles for Newest.
// scratch gives the state a Pair keeps out of line a place to live without allocating.
func (b *Batch) pairOf(n uint32, p *Pair, scratch *pairScratch) {
	c := b.conv(n)
	*p = Pair{counts: b.counters(&c.key), Key: b.keyOf(&c.key)}
	scratch.extra = pairExtra{subnet: c.subnet}
	p.extra = &scratch.extra
	for s := range c.dirs {
		d := &c.dirs[s]
		if d.records == 0 {
			continue
		}
		dir := &p.Dirs[s]
		*dir = Dir{Records: d.records, Accepts: d.accepts, Rejects: d.rejects,
			Packets: d.packets, Bytes: d.bytes, First: d.first, Last: d.last}
		dir.setLastSeq(uint64(n)<<1 | uint64(s))
		dir.setFlags(d.flags)
		if d.bits&dirIngress != 0 {
			scratch.extra.ways[s].ingress = 1
		}
		if d.bits&dirEgress != 0 {
			scratch.extra.ways[s].egress = 1
		}
		x := &scratch.extra.flags[s]
		if d.bits&dirFlagged != 0 {
			x.flagged = 1
			for i, f := range flagBits {
				if d.flags&f != 0 {
					x.flagCount[i] = 1
				}
			}
		}
		if d.bits&dirSynOnly != 0 {
			x.synOnly = 1
		}
		if d.bits&dirSynAck != 0 {
			x.synAck = 1
		}
		if d.bits&dirHasExtra != 0 {
			e := b.extra[n<<1|uint32(s)]
			dir.BPA = e.bpa
			if e.trail != 0 {
				if p.rare == nil {
					scratch.rare = [2]dirRare{}
					p.rare = &scratch.rare
				}
				p.rare[s] = dirRare{run: &e.trailRun}
			}
		}
	}
}

// pairScratch is where pairOf puts a Pair's out-of-line state.
type pairScratch struct {
	extra pairExtra
	rare  [2]dirRare
}

// keyOf is the Key of a conversation, as KeyOf makes it.
func (b *Batch) keyOf(k *convKey) Key {
	ak, bk := &b.addrKeys[k.a], &b.addrKeys[k.b]
	return Key{a: ak.addr, b: bk.addr, aPort: k.aPort, bPort: k.bPort, Interface: ak.ifc, Protocol: k.proto}
}

// addrOf16 is netip.AddrFrom16(a).Unmap(), with IPv4 taken the short way.
func addrOf16(a *[16]byte) netip.Addr {
	if isMapped(a) {
		return netip.AddrFrom4([4]byte(a[12:]))
	}
	return netip.AddrFrom16(*a)
}
