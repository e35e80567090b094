//go:build !unix

package stats

// cpuTime is unavailable here: the benchmarks report wall time only.
func cpuTime() int64 { return 0 }
