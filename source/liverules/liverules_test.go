package liverules

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/flowlens/flowlens/internal/fakeaws"
	"github.com/flowlens/flowlens/model/rules"
	"github.com/flowlens/flowlens/source/awsclient"
)

// A web server whose SG allows 443 from anywhere and 5432 from the app group; the app
// server is a member of that group; the web subnet's NACL lacks the ephemeral return
// rule. Fetch goes through the real SDK client to the fake EC2 (ec2query).
func TestFetchThroughTheEC2API(t *testing.T) {
	srv := fakeaws.Serve(t)
	srv.AddSecurityGroups(
		fakeaws.SecurityGroup{GroupID: "sg-0web", GroupName: "web", VpcID: "vpc-1",
			Ingress: []fakeaws.SecurityGroupRule{{Protocol: "tcp", FromPort: 443, ToPort: 443, CIDRs: []string{"0.0.0.0/0"}}, {Protocol: "tcp", FromPort: 5432, ToPort: 5432, GroupIDs: []string{"sg-0app"}}},
			Egress:  []fakeaws.SecurityGroupRule{{Protocol: "-1", CIDRs: []string{"0.0.0.0/0"}}}},
		fakeaws.SecurityGroup{GroupID: "sg-0app", GroupName: "app", VpcID: "vpc-1"},
		fakeaws.SecurityGroup{GroupID: "sg-0unrelated", GroupName: "other", VpcID: "vpc-1"},
	)
	srv.AddNetworkInterfaces(
		fakeaws.NetworkInterface{NetworkInterfaceID: "eni-0web", SubnetID: "subnet-web", VpcID: "vpc-1", PrivateIP: "10.0.1.10", GroupIDs: []string{"sg-0web"}},
		fakeaws.NetworkInterface{NetworkInterfaceID: "eni-0app", SubnetID: "subnet-app", VpcID: "vpc-1", PrivateIP: "10.0.2.20", GroupIDs: []string{"sg-0app"}},
	)
	srv.AddNetworkACLs(fakeaws.NetworkACL{NetworkACLID: "acl-0web", VpcID: "vpc-1", SubnetIDs: []string{"subnet-web"},
		Entries: []fakeaws.NetworkACLEntry{
			{RuleNumber: 100, Protocol: "-1", RuleAction: "allow", CIDRBlock: "0.0.0.0/0"},
			{RuleNumber: 100, Egress: true, Protocol: "6", RuleAction: "allow", CIDRBlock: "0.0.0.0/0", FromPort: 443, ToPort: 443},
		}})

	set, err := Fetch(context.Background(), awsclient.NewEC2(srv.AWSConfig()), []string{"eni-0web", "eni-0gone"})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := set.Interface("eni-0app"); !ok {
		t.Fatal("the members of a referenced group were not fetched")
	}
	if _, ok := set.SecurityGroup("sg-0unrelated"); ok {
		t.Fatal("a group of no interface in view was fetched")
	}
	// HTTPS from the internet: allowed in, but the reply to the client's ephemeral port is
	// denied by the NACL's egress rules.
	a := set.Evaluate(rules.Conversation{Interface: "eni-0web", Protocol: 6,
		Initiator: netip.MustParseAddrPort("203.0.113.7:40000"), Responder: netip.MustParseAddrPort("10.0.1.10:443"), Side: rules.ResponderSide})
	if a.Request.Decision != rules.Allowed || a.Reply.Decision != rules.Denied || !strings.Contains(a.Reply.Rule, "acl-0web egress #32767") {
		t.Fatalf("https: request %v, reply %v %q", a.Request.Decision, a.Reply.Decision, a.Reply.Rule)
	}
	// Postgres from the app server is allowed by the group reference.
	a = set.Evaluate(rules.Conversation{Interface: "eni-0web", Protocol: 6,
		Initiator: netip.MustParseAddrPort("10.0.2.20:50000"), Responder: netip.MustParseAddrPort("10.0.1.10:5432"), Side: rules.ResponderSide})
	if a.Request.Decision != rules.Allowed {
		t.Fatalf("postgres from a member of sg-0app: %v %q", a.Request.Decision, a.Request.Explanation)
	}
	for _, c := range srv.Calls() {
		if c.Service != "ec2" || !strings.HasPrefix(c.Op, "Describe") {
			t.Errorf("a call that is not a read-only Describe: %s %s", c.Service, c.Op)
		}
	}
}

func TestFetchReportsAccessDenied(t *testing.T) {
	srv := fakeaws.Serve(t)
	srv.FailNext("DescribeNetworkInterfaces", 5, "UnauthorizedOperation")
	_, err := Fetch(context.Background(), awsclient.NewEC2(srv.AWSConfig()), []string{"eni-0web"})
	if err == nil || !strings.Contains(awsclient.Explain(err, ""), "ec2:DescribeNetworkInterfaces") {
		t.Fatalf("err %v; explained: %s", err, awsclient.Explain(err, ""))
	}
}

