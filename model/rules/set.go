// Package rules owns the rule side of flowlens's verdicts: it loads security groups,
// network ACLs, network interfaces (and, optionally, subnets) from the JSON that
// `aws ec2 describe-*` prints or that json.Marshal makes of the SDK's Describe*Output
// structs, and evaluates a packet or a whole conversation the way AWS does: SGs
// stateful and unioned per interface, NACLs stateless, numbered, first match wins,
// applied only at the subnet edge.
//
// Every answer carries a Decision that may be Unknown: a verdict is only as good as the
// rules loaded, and a guess presented as a fact would send an engineer after the wrong
// layer. Whatever cannot be known from these files (prefix-list contents, ICMP types,
// addresses of interfaces that were not loaded) turns into Unknown with a reason,
// never into a silent allow or deny.
package rules

import (
	"cmp"
	"net/netip"
	"slices"
)

// Direction is the way a packet crosses the interface.
type Direction uint8

const (
	// Inbound packets enter the interface: SG inbound rules, NACL ingress entries.
	Inbound Direction = iota
	// Outbound packets leave the interface: SG outbound rules, NACL egress entries.
	Outbound
)

func (d Direction) String() string {
	if d == Outbound {
		return "outbound"
	}
	return "inbound"
}

// aclWord is the network-ACL name of a direction (the API's Egress flag).
func (d Direction) aclWord() string {
	if d == Outbound {
		return "egress"
	}
	return "ingress"
}

// Reverse is the direction of the reply.
func (d Direction) Reverse() Direction {
	if d == Outbound {
		return Inbound
	}
	return Outbound
}

// Decision is the outcome of evaluating a packet against rules. The zero value is
// Unknown so that a result nobody filled in never claims a verdict.
type Decision uint8

const (
	Unknown Decision = iota
	Allowed
	Denied
)

func (d Decision) String() string {
	switch d {
	case Allowed:
		return "allowed"
	case Denied:
		return "denied"
	}
	return "unknown"
}

// Packet is one direction of a conversation as the flow log shows it. Ports are ignored
// for protocols other than TCP and UDP (flow logs write 0 for ICMP, whose type and code
// they do not record).
type Packet struct {
	Protocol         uint8
	Src, Dst         netip.Addr
	SrcPort, DstPort uint16
}

// remote is the address a rule of the given direction checks: the source of an
// inbound packet, the destination of an outbound one.
func (p Packet) remote(dir Direction) netip.Addr {
	if dir == Outbound {
		return p.Dst.Unmap()
	}
	return p.Src.Unmap()
}

// SecurityGroup is one group with its rules flattened: one SGRule per peer (CIDR,
// prefix list or group) of each permission, in the order the API listed them.
type SecurityGroup struct {
	ID, Name, VpcID, Description string
	Inbound, Outbound            []SGRule
}

// NetworkACL is one ACL with its entries split by direction and sorted by rule number.
type NetworkACL struct {
	ID, VpcID string
	IsDefault bool
	Subnets   []string
	Ingress   []NACLEntry
	Egress    []NACLEntry
}

// entries returns the entries that judge packets of dir.
func (a *NetworkACL) entries(dir Direction) []NACLEntry {
	if dir == Outbound {
		return a.Egress
	}
	return a.Ingress
}

// Interface is one network interface (ENI). PrivateIPs holds every private address,
// IPv4 and IPv6, primary first: SG group references and subnet membership are decided
// by private addresses, and flow logs show the ENI's primary private IPv4.
type Interface struct {
	ID, SubnetID, VpcID string
	Type                string // "interface", "nat_gateway", "vpc_endpoint", ...
	InstanceID          string
	Description         string
	Name                string // the Name tag (TagSet), for display
	PrivateIPs          []netip.Addr
	PublicIPs           []netip.Addr // for display only: SG references never match them
	Groups              []string
}

