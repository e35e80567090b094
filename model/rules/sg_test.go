package rules_test

import (
	"strings"
	"testing"

	"github.com/flowlens/flowlens/model/rules"
)

func TestSGAllows(t *testing.T) {
	const (
		tcp, udp, icmp, icmpv6 = rules.ProtoTCP, rules.ProtoUDP, rules.ProtoICMP, rules.ProtoICMPv6
	)
	// Two groups on one interface, as most instances carry.
	union := load(t,
		groups(
			sg("sg-a", perm("tcp", 22, 22, "10.0.0.0/8"), allProto("0.0.0.0/0")),
			sg("sg-b", perm("tcp", 443, 443, "0.0.0.0/0", "::/0"), ""),
		),
		enis(eni("eni-1", "subnet-1", []string{"10.0.0.10", "2600:1f18:4a3:6b00::10"}, "sg-a", "sg-b")),
	)
	// sg-db admits sg-web's members; sg-web's interface has a secondary IPv4 and an IPv6.
	reference := load(t,
		groups(
			sg("sg-db", groupPerm("tcp", 5432, 5432, "sg-web"), ""),
			sg("sg-web", "", allProto("0.0.0.0/0")),
		),
		enis(
			eni("eni-db", "subnet-2", []string{"10.0.1.30"}, "sg-db"),
			eni("eni-web", "subnet-1", []string{"10.0.0.10", "10.0.0.11", "2600:1f18:4a3:6b00::10"}, "sg-web"),
			eni("eni-other", "subnet-1", []string{"10.0.0.99"}, "sg-other"),
		),
	)
	// A group as AWS creates it: no inbound rule, one allow-all outbound IPv4 rule.
	fresh := load(t,
		groups(sg("sg-new", "", allProto("0.0.0.0/0"))),
		enis(eni("eni-new", "subnet-1", []string{"10.0.0.50"}, "sg-new")),
	)
	protocols := load(t,
		groups(sg("sg-p", strings.Join([]string{
			perm("udp", 53, 53, "10.0.0.0/16"),
			perm("icmp", -1, -1, "192.0.2.0/24"),
			perm("icmp", 8, -1, "198.51.100.0/24"),
			perm("icmpv6", -1, -1, "::/0"),
			perm("50", 0, 0, "203.0.113.0/24"), // ESP: ports mean nothing
			perm("tcp", 443, 443, "2001:db8::/32"),
			prefixPerm("tcp", 8080, 8080, "pl-63a5400a"),
		}, ","), allProto("10.9.0.0/16"))),
		enis(eni("eni-p", "subnet-1", []string{"10.0.0.60"}, "sg-p")),
	)
	partial := load(t,
		groups(sg("sg-known", perm("tcp", 443, 443, "0.0.0.0/0"), "")),
		enis(
			eni("eni-partial", "subnet-1", []string{"10.0.0.70"}, "sg-known", "sg-missing"),
			eni("eni-nat", "subnet-1", []string{"10.0.0.5"}),
		),
	)

	tests := []struct {
		name     string
		set      *rules.Set
		eni      string
		p        rules.Packet
		dir      rules.Direction
		want     rules.Decision
		wantRule string
	}{
		{"union: second group allows", union, "eni-1", packet(tcp, "203.0.113.7:50000", "10.0.0.10:443"), rules.Inbound,
			rules.Allowed, "sg-b inbound tcp 443 from 0.0.0.0/0"},
		{"union: first group allows", union, "eni-1", packet(tcp, "10.1.2.3:50000", "10.0.0.10:22"), rules.Inbound,
			rules.Allowed, "sg-a inbound tcp 22 from 10.0.0.0/8"},
		{"union: neither allows", union, "eni-1", packet(tcp, "203.0.113.7:50000", "10.0.0.10:22"), rules.Inbound,
			rules.Denied, "sg-a,sg-b: no inbound rule allows tcp/22 from 203.0.113.7"},
		{"union: outbound checks the destination", union, "eni-1", packet(tcp, "10.0.0.10:40000", "198.51.100.1:5432"), rules.Outbound,
			rules.Allowed, "sg-a outbound all to 0.0.0.0/0"},
		{"union: ipv6 ::/0 rule", union, "eni-1", packet(tcp, "[2001:db8::7]:50000", "[2600:1f18:4a3:6b00::10]:443"), rules.Inbound,
			rules.Allowed, "sg-b inbound tcp 443 from ::/0"},
		{"union: ipv4 rule does not match ipv6", union, "eni-1", packet(tcp, "[2001:db8::7]:50000", "[2600:1f18:4a3:6b00::10]:22"), rules.Inbound,
			rules.Denied, "sg-a,sg-b: no inbound rule allows tcp/22 from 2001:db8::7"},
		{"union: no ipv6 outbound rule", union, "eni-1", packet(tcp, "[2600:1f18:4a3:6b00::10]:40000", "[2001:db8::7]:443"), rules.Outbound,
			rules.Denied, "sg-a,sg-b: no outbound rule allows tcp/443 to 2001:db8::7"},

		{"reference: member's primary IP", reference, "eni-db", packet(tcp, "10.0.0.10:41000", "10.0.1.30:5432"), rules.Inbound,
			rules.Allowed, "sg-db inbound tcp 5432 from sg-web"},
		{"reference: member's secondary IP", reference, "eni-db", packet(tcp, "10.0.0.11:41000", "10.0.1.30:5432"), rules.Inbound,
			rules.Allowed, "sg-db inbound tcp 5432 from sg-web"},
		{"reference: member's IPv6", reference, "eni-db", packet(tcp, "[2600:1f18:4a3:6b00::10]:41000", "[2600:1f18:4a3:6b00::30]:5432"), rules.Inbound,
			rules.Allowed, "sg-db inbound tcp 5432 from sg-web"},
		{"reference: known non-member", reference, "eni-db", packet(tcp, "10.0.0.99:41000", "10.0.1.30:5432"), rules.Inbound,
			rules.Denied, "sg-db: no inbound rule allows tcp/5432 from 10.0.0.99"},
		{"reference: public address is never a member", reference, "eni-db", packet(tcp, "203.0.113.7:41000", "10.0.1.30:5432"), rules.Inbound,
			rules.Denied, "sg-db: no inbound rule allows tcp/5432 from 203.0.113.7"},
		{"reference: private address of no loaded interface", reference, "eni-db", packet(tcp, "10.0.0.77:41000", "10.0.1.30:5432"), rules.Inbound,
			rules.Unknown, "sg-db inbound tcp 5432 from sg-web"},
		{"reference: ipv6 outside the VPC's /56", reference, "eni-db", packet(tcp, "[2001:db8::7]:41000", "[2600:1f18:4a3:6b00::30]:5432"), rules.Inbound,
			rules.Denied, "sg-db: no inbound rule allows tcp/5432 from 2001:db8::7"},
		{"reference: wrong port", reference, "eni-db", packet(tcp, "10.0.0.10:41000", "10.0.1.30:5433"), rules.Inbound,
			rules.Denied, "sg-db: no inbound rule allows tcp/5433 from 10.0.0.10"},

		{"new group: no inbound rule", fresh, "eni-new", packet(tcp, "10.0.0.10:41000", "10.0.0.50:22"), rules.Inbound,
			rules.Denied, "sg-new: no inbound rule allows tcp/22 from 10.0.0.10"},
		{"new group: outbound allowed", fresh, "eni-new", packet(udp, "10.0.0.50:41000", "8.8.8.8:53"), rules.Outbound,
			rules.Allowed, "sg-new outbound all to 0.0.0.0/0"},

		{"protocol -1 rule allows udp", protocols, "eni-p", packet(udp, "10.0.0.60:41000", "10.9.3.3:5353"), rules.Outbound,
			rules.Allowed, "sg-p outbound all to 10.9.0.0/16"},
		{"protocol -1 rule allows icmp", protocols, "eni-p", packet(icmp, "10.0.0.60:0", "10.9.3.3:0"), rules.Outbound,
			rules.Allowed, "sg-p outbound all to 10.9.0.0/16"},
		{"protocol -1 rule allows gre", protocols, "eni-p", packet(47, "10.0.0.60:0", "10.9.3.3:0"), rules.Outbound,
			rules.Allowed, "sg-p outbound all to 10.9.0.0/16"},
		{"udp rule", protocols, "eni-p", packet(udp, "10.0.5.5:41000", "10.0.0.60:53"), rules.Inbound,
			rules.Allowed, "sg-p inbound udp 53 from 10.0.0.0/16"},
		{"udp rule does not allow tcp", protocols, "eni-p", packet(tcp, "10.0.5.5:41000", "10.0.0.60:53"), rules.Inbound,
			rules.Denied, "sg-p: no inbound rule allows tcp/53 from 10.0.5.5"},
		{"icmp all types", protocols, "eni-p", packet(icmp, "192.0.2.9:0", "10.0.0.60:0"), rules.Inbound,
			rules.Allowed, "sg-p inbound icmp all from 192.0.2.0/24"},
		{"icmp type 8 only: may match", protocols, "eni-p", packet(icmp, "198.51.100.9:0", "10.0.0.60:0"), rules.Inbound,
			rules.Unknown, "sg-p inbound icmp type 8 from 198.51.100.0/24"},
		{"icmpv6 rule", protocols, "eni-p", packet(icmpv6, "[2001:db8::9]:0", "[2600:1f18:4a3:6b00::60]:0"), rules.Inbound,
			rules.Allowed, "sg-p inbound icmpv6 all from ::/0"},
		{"icmp from elsewhere", protocols, "eni-p", packet(icmp, "203.0.113.9:0", "10.0.0.60:0"), rules.Inbound,
			rules.Denied, "sg-p: no inbound rule allows icmp from 203.0.113.9"},
		{"esp ignores ports", protocols, "eni-p", packet(50, "203.0.113.9:0", "10.0.0.60:0"), rules.Inbound,
			rules.Allowed, "sg-p inbound proto 50 from 203.0.113.0/24"},
		{"ipv6 tcp rule", protocols, "eni-p", packet(tcp, "[2001:db8::9]:41000", "[2600:1f18:4a3:6b00::60]:443"), rules.Inbound,
			rules.Allowed, "sg-p inbound tcp 443 from 2001:db8::/32"},
		{"prefix list rule: unknown", protocols, "eni-p", packet(tcp, "52.216.0.1:41000", "10.0.0.60:8080"), rules.Inbound,
			rules.Unknown, "sg-p inbound tcp 8080 from pl-63a5400a (prefix list)"},
		{"prefix list rule on another port: denied", protocols, "eni-p", packet(tcp, "52.216.0.1:41000", "10.0.0.60:8081"), rules.Inbound,
			rules.Denied, "sg-p: no inbound rule allows tcp/8081 from 52.216.0.1"},

		{"missing interface", partial, "eni-nowhere", packet(tcp, "203.0.113.7:41000", "10.0.0.80:443"), rules.Inbound,
			rules.Unknown, ""},
		{"missing group, loaded group allows", partial, "eni-partial", packet(tcp, "203.0.113.7:41000", "10.0.0.70:443"), rules.Inbound,
			rules.Allowed, "sg-known inbound tcp 443 from 0.0.0.0/0"},
		{"missing group, nothing loaded allows", partial, "eni-partial", packet(tcp, "203.0.113.7:41000", "10.0.0.70:22"), rules.Inbound,
			rules.Unknown, "sg-missing: not loaded"},
		{"interface without groups is not filtered", partial, "eni-nat", packet(tcp, "203.0.113.7:41000", "10.0.0.5:22"), rules.Inbound,
			rules.Allowed, "eni-nat: no security groups"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.set.SGAllows(tt.eni, tt.p, tt.dir)
			if got.Decision != tt.want || got.Rule != tt.wantRule {
				t.Errorf("SGAllows = %s %q, want %s %q (reason: %s)", got.Decision, got.Rule, tt.want, tt.wantRule, got.Reason)
			}
			if got.Reason == "" {
				t.Error("no reason given")
			}
		})
	}
}

