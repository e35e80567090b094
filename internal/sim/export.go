package sim

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
)

// The topology as the AWS CLI prints it: `aws ec2 describe-security-groups`,
// `describe-network-acls`, `describe-network-interfaces` and `describe-subnets`, with
// the field names (PascalCase), shapes and 4-space indentation of the CLI's JSON output.
// flowlens --rules loads these, so a rule engine fed them must reach the verdicts of
// this package's truth.

// The names RulesFiles gives the documents, by the command that prints them.
const (
	SecurityGroupsFile    = "describe-security-groups.json"
	NetworkACLsFile       = "describe-network-acls.json"
	NetworkInterfacesFile = "describe-network-interfaces.json"
	SubnetsFile           = "describe-subnets.json"
)

// RulesJSON returns what describe-security-groups, describe-network-acls and
// describe-network-interfaces would print for the scenario's topology.
func (s *Scenario) RulesJSON() (sgs, nacls, enis []byte) { return s.Topology.RulesJSON() }

// RulesJSON returns what describe-security-groups, describe-network-acls and
// describe-network-interfaces would print for the topology.
func (t *Topology) RulesJSON() (sgs, nacls, enis []byte) {
	return t.SecurityGroupsJSON(), t.NetworkACLsJSON(), t.NetworkInterfacesJSON()
}

// RulesFile is one describe-* document and the file name it is usually saved under.
type RulesFile struct {
	Name string
	Data []byte
}

// RulesFiles returns the four describe-* outputs, named as the *File constants. The
// simulator writes no files itself: `flowlens generate --rules-dir` and the demo's
// generator decide where they go.
func (t *Topology) RulesFiles() []RulesFile {
	return []RulesFile{
		{SecurityGroupsFile, t.SecurityGroupsJSON()},
		{NetworkACLsFile, t.NetworkACLsJSON()},
		{NetworkInterfacesFile, t.NetworkInterfacesJSON()},
		{SubnetsFile, t.SubnetsJSON()},
	}
}

func cliJSON(v any) []byte {
	b, err := json.MarshalIndent(v, "", "    ")
	if err != nil {
		panic("sim: " + err.Error()) // the shapes below always marshal
	}
	return append(b, '\n')
}

type cliTag struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

func nameTags(name string) []cliTag {
	if name == "" {
		return []cliTag{}
	}
	return []cliTag{{"Name", name}}
}

// describe-security-groups

type cliSecurityGroup struct {
	GroupId             string          `json:"GroupId"`
	IpPermissionsEgress []cliPermission `json:"IpPermissionsEgress"`
	Tags                []cliTag        `json:"Tags"`
	VpcId               string          `json:"VpcId"`
	SecurityGroupArn    string          `json:"SecurityGroupArn"`
	OwnerId             string          `json:"OwnerId"`
	GroupName           string          `json:"GroupName"`
	Description         string          `json:"Description"`
	IpPermissions       []cliPermission `json:"IpPermissions"`
}

type cliPermission struct {
	IpProtocol       string         `json:"IpProtocol"`
	FromPort         *int           `json:"FromPort,omitempty"`
	ToPort           *int           `json:"ToPort,omitempty"`
	UserIdGroupPairs []cliGroupPair `json:"UserIdGroupPairs"`
	IpRanges         []cliIPRange   `json:"IpRanges"`
	Ipv6Ranges       []cliIPv6Range `json:"Ipv6Ranges"`
	PrefixListIds    []struct{}     `json:"PrefixListIds"`
}

type cliGroupPair struct {
	Description string `json:"Description,omitempty"`
	UserId      string `json:"UserId"`
	GroupId     string `json:"GroupId"`
}

type cliIPRange struct {
	Description string `json:"Description,omitempty"`
	CidrIp      string `json:"CidrIp"`
}

type cliIPv6Range struct {
	Description string `json:"Description,omitempty"`
	CidrIpv6    string `json:"CidrIpv6"`
}

// SecurityGroupsJSON is what `aws ec2 describe-security-groups` prints.
func (t *Topology) SecurityGroupsJSON() []byte {
	out := struct {
		SecurityGroups []cliSecurityGroup `json:"SecurityGroups"`
	}{SecurityGroups: []cliSecurityGroup{}}
	for _, g := range t.Groups {
		out.SecurityGroups = append(out.SecurityGroups, cliSecurityGroup{
			GroupId: g.ID, IpPermissionsEgress: t.permissions(g.Outbound), Tags: nameTags(g.Name), VpcId: t.VPC.ID,
			SecurityGroupArn: fmt.Sprintf("arn:aws:ec2:%s:%s:security-group/%s", t.Region, t.Account, g.ID),
			OwnerId:          t.Account, GroupName: g.Name, Description: g.Description, IpPermissions: t.permissions(g.Inbound),
		})
	}
	return cliJSON(out)
}

