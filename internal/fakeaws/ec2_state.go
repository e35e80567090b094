package fakeaws

import (
	"fmt"
	"slices"
)

// DefaultLogFormat is the default VPC flow log format as DescribeFlowLogs
// reports it: already expanded into ${field} form.
const DefaultLogFormat = "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status}"

// FlowLog is a VPC flow log definition. Zero fields get AWS's defaults when
// added: an ID, TrafficType ALL, LogDestinationType cloud-watch-logs,
// MaxAggregationInterval 600, LogFormat DefaultLogFormat, FlowLogStatus
// ACTIVE, DeliverLogsStatus SUCCESS.
type FlowLog struct {
	FlowLogID              string
	LogGroupName           string
	ResourceID             string // eni-, subnet- or vpc-
	TrafficType            string // ACCEPT, REJECT or ALL
	LogFormat              string
	LogDestinationType     string // cloud-watch-logs, s3, kinesis-data-firehose
	MaxAggregationInterval int    // 60 or 600 seconds
	FlowLogStatus          string
	DeliverLogsStatus      string
}

// SecurityGroup is a security group with its rules.
type SecurityGroup struct {
	GroupID     string
	GroupName   string
	Description string
	VpcID       string
	Ingress     []SecurityGroupRule
	Egress      []SecurityGroupRule
}

// SecurityGroupRule is one IpPermission. Protocol is what AWS reports: "tcp",
// "udp", "icmp", "icmpv6", a number as a string, or "-1" for all (ports are
// then omitted from the answer, as AWS omits them). For ICMP, FromPort is the
// type and ToPort the code (-1 for any).
type SecurityGroupRule struct {
	Protocol      string
	FromPort      int32
	ToPort        int32
	CIDRs         []string // IPv4 ranges
	IPv6CIDRs     []string
	PrefixListIDs []string
	GroupIDs      []string // referenced security groups
}

// NetworkACL is a network ACL. Like AWS, the answer always ends with the
// catch-all deny entries (rule 32767 for IPv4, and 32768 for IPv6 when any
// entry uses IPv6) in both directions; the test adds only the numbered rules.
type NetworkACL struct {
	NetworkACLID string
	VpcID        string
	Default      bool
	SubnetIDs    []string // associations
	Entries      []NetworkACLEntry
}

// NetworkACLEntry is one rule. Protocol is a number as a string ("6", "17",
// "1", "-1"), as the NACL API reports it. Ports apply to TCP and UDP, the ICMP
// type and code to ICMP.
type NetworkACLEntry struct {
	RuleNumber int32
	Egress     bool
	Protocol   string
	RuleAction string // allow or deny
	CIDRBlock  string
	IPv6CIDR   string
	FromPort   int32
	ToPort     int32
	ICMPType   int32
	ICMPCode   int32
}

// NetworkInterface is an ENI. RequesterManaged interfaces (NAT gateways,
// endpoints, load balancers) are only listed when the request sets
// IncludeManagedResources, as FLOWLOGS.md describes.
type NetworkInterface struct {
	NetworkInterfaceID string
	SubnetID           string
	VpcID              string
	AvailabilityZone   string
	Description        string
	InterfaceType      string // interface, nat_gateway, vpc_endpoint, ...
	Status             string // in-use when zero
	PrivateIP          string // the primary private IPv4 address
	SecondaryIPs       []string
	IPv6Addresses      []string
	PublicIP           string
	GroupIDs           []string
	InstanceID         string
	RequesterID        string
	RequesterManaged   bool
	Tags               map[string]string // the TagSet; "Name" is what the console shows
}

// Instance is an EC2 instance. Its network interfaces are the NetworkInterfaces added
// with its InstanceID (the device order is the order they were added); PrivateIP and
// PublicIP default to those of its first interface, as AWS reports the primary's.
type Instance struct {
	InstanceID   string
	InstanceType string // t3.micro when zero
	State        string // running when zero; pending, stopping, stopped, shutting-down, terminated
	SubnetID     string
	VpcID        string
	PrivateIP    string
	PublicIP     string
	GroupIDs     []string
	Tags         map[string]string
}

// ec2State is the EC2 data. Guarded by Server.mu.
type ec2State struct {
	flowLogs       []FlowLog
	securityGroups []SecurityGroup
	acls           []NetworkACL
	interfaces     []NetworkInterface
	instances      []Instance
	flowLogSeq     int
}

// AddFlowLogs registers flow logs, filling AWS's defaults, and returns them as
// stored.
func (s *Server) AddFlowLogs(flowLogs ...FlowLog) []FlowLog {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]FlowLog, 0, len(flowLogs))
	for _, fl := range flowLogs {
		s.ec2.flowLogSeq++
		if fl.FlowLogID == "" {
			fl.FlowLogID = fmt.Sprintf("fl-%017x", s.ec2.flowLogSeq)
		}
		fl.TrafficType = orDefault(fl.TrafficType, "ALL")
		fl.LogFormat = orDefault(fl.LogFormat, DefaultLogFormat)
		fl.LogDestinationType = orDefault(fl.LogDestinationType, "cloud-watch-logs")
		fl.FlowLogStatus = orDefault(fl.FlowLogStatus, "ACTIVE")
		fl.DeliverLogsStatus = orDefault(fl.DeliverLogsStatus, "SUCCESS")
		if fl.MaxAggregationInterval == 0 {
			fl.MaxAggregationInterval = 600
		}
		s.ec2.flowLogs = append(s.ec2.flowLogs, fl)
		out = append(out, fl)
	}
	return out
}

// AddSecurityGroups registers security groups.
func (s *Server) AddSecurityGroups(groups ...SecurityGroup) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ec2.securityGroups = append(s.ec2.securityGroups, groups...)
}

// AddNetworkACLs registers network ACLs.
func (s *Server) AddNetworkACLs(acls ...NetworkACL) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ec2.acls = append(s.ec2.acls, acls...)
}

// AddNetworkInterfaces registers network interfaces.
func (s *Server) AddNetworkInterfaces(enis ...NetworkInterface) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ec2.interfaces = append(s.ec2.interfaces, enis...)
}

// AddInstances registers instances.
func (s *Server) AddInstances(instances ...Instance) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ec2.instances = append(s.ec2.instances, instances...)
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// withCatchAll returns the entries of an ACL followed by the deny-all entries
// AWS always reports.
func (a NetworkACL) withCatchAll() []NetworkACLEntry {
	entries := slices.Clone(a.Entries)
	ipv6 := slices.ContainsFunc(entries, func(e NetworkACLEntry) bool { return e.IPv6CIDR != "" })
	for _, egress := range []bool{false, true} {
		entries = append(entries, NetworkACLEntry{RuleNumber: 32767, Egress: egress, Protocol: "-1", RuleAction: "deny", CIDRBlock: "0.0.0.0/0"})
		if ipv6 {
			entries = append(entries, NetworkACLEntry{RuleNumber: 32768, Egress: egress, Protocol: "-1", RuleAction: "deny", IPv6CIDR: "::/0"})
		}
	}
	return entries
}

// groupName looks up a security group's name for an ENI's groupSet. Callers
// hold s.mu.
func (s *Server) groupName(id string) string {
	for _, g := range s.ec2.securityGroups {
		if g.GroupID == id {
			return g.GroupName
		}
	}
	return ""
}
