package rules_test

import (
	"strings"
	"testing"

	"github.com/flowlens/flowlens/model/rules"
)

func TestNACLAllows(t *testing.T) {
	const tcp, udp, icmp = rules.ProtoTCP, rules.ProtoUDP, rules.ProtoICMP
	in, out := false, true
	set := load(t, acls(
		// Deny 90 comes before allow 100; the file lists them out of order on purpose.
		acl("acl-order", false, []string{"subnet-order"},
			entry(100, in, "allow", "6", "0.0.0.0/0", 22, 22),
			entry(90, in, "deny", "6", "203.0.113.0/24", 22, 22),
			entry(200, in, "deny", "6", "0.0.0.0/0", 0, 65535),
			entry(100, out, "allow", "-1", "0.0.0.0/0", 0, 0),
		),
		// No final rule in the file: AWS applies it anyway.
		acl("acl-bare", false, []string{"subnet-bare"},
			entry(100, in, "allow", "6", "10.0.0.0/16", 443, 443),
			entry(110, in, "allow", "6", "2001:db8::/32", 443, 443),
		),
		// The return rule: 1024-65535 admits a Linux client's port, 1024-5000 does not.
		acl("acl-return", false, []string{"subnet-return"},
			entry(100, in, "allow", "6", "0.0.0.0/0", 1024, 65535),
			entry(32767, in, "deny", "-1", "0.0.0.0/0", 0, 0),
		),
		acl("acl-oldwin", false, []string{"subnet-oldwin"},
			entry(100, in, "allow", "6", "0.0.0.0/0", 1024, 5000),
			entry(32767, in, "deny", "-1", "0.0.0.0/0", 0, 0),
		),
		acl("acl-proto", false, []string{"subnet-proto"},
			entry(100, in, "allow", "17", "0.0.0.0/0", 53, 53),
			entry(110, in, "deny", "1", "0.0.0.0/0", 8, -1), // echo request only
			entry(120, in, "allow", "1", "0.0.0.0/0", -1, -1),
			entry(130, in, "allow", "-1", "192.0.2.0/24", 0, 0),
			entry(140, in, "allow", "58", "::/0", -1, -1),
			entry(100, out, "allow", "1", "0.0.0.0/0", 0, -1), // echo reply only
			entry(110, out, "allow", "1", "198.51.100.0/24", -1, -1),
		),
		acl("acl-default", true, []string{"subnet-explicit"},
			entry(100, in, "allow", "-1", "0.0.0.0/0", 0, 0),
			entry(32767, in, "deny", "-1", "0.0.0.0/0", 0, 0),
		),
	), enis(eni("eni-lonely", "subnet-unassociated", []string{"10.0.9.9"}, "sg-1")))

	tests := []struct {
		name, subnet string
		p            rules.Packet
		dir          rules.Direction
		want         rules.Decision
		wantRule     string
		implied      bool
	}{
		{"deny 90 before allow 100", "subnet-order", packet(tcp, "203.0.113.7:50000", "10.0.0.10:22"), rules.Inbound,
			rules.Denied, "acl-order ingress #90", false},
		{"allow 100 before deny 200", "subnet-order", packet(tcp, "198.51.100.7:50000", "10.0.0.10:22"), rules.Inbound,
			rules.Allowed, "acl-order ingress #100", false},
		{"deny 200 for other ports", "subnet-order", packet(tcp, "198.51.100.7:50000", "10.0.0.10:23"), rules.Inbound,
			rules.Denied, "acl-order ingress #200", false},
		{"egress entries judge outbound", "subnet-order", packet(tcp, "10.0.0.10:22", "203.0.113.7:50000"), rules.Outbound,
			rules.Allowed, "acl-order egress #100", false},
		{"implied ipv4 final rule", "subnet-bare", packet(tcp, "198.51.100.7:50000", "10.0.0.10:443"), rules.Inbound,
			rules.Denied, "acl-bare ingress #32767", true},
		{"implied ipv6 final rule", "subnet-bare", packet(tcp, "[2001:db9::7]:50000", "[2600:1f18::10]:443"), rules.Inbound,
			rules.Denied, "acl-bare ingress #32768", true},
		{"ipv6 entry", "subnet-bare", packet(tcp, "[2001:db8::7]:50000", "[2600:1f18::10]:443"), rules.Inbound,
			rules.Allowed, "acl-bare ingress #110", false},
		{"ipv4 entry", "subnet-bare", packet(tcp, "10.0.3.3:50000", "10.0.0.10:443"), rules.Inbound,
			rules.Allowed, "acl-bare ingress #100", false},
		{"implied final egress rule", "subnet-bare", packet(tcp, "10.0.0.10:443", "10.0.3.3:50000"), rules.Outbound,
			rules.Denied, "acl-bare egress #32767", true},
		{"return rule 1024-65535 admits linux port 40000", "subnet-return", packet(tcp, "198.51.100.7:443", "10.0.0.10:40000"), rules.Inbound,
			rules.Allowed, "acl-return ingress #100", false},
		{"return rule 1024-5000 does not", "subnet-oldwin", packet(tcp, "198.51.100.7:443", "10.0.0.10:40000"), rules.Inbound,
			rules.Denied, "acl-oldwin ingress #32767", false},
		{"return rule 1024-5000 admits old windows port", "subnet-oldwin", packet(tcp, "198.51.100.7:443", "10.0.0.10:3000"), rules.Inbound,
			rules.Allowed, "acl-oldwin ingress #100", false},
		{"nacl matches the destination port, not the source", "subnet-return", packet(tcp, "198.51.100.7:40000", "10.0.0.10:443"), rules.Inbound,
			rules.Denied, "acl-return ingress #32767", false},
		{"udp", "subnet-proto", packet(udp, "198.51.100.7:40000", "10.0.0.10:53"), rules.Inbound,
			rules.Allowed, "acl-proto ingress #100", false},
		{"udp rule not for tcp", "subnet-proto", packet(tcp, "203.0.113.7:40000", "10.0.0.10:53"), rules.Inbound,
			rules.Denied, "acl-proto ingress #32767", true},
		{"icmp: type deny might come first", "subnet-proto", packet(icmp, "203.0.113.7:0", "10.0.0.10:0"), rules.Inbound,
			rules.Unknown, "acl-proto ingress #110", false},
		{"protocol -1 ignores ports", "subnet-proto", packet(tcp, "192.0.2.7:40000", "10.0.0.10:9999"), rules.Inbound,
			rules.Allowed, "acl-proto ingress #130", false},
		{"icmpv6", "subnet-proto", packet(rules.ProtoICMPv6, "[2001:db8::7]:0", "[2600:1f18::10]:0"), rules.Inbound,
			rules.Allowed, "acl-proto ingress #140", false},
		{"icmp type allow then all-type allow: same outcome", "subnet-proto", packet(icmp, "10.0.0.10:0", "198.51.100.7:0"), rules.Outbound,
			rules.Allowed, "acl-proto egress #110", false},
		{"icmp type allow then final deny: unknown", "subnet-proto", packet(icmp, "10.0.0.10:0", "203.0.113.7:0"), rules.Outbound,
			rules.Unknown, "acl-proto egress #100", false},
		{"subnet without association: VPC default ACL", "subnet-unassociated", packet(tcp, "203.0.113.7:50000", "10.0.9.9:22"), rules.Inbound,
			rules.Allowed, "acl-default ingress #100", false},
		{"subnet unknown", "subnet-nowhere", packet(tcp, "203.0.113.7:50000", "10.0.8.8:22"), rules.Inbound,
			rules.Unknown, "", false},
		{"no subnet", "", packet(tcp, "203.0.113.7:50000", "10.0.8.8:22"), rules.Inbound,
			rules.Unknown, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := set.NACLAllows(tt.subnet, tt.p, tt.dir)
			if got.Decision != tt.want || got.Rule != tt.wantRule {
				t.Fatalf("NACLAllows = %s %q, want %s %q (reason: %s)", got.Decision, got.Rule, tt.want, tt.wantRule, got.Reason)
			}
			if got.Reason == "" {
				t.Error("no reason given")
			}
			if got.Decision == rules.Unknown {
				if got.Deciding != -1 {
					t.Errorf("Deciding = %d for an unknown result", got.Deciding)
				}
				return
			}
			if e := got.Entries[got.Deciding]; e.Implied != tt.implied {
				t.Errorf("deciding entry %s: Implied = %v, want %v", e, e.Implied, tt.implied)
			}
		})
	}
}

