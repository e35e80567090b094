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
// paging up each time so rows are re-rendered, not served from the cache: the key goes
// through Update (which renders the new rows) and the frame through View.
func BenchmarkFrame1M(b *testing.B) {
	m := loaded(b, 1_000_000, "dport=443 or reject")
	pgup := keyMsg("pgup")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.Update(pgup) // every visible row is new
		_ = m.View()
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
		m.bar.input.SetValue(exprs[i%len(exprs)])
		m.Update(debounceMsg{gen: m.bar.gen}) // what typing leads to, once typing pauses
		_ = m.View()
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
		m.settle()
		_ = m.View()
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/1000, "ms/rebuild")
}