// Instance is optional data from `aws ec2 describe-instances` (or DescribeInstances
// with --live-rules): what names an instance and where its addresses are. It plays no
// part in verdicts, which are decided by the interfaces; it names hosts for people.
type Instance struct {
	ID, Name        string // Name is the Name tag
	State           string // running, stopped, terminated, ...
	SubnetID, VpcID string
	Interfaces      []string     // ENI ids
	PrivateIPs      []netip.Addr // every private address of every interface, IPv4 and IPv6
	PublicIPs       []netip.Addr
}

// Subnet is optional data from `aws ec2 describe-subnets`: with its CIDRs, an address
// that belongs to no loaded interface can still be placed inside or outside the subnet.
type Subnet struct {
	ID, VpcID string
	CIDRs     []netip.Prefix
}

// Set is everything loaded from rule files. Build it with Load, LoadFiles or Merge;
// once built it is read-only and safe for concurrent use (Merge is the only writer).
type Set struct {
	groups     map[string]*SecurityGroup
	acls       map[string]*NetworkACL
	interfaces map[string]*Interface
	subnets    map[string]*Subnet
	instances  map[string]*Instance
	// groupNames are the names interfaces and instances give the groups they belong
	// to, for groups whose own description was not loaded.
	groupNames map[string]string
	sources    []string

	// Indexes, rebuilt by reindex after every load or merge so that reads never write.
	byAddr        map[netip.Addr]*Interface
	members       map[string]map[netip.Addr]bool // group id -> private IPs of its interfaces
	aclBySubnet   map[string]*NetworkACL
	defaultACL    map[string]*NetworkACL // vpc id -> default ACL
	subnetVPC     map[string]string
	subnetCIDRs   []subnetCIDR
	vpcV6Prefixes []netip.Prefix // /56 of every loaded interface IPv6 address
	// sameHost lists, by primary IPv4 (PrimaryIPv4), the loaded IPv4 addresses that
	// stand for it: what linking the two ends of a connection looks up per pair.
	sameHost map[netip.Addr][]netip.Addr
	// The lists, sorted by id once per load or merge: a large account's 20,000
	// interfaces take milliseconds to sort, and readers ask often.
	sorted struct {
		groups     []*SecurityGroup
		acls       []*NetworkACL
		interfaces []*Interface
		subnets    []*Subnet
		instances  []*Instance
	}
}

type subnetCIDR struct {
	subnet string
	prefix netip.Prefix
}

// emptySet stands in for a nil *Set so that callers without rules (no --rules flag)
// get Unknown answers instead of a panic.
var emptySet = &Set{} // nil maps read as empty

// orEmpty returns s, or an empty set when s is nil.
func (s *Set) orEmpty() *Set {
	if s == nil {
		return emptySet
	}
	return s
}

// NewSet returns an empty set. A nil *Set answers every question with Unknown.
func NewSet() *Set {
	s := &Set{
		groups:     map[string]*SecurityGroup{},
		acls:       map[string]*NetworkACL{},
		interfaces: map[string]*Interface{},
		subnets:    map[string]*Subnet{},
		instances:  map[string]*Instance{},
		groupNames: map[string]string{},
	}
	s.reindex()
	return s
}

// Merge adds other's objects to s. An object whose id is already in s is replaced, so
// the file loaded last wins: a fresher `describe-*` dump overrides an older one.
// Objects are shared, not copied; neither set may be changed afterwards except by Merge.
func (s *Set) Merge(other *Set) {
	if other == nil || other == s {
		return
	}
	if s.groups == nil { // a zero Set
		*s = *NewSet()
	}
	for id, g := range other.groups {
		s.groups[id] = g
	}
	for id, a := range other.acls {
		s.acls[id] = a
	}
	for id, i := range other.interfaces {
		s.interfaces[id] = i
	}
	for id, n := range other.subnets {
		s.subnets[id] = n
	}
	for id, n := range other.instances {
		s.instances[id] = n
	}
	for id, n := range other.groupNames {
		s.groupNames[id] = n
	}
	s.sources = append(s.sources, other.sources...)
	s.reindex()
}

