package s3_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/flowlens/flowlens/internal/fakeaws"
	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/source/awsclient"
	s3src "github.com/flowlens/flowlens/source/s3"
)

// blob is one gzipped flow log file of about size compressed bytes, records with
// random addresses and ports so that it compresses about as much as a real one
// (3-4 times), all starting in the ten minutes before end.
func blob(size int, end time.Time) (data []byte, records int) {
	rng := rand.New(rand.NewPCG(1, 2))
	var b bytes.Buffer
	w, _ := gzip.NewWriterLevel(&b, gzip.BestSpeed)
	w.Write([]byte(model.DefaultFormat.Header() + "\n"))
	line := make([]byte, 0, 200)
	for b.Len() < size {
		for i := 0; i < 1000; i++ {
			start := end.Unix() - 600 + rng.Int64N(540)
			line = fmt.Appendf(line[:0], "2 123456789012 eni-%017x 10.%d.%d.%d 172.%d.%d.%d %d %d 6 %d %d %d %d %s OK\n",
				rng.Uint64()&0xfffff, rng.IntN(256), rng.IntN(256), rng.IntN(256), 16+rng.IntN(16), rng.IntN(256), rng.IntN(256),
				rng.IntN(65536), rng.IntN(65536), 1+rng.IntN(100), 40+rng.IntN(100000), start, start+60, [2]string{"ACCEPT", "REJECT"}[rng.IntN(2)])
			w.Write(line)
			records++
		}
		w.Flush()
	}
	w.Close()
	return b.Bytes(), records
}

// fillBucket puts total bytes of objects in the bucket, one blob shared by every key
// (the fake keeps what it is given without copying), so the bucket's size does not
// become the test's memory.
func fillBucket(srv *fakeaws.Server, total int64) (objects, records int) {
	const objectSize = 4 << 20
	end := t0.Add(-30 * time.Minute)
	data, n := blob(objectSize, end)
	for i := 0; int64(i)*int64(len(data)) < total; i++ {
		loc := fakeaws.FlowLogLocation{FlowLogID: fmt.Sprintf("fl-%017x", i/8)}
		srv.PutObject("big-logs", loc.Key(end.Add(-time.Duration(i%8)*5*time.Minute), i), data)
		objects++
		records += n
	}
	return objects, records
}

// peakMemory samples the heap while fn runs and returns its peak above what was in use
// before, and the peak resident size of the process (VmHWM, reset first where Linux
// allows).
func peakMemory(fn func()) (heapMB, rssMB float64) {
	runtime.GC()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/memory/classes/heap/unused:bytes"}}
	read := func() uint64 {
		metrics.Read(sample)
		return sample[0].Value.Uint64() + sample[1].Value.Uint64()
	}
	base := read()
	os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) // resets VmHWM; harmless where it cannot
	var peak atomic.Uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			if v := read(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	fn()
	close(stop)
	<-done
	heapMB = float64(peak.Load()-min(base, peak.Load())) / (1 << 20)
	if status, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, l := range strings.Split(string(status), "\n") {
			if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
				kb, _ := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 64)
				rssMB = kb / 1024
			}
		}
	}
	return heapMB, rssMB
}

func readBucket(tb testing.TB, srv *fakeaws.Server) (records int64, err error) {
	src, err := s3src.New(context.Background(), s3src.Config{Client: awsclient.NewS3(srv.AWSConfig()), URL: "s3://big-logs/",
		Since: t0.Add(-2 * time.Hour), Until: t0, Clock: &testClock{now: t0}})
	if err != nil {
		return 0, err
	}
	err = src.Run(context.Background(), nil, func(c *s3src.Chunk) bool {
		records += int64(len(c.Records)) // counted, not kept: what a print --count does
		if c.Err != nil {
			tb.Errorf("%s: %v", c.Input, c.Err)
		}
		return true
	})
	return records, err
}

// Memory does not grow with the bucket: reading four times as many objects peaks at
// about the same heap. A reader that held objects or records would grow with them.
func TestReadingABucketKeepsMemoryFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 40 MB of objects")
	}
	peaks := map[int64]float64{}
	for _, total := range []int64{8 << 20, 32 << 20} {
		srv := fakeaws.Serve(t)
		objects, want := fillBucket(srv, total)
		var got int64
		var err error
		heap, _ := peakMemory(func() { got, err = readBucket(t, srv) })
		if err != nil || got != int64(want) {
			t.Fatalf("%d MB: %v, %d records of %d", total>>20, err, got, want)
		}
		t.Logf("%d objects, %d MB, %d records: peak heap %.0f MB above the start", objects, total>>20, got, heap)
		peaks[total] = heap
	}
	if peaks[32<<20] > peaks[8<<20]+48 || peaks[32<<20] > 200 {
		t.Fatalf("the peak heap grew from %.0f MB to %.0f MB with four times the objects", peaks[8<<20], peaks[32<<20])
	}
}

// BenchmarkReadBucket reads a bucket of FLOWLENS_S3_BENCH_MB megabytes of gzipped
// objects (default 1024) from the fake and reports the peak heap and resident size:
//
//	go test ./source/s3 -run '^$' -bench ReadBucket -benchtime 1x
func BenchmarkReadBucket(b *testing.B) {
	total := int64(1024)
	if v, err := strconv.ParseInt(os.Getenv("FLOWLENS_S3_BENCH_MB"), 10, 64); err == nil && v > 0 {
		total = v
	}
	srv := fakeaws.Serve(b)
	objects, want := fillBucket(srv, total<<20)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var got int64
		var err error
		start := time.Now()
		heap, rss := peakMemory(func() { got, err = readBucket(b, srv) })
		if err != nil || got != int64(want) {
			b.Fatalf("%v: %d records of %d", err, got, want)
		}
		b.ReportMetric(heap, "peak-heap-MB")
		b.ReportMetric(rss, "peak-rss-MB")
		b.ReportMetric(float64(total)/time.Since(start).Seconds(), "MB/s")
		b.ReportMetric(float64(objects), "objects")
		b.ReportMetric(float64(got)/time.Since(start).Seconds(), "records/s")
	}
}
