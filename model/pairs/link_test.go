package pairs_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/flowlens/flowlens/internal/sim"
	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/pairs"
	"github.com/flowlens/flowlens/model/rules"
)

// linkFormat carries flow-direction, which tells each interface's own end without
// rules or other conversations, and tcp-flags, which tell who started it.
var linkFormat = model.MustParseFormat("${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${flow-direction} ${tcp-flags}")

// A connection from app (eni-a, 10.0.1.5) to db (eni-b, 10.0.2.9) on 5432, accepted
// both ways, as each end logs it.
const (
	appEnd = `eni-a 10.0.1.5 10.0.2.9 40000 5432 6 3 180 1000 1003 ACCEPT egress 2
eni-a 10.0.2.9 10.0.1.5 5432 40000 6 3 180 1000 1003 ACCEPT ingress 18`
	dbEnd = `eni-b 10.0.1.5 10.0.2.9 40000 5432 6 3 180 1000 1003 ACCEPT ingress 2
eni-b 10.0.2.9 10.0.1.5 5432 40000 6 3 180 1000 1003 ACCEPT egress 18`
)

// eni returns describe-network-interfaces JSON for interfaces given as "eni-a=10.0.1.5,10.0.1.6".
func eni(specs ...string) string {
	var out []string
	for _, s := range specs {
		id, addrs, _ := strings.Cut(s, "=")
		var ips []string
		for i, a := range strings.Split(addrs, ",") {
			ips = append(ips, fmt.Sprintf(`{"PrivateIpAddress":%q,"Primary":%v}`, a, i == 0))
		}
		out = append(out, fmt.Sprintf(`{"NetworkInterfaceId":%q,"SubnetId":"subnet-1","VpcId":"vpc-1","PrivateIpAddress":%q,"PrivateIpAddresses":[%s]}`,
			id, strings.Split(addrs, ",")[0], strings.Join(ips, ",")))
	}
	return `{"NetworkInterfaces":[` + strings.Join(out, ",") + `]}`
}

