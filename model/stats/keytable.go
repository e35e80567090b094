package stats

import (
	"bytes"
	"hash/maphash"
)

// keyTable is a set of fixed-width byte keys, each numbered in the order it was added:
// the keys sit end to end in one slice and an open-addressing table maps a key's hash to
// its number. Compared with a Go map keyed by a string of the bytes, it allocates
// nothing per key (only when it grows), and a group costs its key's width plus about 11
// bytes of table instead of a string header, its bytes and the map's overhead.
type keyTable struct {
	width int
	keys  []byte
	// slots holds, for a used slot, the top 32 bits of the key's hash and its number
	// plus one; 0 is an empty slot. The hash bits let most probes skip the comparison.
	slots []uint64
	n     int
	seed  maphash.Seed
}

func newKeyTable(width int) *keyTable {
	return &keyTable{width: width, slots: make([]uint64, 16), seed: maphash.MakeSeed()}
}

// Len is the number of keys.
func (t *keyTable) Len() int { return t.n }

// key returns the key numbered i.
func (t *keyTable) key(i int) []byte { return t.keys[i*t.width : (i+1)*t.width] }

// find returns the number of key, or -1, and the key's hash for a following insert.
func (t *keyTable) find(key []byte) (int, uint64) {
	h := maphash.Bytes(t.seed, key)
	mask := uint64(len(t.slots) - 1)
	tag := h >> 32
	for i := h & mask; ; i = (i + 1) & mask {
		s := t.slots[i]
		if s == 0 {
			return -1, h
		}
		if s>>32 == tag {
			j := int(uint32(s)) - 1
			if bytes.Equal(t.key(j), key) {
				return j, h
			}
		}
	}
}

// insert adds a key that find did not find, with the hash find returned, and returns
// its number.
func (t *keyTable) insert(key []byte, h uint64) int {
	// At most 3/4 full: linear probing stays short.
	if (t.n+1)*4 > len(t.slots)*3 {
		t.grow()
	}
	i := t.n
	t.keys = append(t.keys, key...)
	t.n++
	t.place(h, i)
	return i
}

func (t *keyTable) place(h uint64, i int) {
	mask := uint64(len(t.slots) - 1)
	s := h>>32<<32 | uint64(i+1)
	for j := h & mask; ; j = (j + 1) & mask {
		if t.slots[j] == 0 {
			t.slots[j] = s
			return
		}
	}
}

func (t *keyTable) grow() {
	t.slots = make([]uint64, 2*len(t.slots))
	for i := 0; i < t.n; i++ {
		t.place(maphash.Bytes(t.seed, t.key(i)), i)
	}
}

// bytes is the memory the table holds.
func (t *keyTable) bytes() int { return cap(t.keys) + 8*len(t.slots) }
