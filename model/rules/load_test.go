package rules_test

import (
	"net/netip"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/flowlens/flowlens/model/rules"
)

var cliFiles = []string{
	"testdata/describe-security-groups.json",
	"testdata/describe-network-acls.json",
	"testdata/describe-network-interfaces.json",
	"testdata/describe-subnets.json",
}

func TestLoadCLIOutput(t *testing.T) {
	set := loadFiles(t, cliFiles...)
	if got := len(set.SecurityGroups()); got != 4 {
		t.Errorf("%d groups, want 4", got)
	}
	if got := len(set.NetworkACLs()); got != 2 {
		t.Errorf("%d ACLs, want 2", got)
	}
	if got := len(set.Interfaces()); got != 4 {
		t.Errorf("%d interfaces, want 4", got)
	}
	if got := set.Sources(); strings.Join(got, ",") != strings.Join(cliFiles, ",") {
		t.Errorf("sources %v", got)
	}

	web, ok := set.SecurityGroup("sg-0123456789abcdef0")
	if !ok {
		t.Fatal("web group missing")
	}
	var inbound []string
	for _, r := range web.Inbound {
		inbound = append(inbound, r.String())
	}
	want := []string{
		"sg-0123456789abcdef0 inbound tcp 443 from 0.0.0.0/0",
		"sg-0123456789abcdef0 inbound tcp 443 from ::/0",
		"sg-0123456789abcdef0 inbound tcp 22 from sg-0fedcba9876543210",
		"sg-0123456789abcdef0 inbound tcp 8080 from pl-3b927c52 (prefix list)",
		"sg-0123456789abcdef0 inbound icmp type 8 from 198.51.100.0/24",
	}
	if strings.Join(inbound, "\n") != strings.Join(want, "\n") {
		t.Errorf("web inbound rules:\n%s\nwant:\n%s", strings.Join(inbound, "\n"), strings.Join(want, "\n"))
	}
	if web.Inbound[0].Description != "HTTPS from anywhere" || web.Name != "shop-web" || web.VpcID != "vpc-0a1b2c3d4e5f60718" {
		t.Errorf("web group details lost: %+v", web)
	}
	if got := web.Outbound; len(got) != 2 || got[0].Protocol != rules.AllProtocols {
		t.Errorf("web outbound %v", got)
	}

	ifc, ok := set.InterfaceByAddr(netip.MustParseAddr("10.0.0.11")) // a secondary address
	if !ok || ifc.ID != "eni-0a1b2c3d4e5f60001" || ifc.InstanceID != "i-0b22a22eec53b9321" {
		t.Errorf("secondary address -> %+v", ifc)
	}
	if ifc6, ok := set.InterfaceByAddr(netip.MustParseAddr("2600:1f18:4a3:6b00:8d6e:3477:df66:f105")); !ok || ifc6 != ifc {
		t.Error("IPv6 address does not map to its interface")
	}
	if _, ok := set.InterfaceByAddr(netip.MustParseAddr("54.210.17.33")); ok {
		t.Error("public address mapped as a private one")
	}
	if len(ifc.PublicIPs) != 1 || ifc.PublicIPs[0].String() != "54.210.17.33" {
		t.Errorf("public IPs %v", ifc.PublicIPs)
	}
	nat, _ := set.Interface("eni-0a1b2c3d4e5f60004")
	if nat.Type != "nat_gateway" || len(nat.Groups) != 0 {
		t.Errorf("NAT interface %+v", nat)
	}

	private, _ := set.NetworkACL("acl-0f9e8d7c6b5a49382")
	if len(private.Ingress) != 4 || len(private.Egress) != 3 || private.Ingress[2].ICMPType != 8 || private.Ingress[2].Protocol != 1 {
		t.Errorf("private ACL %+v", private)
	}
	sub, _ := set.Subnet("subnet-0aa11bb22cc33dd44")
	if len(sub.CIDRs) != 2 {
		t.Errorf("subnet CIDRs %v", sub.CIDRs)
	}
}

