package rules

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Side says which end of a conversation the interface is.
type Side uint8

const (
	// SideUnknown asks Evaluate to find the side from the interface's addresses.
	SideUnknown Side = iota
	// InitiatorSide: the interface sent the request (outbound) and receives the reply.
	InitiatorSide
	// ResponderSide: the interface received the request (inbound) and sends the reply.
	ResponderSide
)

func (s Side) String() string {
	switch s {
	case InitiatorSide:
		return "initiator"
	case ResponderSide:
		return "responder"
	}
	return "unknown"
}

// Layer names the filter that decided, as a set: a drop that happened in one of two
// layers without the data to say which is LayerSG|LayerNACL ("sg-or-nacl").
type Layer uint8

const (
	LayerSG Layer = 1 << iota
	LayerNACL
)

// String gives the verdict words of `flowlens pairs`: "sg", "nacl", "sg-or-nacl", or ""
// when no layer is named.
func (l Layer) String() string {
	switch l {
	case LayerSG:
		return "sg"
	case LayerNACL:
		return "nacl"
	case LayerSG | LayerNACL:
		return "sg-or-nacl"
	}
	return ""
}

// SubnetEdge says whether the conversation crosses the edge of the interface's
// subnet, which decides whether network ACLs apply at all.
type SubnetEdge uint8

const (
	EdgeUnknown SubnetEdge = iota
	EdgeCrossed            // the remote end is outside the subnet: NACLs apply
	EdgeInside             // both ends are in the subnet: NACLs do not apply
)

func (e SubnetEdge) String() string {
	switch e {
	case EdgeCrossed:
		return "crossed"
	case EdgeInside:
		return "inside"
	}
	return "unknown"
}

// Conversation is a request and its reply seen on one interface.
type Conversation struct {
	Interface string // eni-...
	// Subnet is the interface's subnet when the interface was not loaded (the
	// record's subnet-id field, version 3+). A loaded interface's own subnet wins.
	Subnet               string
	Protocol             uint8
	Initiator, Responder netip.AddrPort // ports are 0 for ICMP
	Side                 Side
}

// Leg is what AWS does with one direction of the conversation on the interface.
type Leg struct {
	Packet    Packet
	Direction Direction
	Decision  Decision
	// Layer names the layer that dropped the packet (Denied), or the layers whose
	// answer is missing (Unknown). It is 0 when the packet is Allowed.
	Layer Layer
	// Rule is the deciding rule: the dropping rule, or for an allowed packet the
	// rules that let it through ("sg-0abc inbound tcp 22 from 10.0.0.0/8; acl-0abc ingress #100").
	Rule        string
	Explanation string // one sentence a person can act on

	SG SGResult
	// SGByTracking: the packet is a reply of a tracked connection, so the security
	// groups let it through whatever their rules say (SG is then synthesised).
	SGByTracking bool
	NACL         NACLResult
	// NACLSkipped: both ends are in the interface's subnet, so no NACL applies.
	NACLSkipped bool
}

// Assessment is the evaluation of a conversation: the request, then the reply.
type Assessment struct {
	Conversation Conversation // Side resolved when it could be
	Subnet       string       // the subnet whose ACL applies
	Tracking     Tracking
	Edge         SubnetEdge
	EdgeReason   string
	Request      Leg
	// Reply is judged as if the request had got through: a rejected request has no
	// reply, but showing what the reply would meet tells whether fixing the request's
	// rule is enough.
	Reply Leg
}