// permissions groups rules the way the API does: one permission per protocol and port
// range, listing its peers, in the order the rules were added.
func (t *Topology) permissions(rules []SGRule) []cliPermission {
	out := []cliPermission{}
	index := map[[3]int]int{}
	for _, r := range rules {
		key := [3]int{r.Protocol, r.FromPort, r.ToPort}
		i, ok := index[key]
		if !ok {
			p := cliPermission{IpProtocol: sgProtocol(r.Protocol), UserIdGroupPairs: []cliGroupPair{},
				IpRanges: []cliIPRange{}, Ipv6Ranges: []cliIPv6Range{}, PrefixListIds: []struct{}{}}
			if r.Protocol != AllProtocols {
				from, to := r.FromPort, r.ToPort
				p.FromPort, p.ToPort = &from, &to
			}
			i = len(out)
			index[key] = i
			out = append(out, p)
		}
		p := &out[i]
		switch {
		case r.Group != nil:
			p.UserIdGroupPairs = append(p.UserIdGroupPairs, cliGroupPair{Description: r.Description, UserId: t.Account, GroupId: r.Group.ID})
		case r.CIDR.Addr().Is4():
			p.IpRanges = append(p.IpRanges, cliIPRange{Description: r.Description, CidrIp: r.CIDR.String()})
		default:
			p.Ipv6Ranges = append(p.Ipv6Ranges, cliIPv6Range{Description: r.Description, CidrIpv6: r.CIDR.String()})
		}
	}
	return out
}

// sgProtocol names a protocol the way security groups print it.
func sgProtocol(p int) string {
	switch p {
	case AllProtocols:
		return "-1"
	case TCP:
		return "tcp"
	case UDP:
		return "udp"
	case ICMP:
		return "icmp"
	case ICMPv6:
		return "icmpv6"
	}
	return strconv.Itoa(p)
}

// describe-network-acls

type cliNACL struct {
	Associations []cliNACLAssociation `json:"Associations"`
	Entries      []cliNACLEntry       `json:"Entries"`
	IsDefault    bool                 `json:"IsDefault"`
	NetworkAclId string               `json:"NetworkAclId"`
	Tags         []cliTag             `json:"Tags"`
	VpcId        string               `json:"VpcId"`
	OwnerId      string               `json:"OwnerId"`
}

type cliNACLAssociation struct {
	NetworkAclAssociationId string `json:"NetworkAclAssociationId"`
	NetworkAclId            string `json:"NetworkAclId"`
	SubnetId                string `json:"SubnetId"`
}

type cliNACLEntry struct {
	CidrBlock     string        `json:"CidrBlock,omitempty"`
	Egress        bool          `json:"Egress"`
	IcmpTypeCode  *cliICMP      `json:"IcmpTypeCode,omitempty"`
	Ipv6CidrBlock string        `json:"Ipv6CidrBlock,omitempty"`
	PortRange     *cliPortRange `json:"PortRange,omitempty"`
	Protocol      string        `json:"Protocol"`
	RuleAction    string        `json:"RuleAction"`
	RuleNumber    int           `json:"RuleNumber"`
}

type cliICMP struct {
	Code int `json:"Code"`
	Type int `json:"Type"`
}

type cliPortRange struct {
	From int `json:"From"`
	To   int `json:"To"`
}

// NetworkACLsJSON is what `aws ec2 describe-network-acls` prints: the entries of each
// direction by number, egress first, with the final "*" denies (#32767 for IPv4, and
// #32768 for IPv6 when the VPC has IPv6), and every subnet's association.
func (t *Topology) NetworkACLsJSON() []byte {
	out := struct {
		NetworkAcls []cliNACL `json:"NetworkAcls"`
	}{NetworkAcls: []cliNACL{}}
	for _, n := range t.NACLs {
		c := cliNACL{Associations: []cliNACLAssociation{}, IsDefault: n.Default, NetworkAclId: n.ID,
			Tags: nameTags(n.Name), VpcId: t.VPC.ID, OwnerId: t.Account}
		if n.Default {
			c.Tags = []cliTag{}
		}
		for _, s := range t.Subnets {
			if s.NACL == n {
				c.Associations = append(c.Associations, cliNACLAssociation{
					NetworkAclAssociationId: "aclassoc-0" + hex16(n.ID+"/"+s.ID), NetworkAclId: n.ID, SubnetId: s.ID})
			}
		}
		for _, egress := range []bool{true, false} {
			for _, e := range n.Entries {
				if e.Egress == egress {
					c.Entries = append(c.Entries, cliEntry(e))
				}
			}
			c.Entries = append(c.Entries, cliNACLEntry{CidrBlock: "0.0.0.0/0", Egress: egress, Protocol: "-1",
				RuleAction: "deny", RuleNumber: FinalRuleIPv4})
			if t.VPC.IPv6.IsValid() {
				c.Entries = append(c.Entries, cliNACLEntry{Ipv6CidrBlock: "::/0", Egress: egress, Protocol: "-1",
					RuleAction: "deny", RuleNumber: FinalRuleIPv6})
			}
		}
		out.NetworkAcls = append(out.NetworkAcls, c)
	}
	return cliJSON(out)
}

