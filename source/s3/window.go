package s3

import (
	"time"

	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/source"
)

// window is the time rule of a source: records whose start lies in [since, until), and
// the stretch of delivery times (folder and file-name times) whose files can hold them.
// A file is named after the end of its batch, which is later than every record in it,
// so a name before since holds only older records; records arrive late (an aggregation
// window of up to 10 minutes, then delivery, "about 10 minutes" to S3 and best effort),
// so names up to until plus the margin can still hold records that started before until.
// Only the upper bound is widened.
type window struct {
	since, until time.Time // until zero: open (following)
	margin       time.Duration
}

// namesFrom is the first name time to read: names have minutes, and a file named at
// since's minute may end a few seconds after since.
func (w window) namesFrom() time.Time { return w.since.Truncate(time.Minute) }

// namesUntil is the end (exclusive) of the name times to read; zero when open.
func (w window) namesUntil() time.Time {
	if w.until.IsZero() {
		return time.Time{}
	}
	return w.until.Add(w.margin)
}

// keepsName reports whether a file named at t can hold records of the window.
func (w window) keepsName(t time.Time) bool {
	if t.Before(w.namesFrom()) {
		return false
	}
	hi := w.namesUntil()
	return hi.IsZero() || t.Before(hi)
}

// overlaps reports whether a folder of delivery times [start, end) can hold files the
// window reads.
func (w window) overlaps(start, end time.Time) bool {
	if !end.After(w.namesFrom()) {
		return false
	}
	hi := w.namesUntil()
	return hi.IsZero() || start.Before(hi)
}

// trim keeps the records of a chunk whose start lies in the window; a record without a
// start (a format without the column, or `-`) is kept, as there is nothing to judge it
// by. It returns how many it dropped.
func (w window) trim(c *source.Chunk) int {
	lo := w.since.Unix()
	hi := int64(-1)
	if !w.until.IsZero() {
		hi = w.until.Unix()
	}
	kept := c.Records[:0]
	for i := range c.Records {
		r := &c.Records[i]
		if r.Has(model.FStart) {
			if t := int64(r.Start); t < lo || hi >= 0 && t >= hi {
				continue
			}
		}
		kept = append(kept, *r)
	}
	dropped := len(c.Records) - len(kept)
	c.Records = kept
	return dropped
}

// keepInterfaces keeps the records of a chunk whose interface is in enis (all of them
// when enis is empty); a record without an interface-id is kept. It returns how many it
// dropped.
func keepInterfaces(c *source.Chunk, enis map[string]bool) int {
	if len(enis) == 0 {
		return 0
	}
	kept := c.Records[:0]
	for i := range c.Records {
		r := &c.Records[i]
		if r.Has(model.FInterfaceID) && !enis[r.Text(model.FInterfaceID)] {
			continue
		}
		kept = append(kept, *r)
	}
	dropped := len(c.Records) - len(kept)
	c.Records = kept
	return dropped
}
