package sim

import (
	"fmt"
	"hash/fnv"
	"net/netip"
	"time"

	"github.com/flowlens/flowlens/model"
)

// IANA protocol numbers the simulator speaks. They are untyped so that they serve both
// as a Conversation's Protocol and as a rule's.
const (
	ICMP   = 1
	TCP    = 6
	UDP    = 17
	ICMPv6 = 58
)

// AllProtocols is a rule's protocol when it applies to every protocol (the API's "-1").
const AllProtocols = -1

// Defaults of a new topology.
const (
	DefaultAccount = "123456789012"
	DefaultRegion  = "us-east-1"
	DefaultWindow  = 60 * time.Second
)

// Topology is one VPC: its subnets, network ACLs, security groups and network
// interfaces, and the hosts outside it that talk to them. Build it with NewTopology and
// the Add methods; the fields are exported so that a test can adjust anything before it
// runs traffic.
type Topology struct {
	Account string
	Region  string
	VPC     VPC
	// Window is the aggregation interval of the flow log: one record per 5-tuple,
	// interface, direction and action per window.
	Window time.Duration

	Subnets    []*Subnet
	NACLs      []*NACL
	Groups     []*SecurityGroup
	Interfaces []*Interface
	Hosts      []*Host

	// DefaultNACL is the VPC's default network ACL (allow everything), which a subnet
	// gets unless AddSubnet is given another.
	DefaultNACL *NACL

	ids    map[string]int // per kind and name, to keep generated IDs unique
	byAddr map[netip.Addr]*Interface
	nextID int // counts Converse's conversations, for their IDs
}

// VPC is the network the topology lives in.
type VPC struct {
	ID   string
	CIDR netip.Prefix
	IPv6 netip.Prefix // zero when the VPC has no IPv6 block
}

// NewTopology makes an empty VPC with the given IPv4 CIDR and, if ipv6 is not "", an
// IPv6 block; it holds only the default network ACL, which allows everything.
func NewTopology(cidr, ipv6 string) *Topology {
	t := &Topology{Account: DefaultAccount, Region: DefaultRegion, Window: DefaultWindow, ids: map[string]int{}}
	t.VPC.CIDR = netip.MustParsePrefix(cidr).Masked()
	if ipv6 != "" {
		t.VPC.IPv6 = netip.MustParsePrefix(ipv6).Masked()
	}
	t.VPC.ID = t.id("vpc", cidr)
	t.DefaultNACL = t.AddNACL("default")
	t.DefaultNACL.Default = true
	t.DefaultNACL.AllowAll()
	return t
}

// id makes an AWS-shaped ID (prefix-0 and 16 hex digits) from the VPC, kind and name,
// so that the same topology built twice has the same IDs.
func (t *Topology) id(prefix, name string) string {
	key := prefix + "/" + name
	n := t.ids[key]
	t.ids[key] = n + 1
	h := fnv.New64a()
	fmt.Fprintf(h, "%s/%s/%s/%d", t.VPC.CIDR, prefix, name, n)
	return fmt.Sprintf("%s-0%016x", prefix, h.Sum64())
}

// Subnet is one subnet; it has exactly one network ACL.
type Subnet struct {
	ID, Name string
	CIDR     netip.Prefix
	IPv6     netip.Prefix // zero when the subnet has no IPv6 block
	AZ       string
	NACL     *NACL
	// NAT is the NAT gateway the subnet's route table sends internet traffic to; nil
	// means an internet gateway (a public subnet).
	NAT *Interface

	next, nextV6 netip.Addr
}

