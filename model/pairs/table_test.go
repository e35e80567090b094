package pairs

import (
	"math/rand/v2"
	"net/netip"
	"testing"

	"github.com/flowlens/flowlens/internal/sim"
	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/ring"
)

// TestPairTableMatchesMap runs random insertions and removals through a table whose
// hashes collide on purpose (few distinct values, some at the end of the slots so that
// runs wrap around, some with one home slot and different tags) and checks it against
// a map after every step. The table keeps a hash's low 32 bits: the hashes differ there.
func TestPairTableMatchesMap(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	hashes := []uint64{0, 1, 63, 62, 64, 127, 255, 1 << 20, 1<<31 | 1}
	type entry struct {
		p *Pair
		h uint64
	}
	keyOf := func(i int) Key {
		a := netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)})
		return NewKey(model.Sym(i%3+1), 6, netip.AddrPortFrom(a, 1), netip.AddrPortFrom(a, 2))
	}
	tb := newPairTable()
	want := map[int]entry{}
	for step := range 20_000 {
		i := rnd.IntN(300)
		k := keyOf(i)
		if e, ok := want[i]; ok {
			tb.remove(e.h, e.p)
			delete(want, i)
		} else {
			e := entry{p: &Pair{}, h: hashes[rnd.IntN(len(hashes))]}
			e.p.Key = k
			tb.insert(e.h, e.p)
			want[i] = e
		}
		if tb.n != len(want) {
			t.Fatalf("step %d: %d pairs, want %d", step, tb.n, len(want))
		}
		if step%97 != 0 {
			continue
		}
		for j := range 300 {
			k := keyOf(j)
			e, ok := want[j]
			for _, h := range hashes {
				got := tb.find(h, &k)
				if ok && h == e.h && got != e.p || (!ok || h != e.h) && got != nil {
					t.Fatalf("step %d: key %d with hash %d found %p, want %v", step, j, h, got, e)
				}
			}
		}
		seen := 0
		tb.all(func(*Pair) { seen++ })
		if seen != len(want) {
			t.Fatalf("step %d: all gave %d pairs, want %d", step, seen, len(want))
		}
	}
}

// TestIndexEmptiesWithTheRing: once every record has left, nothing is left behind, and
// the slabs' freed entries are all reusable.
func TestIndexEmptiesWithTheRing(t *testing.T) {
	for _, f := range sim.Formats() {
		rg := ring.New(5_000)
		ix := NewIndex()
		rg.OnEvict = func(_ ring.Seq, r *model.Flow) { ix.Remove(r) }
		sim.Realistic(2).Stream(f, 30_000, func(r *model.Flow) bool {
			first := rg.Append([]model.Flow{*r})
			ix.Add(uint64(first), rg.At(first))
			return true
		})
		a, _, b, _ := rg.Segments(rg.First())
		for _, seg := range [][]model.Flow{a, b} {
			for i := range seg {
				ix.Remove(&seg[i])
			}
		}
		if ix.Len() != 0 || ix.pairs.n != 0 || len(ix.ifaces) != 0 || len(ix.addrs) != 0 || len(ix.endpoints) != 0 {
			t.Fatalf("%s: left %d pairs, %d interfaces, %d addresses, %d endpoints", f.Spec(), ix.Len(), len(ix.ifaces), len(ix.addrs), len(ix.endpoints))
		}
		for _, s := range []struct {
			name        string
			items, free int
		}{
			{"interfaces", len(ix.ifaceStates.items), len(ix.ifaceStates.free)},
			{"addresses", len(ix.addrStates.items), len(ix.addrStates.free)},
			{"endpoints", len(ix.endCounts.items), len(ix.endCounts.free)},
		} {
			if s.items > 0 && s.free != s.items-1 {
				t.Errorf("%s: %s slab has %d entries and %d free", f.Spec(), s.name, s.items-1, s.free)
			}
		}
	}
}
