package ui

import (
	"math/rand/v2"
	"net/netip"
	"testing"
	"time"

	"github.com/flowlens/flowlens/feed"
	"github.com/flowlens/flowlens/model"
)

// The stats view's costs with 1,000,000 records held, against the DESIGN budget of one
// keystroke to a new frame, 50 ms. Two data sets: testRecords (250 sources, two
// services: what a VPC's flow logs look like) and flood (a million sources to random
// ports: an internet-wide scan or a spoofed flood, the worst case of the panels, whose
// every record starts groups of its own). Run with -benchtime 10x: each benchmark loads
// a million records first.
//
//	go test -run XXX -bench BenchmarkStats -benchtime 10x ./ui/

// flood returns n records from random sources to random ports of 1,024 hosts.
func flood(n int) []model.Flow {
	rng := rand.New(rand.NewPCG(3, 4))
	ifc := model.Intern("eni-0f100d0f100d0f100")
	start := uint64(testNow.Unix()) - uint64(n/1000)
	recs := make([]model.Flow, n)
	for i := range recs {
		r := &recs[i]
		r.SetStatus(model.StatusOK)
		r.SetSrc(netip.AddrFrom4([4]byte{100, byte(rng.IntN(64)), byte(rng.IntN(256)), byte(rng.IntN(256))}))
		r.SetDst(netip.AddrFrom4([4]byte{10, 0, byte(rng.IntN(4)), byte(rng.IntN(256))}))
		r.SetUint(model.FSrcPort, 32768+uint64(rng.IntN(28000)))
		r.SetUint(model.FDstPort, uint64(rng.IntN(65536)))
		r.SetUint(model.FProtocol, 6)
		r.SetUint(model.FPackets, 1)
		r.SetUint(model.FBytes, 44)
		r.SetUint(model.FStart, start+uint64(i/1000))
		r.SetSym(model.FInterfaceID, ifc)
		r.SetAction(model.Reject)
	}
	return recs
}

var statsSets = []struct {
	name string
	make func(int) []model.Flow
}{{"realistic", testRecords}, {"flood", flood}}

// BenchmarkStatsOpen1M: the key that opens the view, to its first frame: a tracker made,
// the first step of the recount (at most backfillBudget), the panels ranked and drawn.
// cpu-ms/recount is the whole recount, spread over that many steps.
func BenchmarkStatsOpen1M(b *testing.B) {
	for _, set := range statsSets {
		b.Run(set.name, func(b *testing.B) {
			m := loadedWith(b, set.make(1_000_000))
			s := keyMsg("s")
			var steps, recount, recountCPU int64
			b.ResetTimer()
			cpu := cpuTime()
			for i := 0; i < b.N; i++ {
				m.Update(s)
				_ = m.View()
				b.StopTimer()
				t0, c0 := time.Now(), cpuTime()
				for m.sv.tr.Pending() > 0 {
					m.Update(statsTickMsg{m.sv.gen})
					steps++
				}
				recount += int64(time.Since(t0))
				recountCPU += cpuTime() - c0
				m.Update(s) // close
				b.StartTimer()
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/1000, "ms/open")
			b.ReportMetric(float64(cpuTime()-cpu-recountCPU)/float64(b.N)/1e6, "cpu-ms/open")
			b.ReportMetric(float64(recount)/float64(b.N)/1e6, "ms/recount")
			b.ReportMetric(float64(recountCPU)/float64(b.N)/1e6, "cpu-ms/recount")
			b.ReportMetric(float64(steps)/float64(b.N)+1, "steps/recount")
		})
	}
}

// BenchmarkStatsBatch1M: a batch of 8,192 records arriving while the view is open, with a
// million held: 8,192 counted, 8,192 evicted and uncounted, and the panels recomputed and
// drawn (the program recomputes at most every statsRefresh; here after every batch).
// The closed runs are the same batches with the flows view shown: what the ring and the
// conversations index cost without the stats view.
func BenchmarkStatsBatch1M(b *testing.B) {
	for _, set := range statsSets {
		for _, open := range []bool{true, false} {
			name := set.name
			if !open {
				name += "-closed"
			}
			b.Run(name, func(b *testing.B) { benchmarkBatch(b, set.make, open) })
		}
	}
}

func benchmarkBatch(b *testing.B, records func(int) []model.Flow, open bool) {
	recs := records(1_000_000 + 8192*64)
	m := loadedWith(b, recs[:1_000_000])
	if open {
		m.Update(keyMsg("s"))
		settleStats(b, m)
	}
	next := 1_000_000
	b.ResetTimer()
	cpu := cpuTime()
	for i := 0; i < b.N; i++ {
		if next+8192 > len(recs) {
			next = 1_000_000
		}
		deliver(m, feed.Batch{Records: recs[next : next+8192]})
		next += 8192
		m.Update(statsTickMsg{m.sv.gen})
		_ = m.View()
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/1000, "ms/update")
	b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N)/1e6, "cpu-ms/update")
}

// BenchmarkStatsKey1M: a key that changes what the panels rank by (the metric), to the
// new frame.
func BenchmarkStatsKey1M(b *testing.B) {
	for _, set := range statsSets {
		b.Run(set.name, func(b *testing.B) {
			m := loadedWith(b, set.make(1_000_000))
			m.Update(keyMsg("s"))
			settleStats(b, m)
			c := keyMsg("c")
			b.ResetTimer()
			cpu := cpuTime()
			for i := 0; i < b.N; i++ {
				m.Update(c)
				_ = m.View()
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/1000, "ms/key")
			b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N)/1e6, "cpu-ms/key")
		})
	}
}
