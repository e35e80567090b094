package rules

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// PeerKind says what a security-group rule's source (inbound) or destination
// (outbound) is.
type PeerKind uint8

const (
	PeerCIDR       PeerKind = iota // an IPv4 or IPv6 CIDR
	PeerGroup                      // another security group: its members' private IPs
	PeerPrefixList                 // a managed prefix list, not resolvable from these files
)

// SGRule is one allow rule of a security group, for one peer. A permission in the API
// with three CIDRs becomes three SGRules so that each can be named on its own.
type SGRule struct {
	Group     string // the security group that owns the rule
	Direction Direction
	Protocol  Protocol
	// FromPort and ToPort bound the destination port for TCP and UDP (0-65535 when the
	// API gives -1 or nothing). Other protocols ignore them, as AWS does.
	FromPort, ToPort int
	// ICMPType and ICMPCode restrict ICMP and ICMPv6 rules; -1 means any (the API keeps
	// them in FromPort and ToPort).
	ICMPType, ICMPCode int
	Peer               PeerKind
	CIDR               netip.Prefix // PeerCIDR
	PeerID             string       // PeerGroup: sg-...; PeerPrefixList: pl-...
	Description        string
}

// String names the rule in the form flowlens prints in a verdict:
// "sg-0abc inbound tcp 22 from 10.0.0.0/8", "sg-0abc outbound all to 0.0.0.0/0".
func (r SGRule) String() string {
	var b strings.Builder
	b.WriteString(r.Group)
	b.WriteByte(' ')
	b.WriteString(r.Direction.String())
	b.WriteByte(' ')
	b.WriteString(r.Protocol.String())
	switch {
	case r.Protocol.hasPorts():
		b.WriteByte(' ')
		b.WriteString(portRange(r.FromPort, r.ToPort))
	case r.Protocol.isICMP():
		b.WriteString(icmpText(r.ICMPType, r.ICMPCode))
	}
	if r.Direction == Outbound {
		b.WriteString(" to ")
	} else {
		b.WriteString(" from ")
	}
	b.WriteString(r.peerText())
	return b.String()
}

func (r SGRule) peerText() string {
	switch r.Peer {
	case PeerGroup:
		return r.PeerID
	case PeerPrefixList:
		return r.PeerID + " (prefix list)"
	}
	return r.CIDR.String()
}

func portRange(from, to int) string {
	if from == to {
		return strconv.Itoa(from)
	}
	return strconv.Itoa(from) + "-" + strconv.Itoa(to)
}

func icmpText(typ, code int) string {
	switch {
	case typ < 0:
		return " all"
	case code < 0:
		return " type " + strconv.Itoa(typ)
	}
	return " type " + strconv.Itoa(typ) + " code " + strconv.Itoa(code)
}

// match is a three-valued rule match. Flow logs and describe-* output leave some
// facts unknown, and a rule that might match must not be counted as either answer.
type match uint8

const (
	noMatch match = iota
	mayMatch
	matches
)

func (m match) and(o match) match { return min(m, o) }

// matchSGRule decides whether r allows packet p crossing the interface in r's
// direction. why says what made a possible match uncertain.
func (s *Set) matchSGRule(r SGRule, p Packet) (m match, why string) {
	if !r.Protocol.Matches(p.Protocol) {
		return noMatch, ""
	}
	m = matches
	switch {
	case r.Protocol.hasPorts():
		if int(p.DstPort) < r.FromPort || int(p.DstPort) > r.ToPort {
			return noMatch, ""
		}
	case r.Protocol.isICMP() && r.ICMPType >= 0:
		// Flow logs do not record the ICMP type or code (the ports are 0), so a rule
		// restricted to one type can neither be relied on nor ruled out.
		m, why = mayMatch, "flow logs do not record ICMP types"
	}
	remote := p.remote(r.Direction)
	switch r.Peer {
	case PeerCIDR:
		if !r.CIDR.Contains(remote) {
			return noMatch, ""
		}
	case PeerPrefixList:
		m, why = m.and(mayMatch), "prefix list "+r.PeerID+" is not resolved from these files"
	case PeerGroup:
		switch member, reason := s.groupMember(r.PeerID, remote); member {
		case noMatch:
			return noMatch, ""
		case mayMatch:
			m, why = m.and(mayMatch), reason
		}
	}
	return m, why
}