// Sources names the files the set was loaded from, in load order.
func (s *Set) Sources() []string {
	s = s.orEmpty()
	return slices.Clone(s.sources)
}

// Empty reports whether nothing was loaded.
func (s *Set) Empty() bool {
	s = s.orEmpty()
	return len(s.groups) == 0 && len(s.acls) == 0 && len(s.interfaces) == 0 && len(s.subnets) == 0 && len(s.instances) == 0
}

// SecurityGroup returns a loaded group by id.
func (s *Set) SecurityGroup(id string) (*SecurityGroup, bool) {
	s = s.orEmpty()
	g, ok := s.groups[id]
	return g, ok
}

// NetworkACL returns a loaded ACL by id.
func (s *Set) NetworkACL(id string) (*NetworkACL, bool) {
	s = s.orEmpty()
	a, ok := s.acls[id]
	return a, ok
}

// Interface returns a loaded interface by ENI id.
func (s *Set) Interface(id string) (*Interface, bool) {
	s = s.orEmpty()
	i, ok := s.interfaces[id]
	return i, ok
}

// InterfaceByAddr returns the interface owning a private address (IPv4 or IPv6).
func (s *Set) InterfaceByAddr(a netip.Addr) (*Interface, bool) {
	s = s.orEmpty()
	i, ok := s.byAddr[a.Unmap()]
	return i, ok
}

// Instance returns a loaded instance by id.
func (s *Set) Instance(id string) (*Instance, bool) {
	s = s.orEmpty()
	i, ok := s.instances[id]
	return i, ok
}

// Instances lists the loaded instances by id.
func (s *Set) Instances() []*Instance {
	return slices.Clone(s.orEmpty().sorted.instances)
}

// GroupName is a security group's name: the GroupName of the loaded group, or else the
// name an interface or instance that belongs to it gave it; "" when neither is known.
func (s *Set) GroupName(id string) string {
	s = s.orEmpty()
	if g, ok := s.groups[id]; ok && g.Name != "" {
		return g.Name
	}
	return s.groupNames[id]
}

// noteGroupName remembers the name a reference gives a group.
func (s *Set) noteGroupName(id, name string) {
	if id != "" && name != "" {
		s.groupNames[id] = name
	}
}

// Subnet returns a loaded subnet by id.
func (s *Set) Subnet(id string) (*Subnet, bool) {
	s = s.orEmpty()
	n, ok := s.subnets[id]
	return n, ok
}

// SecurityGroups lists the loaded groups by id.
func (s *Set) SecurityGroups() []*SecurityGroup {
	return slices.Clone(s.orEmpty().sorted.groups)
}

// NetworkACLs lists the loaded ACLs by id.
func (s *Set) NetworkACLs() []*NetworkACL {
	return slices.Clone(s.orEmpty().sorted.acls)
}

// Interfaces lists the loaded interfaces by id.
func (s *Set) Interfaces() []*Interface {
	return slices.Clone(s.orEmpty().sorted.interfaces)
}

// Subnets lists the loaded subnets by id.
func (s *Set) Subnets() []*Subnet {
	return slices.Clone(s.orEmpty().sorted.subnets)
}

func sortedValues[T any](m map[string]*T) []*T {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make([]*T, len(keys))
	for i, k := range keys {
		out[i] = m[k]
	}
	return out
}

// ACLForSubnet returns the ACL that filters a subnet. A subnet always has exactly one
// ACL; `describe-network-acls` lists implicit associations with the default ACL too, so
// a subnet missing from every association means the dump was filtered. Then the VPC's
// default ACL is the best answer (it is what AWS uses for a subnet never associated
// explicitly); assumedDefault says so, so that the explanation can.
func (s *Set) ACLForSubnet(subnet string) (acl *NetworkACL, assumedDefault bool, ok bool) {
	s = s.orEmpty()
	if a, found := s.aclBySubnet[subnet]; found {
		return a, false, true
	}
	if vpc, found := s.subnetVPC[subnet]; found {
		if a, found := s.defaultACL[vpc]; found {
			return a, true, true
		}
	}
	return nil, false, false
}

