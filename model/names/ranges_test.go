package names

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"
)

func loadRanges(t testing.TB) *Ranges {
	t.Helper()
	f, err := os.Open("testdata/ip-ranges.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := ParseRanges(f)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestRangesService(t *testing.T) {
	r := loadRanges(t)
	if r.SyncToken != "1714551025" || !r.Created.Equal(time.Date(2024, 5, 1, 8, 10, 25, 0, time.UTC)) {
		t.Errorf("sync token %q, created %v", r.SyncToken, r.Created)
	}
	if r.Prefixes != 40 || r.Skipped != 0 {
		t.Errorf("%d prefixes, %d skipped", r.Prefixes, r.Skipped)
	}
	for _, c := range []struct{ addr, want string }{
		{"52.216.8.1", "S3"},                      // listed under AMAZON and S3: the narrower wins
		{"52.217.255.255", "S3"},                  // the last address of the /15
		{"52.218.0.0", ""},                        // the first one after it
		{"3.5.140.7", "S3"},                       // another Region
		{"3.81.2.3", "EC2"},                       // EC2 /12
		{"3.84.9.9", "EC2"},                       // an AMAZON /15 inside the EC2 /12: EC2 still
		{"18.206.107.25", "EC2_INSTANCE_CONNECT"}, // a narrower service inside EC2
		{"18.206.107.32", "EC2"},                  // just past it
		{"54.243.31.200", "ROUTE53_HEALTHCHECKS"}, // a prefix listed under EC2 too: not EC2
		{"54.242.1.1", "EC2"},
		{"54.240.1.1", "AMAZON"}, // AMAZON alone
		{"15.230.39.200", "AMAZON"},
		{"13.33.1.1", "CLOUDFRONT"},
		{"3.218.181.5", "DYNAMODB"},
		{"35.71.65.1", "EC2"}, // a Local Zone border group
		{"10.0.0.1", ""},      // private
		{"203.0.113.7", ""},
		{"::ffff:52.216.8.1", "S3"}, // IPv4-mapped
		{"2600:1fa0:8000::1", "S3"},
		{"2600:1f18:1::1", "EC2"},
		{"2600:1f18:7fff:f800::5", "ROUTE53_HEALTHCHECKS"},
		{"2600:1f18:7fff:f7ff:ffff:ffff:ffff:ffff", "EC2"},
		{"2600:1f01::1", "AMAZON"}, // the AMAZON /24 around them
		{"2600:9000:1::1", "CLOUDFRONT"},
		{"2a05:d07a:a0ff::1", "S3"},
		{"2001:db8::1", ""},
	} {
		if got := r.Service(netip.MustParseAddr(c.addr)); got != c.want {
			t.Errorf("Service(%s) = %q, want %q", c.addr, got, c.want)
		}
	}
	var none *Ranges
	if none.Service(netip.MustParseAddr("52.216.8.1")) != "" || none.Len() != 0 {
		t.Error("a nil Ranges answers")
	}
	if r.Service(netip.Addr{}) != "" {
		t.Error("the zero address has a service")
	}
}

func TestParseRangesRefusesOtherDocuments(t *testing.T) {
	for _, c := range []struct{ doc, want string }{
		{``, "not AWS's ip-ranges.json"},
		{`{"prefixes": []}`, "no syncToken or no prefixes"},
		{`{"syncToken": "1", "prefixes": [], "ipv6_prefixes": []}`, "no syncToken or no prefixes"},
		{`[1, 2]`, "not AWS's ip-ranges.json"},
		{`{"syncToken": 5, "prefixes": [{"ip_prefix": "1.0.0.0/8", "service": "S3"}]}`, "not AWS's ip-ranges.json"},
	} {
		_, err := ParseRanges(strings.NewReader(c.doc))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.doc, err, c.want)
		}
	}
}