// groupMember decides whether addr is a private IP of an interface in group. AWS
// matches a group reference against the private addresses of the group's interfaces.
// An address of a loaded interface is decided by that interface's groups. An address
// no loaded interface owns is decided only where it cannot be a VPC private address of
// ours: IPv4 outside RFC 1918 and 100.64.0.0/10, or IPv6 outside every /56 holding a
// loaded interface (VPCs get IPv6 in /56 blocks). VPCs can be built on publicly
// routable IPv4 CIDRs; such a VPC needs its interfaces loaded to be judged right.
// Everything else (a private address from an interface that was not loaded, a peered
// VPC) may be a member, and so may match.
func (s *Set) groupMember(group string, addr netip.Addr) (match, string) {
	if !addr.IsValid() {
		return mayMatch, "the address is unknown"
	}
	if _, known := s.byAddr[addr]; known {
		if s.members[group][addr] {
			return matches, ""
		}
		return noMatch, ""
	}
	if addr.Is4() {
		if !addr.IsPrivate() && !sharedAddressSpace.Contains(addr) {
			return noMatch, ""
		}
	} else {
		inVPC := false
		for _, p := range s.vpcV6Prefixes {
			if p.Contains(addr) {
				inVPC = true
				break
			}
		}
		if !inVPC {
			return noMatch, ""
		}
	}
	return mayMatch, fmt.Sprintf("%s belongs to no loaded interface, so its membership of %s is unknown", addr, group)
}

// sharedAddressSpace (RFC 6598) is allowed as a VPC CIDR, so it may hold members.
var sharedAddressSpace = netip.MustParsePrefix("100.64.0.0/10")

// SGResult is the verdict of the security groups of one interface on one packet.
type SGResult struct {
	Decision  Decision
	Interface string
	Groups    []string // the interface's groups, in API order
	Missing   []string // groups of the interface that were not loaded
	Allowing  []SGRule // rules that certainly allow the packet
	Possible  []SGRule // rules that might allow it (prefix lists, ICMP types, unknown members)
	// Rule is the deciding rule text: the first allowing rule, the first possible rule
	// when Unknown, or "sg-a,sg-b: no inbound rule allows tcp/22 from 203.0.113.7".
	Rule string
	// Reason is a clause a person can read: why this decision, what is missing.
	Reason string
}

