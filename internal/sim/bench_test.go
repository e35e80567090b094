package sim_test

import (
	"testing"

	"github.com/flowlens/flowlens/internal/sim"
	"github.com/flowlens/flowlens/model"
)

// BenchmarkStream measures generation: Realistic records written to a discarding
// callback, in the default and the v5 format. The design wants >= 1M records/s so that
// a 2-million-record benchmark file takes seconds.
func BenchmarkStream(b *testing.B) {
	for _, f := range sim.Formats() {
		name := "v2"
		if f == sim.V5Format {
			name = "v5"
		}
		b.Run(name, func(b *testing.B) {
			s := sim.Realistic(1)
			const perRun = 200_000
			records := 0
			b.ResetTimer()
			for b.Loop() {
				s.Stream(f, perRun, func(*model.Flow) bool { records++; return true })
			}
			b.ReportMetric(float64(records)/b.Elapsed().Seconds(), "records/s")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(records), "ns/record")
		})
	}
}
