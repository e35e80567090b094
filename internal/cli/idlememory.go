package cli

import (
	"context"
	"log/slog"
	"runtime/debug"
	"runtime/metrics"
	"time"

	"github.com/flowlens/flowlens/source"
)

// The collector returns freed heap to the system only as far as its pacing needs: with
// GOGC 25 the explorer keeps about a quarter more than it holds, and after a file is
// read that slack stays resident while nothing uses it (80 MB of a million records'
// 370). returnIdleMemory watches the heap once a second and, when it has stopped
// growing (no records arriving: a file read to its end, a quiet stream) and what it
// could give back is worth it, returns it (debug.FreeOSMemory: a collection, on this
// goroutine, and the free pages released), at most once every idleGap: in a slow
// stream that is a collection every ten seconds, a few percent of a core. Records
// arriving faster grow the heap back within the collector's pacing.
func returnIdleMemory(ctx context.Context, log *slog.Logger) {
	samples := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/memory/classes/heap/free:bytes"}, {Name: "/gc/heap/live:bytes"}}
	var w idleWatch
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			metrics.Read(samples)
			if w.observe(now, samples[0].Value.Uint64(), samples[1].Value.Uint64(), samples[2].Value.Uint64()) {
				source.ReleaseSpareBuffers()
				debug.FreeOSMemory()
				log.Info("idle memory returned", "heap-objects-mb", samples[0].Value.Uint64()>>20, "free-mb", samples[1].Value.Uint64()>>20)
			}
		}
	}
}

const (
	idleSamples = 3                // seconds the heap must be steady
	idleGap     = 10 * time.Second // between two returns
	idleMinFree = 16 << 20         // free pages worth a collection (and at least an eighth of the heap)
)

// idleWatch decides when the heap is idle and its free pages worth returning.
type idleWatch struct {
	last   uint64 // the heap's objects at the last sample
	steady int    // samples in a row that grew less than 2% from the one before
	freed  time.Time
}

// observe takes a sample (the bytes of heap objects, live or not yet collected; of free
// pages not yet returned; of the heap found live by the last collection) and reports
// whether to return memory now. What a collection would free counts with the free
// pages: a view that built its rows and threw the last ones away leaves garbage that no
// collection comes for while nothing else is allocated.
func (w *idleWatch) observe(now time.Time, objects, free, live uint64) bool {
	// Growth is what records arriving look like; a shrinking heap (a collection's
	// sweep) is no reason to wait, it is what makes returning worth it.
	grew := objects > w.last && objects-w.last > objects/50
	w.last = objects
	if grew {
		w.steady = 0
		return false
	}
	if w.steady++; w.steady < idleSamples || now.Sub(w.freed) < idleGap {
		return false
	}
	if objects > live {
		free += objects - live
	}
	if free < idleMinFree || free < live/8 {
		return false
	}
	w.freed, w.steady = now, 0
	return true
}
