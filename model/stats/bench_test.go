package stats

import (
	"math/rand/v2"
	"net/netip"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/flowlens/flowlens/internal/sim"
	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/ring"
)

const million = 1_000_000

// realistic returns n records of the realistic scenario (a busy 40-interface VPC, IPv6,
// scanners): the explorer's typical ring. Built once per run: a million take a second.
var realistic = sync.OnceValue(func() []model.Flow {
	recs := make([]model.Flow, 0, million)
	sim.Realistic(1).Stream(model.DefaultFormat, million, func(r *model.Flow) bool {
		recs = append(recs, *r)
		return true
	})
	return recs
})

// wide returns n records whose sources are spread over about n/2 addresses and whose
// destination ports are random: an internet-wide scan or a spoofed flood, the worst case
// of the live panels' memory (most records start groups of their own).
func wide(n int) []model.Flow {
	rng := rand.New(rand.NewPCG(1, 2))
	ifaces := []model.Sym{model.Intern("eni-wide-a"), model.Intern("eni-wide-b")}
	recs := make([]model.Flow, n)
	for i := range recs {
		r := &recs[i]
		r.SetStatus(model.StatusOK)
		r.SetSrc(netip.AddrFrom4([4]byte{100, byte(rng.IntN(64)), byte(rng.IntN(128)), byte(rng.IntN(256))}))
		r.SetDst(netip.AddrFrom4([4]byte{10, 0, byte(rng.IntN(4)), byte(rng.IntN(256))}))
		r.SetUint(model.FSrcPort, 32768+uint64(rng.IntN(28000)))
		r.SetUint(model.FDstPort, uint64(rng.IntN(65536)))
		r.SetUint(model.FProtocol, 6)
		r.SetUint(model.FPackets, 1)
		r.SetUint(model.FBytes, 44)
		r.SetUint(model.FStart, 1700000000+uint64(i/1000))
		r.SetSym(model.FInterfaceID, ifaces[i%2])
		r.SetAction(model.Reject)
	}
	return recs
}

// reportCPU reports the CPU time per unit of work since start (a cpuTime reading),
// beside the wall time go test prints: on a shared machine it is the steadier figure.
func reportCPU(b *testing.B, start int64, n float64, unit string) {
	if start == 0 {
		return
	}
	b.ReportMetric(float64(cpuTime()-start)/n, "cpu-"+unit)
}

func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// BenchmarkGrouperAdd is the headless hot path: one record into a grouping, ns and
// allocations per record, for the queries over the realistic records.
func BenchmarkGrouperAdd(b *testing.B) {
	recs := realistic()
	for _, bc := range []struct {
		name string
		spec Spec
	}{
		{"by=srcaddr", Spec{By: []Column{{model.FSrcAddr, "srcaddr"}}}},
		{"by=dstport", Spec{By: []Column{{model.FDstPort, "dstport"}}}},
		{"by=srcaddr,action", Spec{By: []Column{{model.FSrcAddr, "srcaddr"}, {model.FAction, "action"}}}},
		{"bin=1h", Spec{Bin: time.Hour}},
		{"by=srcaddr,distinct=dstport", Spec{By: []Column{{model.FSrcAddr, "srcaddr"}}, Distinct: &Column{model.FDstPort, "dstport"}}},
		{"by=5-tuple+interface", Spec{By: []Column{{model.FInterfaceID, "interface-id"}, {model.FSrcAddr, "srcaddr"},
			{model.FDstAddr, "dstaddr"}, {model.FSrcPort, "srcport"}, {model.FDstPort, "dstport"}, {model.FProtocol, "protocol"}}}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			g, _ := NewGrouper(bc.spec)
			b.ReportAllocs()
			b.ResetTimer()
			cpu := cpuTime()
			for i := 0; i < b.N; i++ {
				g.Add(&recs[i%len(recs)])
			}
			reportCPU(b, cpu, float64(b.N), "ns/record")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/record")
			b.ReportMetric(float64(g.Groups()), "groups")
		})
	}
}

// BenchmarkGrouper10M groups ten million records by a key that is new for every
// record (source, destination and source port), generated one at a time and never
// held: memory follows the groups, capped at DefaultMaxGroups, not the records.
func BenchmarkGrouper10M(b *testing.B) {
	const n = 10 * million
	for b.Loop() {
		before := heapInUse()
		g, _ := NewGrouper(Spec{By: []Column{{model.FSrcAddr, "srcaddr"}, {model.FDstAddr, "dstaddr"}, {model.FSrcPort, "srcport"}}, Top: TopDefault})
		var r model.Flow
		r.SetStatus(model.StatusOK)
		r.SetUint(model.FDstPort, 443)
		start, cpu := time.Now(), cpuTime()
		for i := range n {
			r.SetSrc(netip.AddrFrom4([4]byte{100, byte(i >> 16), byte(i >> 8), byte(i)}))
			r.SetDst(netip.AddrFrom4([4]byte{10, 0, 0, byte(i % 7)}))
			r.SetUint(model.FSrcPort, uint64(i%50000))
			g.Add(&r)
		}
		elapsed := time.Since(start)
		reportCPU(b, cpu, n, "ns/record")
		res := g.Result()
		after := heapInUse()
		b.ReportMetric(float64(elapsed.Nanoseconds())/n, "ns/record")
		b.ReportMetric(float64(after-before)/(1<<20), "heap-MB")
		b.ReportMetric(float64(after-before)/float64(res.Groups), "B/group")
		b.ReportMetric(float64(res.Uncounted), "uncounted")
		b.ReportMetric(float64(g.MemoryBytes())/(1<<20), "grouper-MB")
		runtime.KeepAlive(g)
	}
}

