package ui

import (
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/flowlens/flowlens/feed"
)

// loaded returns an explorer holding n records with a filter applied, sized 160x48.
func loaded(b *testing.B, n int, filter string) *Model {
	b.Helper()
	dark := true
	m := New(Options{Feed: newFakeFeed(), Capacity: n, Dark: &dark, Now: func() time.Time { return testNow }})
	m.Update(tea.WindowSizeMsg{Width: 160, Height: 48})
	recs := testRecords(n)
	for i := 0; i < len(recs); i += 8192 {
		deliver(m, feed.Batch{Records: recs[i:min(i+8192, len(recs))]})
	}
	if filter != "" {
		m.applyFilter(filter, true)
	}
	return m
}

// BenchmarkFrame1M renders one frame with 1,000,000 records held and a filter active,
// moving the selection each time so rows are re-rendered, not served from the cache.
func BenchmarkFrame1M(b *testing.B) {
	m := loaded(b, 1_000_000, "dport=443 or reject")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.table.move(-m.table.rows()) // a page up: every visible row is new
		_ = m.render()
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/1000, "ms/frame")
}

// BenchmarkFilterKeystroke1M measures the DESIGN budget "one keystroke to a new frame":
// the filter text changes, the whole ring of 1,000,000 records is refiltered, and the
// frame is drawn. (The 40 ms typing debounce comes before this and is not counted.)
func BenchmarkFilterKeystroke1M(b *testing.B) {
	m := loaded(b, 1_000_000, "")
	exprs := []string{"action=REJECT", "action=REJECT dstport=22", "src=203.0.113.0/25", "reject or bytes>2k"}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.applyFilter(exprs[i%len(exprs)], false)
		_ = m.render()
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/1000, "ms/keystroke")
}

// BenchmarkPairsViewRebuild1M measures rebuilding the conversations view over 1,000,000
// records once every pair was classified: what a filter keystroke in the pairs view
// and the once-a-second refresh cost. (The first opening classifies every pair.)
func BenchmarkPairsViewRebuild1M(b *testing.B) {
	m := loaded(b, 1_000_000, "")
	m.toggleMode()
	b.ReportMetric(float64(m.pairs.Len()), "conversations")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.pv.rebuild(m.pairs, m.rules)
		_ = m.render()
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/1000, "ms/rebuild")
}
