package model

import (
	"testing"
	"unsafe"
)

func flowSize() uintptr { return unsafe.Sizeof(Flow{}) }

// TestFlowSize holds a record to 64 bytes: the explorer keeps a million of them, and
// the ring's budget is 100 bytes per default-format record (aiming at 48). One pointer
// reaches everything out of line (Flow.more); a second would make it 72.
func TestFlowSize(t *testing.T) {
	if s := flowSize(); s > 64 {
		t.Errorf("Flow is %d bytes, want at most 64", s)
	}
}
