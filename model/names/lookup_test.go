package names

import (
	"bytes"
	"net/netip"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/flowlens/flowlens/model/rules"
)

// rulesFrom loads describe-* files of model/rules' testdata, as --rules does.
func rulesFrom(t testing.TB, files ...string) *rules.Set {
	t.Helper()
	set := rules.NewSet()
	for _, f := range files {
		data, err := os.ReadFile("../rules/testdata/" + f)
		if err != nil {
			t.Fatal(err)
		}
		one, err := rules.Load(bytes.NewReader(data), f)
		if err != nil {
			t.Fatal(err)
		}
		set.Merge(one)
	}
	return set
}

func addr(s string) netip.Addr { return netip.MustParseAddr(s) }

func TestLookupFromRulesFiles(t *testing.T) {
	l := New(rulesFrom(t, "describe-network-interfaces.json", "describe-security-groups.json"), loadRanges(t))
	for _, c := range []struct{ got, want string }{
		// Interfaces: the Name tag, else what AWS's description says.
		{l.Interface("eni-0a1b2c3d4e5f60002"), "bastion"},
		{l.Interface("eni-0a1b2c3d4e5f60004"), "NAT gateway nat-0f1e2d3c4b5a69788"},
		{l.Interface("eni-0a1b2c3d4e5f60001"), ""}, // no tag, no description, no instance file
		{l.Interface("eni-0nothere"), ""},
		// Addresses: every private one, and the public ones.
		{l.Addr(addr("10.0.0.20")), "bastion"},
		{l.Addr(addr("10.0.0.5")), "NAT gateway nat-0f1e2d3c4b5a69788"},
		{l.Addr(addr("3.91.44.7")), "NAT gateway nat-0f1e2d3c4b5a69788"},
		{l.Addr(addr("::ffff:10.0.0.20")), "bastion"},
		{l.Addr(addr("10.0.0.10")), ""},
		// Groups: by describe-security-groups.
		{l.Group("sg-0a0b0c0d0e0f01234"), "shop-db"},
		{l.Group("sg-0nothere"), ""},
		// Services: from the ranges; Name falls back to them.
		{l.Service(addr("52.216.8.1")), "S3"},
		{l.Name(addr("52.216.8.1")), "S3"},
		{l.Name(addr("10.0.0.20")), "bastion"},
		{l.Name(addr("203.0.113.7")), ""},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

// With describe-instances, hosts are named by their instances: the instance's Name tag
// wins for its addresses, an interface's own Name tag still names the interface.
func TestLookupWithInstances(t *testing.T) {
	l := New(rulesFrom(t, "describe-network-interfaces.json", "describe-instances.json"), nil)
	for _, c := range []struct{ got, want string }{
		{l.Addr(addr("10.0.0.10")), "web-1"},
		{l.Addr(addr("10.0.0.11")), "web-1"}, // a secondary private address
		{l.Addr(addr("54.210.17.33")), "web-1"},
		{l.Addr(addr("2600:1f18:4a3:6b00:8d6e:3477:df66:f105")), "web-1"},
		{l.Interface("eni-0a1b2c3d4e5f60001"), "web-1"},
		{l.Addr(addr("10.0.0.20")), "bastion-host"},
		{l.Interface("eni-0a1b2c3d4e5f60002"), "bastion"},
		{l.Addr(addr("10.0.1.30")), "db-1"},
		{l.Interface("eni-0a1b2c3d4e5f60003"), "db-1"},
		// Groups named by the instances and interfaces that are in them.
		{l.Group("sg-0123456789abcdef0"), "shop-web"},
		{l.Service(addr("52.216.8.1")), ""}, // no ranges
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
	// The instances file alone names interfaces it lists.
	only := New(rulesFrom(t, "describe-instances.json"), nil)
	if got := only.Interface("eni-0a1b2c3d4e5f60003"); got != "db-1" {
		t.Errorf("interface named %q by its instance", got)
	}
}

func TestNilLookup(t *testing.T) {
	var l *Lookup
	if l.Addr(addr("10.0.0.1")) != "" || l.Interface("eni-1") != "" || l.Group("sg-1") != "" || l.Service(addr("52.216.8.1")) != "" || l.Name(addr("10.0.0.1")) != "" || !l.Empty() || l.Ranges() != nil {
		t.Error("a nil Lookup names something")
	}
	l.AddRules(rules.NewSet()) // no panic
	l.SetRanges(nil)
	empty := New(nil, nil)
	if !empty.Empty() || empty.Addr(addr("10.0.0.1")) != "" || empty.Group("sg-1") != "" {
		t.Error("an empty Lookup names something")
	}
	if New(nil, loadRanges(t)).Empty() {
		t.Error("a lookup with ranges is empty")
	}
}

// AddRules merges: later answers override, earlier names stay, and an interface from
// one answer is named by an instance from another.
func TestAddRules(t *testing.T) {
	load := func(doc string) *rules.Set {
		s, err := rules.Load(strings.NewReader(doc), "x")
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	l := New(load(`{"NetworkInterfaces":[{"NetworkInterfaceId":"eni-1","PrivateIpAddress":"10.0.0.1","Attachment":{"InstanceId":"i-1"}},
{"NetworkInterfaceId":"eni-2","PrivateIpAddress":"10.0.0.2","Description":"RDSNetworkInterface"}]}`), nil)
	if l.Addr(addr("10.0.0.1")) != "" || l.Addr(addr("10.0.0.2")) != "RDS" {
		t.Fatalf("before: %q %q", l.Addr(addr("10.0.0.1")), l.Addr(addr("10.0.0.2")))
	}
	l.AddRules(load(`{"Reservations":[{"Instances":[{"InstanceId":"i-1","Tags":[{"Key":"Name","Value":"app-1"}]}]}]}`))
	if got := l.Addr(addr("10.0.0.1")); got != "app-1" {
		t.Errorf("an interface of the first answer, named by an instance of the second: %q", got)
	}
	if got := l.Interface("eni-1"); got != "app-1" {
		t.Errorf("Interface = %q", got)
	}
	if got := l.Addr(addr("10.0.0.2")); got != "RDS" {
		t.Errorf("an earlier name was lost: %q", got)
	}
	l.AddRules(load(`{"NetworkInterfaces":[{"NetworkInterfaceId":"eni-2","PrivateIpAddress":"10.0.0.2","TagSet":[{"Key":"Name","Value":"orders-db"}]}]}`))
	if got := l.Addr(addr("10.0.0.2")); got != "orders-db" {
		t.Errorf("a later answer did not override: %q", got)
	}
}

// Prepare builds what AddRules would make the names without changing them, and Use
// puts that in place: later answers override, what they do not mention stays (an
// interface deleted since keeps its name), and the AWS ranges stay.
func TestPrepareAndUse(t *testing.T) {
	first, err := rules.Load(strings.NewReader(`{"NetworkInterfaces":[{"NetworkInterfaceId":"eni-1","PrivateIpAddress":"10.0.0.1","TagSet":[{"Key":"Name","Value":"web-1"}]},
{"NetworkInterfaceId":"eni-2","PrivateIpAddress":"10.0.0.2","TagSet":[{"Key":"Name","Value":"db-old"}]}]}`), "a")
	if err != nil {
		t.Fatal(err)
	}
	second, err := rules.Load(strings.NewReader(`{"NetworkInterfaces":[{"NetworkInterfaceId":"eni-2","PrivateIpAddress":"10.0.0.2","TagSet":[{"Key":"Name","Value":"db-1"}]}]}`), "b")
	if err != nil {
		t.Fatal(err)
	}
	ranges, err := ParseRanges(strings.NewReader(`{"syncToken":"1","createDate":"2026-01-01-00-00-00","prefixes":[{"ip_prefix":"52.216.0.0/15","region":"us-east-1","service":"S3"}],"ipv6_prefixes":[]}`))
	if err != nil {
		t.Fatal(err)
	}
	l := New(first, ranges)
	snap := l.Prepare(second)
	if l.Interface("eni-2") != "db-old" {
		t.Fatal("Prepare changed the lookup before Use")
	}
	l.Use(snap)
	if l.Addr(addr("10.0.0.1")) != "web-1" || l.Interface("eni-2") != "db-1" || l.Name(addr("52.216.1.1")) != "S3" {
		t.Errorf("after Use: %q %q %q", l.Addr(addr("10.0.0.1")), l.Interface("eni-2"), l.Name(addr("52.216.1.1")))
	}
	var none *Lookup
	if s := none.Prepare(second); s == nil {
		t.Error("a nil lookup prepared nothing")
	}
	none.Use(snap) // a nil lookup names nothing, and takes nothing
}

// Readers see a whole snapshot while rules and ranges are added (run with -race).
func TestLookupConcurrentReads(t *testing.T) {
	l := New(nil, nil)
	set := rulesFrom(t, "describe-network-interfaces.json", "describe-instances.json")
	ranges := loadRanges(t)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if n := l.Addr(addr("10.0.0.10")); n != "" && n != "web-1" {
					t.Errorf("torn read: %q", n)
					return
				}
				_ = l.Name(addr("52.216.8.1"))
				_ = l.Group("sg-0123456789abcdef0")
			}
		}()
	}
	for i := 0; i < 50; i++ {
		l.AddRules(set)
		l.SetRanges(ranges)
	}
	close(stop)
	wg.Wait()
	if l.Addr(addr("10.0.0.10")) != "web-1" || l.Service(addr("52.216.8.1")) != "S3" {
		t.Error("names lost")
	}
}

// BenchmarkLookupName: the per-row cost of naming an address the rules do not know,
// falling back to the ranges (the slower path).
func BenchmarkLookupName(b *testing.B) {
	l := New(rulesFrom(b, "describe-network-interfaces.json", "describe-instances.json"), loadRanges(b))
	a := addr("52.216.8.1")
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if l.Name(a) != "S3" {
			b.Fatal("wrong name")
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/name")
}
