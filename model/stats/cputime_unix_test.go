//go:build unix

package stats

import "syscall"

// cpuTime is the CPU time this process has used, in nanoseconds. The machine the
// benchmarks run on is shared: wall time counts the other processes' turns, CPU time
// only this one's work (garbage collection included).
func cpuTime() int64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