// TestCLIScenario evaluates conversations over the CLI-shaped files as flowlens pairs
// would: the records of one interface, the rules of the whole VPC.
func TestCLIScenario(t *testing.T) {
	set := loadFiles(t, cliFiles...)
	const web, db = "eni-0a1b2c3d4e5f60001", "eni-0a1b2c3d4e5f60003"
	tests := []struct {
		name           string
		c              rules.Conversation
		request, reply verdict
	}{
		{"ssh from the internet to the web server",
			conv(web, rules.ProtoTCP, "203.0.113.7:51515", "10.0.0.10:22", rules.SideUnknown),
			verdict{rules.Denied, rules.LayerSG, "sg-0123456789abcdef0,sg-0d3f4a5b6c7d8e9f0: no inbound rule allows tcp/22 from 203.0.113.7"},
			verdict{rules.Allowed, 0, "acl-0c1d2e3f4a5b6c7d8 egress #100"}},
		{"ssh from the bastion (same subnet, group reference)",
			conv(web, rules.ProtoTCP, "10.0.0.20:51515", "10.0.0.10:22", rules.SideUnknown),
			verdict{rules.Allowed, 0, "sg-0123456789abcdef0 inbound tcp 22 from sg-0fedcba9876543210"},
			verdict{rules.Allowed, 0, ""}},
		{"web to the database (group reference, private ACL, return rule)",
			conv(db, rules.ProtoTCP, "10.0.0.10:45678", "10.0.1.30:5432", rules.SideUnknown),
			verdict{rules.Allowed, 0, "acl-0f9e8d7c6b5a49382 ingress #100; sg-0a0b0c0d0e0f01234 inbound tcp 5432 from sg-0123456789abcdef0"},
			verdict{rules.Allowed, 0, "acl-0f9e8d7c6b5a49382 egress #110"}},
		{"database to S3 through a prefix list",
			conv(db, rules.ProtoTCP, "10.0.1.30:45678", "52.216.8.1:443", rules.SideUnknown),
			verdict{rules.Unknown, rules.LayerSG, "sg-0a0b0c0d0e0f01234 outbound tcp 443 to pl-63a5400a (prefix list)"},
			verdict{rules.Allowed, 0, "acl-0f9e8d7c6b5a49382 ingress #110"}},
		{"web server pinged from the office: ICMP type rule",
			conv(web, rules.ProtoICMP, "198.51.100.20:0", "10.0.0.10:0", rules.SideUnknown),
			verdict{rules.Unknown, rules.LayerSG, "sg-0123456789abcdef0 inbound icmp type 8 from 198.51.100.0/24"},
			verdict{rules.Allowed, 0, "acl-0c1d2e3f4a5b6c7d8 egress #100"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := set.Evaluate(tt.c)
			if got := legVerdict(a.Request); got != tt.request {
				t.Errorf("request = %s %q %q, want %s %q %q (%s)", got.decision, got.layer, got.rule,
					tt.request.decision, tt.request.layer, tt.request.rule, a.Request.Explanation)
			}
			if got := legVerdict(a.Reply); got != tt.reply {
				t.Errorf("reply = %s %q %q, want %s %q %q (%s)", got.decision, got.layer, got.rule,
					tt.reply.decision, tt.reply.layer, tt.reply.rule, a.Reply.Explanation)
			}
		})
	}
}

