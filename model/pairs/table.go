package pairs

import "hash/maphash"

// pairTable finds a pair by its key. It replaces a map[pairKey]*Pair, whose entries
// carry a 44-byte copy of a key every pair already holds: a slot here is the pair and
// its hash, 16 bytes. With 140,000 pairs the map took 121 bytes a pair and the table
// takes 30, and a lookup touches fewer cache lines (a table of a million pairs is far
// larger than the caches, so a lookup costs its cache misses). Open addressing with
// linear probing; a deletion shifts the entries after it back, so no tombstones
// accumulate as the ring drops pairs.
type pairTable struct {
	slots []pairSlot // a power of two; empty ones have a nil pair
	n     int
	seed  maphash.Seed // random per table: the keys come from the records read
}

type pairSlot struct {
	p *Pair
	h uint64 // the key's hash, kept so that growing needs no pair read and a probe rarely compares a key
}

func newPairTable() pairTable { return pairTable{seed: maphash.MakeSeed()} }

func (t *pairTable) hash(k *Key) uint64 { return maphash.Comparable(t.seed, *k) }

// find returns the pair of key k, whose hash is h, or nil.
func (t *pairTable) find(h uint64, k *Key) *Pair {
	if t.n == 0 {
		return nil
	}
	mask := uint64(len(t.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		s := &t.slots[i]
		if s.p == nil {
			return nil
		}
		if s.h == h && s.p.Key == *k {
			return s.p
		}
	}
}

// insert adds p, whose key hashes to h and is not in the table.
func (t *pairTable) insert(h uint64, p *Pair) {
	// At most three quarters full: linear probing slows sharply beyond.
	if (t.n+1)*4 > len(t.slots)*3 {
		t.grow()
	}
	t.place(h, p)
	t.n++
}

func (t *pairTable) place(h uint64, p *Pair) {
	mask := uint64(len(t.slots) - 1)
	i := h & mask
	for t.slots[i].p != nil {
		i = (i + 1) & mask
	}
	t.slots[i] = pairSlot{p: p, h: h}
}

func (t *pairTable) grow() {
	old := t.slots
	t.slots = make([]pairSlot, max(64, 2*len(old)))
	for _, s := range old {
		if s.p != nil {
			t.place(s.h, s.p)
		}
	}
}

// remove deletes p, whose key hashes to h.
func (t *pairTable) remove(h uint64, p *Pair) {
	if t.n == 0 {
		return
	}
	mask := uint64(len(t.slots) - 1)
	i := h & mask
	for t.slots[i].p != p {
		if t.slots[i].p == nil {
			return
		}
		i = (i + 1) & mask
	}
	// Backward shift: move back every later entry of the run that may sit at i (its
	// home slot is not between the hole and it), so that a probe never meets a hole
	// before its entry.
	for j := (i + 1) & mask; t.slots[j].p != nil; j = (j + 1) & mask {
		home := t.slots[j].h & mask
		if (j-home)&mask >= (j-i)&mask {
			t.slots[i] = t.slots[j]
			i = j
		}
	}
	t.slots[i] = pairSlot{}
	t.n--
}

// all calls f with every pair.
func (t *pairTable) all(f func(*Pair)) {
	for _, s := range t.slots {
		if s.p != nil {
			f(s.p)
		}
	}
}