func cliEntry(e NACLEntry) cliNACLEntry {
	c := cliNACLEntry{Egress: e.Egress, Protocol: strconv.Itoa(e.Protocol), RuleAction: e.Action.String(), RuleNumber: e.Number}
	if e.CIDR.Addr().Is4() {
		c.CidrBlock = e.CIDR.String()
	} else {
		c.Ipv6CidrBlock = e.CIDR.String()
	}
	switch {
	case hasPorts(e.Protocol):
		c.PortRange = &cliPortRange{From: e.FromPort, To: e.ToPort}
	case e.Protocol == ICMP || e.Protocol == ICMPv6:
		c.IcmpTypeCode = &cliICMP{Code: -1, Type: -1}
	}
	return c
}

// describe-network-interfaces

type cliInterface struct {
	Association        *cliAssociation `json:"Association,omitempty"`
	Attachment         *cliAttachment  `json:"Attachment,omitempty"`
	AvailabilityZone   string          `json:"AvailabilityZone"`
	Description        string          `json:"Description"`
	Groups             []cliGroup      `json:"Groups"`
	InterfaceType      string          `json:"InterfaceType"`
	Ipv6Addresses      []cliIPv6       `json:"Ipv6Addresses"`
	MacAddress         string          `json:"MacAddress"`
	NetworkInterfaceId string          `json:"NetworkInterfaceId"`
	OwnerId            string          `json:"OwnerId"`
	PrivateDnsName     string          `json:"PrivateDnsName"`
	PrivateIpAddress   string          `json:"PrivateIpAddress"`
	PrivateIpAddresses []cliPrivateIP  `json:"PrivateIpAddresses"`
	RequesterManaged   bool            `json:"RequesterManaged"`
	SourceDestCheck    bool            `json:"SourceDestCheck"`
	Status             string          `json:"Status"`
	SubnetId           string          `json:"SubnetId"`
	TagSet             []cliTag        `json:"TagSet"`
	VpcId              string          `json:"VpcId"`
}

type cliAssociation struct {
	IpOwnerId     string `json:"IpOwnerId"`
	PublicDnsName string `json:"PublicDnsName"`
	PublicIp      string `json:"PublicIp"`
}

type cliAttachment struct {
	AttachmentId        string `json:"AttachmentId"`
	DeleteOnTermination bool   `json:"DeleteOnTermination"`
	DeviceIndex         int    `json:"DeviceIndex"`
	NetworkCardIndex    int    `json:"NetworkCardIndex"`
	InstanceId          string `json:"InstanceId"`
	InstanceOwnerId     string `json:"InstanceOwnerId"`
	Status              string `json:"Status"`
}

type cliGroup struct {
	GroupName string `json:"GroupName"`
	GroupId   string `json:"GroupId"`
}

type cliIPv6 struct {
	Ipv6Address   string `json:"Ipv6Address"`
	IsPrimaryIpv6 bool   `json:"IsPrimaryIpv6"`
}

type cliPrivateIP struct {
	Association      *cliAssociation `json:"Association,omitempty"`
	Primary          bool            `json:"Primary"`
	PrivateDnsName   string          `json:"PrivateDnsName"`
	PrivateIpAddress string          `json:"PrivateIpAddress"`
}

