package cloudwatch

import (
	"runtime"
	"testing"
)

// BenchmarkHeldSet measures what remembering the explorer's events costs: bytes per
// held event (the budget is the ring's ~100 bytes a record; the aim here is ~8) and the
// time of an add and of a lookup in a refetch.
func BenchmarkHeldSet(b *testing.B) {
	const n = 1_000_000
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	h := newHeldSet(n)
	seen := newSeenSet()
	for i := 0; i < n; i++ {
		ts := int64(1700000000000 + i*3) // 20,000 events a minute
		h.add(seen.hash("eni-0abc-all", "x", ts), ts)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	perEvent := float64(after.HeapAlloc-before.HeapAlloc) / n
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ts := int64(1700000000000 + (i%n)*3)
		if !h.has(seen.hash("eni-0abc-all", "x", ts), ts) {
			b.Fatal("lost")
		}
	}
	b.ReportMetric(perEvent, "bytes/event")
	runtime.KeepAlive(h)
}