// TestLinking: which pairs are the two ends of one connection. want maps each
// interface (one pair each) to its peer's interface, "" for none, and "~" marks an
// inferred link.
func TestLinking(t *testing.T) {
	shift := func(text string, by int) string { // the records of text, by seconds later
		var out []string
		for _, l := range strings.Split(text, "\n") {
			f := strings.Fields(l)
			for _, i := range []int{8, 9} {
				var v int
				fmt.Sscan(f[i], &v)
				f[i] = fmt.Sprint(v + by)
			}
			out = append(out, strings.Join(f, " "))
		}
		return strings.Join(out, "\n")
	}
	cases := []struct {
		name, records, rules string
		want                 map[string]string
	}{
		{"one connection, two interfaces: inferred from the records", appEnd + "\n" + dbEnd, "",
			map[string]string{"eni-a": "~eni-b", "eni-b": "~eni-a"}},
		{"the rules list both interfaces' addresses: confirmed", appEnd + "\n" + dbEnd, eni("eni-a=10.0.1.5", "eni-b=10.0.2.9"),
			map[string]string{"eni-a": "eni-b", "eni-b": "eni-a"}},
		{"the rules list one: still inferred", appEnd + "\n" + dbEnd, eni("eni-a=10.0.1.5"),
			map[string]string{"eni-a": "~eni-b", "eni-b": "~eni-a"}},
		{"the key reversed: each end logged the other direction first", appEnd + "\n" +
			"eni-b 10.0.2.9 10.0.1.5 5432 40000 6 3 180 1000 1003 ACCEPT egress 18\neni-b 10.0.1.5 10.0.2.9 40000 5432 6 3 180 1000 1003 ACCEPT ingress 2", "",
			map[string]string{"eni-a": "~eni-b", "eni-b": "~eni-a"}},
		{"the request rejected at the far end", appEnd[:strings.IndexByte(appEnd, '\n')] + "\n" +
			"eni-b 10.0.1.5 10.0.2.9 40000 5432 6 3 180 1000 1003 REJECT ingress 2", "",
			map[string]string{"eni-a": "~eni-b", "eni-b": "~eni-a"}},
		{"only one interface logged it", appEnd, "", map[string]string{"eni-a": ""}},
		{"times far apart: two connections that reused the ports", appEnd + "\n" + shift(dbEnd, 7200), "",
			map[string]string{"eni-a": "", "eni-b": ""}},
		{"times within an aggregation window's slack", appEnd + "\n" + shift(dbEnd, 540), "",
			map[string]string{"eni-a": "~eni-b", "eni-b": "~eni-a"}},
		{"a third interface logs the packets as if it were the db: ambiguous", appEnd + "\n" + dbEnd + "\n" +
			"eni-x 10.0.1.5 10.0.2.9 40000 5432 6 3 180 1000 1003 ACCEPT ingress 2", "",
			map[string]string{"eni-a": "", "eni-b": "", "eni-x": ""}},
		{"the rules say the third interface holds neither end", appEnd + "\n" + dbEnd + "\n" +
			"eni-x 10.0.1.5 10.0.2.9 40000 5432 6 3 180 1000 1003 ACCEPT ingress 2", eni("eni-a=10.0.1.5", "eni-b=10.0.2.9", "eni-x=10.0.3.3"),
			map[string]string{"eni-a": "eni-b", "eni-b": "eni-a", "eni-x": ""}},
		{"many to one: two interfaces hold the db's address (two VPCs in one file)", appEnd + "\n" + dbEnd + "\n" +
			strings.ReplaceAll(dbEnd, "eni-b", "eni-c"), "",
			map[string]string{"eni-a": "", "eni-b": "", "eni-c": ""}},
		{"one interface holds both ends", "eni-a 10.0.1.5 10.0.1.6 40000 5432 6 3 180 1000 1003 ACCEPT egress 2\n" +
			"eni-b 10.0.1.5 10.0.1.6 40000 5432 6 3 180 1000 1003 ACCEPT ingress 2", eni("eni-a=10.0.1.5,10.0.1.6"),
			map[string]string{"eni-a": "", "eni-b": ""}},
		{"the same end on both sides", "eni-a 10.0.1.5 10.0.2.9 40000 5432 6 3 180 1000 1003 ACCEPT egress 2\n" +
			"eni-b 10.0.1.5 10.0.2.9 40000 5432 6 3 180 1000 1003 ACCEPT egress 2", "",
			map[string]string{"eni-a": "", "eni-b": ""}},
	}
	for _, c := range cases {
		recs := parse(t, linkFormat, c.records)
		var rs *rules.Set
		if c.rules != "" {
			var err error
			if rs, err = rules.Load(strings.NewReader(c.rules), "enis.json"); err != nil {
				t.Fatal(err)
			}
		}
		got := linksOf(t, index(recs), rs)
		if !maps.Equal(got, c.want) {
			t.Errorf("%s: links %v, want %v", c.name, got, c.want)
		}
		if b := batchLinks(t, recs, rs); !maps.Equal(b, c.want) {
			t.Errorf("%s: the batch linked %v, want %v", c.name, b, c.want)
		}
	}
}

// linksOf is each pair's peer by interface, as TestLinking writes them.
func linksOf(t *testing.T, ix *pairs.Index, rs *rules.Set) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, p := range ix.All() {
		ifc := p.Key.Interface.String()
		if _, dup := out[ifc]; dup {
			t.Fatalf("two pairs on %s", ifc)
		}
		peer, inferred := ix.Peer(p, rs)
		switch {
		case peer == nil:
			out[ifc] = ""
		case inferred:
			out[ifc] = "~" + peer.Key.Interface.String()
		default:
			out[ifc] = peer.Key.Interface.String()
		}
		if peer != nil {
			if back, _ := ix.Peer(peer, rs); back != p {
				t.Errorf("%s links to %s, which links to %v", ifc, peer.Key.Interface, back)
			}
		}
	}
	return out
}

// batchLinks is linksOf from what a Batch writes (the peer key of its JSON Lines).
func batchLinks(t *testing.T, recs []model.Flow, rs *rules.Set) map[string]string {
	t.Helper()
	b := pairs.NewBatch(false)
	for i := range recs {
		b.Add(&recs[i])
	}
	var buf bytes.Buffer
	if _, err := b.Write(&buf, pairs.WriteOptions{Kind: "jsonl", Rules: rs, Named: true}); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, o := range jsonLinesOf(t, buf.String()) {
		ifc := o["interface-id"].(string)
		peer, _ := o["peer"].(map[string]any)
		switch {
		case peer == nil:
			out[ifc] = ""
		case peer["inferred"] == true:
			out[ifc] = "~" + peer["interface-id"].(string)
		default:
			out[ifc] = peer["interface-id"].(string)
		}
	}
	return out
}

