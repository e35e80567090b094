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
		if ix.Len() != 0 || ix.pairs.n != 0 || len(ix.ifaces) != 0 || len(ix.addrs) != 0 || ix.endpoints.n != 0 {
			t.Fatalf("%s: left %d pairs, %d interfaces, %d addresses, %d endpoints", f.Spec(), ix.Len(), len(ix.ifaces), len(ix.addrs), ix.endpoints.n)
		}
		for _, s := range []struct {
			name        string
			items, free int
		}{
			{"interfaces", len(ix.ifaceStates.items), len(ix.ifaceStates.free)},
			{"addresses", len(ix.addrStates.items), len(ix.addrStates.free)},
			{"endpoints", len(ix.endpoints.ends.items), len(ix.endpoints.ends.free)},
		} {
			if s.items > 0 && s.free != s.items-1 {
				t.Errorf("%s: %s slab has %d entries and %d free", f.Spec(), s.name, s.items-1, s.free)
			}
		}
	}
}

// TestEndpointIndexMatchesMap adds and drops random endpoints (few addresses and ports,
// so that entries come and go and the table grows past its first size) and checks every
// count, and the entry numbers handed out, against a map after every step.
func TestEndpointIndexMatchesMap(t *testing.T) {
	rnd := rand.New(rand.NewPCG(3, 4))
	type end struct {
		addr  uint32
		port  uint16
		proto uint8
	}
	type held struct {
		n     uint32 // entry number
		count int32
	}
	var x endpointIndex
	want := map[end]held{}
	grew := false
	for step := range 50_000 {
		e := end{addr: uint32(rnd.IntN(40) + 1), port: uint16(rnd.IntN(8)), proto: []uint8{6, 17}[rnd.IntN(2)]}
		h, ok := want[e]
		// Add more often than drop while the endpoints are few, so that many are held.
		if !ok || rnd.IntN(100) < 45+len(want)/20 {
			n := x.add(e.addr, e.port, e.proto)
			if ok && n != h.n {
				t.Fatalf("step %d: %v is entry %d, was %d", step, e, n, h.n)
			}
			want[e] = held{n, h.count + 1}
		} else {
			x.drop(h.n)
			if h.count == 1 {
				delete(want, e)
			} else {
				want[e] = held{h.n, h.count - 1}
			}
		}
		grew = grew || len(x.slots) > 64
		if x.n != len(want) {
			t.Fatalf("step %d: %d endpoints, want %d", step, x.n, len(want))
		}
		if step%101 != 0 {
			continue
		}
		numbers := map[uint32]bool{}
		for e, h := range want {
			if got := x.count(h.n); got != h.count {
				t.Fatalf("step %d: %v counts %d, want %d", step, e, got, h.count)
			}
			if numbers[h.n] {
				t.Fatalf("step %d: entry %d handed out twice", step, h.n)
			}
			numbers[h.n] = true
		}
		// Every held endpoint is found by its key: adding finds its entry.
		for e, h := range want {
			if n := x.add(e.addr, e.port, e.proto); n != h.n {
				t.Fatalf("step %d: %v found as entry %d, want %d", step, e, n, h.n)
			}
			x.drop(h.n)
		}
	}
	if !grew {
		t.Fatal("the table never grew: the test holds too few endpoints")
	}
}
