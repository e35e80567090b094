package rules_test

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/flowlens/flowlens/model/rules"
)

// verdict is what a test expects of one leg.
type verdict struct {
	decision rules.Decision
	layer    rules.Layer
	rule     string
}

func legVerdict(l rules.Leg) verdict { return verdict{l.Decision, l.Layer, l.Rule} }

func conv(eni string, proto uint8, initiator, responder string, side rules.Side) rules.Conversation {
	return rules.Conversation{Interface: eni, Protocol: proto, Initiator: netip.MustParseAddrPort(initiator),
		Responder: netip.MustParseAddrPort(responder), Side: side}
}

func TestEvaluate(t *testing.T) {
	const tcp, icmp = rules.ProtoTCP, rules.ProtoICMP
	in, out := false, true
	openACL := func(id string, subnets ...string) string {
		return acl(id, false, subnets,
			entry(100, in, "allow", "-1", "0.0.0.0/0", 0, 0), entry(101, in, "allow", "-1", "::/0", 0, 0),
			entry(100, out, "allow", "-1", "0.0.0.0/0", 0, 0), entry(101, out, "allow", "-1", "::/0", 0, 0))
	}
	set := load(t,
		groups(
			// Inbound SSH from the VPC and no outbound rule at all: replies pass by tracking.
			sg("sg-ssh-only", perm("tcp", 22, 22, "10.0.0.0/8"), ""),
			// Everything open both ways: TCP and UDP flows are untracked.
			sg("sg-open", allProto("0.0.0.0/0", "::/0"), allProto("0.0.0.0/0", "::/0")),
			sg("sg-icmp-in", perm("icmp", -1, -1, "0.0.0.0/0"), ""),
			sg("sg-client", "", perm("tcp", 443, 443, "0.0.0.0/0", "::/0")),
			sg("sg-vpc", allProto("10.0.0.0/8"), allProto("10.0.0.0/8")),
			sg("sg-closed", "", ""),
			sg("sg-icmp-type", perm("icmp", 8, -1, "0.0.0.0/0"), ""),
		),
		enis(
			eni("eni-srv", "subnet-srv", []string{"10.0.1.10"}, "sg-ssh-only"),
			eni("eni-open", "subnet-srv", []string{"10.0.1.11", "2600:1f18:4a3:6b01::11"}, "sg-open"),
			eni("eni-ping", "subnet-ping", []string{"172.31.16.139"}, "sg-icmp-in"),
			eni("eni-cli", "subnet-cli", []string{"10.0.2.20", "2600:1f18:4a3:6b02::20"}, "sg-client"),
			eni("eni-cli-old", "subnet-oldwin", []string{"10.0.5.20"}, "sg-client"),
			eni("eni-a", "subnet-same", []string{"10.0.3.10"}, "sg-vpc"),
			eni("eni-b", "subnet-same", []string{"10.0.3.11"}, "sg-vpc"),
			eni("eni-c", "subnet-other", []string{"10.0.4.10"}, "sg-vpc"),
			eni("eni-closed", "subnet-deny", []string{"10.0.6.10"}, "sg-closed"),
			eni("eni-icmp-type", "subnet-icmp-type", []string{"10.0.7.10"}, "sg-closed"),
		),
		acls(
			openACL("acl-open", "subnet-srv", "subnet-other"),
			// The ping example of FLOWLOGS.md: ICMP in, the reply out rejected by the ACL.
			acl("acl-ping", false, []string{"subnet-ping"},
				entry(100, in, "allow", "-1", "0.0.0.0/0", 0, 0),
				entry(100, out, "allow", "6", "0.0.0.0/0", 0, 65535)),
			acl("acl-cli", false, []string{"subnet-cli"},
				entry(100, out, "allow", "6", "0.0.0.0/0", 443, 443),
				entry(101, out, "allow", "6", "::/0", 443, 443),
				entry(100, in, "allow", "6", "0.0.0.0/0", 1024, 65535)),
			acl("acl-oldwin", false, []string{"subnet-oldwin"},
				entry(100, out, "allow", "6", "0.0.0.0/0", 443, 443),
				entry(100, in, "allow", "6", "0.0.0.0/0", 1024, 5000)),
			acl("acl-deny", false, []string{"subnet-same", "subnet-deny", "subnet-noeni"},
				entry(1, in, "deny", "-1", "0.0.0.0/0", 0, 0),
				entry(1, out, "deny", "-1", "0.0.0.0/0", 0, 0)),
			acl("acl-icmp-type", false, []string{"subnet-icmp-type"},
				entry(50, in, "deny", "1", "0.0.0.0/0", 8, -1),
				entry(100, in, "allow", "-1", "0.0.0.0/0", 0, 0)),
		),
	)
	withSubnets := load(t,
		`{"Subnets":[{"SubnetId":"subnet-same","VpcId":"vpc-1","CidrBlock":"10.0.3.0/24","Ipv6CidrBlockAssociationSet":[]}]}`)
	withSubnets.Merge(set)

	tests := []struct {
		name     string
		set      *rules.Set
		c        rules.Conversation
		request  verdict
		reply    verdict
		tracking rules.Tracking
		edge     rules.SubnetEdge
		check    func(t *testing.T, a rules.Assessment)
	}{
		{
			name:     "stateful: reply allowed without an outbound rule",
			set:      set,
			c:        conv("eni-srv", tcp, "10.0.0.5:50000", "10.0.1.10:22", rules.ResponderSide),
			request:  verdict{rules.Allowed, 0, "acl-open ingress #100; sg-ssh-only inbound tcp 22 from 10.0.0.0/8"},
			reply:    verdict{rules.Allowed, 0, "acl-open egress #100"},
			tracking: rules.Tracked,
			edge:     rules.EdgeUnknown, // 10.0.0.5 is near and not loaded; the NACL allows anyway
			check: func(t *testing.T, a rules.Assessment) {
				if !a.Reply.SGByTracking || a.Reply.SG.Rule != "connection tracking" {
					t.Errorf("reply SG: byTracking=%v rule %q", a.Reply.SGByTracking, a.Reply.SG.Rule)
				}
				if got := a.Reply.Explanation; !strings.Contains(got, "tracked connection") {
					t.Errorf("reply explanation %q", got)
				}
			},
		},
		{
			name:     "untracked: the reply is judged by the rules",
			set:      set,
			c:        conv("eni-open", tcp, "203.0.113.7:50000", "10.0.1.11:80", rules.ResponderSide),
			request:  verdict{rules.Allowed, 0, "acl-open ingress #100; sg-open inbound all from 0.0.0.0/0"},
			reply:    verdict{rules.Allowed, 0, "sg-open outbound all to 0.0.0.0/0; acl-open egress #100"},
			tracking: rules.Untracked,
			edge:     rules.EdgeCrossed,
			check: func(t *testing.T, a rules.Assessment) {
				if a.Reply.SGByTracking {
					t.Error("untracked reply passed by tracking")
				}
			},
		},
		{
			name:     "untracked over ipv6",
			set:      set,
			c:        conv("eni-open", tcp, "[2001:db8::7]:50000", "[2600:1f18:4a3:6b01::11]:80", rules.ResponderSide),
			request:  verdict{rules.Allowed, 0, "acl-open ingress #101; sg-open inbound all from ::/0"},
			reply:    verdict{rules.Allowed, 0, "sg-open outbound all to ::/0; acl-open egress #101"},
			tracking: rules.Untracked,
			edge:     rules.EdgeCrossed,
		},
		{
			name:     "icmp is always tracked",
			set:      set,
			c:        conv("eni-open", icmp, "203.0.113.7:0", "10.0.1.11:0", rules.ResponderSide),
			request:  verdict{rules.Allowed, 0, "acl-open ingress #100; sg-open inbound all from 0.0.0.0/0"},
			reply:    verdict{rules.Allowed, 0, "acl-open egress #100"},
			tracking: rules.Tracked,
			edge:     rules.EdgeCrossed,
			check: func(t *testing.T, a rules.Assessment) {
				if !a.Reply.SGByTracking {
					t.Error("icmp reply not passed by tracking")
				}
			},
		},
		{
			name:     "ping: reply rejected by the outbound NACL",
			set:      set,
			c:        conv("eni-ping", icmp, "203.0.113.12:0", "172.31.16.139:0", rules.ResponderSide),
			request:  verdict{rules.Allowed, 0, "acl-ping ingress #100; sg-icmp-in inbound icmp all from 0.0.0.0/0"},
			reply:    verdict{rules.Denied, rules.LayerNACL, "acl-ping egress #32767"},
			tracking: rules.Tracked,
			edge:     rules.EdgeCrossed,
		},
		{
			name:     "ephemeral: return rule 1024-65535 admits port 40000",
			set:      set,
			c:        conv("eni-cli", tcp, "10.0.2.20:40000", "198.51.100.7:443", rules.InitiatorSide),
			request:  verdict{rules.Allowed, 0, "sg-client outbound tcp 443 to 0.0.0.0/0; acl-cli egress #100"},
			reply:    verdict{rules.Allowed, 0, "acl-cli ingress #100"},
			tracking: rules.Tracked,
			edge:     rules.EdgeCrossed,
		},
		{
			name:     "ephemeral: return rule 1024-5000 does not",
			set:      set,
			c:        conv("eni-cli-old", tcp, "10.0.5.20:40000", "198.51.100.7:443", rules.InitiatorSide),
			request:  verdict{rules.Allowed, 0, "sg-client outbound tcp 443 to 0.0.0.0/0; acl-oldwin egress #100"},
			reply:    verdict{rules.Denied, rules.LayerNACL, "acl-oldwin ingress #32767"},
			tracking: rules.Tracked,
			edge:     rules.EdgeCrossed,
			check: func(t *testing.T, a rules.Assessment) {
				if got := a.Reply.Explanation; !strings.Contains(got, "ephemeral port 40000") {
					t.Errorf("reply explanation %q does not mention the ephemeral port", got)
				}
			},
		},
		{
			name:    "ipv6: implied #32768 on the reply",
			set:     set,
			c:       conv("eni-cli", tcp, "[2600:1f18:4a3:6b02::20]:40000", "[2001:db8::7]:443", rules.InitiatorSide),
			request: verdict{rules.Allowed, 0, "sg-client outbound tcp 443 to ::/0; acl-cli egress #101"},
			reply:   verdict{rules.Denied, rules.LayerNACL, "acl-cli ingress #32768"},
			edge:    rules.EdgeCrossed, tracking: rules.Tracked,
		},
		{
			name:     "intra-subnet: both interfaces loaded, NACL skipped",
			set:      set,
			c:        conv("eni-a", tcp, "10.0.3.11:50000", "10.0.3.10:5432", rules.ResponderSide),
			request:  verdict{rules.Allowed, 0, "sg-vpc inbound all from 10.0.0.0/8"},
			reply:    verdict{rules.Allowed, 0, ""},
			tracking: rules.Tracked,
			edge:     rules.EdgeInside,
			check: func(t *testing.T, a rules.Assessment) {
				if !a.Request.NACLSkipped || !a.Reply.NACLSkipped {
					t.Error("NACL not skipped")
				}
			},
		},
		{
			name:     "intra-subnet: remote inside the loaded subnet CIDR",
			set:      withSubnets,
			c:        conv("eni-a", tcp, "10.0.3.99:50000", "10.0.3.10:5432", rules.ResponderSide),
			request:  verdict{rules.Allowed, 0, "sg-vpc inbound all from 10.0.0.0/8"},
			reply:    verdict{rules.Allowed, 0, ""},
			tracking: rules.Tracked,
			edge:     rules.EdgeInside,
		},
		{
			name:     "cross-subnet: the NACL applies",
			set:      set,
			c:        conv("eni-a", tcp, "10.0.4.10:50000", "10.0.3.10:5432", rules.ResponderSide),
			request:  verdict{rules.Denied, rules.LayerNACL, "acl-deny ingress #1"},
			reply:    verdict{rules.Denied, rules.LayerNACL, "acl-deny egress #1"},
			tracking: rules.Tracked,
			edge:     rules.EdgeCrossed,
		},
		{
			name:     "edge unknown: a denying NACL is not a verdict",
			set:      set,
			c:        conv("eni-a", tcp, "10.0.3.99:50000", "10.0.3.10:5432", rules.ResponderSide),
			request:  verdict{rules.Unknown, rules.LayerNACL, "acl-deny ingress #1"},
			reply:    verdict{rules.Unknown, rules.LayerNACL, "acl-deny egress #1"},
			tracking: rules.Tracked,
			edge:     rules.EdgeUnknown,
		},
		{
			name:     "inbound order: NACL before SG",
			set:      set,
			c:        conv("eni-closed", tcp, "203.0.113.7:50000", "10.0.6.10:22", rules.ResponderSide),
			request:  verdict{rules.Denied, rules.LayerNACL, "acl-deny ingress #1"},
			reply:    verdict{rules.Denied, rules.LayerNACL, "acl-deny egress #1"},
			tracking: rules.Tracked,
			edge:     rules.EdgeCrossed,
		},
		{
			name:     "outbound order: SG before NACL",
			set:      set,
			c:        conv("eni-closed", tcp, "10.0.6.10:40000", "203.0.113.7:443", rules.InitiatorSide),
			request:  verdict{rules.Denied, rules.LayerSG, "sg-closed: no outbound rule allows tcp/443 to 203.0.113.7"},
			reply:    verdict{rules.Denied, rules.LayerNACL, "acl-deny ingress #1"},
			tracking: rules.Tracked,
			edge:     rules.EdgeCrossed,
		},
		{
			name:     "unknown NACL first, SG drops: sg-or-nacl",
			set:      set,
			c:        conv("eni-icmp-type", icmp, "203.0.113.7:0", "10.0.7.10:0", rules.ResponderSide),
			request:  verdict{rules.Denied, rules.LayerSG | rules.LayerNACL, "sg-closed: no inbound rule allows icmp from 203.0.113.7"},
			reply:    verdict{rules.Denied, rules.LayerNACL, "acl-icmp-type egress #32767"}, // no egress entry at all
			tracking: rules.Tracked,
			edge:     rules.EdgeCrossed,
		},
		{
			name:     "missing interface, subnet from the record: NACL still drops",
			set:      set,
			c:        withSubnet(conv("eni-gone", tcp, "203.0.113.7:50000", "10.0.8.10:22", rules.ResponderSide), "subnet-noeni"),
			request:  verdict{rules.Denied, rules.LayerNACL, "acl-deny ingress #1"},
			reply:    verdict{rules.Denied, rules.LayerNACL, "acl-deny egress #1"},
			tracking: rules.TrackingUnknown,
			edge:     rules.EdgeCrossed,
		},
		{
			name:     "missing interface: SG unknown",
			set:      set,
			c:        withSubnet(conv("eni-gone", tcp, "203.0.113.7:50000", "10.0.1.50:22", rules.ResponderSide), "subnet-srv"),
			request:  verdict{rules.Unknown, rules.LayerSG, ""},
			reply:    verdict{rules.Allowed, 0, "acl-open egress #100"},
			tracking: rules.TrackingUnknown,
			edge:     rules.EdgeCrossed,
		},
		{
			name:     "missing interface on the initiator side: dropped, layer unknown",
			set:      set,
			c:        withSubnet(conv("eni-gone", tcp, "10.0.8.10:40000", "203.0.113.7:443", rules.InitiatorSide), "subnet-noeni"),
			request:  verdict{rules.Denied, rules.LayerSG | rules.LayerNACL, "acl-deny egress #1"},
			reply:    verdict{rules.Denied, rules.LayerNACL, "acl-deny ingress #1"},
			tracking: rules.TrackingUnknown,
			edge:     rules.EdgeCrossed,
		},
		{
			name:     "missing interface and no subnet: nothing known",
			set:      set,
			c:        conv("eni-gone", tcp, "203.0.113.7:50000", "10.0.1.50:22", rules.ResponderSide),
			request:  verdict{rules.Unknown, rules.LayerSG | rules.LayerNACL, ""},
			reply:    verdict{rules.Unknown, rules.LayerNACL, ""},
			tracking: rules.TrackingUnknown,
			edge:     rules.EdgeUnknown,
		},
		{
			name:     "side inferred from the interface's addresses",
			set:      set,
			c:        conv("eni-cli", tcp, "10.0.2.20:40000", "198.51.100.7:443", rules.SideUnknown),
			request:  verdict{rules.Allowed, 0, "sg-client outbound tcp 443 to 0.0.0.0/0; acl-cli egress #100"},
			reply:    verdict{rules.Allowed, 0, "acl-cli ingress #100"},
			tracking: rules.Tracked,
			edge:     rules.EdgeCrossed,
			check: func(t *testing.T, a rules.Assessment) {
				if a.Conversation.Side != rules.InitiatorSide || a.Request.Direction != rules.Outbound || a.Reply.Direction != rules.Inbound {
					t.Errorf("side %s, request %s, reply %s", a.Conversation.Side, a.Request.Direction, a.Reply.Direction)
				}
			},
		},
		{
			name:     "side cannot be inferred",
			set:      set,
			c:        conv("eni-gone", tcp, "10.0.2.20:40000", "198.51.100.7:443", rules.SideUnknown),
			request:  verdict{rules.Unknown, rules.LayerSG | rules.LayerNACL, ""},
			reply:    verdict{rules.Unknown, rules.LayerSG | rules.LayerNACL, ""},
			tracking: rules.TrackingUnknown,
			edge:     rules.EdgeUnknown,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := tt.set.Evaluate(tt.c)
			if got := legVerdict(a.Request); got != tt.request {
				t.Errorf("request = %s %q %q\n    want %s %q %q\n    (%s)", got.decision, got.layer, got.rule,
					tt.request.decision, tt.request.layer, tt.request.rule, a.Request.Explanation)
			}
			if got := legVerdict(a.Reply); got != tt.reply {
				t.Errorf("reply = %s %q %q\n    want %s %q %q\n    (%s)", got.decision, got.layer, got.rule,
					tt.reply.decision, tt.reply.layer, tt.reply.rule, a.Reply.Explanation)
			}
			if a.Tracking != tt.tracking {
				t.Errorf("tracking = %s, want %s", a.Tracking, tt.tracking)
			}
			if a.Edge != tt.edge {
				t.Errorf("edge = %s, want %s (%s)", a.Edge, tt.edge, a.EdgeReason)
			}
			for _, leg := range []rules.Leg{a.Request, a.Reply} {
				if leg.Explanation == "" || !strings.HasSuffix(leg.Explanation, ".") {
					t.Errorf("explanation %q is not a sentence", leg.Explanation)
				}
			}
			if tt.check != nil {
				tt.check(t, a)
			}
		})
	}
}