// Evaluate decides what AWS does with the request and the reply of c on its interface.
//
//   - Order: an inbound packet meets the NACL, then the SG; an outbound packet the SG,
//     then the NACL. The first layer that drops it is the one named.
//   - SGs are stateful: the reply of a tracked connection passes whatever the rules
//     say. An untracked flow's reply is judged by the rules (see Set.Tracking); the
//     all-ports rule that makes it untracked also allows it, so SGs never drop a reply.
//   - NACLs are stateless: the reply is judged by the entries of its own direction,
//     with the initiator's (ephemeral) port as destination port.
//   - NACLs apply only where the conversation crosses the subnet edge (see the edge
//     rules on subnetEdge). When that is unknown and the NACL would drop the packet,
//     the answer is Unknown; when the NACL allows it, it does not matter.
func (s *Set) Evaluate(c Conversation) Assessment {
	s = s.orEmpty()
	a := Assessment{Conversation: c, Tracking: TrackingUnknown}
	ifc, loaded := s.interfaces[c.Interface]
	if a.Conversation.Side == SideUnknown {
		a.Conversation.Side = s.inferSide(ifc, c)
	}
	side := a.Conversation.Side
	request := Packet{Protocol: c.Protocol, Src: c.Initiator.Addr().Unmap(), Dst: c.Responder.Addr().Unmap(),
		SrcPort: c.Initiator.Port(), DstPort: c.Responder.Port()}
	reply := Packet{Protocol: c.Protocol, Src: request.Dst, Dst: request.Src, SrcPort: request.DstPort, DstPort: request.SrcPort}
	if side == SideUnknown {
		why := fmt.Sprintf("cannot tell which end of the conversation %s is: neither address is one of its loaded private IPs", c.Interface)
		if !loaded {
			why = fmt.Sprintf("cannot tell which end of the conversation %s is: the interface is not loaded and the side was not given", c.Interface)
		}
		a.Request = unknownLeg(request, Inbound, why)
		a.Reply = unknownLeg(reply, Outbound, why)
		return a
	}
	requestDir, local, remote := Inbound, request.Dst, request.Src
	if side == InitiatorSide {
		requestDir, local, remote = Outbound, request.Src, request.Dst
	}
	a.Subnet = c.Subnet
	if loaded && ifc.SubnetID != "" {
		a.Subnet = ifc.SubnetID
	}
	a.Edge, a.EdgeReason = s.subnetEdge(ifc, a.Subnet, local, remote)
	a.Tracking = s.Tracking(c.Interface, request, requestDir)

	a.Request = s.evaluateLeg(a, request, requestDir, s.SGAllows(c.Interface, request, requestDir), false, false)

	replyDir := requestDir.Reverse()
	var sg SGResult
	// An interface without groups (NAT gateway...) is not filtered by SGs at all, so
	// its reply needs no tracking to pass: SGAllows says so in its own words.
	byTracking := a.Tracking != Untracked && (!loaded || len(ifc.Groups) > 0)
	if byTracking {
		sg = SGResult{Decision: Allowed, Interface: c.Interface, Rule: "connection tracking",
			Reason: "the reply of a tracked connection passes the security groups whatever their rules say"}
		if a.Tracking == TrackingUnknown {
			sg.Reason = "the reply passes the security groups: by connection tracking, or, if the flow is untracked, by the all-ports rule that makes it so"
		}
		if a.Request.SG.Decision != Allowed {
			sg.Reason += " (once the request is allowed)"
		}
		if ifc != nil {
			sg.Groups = ifc.Groups
		}
	} else {
		sg = s.SGAllows(c.Interface, reply, replyDir)
	}
	a.Reply = s.evaluateLeg(a, reply, replyDir, sg, byTracking, true)
	return a
}

func unknownLeg(p Packet, dir Direction, why string) Leg {
	return Leg{Packet: p, Direction: dir, Decision: Unknown, Layer: LayerSG | LayerNACL,
		Explanation: sentence(why), SG: SGResult{Reason: why}, NACL: NACLResult{Deciding: -1, Reason: why}}
}

// inferSide finds which end of c the interface is from its private addresses.
func (s *Set) inferSide(ifc *Interface, c Conversation) Side {
	if ifc == nil {
		return SideUnknown
	}
	isInitiator := slices.Contains(ifc.PrivateIPs, c.Initiator.Addr().Unmap())
	isResponder := slices.Contains(ifc.PrivateIPs, c.Responder.Addr().Unmap())
	switch {
	case isInitiator && !isResponder:
		return InitiatorSide
	case isResponder && !isInitiator:
		return ResponderSide
	}
	return SideUnknown
}

// layerOutcome is one layer's answer as the leg combines it.
type layerOutcome struct {
	layer    Layer
	decision Decision
	rule     string
	reason   string
}

// evaluateLeg combines the SG answer (computed by the caller, since a reply may pass
// by tracking) with the NACL answer for one direction of the conversation.
func (s *Set) evaluateLeg(a Assessment, p Packet, dir Direction, sg SGResult, byTracking, isReply bool) Leg {
	leg := Leg{Packet: p, Direction: dir, SG: sg, SGByTracking: byTracking, NACL: NACLResult{Subnet: a.Subnet, Deciding: -1}}
	sgOut := layerOutcome{LayerSG, sg.Decision, sg.Rule, sg.Reason}
	if byTracking {
		sgOut.rule = ""
	}

	var naclOut layerOutcome
	if a.Edge == EdgeInside {
		leg.NACLSkipped = true
		naclOut = layerOutcome{LayerNACL, Allowed, "", a.EdgeReason + ", so network ACLs do not apply"}
	} else {
		leg.NACL = s.NACLAllows(a.Subnet, p, dir)
		naclOut = layerOutcome{LayerNACL, leg.NACL.Decision, leg.NACL.Rule, leg.NACL.Reason}
		if leg.NACL.Decision == Denied && a.Edge == EdgeUnknown {
			naclOut.decision = Unknown
			naclOut.reason = fmt.Sprintf("%s, if the traffic leaves the subnet; %s", leg.NACL.Reason, a.EdgeReason)
		}
		if naclOut.decision == Denied && isReply && hasPorts(p.Protocol) {
			naclOut.reason += fmt.Sprintf(" (a reply goes to the initiator's ephemeral port %d: the return rule must cover it, usually 1024-65535)", p.DstPort)
		}
	}

	first, second := sgOut, naclOut
	if dir == Inbound {
		first, second = naclOut, sgOut
	}
	leg.Decision, leg.Layer, leg.Rule, leg.Explanation = combine(first, second)
	return leg
}

