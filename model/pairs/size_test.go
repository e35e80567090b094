package pairs

import (
	"testing"
	"unsafe"
)

// TestPairSize keeps a Pair in the allocator's 176-byte size class: the explorer holds
// one for about every other record, and a field more moves every pair to 192 bytes
// (BenchmarkExplorerBytesPerRecord measures the whole). The sizes are those of 64-bit
// platforms.
func TestPairSize(t *testing.T) {
	if unsafe.Sizeof(uintptr(0)) != 8 {
		t.Skip("sizes of 64-bit platforms")
	}
	for _, c := range []struct {
		name      string
		got, want uintptr
	}{
		{"Key", unsafe.Sizeof(Key{}), 44},
		{"Dir", unsafe.Sizeof(Dir{}), 48},
		{"Pair", unsafe.Sizeof(Pair{}), 176},
	} {
		if c.got != c.want {
			t.Errorf("a %s takes %d bytes, want %d", c.name, c.got, c.want)
		}
	}
}
