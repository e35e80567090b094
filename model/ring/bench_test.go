package ring

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/filter"
)

// million parses 1,000,000 varied default-format records into a full ring.
func million(b *testing.B) *Ring {
	b.Helper()
	const n = 1_000_000
	r := New(n)
	p := model.NewParser("bench", nil)
	batch := make([]model.Flow, 0, 8192)
	var f model.Flow
	for i := 0; i < n; i++ {
		action := "ACCEPT"
		if i%10 == 0 {
			action = "REJECT"
		}
		line := fmt.Sprintf("2 123456789012 eni-0a1b2c3d4e5f6%04d 10.%d.%d.%d 172.31.%d.%d %d %d 6 %d %d %d %d %s OK",
			i%64, i%200, i/200%250, i%250, i%7, i%251, 1024+i%60000, []int{443, 22, 80, 5432}[i%4], i%100+1, (i%100+1)*500, 1700000000+i/100, 1700000060+i/100, action)
		if p.Parse([]byte(line), &f) != model.LineRecord {
			b.Fatal(p.Stats().Samples)
		}
		batch = append(batch, f)
		if len(batch) == cap(batch) {
			r.Append(batch)
			batch = batch[:0]
		}
	}
	r.Append(batch)
	return r
}

// BenchmarkFilter1M measures the DESIGN budget: filter 1,000,000 records in <= 20 ms.
func BenchmarkFilter1M(b *testing.B) {
	r := million(b)
	for _, expr := range []string{"action=REJECT", "dstport=22 and src=10.0.0.0/8", "reject or (tcp and bytes>40k)", "eni=eni-0a1b2c3d4e5f60007"} {
		b.Run(expr, func(b *testing.B) {
			flt := filter.MustCompile(expr)
			v := NewView(r, nil)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				v.SetFilter(flt.Match)
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/1000, "ms/1M")
			b.ReportMetric(float64(v.Len()), "matches")
		})
	}
}

// BenchmarkRingBytesPerRecord measures the DESIGN budget: <= 100 bytes per
// default-format record held.
func BenchmarkRingBytesPerRecord(b *testing.B) {
	for i := 0; i < b.N; i++ {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		r := million(b)
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(r.Len()), "bytes/record")
		runtime.KeepAlive(r)
	}
}
