package cloudwatch

import (
	"encoding/binary"
	"hash/maphash"
	"time"
)

// seenSet remembers the events already delivered, so that each is delivered once
// although the same event can come back several times: from overlapping FilterLogEvents
// reads (the history and the look-back of every reconnect and poll), from the Live Tail
// session that was opened before the history was read, and from Live Tail sending an
// event again.
//
// Two keys, both 64-bit hashes:
//
//   - history events (FilterLogEvents) by group and event ID, which AWS makes unique;
//   - every event by stream, timestamp and message ("content"), because Live Tail events
//     carry no ID, and the IDs Logs Insights returns (@ptr) are not FilterLogEvents'. The
//     content key remembers where the event came from: a history event is a repeat if
//     its ID was seen, or if its content was seen from a source without IDs (live or
//     Insights); two history events with distinct IDs but the same text (a flow log that
//     wrote the same record twice) are both delivered. A live or Insights event is a
//     repeat if its content was seen at all.
//
// Memory is bounded by time. Keys live in buckets by the event's minute; the source says
// from which timestamp on a later re-read can still return an event (keepFrom: the start
// of the next look-back window), and whole buckets older than that are dropped, unless
// something was added to them recently, which keeps very late events long enough to catch
// Live Tail's immediate repeats. A hard cap (maxKeys) drops the oldest buckets first if
// an extreme rate would outgrow the window; that is counted, as duplicates may then pass.
type seenSet struct {
	seed    maphash.Seed
	buckets map[int64]*seenBucket
	keys    int
	maxKeys int
	// recent is how long a bucket that was added to is kept whatever its age.
	recent time.Duration
	// overflowed counts the keys dropped by the cap.
	overflowed uint64
}

type seenBucket struct {
	ids     map[uint64]struct{}
	content map[uint64]origin
	touched time.Time
}

// origin is where an event's content was first seen.
type origin uint8

const (
	fromHistory  origin = iota // FilterLogEvents, which gives event IDs
	fromLive                   // Live Tail: no ID
	fromInsights               // Logs Insights: no FilterLogEvents ID
)

const (
	// defaultMaxKeys is about 40 MB of keys: 20 minutes of look-back at 800 events/s,
	// above what Live Tail delivers unsampled (500 events/s).
	defaultMaxKeys = 1 << 20
	// recentWindow covers Live Tail's repeats, which come in the next update or so.
	recentWindow = 2 * time.Minute
)

func newSeenSet() *seenSet {
	return &seenSet{seed: maphash.MakeSeed(), buckets: map[int64]*seenBucket{}, maxKeys: defaultMaxKeys, recent: recentWindow}
}

// addHistory records a FilterLogEvents event and reports whether it is new.
func (s *seenSet) addHistory(group, id, stream string, ts int64, msg string, now time.Time) bool {
	b := s.bucket(ts, now)
	idKey := s.hash(group, id, 0)
	contentKey := s.hash(stream, msg, ts)
	if _, seen := b.ids[idKey]; seen {
		return false
	}
	if o, ok := b.content[contentKey]; ok && o != fromHistory {
		// Delivered by Live Tail or Insights already; remember the ID for the next
		// re-read.
		b.ids[idKey] = struct{}{}
		s.keys++
		return false
	}
	b.ids[idKey] = struct{}{}
	if _, ok := b.content[contentKey]; !ok {
		b.content[contentKey] = fromHistory
		s.keys++
	}
	s.keys++
	return true
}

// addInsights records an event Logs Insights returned and reports whether it is new.
func (s *seenSet) addInsights(stream string, ts int64, msg string, now time.Time) bool {
	b := s.bucket(ts, now)
	key := s.hash(stream, msg, ts)
	if _, seen := b.content[key]; seen {
		return false
	}
	b.content[key] = fromInsights
	s.keys++
	return true
}

// addLive records a Live Tail event and reports whether it is new.
func (s *seenSet) addLive(stream string, ts int64, msg string, now time.Time) bool {
	b := s.bucket(ts, now)
	key := s.hash(stream, msg, ts)
	if _, seen := b.content[key]; seen {
		b.content[key] = fromLive
		return false
	}
	b.content[key] = fromLive
	s.keys++
	return true
}

// bucket returns the bucket of an event timestamp (milliseconds), creating it.
func (s *seenSet) bucket(ts int64, now time.Time) *seenBucket {
	m := minuteOf(ts)
	b, ok := s.buckets[m]
	if !ok {
		b = &seenBucket{ids: map[uint64]struct{}{}, content: map[uint64]origin{}}
		s.buckets[m] = b
	}
	b.touched = now
	return b
}

func minuteOf(ts int64) int64 {
	m := ts / 60000
	if ts < 0 && ts%60000 != 0 {
		m--
	}
	return m
}

// hash keys a pair of strings and a number; the zero byte keeps "ab"+"c" apart from
// "a"+"bc".
func (s *seenSet) hash(a, b string, n int64) uint64 {
	var h maphash.Hash
	h.SetSeed(s.seed)
	h.WriteString(a)
	h.WriteByte(0)
	h.WriteString(b)
	var num [8]byte
	binary.LittleEndian.PutUint64(num[:], uint64(n))
	h.Write(num[:])
	return h.Sum64()
}

// forget drops the buckets no later read can need: every event in them is older than
// keepFrom, and none was added in the recent window. Then it enforces the cap.
func (s *seenSet) forget(keepFrom, now time.Time) {
	oldest := minuteOf(keepFrom.UnixMilli())
	for m, b := range s.buckets {
		if m < oldest && now.Sub(b.touched) > s.recent {
			s.drop(m, b)
		}
	}
	for s.keys > s.maxKeys {
		first := int64(0)
		found := false
		for m := range s.buckets {
			if !found || m < first {
				first, found = m, true
			}
		}
		if !found {
			break
		}
		b := s.buckets[first]
		s.overflowed += uint64(len(b.ids) + len(b.content))
		s.drop(first, b)
	}
}

func (s *seenSet) drop(m int64, b *seenBucket) {
	s.keys -= len(b.ids) + len(b.content)
	delete(s.buckets, m)
}

// size is the number of keys held.
func (s *seenSet) size() int { return s.keys }