// AddSubnet adds a subnet with the given IPv4 CIDR, filtered by acl (nil: the default
// network ACL). It gets an IPv6 /64 when the VPC has IPv6.
func (t *Topology) AddSubnet(name, cidr string, acl *NACL) *Subnet {
	if acl == nil {
		acl = t.DefaultNACL
	}
	s := &Subnet{ID: t.id("subnet", name), Name: name, CIDR: netip.MustParsePrefix(cidr).Masked(), NACL: acl,
		AZ: t.Region + string(rune('a'+len(t.Subnets)%3))}
	if !t.VPC.CIDR.Contains(s.CIDR.Addr()) {
		panic(fmt.Sprintf("sim: subnet %s is outside the VPC %s", cidr, t.VPC.CIDR))
	}
	if t.VPC.IPv6.IsValid() {
		// The n-th subnet gets the n-th /64 of the VPC's block.
		b := t.VPC.IPv6.Addr().As16()
		b[7] = byte(len(t.Subnets))
		s.IPv6 = netip.PrefixFrom(netip.AddrFrom16(b), 64)
	}
	t.Subnets = append(t.Subnets, s)
	return s
}

// nextAddr hands out the subnet's addresses from .10 upwards (AWS reserves the first four).
func (s *Subnet) nextAddr() netip.Addr {
	if !s.next.IsValid() {
		s.next = s.CIDR.Addr()
		for range 10 {
			s.next = s.next.Next()
		}
	}
	a := s.next
	s.next = s.next.Next()
	if !s.CIDR.Contains(s.next) {
		panic(fmt.Sprintf("sim: subnet %s is full", s.CIDR))
	}
	return a
}

func (s *Subnet) nextAddrV6() netip.Addr {
	if !s.IPv6.IsValid() {
		panic(fmt.Sprintf("sim: subnet %s has no IPv6 block", s.Name))
	}
	if !s.nextV6.IsValid() {
		b := s.IPv6.Addr().As16()
		b[14], b[15] = 0x10, 0x00
		s.nextV6 = netip.AddrFrom16(b)
	}
	a := s.nextV6
	s.nextV6 = s.nextV6.Next()
	return a
}

// OS decides an endpoint's ephemeral port range.
type OS uint8

const (
	Linux        OS = iota // 32768-60999
	Windows                // 49152-65535
	OldWindows             // 1025-5000 (Windows XP and Server 2003)
	NATGateway             // 1024-65535
	LoadBalancer           // 1024-65535 (ELB; Lambda too)
)

// EphemeralRange is the range the OS picks client ports from.
func (o OS) EphemeralRange() (lo, hi uint16) {
	switch o {
	case Windows:
		return 49152, 65535
	case OldWindows:
		return 1025, 5000
	case NATGateway, LoadBalancer:
		return 1024, 65535
	}
	return 32768, 60999
}

func (o OS) String() string {
	switch o {
	case Windows:
		return "windows"
	case OldWindows:
		return "old-windows"
	case NATGateway:
		return "nat-gateway"
	case LoadBalancer:
		return "load-balancer"
	}
	return "linux"
}

// ports hands out an endpoint's ephemeral ports. It strides through the range, which
// looks like the spread of a busy host's ports and repeats none before the range is
// used up; the first port depends on the endpoint's name.
type ports struct {
	cur uint16
}

func (p *ports) next(os OS, seed string) uint16 {
	lo, hi := os.EphemeralRange()
	span := uint32(hi-lo) + 1
	if p.cur < lo || p.cur > hi {
		h := fnv.New32a()
		h.Write([]byte(seed))
		p.cur = lo + uint16(h.Sum32()%span)
	}
	port := p.cur
	const step = 7919 // a prime, so coprime to every span: the stride visits every port
	p.cur = lo + uint16((uint32(p.cur-lo)+step)%span)
	return port
}

