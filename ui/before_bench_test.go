package ui

import (
	"testing"
	"time"
)

func benchBefore(b *testing.B, n int) {
	m := loaded(b, n, "")
	b.ReportMetric(float64(m.pairs.Len()), "conversations")
	t0 := time.Now()
	m.toggleMode()
	m.settle()
	first := time.Since(t0)
	m.toggleMode()
	t0 = time.Now()
	m.toggleMode()
	m.settle()
	again := time.Since(t0)
	m.toggleMode()
	t0 = time.Now()
	m.bar.input.SetValue("action=REJECT dstport=22")
	m.Update(debounceMsg{gen: m.bar.gen})
	key := time.Since(t0)
	b.ReportMetric(float64(first.Milliseconds()), "ms/first-open")
	b.ReportMetric(float64(again.Milliseconds()), "ms/reopen")
	b.ReportMetric(float64(key.Milliseconds()), "ms/keystroke")
}
func BenchmarkBefore1M(b *testing.B) { benchBefore(b, 1_000_000) }
func BenchmarkBefore5M(b *testing.B) { benchBefore(b, 5_000_000) }