// BenchmarkLiveAddRemove is the explorer's steady state with a full ring of a million:
// each new record is added and the oldest removed.
func BenchmarkLiveAddRemove(b *testing.B) {
	for _, bc := range []struct {
		name string
		recs func() []model.Flow
	}{{"realistic", realistic}, {"wide", func() []model.Flow { return wide(2 * million) }}} {
		b.Run(bc.name, func(b *testing.B) {
			recs := bc.recs()
			window := len(recs) / 2
			l := NewLive()
			for i := range window {
				l.Add(&recs[i])
			}
			b.ReportAllocs()
			b.ResetTimer()
			cpu := cpuTime()
			for i := 0; i < b.N; i++ {
				k := (window + i) % len(recs)
				old := (k - window + len(recs)) % len(recs)
				l.Remove(&recs[old])
				l.Add(&recs[k])
			}
			reportCPU(b, cpu, float64(b.N), "ns/add+remove")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/add+remove")
		})
	}
}

// liveOf builds a Live over recs and measures what it holds.
func liveOf(recs []model.Flow) (*Live, uint64) {
	before := heapInUse()
	l := NewLive()
	for i := range recs {
		l.Add(&recs[i])
	}
	return l, heapInUse() - before
}

// BenchmarkLiveTop is a panel query with a million records held: the top 10 of one
// panel, and a whole Frame of the view (every panel and the histogram). It also reports
// the live counts' memory per held record and per group.
func BenchmarkLiveTop(b *testing.B) {
	for _, bc := range []struct {
		name string
		recs func() []model.Flow
	}{{"realistic", realistic}, {"wide", func() []model.Flow { return wide(million) }}} {
		recs := bc.recs()
		l, mem := liveOf(recs)
		groups := l.addrs.Len() + l.ports.Len() + l.rejPorts.Len() + l.ifaces.Len() + l.convs.Len() +
			l.times.Len() + l.srcPorts.Len() + l.srcHosts.Len()
		// The scan panels' pair counts on their own: 12 bytes a slot.
		pairMem := 12 * (len(l.srcPorts.keys) + len(l.srcHosts.keys))
		npairs := l.srcPorts.Len() + l.srcHosts.Len()
		b.Run(bc.name+"/memory", func(b *testing.B) {
			for b.Loop() {
			}
			if npairs > 0 {
				b.ReportMetric(float64(pairMem)/float64(npairs), "B/scan-pair")
			}
			b.ReportMetric(float64(mem)/float64(len(recs)), "B/record")
			b.ReportMetric(float64(mem)/float64(groups), "B/group")
			b.ReportMetric(float64(mem)/(1<<20), "MB")
			b.ReportMetric(float64(l.addrs.Len()), "addresses")
			b.ReportMetric(float64(l.srcPorts.Len()), "source-port-pairs")
		})
		for _, p := range []Panel{Sources, Ports, Conversations, ScanPorts} {
			b.Run(bc.name+"/"+p.String(), func(b *testing.B) {
				var rows []PanelRow
				cpu := cpuTime()
				for b.Loop() {
					rows = l.AppendTop(rows[:0], p, Bytes, 10)
				}
				reportCPU(b, cpu, float64(b.N)*1e6, "ms/query")
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e6, "ms/query")
			})
		}
		b.Run(bc.name+"/frame", func(b *testing.B) {
			var f Frame
			cpu := cpuTime()
			for b.Loop() {
				l.Frame(&f, Flows, 10, 200)
			}
			reportCPU(b, cpu, float64(b.N)*1e6, "ms/frame")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e6, "ms/frame")
		})
	}
}

// BenchmarkTrackerRebuild is a filter change with a million records held: counting them
// all again from scratch (Sync), and the cost per record of a Backfill step.
func BenchmarkTrackerRebuild(b *testing.B) {
	recs := realistic()
	r := ring.New(len(recs))
	r.Append(recs)
	tr := NewTracker(r)
	match := func(f *model.Flow) bool { return f.Action == model.Reject || f.DstPort == 443 }
	b.Run("sync", func(b *testing.B) {
		cpu := cpuTime()
		for b.Loop() {
			tr.SetFilter(nil)
			tr.Sync()
		}
		reportCPU(b, cpu, float64(b.N)*1e6, "ms/rebuild")
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e6, "ms/rebuild")
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(recs)), "ns/record")
	})
	b.Run("sync-filtered", func(b *testing.B) {
		cpu := cpuTime()
		for b.Loop() {
			tr.SetFilter(match)
			tr.Sync()
		}
		reportCPU(b, cpu, float64(b.N)*1e6, "ms/rebuild")
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e6, "ms/rebuild")
	})
}
