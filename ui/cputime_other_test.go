//go:build !unix

package ui

func cpuTime() int64 { return 0 }