func jsonLinesOf(t *testing.T, text string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(text), "\n") {
		if l == "" {
			continue
		}
		var o map[string]any
		if err := json.Unmarshal([]byte(l), &o); err != nil {
			t.Fatalf("%v: %s", err, l)
		}
		out = append(out, o)
	}
	return out
}

// TestLinkingThroughAddressSets: with the rules, a pod's secondary address stands for
// its node's interface, whose records show its primary address: the web server's
// record (to the pod) and the node's (to the node) are one connection. A NAT gateway's
// interface is not the other end of the connections it translates.
func TestLinkingThroughAddressSets(t *testing.T) {
	run := func(name string) (*pairs.Index, []model.Flow, *rules.Set) {
		for _, c := range sim.Cases() {
			if c.Name == name {
				res := c.Run(sim.V5Format)
				return index(res.Records), res.Records, loadRules(t, c.Topology)
			}
		}
		t.Fatalf("no case %q", name)
		return nil, nil, nil
	}
	ix, recs, rs := run("secondary address: a pod on a node")
	if ix.Len() != 2 {
		t.Fatalf("%d pairs", ix.Len())
	}
	if l := linksOf(t, ix, rs); slices.Contains(slices.Collect(maps.Values(l)), "") || strings.Contains(fmt.Sprint(l), "~") {
		t.Errorf("with rules: %v, want the two ends linked and confirmed", l)
	}
	if l := linksOf(t, ix, nil); !slices.Equal(slices.Collect(maps.Values(l)), []string{"", ""}) {
		t.Errorf("without rules: %v, want no link (the tuples differ)", l)
	}
	if l := batchLinks(t, recs, rs); !maps.Equal(l, linksOf(t, ix, rs)) {
		t.Errorf("the batch linked %v", l)
	}

	ix, recs, rs = run("through a NAT gateway to S3")
	for _, r := range []*rules.Set{nil, rs} {
		for _, p := range ix.All() {
			if peer, _ := ix.Peer(p, r); peer != nil {
				t.Errorf("rules=%v: %v linked to %v through the NAT gateway", r != nil, p.Key, peer.Key)
			}
		}
		for ifc, peer := range batchLinks(t, recs, r) {
			if peer != "" {
				t.Errorf("rules=%v: the batch linked %s to %s", r != nil, ifc, peer)
			}
		}
	}
}

// TestPeerFollowsTheRing: the link comes and goes with the records, as the explorer's
// ring drops the oldest.
func TestPeerFollowsTheRing(t *testing.T) {
	recs := parse(t, linkFormat, appEnd+"\n"+dbEnd)
	ix := index(recs)
	a, _ := ix.Get(&recs[0])
	if peer, _ := ix.Peer(a, nil); peer == nil {
		t.Fatal("not linked")
	}
	ix.Remove(&recs[0])
	ix.Remove(&recs[1]) // eni-a's pair is gone
	b, _ := ix.Get(&recs[2])
	if peer, _ := ix.Peer(b, nil); peer != nil {
		t.Errorf("linked to a pair that left the index: %v", peer.Key)
	}
	if peer, _ := ix.Peer(a, nil); peer != nil {
		t.Errorf("a pair that left the index has a peer")
	}
	ix.Add(10, &recs[0])
	a, _ = ix.Get(&recs[0])
	if peer, _ := ix.Peer(b, nil); peer != a {
		t.Errorf("not linked again: %v", peer)
	}
}