// What EC2 says about a group (its name, anyone's to choose) reaches the screen clean:
// C1 controls pass XML, so they arrive, and the loader cleans them.
func TestFetchCleansWhatEC2Says(t *testing.T) {
	srv := fakeaws.Serve(t)
	srv.AddSecurityGroups(fakeaws.SecurityGroup{GroupID: "sg-0web", GroupName: "web\u009b2J\u009d52;c;aGk=\u009c", VpcID: "vpc-1"})
	srv.AddNetworkInterfaces(fakeaws.NetworkInterface{NetworkInterfaceID: "eni-0web", SubnetID: "subnet-web", VpcID: "vpc-1", PrivateIP: "10.0.1.10", GroupIDs: []string{"sg-0web"}})
	set, err := Fetch(context.Background(), awsclient.NewEC2(srv.AWSConfig()), []string{"eni-0web"})
	if err != nil {
		t.Fatal(err)
	}
	g, ok := set.SecurityGroup("sg-0web")
	if !ok || g.Name != "web" {
		t.Fatalf("group name %q", g.Name)
	}
}

// The instances behind the interfaces are described too, and their Name tags, and the
// interfaces' own, come through: the hosts are named as in the console.
func TestFetchNamesTheHosts(t *testing.T) {
	srv := fakeaws.Serve(t)
	srv.AddSecurityGroups(fakeaws.SecurityGroup{GroupID: "sg-0db", GroupName: "shop-db", VpcID: "vpc-1"})
	srv.AddNetworkInterfaces(
		fakeaws.NetworkInterface{NetworkInterfaceID: "eni-0db", SubnetID: "subnet-db", VpcID: "vpc-1", PrivateIP: "10.0.1.30", GroupIDs: []string{"sg-0db"}, InstanceID: "i-0db"},
		fakeaws.NetworkInterface{NetworkInterfaceID: "eni-0nat", SubnetID: "subnet-pub", VpcID: "vpc-1", PrivateIP: "10.0.0.5", PublicIP: "198.51.100.5",
			InterfaceType: "nat_gateway", RequesterManaged: true, Description: "Interface for NAT Gateway nat-0abc", Tags: map[string]string{"Name": "egress"}},
	)
	srv.AddInstances(fakeaws.Instance{InstanceID: "i-0db", Tags: map[string]string{"Name": "db-1"}},
		fakeaws.Instance{InstanceID: "i-0other", Tags: map[string]string{"Name": "not-in-view"}})
	set, err := Fetch(context.Background(), awsclient.NewEC2(srv.AWSConfig()), []string{"eni-0db", "eni-0nat"})
	if err != nil {
		t.Fatal(err)
	}
	inst, ok := set.Instance("i-0db")
	if !ok || inst.Name != "db-1" || len(inst.PrivateIPs) != 1 || inst.PrivateIPs[0] != netip.MustParseAddr("10.0.1.30") {
		t.Fatalf("instance %+v", inst)
	}
	if _, ok := set.Instance("i-0other"); ok {
		t.Error("an instance behind no interface in view was described")
	}
	if nat, _ := set.Interface("eni-0nat"); nat == nil || nat.Name != "egress" || nat.Description != "Interface for NAT Gateway nat-0abc" {
		t.Errorf("NAT interface %+v", nat)
	}
	if got := set.GroupName("sg-0db"); got != "shop-db" {
		t.Errorf("group name %q", got)
	}
	calls := srv.CallsTo("DescribeInstances")
	if len(calls) != 1 || calls[0].String("Filter.1.Name") != "instance-id" || calls[0].String("Filter.1.Value.1") != "i-0db" {
		t.Errorf("DescribeInstances calls %+v", calls)
	}
}

// Without ec2:DescribeInstances the rules still come back, with a NamesError that says
// which permission is missing: the verdicts do not depend on names.
func TestFetchWithoutDescribeInstances(t *testing.T) {
	srv := fakeaws.Serve(t)
	srv.AddNetworkInterfaces(fakeaws.NetworkInterface{NetworkInterfaceID: "eni-0db", SubnetID: "subnet-db", VpcID: "vpc-1", PrivateIP: "10.0.1.30", InstanceID: "i-0db"})
	srv.AddInstances(fakeaws.Instance{InstanceID: "i-0db", Tags: map[string]string{"Name": "db-1"}})
	srv.FailNext("DescribeInstances", 5, "UnauthorizedOperation")
	set, err := Fetch(context.Background(), awsclient.NewEC2(srv.AWSConfig()), []string{"eni-0db"})
	var ne *NamesError
	if !errors.As(err, &ne) || set == nil {
		t.Fatalf("set %v, err %v; want the set and a NamesError", set, err)
	}
	if _, ok := set.Interface("eni-0db"); !ok {
		t.Error("the interface was lost")
	}
	if msg := awsclient.Explain(err, ""); !strings.Contains(msg, "ec2:DescribeInstances") {
		t.Errorf("explained: %s", msg)
	}
}
