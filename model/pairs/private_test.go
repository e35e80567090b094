package pairs

import (
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"
)

// TestPrivate4 checks the byte test against netip's IsPrivate and the shared space's
// prefix, over every first two octets (the only ones that decide).
func TestPrivate4(t *testing.T) {
	cgnat := netip.MustParsePrefix("100.64.0.0/10")
	for x := range 1 << 16 {
		a := [4]byte{byte(x >> 8), byte(x), 7, 9}
		ip := netip.AddrFrom4(a)
		if want := ip.IsPrivate() || cgnat.Contains(ip); private4(a) != want {
			t.Fatalf("%s: private4 %v, want %v", ip, private4(a), want)
		}
	}
}

// TestIsMapped: the IPv4 addresses a Key keeps are those As16 maps, and no IPv6 address
// is taken for one (records hold no mapped IPv6 addresses).
func TestIsMapped(t *testing.T) {
	for _, c := range []struct {
		addr string
		v4   bool
	}{{"10.0.0.1", true}, {"0.0.0.0", true}, {"255.255.255.255", true}, {"::", false}, {"::1", false},
		{"::ffff:0:0", true}, {"1::ffff:a00:1", false}, {"::fffe:a00:1", false}, {"::1:ffff:a00:1", false}, {"2001:db8::1", false}} {
		a := netip.MustParseAddr(c.addr).As16()
		if isMapped(&a) != c.v4 {
			t.Errorf("%s: isMapped %v, want %v", c.addr, isMapped(&a), c.v4)
		}
	}
}

// A minQueue gives the least value of its window, checked against a scan of the window
// over random values, and a steady window stops allocating once its array is grown.
func TestMinQueue(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var q minQueue
	var window []uint32
	var added, removed uint32
	for i := 0; i < 20000; i++ {
		if len(window) == 0 || rng.IntN(2) == 0 && len(window) < 40 {
			v := rng.Uint32N(1000)
			q.push(added, v)
			window = append(window, v)
			added++
		} else {
			q.pop(removed)
			window = window[1:]
			removed++
		}
		want := uint32(0)
		if len(window) > 0 {
			want = slices.Min(window)
		}
		if got := q.front(); got != want {
			t.Fatalf("step %d: front %d, the window's least %d", i, got, want)
		}
	}
	var steady minQueue
	var ord uint32
	for ; ord < 64; ord++ { // grown, a window of two held
		steady.push(ord, ord)
		if ord >= 2 {
			steady.pop(ord - 2)
		}
	}
	if allocs := testing.AllocsPerRun(1000, func() {
		steady.push(ord, ord)
		steady.pop(ord - 2)
		ord++
	}); allocs != 0 {
		t.Errorf("a steady window allocates %.2f times a record", allocs)
	}
}
