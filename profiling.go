//go:build profiling

package main

// Built with -tags profiling (scripts/soak.sh does, with SOAK_PPROF set), the binary
// serves net/http/pprof on FLOWLENS_PPROF (an address such as 127.0.0.1:6060), so that
// the soak can take a CPU profile and an execution trace of the real program while it
// follows a growing file. Never in a release build.

import (
	"net/http"
	_ "net/http/pprof"
	"os"
)

func init() {
	if addr := os.Getenv("FLOWLENS_PPROF"); addr != "" {
		go func() { _ = http.ListenAndServe(addr, nil) }()
	}
}
