package pairs_test

import (
	"strings"
	"testing"

	"github.com/flowlens/flowlens/model/pairs"
	"github.com/flowlens/flowlens/model/rules"
)

// ruleSet is one interface, eni-0a (10.0.1.10 in subnet-0a), whose group allows SSH
// from anywhere and HTTPS from a prefix list, behind an ACL that allows everything in
// and only the ephemeral range out.
const ruleSet = `{
  "SecurityGroups": [{"GroupId": "sg-0a", "GroupName": "web", "IpPermissions": [
    {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
    {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "PrefixListIds": [{"PrefixListId": "pl-0a"}]}],
    "IpPermissionsEgress": [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]}],
  "NetworkAcls": [{"NetworkAclId": "acl-0a", "Associations": [{"SubnetId": "subnet-0a"}], "Entries": [
    {"RuleNumber": 100, "Egress": false, "Protocol": "-1", "RuleAction": "allow", "CidrBlock": "0.0.0.0/0"},
    {"RuleNumber": 100, "Egress": true, "Protocol": "6", "RuleAction": "allow", "CidrBlock": "0.0.0.0/0", "PortRange": {"From": 1024, "To": 65535}}]}],
  "NetworkInterfaces": [{"NetworkInterfaceId": "eni-0a", "SubnetId": "subnet-0a", "PrivateIpAddress": "10.0.1.10", "Groups": [{"GroupId": "sg-0a"}]}]
}`

func judgeWithRules(t *testing.T, records string) pairs.Judgement {
	t.Helper()
	rs, err := rules.Load(strings.NewReader(ruleSet), "rules.json")
	if err != nil {
		t.Fatal(err)
	}
	ix := index(parse(t, nil, records))
	if ix.Len() != 1 {
		t.Fatalf("%d pairs", ix.Len())
	}
	return ix.Judge(ix.All()[0], rs)
}

func TestRulesNarrowAndDisagree(t *testing.T) {
	tests := []struct {
		name       string
		records    string
		verdict    pairs.Verdict
		rule       string
		disagree   bool
		mentions   []string
		contextHas string
	}{
		{
			name:     "the rules allow what was rejected",
			records:  "2 1 eni-0a 203.0.113.7 10.0.1.10 40000 22 6 3 180 100 103 REJECT OK",
			verdict:  pairs.SGOrNACL,
			disagree: true,
			mentions: []string{"loaded rules allow it", "may have changed since"},
		},
		{
			name:       "a security group has no rule",
			records:    "2 1 eni-0a 203.0.113.7 10.0.1.10 40000 3389 6 3 180 100 103 REJECT OK",
			verdict:    pairs.SG,
			rule:       "sg-0a: no inbound rule allows tcp/3389 from 203.0.113.7",
			mentions:   []string{"inbound tcp/3389 from 203.0.113.7 to 10.0.1.10 was rejected by the security groups", "if it should pass, add an inbound rule"},
			contextHas: "sg-0a inbound tcp 22 from 0.0.0.0/0",
		},
		{
			name:     "a prefix list might allow it, the ACL surely does: the groups rejected it",
			records:  "2 1 eni-0a 203.0.113.7 10.0.1.10 40000 443 6 3 180 100 103 REJECT OK",
			verdict:  pairs.SG,
			mentions: []string{"so the security groups rejected it", "prefix list"},
		},
		{
			name: "the reply to a low port dies at the ACL's final rule",
			records: `2 1 eni-0a 198.51.100.7 10.0.1.10 1000 22 6 3 180 100 103 ACCEPT OK
2 1 eni-0a 10.0.1.10 198.51.100.7 22 1000 6 3 180 100 103 REJECT OK`,
			verdict:    pairs.NACL,
			rule:       "acl-0a egress #32767",
			mentions:   []string{"the reply to 198.51.100.7:1000 was rejected by the network ACL", "final * rule"},
			contextHas: "> #32767 deny all 0.0.0.0/0 (*)",
		},
		{
			name: "the rules would drop what passed",
			records: `2 1 eni-0a 198.51.100.7 10.0.1.10 40000 3389 6 3 180 100 103 ACCEPT OK
2 1 eni-0a 10.0.1.10 198.51.100.7 3389 40000 6 3 180 100 103 ACCEPT OK`,
			verdict:  pairs.Accepted,
			disagree: true,
			mentions: []string{"loaded rules would drop"},
		},
		{
			name:     "an interface that was not loaded",
			records:  "2 1 eni-0b 203.0.113.7 10.0.2.10 40000 22 6 3 180 100 103 REJECT OK",
			verdict:  pairs.SGOrNACL,
			mentions: []string{"cannot narrow it: the subnet is unknown", "not in the loaded describe-network-interfaces output"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := judgeWithRules(t, tt.records)
			if j.Verdict != tt.verdict || j.Rule != tt.rule || j.RulesDisagree != tt.disagree {
				t.Errorf("verdict %s rule %q disagree %v; want %s %q %v\n%s", j.Verdict, j.Rule, j.RulesDisagree,
					tt.verdict, tt.rule, tt.disagree, j.Explanation)
			}
			for _, m := range tt.mentions {
				if !strings.Contains(j.Explanation, m) {
					t.Errorf("explanation lacks %q: %s", m, j.Explanation)
				}
			}
			if tt.contextHas != "" && !strings.Contains(strings.Join(j.RuleContext, "\n"), tt.contextHas) {
				t.Errorf("rule context lacks %q:\n%s", tt.contextHas, strings.Join(j.RuleContext, "\n"))
			}
		})
	}
}
