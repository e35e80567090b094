package pairs

import (
	"encoding/binary"
	"hash/maphash"
	"math/bits"
	"net/netip"

	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/decode"
)

// Batch collects the conversations of a whole input for a command that reads every
// record before it writes (flowlens pairs). Records are only added, never removed, so a
// conversation keeps its aggregates and nothing that undoing a record would need: no
// per-flag counts, no queues of times. Conversations live by value in slabs without
// pointers, found through an open-addressed table of their numbers, so that a
// million of them are a few large allocations the collector does not scan, and adding a
// record to a known conversation allocates nothing.
//
// A Batch judges with the same code as an Index: each conversation is turned back into
// a Pair when it is judged (see pairOf), so the two cannot disagree.
//
// Add records in input order, then Write (or Len and Interfaces) once everything is
// read. A Batch is not safe for concurrent use while records are added; once Write has
// begun, only Newest may be called, from any goroutine.
type Batch struct {
	slots []uint64 // hash<<32 | number+1; 0 is empty
	n     int
	convs [][]conv // chunks of convChunk conversations
	trail []trailRun
	evidence
	// newest keeps, when asked for, the newest record of each direction: the record
	// terms of a pair filter look at them.
	newest  [][][2]model.Flow
	keep    bool
	seed    [2]uint64
	counted bool // the records were counted into the evidence
}

const (
	convShift = 13
	convChunk = 1 << convShift
)

// conv is a conversation as a Batch keeps it: 168 bytes, against about 400 for a Pair
// with its table slot and rare states.
type conv struct {
	key    pairKey
	subnet model.Sym
	counts counters
	dirs   [2]convDir
}

// convDir is one direction of a conversation: Dir's aggregates, with what judging
// reads of dirState as bits.
type convDir struct {
	records, accepts, rejects, bpa int32
	packets, bytes                 uint64
	first, last                    uint32
	trail                          uint32 // index in Batch.trail of the trailing REJECT run; 0: none yet
	flags                          uint8  // tcp-flags OR-ed
	bits                           uint8  // dirIngress...
}

// convDir.bits
const (
	dirIngress uint8 = 1 << iota
	dirEgress
	dirFlagged // some record carried tcp-flags
	dirSynOnly // some record had SYN without ACK
	dirSynAck  // some record had SYN-ACK
	dirTimed   // some record had start and end
)

// NewBatch returns an empty batch. keepNewest keeps the newest record of each direction
// for Newest (a filter with record terms needs them); it costs two records a
// conversation.
func NewBatch(keepNewest bool) *Batch {
	s := maphash.MakeSeed()
	return &Batch{
		evidence: newEvidence(),
		keep:     keepNewest,
		trail:    make([]trailRun, 1, 64),
		seed:     [2]uint64{maphash.Comparable(s, 1) | 1, maphash.Comparable(s, 2)},
	}
}

// Len is the number of conversations.
func (b *Batch) Len() int { return b.n }

func (b *Batch) conv(i uint32) *conv { return &b.convs[i>>convShift][i&(convChunk-1)] }

// hash mixes a key in the manner of wyhash: a multiply folded on itself per pair of
// words. The seed is random per batch, as the keys come from the records read.
func (b *Batch) hash(k *pairKey) uint64 {
	mix := func(x, y uint64) uint64 {
		hi, lo := bits.Mul64(x, y)
		return hi ^ lo
	}
	a0, a1 := binary.LittleEndian.Uint64(k.a[:8]), binary.LittleEndian.Uint64(k.a[8:])
	b0, b1 := binary.LittleEndian.Uint64(k.b[:8]), binary.LittleEndian.Uint64(k.b[8:])
	w := uint64(k.aPort) | uint64(k.bPort)<<16 | uint64(k.proto)<<32
	h := mix(a0^b.seed[0], a1^0xa0761d6478bd642f) ^ mix(b0^0xe7037ed1a0b428db, b1^b.seed[1])
	return mix(h^w^0x8ebc6af09c88c6e3, uint64(k.ifc)^0x589965cc75374cc3^b.seed[0])
}

