package rules

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Action is what a network-ACL entry does with the packets it matches.
type Action uint8

const (
	Deny Action = iota
	Allow
)

func (a Action) String() string {
	if a == Allow {
		return "allow"
	}
	return "deny"
}

// verb is the action in a sentence: "allows", "denies".
func (a Action) verb() string {
	if a == Allow {
		return "allows"
	}
	return "denies"
}

func (a Action) decision() Decision {
	if a == Allow {
		return Allowed
	}
	return Denied
}

// The numbers the API gives the final "*" rule of each address family.
const (
	FinalRuleIPv4 = 32767
	FinalRuleIPv6 = 32768
)

// NACLEntry is one numbered network-ACL rule.
type NACLEntry struct {
	Number    int
	Direction Direction // Inbound for ingress entries, Outbound for egress (the API's Egress flag)
	Action    Action
	Protocol  Protocol
	CIDR      netip.Prefix // CidrBlock or Ipv6CidrBlock: the remote side of the packet
	// FromPort and ToPort bound the destination port for TCP and UDP entries
	// (0-65535 when the API gives no PortRange). Other protocols ignore them.
	FromPort, ToPort int
	// ICMPType and ICMPCode restrict ICMP and ICMPv6 entries; -1 means any.
	ICMPType, ICMPCode int
	// Implied marks the final "*" deny that flowlens added because the file lacked it:
	// AWS applies it whether or not a dump shows it.
	Implied bool
}

// String describes the entry for a list of neighbouring rules:
// "#100 allow tcp 1024-65535 0.0.0.0/0", "#32767 deny all 0.0.0.0/0 (*)".
func (e NACLEntry) String() string {
	var b strings.Builder
	b.WriteString("#" + strconv.Itoa(e.Number) + " " + e.Action.String() + " " + e.Protocol.String())
	switch {
	case e.Protocol.hasPorts():
		b.WriteString(" " + portRange(e.FromPort, e.ToPort))
	case e.Protocol.isICMP():
		b.WriteString(icmpText(e.ICMPType, e.ICMPCode))
	}
	b.WriteString(" " + e.CIDR.String())
	if e.isFinal() {
		b.WriteString(" (*)")
	}
	return b.String()
}

func (e NACLEntry) isFinal() bool { return e.Number == FinalRuleIPv4 || e.Number == FinalRuleIPv6 }

// match decides whether the entry applies to p. Network ACLs match the packet's
// destination port, whichever side opened the connection (they are stateless), and
// the remote address: the source inbound, the destination outbound.
func (e NACLEntry) match(p Packet) (match, string) {
	if !e.Protocol.Matches(p.Protocol) || !e.CIDR.Contains(p.remote(e.Direction)) {
		return noMatch, ""
	}
	switch {
	case e.Protocol.hasPorts():
		if int(p.DstPort) < e.FromPort || int(p.DstPort) > e.ToPort {
			return noMatch, ""
		}
	case e.Protocol.isICMP() && e.ICMPType >= 0:
		return mayMatch, "flow logs do not record ICMP types"
	}
	return matches, ""
}

// NACLResult is the verdict of one network ACL on one packet.
type NACLResult struct {
	Decision Decision
	Subnet   string
	ACL      string
	// AssumedDefault: the subnet had no association in the loaded ACLs, so the VPC's
	// default ACL was used.
	AssumedDefault bool
	// Entries lists the ACL's entries for the packet's direction in evaluation order,
	// the final "*" rule included, for displaying the decision among its neighbours.
	Entries []NACLEntry
	// Deciding indexes Entries: the entry that decided, or -1 when Unknown.
	Deciding int
	// Possible indexes the entries before Deciding that might have matched first
	// (ICMP type rules): they did not change the decision, or it would be Unknown.
	Possible []int
	// Rule is the deciding rule text: "acl-0abc egress #32767".
	Rule   string
	Reason string
}

// Neighbours returns up to n entries either side of the deciding one, and the
// deciding entry's index in the returned slice (-1 when there is none).
func (r NACLResult) Neighbours(n int) ([]NACLEntry, int) {
	if r.Deciding < 0 || r.Deciding >= len(r.Entries) {
		return nil, -1
	}
	lo, hi := max(0, r.Deciding-n), min(len(r.Entries), r.Deciding+n+1)
	return r.Entries[lo:hi], r.Deciding - lo
}

