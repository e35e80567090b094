package stats

import (
	"math/rand/v2"
	"testing"
)

// TestSlabAgainstMap runs random inserts and releases through a slab whose hash puts
// keys in few places, so that probe runs are long, wrap around the end of the index and
// are cut by deletions, and checks every key against a map after each step.
func TestSlabAgainstMap(t *testing.T) {
	for _, bits := range []uint{0, 2, 5, 64} {
		rng := rand.New(rand.NewPCG(uint64(bits), 1))
		weak := func(k uint64) uint64 {
			if bits == 64 {
				return mix64(k)
			}
			return ^(mix64(k) & (1<<bits - 1)) // few distinct homes, at the end of the index: runs wrap around
		}
		s := newSlab[uint64, counts](weak)
		want := map[uint64]int32{}
		for step := range 20000 {
			k := uint64(rng.IntN(300))
			if p, ok := want[k]; ok && rng.IntN(2) == 0 {
				s.release(p)
				delete(want, k)
			} else {
				p := s.at(k)
				if ok && p != want[k] {
					t.Fatalf("bits %d step %d: key %d moved from row %d to %d", bits, step, k, want[k], p)
				}
				want[k] = p
			}
			if s.Len() != len(want) {
				t.Fatalf("bits %d step %d: %d rows, want %d", bits, step, s.Len(), len(want))
			}
			if step%50 == 0 {
				for k := range uint64(300) {
					p, ok := want[k]
					if !ok {
						p = -1
					}
					if got := s.find(k); got != p {
						t.Fatalf("bits %d step %d: find(%d) = %d, want %d", bits, step, k, got, p)
					}
				}
			}
		}
	}
}

func TestPairCountsAgainstMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	pc := newPairCounts(7)
	want := map[uint64]uint32{}
	for step := range 50000 {
		k := uint64(rng.IntN(500))
		if rng.IntN(2) == 0 {
			first := pc.inc(k)
			if first != (want[k] == 0) {
				t.Fatalf("step %d: inc(%d) first=%v with %d held", step, k, first, want[k])
			}
			want[k]++
		} else {
			last := pc.dec(k)
			if want[k] == 0 {
				if last {
					t.Fatalf("step %d: dec(%d) of a pair not held said last", step, k)
				}
				continue
			}
			want[k]--
			if last != (want[k] == 0) {
				t.Fatalf("step %d: dec(%d) last=%v with %d left", step, k, last, want[k])
			}
			if want[k] == 0 {
				delete(want, k)
			}
		}
		if pc.Len() != len(want) {
			t.Fatalf("step %d: %d pairs, want %d", step, pc.Len(), len(want))
		}
	}
	for k, n := range want {
		for range n - 1 {
			if pc.dec(k) {
				t.Fatalf("pair %d ended early", k)
			}
		}
		if !pc.dec(k) {
			t.Fatalf("pair %d did not end", k)
		}
	}
	if pc.Len() != 0 {
		t.Fatalf("%d pairs left", pc.Len())
	}
}