func TestSGAllowsSaysWhyUnknown(t *testing.T) {
	set := load(t,
		groups(sg("sg-p", strings.Join([]string{perm("icmp", 8, 0, "0.0.0.0/0"), prefixPerm("tcp", 443, 443, "pl-1")}, ","), "")),
		enis(eni("eni-p", "subnet-1", []string{"10.0.0.60"}, "sg-p")),
	)
	for _, tt := range []struct {
		p    rules.Packet
		want string
	}{
		{packet(rules.ProtoICMP, "203.0.113.1:0", "10.0.0.60:0"), "flow logs do not record ICMP types"},
		{packet(rules.ProtoTCP, "203.0.113.1:5000", "10.0.0.60:443"), "prefix list pl-1 is not resolved"},
	} {
		got := set.SGAllows("eni-p", tt.p, rules.Inbound)
		if got.Decision != rules.Unknown || !strings.Contains(got.Reason, tt.want) || len(got.Possible) != 1 {
			t.Errorf("got %s, reason %q, %d possible; want unknown because %q", got.Decision, got.Reason, len(got.Possible), tt.want)
		}
	}
}

func TestTracking(t *testing.T) {
	tcp := rules.ProtoTCP
	// AWS's example: TCP 22 from one address is tracked; TCP 80 from everywhere with
	// all outbound traffic allowed is untracked; ICMP is always tracked.
	example := load(t,
		groups(sg("sg-ex", strings.Join([]string{
			perm("tcp", 22, 22, "203.0.113.1/32"),
			perm("tcp", 80, 80, "0.0.0.0/0", "::/0"),
			perm("icmp", -1, -1, "0.0.0.0/0"),
		}, ","), allProto("0.0.0.0/0", "::/0"))),
		enis(eni("eni-ex", "subnet-1", []string{"10.0.0.10"}, "sg-ex")),
	)
	// Outbound only to port 443: the reply to port 80 is not open on all ports.
	narrowOut := load(t,
		groups(sg("sg-n", perm("tcp", 80, 80, "0.0.0.0/0"), perm("tcp", 443, 443, "0.0.0.0/0"))),
		enis(eni("eni-n", "subnet-1", []string{"10.0.0.10"}, "sg-n"), eni("eni-m", "subnet-1", []string{"10.0.0.11"}, "sg-n", "sg-missing")),
	)
	tests := []struct {
		name string
		set  *rules.Set
		eni  string
		p    rules.Packet
		dir  rules.Direction
		want rules.Tracking
	}{
		{"ssh from one address", example, "eni-ex", packet(tcp, "203.0.113.1:50000", "10.0.0.10:22"), rules.Inbound, rules.Tracked},
		{"http from anywhere", example, "eni-ex", packet(tcp, "198.51.100.4:50000", "10.0.0.10:80"), rules.Inbound, rules.Untracked},
		{"http over ipv6", example, "eni-ex", packet(tcp, "[2001:db8::4]:50000", "[2600:1f18::10]:80"), rules.Inbound, rules.Untracked},
		{"icmp always tracked", example, "eni-ex", packet(rules.ProtoICMP, "198.51.100.4:0", "10.0.0.10:0"), rules.Inbound, rules.Tracked},
		{"outbound request, all-open both ways", example, "eni-ex", packet(rules.ProtoUDP, "10.0.0.10:40000", "198.51.100.4:123"), rules.Outbound, rules.Tracked},
		{"reply direction not open on all ports", narrowOut, "eni-n", packet(tcp, "198.51.100.4:50000", "10.0.0.10:80"), rules.Inbound, rules.Tracked},
		{"a missing group could open it", narrowOut, "eni-m", packet(tcp, "198.51.100.4:50000", "10.0.0.11:80"), rules.Inbound, rules.TrackingUnknown},
		{"interface not loaded", narrowOut, "eni-x", packet(tcp, "198.51.100.4:50000", "10.0.0.12:80"), rules.Inbound, rules.TrackingUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.set.Tracking(tt.eni, tt.p, tt.dir); got != tt.want {
				t.Errorf("Tracking = %s, want %s", got, tt.want)
			}
		})
	}
}