func hasPorts(proto uint8) bool { return proto == ProtoTCP || proto == ProtoUDP }

// combine applies the two layers in packet order. The first layer to drop the
// packet is the one that dropped it. When the first layer's answer is unknown and the
// second drops, the packet is dropped for sure but by one of the two.
func combine(first, second layerOutcome) (Decision, Layer, string, string) {
	switch first.decision {
	case Denied:
		return Denied, first.layer, first.rule, sentence("dropped: " + first.reason)
	case Allowed:
		switch second.decision {
		case Denied:
			return Denied, second.layer, second.rule, sentence("dropped: " + second.reason)
		case Allowed:
			return Allowed, 0, joinRules(first.rule, second.rule), sentence("passes: " + first.reason + "; " + second.reason)
		}
		return Unknown, second.layer, second.rule, sentence("unknown: " + second.reason)
	}
	switch second.decision {
	case Denied:
		return Denied, first.layer | second.layer, second.rule,
			sentence("dropped: " + second.reason + ", unless " + first.layer.String() + " dropped it first (" + first.reason + ")")
	case Allowed:
		return Unknown, first.layer, first.rule, sentence("unknown: " + first.reason)
	}
	rule := first.rule
	if rule == "" {
		rule = second.rule
	}
	return Unknown, first.layer | second.layer, rule, sentence("unknown: " + first.reason + "; " + second.reason)
}

func joinRules(rules ...string) string {
	var parts []string
	for _, r := range rules {
		if r != "" {
			parts = append(parts, r)
		}
	}
	return strings.Join(parts, "; ")
}

// sentence capitalises a clause and ends it with a full stop.
func sentence(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	s = string(unicode.ToUpper(r)) + s[n:]
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}

// Largest subnets AWS allows: IPv4 /16, IPv6 /44 (/64 by default; IPAM and BYOIP
// allow /44 to /64). An address outside that block around any of the interface's
// addresses cannot share its subnet.
const (
	widestSubnetV4 = 16
	widestSubnetV6 = 44
)

// subnetEdge decides whether remote is outside the interface's subnet. Interfaces
// give subnet ids but not CIDRs, so, in order:
//  1. remote is a private IP of a loaded interface: compare the two subnet ids;
//  2. the subnet's CIDRs are loaded (describe-subnets): test them; a subnet holds
//     exactly its CIDRs;
//  3. remote is inside another loaded subnet's CIDR: crossed;
//  4. remote is outside the widest subnet AWS allows around the interface's own
//     address (the loaded interface's private IPs, else the conversation's local
//     address, which flow logs give as the ENI's primary private IP): crossed;
//  5. otherwise unknown: an address near ours whose owner was not loaded.
func (s *Set) subnetEdge(ifc *Interface, subnet string, local, remote netip.Addr) (SubnetEdge, string) {
	if subnet == "" {
		return EdgeUnknown, "the interface's subnet is unknown"
	}
	if !remote.IsValid() {
		return EdgeUnknown, "the remote address is unknown"
	}
	if other, ok := s.byAddr[remote]; ok && other.SubnetID != "" {
		if other.SubnetID == subnet {
			return EdgeInside, fmt.Sprintf("%s (%s) is in the same subnet %s", remote, other.ID, subnet)
		}
		return EdgeCrossed, fmt.Sprintf("%s (%s) is in %s, not %s", remote, other.ID, other.SubnetID, subnet)
	}
	if n, ok := s.subnets[subnet]; ok && len(n.CIDRs) > 0 {
		for _, p := range n.CIDRs {
			if p.Contains(remote) {
				return EdgeInside, fmt.Sprintf("%s is inside %s (%s)", remote, subnet, p)
			}
		}
		return EdgeCrossed, fmt.Sprintf("%s is outside %s", remote, subnet)
	}
	for _, sc := range s.subnetCIDRs {
		if sc.subnet != subnet && sc.prefix.Contains(remote) {
			return EdgeCrossed, fmt.Sprintf("%s is in %s, not %s", remote, sc.subnet, subnet)
		}
	}
	locals := []netip.Addr{local}
	if ifc != nil && len(ifc.PrivateIPs) > 0 {
		locals = ifc.PrivateIPs
	}
	for _, l := range locals {
		if !l.IsValid() || l.Is4() != remote.Is4() {
			continue
		}
		bits := widestSubnetV4
		if l.Is6() {
			bits = widestSubnetV6
		}
		block, _ := l.Prefix(bits)
		if !block.Contains(remote) {
			return EdgeCrossed, fmt.Sprintf("%s is outside %s, the widest subnet %s could be", remote, block, subnet)
		}
		return EdgeUnknown, fmt.Sprintf("whether %s is in %s is unknown: load the describe-subnets output or the interface that owns it", remote, subnet)
	}
	return EdgeUnknown, fmt.Sprintf("whether %s is in %s is unknown: no address of the interface of the same family is known", remote, subnet)
}
