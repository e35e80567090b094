package pairs

import (
	"math/bits"
	"math/rand/v2"
)

// endpointIndex counts, for each endpoint of an interface, the pairs it takes part in
// (listening ports). It replaces a map[endpointKey]uint32 beside a slab of counts: the
// explorer holds about one endpoint a pair, and the map took 19.8 MB for a million
// records. Here an endpoint is an entry of a slab, its 8-byte key and its 4-byte count
// (in an array of their own, which judging reads), and a 4-byte slot naming it: open
// addressing with linear probing over the entries' numbers, a deletion shifting back
// the entries after it as in pairTable. A pair names its endpoints by entry number,
// which stays put while the endpoint lives, so only attaching a new pair and deleting
// one look anything up. A Batch counts its endpoints in one too (newEndpointIndex,
// countOf), without dropping any.
type endpointIndex struct {
	slots  []uint32 // entry numbers, 0 for an empty slot; a power of two
	shift  uint8    // 64 - log2(len(slots)): the home slot is the hash's top bits
	seed   uint64   // random, drawn again at each growth (which places every entry anew)
	n      int
	ends   slab[endpointKey] // an endpoint names its address by its number in addrStates
	counts []int32           // by entry number: the pairs that hold the endpoint
}

// home is the slot where a probe for key k starts: an address's number (dense, small),
// a port and a protocol, spread by a multiplication (Fibonacci hashing), the top bits
// taken. The
// ports in them come from the records read: mixed with a random seed first, so that
// nobody who chooses the ports of the traffic can choose keys that pile up in one run
// of slots (the pair table's hash is seeded for the same reason).
func (x *endpointIndex) home(k endpointKey) uint64 {
	return (uint64(k) ^ x.seed) * 0x9E3779B97F4A7C15 >> x.shift
}

// add counts one more pair of the endpoint and returns its entry number.
func (x *endpointIndex) add(addr uint32, port uint16, proto uint8) uint32 {
	if (x.n+1)*4 > len(x.slots)*3 {
		x.grow()
	}
	k := endpointOf(addr, port, proto)
	mask := uint64(len(x.slots) - 1)
	i := x.home(k)
	for ; x.slots[i] != 0; i = (i + 1) & mask {
		if n := x.slots[i]; x.ends.items[n] == k {
			x.counts[n]++
			return n
		}
	}
	n := x.ends.alloc()
	x.ends.items[n] = k
	if int(n) >= len(x.counts) {
		// Grown to the keys' capacity exactly: grown by appends of their own, the
		// counts would hold spare room of their own on top of the keys'.
		counts := make([]int32, cap(x.ends.items))
		copy(counts, x.counts)
		x.counts = counts
	}
	x.counts[n] = 1
	x.slots[i] = n
	x.n++
	return n
}

// newEndpointIndex returns an index with room for about expect endpoints before it
// grows (a Batch knows how many conversations it counts).
func newEndpointIndex(expect int) *endpointIndex {
	size := 64
	for size*3 < expect*4 {
		size *= 2
	}
	x := &endpointIndex{}
	x.resize(size)
	return x
}

func (x *endpointIndex) grow() { x.resize(max(64, 2*len(x.slots))) }

// resize places every entry anew in size slots, with a new seed.
func (x *endpointIndex) resize(size int) {
	old := x.slots
	x.slots = make([]uint32, size)
	x.shift = uint8(64 - bits.TrailingZeros(uint(size)))
	x.seed = rand.Uint64()
	mask := uint64(size - 1)
	for _, n := range old {
		if n != 0 {
			i := x.home(x.ends.items[n])
			for x.slots[i] != 0 {
				i = (i + 1) & mask
			}
			x.slots[i] = n
		}
	}
}

// count is the number of pairs that hold entry n.
func (x *endpointIndex) count(n uint32) int32 { return x.counts[n] }

// countOf is the number of pairs that hold endpoint k, 0 when none does.
func (x *endpointIndex) countOf(k endpointKey) int32 {
	if len(x.slots) == 0 {
		return 0
	}
	mask := uint64(len(x.slots) - 1)
	for i := x.home(k); x.slots[i] != 0; i = (i + 1) & mask {
		if n := x.slots[i]; x.ends.items[n] == k {
			return x.counts[n]
		}
	}
	return 0
}

// drop counts one pair fewer of entry n, and forgets the endpoint once none holds it.
func (x *endpointIndex) drop(n uint32) {
	if x.counts[n]--; x.counts[n] > 0 {
		return
	}
	mask := uint64(len(x.slots) - 1)
	i := x.home(x.ends.items[n])
	for x.slots[i] != n {
		if x.slots[i] == 0 {
			// An entry dropped that the table does not hold: a bookkeeping bug, said
			// now rather than probed for forever.
			panic("pairs: an endpoint dropped that is not counted")
		}
		i = (i + 1) & mask
	}
	// Backward shift, as pairTable.remove.
	for j := (i + 1) & mask; x.slots[j] != 0; j = (j + 1) & mask {
		home := x.home(x.ends.items[x.slots[j]])
		if (j-home)&mask >= (j-i)&mask {
			x.slots[i] = x.slots[j]
			i = j
		}
	}
	x.slots[i] = 0
	x.n--
	x.ends.release(n)
}
