package cloudwatch

import (
	"slices"
	"time"
)

// DefaultHeld is how many delivered events the explorer's source remembers when
// Config.Held is not set: the ring's default capacity.
const DefaultHeld = 1_000_000

// heldSet remembers the events delivered to the explorer, so that a window fetched
// again (a wider filter, older records) adds only what the screen does not hold yet.
// Events are keyed by content (stream, timestamp, message): Live Tail events carry no
// event ID to key them by. A key is 8 bytes in a slice per minute of event time, sorted
// when first searched, so a million held events cost 8 MB. Beyond max keys the oldest
// minutes are forgotten, as the screen's ring drops its oldest records; from says where
// what is remembered starts.
type heldSet struct {
	buckets map[int64]*heldBucket
	minutes []int64 // the buckets' minutes, ascending
	n, max  int
	from    time.Time
}

type heldBucket struct {
	keys   []uint64
	sorted bool
}

func newHeldSet(max int) *heldSet {
	if max <= 0 {
		max = DefaultHeld
	}
	return &heldSet{buckets: map[int64]*heldBucket{}, max: max}
}

// add remembers a delivered event (ts in milliseconds).
func (h *heldSet) add(key uint64, ts int64) {
	m := minuteOf(ts)
	b, ok := h.buckets[m]
	if !ok {
		b = &heldBucket{sorted: true}
		h.buckets[m] = b
		i, _ := slices.BinarySearch(h.minutes, m)
		h.minutes = slices.Insert(h.minutes, i, m)
	}
	b.keys = append(b.keys, key)
	b.sorted = len(b.keys) == 1
	h.n++
	for h.n > h.max && len(h.minutes) > 1 {
		oldest := h.minutes[0]
		h.n -= len(h.buckets[oldest].keys)
		delete(h.buckets, oldest)
		h.minutes = h.minutes[1:]
		h.from = time.UnixMilli((oldest + 1) * 60000)
	}
}

// has reports whether an event was delivered.
func (h *heldSet) has(key uint64, ts int64) bool {
	b, ok := h.buckets[minuteOf(ts)]
	if !ok {
		return false
	}
	if !b.sorted {
		slices.Sort(b.keys)
		b.sorted = true
	}
	_, found := slices.BinarySearch(b.keys, key)
	return found
}

// isHeld reports, while a window is fetched again, whether the screen was given this
// event already.
func (s *Source) isHeld(stream string, ts int64, msg string) bool {
	return s.refetching && s.held != nil && s.held.has(s.seen.hash(stream, msg, ts), ts)
}

// hold remembers an event given to the screen.
func (s *Source) hold(stream string, ts int64, msg string) {
	if s.held != nil {
		s.held.add(s.seen.hash(stream, msg, ts), ts)
	}
}