// A bad entry is skipped and counted, and the rest is kept; service names from the
// download are cleaned.
func TestParseRangesSkipsBadEntries(t *testing.T) {
	doc := `{"syncToken":"1","createDate":"garbage","prefixes":[
{"ip_prefix":"52.216.0.0/15","service":"S3"},
{"ip_prefix":"52.216.0.0/33","service":"S3"},
{"ip_prefix":"2600::/16","service":"EC2"},
{"ip_prefix":"9.9.9.0/24","service":""},
{"ip_prefix":"8.8.8.0/24","service":"EVIL\u001b[2J"}],
"ipv6_prefixes":[{"ipv6_prefix":"10.0.0.0/8","service":"S3"},{"ipv6_prefix":"2600:1f18::/33","service":"EC2"}]}`
	r, err := ParseRanges(strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	if r.Prefixes != 3 || r.Skipped != 4 || !r.Created.IsZero() {
		t.Errorf("%d prefixes, %d skipped, created %v", r.Prefixes, r.Skipped, r.Created)
	}
	if got := r.Service(netip.MustParseAddr("8.8.8.8")); got != "EVIL" {
		t.Errorf("service %q not cleaned", got)
	}
	if got := r.Service(netip.MustParseAddr("2600:1f18::1")); got != "EC2" {
		t.Errorf("IPv6 after a bad entry: %q", got)
	}
}

// The flattened table answers exactly what a scan of every prefix answers, on random
// nested prefixes of random services.
func TestRangesAgainstAScan(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	services := []string{"AMAZON", "EC2", "S3", "CLOUDFRONT", "DYNAMODB"}
	for round := 0; round < 200; round++ {
		type entry struct {
			p   netip.Prefix
			svc string
		}
		var entries []entry
		v6 := round%2 == 1
		for i := 0; i < 1+rng.IntN(30); i++ {
			var a netip.Addr
			bits := 0
			if v6 {
				a = netip.AddrFrom16([16]byte{0x26, 0x00, byte(rng.IntN(4)), byte(rng.IntN(256)), byte(rng.IntN(256))})
				bits = 16 + rng.IntN(30)
			} else {
				a = netip.AddrFrom4([4]byte{52, byte(rng.IntN(4)), byte(rng.IntN(256)), byte(rng.IntN(256))})
				bits = 8 + rng.IntN(25)
			}
			p, _ := a.Prefix(bits)
			entries = append(entries, entry{p, services[rng.IntN(len(services))]})
		}
		v6key := "ipv6_prefixes"
		var list []map[string]string
		for _, e := range entries {
			k := "ip_prefix"
			if v6 {
				k = "ipv6_prefix"
			}
			list = append(list, map[string]string{k: e.p.String(), "service": e.svc, "region": "us-east-1", "network_border_group": "us-east-1"})
		}
		doc := map[string]any{"syncToken": "1", "createDate": "2024-05-01-00-00-00", "prefixes": []any{}, v6key: []any{}}
		if v6 {
			doc[v6key] = list
		} else {
			doc["prefixes"] = list
		}
		data, _ := json.Marshal(doc)
		r, err := ParseRanges(strings.NewReader(string(data)))
		if err != nil {
			t.Fatal(err)
		}
		// The reference: the longest prefix of a narrower service, else the longest
		// AMAZON one; on one prefix, better() decides.
		scan := func(a netip.Addr) string {
			best, bestBits, bestSpecific := "", -1, false
			for _, e := range entries {
				if !e.p.Contains(a) {
					continue
				}
				specific := e.svc != "AMAZON"
				switch {
				case specific && !bestSpecific,
					specific == bestSpecific && e.p.Bits() > bestBits,
					specific == bestSpecific && e.p.Bits() == bestBits && better(e.svc, best):
					best, bestBits, bestSpecific = e.svc, e.p.Bits(), specific
				}
			}
			return best
		}
		for i := 0; i < 300; i++ {
			// Probe near the edges of the prefixes, where a flattening goes wrong.
			e := entries[rng.IntN(len(entries))]
			var a netip.Addr
			switch rng.IntN(3) {
			case 0:
				a = e.p.Masked().Addr()
			case 1:
				a = lastAddr(e.p)
			default:
				a = lastAddr(e.p).Next()
				if !a.IsValid() {
					a = e.p.Masked().Addr()
				}
			}
			if rng.IntN(2) == 0 {
				if p := a.Prev(); p.IsValid() {
					a = p
				}
			}
			if got, want := r.Service(a), scan(a); got != want {
				t.Fatalf("round %d: Service(%s) = %q, a scan says %q; prefixes %v", round, a, got, want, entries)
			}
		}
	}
}

func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

// BenchmarkRangesService: one lookup in a table the size of the real file (about
// 10,000 prefixes), the figure that matters when every visible row asks.
func BenchmarkRangesService(b *testing.B) {
	var list []map[string]string
	for i := 0; i < 10000; i++ {
		svc := []string{"AMAZON", "EC2", "S3"}[i%3]
		p := netip.PrefixFrom(netip.AddrFrom4([4]byte{byte(3 + i/4096), byte(i / 16), byte(i%16) * 16, 0}), 20+i%5)
		list = append(list, map[string]string{"ip_prefix": p.Masked().String(), "service": svc})
	}
	data, _ := json.Marshal(map[string]any{"syncToken": "1", "prefixes": list})
	r, err := ParseRanges(strings.NewReader(string(data)))
	if err != nil {
		b.Fatal(err)
	}
	addrs := make([]netip.Addr, 1024)
	for i := range addrs {
		addrs[i] = netip.AddrFrom4([4]byte{byte(3 + i%3), byte(i), byte(i * 7), byte(i * 13)})
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_ = r.Service(addrs[i%len(addrs)])
	}
	b.ReportMetric(float64(r.Spans()), "spans")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/lookup")
}

func ExampleRanges_Service() {
	r, _ := ParseRanges(strings.NewReader(`{"syncToken":"1","prefixes":[
		{"ip_prefix":"52.216.0.0/15","region":"us-east-1","service":"AMAZON","network_border_group":"us-east-1"},
		{"ip_prefix":"52.216.0.0/15","region":"us-east-1","service":"S3","network_border_group":"us-east-1"}]}`))
	fmt.Println(r.Service(netip.MustParseAddr("52.216.8.1")))
	// Output: S3
}
