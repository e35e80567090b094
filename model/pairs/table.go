package pairs

import "hash/maphash"

// pairTable finds a pair by its key. It replaces a map[Key]*Pair, whose entries carry
// a 44-byte copy of a key every pair already holds: a slot here is the pair and 32 bits
// of its hash, 12 bytes. A lookup touches fewer cache lines than the map's (a table of
// a million pairs is far larger than the caches, so a lookup costs its cache misses).
// Open addressing with linear probing; a deletion shifts the entries after it back, so
// no tombstones accumulate as the ring drops pairs.
//
// The slots are in groups of eight (96 bytes), the tags before the pairs, so that a
// slot's tag and pair are at most 92 bytes apart: one or two cache lines, where
// parallel arrays would take two. The 16-byte slot of a pointer and a 64-bit hash never
// split, and took a third more memory.
// The tag is the hash's low 32 bits; the home slot is taken from those bits too, so
// growing needs no pair read (the table stays below 2^32 slots).
type pairTable struct {
	groups []pairGroup // len(groups)*groupSlots is a power of two
	mask   uint64      // slots - 1
	n      int
	seed   maphash.Seed // random per table: the keys come from the records read
}

const groupSlots = 8

type pairGroup struct {
	tags  [groupSlots]uint32 // the hash's low 32 bits, of the slots in use
	pairs [groupSlots]*Pair  // nil: the slot is empty
}

func newPairTable() pairTable { return pairTable{seed: maphash.MakeSeed()} }

func (t *pairTable) hash(k *Key) uint64 { return maphash.Comparable(t.seed, *k) }

// slots is the number of slots.
func (t *pairTable) slots() int { return len(t.groups) * groupSlots }

// at is slot i: its group and the slot's place in it.
func (t *pairTable) at(i uint64) (*pairGroup, uint64) { return &t.groups[i/groupSlots], i % groupSlots }

// find returns the pair of key k, whose hash is h, or nil.
func (t *pairTable) find(h uint64, k *Key) *Pair {
	if t.n == 0 {
		return nil
	}
	tag := uint32(h)
	for i := h & t.mask; ; i = (i + 1) & t.mask {
		g, j := t.at(i)
		p := g.pairs[j]
		if p == nil {
			return nil
		}
		if g.tags[j] == tag && p.Key == *k {
			return p
		}
	}
}

// insert adds p, whose key hashes to h and is not in the table.
func (t *pairTable) insert(h uint64, p *Pair) {
	// At most three quarters full: linear probing slows sharply beyond.
	if (t.n+1)*4 > t.slots()*3 {
		t.grow()
	}
	t.place(uint32(h), p)
	t.n++
}

func (t *pairTable) place(tag uint32, p *Pair) {
	i := uint64(tag) & t.mask
	for {
		g, j := t.at(i)
		if g.pairs[j] == nil {
			g.tags[j], g.pairs[j] = tag, p
			return
		}
		i = (i + 1) & t.mask
	}
}

func (t *pairTable) grow() {
	old := t.groups
	t.groups = make([]pairGroup, max(64/groupSlots, 2*len(old)))
	t.mask = uint64(t.slots() - 1)
	for gi := range old {
		g := &old[gi]
		for j, p := range g.pairs {
			if p != nil {
				t.place(g.tags[j], p)
			}
		}
	}
}

// remove deletes p, whose key hashes to h.
func (t *pairTable) remove(h uint64, p *Pair) {
	if t.n == 0 {
		return
	}
	i := h & t.mask
	for {
		g, j := t.at(i)
		if g.pairs[j] == p {
			break
		}
		if g.pairs[j] == nil {
			return
		}
		i = (i + 1) & t.mask
	}
	// Backward shift: move back every later entry of the run that may sit at i (its
	// home slot is not between the hole and it), so that a probe never meets a hole
	// before its entry.
	hole, hj := t.at(i)
	for k := (i + 1) & t.mask; ; k = (k + 1) & t.mask {
		g, j := t.at(k)
		if g.pairs[j] == nil {
			break
		}
		home := uint64(g.tags[j]) & t.mask
		if (k-home)&t.mask >= (k-i)&t.mask {
			hole.tags[hj], hole.pairs[hj] = g.tags[j], g.pairs[j]
			i, hole, hj = k, g, j
		}
	}
	hole.tags[hj], hole.pairs[hj] = 0, nil
	t.n--
}

// all calls f with every pair.
func (t *pairTable) all(f func(*Pair)) {
	for gi := range t.groups {
		for _, p := range t.groups[gi].pairs {
			if p != nil {
				f(p)
			}
		}
	}
}

// walk appends to dst the pairs in slots [from, end).
func (t *pairTable) walk(dst []*Pair, from, end int) []*Pair {
	for i := from; i < end; i++ {
		if p := t.groups[i/groupSlots].pairs[i%groupSlots]; p != nil {
			dst = append(dst, p)
		}
	}
	return dst
}