// TestJointTable: the joint verdict of two ends, by what each saw. The app (eni-a)
// starts every connection.
func TestJointTable(t *testing.T) {
	req := func(ifc, action, way string) string {
		return fmt.Sprintf("%s 10.0.1.5 10.0.2.9 40000 5432 6 3 180 1000 1003 %s %s 2", ifc, action, way)
	}
	rep := func(ifc, action, way string) string {
		return fmt.Sprintf("%s 10.0.2.9 10.0.1.5 5432 40000 6 3 180 1000 1003 %s %s 18", ifc, action, way)
	}
	cases := []struct {
		name       string
		records    []string
		verdict    pairs.Verdict
		blocked    string
		at         string
		ownVerdict [2]pairs.Verdict // eni-a's, eni-b's
	}{
		{"accepted both ways at both ends", []string{req("eni-a", "ACCEPT", "egress"), rep("eni-a", "ACCEPT", "ingress"),
			req("eni-b", "ACCEPT", "ingress"), rep("eni-b", "ACCEPT", "egress")}, pairs.Accepted, "", "", [2]pairs.Verdict{pairs.Accepted, pairs.Accepted}},
		{"rejected entering the responder", []string{req("eni-a", "ACCEPT", "egress"), req("eni-b", "REJECT", "ingress")},
			pairs.SGOrNACL, pairs.BlockedRequest, "eni-b", [2]pairs.Verdict{pairs.NoResponse, pairs.SGOrNACL}},
		{"the reply rejected leaving the responder", []string{req("eni-a", "ACCEPT", "egress"), req("eni-b", "ACCEPT", "ingress"),
			rep("eni-b", "REJECT", "egress")}, pairs.NACL, pairs.BlockedResponse, "eni-b", [2]pairs.Verdict{pairs.NoResponse, pairs.NACL}},
		{"the reply rejected entering the initiator", []string{req("eni-a", "ACCEPT", "egress"), rep("eni-a", "REJECT", "ingress"),
			req("eni-b", "ACCEPT", "ingress"), rep("eni-b", "ACCEPT", "egress")}, pairs.NACL, pairs.BlockedResponse, "eni-a",
			[2]pairs.Verdict{pairs.NACL, pairs.Accepted}},
		{"nothing answered", []string{req("eni-a", "ACCEPT", "egress"), req("eni-b", "ACCEPT", "ingress")},
			pairs.NoResponse, "", "eni-b", [2]pairs.Verdict{pairs.NoResponse, pairs.NoResponse}},
		{"the reply left and never arrived", []string{req("eni-a", "ACCEPT", "egress"), req("eni-b", "ACCEPT", "ingress"),
			rep("eni-b", "ACCEPT", "egress")}, pairs.NoResponse, "", "eni-a", [2]pairs.Verdict{pairs.NoResponse, pairs.Accepted}},
	}
	for _, c := range cases {
		recs := parse(t, linkFormat, strings.Join(c.records, "\n"))
		ix := index(recs)
		var a, b *pairs.Pair
		for _, p := range ix.All() {
			if p.Key.Interface.String() == "eni-a" {
				a = p
			} else {
				b = p
			}
		}
		if peer, _ := ix.Peer(a, nil); peer != b || b == nil {
			t.Fatalf("%s: not linked", c.name)
		}
		if v := [2]pairs.Verdict{ix.Judge(a, nil).Verdict, ix.Judge(b, nil).Verdict}; v != c.ownVerdict {
			t.Errorf("%s: own verdicts %v, want %v", c.name, v, c.ownVerdict)
		}
		for _, ends := range [][2]*pairs.Pair{{a, b}, {b, a}} {
			j := ix.JudgeJoint(ends[0], ends[1], nil, nil)
			if j.Verdict != c.verdict || j.Blocked != c.blocked || j.At.String() != c.at || !j.Inferred {
				t.Errorf("%s: joint %s/%q at %q (inferred %v), want %s/%q at %q\n    %s", c.name, j.Verdict, j.Blocked, j.At, j.Inferred,
					c.verdict, c.blocked, c.at, j.Explanation)
			}
			if j.InitiatorEnd != a || j.ResponderEnd != b || j.Request != &a.Dirs[pairs.AtoB] {
				t.Errorf("%s: ends %v %v", c.name, j.InitiatorEnd, j.ResponderEnd)
			}
			if !strings.Contains(j.Explanation, "eni-a") || !strings.Contains(j.Explanation, "eni-b") {
				t.Errorf("%s: %q names neither end", c.name, j.Explanation)
			}
		}
		if l := ix.Link(a, nil, nil); l.Peer != b || l.PeerVerdict != c.ownVerdict[1] || l.Joint.Verdict != c.verdict {
			t.Errorf("%s: link %+v", c.name, l)
		}
	}
}