// NACLAllows evaluates the network ACL of subnet on packet p crossing the subnet edge
// in direction dir: the entries of that direction by rule number, first match wins,
// the final "*" deny (#32767 for IPv4, #32768 for IPv6) when nothing else matches,
// even if the file does not show it. It does not ask whether the packet crosses the
// subnet edge at all: Evaluate does.
//
// An entry that might match (an ICMP type rule: flow logs do not carry the type) makes
// the result Unknown unless every outcome it could lead to is the same.
func (s *Set) NACLAllows(subnet string, p Packet, dir Direction) NACLResult {
	s = s.orEmpty()
	res := NACLResult{Subnet: subnet, Deciding: -1}
	if subnet == "" {
		res.Reason = "the subnet is unknown, so its network ACL is unknown"
		return res
	}
	acl, assumed, ok := s.ACLForSubnet(subnet)
	if !ok {
		res.Reason = fmt.Sprintf("no loaded network ACL is associated with %s", subnet)
		return res
	}
	res.ACL, res.AssumedDefault = acl.ID, assumed
	remote := p.remote(dir)
	if !remote.IsValid() {
		res.Reason = "the remote address is unknown"
		return res
	}
	res.Entries = withFinalRule(acl.entries(dir), dir, remote.Is6())

	var maybe []int
	var why string
	for i, e := range res.Entries {
		m, w := e.match(p)
		if m == mayMatch {
			maybe = append(maybe, i)
			if why == "" {
				why = w
			}
			continue
		}
		if m == noMatch {
			continue
		}
		res.Rule = aclRuleText(acl, dir, e.Number)
		for _, j := range maybe {
			if res.Entries[j].Action != e.Action {
				// An earlier entry with the other action might have matched first.
				res.Rule = aclRuleText(acl, dir, res.Entries[j].Number)
				res.Reason = fmt.Sprintf("%s (%s) might match before #%d (%s): %s", res.Rule,
					res.Entries[j].Action, e.Number, e.Action, why)
				res.Possible = maybe
				return res
			}
		}
		res.Decision, res.Deciding, res.Possible = e.Action.decision(), i, maybe
		res.Reason = aclReason(res, e, p, dir)
		if len(maybe) > 0 {
			res.Reason += fmt.Sprintf(" (#%d might have matched first, with the same effect: %s)", res.Entries[maybe[0]].Number, why)
		}
		return res
	}
	// Unreachable: the final rule matches every packet of its family.
	res.Reason = "no entry matched"
	return res
}

// withFinalRule returns the entries of one direction followed by the final "*" deny
// of the packet's family if the dump lacks it, so that every evaluation ends on an
// entry that can be shown.
func withFinalRule(entries []NACLEntry, dir Direction, v6 bool) []NACLEntry {
	num, cidr := FinalRuleIPv4, netip.MustParsePrefix("0.0.0.0/0")
	if v6 {
		num, cidr = FinalRuleIPv6, netip.MustParsePrefix("::/0")
	}
	for _, e := range entries {
		if e.Number == num {
			return entries
		}
	}
	out := make([]NACLEntry, len(entries), len(entries)+1)
	copy(out, entries)
	return append(out, NACLEntry{Number: num, Direction: dir, Action: Deny, Protocol: AllProtocols,
		CIDR: cidr, ICMPType: -1, ICMPCode: -1, Implied: true})
}

func aclRuleText(acl *NetworkACL, dir Direction, number int) string {
	return acl.ID + " " + dir.aclWord() + " #" + strconv.Itoa(number)
}

func aclReason(res NACLResult, e NACLEntry, p Packet, dir Direction) string {
	what := fmt.Sprintf("%s %s %s", packetService(p), fromTo(dir), p.remote(dir))
	var b strings.Builder
	if e.isFinal() {
		fmt.Fprintf(&b, "no %s rule of %s allows %s, so the final * rule (#%d) denies it", dir.aclWord(), res.ACL, what, e.Number)
	} else {
		fmt.Fprintf(&b, "%s rule #%d of %s %s %s", dir.aclWord(), e.Number, res.ACL, e.Action.verb(), what)
	}
	if res.AssumedDefault {
		fmt.Fprintf(&b, " (%s has no association in the loaded ACLs; assumed the VPC default %s)", res.Subnet, res.ACL)
	}
	return b.String()
}
