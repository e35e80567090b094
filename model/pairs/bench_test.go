package pairs_test

import (
	"io"
	"runtime"
	"strings"
	"testing"

	"github.com/flowlens/flowlens/internal/sim"
	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/pairs"
	"github.com/flowlens/flowlens/model/rules"
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
// as the pairs view does (classifications are not cached: the two are equal). Each round rebuilds
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

// BenchmarkBatch measures what `flowlens pairs` does over the 2,391,762
// default-format records of the realistic scenario: adding every record to a Batch, and
// writing every pair (classified, sorted, judged with its sentence and formatted) as
// text and as JSON Lines; and what the batch holds per pair.
func BenchmarkBatch(b *testing.B) {
	recs := realisticRecords(b, model.DefaultFormat, 2_391_762)
	build := func() *pairs.Batch {
		bt := pairs.NewBatch(false)
		for i := range recs {
			bt.Add(&recs[i])
		}
		return bt
	}
	b.Run("add", func(b *testing.B) {
		var perPair float64
		for b.Loop() {
			before := heapAlloc()
			bt := build()
			perPair = float64(heapAlloc()-before) / float64(bt.Len())
			runtime.KeepAlive(bt)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(recs)), "ns/record")
		b.ReportMetric(perPair, "B/pair")
	})
	bt := build()
	for _, kind := range []string{"text", "jsonl", "jsonl-named"} {
		b.Run("write-"+kind, func(b *testing.B) {
			// jsonl-named is what flowlens pairs writes: with names (none known here) and
			// each pair's other end and the joint verdict.
			o := pairs.WriteOptions{Kind: strings.TrimSuffix(kind, "-named"), Named: strings.HasSuffix(kind, "-named")}
			for b.Loop() {
				if _, err := bt.Write(io.Discard, o); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*bt.Len()), "ns/pair")
		})
	}
}

// BenchmarkPeer measures finding a pair's other end (Index.Peer) and judging the two
// together (Index.Link, with the sentence), on the realistic scenario, with and without
// rules: what the explorer pays for the selected pair or a screenful of conversations.
// The classifications Peer needs are made each time (they are not cached). What
// linking costs in memory, BenchmarkIndexMemory reports in its B/pair (the index keeps,
// per address, the interfaces that saw it).
func BenchmarkPeer(b *testing.B) {
	recs := realisticRecords(b, sim.V5Format, 50_000)
	rs := loadRules(b, sim.Realistic(1).Topology)
	ix := pairs.NewIndex()
	for i := range recs {
		ix.Add(uint64(i), &recs[i])
	}
	all := ix.All()
	for _, bc := range []struct {
		name  string
		rules bool
		link  bool
	}{{"peer", false, false}, {"peer+rules", true, false}, {"link", false, true}, {"link+rules", true, true}} {
		b.Run(bc.name, func(b *testing.B) {
			var r *rules.Set
			if bc.rules {
				r = rs
			}
			linked, n := 0, 0
			for b.Loop() {
				for _, p := range all {
					if bc.link {
						if l := ix.Link(p, r, nil); l.Peer != nil {
							linked++
						}
					} else if peer, _ := ix.Peer(p, r); peer != nil {
						linked++
					}
				}
				n += len(all)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/pair")
			b.ReportMetric(100*float64(linked)/float64(n), "%linked")
		})
	}
}
