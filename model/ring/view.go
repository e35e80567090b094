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
	// pending is a refilter started with StartFilter and not finished: the view shows
	// the previous filter's matches until it is, so a screen never shows half a result.
	pending *refilter
}

// refilter is the scan of a new filter over the ring, done a bounded number of records
// at a time.
type refilter struct {
	match   Match
	seqs    []Seq
	scanned Seq
	from    Seq // where it started: for progress
}

// NewView makes a view of r through match and fills it.
func NewView(r *Ring, match Match) *View {
	v := &View{ring: r}
	v.SetFilter(match)
	return v
}

// SetFilter replaces the filter and rescans every record held, at once. A refilter
// under way is dropped.
func (v *View) SetFilter(match Match) {
	v.pending = nil
	v.match = match
	v.seqs = v.seqs[:0]
	v.off = 0
	v.scanned = v.ring.First()
	v.Update()
}

// StartFilter begins replacing the filter with match without scanning anything yet:
// Step scans the ring a bounded number of records at a time, and the view keeps
// showing the previous filter's matches until the scan reaches the newest record. A
// nil match needs no scan and applies at once. A refilter already under way is
// replaced.
func (v *View) StartFilter(match Match) {
	if match == nil {
		v.SetFilter(nil)
		return
	}
	first := v.ring.First()
	v.pending = &refilter{match: match, scanned: first, from: first}
}

// Step scans at most budget records for the refilter under way, and applies it once it
// has seen every record held (records appended meanwhile included). It reports how
// many records it looked at and whether a refilter is still under way: the caller's
// work per call is bounded by budget whatever the ring holds.
func (v *View) Step(budget int) (scanned int, pending bool) {
	r := v.pending
	if r == nil {
		return 0, false
	}
	a, aSeq, b, bSeq := v.ring.Segments(r.scanned)
	a = a[:min(len(a), budget)]
	b = b[:min(len(b), budget-len(a))]
	for i := range a {
		if r.match(&a[i]) {
			r.seqs = append(r.seqs, aSeq+Seq(i))
		}
	}
	for i := range b {
		if r.match(&b[i]) {
			r.seqs = append(r.seqs, bSeq+Seq(i))
		}
	}
	scanned = len(a) + len(b)
	r.scanned = max(r.scanned, v.ring.First()) + Seq(scanned)
	if r.scanned < v.ring.Next() {
		return scanned, true
	}
	v.pending = nil
	v.match, v.seqs, v.off, v.scanned = r.match, r.seqs, 0, r.scanned
	v.Update() // forget the matches the ring dropped during the scan
	return scanned, false
}

// CancelFilter drops the refilter under way, keeping the filter the view shows.
func (v *View) CancelFilter() { v.pending = nil }

// Refiltering reports whether a refilter is under way, and how far it is: the records
// scanned and those it must scan in all (both grow as records arrive).
func (v *View) Refiltering() (done, total int, ok bool) {
	r := v.pending
	if r == nil {
		return 0, 0, false
	}
	start := max(r.from, v.ring.First())
	next := v.ring.Next()
	return int(max(r.scanned, start) - start), int(next - start), true
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
