package pairs_test

import (
	"runtime"
	"testing"

	"github.com/flowlens/flowlens/internal/sim"
	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/pairs"
)

// realisticRecords returns n records of the realistic scenario, copied.
func realisticRecords(b *testing.B, f *model.Format, n int) []model.Flow {
	b.Helper()
	recs := make([]model.Flow, 0, n)
	sim.Realistic(1).Stream(f, n, func(r *model.Flow) bool {
		recs = append(recs, *r)
		return true
	})
	return recs
}

// BenchmarkIndexAdd measures adding records to an index, as the explorer does for every
// record it reads, and removing them again as the ring drops them.
func BenchmarkIndexAdd(b *testing.B) {
	for _, f := range sim.Formats() {
		b.Run(formatName(f), func(b *testing.B) {
			recs := realisticRecords(b, f, 200_000)
			b.ResetTimer()
			var ix *pairs.Index
			for i := 0; i < b.N; i++ {
				k := i % len(recs)
				if k == 0 {
					ix = pairs.NewIndex()
				}
				ix.Add(uint64(i), &recs[k])
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/record")
		})
	}
}

// BenchmarkIndexAddRemove is the steady state of a full ring: every record added
// pushes the oldest out.
func BenchmarkIndexAddRemove(b *testing.B) {
	recs := realisticRecords(b, sim.V5Format, 200_000)
	const window = 100_000
	ix := pairs.NewIndex()
	for i := range window {
		ix.Add(uint64(i), &recs[i])
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		k := (window + i) % len(recs)
		old := (k - window + len(recs)) % len(recs)
		ix.Remove(&recs[old])
		ix.Add(uint64(window+i), &recs[k])
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/record")
}

// BenchmarkJudge measures judging pairs with the sentences (Judge) and without
// (Classify), with and without rules; the cache is defeated by a fresh index per round.
func BenchmarkJudge(b *testing.B) {
	recs := realisticRecords(b, sim.V5Format, 50_000)
	s := sim.Realistic(1)
	rs := loadRules(b, s.Topology)
	for _, bc := range []struct {
		name  string
		full  bool
		rules bool
	}{{"judge", true, false}, {"judge+rules", true, true}, {"classify", false, false}, {"classify+rules", false, true}} {
		b.Run(bc.name, func(b *testing.B) {
			n := 0
			for b.Loop() {
				b.StopTimer()
				ix := pairs.NewIndex()
				for i := range recs {
					ix.Add(uint64(i), &recs[i])
				}
				all := ix.All()
				b.StartTimer()
				for _, p := range all {
					r := rs
					if !bc.rules {
						r = nil
					}
					if bc.full {
						ix.Judge(p, r)
					} else {
						ix.Classify(p, r)
					}
				}
				n += len(all)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/pair")
		})
	}
}

// BenchmarkIndexMemory measures what an index holds: the heap it adds, by pair and by
// record, for 300,000 records of the realistic scenario (most conversations short), as
// the explorer keeps one next to its ring; then by pair once every pair is classified,
// as the pairs view does, which caches a classification in each. Each round rebuilds
// the index; the figures are those of the last.
func BenchmarkIndexMemory(b *testing.B) {
	for _, f := range sim.Formats() {
		b.Run(formatName(f), func(b *testing.B) {
			recs := realisticRecords(b, f, 300_000)
			var perPair, perRecord, classified float64
			for b.Loop() {
				before := heapAlloc()
				ix := pairs.NewIndex()
				for i := range recs {
					ix.Add(uint64(i), &recs[i])
				}
				held := float64(heapAlloc() - before)
				perPair, perRecord = held/float64(ix.Len()), held/float64(len(recs))
				for _, p := range ix.All() {
					ix.Classify(p, nil)
				}
				classified = float64(heapAlloc()-before) / float64(ix.Len())
				runtime.KeepAlive(ix)
			}
			b.ReportMetric(perPair, "B/pair")
			b.ReportMetric(perRecord, "B/record")
			b.ReportMetric(classified, "B/pair-classified")
		})
	}
}

// heapAlloc is the live heap after a collection.
func heapAlloc() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
