package pairs_test

import (
	"runtime"
	"testing"
	"unsafe"

	"github.com/flowlens/flowlens/internal/sim"
	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/pairs"
	"github.com/flowlens/flowlens/model/ring"
)

// BenchmarkExplorerBytesPerRecord measures what the explorer holds for each record of
// a full ring, in the Go heap after a collection: the ring and the conversations index
// kept as records arrive, as ui does it (a ring of 1,000,000 records, the index told of
// each record the ring drops). The records are the simulated busy VPC of `flowlens
// generate`, 2,391,762 of them as in the engine issue's measurement. Resident memory is
// this times the collector's headroom (GOGC 25 in the explorer) plus the program:
// scripts/memcheck.sh measures that, with the real binary.
func BenchmarkExplorerBytesPerRecord(b *testing.B) {
	for _, c := range []struct {
		name   string
		format *model.Format
	}{{"v2", model.DefaultFormat}, {"v5", sim.V5Format}} {
		b.Run(c.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				heldBytes(b, c.format, 2_391_762, 1_000_000)
			}
		})
	}
}

func heldBytes(b *testing.B, format *model.Format, read, capacity int) {
	heap := func() uint64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	before := heap()
	r := ring.New(capacity)
	ix := pairs.NewIndex()
	r.OnEvict = func(_ ring.Seq, f *model.Flow) { ix.Remove(f) }
	batch := make([]model.Flow, 0, 8192)
	flush := func() {
		first := r.Append(batch)
		for i := range batch {
			ix.Add(uint64(first)+uint64(i), &batch[i])
		}
		batch = batch[:0]
	}
	sim.Realistic(1).Stream(format, read, func(f *model.Flow) bool {
		batch = append(batch, *f)
		if len(batch) == cap(batch) {
			flush()
		}
		return true
	})
	flush()
	batch = nil
	held := heap()
	ringOnly := uint64(r.Len()) * uint64(ringRecordBytes(r))
	n := float64(r.Len())
	b.ReportMetric(float64(held-before)/n, "bytes/record")
	b.ReportMetric(float64(held-before-ringOnly)/n, "index-bytes/record")
	b.ReportMetric(float64(ix.Len())/n, "pairs/record")
	runtime.KeepAlive(r)
	runtime.KeepAlive(ix)
}

// ringRecordBytes is what the ring holds for one of its records: the Flow and, for
// formats beyond the default, its Ext.
func ringRecordBytes(r *ring.Ring) uintptr {
	size := unsafe.Sizeof(model.Flow{})
	if f := r.At(r.First()); f != nil && f.Ext() != nil {
		size += unsafe.Sizeof(model.Ext{}) // from the parser's slab: no size class rounds it
	}
	return size
}