// reindex rebuilds every derived index from the primary maps.
func (s *Set) reindex() {
	s.sorted.groups = sortedValues(s.groups)
	s.sorted.acls = sortedValues(s.acls)
	s.sorted.interfaces = sortedValues(s.interfaces)
	s.sorted.subnets = sortedValues(s.subnets)
	s.sorted.instances = sortedValues(s.instances)
	s.byAddr = map[netip.Addr]*Interface{}
	s.members = map[string]map[netip.Addr]bool{}
	s.aclBySubnet = map[string]*NetworkACL{}
	s.defaultACL = map[string]*NetworkACL{}
	s.subnetVPC = map[string]string{}
	s.subnetCIDRs = nil
	s.vpcV6Prefixes = nil

	// Iterate in id order so that conflicts (two interfaces claiming one address, two
	// ACLs claiming one subnet) resolve the same way on every run.
	for _, ifc := range s.Interfaces() {
		for _, a := range ifc.PrivateIPs {
			s.byAddr[a] = ifc
			if a.Is6() {
				p, _ := a.Prefix(56)
				if !slices.Contains(s.vpcV6Prefixes, p) {
					s.vpcV6Prefixes = append(s.vpcV6Prefixes, p)
				}
			}
		}
		for _, g := range ifc.Groups {
			if s.members[g] == nil {
				s.members[g] = map[netip.Addr]bool{}
			}
			for _, a := range ifc.PrivateIPs {
				s.members[g][a] = true
			}
		}
		if ifc.SubnetID != "" && ifc.VpcID != "" {
			s.subnetVPC[ifc.SubnetID] = ifc.VpcID
		}
	}
	for _, n := range s.Subnets() {
		if n.VpcID != "" {
			s.subnetVPC[n.ID] = n.VpcID
		}
		for _, p := range n.CIDRs {
			s.subnetCIDRs = append(s.subnetCIDRs, subnetCIDR{n.ID, p})
		}
	}
	for _, a := range s.NetworkACLs() {
		for _, sub := range a.Subnets {
			s.aclBySubnet[sub] = a
			if a.VpcID != "" {
				if _, known := s.subnetVPC[sub]; !known {
					s.subnetVPC[sub] = a.VpcID
				}
			}
		}
		if a.IsDefault && a.VpcID != "" {
			s.defaultACL[a.VpcID] = a
		}
	}
	slices.SortFunc(s.subnetCIDRs, func(x, y subnetCIDR) int { return cmp.Compare(x.subnet, y.subnet) })
	// After byAddr is whole: an address's primary is that of the interface byAddr
	// gives it, which id order decides when two claim one address.
	s.sameHost = map[netip.Addr][]netip.Addr{}
	for _, ifc := range s.sorted.interfaces {
		for _, a := range ifc.PrivateIPs {
			if a.Is4() {
				p := s.PrimaryIPv4(a)
				if !slices.Contains(s.sameHost[p], a) {
					s.sameHost[p] = append(s.sameHost[p], a)
				}
			}
		}
	}
}

// PrimaryIPv4 is the address that stands for a when the two ends of a connection are
// linked: for an IPv4 address of a loaded interface, the interface's primary private
// IPv4 (the first IPv4 of its private IPs), by which its own records show it; a itself
// otherwise.
func (s *Set) PrimaryIPv4(a netip.Addr) netip.Addr {
	if !a.Is4() {
		return a
	}
	ifc, ok := s.InterfaceByAddr(a)
	if !ok {
		return a
	}
	for _, p := range ifc.PrivateIPs {
		if p.Is4() {
			return p
		}
	}
	return a
}

// SameHost lists the loaded IPv4 addresses whose PrimaryIPv4 is p, in interface id
// order; nil when none. The slice is shared: the caller must not change it.
func (s *Set) SameHost(p netip.Addr) []netip.Addr {
	return s.orEmpty().sameHost[p]
}
