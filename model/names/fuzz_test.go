package names

import (
	"net/netip"
	"os"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParseRanges: a downloaded file is untrusted. Parsing never panics, and every answer
// is a printable service name.
func FuzzParseRanges(f *testing.F) {
	data, err := os.ReadFile("testdata/ip-ranges.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Add([]byte(`{"syncToken":"1","prefixes":[{"ip_prefix":"0.0.0.0/0","service":"AMAZON"},{"ip_prefix":"255.255.255.255/32","service":"S3"}],"ipv6_prefixes":[{"ipv6_prefix":"::/0","service":"EC2"},{"ipv6_prefix":"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128","service":"S3"}]}`))
	f.Add([]byte(`{"syncToken":"1","prefixes":[{"ip_prefix":"1.2.3.4/33","service":"x"}]}`))
	probes := []netip.Addr{netip.MustParseAddr("0.0.0.0"), netip.MustParseAddr("52.216.8.1"), netip.MustParseAddr("255.255.255.255"),
		netip.MustParseAddr("::"), netip.MustParseAddr("2600:1f18::1"), netip.MustParseAddr("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ParseRanges(strings.NewReader(string(data)))
		if err != nil {
			return
		}
		for _, a := range probes {
			s := r.Service(a)
			if s == "" {
				continue
			}
			if !utf8.ValidString(s) {
				t.Fatalf("%s: service %q is not valid UTF-8", a, s)
			}
			for _, c := range s {
				if c < 0x20 || c == 0x7f || c >= 0x80 && c < 0xa0 {
					t.Fatalf("%s: service %q has a control character", a, s)
				}
			}
		}
		// The table is ordered and disjoint.
		for _, spans := range [][]span{r.v4, r.v6} {
			for i := range spans {
				if spans[i].lo.cmp(spans[i].hi) > 0 || i > 0 && spans[i-1].hi.cmp(spans[i].lo) >= 0 {
					t.Fatalf("span %d out of order: %+v", i, spans)
				}
			}
		}
	})
}

// FuzzDescribe: any description gives a short, clean name or none.
func FuzzDescribe(f *testing.F) {
	for _, s := range []string{"ELB app/web/50dc6c495c0c9188", "Interface for NAT Gateway nat-0abc", "RDSNetworkInterface",
		"AWS Lambda VPC ENI-orders-fn-1a2b3c4d-1111-2222-3333-aaaabbbbcccc", "VPC Endpoint Interface vpce-0abc", "", "Primary network interface"} {
		f.Add(s, "interface")
	}
	f.Fuzz(func(t *testing.T, desc, typ string) {
		got := Describe(desc, typ)
		if utf8.RuneCountInString(got) > maxName+len("Route 53 Resolver ") && !strings.Contains(desc, got) {
			t.Fatalf("Describe(%q) = %q: longer than a name", desc, got)
		}
		if utf8.ValidString(desc) && !utf8.ValidString(got) {
			t.Fatalf("Describe(%q) = %q: invalid UTF-8", desc, got)
		}
	})
}