// TestLoadSDKMarshal reads json.Marshal output of aws-sdk-go-v2's
// ec2.Describe{SecurityGroups,NetworkAcls,NetworkInterfaces}Output, one per line as
// json.Encoder writes them: nulls for absent values, "ResultMetadata": {}.
func TestLoadSDKMarshal(t *testing.T) {
	set := loadFiles(t, "testdata/sdk-describe-outputs.json")
	g, ok := set.SecurityGroup("sg-0aaaaaaaaaaaaaaa1")
	if !ok || len(g.Inbound) != 2 || len(g.Outbound) != 1 {
		t.Fatalf("group %+v", g)
	}
	if r := g.Inbound[1]; r.Protocol != rules.AllProtocols || r.Peer != rules.PeerGroup || r.PeerID != "sg-0aaaaaaaaaaaaaaa1" {
		t.Errorf("self-reference rule %+v", r)
	}
	a := set.Evaluate(conv("eni-0aaaaaaaaaaaaaaa3", rules.ProtoTCP, "10.20.5.5:50123", "10.20.1.7:8443", rules.SideUnknown))
	if a.Request.Decision != rules.Allowed || a.Reply.Decision != rules.Allowed {
		t.Errorf("request %s (%s), reply %s (%s)", a.Request.Decision, a.Request.Explanation, a.Reply.Decision, a.Reply.Explanation)
	}
	a = set.Evaluate(conv("eni-0aaaaaaaaaaaaaaa3", rules.ProtoTCP, "198.51.100.1:50123", "10.20.1.7:8443", rules.SideUnknown))
	if a.Request.Decision != rules.Denied || a.Request.Rule != "acl-0ddddddddddddddd1 ingress #32767" {
		t.Errorf("request %s %q", a.Request.Decision, a.Request.Rule)
	}
}

func TestLoadSeveralKeysInOneObject(t *testing.T) {
	doc := `{
  "SecurityGroups": [` + sg("sg-1", perm("tcp", 22, 22, "10.0.0.0/8"), "") + `],
  "NetworkAcls": [` + acl("acl-1", true, []string{"subnet-1"}, entry(100, false, "allow", "-1", "0.0.0.0/0", 0, 0)) + `],
  "NetworkInterfaces": [` + eni("eni-1", "subnet-1", []string{"10.0.0.10"}, "sg-1") + `],
  "NextToken": null
}`
	set, err := rules.Load(strings.NewReader(doc), "all.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(set.SecurityGroups()) != 1 || len(set.NetworkACLs()) != 1 || len(set.Interfaces()) != 1 {
		t.Errorf("loaded %d groups, %d ACLs, %d interfaces", len(set.SecurityGroups()), len(set.NetworkACLs()), len(set.Interfaces()))
	}
	a := set.Evaluate(conv("eni-1", rules.ProtoTCP, "10.1.0.1:50000", "10.0.0.10:22", rules.ResponderSide))
	if a.Request.Decision != rules.Allowed {
		t.Errorf("request %s: %s", a.Request.Decision, a.Request.Explanation)
	}
}

