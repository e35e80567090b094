//go:build unix

package ui

import "syscall"

// cpuTime is the CPU time this process has used, in nanoseconds: on a shared machine a
// steadier figure than wall time, which counts the other processes' turns.
func cpuTime() int64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