// SGAllows evaluates the security groups of interface eni on packet p crossing it in
// direction dir, by rules only (no connection tracking: see Evaluate for that). The
// groups are unioned: one allowing rule in any group is enough. Inbound rules check the
// packet's source, outbound rules its destination.
//
// The answer is Unknown when the interface was not loaded, when no loaded rule allows
// the packet but a group of the interface is missing, or when a rule might allow it
// (prefix list, ICMP type, group member not loaded). An interface that was loaded with
// no groups at all (NAT gateways, transit gateway attachments, GWLB endpoints) is not
// filtered by security groups, so everything is allowed.
func (s *Set) SGAllows(eni string, p Packet, dir Direction) SGResult {
	s = s.orEmpty()
	res := SGResult{Interface: eni}
	ifc, ok := s.interfaces[eni]
	if !ok {
		res.Reason = fmt.Sprintf("interface %s is not in the loaded describe-network-interfaces output, so its security groups are unknown", eni)
		return res
	}
	res.Groups = ifc.Groups
	if len(ifc.Groups) == 0 {
		res.Decision = Allowed
		res.Rule = eni + ": no security groups"
		res.Reason = fmt.Sprintf("interface %s (%s) has no security groups, so none filter it", eni, ifc.Type)
		return res
	}
	remote := p.remote(dir)
	var why string
	for _, id := range ifc.Groups {
		g, ok := s.groups[id]
		if !ok {
			res.Missing = append(res.Missing, id)
			continue
		}
		rules := g.Inbound
		if dir == Outbound {
			rules = g.Outbound
		}
		for _, r := range rules {
			switch m, w := s.matchSGRule(r, p); m {
			case matches:
				res.Allowing = append(res.Allowing, r)
			case mayMatch:
				res.Possible = append(res.Possible, r)
				if why == "" {
					why = w
				}
			}
		}
	}
	switch {
	case len(res.Allowing) > 0:
		res.Decision = Allowed
		res.Rule = res.Allowing[0].String()
		res.Reason = "allowed by " + res.Rule
	case len(res.Possible) > 0:
		res.Rule = res.Possible[0].String()
		res.Reason = fmt.Sprintf("%s might allow it: %s", res.Rule, why)
		if len(res.Missing) > 0 {
			res.Reason += fmt.Sprintf("; %s of %s %s not loaded either", strings.Join(res.Missing, ", "), eni,
				plural(len(res.Missing), "is", "are"))
		}
	case len(res.Missing) > 0:
		res.Rule = strings.Join(res.Missing, ",") + ": not loaded"
		res.Reason = fmt.Sprintf("no loaded rule allows it, but %s of %s %s not loaded", strings.Join(res.Missing, ", "), eni,
			plural(len(res.Missing), "is", "are"))
	default:
		res.Decision = Denied
		res.Rule = fmt.Sprintf("%s: no %s rule allows %s %s %s", strings.Join(ifc.Groups, ","), dir,
			packetService(p), fromTo(dir), addrText(remote))
		res.Reason = fmt.Sprintf("no %s rule of %s allows %s %s %s", dir, strings.Join(ifc.Groups, ", "),
			packetService(p), fromTo(dir), addrText(remote))
	}
	return res
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func fromTo(dir Direction) string {
	if dir == Outbound {
		return "to"
	}
	return "from"
}

func addrText(a netip.Addr) string {
	if !a.IsValid() {
		return "an unknown address"
	}
	return a.String()
}

// packetService names what a rule must allow: "tcp/22", "udp/53", "icmp", "proto 47".
func packetService(p Packet) string {
	name := ProtocolName(p.Protocol)
	if p.Protocol == ProtoTCP || p.Protocol == ProtoUDP {
		return name + "/" + strconv.Itoa(int(p.DstPort))
	}
	return name
}

// Tracking says whether the security groups track a flow's connection.
type Tracking uint8

const (
	TrackingUnknown Tracking = iota
	Tracked
	Untracked
)

func (t Tracking) String() string {
	switch t {
	case Tracked:
		return "tracked"
	case Untracked:
		return "untracked"
	}
	return "unknown"
}

// Tracking decides whether the SGs of eni track the connection that request opens
// when it crosses the interface in direction dir. AWS's rule (EC2 guide, "Security
// group connection tracking", untracked connections): a TCP or UDP flow is untracked
// when a rule allows it from/to all addresses (0.0.0.0/0 for IPv4, ::/0 for IPv6) and
// a rule in the other direction allows all addresses on all ports (0-65535) for the
// reply. The request's rule need not cover all ports (AWS's example: TCP 80 from
// 0.0.0.0/0 with all outbound traffic allowed is untracked). ICMP is always tracked,
// and so is every other protocol (the guide names TCP and UDP only). AWS also tracks
// some paths automatically whatever the rules (NLB, NAT gateway, GWLB, PrivateLink,
// transit gateway...); flow logs and these files do not show the path, so Untracked
// can be wrong there: it only changes which rule lets the reply through, never the
// verdict, since the all-ports rule that makes a flow untracked also allows its reply.
func (s *Set) Tracking(eni string, request Packet, dir Direction) Tracking {
	s = s.orEmpty()
	if request.Protocol != ProtoTCP && request.Protocol != ProtoUDP {
		return Tracked
	}
	ifc, ok := s.interfaces[eni]
	if !ok {
		return TrackingUnknown
	}
	reply := Packet{Protocol: request.Protocol, Src: request.Dst, Dst: request.Src, SrcPort: request.DstPort, DstPort: request.SrcPort}
	everyone := netip.MustParsePrefix("0.0.0.0/0")
	if request.remote(dir).Is6() {
		everyone = netip.MustParsePrefix("::/0")
	}
	requestOpen, replyOpen, missing := false, false, false
	for _, id := range ifc.Groups {
		g, ok := s.groups[id]
		if !ok {
			missing = true
			continue
		}
		in, out := g.Inbound, g.Outbound
		if dir == Outbound {
			in, out = out, in
		}
		for _, r := range in {
			if r.Peer == PeerCIDR && r.CIDR == everyone {
				if m, _ := s.matchSGRule(r, request); m == matches {
					requestOpen = true
				}
			}
		}
		for _, r := range out {
			if r.Peer == PeerCIDR && r.CIDR == everyone && r.Protocol.Matches(reply.Protocol) &&
				(r.Protocol == AllProtocols || (r.FromPort <= 0 && r.ToPort >= 65535)) {
				replyOpen = true
			}
		}
	}
	switch {
	case requestOpen && replyOpen:
		return Untracked
	case missing:
		// A group we have not seen might hold the missing open rule.
		return TrackingUnknown
	}
	return Tracked
}
