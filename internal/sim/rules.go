package sim

import (
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// SecurityGroup is a set of allow rules; an interface's groups are unioned.
type SecurityGroup struct {
	ID, Name, Description string
	Inbound, Outbound     []SGRule
}

// SGRule allows one protocol and port range from (inbound) or to (outbound) a CIDR or
// the members of another group.
type SGRule struct {
	Protocol int // IANA number, or AllProtocols
	// FromPort and ToPort bound the destination port for TCP and UDP; other protocols
	// ignore them (ICMP rules cover every type and code).
	FromPort, ToPort int
	CIDR             netip.Prefix   // the peer, unless Group is set
	Group            *SecurityGroup // the peer: the private addresses of the group's members
	Description      string
}

// AddSecurityGroup adds a group the way AWS creates one: no inbound rules and one
// outbound rule that allows everything (to ::/0 as well when the VPC has IPv6).
func (t *Topology) AddSecurityGroup(name string) *SecurityGroup {
	g := &SecurityGroup{ID: t.id("sg", name), Name: name, Description: name + " security group"}
	g.AllowOut(AllProtocols, 0, 0, "0.0.0.0/0")
	if t.VPC.IPv6.IsValid() {
		g.AllowOut(AllProtocols, 0, 0, "::/0")
	}
	t.Groups = append(t.Groups, g)
	return g
}

// AllowIn adds an inbound rule from a CIDR. For AllProtocols and ICMP the ports are
// ignored.
func (g *SecurityGroup) AllowIn(proto, from, to int, cidr string) *SecurityGroup {
	g.Inbound = append(g.Inbound, newSGRule(proto, from, to, cidr))
	return g
}

// AllowInFrom adds an inbound rule from the members of another group.
func (g *SecurityGroup) AllowInFrom(proto, from, to int, peer *SecurityGroup) *SecurityGroup {
	r := newSGRule(proto, from, to, "")
	r.Group = peer
	g.Inbound = append(g.Inbound, r)
	return g
}

// AllowOut adds an outbound rule to a CIDR.
func (g *SecurityGroup) AllowOut(proto, from, to int, cidr string) *SecurityGroup {
	g.Outbound = append(g.Outbound, newSGRule(proto, from, to, cidr))
	return g
}

// AllowOutTo adds an outbound rule to the members of another group.
func (g *SecurityGroup) AllowOutTo(proto, from, to int, peer *SecurityGroup) *SecurityGroup {
	r := newSGRule(proto, from, to, "")
	r.Group = peer
	g.Outbound = append(g.Outbound, r)
	return g
}

// RevokeOutbound removes every outbound rule, the default allow-all included.
func (g *SecurityGroup) RevokeOutbound() *SecurityGroup {
	g.Outbound = nil
	return g
}

func newSGRule(proto, from, to int, cidr string) SGRule {
	r := SGRule{Protocol: proto, FromPort: from, ToPort: to}
	if !hasPorts(proto) {
		r.FromPort, r.ToPort = -1, -1
	}
	if cidr != "" {
		r.CIDR = netip.MustParsePrefix(cidr).Masked()
	}
	return r
}

// hasPorts reports whether a rule's port range means something: only for TCP and UDP.
func hasPorts(proto int) bool { return proto == TCP || proto == UDP }

// RuleAction is what a network-ACL entry does with the packets it matches.
type RuleAction uint8

const (
	Deny RuleAction = iota
	Allow
)

func (a RuleAction) String() string {
	if a == Allow {
		return "allow"
	}
	return "deny"
}

// NACL is a network ACL: numbered entries per direction, evaluated lowest number first,
// first match wins; the final `*` entries that deny everything are implied (and
// exported as #32767 and, with IPv6, #32768).
type NACL struct {
	ID, Name string
	Default  bool // the VPC's default ACL
	Entries  []NACLEntry

	v6 bool // the VPC has IPv6, so AllowAll covers it too
}

// NACLEntry is one numbered rule of a network ACL.
type NACLEntry struct {
	Number int
	Egress bool
	Action RuleAction
	// Protocol is an IANA number or AllProtocols; FromPort and ToPort bound the
	// destination port for TCP and UDP.
	Protocol         int
	FromPort, ToPort int
	CIDR             netip.Prefix // the remote address: the source inbound, the destination outbound
}

// The numbers of the final "*" rules.
const (
	FinalRuleIPv4 = 32767
	FinalRuleIPv6 = 32768
)

// AddNACL adds a network ACL with no entries but the final denies.
func (t *Topology) AddNACL(name string) *NACL {
	n := &NACL{ID: t.id("acl", name), Name: name, v6: t.VPC.IPv6.IsValid()}
	t.NACLs = append(t.NACLs, n)
	return n
}

// In adds an ingress entry; ports are ignored unless proto is TCP or UDP.
func (n *NACL) In(number int, action RuleAction, proto, from, to int, cidr string) *NACL {
	return n.add(number, false, action, proto, from, to, cidr)
}

// Out adds an egress entry.
func (n *NACL) Out(number int, action RuleAction, proto, from, to int, cidr string) *NACL {
	return n.add(number, true, action, proto, from, to, cidr)
}

func (n *NACL) add(number int, egress bool, action RuleAction, proto, from, to int, cidr string) *NACL {
	if number < 1 || number > 32766 {
		panic("sim: network ACL rule numbers run from 1 to 32766")
	}
	if !hasPorts(proto) {
		from, to = 0, 0
	}
	e := NACLEntry{Number: number, Egress: egress, Action: action, Protocol: proto, FromPort: from, ToPort: to,
		CIDR: netip.MustParsePrefix(cidr).Masked()}
	for _, x := range n.Entries {
		if x.Number == number && x.Egress == egress {
			panic("sim: network ACL rule number used twice in one direction")
		}
	}
	n.Entries = append(n.Entries, e)
	// Keep entries in evaluation order: egress first, then by number, as the API lists them.
	slices.SortStableFunc(n.Entries, func(a, b NACLEntry) int {
		if a.Egress != b.Egress {
			if a.Egress {
				return -1
			}
			return 1
		}
		return a.Number - b.Number
	})
	return n
}

// AllowAll adds the default ACL's entries: #100 allows everything both ways, and #101
// for IPv6 when the VPC has IPv6.
func (n *NACL) AllowAll() *NACL {
	n.In(100, Allow, AllProtocols, 0, 0, "0.0.0.0/0").Out(100, Allow, AllProtocols, 0, 0, "0.0.0.0/0")
	if n.v6 {
		n.In(101, Allow, AllProtocols, 0, 0, "::/0").Out(101, Allow, AllProtocols, 0, 0, "::/0")
	}
	return n
}

// packet is what the filters look at.
type packet struct {
	proto        uint8
	src, dst     netip.Addr
	sport, dport uint16
}

func (p packet) reverse() packet {
	return packet{proto: p.proto, src: p.dst, dst: p.src, sport: p.dport, dport: p.sport}
}

// layer names the filter that dropped a packet.
type layer uint8

const (
	layerNone layer = iota
	layerSG
	layerNACL
)

// decision is one check point's answer on one packet: pass, or which layer dropped it
// and enough to name the rule.
type decision struct {
	pass   bool
	layer  layer
	ifc    *Interface
	egress bool
	number int // the deciding network-ACL entry
	p      packet
}

// rule writes the dropping rule the way flowlens prints it: "acl-0abc egress #32767"
// or "sg-0abc,sg-0def: no inbound rule allows tcp/22 from 203.0.113.7".
func (d decision) rule() string {
	switch d.layer {
	case layerNACL:
		dir := "ingress"
		if d.egress {
			dir = "egress"
		}
		return d.ifc.Subnet.NACL.ID + " " + dir + " #" + strconv.Itoa(d.number)
	case layerSG:
		ids := make([]string, len(d.ifc.Groups))
		for i, g := range d.ifc.Groups {
			ids[i] = g.ID
		}
		dir, fromTo, remote := "inbound", "from", d.p.src
		if d.egress {
			dir, fromTo, remote = "outbound", "to", d.p.dst
		}
		return strings.Join(ids, ",") + ": no " + dir + " rule allows " + service(d.p) + " " + fromTo + " " + remote.String()
	}
	return ""
}

// service names what a rule must allow: "tcp/22", "udp/53", "icmp", "proto 47".
func service(p packet) string {
	switch p.proto {
	case TCP:
		return "tcp/" + strconv.Itoa(int(p.dport))
	case UDP:
		return "udp/" + strconv.Itoa(int(p.dport))
	case ICMP:
		return "icmp"
	case ICMPv6:
		return "icmpv6"
	}
	return "proto " + strconv.Itoa(int(p.proto))
}

// sgAllows reports whether the interface's groups allow a new (untracked-so-far)
// packet: any rule of any group for the direction whose protocol, destination port and
// peer match. An interface without groups (a NAT gateway) is not filtered.
func (t *Topology) sgAllows(ifc *Interface, p packet, egress bool) bool {
	if len(ifc.Groups) == 0 {
		return true
	}
	remote := p.src
	if egress {
		remote = p.dst
	}
	for _, g := range ifc.Groups {
		rules := g.Inbound
		if egress {
			rules = g.Outbound
		}
		for i := range rules {
			if t.sgRuleMatches(&rules[i], p, remote) {
				return true
			}
		}
	}
	return false
}

func (t *Topology) sgRuleMatches(r *SGRule, p packet, remote netip.Addr) bool {
	if r.Protocol != AllProtocols && r.Protocol != int(p.proto) {
		return false
	}
	if hasPorts(r.Protocol) && (int(p.dport) < r.FromPort || int(p.dport) > r.ToPort) {
		return false
	}
	if r.Group != nil {
		member := t.byAddr[remote]
		return member != nil && member.Member(r.Group)
	}
	return r.CIDR.Contains(remote)
}

// naclDecides returns the verdict of an ACL on a packet crossing its subnet's edge and
// the number of the deciding entry.
func naclDecides(n *NACL, p packet, egress bool) (bool, int) {
	remote := p.src
	if egress {
		remote = p.dst
	}
	for i := range n.Entries {
		e := &n.Entries[i]
		if e.Egress != egress || (e.Protocol != AllProtocols && e.Protocol != int(p.proto)) || !e.CIDR.Contains(remote) {
			continue
		}
		if hasPorts(e.Protocol) && (int(p.dport) < e.FromPort || int(p.dport) > e.ToPort) {
			continue
		}
		return e.Action == Allow, e.Number
	}
	if remote.Is6() {
		return false, FinalRuleIPv6
	}
	return false, FinalRuleIPv4
}

// leave is the check of a packet leaving interface ifc: its security groups (requests
// only; a reply of a tracked connection passes them), then its subnet's ACL when the
// packet crosses the subnet edge.
func (t *Topology) leave(ifc *Interface, p packet, request, crossing bool) decision {
	d := decision{pass: true, ifc: ifc, egress: true, p: p}
	if request && !t.sgAllows(ifc, p, true) {
		d.pass, d.layer = false, layerSG
		return d
	}
	if crossing {
		if ok, num := naclDecides(ifc.Subnet.NACL, p, true); !ok {
			d.pass, d.layer, d.number = false, layerNACL, num
		}
	}
	return d
}

// arrive is the check of a packet arriving at interface ifc: the subnet's ACL when the
// packet crosses the subnet edge, then the security groups (requests only).
func (t *Topology) arrive(ifc *Interface, p packet, request, crossing bool) decision {
	d := decision{pass: true, ifc: ifc, p: p}
	if crossing {
		if ok, num := naclDecides(ifc.Subnet.NACL, p, false); !ok {
			d.pass, d.layer, d.number = false, layerNACL, num
			return d
		}
	}
	if request && !t.sgAllows(ifc, p, false) {
		d.pass, d.layer = false, layerSG
	}
	return d
}
