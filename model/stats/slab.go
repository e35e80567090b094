package stats

import (
	"encoding/binary"
	"math/rand/v2"
)

// slab holds rows keyed by K: the rows in one dense slice, so that ranking a panel walks
// memory in order (a few nanoseconds a row) instead of iterating a map, and an
// open-addressing index from a key's hash to its row. A row whose counts fall to zero
// is released: its key leaves the index and its position is reused by the next new key,
// so the slab never holds more rows than the most groups it ever had at once.
//
// The index is its own rather than a Go map because of the ring's churn: every record
// the ring drops releases rows and every new one makes rows, and a Go map's deleted
// slots lengthened every probe until lookups were half the cost of Add. Linear probing
// with backward-shift deletion leaves no deleted slots behind.
type slab[K comparable, V any] struct {
	hash func(K) uint64
	// slots holds, for a used slot, the low 32 bits of the key's hash (which also say
	// where the key's probe starts) and its row position plus one; 0 is an empty slot.
	slots []uint64
	n     int
	keys  []K
	vals  []V
	used  []bool
	free  []int32
}

func newSlab[K comparable, V any](hash func(K) uint64) slab[K, V] {
	return slab[K, V]{hash: hash, slots: make([]uint64, 16)}
}

func (s *slab[K, V]) mask() int { return len(s.slots) - 1 }

// find returns the position of k's row, or -1.
func (s *slab[K, V]) find(k K) int32 {
	h := uint32(s.hash(k))
	m := s.mask()
	for i := int(h) & m; ; i = (i + 1) & m {
		x := s.slots[i]
		if x == 0 {
			return -1
		}
		if uint32(x>>32) == h && s.keys[int32(x)-1] == k {
			return int32(x) - 1
		}
	}
}

// at returns the position of k's row, making a zero row for a new key.
func (s *slab[K, V]) at(k K) int32 {
	h := uint32(s.hash(k))
	m := s.mask()
	i := int(h) & m
	for ; ; i = (i + 1) & m {
		x := s.slots[i]
		if x == 0 {
			break
		}
		if uint32(x>>32) == h && s.keys[int32(x)-1] == k {
			return int32(x) - 1
		}
	}
	var p int32
	if n := len(s.free); n > 0 {
		p = s.free[n-1]
		s.free = s.free[:n-1]
		s.keys[p] = k
		s.used[p] = true
	} else {
		p = int32(len(s.vals))
		s.keys = append(s.keys, k)
		var zero V
		s.vals = append(s.vals, zero)
		s.used = append(s.used, true)
	}
	s.n++
	if s.n*4 > len(s.slots)*3 { // at most 3/4 full: probes stay short
		s.grow()
		return p
	}
	s.slots[i] = uint64(h)<<32 | uint64(p+1)
	return p
}

// grow doubles the index and places every row again.
func (s *slab[K, V]) grow() {
	s.slots = make([]uint64, 2*len(s.slots))
	m := s.mask()
	for p, used := range s.used {
		if !used {
			continue
		}
		h := uint32(s.hash(s.keys[p]))
		i := int(h) & m
		for s.slots[i] != 0 {
			i = (i + 1) & m
		}
		s.slots[i] = uint64(h)<<32 | uint64(p+1)
	}
}

// release forgets the row at p.
func (s *slab[K, V]) release(p int32) {
	m := s.mask()
	i := int(uint32(s.hash(s.keys[p]))) & m
	for int32(s.slots[i]) != p+1 {
		i = (i + 1) & m
	}
	// Backward-shift deletion: move later entries of the probe run into the hole
	// unless their probe starts after it, so that every key stays reachable from its
	// start without passing an empty slot.
	for j := (i + 1) & m; s.slots[j] != 0; j = (j + 1) & m {
		home := int(uint32(s.slots[j]>>32)) & m
		var stays bool // home lies cyclically in (i, j]
		if i < j {
			stays = i < home && home <= j
		} else {
			stays = i < home || home <= j
		}
		if !stays {
			s.slots[i] = s.slots[j]
			i = j
		}
	}
	s.slots[i] = 0
	var zeroK K
	var zeroV V
	s.keys[p], s.vals[p], s.used[p] = zeroK, zeroV, false
	s.free = append(s.free, p)
	s.n--
}

