package rules_test

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/flowlens/flowlens/model/rules"
)

func ExampleSet_Evaluate() {
	// In flowlens the set comes from --rules files, each read by the command line and
	// passed to Load, merged with Set.Merge.
	set, err := rules.Load(strings.NewReader(`{
	  "SecurityGroups": [{"GroupId": "sg-0abc", "IpPermissions": [
	    {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]}],
	  "NetworkAcls": [{"NetworkAclId": "acl-0abc", "Associations": [{"SubnetId": "subnet-0abc"}], "Entries": [
	    {"RuleNumber": 100, "Egress": false, "Protocol": "-1", "RuleAction": "allow", "CidrBlock": "0.0.0.0/0"},
	    {"RuleNumber": 100, "Egress": true, "Protocol": "6", "RuleAction": "allow", "CidrBlock": "0.0.0.0/0",
	     "PortRange": {"From": 1024, "To": 5000}}]}],
	  "NetworkInterfaces": [{"NetworkInterfaceId": "eni-0abc", "SubnetId": "subnet-0abc",
	    "PrivateIpAddress": "10.0.0.10", "Groups": [{"GroupId": "sg-0abc"}]}]
	}`), "example.json")
	if err != nil {
		fmt.Println(err)
		return
	}
	a := set.Evaluate(rules.Conversation{
		Interface: "eni-0abc",
		Protocol:  rules.ProtoTCP,
		Initiator: netip.MustParseAddrPort("203.0.113.7:40000"),
		Responder: netip.MustParseAddrPort("10.0.0.10:443"),
		Side:      rules.ResponderSide, // or SideUnknown: found from the interface's addresses
	})
	for _, leg := range []rules.Leg{a.Request, a.Reply} {
		fmt.Printf("%s: %s %s %q\n", leg.Direction, leg.Decision, leg.Layer, leg.Rule)
	}
	fmt.Println(a.Reply.Explanation)
	// Output:
	// inbound: allowed  "acl-0abc ingress #100; sg-0abc inbound tcp 443 from 0.0.0.0/0"
	// outbound: denied nacl "acl-0abc egress #32767"
	// Dropped: no egress rule of acl-0abc allows tcp/40000 to 203.0.113.7, so the final * rule (#32767) denies it (a reply goes to the initiator's ephemeral port 40000: the return rule must cover it, usually 1024-65535).
}
