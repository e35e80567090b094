package cli

import (
	"fmt"
	"os"
	"testing"
)

// TestMain points the cache at an empty directory, so that no test reads the copy of
// AWS's address ranges the machine may have (the names would depend on it).
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "flowlens-cli-cache-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Setenv("XDG_CACHE_HOME", dir)
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
