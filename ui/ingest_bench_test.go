package ui

import (
	"math"
	"runtime"
	"testing"
	"time"

	"github.com/flowlens/flowlens/feed"
	"github.com/flowlens/flowlens/model"
)

// The budget of "no key blocks the screen for more than 100 ms" while a followed file
// grows at tens of MB/s: the ring full (every record taken in evicts one), a filter on,
// the table following the tail, batches as large as the batcher sends them (8,192 and
// the chunk that crossed it). What a key waits for is the longest Update with its frame:
// max-ms/update (wall) and max-cpu-ms/update (this thread's CPU, what it costs on an idle
// core); cpu-ms/batch is the whole batch, slices and frames; max-records/update the
// largest slice. Frames are drawn as in the program (records alone at most every
// followFrameEvery). The Whole variants take each batch in one Update and draw after
// every Update, as before.
func BenchmarkFollowBatch1M(b *testing.B)      { benchFollowBatch(b, 1_000_000, ingestLimit{}) }
func BenchmarkFollowBatch5M(b *testing.B)      { benchFollowBatch(b, 5_000_000, ingestLimit{}) }
func BenchmarkFollowBatchWhole1M(b *testing.B) { benchFollowBatch(b, 1_000_000, wholeBatch) }
func BenchmarkFollowBatchWhole5M(b *testing.B) { benchFollowBatch(b, 5_000_000, wholeBatch) }

var wholeBatch = ingestLimit{records: math.MaxInt, time: time.Hour}

// followBatch is the size of the batches: the batcher flushes at 8,192 records, and the
// chunk that crossed it comes whole (256 KiB of lines, about 3,400 records).
const followBatch = 8192 + 3400

func benchFollowBatch(b *testing.B, n int, limit ingestLimit) {
	m := loadedWith(b, manyPairRecords(n))
	m.applyFilter("action=REJECT or dstport=22", true)
	finish(m)
	m.ingestLimit = limit
	if limit == (ingestLimit{}) {
		m.frameEvery = followFrameEvery
	}
	// New conversations arrive as old ones leave, as in a followed file.
	arriving := testRecords(1 << 17)
	runtime.GC()
	var (
		longest, longestCPU time.Duration
		cpuAll              time.Duration
		updates, most       int
	)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	timed := func(msg any) {
		t0, c0 := time.Now(), threadCPU()
		m.Update(msg)
		_ = m.View()
		d, c := time.Since(t0), threadCPU()-c0
		longest, longestCPU = max(longest, d), max(longestCPU, c)
		cpuAll += c
		updates++
		most = max(most, m.work.ingested)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		off := i * followBatch % (len(arriving) - followBatch)
		recs := make([]model.Flow, followBatch) // a batch is the source's fresh slice
		copy(recs, arriving[off:])
		timed(batchMsg{batch: feed.Batch{Records: recs}, ok: true})
		for len(m.backlog) > 0 {
			timed(ingestMsg{})
		}
	}
	b.StopTimer()
	if m.ring.Len() != n || !m.table.following {
		b.Fatalf("ring %d of %d, following %v", m.ring.Len(), n, m.table.following)
	}
	nb := float64(b.N)
	b.ReportMetric(float64(longest.Microseconds())/1000, "max-ms/update")
	b.ReportMetric(float64(longestCPU.Microseconds())/1000, "max-cpu-ms/update")
	b.ReportMetric(float64(cpuAll.Microseconds())/nb/1000, "cpu-ms/batch")
	b.ReportMetric(float64(updates)/nb, "updates/batch")
	b.ReportMetric(float64(most), "max-records/update")
}
