package ring

import (
	"sort"

	"github.com/flowlens/flowlens/model"
)

// Match is a compiled filter; nil matches every record.
type Match func(*model.Flow) bool

// View is the list of records of a ring that a filter matches, oldest first. It is kept
// up to date incrementally: Update looks only at the records appended since the last
// call and forgets the ones the ring dropped.
type View struct {
	ring    *Ring
	match   Match
	seqs    []Seq // matching Seqs in ascending order; seqs[off:] are live
	off     int
	scanned Seq // every record before this Seq has been looked at
}

// NewView makes a view of r through match and fills it.
func NewView(r *Ring, match Match) *View {
	v := &View{ring: r}
	v.SetFilter(match)
	return v
}

// SetFilter replaces the filter and rescans every record held.
func (v *View) SetFilter(match Match) {
	v.match = match
	v.seqs = v.seqs[:0]
	v.off = 0
	v.scanned = v.ring.First()
	v.Update()
}

// Filtered reports whether the view has a filter (otherwise it mirrors the ring).
func (v *View) Filtered() bool { return v.match != nil }

// Update brings the view up to date with the ring and returns how many new matches it
// found.
func (v *View) Update() int {
	first := v.ring.First()
	if v.match == nil {
		n := int(v.ring.Next() - max(v.scanned, first))
		v.scanned = v.ring.Next()
		return n
	}
	// Forget matches the ring has dropped; compact once the dead prefix is large, so the
	// cost is amortised over many batches.
	for v.off < len(v.seqs) && v.seqs[v.off] < first {
		v.off++
	}
	if v.off > 4096 && v.off > len(v.seqs)/2 {
		n := copy(v.seqs, v.seqs[v.off:])
		v.seqs = v.seqs[:n]
		v.off = 0
	}
	before := len(v.seqs)
	match := v.match
	a, aSeq, b, bSeq := v.ring.Segments(v.scanned)
	for i := range a {
		if match(&a[i]) {
			v.seqs = append(v.seqs, aSeq+Seq(i))
		}
	}
	for i := range b {
		if match(&b[i]) {
			v.seqs = append(v.seqs, bSeq+Seq(i))
		}
	}
	v.scanned = v.ring.Next()
	return len(v.seqs) - before
}

// Len is the number of matching records held.
func (v *View) Len() int {
	if v.match == nil {
		return v.ring.Len()
	}
	n := len(v.seqs) - v.off
	// Between an Append and the next Update, matches may have been dropped.
	first := v.ring.First()
	for i := v.off; i < len(v.seqs) && v.seqs[i] < first; i++ {
		n--
	}
	return n
}

// At returns the Seq of the i-th match, oldest first.
func (v *View) At(i int) Seq {
	if v.match == nil {
		return v.ring.First() + Seq(i)
	}
	return v.seqs[v.off+v.dead()+i]
}

// dead counts matches at the front that the ring dropped since the last Update.
func (v *View) dead() int {
	first := v.ring.First()
	n := 0
	for i := v.off; i < len(v.seqs) && v.seqs[i] < first; i++ {
		n++
	}
	return n
}

// Record returns the i-th matching record.
func (v *View) Record(i int) *model.Flow { return v.ring.At(v.At(i)) }

// Index returns the position of the match at or after s, and whether s itself matches.
// The explorer uses it to keep the selection on the same record when the filter
// changes.
func (v *View) Index(s Seq) (int, bool) {
	if v.match == nil {
		first := v.ring.First()
		if s < first {
			return 0, false
		}
		i := int(s - first)
		return min(i, v.ring.Len()), i < v.ring.Len()
	}
	live := v.seqs[v.off+v.dead():]
	i := sort.Search(len(live), func(i int) bool { return live[i] >= s })
	return i, i < len(live) && live[i] == s
}