func TestLoadConcatenatedObjects(t *testing.T) {
	var b strings.Builder
	for _, f := range cliFiles {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(data)
	}
	set, err := rules.Load(strings.NewReader(b.String()), "cat.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(set.SecurityGroups()) != 4 || len(set.NetworkACLs()) != 2 || len(set.Interfaces()) != 4 || len(set.Subnets()) != 2 {
		t.Error("concatenated documents not all loaded")
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name, doc string
		want      string // a regexp the error must match
	}{
		{"empty", "", `^x\.json: no JSON object: expected SecurityGroups, NetworkAcls, NetworkInterfaces, Subnets or Reservations`},
		{"whitespace", " \n\t", `^x\.json: no JSON object`},
		{"unknown key", `{"SecurityGroups": [], "Vpcs": []}`,
			`^x\.json:1:1: unknown top-level key "Vpcs": expected SecurityGroups, NetworkAcls, NetworkInterfaces, Subnets or Reservations, as printed by aws ec2 describe-security-groups`},
		{"instance without id", `{"Reservations": [{"Instances": [{"PrivateIpAddress": "10.0.0.1"}]}]}`, `Reservations\[\]\.Instances\[0\] : no InstanceId`},
		{"only metadata", `{"NextToken": null}`, `^x\.json:1:1: no rules in this object`},
		{"empty object", `{}`, `^x\.json:1:1: no rules in this object`},
		{"array", `[{"SecurityGroups": []}]`, `^x\.json:1:1: expected a JSON object`},
		{"null", `null`, `^x\.json:1:1: expected a JSON object`},
		{"syntax error position", "{\n  \"SecurityGroups\": [\n    {\"GroupId\": \"sg-1\",,}\n  ]\n}", `^x\.json:3:24: malformed JSON: invalid character ','`},
		{"second object malformed", "{\"Subnets\": []}\n{\"Subnets\": [}", `^x\.json:2:14: malformed JSON`},
		{"truncated", `{"SecurityGroups": [`, `^x\.json:1:21: malformed JSON: unexpected end of file`},
		{"type error position", "{\"NetworkAcls\": [\n {\"NetworkAclId\": \"acl-1\", \"Entries\": [{\"RuleNumber\": \"100\"}]}]}",
			`^x\.json:2:59: NetworkAcls\.Entries\.RuleNumber: JSON string where int was expected`},
		{"type error in a later object", "{\"Subnets\": []}\n\n{\"Subnets\": [{\"SubnetId\": 7}]}",
			`^x\.json:3:27: Subnets\.SubnetId: JSON number where string was expected`},
		{"bad protocol", groups(sg("sg-1", `{"IpProtocol":"gre","IpRanges":[{"CidrIp":"0.0.0.0/0"}]}`, "")),
			`^x\.json: SecurityGroups\[0\] sg-1: IpPermissions\[0\]: protocol "gre" is not tcp, udp, icmp, icmpv6, -1 or a number 0-255`},
		{"bad cidr", groups(sg("sg-1", perm("tcp", 22, 22, "10.0.0.300/8"), "")), `sg-1: IpPermissions\[0\]: IpRanges: CIDR "10\.0\.0\.300/8"`},
		{"ipv6 cidr in IpRanges", groups(sg("sg-1", `{"IpProtocol":"tcp","FromPort":1,"ToPort":2,"IpRanges":[{"CidrIp":"::/0"}]}`, "")), `is not an IPv4 block`},
		{"bad port range", groups(sg("sg-1", perm("tcp", 100, 20, "0.0.0.0/0"), "")), `port range 100-20`},
		{"no group id", `{"SecurityGroups":[{"GroupName":"x"}]}`, `SecurityGroups\[0\] : no GroupId`},
		{"bad rule action", acls(acl("acl-1", false, nil, strings.Replace(entry(100, false, "allow", "-1", "0.0.0.0/0", 0, 0), "allow", "permit", 1))),
			`acl-1: entry 0: rule #100: RuleAction "permit" is not allow or deny`},
		{"empty rule action (SDK zero value)", acls(acl("acl-1", false, nil, strings.Replace(entry(100, false, "allow", "-1", "0.0.0.0/0", 0, 0), `"allow"`, `""`, 1))),
			`RuleAction "" is not allow or deny`},
		{"entry without egress", acls(acl("acl-1", false, nil, `{"RuleNumber":1,"Protocol":"-1","RuleAction":"allow","CidrBlock":"0.0.0.0/0"}`)), `no Egress flag`},
		{"entry without cidr", acls(acl("acl-1", false, nil, `{"RuleNumber":1,"Egress":true,"Protocol":"-1","RuleAction":"allow"}`)), `no CidrBlock or Ipv6CidrBlock`},
		{"rule number out of range", acls(acl("acl-1", false, nil, entry(40000, false, "allow", "-1", "0.0.0.0/0", 0, 0))), `RuleNumber missing or not within 1-32768`},
		{"bad interface address", enis(eni("eni-1", "subnet-1", []string{"10.0.0.999"})), `NetworkInterfaces\[0\] eni-1: address "10\.0\.0\.999"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := rules.Load(strings.NewReader(tt.doc), "x.json")
			if err == nil {
				t.Fatal("no error")
			}
			if !regexp.MustCompile(tt.want).MatchString(err.Error()) {
				t.Errorf("error %q\n  does not match %q", err, tt.want)
			}
		})
	}
}

// Of two documents with the same object, the one merged later wins: --rules files are
// merged in the order given, so a fresh export overrides an old one.
func TestMergeLaterWins(t *testing.T) {
	set := load(t, groups(sg("sg-1", perm("tcp", 22, 22, "0.0.0.0/0"), "")), groups(sg("sg-1", perm("tcp", 443, 443, "0.0.0.0/0"), "")))
	g, _ := set.SecurityGroup("sg-1")
	if len(g.Inbound) != 1 || g.Inbound[0].FromPort != 443 {
		t.Errorf("the later document did not win: %v", g.Inbound)
	}
}

func TestParseProtocol(t *testing.T) {
	for in, want := range map[string]rules.Protocol{
		"tcp": 6, "TCP": 6, "udp": 17, "icmp": 1, "icmpv6": 58, "-1": rules.AllProtocols, "6": 6, "58": 58, "47": 47, " 50 ": 50,
	} {
		if got, err := rules.ParseProtocol(in); err != nil || got != want {
			t.Errorf("ParseProtocol(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "gre", "256", "-2", "6.0"} {
		if _, err := rules.ParseProtocol(bad); err == nil {
			t.Errorf("ParseProtocol(%q) accepted", bad)
		}
	}
}

func TestInterfaceWithoutGroups(t *testing.T) {
	set := loadFiles(t, cliFiles...)
	// The NAT gateway's interface has no security groups: nothing for SGs to drop.
	a := set.Evaluate(conv("eni-0a1b2c3d4e5f60004", rules.ProtoTCP, "203.0.113.7:50000", "10.0.0.5:22", rules.SideUnknown))
	if a.Request.Decision != rules.Allowed || a.Reply.Decision != rules.Allowed {
		t.Fatalf("request %s, reply %s", a.Request.Decision, a.Reply.Decision)
	}
	if a.Reply.SGByTracking || a.Reply.SG.Rule != "eni-0a1b2c3d4e5f60004: no security groups" {
		t.Errorf("reply SG %q by tracking %v", a.Reply.SG.Rule, a.Reply.SGByTracking)
	}
}

// An interface's addresses stand for its primary IPv4, the first of its private IPv4s,
// and SameHost lists them; an address no interface holds, and IPv6, stand for
// themselves. When two interfaces claim one address, the later id holds it.
func TestPrimaryIPv4AndSameHost(t *testing.T) {
	set := load(t, `{"NetworkInterfaces":[
{"NetworkInterfaceId":"eni-1","PrivateIpAddresses":[{"PrivateIpAddress":"10.0.0.10","Primary":true},{"PrivateIpAddress":"10.0.0.11"}],"Ipv6Addresses":[{"Ipv6Address":"2600:1f18::10"}]},
{"NetworkInterfaceId":"eni-2","PrivateIpAddresses":[{"PrivateIpAddress":"10.0.0.20","Primary":true},{"PrivateIpAddress":"10.0.0.11"}]}]}`)
	a := netip.MustParseAddr
	for in, want := range map[string]string{"10.0.0.10": "10.0.0.10", "10.0.0.11": "10.0.0.20", "10.0.0.20": "10.0.0.20", "10.9.9.9": "10.9.9.9", "2600:1f18::10": "2600:1f18::10"} {
		if got := set.PrimaryIPv4(a(in)); got != a(want) {
			t.Errorf("PrimaryIPv4(%s) = %s, want %s", in, got, want)
		}
	}
	if got := set.SameHost(a("10.0.0.20")); len(got) != 2 || got[0] != a("10.0.0.11") || got[1] != a("10.0.0.20") {
		t.Errorf("SameHost(10.0.0.20) = %v", got)
	}
	if got := set.SameHost(a("10.0.0.10")); len(got) != 1 || got[0] != a("10.0.0.10") {
		t.Errorf("SameHost(10.0.0.10) = %v", got)
	}
	var none *rules.Set
	if none.PrimaryIPv4(a("10.0.0.10")) != a("10.0.0.10") || none.SameHost(a("10.0.0.10")) != nil {
		t.Error("a nil set knows addresses")
	}
}
