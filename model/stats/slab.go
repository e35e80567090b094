package stats

// slab holds rows keyed by K: a map from the key to the row's position, and the rows
// themselves in one dense slice, so that ranking a panel walks memory in order (a few
// nanoseconds a row) instead of iterating a map. A row whose counts fall to zero is
// released: its key leaves the map and its position is reused by the next new key, so
// the slab never holds more rows than the most groups it ever had at once.
type slab[K comparable, V any] struct {
	index map[K]int32
	keys  []K
	vals  []V
	used  []bool
	free  []int32
}

func newSlab[K comparable, V any]() slab[K, V] { return slab[K, V]{index: map[K]int32{}} }

// at returns the position of k's row, making a zero row for a new key.
func (s *slab[K, V]) at(k K) int32 {
	if i, ok := s.index[k]; ok {
		return i
	}
	var i int32
	if n := len(s.free); n > 0 {
		i = s.free[n-1]
		s.free = s.free[:n-1]
		s.keys[i] = k
		s.used[i] = true
	} else {
		i = int32(len(s.vals))
		s.keys = append(s.keys, k)
		var zero V
		s.vals = append(s.vals, zero)
		s.used = append(s.used, true)
	}
	s.index[k] = i
	return i
}

// find returns the position of k's row, or -1.
func (s *slab[K, V]) find(k K) int32 {
	if i, ok := s.index[k]; ok {
		return i
	}
	return -1
}

// release forgets the row at i.
func (s *slab[K, V]) release(i int32) {
	delete(s.index, s.keys[i])
	var zeroK K
	var zeroV V
	s.keys[i], s.vals[i], s.used[i] = zeroK, zeroV, false
	s.free = append(s.free, i)
}

// Len is the number of rows held.
func (s *slab[K, V]) Len() int { return len(s.index) }

func (s *slab[K, V]) reset() {
	clear(s.index)
	s.keys, s.vals, s.used, s.free = s.keys[:0], s.vals[:0], s.used[:0], s.free[:0]
}