// Interface is one network interface (ENI). Flow logs show its side of a conversation
// as its primary private IPv4 (IPv6 traffic: the packet's address).
type Interface struct {
	ID, Name  string
	Subnet    *Subnet
	IP        netip.Addr   // primary private IPv4
	Secondary []netip.Addr // secondary private IPv4 addresses (pods, extra services)
	IPv6      []netip.Addr
	PublicIP  netip.Addr // the Elastic IP, shown in describe-network-interfaces only
	Groups    []*SecurityGroup
	Instance  string // i-...; "" for interfaces AWS manages (NAT gateway, load balancer)
	OS        OS
	Type      string // InterfaceType: interface, nat_gateway, ...
	// Description is what describe-network-interfaces shows; managed interfaces carry
	// their owner there ("Interface for NAT Gateway nat-...").
	Description string

	ports ports
	syms  interfaceSyms
	idx   int      // position in Topology.Interfaces
	ip16  [16]byte // IP as records store it
}

// AddInterface adds an instance's primary interface with the next free address of the
// subnet.
func (t *Topology) AddInterface(name string, subnet *Subnet, os OS, groups ...*SecurityGroup) *Interface {
	ifc := &Interface{ID: t.id("eni", name), Name: name, Subnet: subnet, IP: subnet.nextAddr(), Groups: groups,
		Instance: t.id("i", name), OS: os, Type: "interface"}
	t.Interfaces = append(t.Interfaces, ifc)
	t.byAddr = nil
	return ifc
}

// AddNATGateway adds a NAT gateway's interface: no security groups, no instance, ports
// 1024-65535. Private subnets send internet traffic through it when their NAT is set.
func (t *Topology) AddNATGateway(name string, subnet *Subnet, publicIP string) *Interface {
	ifc := t.AddInterface(name, subnet, NATGateway)
	ifc.Instance = ""
	ifc.Type = "nat_gateway"
	ifc.Description = "Interface for NAT Gateway " + t.id("nat", name)
	if publicIP != "" {
		ifc.PublicIP = netip.MustParseAddr(publicIP)
	}
	return ifc
}

// AddSecondaryIP gives the interface another private IPv4 address of its subnet and
// returns it.
func (i *Interface) AddSecondaryIP() netip.Addr {
	a := i.Subnet.nextAddr()
	i.Secondary = append(i.Secondary, a)
	return a
}

// AddIPv6 gives the interface an address of its subnet's IPv6 block and returns it.
func (i *Interface) AddIPv6() netip.Addr {
	a := i.Subnet.nextAddrV6()
	i.IPv6 = append(i.IPv6, a)
	return a
}

// Addrs lists every private address of the interface, primary first.
func (i *Interface) Addrs() []netip.Addr {
	out := append([]netip.Addr{i.IP}, i.Secondary...)
	return append(out, i.IPv6...)
}

// Member reports whether the interface is in the security group.
func (i *Interface) Member(g *SecurityGroup) bool {
	for _, x := range i.Groups {
		if x == g {
			return true
		}
	}
	return false
}

// Host is a machine outside the VPC, on the internet.
type Host struct {
	Name string
	IP   netip.Addr
	IPv6 netip.Addr
	OS   OS
	// Service is the AWS service the address belongs to (S3, DYNAMODB, ...), written to
	// pkt-src-aws-service and pkt-dst-aws-service; "" for anything else.
	Service string

	ports ports
	svc   model.Sym // Service, interned
}

// AddHost adds a host outside the VPC; ipv6 may be "".
func (t *Topology) AddHost(name, ip, ipv6 string, os OS) *Host {
	h := &Host{Name: name, IP: netip.MustParseAddr(ip), OS: os}
	if ipv6 != "" {
		h.IPv6 = netip.MustParseAddr(ipv6)
	}
	if t.VPC.CIDR.Contains(h.IP) {
		panic(fmt.Sprintf("sim: host %s (%s) is inside the VPC", name, ip))
	}
	t.Hosts = append(t.Hosts, h)
	return h
}

// Endpoint is one end of a conversation: an *Interface, a *Host, or an interface
// reached at one of its other addresses (Interface.At).
type Endpoint interface {
	endpoint() endpointRef
}

type endpointRef struct {
	ifc  *Interface
	host *Host
	addr netip.Addr // a specific address; zero for the default one
}

