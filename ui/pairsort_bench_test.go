package ui

import "testing"

// Sorting and folding the conversations at scale: each key lists them again in steps
// and sorts (or groups) them off the update loop; max-ms/update and max-cpu-ms/update
// are the longest the screen was blocked (the budget: 100 ms), ms/X the time until the
// new order is on screen.
//
//	go test ./ui/ -run '^$' -bench 'SortConversations1M|CollapseConversations1M' -benchtime 4x
func BenchmarkSortConversations1M(b *testing.B)     { benchPairsKey(b, 1_000_000, "o", "sort") }
func BenchmarkCollapseConversations1M(b *testing.B) { benchPairsKey(b, 1_000_000, "c", "collapse") }

func benchPairsKey(b *testing.B, n int, key, what string) {
	m := loadedWith(b, manyPairRecords(n))
	b.ReportMetric(float64(m.pairs.Len()), "conversations")
	open := &timedLoop{m: m}
	open.send(keyMsg("p"))
	l := &timedLoop{m: m}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		l.send(keyMsg(key))
		if m.pv.build != nil || len(m.pv.rows) != m.pairs.Len() {
			b.Fatalf("%s: %d rows of %d, build %v", what, len(m.pv.rows), m.pairs.Len(), m.pv.build != nil)
		}
	}
	l.report(b, what)
}
