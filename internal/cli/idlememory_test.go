package cli

import (
	"testing"
	"time"
)

// The heap is returned once it has been steady for idleSamples seconds with enough
// free pages, not while it grows, not for little, and not again within idleGap.
func TestIdleWatch(t *testing.T) {
	const mb = 1 << 20
	start := time.Unix(1_700_000_000, 0)
	var w idleWatch
	at := func(s int) time.Time { return start.Add(time.Duration(s) * time.Second) }
	// Growing: records arriving.
	for s := 0; s < 10; s++ {
		if w.observe(at(s), uint64(100+10*s)*mb, 80*mb, uint64(100+10*s)*mb) {
			t.Fatalf("returned while the heap grew (second %d)", s)
		}
	}
	// Steady from second 10 (a step from the last growing sample): the third steady
	// sample, at second 13, returns, and the free pages are gone. At second 15 a view
	// is opened: the heap steps up, and what it freed is back by second 16; the heap is
	// steady again from 16, but the next return waits for idleGap after the first.
	var got []int
	free, heap := uint64(80*mb), uint64(300*mb)
	for s := 10; s < 60; s++ {
		if s == 15 {
			heap += 40 * mb
		}
		if s == 16 {
			free = 60 * mb
		}
		if w.observe(at(s), heap, free, heap) {
			got = append(got, s)
			free = 2 * mb
		}
	}
	gap := int(idleGap / time.Second)
	if len(got) != 2 || got[0] != 13 || got[1] != max(13+gap, 18) {
		t.Fatalf("returned at seconds %v, want 13 and %d", got, max(13+gap, 18))
	}
	// Steady but little free: not worth a collection.
	w = idleWatch{}
	for s := 0; s < 60; s++ {
		if w.observe(at(s), 300*mb, 20*mb, 300*mb) {
			t.Fatalf("returned %d MB free of a 300 MB heap", 20)
		}
	}
	// Garbage no collection came for counts: little free, but 60 MB of a 300 MB heap
	// not live at the last collection.
	w = idleWatch{}
	returned := false
	for s := 0; s < 5; s++ {
		returned = returned || w.observe(at(s), 300*mb, 2*mb, 240*mb)
	}
	if !returned {
		t.Fatal("60 MB of garbage was not worth returning")
	}
	// A heap that shrinks (a collection's sweep) is steady.
	w = idleWatch{}
	returned = false
	for s := 0; s < 5; s++ {
		returned = returned || w.observe(at(s), uint64(300-20*s)*mb, 80*mb, 200*mb)
	}
	if !returned {
		t.Fatal("a shrinking heap kept it from being idle")
	}
	// Noise under 2% is steady.
	w = idleWatch{}
	returned = false
	for s := 0; s < 5; s++ {
		returned = returned || w.observe(at(s), uint64(300*mb+s*mb), 80*mb, 300*mb)
	}
	if !returned {
		t.Fatal("1 MB of change a second in a 300 MB heap kept it from being idle")
	}
}