// find returns the number of the conversation of key k (hash h), or -1.
func (b *Batch) find(h uint64, k *pairKey) int64 {
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
func (b *Batch) insert(h uint64, k *pairKey) uint32 {
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
	c := b.conv(n)
	c.key = *k
	b.attach(&c.counts, k)
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

// Add counts a record into its conversation. Records without a conversation (NODATA,
// SKIPDATA, no addresses) are ignored, as Index.Add ignores them.
func (b *Batch) Add(r *model.Flow) {
	pk, s, ok := pairKeyOf(r)
	if !ok {
		return
	}
	h := b.hash(&pk)
	var n uint32
	if i := b.find(h, &pk); i >= 0 {
		n = uint32(i)
	} else {
		n = b.insert(h, &pk)
	}
	c := b.conv(n)
	if sub := r.Sym(model.FSubnetID); sub != 0 {
		c.subnet = sub
	}
	b.addTo(&c.dirs[s], r)
	if b.keep {
		b.newest[n>>convShift][n&(convChunk-1)][s] = *r
	}
}

// addTo is Pair.add for a direction that never loses a record.
func (b *Batch) addTo(d *convDir, r *model.Flow) {
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
		if d.trail != 0 {
			b.trail[d.trail] = trailRun{}
		}
	case model.Reject:
		d.rejects++
		if r.Sym(model.FRejectReason) == bpa {
			d.bpa++
		}
		if d.trail == 0 {
			d.trail = uint32(len(b.trail))
			b.trail = append(b.trail, trailRun{})
		}
		t := &b.trail[d.trail]
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
	if timed(r) {
		if d.bits&dirTimed == 0 {
			d.bits |= dirTimed
			d.first, d.last = r.Start, r.End
		} else {
			d.first, d.last = min(d.first, r.Start), max(d.last, r.End)
		}
	}
}

// countRecords counts every conversation's records into the evidence, as an Index
// counts them record by record: once, when reading is over.
func (b *Batch) countRecords() {
	if b.counted {
		return
	}
	b.counted = true
	for i := 0; i < b.n; i++ {
		c := b.conv(uint32(i))
		b.evidence.countRecords(&c.counts, familyOf(&c.key), c.dirs[0].records+c.dirs[1].records)
	}
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
// would hold them for the same records. Its Dirs' LastSeq are handles for Newest. rare
// gives the trailing runs a place to live without allocating.
func (b *Batch) pairOf(n uint32, p *Pair, rare *[2]dirRare) {
	c := b.conv(n)
	*p = Pair{counts: c.counts, subnet: c.subnet, Key: keyOfCompact(&c.key)}
	for s := range c.dirs {
		d := &c.dirs[s]
		if d.records == 0 {
			continue
		}
		dir := &p.Dirs[s]
		*dir = Dir{Records: d.records, Accepts: d.accepts, Rejects: d.rejects, BPA: d.bpa,
			Packets: d.packets, Bytes: d.bytes, First: d.first, Last: d.last, Flags: d.flags,
			LastSeq: uint64(n)<<1 | uint64(s)}
		if d.bits&dirIngress != 0 {
			dir.Ingress = 1
		}
		if d.bits&dirEgress != 0 {
			dir.Egress = 1
		}
		x := &p.more[s]
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
		if d.trail != 0 && b.trail[d.trail].trail != 0 {
			rare[s] = dirRare{trailRun: b.trail[d.trail]}
			x.rare = &rare[s]
		}
	}
}

// keyOfCompact is the Key of a compact key, as KeyOf makes it.
func keyOfCompact(k *pairKey) Key {
	return Key{Interface: k.ifc, Protocol: k.proto,
		A: netip.AddrPortFrom(addrOf16(&k.a), k.aPort), B: netip.AddrPortFrom(addrOf16(&k.b), k.bPort)}
}

// addrOf16 is netip.AddrFrom16(a).Unmap(), with IPv4 taken the short way.
func addrOf16(a *[16]byte) netip.Addr {
	if isMapped(a) {
		return netip.AddrFrom4([4]byte(a[12:]))
	}
	return netip.AddrFrom16(*a)
}
