package liverules

import (
	"context"
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
