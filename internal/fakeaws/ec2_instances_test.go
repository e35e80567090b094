package fakeaws_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"

	"github.com/flowlens/flowlens/internal/fakeaws"
)

// DescribeInstances answers from the instances and interfaces the test stored: the
// instance's interfaces are those attached to it, its addresses default to the primary
// interface's, and filters, IDs and pages behave as on AWS.
func TestDescribeInstances(t *testing.T) {
	srv := fakeaws.Serve(t)
	srv.AddSecurityGroups(fakeaws.SecurityGroup{GroupID: "sg-db", GroupName: "shop-db"})
	srv.AddNetworkInterfaces(
		fakeaws.NetworkInterface{NetworkInterfaceID: "eni-db", SubnetID: "subnet-a", VpcID: "vpc-1", PrivateIP: "10.0.1.30",
			SecondaryIPs: []string{"10.0.1.31"}, IPv6Addresses: []string{"2001:db8::30"}, PublicIP: "198.51.100.30",
			GroupIDs: []string{"sg-db"}, InstanceID: "i-db", Tags: map[string]string{"Name": "db-1-eni0"}},
		fakeaws.NetworkInterface{NetworkInterfaceID: "eni-db2", SubnetID: "subnet-b", VpcID: "vpc-1", PrivateIP: "10.0.2.30", InstanceID: "i-db"},
		fakeaws.NetworkInterface{NetworkInterfaceID: "eni-web", SubnetID: "subnet-a", VpcID: "vpc-1", PrivateIP: "10.0.0.10", InstanceID: "i-web"},
	)
	srv.AddInstances(
		fakeaws.Instance{InstanceID: "i-db", Tags: map[string]string{"Name": "db-1", "team": "shop"}},
		fakeaws.Instance{InstanceID: "i-web", Tags: map[string]string{"Name": "web-1"}, State: "stopped"},
		fakeaws.Instance{InstanceID: "i-bare"},
	)
	client := ec2Client(srv)
	out, err := client.DescribeInstances(testContext(t), &ec2.DescribeInstancesInput{InstanceIds: []string{"i-db"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Reservations) != 1 || len(out.Reservations[0].Instances) != 1 {
		t.Fatalf("reservations %+v", out.Reservations)
	}
	db := out.Reservations[0].Instances[0]
	name := ""
	for _, tag := range db.Tags {
		if aws.ToString(tag.Key) == "Name" {
			name = aws.ToString(tag.Value)
		}
	}
	if name != "db-1" || len(db.Tags) != 2 || db.State.Name != ec2types.InstanceStateNameRunning || aws.ToInt32(db.State.Code) != 16 {
		t.Errorf("tags %v, state %+v", db.Tags, db.State)
	}
	if aws.ToString(db.PrivateIpAddress) != "10.0.1.30" || aws.ToString(db.PublicIpAddress) != "198.51.100.30" ||
		aws.ToString(db.SubnetId) != "subnet-a" || aws.ToString(db.SecurityGroups[0].GroupName) != "shop-db" {
		t.Errorf("defaults from the primary interface: %+v", db)
	}
	var enis, ips []string
	for _, ni := range db.NetworkInterfaces {
		enis = append(enis, aws.ToString(ni.NetworkInterfaceId))
		for _, p := range ni.PrivateIpAddresses {
			ips = append(ips, aws.ToString(p.PrivateIpAddress))
		}
	}
	if !slices.Equal(enis, []string{"eni-db", "eni-db2"}) || !slices.Equal(ips, []string{"10.0.1.30", "10.0.1.31", "10.0.2.30"}) {
		t.Errorf("interfaces %v, addresses %v", enis, ips)
	}
	if ni := db.NetworkInterfaces[0]; aws.ToString(ni.Ipv6Addresses[0].Ipv6Address) != "2001:db8::30" || aws.ToString(ni.Association.PublicIp) != "198.51.100.30" || aws.ToInt32(ni.Attachment.DeviceIndex) != 0 {
		t.Errorf("primary interface %+v", ni)
	}

	ids := func(in *ec2.DescribeInstancesInput) []string {
		t.Helper()
		var got []string
		p := ec2.NewDescribeInstancesPaginator(client, in)
		for p.HasMorePages() {
			page, err := p.NextPage(testContext(t))
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range page.Reservations {
				for _, i := range r.Instances {
					got = append(got, aws.ToString(i.InstanceId))
				}
			}
		}
		return got
	}
	srv.PageSize(1)
	for _, c := range []struct {
		in   *ec2.DescribeInstancesInput
		want []string
	}{
		{&ec2.DescribeInstancesInput{}, []string{"i-db", "i-web", "i-bare"}},
		{&ec2.DescribeInstancesInput{Filters: []ec2types.Filter{filter("instance-id", "i-db", "i-web")}}, []string{"i-db", "i-web"}},
		{&ec2.DescribeInstancesInput{Filters: []ec2types.Filter{filter("network-interface.network-interface-id", "eni-db2")}}, []string{"i-db"}},
		{&ec2.DescribeInstancesInput{Filters: []ec2types.Filter{filter("instance-state-name", "running")}}, []string{"i-db", "i-bare"}},
		{&ec2.DescribeInstancesInput{Filters: []ec2types.Filter{filter("tag:Name", "web-*")}}, []string{"i-web"}},
		{&ec2.DescribeInstancesInput{Filters: []ec2types.Filter{filter("tag-key", "team")}}, []string{"i-db"}},
		{&ec2.DescribeInstancesInput{Filters: []ec2types.Filter{filter("network-interface.addresses.private-ip-address", "10.0.1.31")}}, []string{"i-db"}},
	} {
		if got := ids(c.in); !slices.Equal(got, c.want) {
			t.Errorf("%+v: %v, want %v", c.in.Filters, got, c.want)
		}
	}

	var apiErr smithy.APIError
	_, err = client.DescribeInstances(testContext(t), &ec2.DescribeInstancesInput{InstanceIds: []string{"i-gone"}})
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "InvalidInstanceID.NotFound" {
		t.Errorf("unknown id: %v", err)
	}
	_, err = client.DescribeInstances(testContext(t), &ec2.DescribeInstancesInput{InstanceIds: []string{"i-db"}, MaxResults: aws.Int32(5)})
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "InvalidParameterCombination" {
		t.Errorf("ids with MaxResults: %v", err)
	}
	_, err = client.DescribeInstances(testContext(t), &ec2.DescribeInstancesInput{Filters: []ec2types.Filter{filter("no-such-filter", "x")}})
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "InvalidParameterValue" {
		t.Errorf("unknown filter: %v", err)
	}
}

// Interfaces carry their tags in DescribeNetworkInterfaces too.
func TestDescribeNetworkInterfacesTags(t *testing.T) {
	srv := fakeaws.Serve(t)
	srv.AddNetworkInterfaces(fakeaws.NetworkInterface{NetworkInterfaceID: "eni-1", PrivateIP: "10.0.0.5", Tags: map[string]string{"Name": "bastion", "env": "prod"}},
		fakeaws.NetworkInterface{NetworkInterfaceID: "eni-2", PrivateIP: "10.0.0.6"})
	out, err := ec2Client(srv).DescribeNetworkInterfaces(testContext(t), &ec2.DescribeNetworkInterfacesInput{Filters: []ec2types.Filter{filter("tag:Name", "bastion")}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.NetworkInterfaces) != 1 || len(out.NetworkInterfaces[0].TagSet) != 2 || aws.ToString(out.NetworkInterfaces[0].TagSet[0].Key) != "Name" || aws.ToString(out.NetworkInterfaces[0].TagSet[0].Value) != "bastion" {
		t.Errorf("interfaces %+v", out.NetworkInterfaces)
	}
}
