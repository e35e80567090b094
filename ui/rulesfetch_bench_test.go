package ui

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/flowlens/flowlens/model/names"
	"github.com/flowlens/flowlens/model/rules"
)

// bigAccount is the rules of a large account: interfaces, with their Name tags, and
// security groups of twenty rules each.
func bigAccount(b *testing.B, interfaces, groups int) *rules.Set {
	var buf bytes.Buffer
	buf.WriteString(`{"NetworkInterfaces":[`)
	for i := range interfaces {
		if i > 0 {
			buf.WriteByte(',')
		}
		fmt.Fprintf(&buf, `{"NetworkInterfaceId":"eni-%017x","PrivateIpAddress":"10.%d.%d.%d","SubnetId":"subnet-0a","VpcId":"vpc-0a","Groups":[{"GroupId":"sg-%017x","GroupName":"g%d"}],"TagSet":[{"Key":"Name","Value":"host-%d"}]}`,
			i, i>>16&255, i>>8&255, i&255, i%groups, i%groups, i)
	}
	buf.WriteString(`],"SecurityGroups":[`)
	for g := range groups {
		if g > 0 {
			buf.WriteByte(',')
		}
		fmt.Fprintf(&buf, `{"GroupId":"sg-%017x","GroupName":"g%d","VpcId":"vpc-0a","IpPermissions":[`, g, g)
		for r := range 20 {
			if r > 0 {
				buf.WriteByte(',')
			}
			fmt.Fprintf(&buf, `{"IpProtocol":"tcp","FromPort":%d,"ToPort":%d,"IpRanges":[{"CidrIp":"10.%d.0.0/16"}]}`, 1000+r, 1000+r, r)
		}
		buf.WriteString(`],"IpPermissionsEgress":[{"IpProtocol":"-1","IpRanges":[{"CidrIp":"0.0.0.0/0"}]}]}`)
	}
	buf.WriteString(`]}`)
	rs, err := rules.Load(&buf, "big.json")
	if err != nil {
		b.Fatal(err)
	}
	return rs
}

// BenchmarkLiveRulesArrive is what the update loop does when a --live-rules answer for
// a large account arrives (20,000 interfaces, 5,000 groups): the rules and their names
// are built in the fetch's command (not timed here; BenchmarkLiveRulesTake), so the
// loop only puts them in use and shows the selected verdict under them.
func BenchmarkLiveRulesArrive(b *testing.B) {
	m, set, take := liveRulesBench(b, 10_000)
	for b.Loop() {
		b.StopTimer()
		msg := rulesFetchedMsg{set: set, count: 20_000, gen: m.rulesGen, taken: take(nil, set, set)}
		b.StartTimer()
		m.handleRulesFetched(msg)
	}
}

// BenchmarkLiveRulesTake is what the fetch's command does with that answer, off the
// update loop: the merge and the names.
func BenchmarkLiveRulesTake(b *testing.B) {
	_, set, take := liveRulesBench(b, 1_000)
	for b.Loop() {
		take(nil, set, set)
	}
}

// liveRulesBench is an explorer holding records, with a names lookup, the large
// account's rules, and what its rules commands build from them.
func liveRulesBench(b *testing.B, records int) (*Model, *rules.Set, func(files, live, named *rules.Set) rulesTaken) {
	set := bigAccount(b, 20_000, 5_000)
	m := loaded(b, records, "")
	m.opts.Names = names.New(nil, nil)
	return m, set, m.takeRules()
}
