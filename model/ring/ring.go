// Package ring holds the records the explorer has read: a fixed-capacity buffer that drops
// the oldest record when full, gives every record a sequence number that stays valid
// while the record is held, and keeps filtered views of it up to date batch by batch.
package ring

import "github.com/flowlens/flowlens/model"

// DefaultCapacity is the number of records held unless --capacity says otherwise: 64 MB
// of default-format records in the ring, about 250 MB resident with everything the
// explorer keeps beside them (internal/cli's resident figures).
const DefaultCapacity = 1_000_000

// Seq is a record's sequence number: the n-th record ever appended has Seq n (from 0).
// A Seq never changes meaning, so a view can keep one after other records were dropped
// and ask whether it is still held.
type Seq uint64

// Ring is a bounded buffer of records. It is not safe for concurrent use: the explorer
// appends and reads on its update loop only.
type Ring struct {
	buf     []model.Flow
	cap     int
	next    Seq // the Seq the next appended record gets
	dropped uint64
	// OnEvict, when set, is called with each record about to be overwritten, oldest
	// first, so indexes over the ring (the pairs) can forget it.
	OnEvict func(s Seq, r *model.Flow)
}

// New makes a ring of the given capacity (at least 1). Memory grows as records arrive,
// up to capacity, so a small file does not cost the full buffer.
func New(capacity int) *Ring {
	if capacity < 1 {
		capacity = 1
	}
	return &Ring{cap: capacity}
}

// Append adds records, dropping the oldest beyond capacity. It returns the Seq of the
// first record appended.
func (r *Ring) Append(recs []model.Flow) Seq {
	first := r.next
	for len(recs) > 0 {
		if len(r.buf) < r.cap {
			n := min(len(recs), r.cap-len(r.buf))
			if len(r.buf)+n > cap(r.buf) {
				// Grow by doubling, but never past the capacity: append's own growth
				// would leave up to a quarter of a full ring allocated and unused.
				grown := make([]model.Flow, len(r.buf), min(r.cap, max(2*cap(r.buf), len(r.buf)+n, 1024)))
				copy(grown, r.buf)
				r.buf = grown
			}
			r.buf = append(r.buf, recs[:n]...)
			recs = recs[n:]
			r.next += Seq(n)
			continue
		}
		// Full: overwrite in place, oldest first. The slot of Seq s is s mod cap.
		at := int(r.next % Seq(r.cap))
		n := min(len(recs), r.cap-at)
		if r.OnEvict != nil {
			first := r.First()
			for i := at; i < at+n; i++ {
				r.OnEvict(first+Seq(i-at), &r.buf[i])
			}
		}
		copy(r.buf[at:at+n], recs[:n])
		recs = recs[n:]
		r.next += Seq(n)
		r.dropped += uint64(n)
	}
	return first
}

// First is the Seq of the oldest record held; equal to Next when the ring is empty.
func (r *Ring) First() Seq { return r.next - Seq(len(r.buf)) }

// Next is the Seq the next appended record will get.
func (r *Ring) Next() Seq { return r.next }

// Len is the number of records held.
func (r *Ring) Len() int { return len(r.buf) }

// Cap is the capacity.
func (r *Ring) Cap() int { return r.cap }

// Dropped is the number of records pushed out by newer ones.
func (r *Ring) Dropped() uint64 { return r.dropped }

// At returns the record with Seq s, or nil if it was dropped or not yet appended. The
// pointer is valid until the next Append.
func (r *Ring) At(s Seq) *model.Flow {
	if s < r.First() || s >= r.next {
		return nil
	}
	return &r.buf[int(s%Seq(r.cap))]
}

// Held reports whether the record with Seq s is still in the ring.
func (r *Ring) Held(s Seq) bool { return s >= r.First() && s < r.next }

// Segments returns the records from Seq from (clamped to First) to Next as at most two
// slices in order, with the Seq of each slice's first record: the hot loops of filtering
// walk them directly instead of calling a function per record.
func (r *Ring) Segments(from Seq) (a []model.Flow, aSeq Seq, b []model.Flow, bSeq Seq) {
	if from < r.First() {
		from = r.First()
	}
	if from >= r.next {
		return nil, from, nil, from
	}
	i := int(from % Seq(r.cap))
	n := int(r.next - from)
	end := min(len(r.buf), i+n)
	a, aSeq = r.buf[i:end], from
	if rest := n - (end - i); rest > 0 {
		b, bSeq = r.buf[:rest], from+Seq(end-i)
	}
	return a, aSeq, b, bSeq
}

// Range calls fn for every record from Seq from (clamped to First) to Next, in order,
// until fn returns false. It walks the two halves of the buffer directly, which is what
// makes refiltering a million records cheap.
func (r *Ring) Range(from Seq, fn func(Seq, *model.Flow) bool) {
	if from < r.First() {
		from = r.First()
	}
	for s := from; s < r.next; {
		i := int(s % Seq(r.cap))
		end := min(len(r.buf), i+int(r.next-s))
		for j := i; j < end; j++ {
			if !fn(s, &r.buf[j]) {
				return
			}
			s++
		}
	}
}
