package pairs_test

import (
	"os"
	"runtime"
	"runtime/pprof"
	"testing"

	"github.com/flowlens/flowlens/internal/sim"
	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/pairs"
	"github.com/flowlens/flowlens/model/ring"
)

func TestZZProf(t *testing.T) {
	if os.Getenv("ZZPROF") == "" {
		t.Skip()
	}
	runtime.MemProfileRate = 4096
	r := ring.New(1_000_000)
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
	sim.Realistic(1).Stream(model.DefaultFormat, 2_391_762, func(f *model.Flow) bool {
		batch = append(batch, *f)
		if len(batch) == cap(batch) {
			flush()
		}
		return true
	})
	flush()
	runtime.GC()
	f, _ := os.Create(os.Getenv("ZZPROF"))
	pprof.WriteHeapProfile(f)
	f.Close()
	runtime.KeepAlive(r)
	runtime.KeepAlive(ix)
}
