package cli

import (
	"context"
	"log/slog"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// The collector returns freed heap to the system only as far as its pacing needs: with
// GOGC 25 the explorer keeps about a quarter more than it holds, and after a file is
// read that slack stays resident while nothing uses it (50 MB of a million records'
// 390). returnIdleMemory watches the heap once a second and, when it has stopped
// changing (no records arriving: a file read to its end, a quiet stream) and the pages
// it could give back are worth it, returns them (debug.FreeOSMemory: a collection, on
// this goroutine, and the free pages released). Records arriving again grow the heap
// back within the collector's pacing; the next quiet spell returns it again, at most
// once every idleGap.
func returnIdleMemory(ctx context.Context, log *slog.Logger) {
	samples := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/memory/classes/heap/free:bytes"}}
	var w idleWatch
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			metrics.Read(samples)
			if w.observe(now, samples[0].Value.Uint64(), samples[1].Value.Uint64()) {
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
	steady int    // samples in a row within 2% of the one before
	freed  time.Time
}

// observe takes a sample (the bytes of heap objects, live or not yet swept, and of free
// pages not yet returned) and reports whether to return memory now.
func (w *idleWatch) observe(now time.Time, objects, free uint64) bool {
	diff := max(objects, w.last) - min(objects, w.last)
	w.last = objects
	if diff > objects/50 {
		w.steady = 0
		return false
	}
	if w.steady++; w.steady < idleSamples || now.Sub(w.freed) < idleGap {
		return false
	}
	if free < idleMinFree || free < objects/8 {
		return false
	}
	w.freed, w.steady = now, 0
	return true
}