func TestNACLResultShowsNeighbours(t *testing.T) {
	set := load(t, acls(acl("acl-n", false, []string{"subnet-n"},
		entry(300, false, "allow", "6", "0.0.0.0/0", 443, 443),
		entry(100, false, "allow", "6", "10.0.0.0/8", 22, 22),
		entry(200, false, "deny", "6", "0.0.0.0/0", 22, 22),
		entry(110, true, "allow", "-1", "0.0.0.0/0", 0, 0),
	)))
	got := set.NACLAllows("subnet-n", packet(rules.ProtoTCP, "203.0.113.7:50000", "10.0.0.10:22"), rules.Inbound)
	var listed []string
	for _, e := range got.Entries {
		listed = append(listed, e.String())
	}
	want := []string{
		"#100 allow tcp 22 10.0.0.0/8",
		"#200 deny tcp 22 0.0.0.0/0",
		"#300 allow tcp 443 0.0.0.0/0",
		"#32767 deny all 0.0.0.0/0 (*)",
	}
	if strings.Join(listed, "\n") != strings.Join(want, "\n") {
		t.Errorf("entries:\n%s\nwant:\n%s", strings.Join(listed, "\n"), strings.Join(want, "\n"))
	}
	near, at := got.Neighbours(1)
	if len(near) != 3 || at != 1 || near[at].Number != 200 {
		t.Errorf("Neighbours(1) = %v at %d, want #100 #200 #300 at 1", near, at)
	}
	if !strings.Contains(got.Reason, "ingress rule #200 of acl-n denies") {
		t.Errorf("reason %q", got.Reason)
	}
	implied := set.NACLAllows("subnet-n", packet(rules.ProtoTCP, "203.0.113.7:50000", "10.0.0.10:8080"), rules.Inbound)
	if !strings.Contains(implied.Reason, "final * rule (#32767)") {
		t.Errorf("final-rule reason %q", implied.Reason)
	}
}

func TestNACLAssumedDefaultIsSaid(t *testing.T) {
	set := load(t,
		acls(acl("acl-def", true, nil, entry(100, false, "allow", "-1", "0.0.0.0/0", 0, 0))),
		enis(eni("eni-1", "subnet-1", []string{"10.0.0.10"}, "sg-1")),
	)
	got := set.NACLAllows("subnet-1", packet(rules.ProtoTCP, "203.0.113.7:50000", "10.0.0.10:22"), rules.Inbound)
	if !got.AssumedDefault || got.ACL != "acl-def" || !strings.Contains(got.Reason, "assumed the VPC default") {
		t.Errorf("got %+v", got)
	}
}