func (i *Interface) endpoint() endpointRef  { return endpointRef{ifc: i} }
func (h *Host) endpoint() endpointRef       { return endpointRef{host: h} }
func (e endpointRef) endpoint() endpointRef { return e }

// At is the interface reached at one of its addresses other than the primary (a
// secondary IPv4 or an IPv6 address): the packets carry that address, and the
// interface's own records show its primary IPv4 instead, with the packet address in
// pkt-srcaddr or pkt-dstaddr.
func (i *Interface) At(addr netip.Addr) Endpoint {
	for _, a := range i.Addrs() {
		if a == addr {
			return endpointRef{ifc: i, addr: addr}
		}
	}
	panic(fmt.Sprintf("sim: %s is not an address of %s", addr, i.Name))
}

// address is the packet address of an endpoint in the given family.
func (e endpointRef) address(v6 bool) netip.Addr {
	if e.addr.IsValid() {
		return e.addr
	}
	switch {
	case e.ifc != nil && v6:
		if len(e.ifc.IPv6) == 0 {
			panic(fmt.Sprintf("sim: %s has no IPv6 address", e.ifc.Name))
		}
		return e.ifc.IPv6[0]
	case e.ifc != nil:
		return e.ifc.IP
	case v6:
		if !e.host.IPv6.IsValid() {
			panic(fmt.Sprintf("sim: host %s has no IPv6 address", e.host.Name))
		}
		return e.host.IPv6
	}
	return e.host.IP
}

func (e endpointRef) name() string {
	if e.ifc != nil {
		return e.ifc.Name
	}
	return e.host.Name
}

func (e endpointRef) os() OS {
	if e.ifc != nil {
		return e.ifc.OS
	}
	return e.host.OS
}

func (e endpointRef) ports() *ports {
	if e.ifc != nil {
		return &e.ifc.ports
	}
	return &e.host.ports
}

// index maps every private address to its interface; rebuilt when interfaces change.
func (t *Topology) index() {
	t.byAddr = make(map[netip.Addr]*Interface, len(t.Interfaces)*2)
	for i, ifc := range t.Interfaces {
		ifc.idx = i
		ifc.ip16 = ifc.IP.As16()
		for _, a := range ifc.Addrs() {
			t.byAddr[a] = ifc
		}
		ifc.syms = interfaceSyms{id: model.Intern(ifc.ID), subnet: model.Intern(ifc.Subnet.ID),
			instance: model.Intern(ifc.Instance), vpc: model.Intern(t.VPC.ID)}
	}
	for _, h := range t.Hosts {
		h.svc = model.Intern(h.Service)
	}
}

// interfaceSyms are an interface's identifiers as records carry them.
type interfaceSyms struct {
	id, subnet, instance, vpc model.Sym
}

// resetPorts puts every endpoint's ephemeral port counter back to its start, so that
// a run repeats exactly.
func (t *Topology) resetPorts() {
	for _, i := range t.Interfaces {
		i.ports = ports{}
	}
	for _, h := range t.Hosts {
		h.ports = ports{}
	}
}

// Interface returns the interface with the given name or ID, or nil.
func (t *Topology) Interface(nameOrID string) *Interface {
	for _, i := range t.Interfaces {
		if i.Name == nameOrID || i.ID == nameOrID {
			return i
		}
	}
	return nil
}

// Group returns the security group with the given name or ID, or nil.
func (t *Topology) Group(nameOrID string) *SecurityGroup {
	for _, g := range t.Groups {
		if g.Name == nameOrID || g.ID == nameOrID {
			return g
		}
	}
	return nil
}

// NACL returns the network ACL with the given name or ID, or nil.
func (t *Topology) NACL(nameOrID string) *NACL {
	for _, n := range t.NACLs {
		if n.Name == nameOrID || n.ID == nameOrID {
			return n
		}
	}
	return nil
}
