package fakeaws_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"

	"github.com/flowlens/flowlens/internal/fakeaws"
)

func filter(name string, values ...string) ec2types.Filter {
	return ec2types.Filter{Name: aws.String(name), Values: values}
}

func TestDescribeFlowLogsByLogGroup(t *testing.T) {
	srv := fakeaws.Serve(t)
	custom := "${version} ${interface-id} ${srcaddr} ${dstaddr} ${action} ${tcp-flags} ${log-status}"
	srv.AddFlowLogs(
		fakeaws.FlowLog{LogGroupName: "/vpc/flow", ResourceID: "eni-1"},
		fakeaws.FlowLog{LogGroupName: "/vpc/flow", ResourceID: "vpc-1", LogFormat: custom, TrafficType: "REJECT", MaxAggregationInterval: 60},
		fakeaws.FlowLog{LogGroupName: "/elsewhere", ResourceID: "eni-2"},
	)
	out, err := ec2Client(srv).DescribeFlowLogs(testContext(t), &ec2.DescribeFlowLogsInput{
		Filter: []ec2types.Filter{filter("log-group-name", "/vpc/flow")},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.FlowLogs) != 2 {
		t.Fatalf("flow logs = %d, want 2", len(out.FlowLogs))
	}
	def, cust := out.FlowLogs[0], out.FlowLogs[1]
	if aws.ToString(def.LogFormat) != fakeaws.DefaultLogFormat || aws.ToString(def.ResourceId) != "eni-1" || def.TrafficType != ec2types.TrafficTypeAll {
		t.Errorf("default flow log = %+v", def)
	}
	if aws.ToString(cust.LogFormat) != custom || cust.TrafficType != ec2types.TrafficTypeReject || aws.ToInt32(cust.MaxAggregationInterval) != 60 {
		t.Errorf("custom flow log = format %q traffic %q interval %d", aws.ToString(cust.LogFormat), cust.TrafficType, aws.ToInt32(cust.MaxAggregationInterval))
	}
	if aws.ToString(def.FlowLogId) == "" || aws.ToString(def.FlowLogStatus) != "ACTIVE" || aws.ToString(def.DeliverLogsStatus) != "SUCCESS" ||
		def.LogDestinationType != ec2types.LogDestinationTypeCloudWatchLogs || aws.ToString(def.LogGroupName) != "/vpc/flow" || def.CreationTime == nil {
		t.Errorf("defaults not reported: %+v", def)
	}
	c := srv.CallsTo("DescribeFlowLogs")[0]
	if c.String("Filter.1.Name") != "log-group-name" || c.String("Filter.1.Value.1") != "/vpc/flow" {
		t.Errorf("call params = %v", c.Params)
	}

	_, err = ec2Client(srv).DescribeFlowLogs(testContext(t), &ec2.DescribeFlowLogsInput{Filter: []ec2types.Filter{filter("no-such-filter", "x")}})
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "InvalidParameterValue" {
		t.Errorf("unknown filter: %v, want InvalidParameterValue", err)
	}
}

func TestDescribeSecurityGroupsRules(t *testing.T) {
	srv := fakeaws.Serve(t)
	srv.AddSecurityGroups(
		fakeaws.SecurityGroup{
			GroupID: "sg-web", GroupName: "web", VpcID: "vpc-1",
			Ingress: []fakeaws.SecurityGroupRule{
				{Protocol: "tcp", FromPort: 443, ToPort: 443, CIDRs: []string{"0.0.0.0/0"}, IPv6CIDRs: []string{"::/0"}},
				{Protocol: "tcp", FromPort: 22, ToPort: 22, GroupIDs: []string{"sg-bastion"}, PrefixListIDs: []string{"pl-1"}},
			},
			Egress: []fakeaws.SecurityGroupRule{{Protocol: "-1", CIDRs: []string{"0.0.0.0/0"}}},
		},
		fakeaws.SecurityGroup{GroupID: "sg-other", GroupName: "other"},
	)
	client := ec2Client(srv)
	out, err := client.DescribeSecurityGroups(testContext(t), &ec2.DescribeSecurityGroupsInput{GroupIds: []string{"sg-web"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.SecurityGroups) != 1 {
		t.Fatalf("groups = %d, want 1", len(out.SecurityGroups))
	}
	sg := out.SecurityGroups[0]
	if len(sg.IpPermissions) != 2 || len(sg.IpPermissionsEgress) != 1 {
		t.Fatalf("rules = %d in, %d out", len(sg.IpPermissions), len(sg.IpPermissionsEgress))
	}
	https := sg.IpPermissions[0]
	if aws.ToString(https.IpProtocol) != "tcp" || aws.ToInt32(https.FromPort) != 443 || aws.ToInt32(https.ToPort) != 443 ||
		aws.ToString(https.IpRanges[0].CidrIp) != "0.0.0.0/0" || aws.ToString(https.Ipv6Ranges[0].CidrIpv6) != "::/0" {
		t.Errorf("https rule = %+v", https)
	}
	ssh := sg.IpPermissions[1]
	if aws.ToString(ssh.UserIdGroupPairs[0].GroupId) != "sg-bastion" || aws.ToString(ssh.PrefixListIds[0].PrefixListId) != "pl-1" {
		t.Errorf("ssh rule = %+v", ssh)
	}
	all := sg.IpPermissionsEgress[0]
	if aws.ToString(all.IpProtocol) != "-1" || all.FromPort != nil || all.ToPort != nil {
		t.Errorf("all-traffic rule = proto %q ports %v-%v, want -1 without ports", aws.ToString(all.IpProtocol), all.FromPort, all.ToPort)
	}

	_, err = client.DescribeSecurityGroups(testContext(t), &ec2.DescribeSecurityGroupsInput{GroupIds: []string{"sg-gone"}})
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "InvalidGroup.NotFound" {
		t.Errorf("unknown group: %v, want InvalidGroup.NotFound", err)
	}
}

func TestDescribeNetworkAclsAddsTheCatchAllRules(t *testing.T) {
	srv := fakeaws.Serve(t)
	srv.AddNetworkACLs(
		fakeaws.NetworkACL{
			NetworkACLID: "acl-1", VpcID: "vpc-1", SubnetIDs: []string{"subnet-a", "subnet-b"},
			Entries: []fakeaws.NetworkACLEntry{
				{RuleNumber: 100, Protocol: "6", RuleAction: "allow", CIDRBlock: "0.0.0.0/0", FromPort: 22, ToPort: 22},
				{RuleNumber: 110, Egress: true, Protocol: "1", RuleAction: "deny", CIDRBlock: "10.0.0.0/8", ICMPType: 8, ICMPCode: -1},
			},
		},
		fakeaws.NetworkACL{NetworkACLID: "acl-2", VpcID: "vpc-1", SubnetIDs: []string{"subnet-c"}},
	)
	out, err := ec2Client(srv).DescribeNetworkAcls(testContext(t), &ec2.DescribeNetworkAclsInput{
		Filters: []ec2types.Filter{filter("association.subnet-id", "subnet-b")},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.NetworkAcls) != 1 || aws.ToString(out.NetworkAcls[0].NetworkAclId) != "acl-1" {
		t.Fatalf("acls = %+v, want acl-1 only", out.NetworkAcls)
	}
	acl := out.NetworkAcls[0]
	type rule struct {
		num    int32
		egress bool
		action ec2types.RuleAction
	}
	var rules []rule
	for _, e := range acl.Entries {
		rules = append(rules, rule{aws.ToInt32(e.RuleNumber), aws.ToBool(e.Egress), e.RuleAction})
	}
	want := []rule{{100, false, "allow"}, {110, true, "deny"}, {32767, false, "deny"}, {32767, true, "deny"}}
	if !slices.Equal(rules, want) {
		t.Errorf("entries = %v, want %v", rules, want)
	}
	ssh, icmp := acl.Entries[0], acl.Entries[1]
	if aws.ToString(ssh.Protocol) != "6" || aws.ToInt32(ssh.PortRange.From) != 22 || aws.ToInt32(ssh.PortRange.To) != 22 {
		t.Errorf("ssh entry = %+v", ssh)
	}
	if icmp.IcmpTypeCode == nil || aws.ToInt32(icmp.IcmpTypeCode.Type) != 8 || aws.ToInt32(icmp.IcmpTypeCode.Code) != -1 || icmp.PortRange != nil {
		t.Errorf("icmp entry = %+v", icmp)
	}
	var subnets []string
	for _, a := range acl.Associations {
		subnets = append(subnets, aws.ToString(a.SubnetId))
	}
	if !slices.Equal(subnets, []string{"subnet-a", "subnet-b"}) {
		t.Errorf("associations = %v", subnets)
	}
}

func TestDescribeNetworkInterfaces(t *testing.T) {
	srv := fakeaws.Serve(t)
	srv.AddSecurityGroups(fakeaws.SecurityGroup{GroupID: "sg-web", GroupName: "web"})
	srv.AddNetworkInterfaces(
		fakeaws.NetworkInterface{
			NetworkInterfaceID: "eni-1", SubnetID: "subnet-a", VpcID: "vpc-1", PrivateIP: "10.0.0.5",
			SecondaryIPs: []string{"10.0.0.6"}, IPv6Addresses: []string{"2001:db8::5"}, PublicIP: "203.0.113.5",
			GroupIDs: []string{"sg-web"}, InstanceID: "i-1",
		},
		fakeaws.NetworkInterface{NetworkInterfaceID: "eni-2", SubnetID: "subnet-b", VpcID: "vpc-1", PrivateIP: "10.0.1.5", GroupIDs: []string{"sg-web"}},
		fakeaws.NetworkInterface{NetworkInterfaceID: "eni-nat", SubnetID: "subnet-a", VpcID: "vpc-1", PrivateIP: "10.0.0.9", InterfaceType: "nat_gateway", RequesterManaged: true, RequesterID: "AWS"},
	)
	client := ec2Client(srv)

	out, err := client.DescribeNetworkInterfaces(testContext(t), &ec2.DescribeNetworkInterfacesInput{
		Filters: []ec2types.Filter{filter("addresses.private-ip-address", "10.0.0.6")},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.NetworkInterfaces) != 1 {
		t.Fatalf("by secondary IP: %d interfaces, want 1", len(out.NetworkInterfaces))
	}
	eni := out.NetworkInterfaces[0]
	var ips []string
	for _, p := range eni.PrivateIpAddresses {
		ips = append(ips, aws.ToString(p.PrivateIpAddress))
	}
	if !slices.Equal(ips, []string{"10.0.0.5", "10.0.0.6"}) || !aws.ToBool(eni.PrivateIpAddresses[0].Primary) || aws.ToBool(eni.PrivateIpAddresses[1].Primary) {
		t.Errorf("private IPs = %v", ips)
	}
	if aws.ToString(eni.Groups[0].GroupId) != "sg-web" || aws.ToString(eni.Groups[0].GroupName) != "web" ||
		aws.ToString(eni.Attachment.InstanceId) != "i-1" || aws.ToString(eni.Association.PublicIp) != "203.0.113.5" ||
		aws.ToString(eni.Ipv6Addresses[0].Ipv6Address) != "2001:db8::5" || aws.ToString(eni.PrivateIpAddress) != "10.0.0.5" {
		t.Errorf("eni-1 = %+v", eni)
	}

	ids := func(in *ec2.DescribeNetworkInterfacesInput) []string {
		t.Helper()
		var got []string
		p := ec2.NewDescribeNetworkInterfacesPaginator(client, in)
		for p.HasMorePages() {
			page, err := p.NextPage(testContext(t))
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range page.NetworkInterfaces {
				got = append(got, aws.ToString(e.NetworkInterfaceId))
			}
		}
		return got
	}
	srv.PageSize(1)
	if got := ids(&ec2.DescribeNetworkInterfacesInput{Filters: []ec2types.Filter{filter("vpc-id", "vpc-1")}}); !slices.Equal(got, []string{"eni-1", "eni-2"}) {
		t.Errorf("without IncludeManagedResources = %v, want the NAT gateway hidden", got)
	}
	if got := ids(&ec2.DescribeNetworkInterfacesInput{Filters: []ec2types.Filter{filter("vpc-id", "vpc-1")}, IncludeManagedResources: aws.Bool(true)}); !slices.Equal(got, []string{"eni-1", "eni-2", "eni-nat"}) {
		t.Errorf("with IncludeManagedResources = %v", got)
	}
	if got := ids(&ec2.DescribeNetworkInterfacesInput{Filters: []ec2types.Filter{filter("group-id", "sg-web"), filter("subnet-id", "subnet-b", "subnet-z")}}); !slices.Equal(got, []string{"eni-2"}) {
		t.Errorf("group-id and subnet-id = %v, want [eni-2]", got)
	}
	if got := ids(&ec2.DescribeNetworkInterfacesInput{NetworkInterfaceIds: []string{"eni-2"}}); !slices.Equal(got, []string{"eni-2"}) {
		t.Errorf("by ID = %v", got)
	}
	if n := len(srv.CallsTo("DescribeNetworkInterfaces")); n < 6 {
		t.Errorf("page size 1 should have made the paginator call several times, got %d calls", n)
	}
}

func TestEC2FaultsUseXMLErrors(t *testing.T) {
	srv := fakeaws.Serve(t)
	srv.FailNext("DescribeFlowLogs", 1, "UnauthorizedOperation")
	_, err := ec2Client(srv).DescribeFlowLogs(testContext(t), &ec2.DescribeFlowLogsInput{})
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "UnauthorizedOperation" {
		t.Fatalf("err = %v, want UnauthorizedOperation", err)
	}
	var respErr *awshttp.ResponseError
	if !errors.As(err, &respErr) || respErr.HTTPStatusCode() != 403 || respErr.ServiceRequestID() == "" {
		t.Errorf("err = %v, want HTTP 403 with a request ID", err)
	}

	srv.FailNext("DescribeSecurityGroups", 2, "RequestLimitExceeded")
	if _, err := ec2Client(srv).DescribeSecurityGroups(testContext(t), &ec2.DescribeSecurityGroupsInput{}); err != nil {
		t.Errorf("the standard retryer should ride out 2 RequestLimitExceeded: %v", err)
	}
	if n := len(srv.CallsTo("DescribeSecurityGroups")); n != 3 {
		t.Errorf("DescribeSecurityGroups calls = %d, want 3", n)
	}
}