// NetworkInterfacesJSON is what `aws ec2 describe-network-interfaces
// --include-managed-resources` prints (the managed NAT gateway and load balancer
// interfaces included).
func (t *Topology) NetworkInterfacesJSON() []byte {
	out := struct {
		NetworkInterfaces []cliInterface `json:"NetworkInterfaces"`
	}{NetworkInterfaces: []cliInterface{}}
	for _, i := range t.Interfaces {
		c := cliInterface{AvailabilityZone: i.Subnet.AZ, Description: i.Description, Groups: []cliGroup{},
			InterfaceType: i.Type, Ipv6Addresses: []cliIPv6{}, MacAddress: mac(i.ID), NetworkInterfaceId: i.ID,
			OwnerId: t.Account, PrivateDnsName: t.dnsName(i.IP.String()), PrivateIpAddress: i.IP.String(),
			SourceDestCheck: i.Type != "nat_gateway", Status: "in-use", SubnetId: i.Subnet.ID,
			TagSet: []cliTag{}, VpcId: t.VPC.ID}
		var public *cliAssociation
		if i.PublicIP.IsValid() {
			public = &cliAssociation{IpOwnerId: "amazon", PublicIp: i.PublicIP.String(),
				PublicDnsName: "ec2-" + strings.ReplaceAll(i.PublicIP.String(), ".", "-") + ".compute-1.amazonaws.com"}
			c.Association = public
		}
		if i.Instance != "" {
			c.Attachment = &cliAttachment{AttachmentId: "eni-attach-0" + hex16(i.ID), DeleteOnTermination: true,
				InstanceId: i.Instance, InstanceOwnerId: t.Account, Status: "attached"}
			c.TagSet = nameTags(i.Name)
		} else {
			c.RequesterManaged = true
		}
		for _, g := range i.Groups {
			c.Groups = append(c.Groups, cliGroup{GroupName: g.Name, GroupId: g.ID})
		}
		for _, a := range i.IPv6 {
			c.Ipv6Addresses = append(c.Ipv6Addresses, cliIPv6{Ipv6Address: a.String()})
		}
		c.PrivateIpAddresses = append(c.PrivateIpAddresses, cliPrivateIP{Association: public, Primary: true,
			PrivateDnsName: c.PrivateDnsName, PrivateIpAddress: c.PrivateIpAddress})
		for _, a := range i.Secondary {
			c.PrivateIpAddresses = append(c.PrivateIpAddresses, cliPrivateIP{PrivateDnsName: t.dnsName(a.String()),
				PrivateIpAddress: a.String()})
		}
		out.NetworkInterfaces = append(out.NetworkInterfaces, c)
	}
	return cliJSON(out)
}

// dnsName is the private DNS name AWS gives an address.
func (t *Topology) dnsName(ip string) string {
	host := "ip-" + strings.ReplaceAll(ip, ".", "-")
	if t.Region == "us-east-1" {
		return host + ".ec2.internal"
	}
	return host + "." + t.Region + ".compute.internal"
}

// mac makes a stable, locally administered MAC address from an ID.
func mac(id string) string {
	h := fnv.New64a()
	h.Write([]byte(id))
	s := h.Sum64()
	return fmt.Sprintf("0e:%02x:%02x:%02x:%02x:%02x", byte(s>>32), byte(s>>24), byte(s>>16), byte(s>>8), byte(s))
}

func hex16(key string) string {
	h := fnv.New64a()
	h.Write([]byte(key))
	return fmt.Sprintf("%016x", h.Sum64())
}

// describe-subnets

type cliSubnet struct {
	AvailabilityZone            string          `json:"AvailabilityZone"`
	CidrBlock                   string          `json:"CidrBlock"`
	MapPublicIpOnLaunch         bool            `json:"MapPublicIpOnLaunch"`
	State                       string          `json:"State"`
	SubnetId                    string          `json:"SubnetId"`
	VpcId                       string          `json:"VpcId"`
	OwnerId                     string          `json:"OwnerId"`
	Ipv6CidrBlockAssociationSet []cliIPv6Subnet `json:"Ipv6CidrBlockAssociationSet"`
	Tags                        []cliTag        `json:"Tags"`
}

type cliIPv6Subnet struct {
	AssociationId      string `json:"AssociationId"`
	Ipv6CidrBlock      string `json:"Ipv6CidrBlock"`
	Ipv6CidrBlockState struct {
		State string `json:"State"`
	} `json:"Ipv6CidrBlockState"`
}

// SubnetsJSON is what `aws ec2 describe-subnets` prints: with it, a rule engine can
// place an address no interface owns inside or outside a subnet.
func (t *Topology) SubnetsJSON() []byte {
	out := struct {
		Subnets []cliSubnet `json:"Subnets"`
	}{Subnets: []cliSubnet{}}
	for _, s := range t.Subnets {
		c := cliSubnet{AvailabilityZone: s.AZ, CidrBlock: s.CIDR.String(), MapPublicIpOnLaunch: s.NAT == nil,
			State: "available", SubnetId: s.ID, VpcId: t.VPC.ID, OwnerId: t.Account,
			Ipv6CidrBlockAssociationSet: []cliIPv6Subnet{}, Tags: nameTags(s.Name)}
		if s.IPv6.IsValid() {
			a := cliIPv6Subnet{AssociationId: "subnet-cidr-assoc-0" + hex16(s.ID), Ipv6CidrBlock: s.IPv6.String()}
			a.Ipv6CidrBlockState.State = "associated"
			c.Ipv6CidrBlockAssociationSet = append(c.Ipv6CidrBlockAssociationSet, a)
		}
		out.Subnets = append(out.Subnets, c)
	}
	return cliJSON(out)
}
