package stats

import (
	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/ring"
)

// Tracker keeps a Live equal to the counts of the records of a ring that a filter
// matches, as records arrive, leave and the filter changes, without re-reading the ring
// on each batch. The explorer wires it so:
//
//	r.OnEvict = func(s ring.Seq, f *model.Flow) { ...; tr.Evict(s, f) }
//	after each r.Append:      tr.Update()
//	on a new filter:          tr.SetFilter(match)
//	on each tick until done:  tr.Backfill(n)
//
// A new filter empties the counts; Backfill then counts the held records from the
// newest back, n at a time, so that a filter change over a million records is spread
// over frames instead of stalling one (Pending says how far it has to go). The records
// counted are always a contiguous stretch [lo, hi) of the ring's sequence numbers
// filtered by the match: Update extends it forward, Backfill backward, and an eviction
// inside it removes the record.
//
// A Tracker is not safe for concurrent use: call it from the loop that appends.
type Tracker struct {
	live   *Live
	ring   *ring.Ring
	match  ring.Match
	lo, hi ring.Seq
}

// NewTracker makes a tracker of r with no filter. It has counted nothing yet: call
// Backfill (or Sync) to count the records already held.
func NewTracker(r *ring.Ring) *Tracker {
	return &Tracker{live: NewLive(), ring: r, lo: r.Next(), hi: r.Next()}
}

// Live is the counts.
func (t *Tracker) Live() *Live { return t.live }

// SetFilter starts over with a new filter (nil matches every record).
func (t *Tracker) SetFilter(match ring.Match) {
	t.match = match
	t.live.Reset()
	t.lo, t.hi = t.ring.Next(), t.ring.Next()
}

func (t *Tracker) matches(f *model.Flow) bool { return t.match == nil || t.match(f) }

// Evict is the ring's OnEvict: a record leaving the ring leaves the counts.
func (t *Tracker) Evict(s ring.Seq, f *model.Flow) {
	if s >= t.lo && s < t.hi && t.matches(f) {
		t.live.Remove(f)
	}
}

// Update counts the records appended since the last call.
func (t *Tracker) Update() {
	from := max(t.hi, t.ring.First())
	if t.lo < t.ring.First() {
		t.lo = t.ring.First()
	}
	if t.lo > from { // nothing counted was still held: start the stretch afresh
		t.lo = from
	}
	a, _, b, _ := t.ring.Segments(from)
	t.addAll(a)
	t.addAll(b)
	t.hi = t.ring.Next()
}

func (t *Tracker) addAll(recs []model.Flow) {
	for i := range recs {
		if t.matches(&recs[i]) {
			t.live.Add(&recs[i])
		}
	}
}

// Backfill counts up to n more of the held records that precede the ones counted, newest
// first, and reports whether every held record has now been looked at.
func (t *Tracker) Backfill(n int) bool {
	first := t.ring.First()
	if t.lo < first {
		t.lo = first
	}
	if t.hi < t.lo {
		t.hi = t.lo
	}
	for ; n > 0 && t.lo > first; n-- {
		t.lo--
		if f := t.ring.At(t.lo); t.matches(f) {
			t.live.Add(f)
		}
	}
	return t.lo == first
}

// Sync counts everything held that is not counted yet, at once.
func (t *Tracker) Sync() {
	t.Update()
	t.Backfill(t.ring.Len())
}

// Pending is the number of held records Backfill has still to look at.
func (t *Tracker) Pending() int {
	if first := t.ring.First(); t.lo > first {
		return int(t.lo - first)
	}
	return 0
}