// Len is the number of rows held.
func (s *slab[K, V]) Len() int { return s.n }

func (s *slab[K, V]) reset() {
	clear(s.slots)
	s.n = 0
	s.keys, s.vals, s.used, s.free = s.keys[:0], s.vals[:0], s.used[:0], s.free[:0]
}

// pairCounts counts records per pair (a source row and a port or host) for the scan
// panels: how many held records stand behind each, so that the last one leaving takes
// the pair away. Open addressing with backward-shift deletion, for the reason given at
// slab.
type pairCounts struct {
	keys   []uint64
	counts []uint32 // 0: an empty slot
	n      int
	seed   uint64
}

func newPairCounts(seed uint64) pairCounts {
	return pairCounts{keys: make([]uint64, 16), counts: make([]uint32, 16), seed: seed}
}

func (t *pairCounts) home(k uint64) int { return int(mix64(k^t.seed)) & (len(t.keys) - 1) }

// inc counts one more record of pair k and reports whether it is the first.
func (t *pairCounts) inc(k uint64) bool {
	m := len(t.keys) - 1
	i := t.home(k)
	for ; t.counts[i] != 0; i = (i + 1) & m {
		if t.keys[i] == k {
			t.counts[i]++
			return false
		}
	}
	t.n++
	if t.n*4 > len(t.keys)*3 {
		t.grow()
		m = len(t.keys) - 1
		i = t.home(k)
		for t.counts[i] != 0 {
			i = (i + 1) & m
		}
	}
	t.keys[i], t.counts[i] = k, 1
	return true
}

// dec counts one record of pair k less and reports whether it was the last. A pair
// not held is left alone (and reported as not the last).
func (t *pairCounts) dec(k uint64) bool {
	m := len(t.keys) - 1
	i := t.home(k)
	for ; ; i = (i + 1) & m {
		if t.counts[i] == 0 {
			return false
		}
		if t.keys[i] == k {
			break
		}
	}
	if t.counts[i] > 1 {
		t.counts[i]--
		return false
	}
	for j := (i + 1) & m; t.counts[j] != 0; j = (j + 1) & m {
		home := t.home(t.keys[j])
		var stays bool
		if i < j {
			stays = i < home && home <= j
		} else {
			stays = i < home || home <= j
		}
		if !stays {
			t.keys[i], t.counts[i] = t.keys[j], t.counts[j]
			i = j
		}
	}
	t.keys[i], t.counts[i] = 0, 0
	t.n--
	return true
}

func (t *pairCounts) grow() {
	keys, counts := t.keys, t.counts
	t.keys, t.counts = make([]uint64, 2*len(keys)), make([]uint32, 2*len(keys))
	m := len(t.keys) - 1
	for j, c := range counts {
		if c == 0 {
			continue
		}
		i := t.home(keys[j])
		for t.counts[i] != 0 {
			i = (i + 1) & m
		}
		t.keys[i], t.counts[i] = keys[j], c
	}
}

// Len is the number of pairs held.
func (t *pairCounts) Len() int { return t.n }

func (t *pairCounts) reset() {
	clear(t.keys)
	clear(t.counts)
	t.n = 0
}

// mix64 is splitmix64's finalizer: every bit of x moves about half the bits of the
// result. Keyed by a random seed per Live, the hashes cannot be aimed at by traffic
// crafted to collide (addresses are what a flood chooses).
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// hashers of the slabs' key types, seeded.
type hashers struct{ seed uint64 }

func newHashers() hashers { return hashers{seed: rand.Uint64()} }

func (h hashers) u64(k uint64) uint64 { return mix64(k ^ h.seed) }

func (h hashers) addr(k [16]byte) uint64 {
	return mix64(binary.LittleEndian.Uint64(k[:8]) ^ mix64(binary.LittleEndian.Uint64(k[8:])^h.seed))
}