func withSubnet(c rules.Conversation, subnet string) rules.Conversation {
	c.Subnet = subnet
	return c
}

func TestLayerNames(t *testing.T) {
	for l, want := range map[rules.Layer]string{0: "", rules.LayerSG: "sg", rules.LayerNACL: "nacl", rules.LayerSG | rules.LayerNACL: "sg-or-nacl"} {
		if l.String() != want {
			t.Errorf("Layer(%d) = %q, want %q", l, l.String(), want)
		}
	}
}

func TestNilAndZeroSets(t *testing.T) {
	var none *rules.Set
	a := none.Evaluate(conv("eni-1", rules.ProtoTCP, "203.0.113.7:50000", "10.0.0.10:22", rules.ResponderSide))
	if a.Request.Decision != rules.Unknown || a.Reply.Decision != rules.Unknown {
		t.Errorf("nil set decided: %s / %s", a.Request.Decision, a.Reply.Decision)
	}
	if !none.Empty() || none.SGAllows("eni-1", rules.Packet{}, rules.Inbound).Decision != rules.Unknown {
		t.Error("nil set is not empty and unknowing")
	}
	var zero rules.Set
	zero.Merge(load(t, enis(eni("eni-1", "subnet-1", []string{"10.0.0.10"}))))
	if _, ok := zero.InterfaceByAddr(netip.MustParseAddr("10.0.0.10")); !ok {
		t.Error("merge into a zero Set lost the interface")
	}
}
