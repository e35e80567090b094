package stats

import (
	"time"
)

// BucketCounts are the records of one class in one bucket.
type BucketCounts struct{ Flows, Packets, Bytes uint64 }

// Get returns one metric (Rejects reads as Flows: a class is all accepted or all
// rejected records already).
func (c BucketCounts) Get(m Metric) uint64 {
	switch m {
	case Packets:
		return c.Packets
	case Bytes:
		return c.Bytes
	}
	return c.Flows
}

func (c *BucketCounts) add(x *counts) {
	c.Flows += uint64(x.flows)
	c.Packets += x.packets
	c.Bytes += x.bytes
}

// Bucket is one column of the over-time chart.
type Bucket struct {
	Start    time.Time // UTC
	Accepted BucketCounts
	Rejected BucketCounts
	Other    BucketCounts // records without an action (a format that lacks it)
}

// Histogram is the records held over time, in buckets of Step from the one holding the
// earliest start to the one holding the latest, empty buckets included.
type Histogram struct {
	Step    time.Duration
	Buckets []Bucket
}

// histogramSteps are the bucket sizes the chart picks from: round numbers a person reads
// at a glance. Flow logs aggregate over 1 or 10 minutes, so a finer bucket would show
// when windows began, not traffic: the minute is the floor. Past the list, steps double.
var histogramSteps = []time.Duration{
	time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute,
	time.Hour, 2 * time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour,
	24 * time.Hour, 2 * 24 * time.Hour, 7 * 24 * time.Hour, 14 * 24 * time.Hour, 28 * 24 * time.Hour,
}

// Histogram spreads the records held over at most columns buckets (at least 1): the
// smallest step of the list whose buckets, aligned to the Unix epoch like the headless
// bins, cover the time span held in no more than columns. The cost is a pass over the
// minutes held.
func (l *Live) Histogram(columns int) Histogram {
	columns = max(columns, 1)
	first, last, found := uint32(0), uint32(0), false
	for i, used := range l.times.used {
		if !used {
			continue
		}
		m := l.times.keys[i]
		if !found || m < first {
			first = m
		}
		if !found || m > last {
			last = m
		}
		found = true
	}
	if !found {
		return Histogram{Step: time.Minute}
	}
	step := pickStep(uint64(first)*60, uint64(last)*60, columns)
	secs := uint64(step / time.Second)
	base := uint64(first) * 60 / secs
	n := uint64(last)*60/secs - base + 1
	h := Histogram{Step: step, Buckets: make([]Bucket, n)}
	for i := range h.Buckets {
		h.Buckets[i].Start = time.Unix(int64((base+uint64(i))*secs), 0).UTC()
	}
	for i, used := range l.times.used {
		if !used {
			continue
		}
		t := &l.times.vals[i]
		b := &h.Buckets[uint64(l.times.keys[i])*60/secs-base]
		b.Accepted.add(&t.accepted)
		b.Rejected.add(&t.rejected)
		b.Other.add(&t.other)
	}
	return h
}

// pickStep returns the smallest step whose epoch-aligned buckets from first to last
// (Unix seconds) number at most columns.
func pickStep(first, last uint64, columns int) time.Duration {
	fits := func(step time.Duration) bool {
		s := uint64(step / time.Second)
		return last/s-first/s+1 <= uint64(columns)
	}
	for _, s := range histogramSteps {
		if fits(s) {
			return s
		}
	}
	s := histogramSteps[len(histogramSteps)-1]
	for !fits(s) {
		s *= 2
	}
	return s
}
