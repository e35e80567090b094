package cli

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/flowlens/flowlens/internal/fakeaws"
	"github.com/flowlens/flowlens/internal/sim"
)

// pairsCmd runs `flowlens pairs` in-process with stdin and returns the exit status and
// what it wrote.
func pairsCmd(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(append([]string{"pairs"}, args...), strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

// jsonLines decodes JSON Lines output.
func jsonLines(t *testing.T, out string) []map[string]any {
	t.Helper()
	var objs []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if line == "" {
			continue
		}
		var obj map[string]any
		if err := json.Unmarshal([]byte(line), &obj); err != nil {
			t.Fatalf("not JSON: %v\n%s", err, line)
		}
		objs = append(objs, obj)
	}
	return objs
}

const pingLog = `2 123456789010 eni-1235b8ca123456789 203.0.113.12 172.31.16.139 0 0 1 4 336 1432917027 1432917142 ACCEPT OK
2 123456789010 eni-1235b8ca123456789 172.31.16.139 203.0.113.12 0 0 1 4 336 1432917094 1432917142 REJECT OK
`

func TestPairsPingExample(t *testing.T) {
	code, out, errOut := pairsCmd(t, pingLog, "-o", "jsonl")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	objs := jsonLines(t, out)
	if len(objs) != 1 {
		t.Fatalf("%d pairs, want 1:\n%s", len(objs), out)
	}
	o := objs[0]
	keys := make([]string, 0, len(o))
	for k := range o {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	want := []string{"blocked", "explanation", "initiator", "initiator-name", "interface-id", "interface-name", "joint-explanation", "joint-verdict",
		"peer", "protocol", "request", "responder", "responder-name", "response", "rule", "verdict"}
	if !slices.Equal(keys, want) {
		t.Errorf("keys %v, want DESIGN.md's %v", keys, want)
	}
	if o["peer"] != nil || o["joint-verdict"] != nil || o["joint-explanation"] != nil {
		t.Errorf("a conversation seen from one end has a peer: %v", o)
	}
	if o["verdict"] != "nacl" || o["blocked"] != "response" || o["initiator"] != "203.0.113.12:0" ||
		o["responder"] != "172.31.16.139:0" || o["protocol"] != float64(1) || o["rule"] != nil {
		t.Errorf("got %v", o)
	}
	req, _ := o["request"].(map[string]any)
	resp, _ := o["response"].(map[string]any)
	if req["action"] != "ACCEPT" || resp["action"] != "REJECT" || req["first"] != float64(1432917027) || resp["packets"] != float64(4) {
		t.Errorf("request %v response %v", req, resp)
	}
	if e, _ := o["explanation"].(string); !strings.Contains(e, "network ACL outbound rules") {
		t.Errorf("explanation: %s", e)
	}
	if !strings.Contains(errOut, "1 pair: nacl 1") {
		t.Errorf("summary: %q", errOut)
	}
}

func TestPairsTCPFlagsExamples(t *testing.T) {
	const format = "version vpc-id subnet-id instance-id interface-id account-id type srcaddr dstaddr srcport dstport pkt-srcaddr pkt-dstaddr protocol bytes packets start end action tcp-flags log-status"
	input := `3 vpc-abcdefab012345678 subnet-aaaaaaaa012345678 i-01234567890123456 eni-1235b8ca123456789 123456789010 IPv4 52.213.180.42 10.0.0.62 43416 5001 52.213.180.42 10.0.0.62 6 568 8 1566848875 1566848933 ACCEPT 2 OK
3 vpc-abcdefab012345678 subnet-aaaaaaaa012345678 i-01234567890123456 eni-1235b8ca123456789 123456789010 IPv4 10.0.0.62 52.213.180.42 5001 43416 10.0.0.62 52.213.180.42 6 376 7 1566848875 1566848933 ACCEPT 18 OK
3 vpc-abcdefab012345678 subnet-aaaaaaaa012345678 i-01234567890123456 eni-1235b8ca123456789 123456789010 IPv4 52.213.180.42 10.0.0.62 43638 5001 52.213.180.42 10.0.0.62 6 1260 17 1566933133 1566933193 ACCEPT 3 OK
3 vpc-abcdefab012345678 subnet-aaaaaaaa012345678 i-01234567890123456 eni-1235b8ca123456789 123456789010 IPv4 10.0.0.62 52.213.180.42 5001 43638  10.0.0.62 52.213.180.42 6 967 14 1566933133 1566933193 ACCEPT 19 OK
`
	code, out, errOut := pairsCmd(t, input, "--format", format, "-o", "jsonl")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	objs := jsonLines(t, out)
	if len(objs) != 2 {
		t.Fatalf("%d pairs, want 2", len(objs))
	}
	for _, o := range objs {
		ini, _ := o["initiator"].(string)
		if !strings.HasPrefix(ini, "52.213.180.42:") || o["responder"] != "10.0.0.62:5001" || o["verdict"] != "accepted" {
			t.Errorf("got %v", o)
		}
	}
}

// TestPairsWithRules runs a simulated case through the command with the topology's
// describe-* JSON, in both formats, and checks the verdict and rule against the truth.
func TestPairsWithRules(t *testing.T) {
	for _, f := range sim.Formats() {
		for _, c := range sim.Cases() {
			if c.Name != "reply rejected by the network ACL: no ephemeral return rule" && c.Name != "internal app to db rejected by the db's security group" {
				continue
			}
			res := c.Run(f)
			dir := t.TempDir()
			var log []byte
			for i := range res.Records {
				log = append(res.Records[i].AppendRecord(log), '\n')
			}
			logFile := filepath.Join(dir, "flows.log")
			if err := os.WriteFile(logFile, log, 0o644); err != nil {
				t.Fatal(err)
			}
			sgs, nacls, enis := c.Topology.RulesJSON()
			var ruleArgs []string
			for name, data := range map[string][]byte{"sgs.json": sgs, "nacls.json": nacls, "enis.json": enis} {
				path := filepath.Join(dir, name)
				if err := os.WriteFile(path, data, 0o644); err != nil {
					t.Fatal(err)
				}
				ruleArgs = append(ruleArgs, "--rules", path)
			}
			args := append([]string{"-o", "jsonl", "--format", f.Spec()}, ruleArgs...)
			code, out, errOut := pairsCmd(t, "", append(args, logFile)...)
			if code != ExitOK {
				t.Fatalf("%s: exit %d: %s", c.Name, code, errOut)
			}
			objs := jsonLines(t, out)
			for _, v := range res.Truth.Views {
				found := false
				for _, o := range objs {
					if o["interface-id"] != v.Interface || o["initiator"] != v.Initiator.String() {
						continue
					}
					found = true
					rule, _ := o["rule"].(string)
					if o["verdict"] != string(v.Verdict) || rule != v.Rule {
						t.Errorf("%s, %s: %s got %v %q, want %s %q", c.Name, f.Spec(), v.Interface, o["verdict"], rule, v.Verdict, v.Rule)
					}
				}
				if !found {
					t.Errorf("%s: no pair for view %+v in\n%s", c.Name, v, out)
				}
			}
		}
	}
}

func TestPairsFilterAndText(t *testing.T) {
	input := pingLog + `2 123456789010 eni-1235b8ca123456789 172.31.9.69 172.31.9.12 49761 3389 6 20 4249 1418530010 1418530070 REJECT OK
2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK
2 123456789010 eni-1235b8ca123456789 172.31.16.21 172.31.16.139 22 20641 6 20 4249 1418530010 1418530070 ACCEPT OK
`
	code, out, errOut := pairsCmd(t, input)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "VERDICT") || !strings.HasPrefix(lines[1], "nacl") ||
		!strings.HasPrefix(lines[2], "sg-or-nacl") || !strings.HasPrefix(lines[3], "accepted") {
		t.Errorf("text output not sorted by severity:\n%s", out)
	}

	code, out, _ = pairsCmd(t, input, "-o", "jsonl", "--filter", "verdict=blocked and dstport=3389")
	if objs := jsonLines(t, out); code != ExitOK || len(objs) != 1 || objs[0]["verdict"] != "sg-or-nacl" {
		t.Errorf("filter: exit %d, %s", code, out)
	}
	code, out, _ = pairsCmd(t, input, "-o", "csv", "--filter", "initiator=172.31.16.139")
	if rows := strings.Split(strings.TrimSpace(out), "\n"); code != ExitOK || len(rows) != 2 || !strings.HasPrefix(rows[0], "interface-id,protocol,initiator") {
		t.Errorf("csv: exit %d, %s", code, out)
	}
}

func TestPairsMistakes(t *testing.T) {
	code, _, errOut := pairsCmd(t, pingLog, "--filter", "verdict=nacll")
	if code != ExitUsage || !strings.Contains(errOut, "did you mean 'nacl'?") || !strings.Contains(errOut, "        ^") {
		t.Errorf("a bad filter: exit %d, stderr:\n%s", code, errOut)
	}
	if code, _, errOut := pairsCmd(t, pingLog, "-o", "yaml"); code != ExitUsage {
		t.Errorf("a bad --output: exit %d, %s", code, errOut)
	}
	missing := filepath.Join(t.TempDir(), "nope.json")
	if code, _, errOut := pairsCmd(t, pingLog, "--rules", missing); code != ExitUsage || !strings.Contains(errOut, "nope.json") {
		t.Errorf("a missing rules file: exit %d, %s", code, errOut)
	}
	bad := filepath.Join(t.TempDir(), "bad.json")
	_ = os.WriteFile(bad, []byte(`{"Nothing": []}`), 0o644)
	if code, _, errOut := pairsCmd(t, pingLog, "--rules", bad); code != ExitUsage || !strings.Contains(errOut, "bad.json") {
		t.Errorf("a rules file of the wrong kind: exit %d, %s", code, errOut)
	}
	if code, _, errOut := pairsCmd(t, "", filepath.Join(t.TempDir(), "absent.log")); code == ExitOK {
		t.Errorf("a missing source: exit %d, %s", code, errOut)
	}
	// Lines that are not records are counted, not fatal.
	code, out, errOut := pairsCmd(t, "not a record\n"+pingLog, "-o", "jsonl", "-q")
	if code != ExitOK || len(jsonLines(t, out)) != 1 || errOut != "" {
		t.Errorf("malformed line: exit %d, out %q, err %q", code, out, errOut)
	}
}

// pairs --live-rules asks EC2 (the fake, through the real SDK client) for the rules of
// the interfaces in the records, and names the NACL entry that dropped the ping reply.
func TestPairsLiveRules(t *testing.T) {
	srv := fakeAWS(t)
	srv.AddNetworkInterfaces(fakeaws.NetworkInterface{NetworkInterfaceID: "eni-1235b8ca123456789", SubnetID: "subnet-1", VpcID: "vpc-1", PrivateIP: "172.31.16.139", GroupIDs: []string{"sg-1"}})
	srv.AddSecurityGroups(fakeaws.SecurityGroup{GroupID: "sg-1", VpcID: "vpc-1",
		Ingress: []fakeaws.SecurityGroupRule{{Protocol: "-1", CIDRs: []string{"0.0.0.0/0"}}},
		Egress:  []fakeaws.SecurityGroupRule{{Protocol: "-1", CIDRs: []string{"0.0.0.0/0"}}}})
	srv.AddNetworkACLs(fakeaws.NetworkACL{NetworkACLID: "acl-0ping", VpcID: "vpc-1", SubnetIDs: []string{"subnet-1"},
		Entries: []fakeaws.NetworkACLEntry{{RuleNumber: 100, Protocol: "-1", RuleAction: "allow", CIDRBlock: "0.0.0.0/0"}}})
	ping := "2 123456789010 eni-1235b8ca123456789 203.0.113.12 172.31.16.139 0 0 1 4 336 1432917027 1432917142 ACCEPT OK\n" +
		"2 123456789010 eni-1235b8ca123456789 172.31.16.139 203.0.113.12 0 0 1 4 336 1432917094 1432917142 REJECT OK\n"
	var out, errOut strings.Builder
	code := run([]string{"pairs", "--live-rules", "-o", "jsonl"}, strings.NewReader(ping), &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if !strings.Contains(out.String(), `"rule":"acl-0ping egress #32767"`) || !strings.Contains(out.String(), `"verdict":"nacl"`) {
		t.Fatalf("output: %s", out.String())
	}
	if len(srv.CallsTo("DescribeNetworkAcls")) != 1 {
		t.Fatalf("calls: %v", srv.Calls())
	}
}

// CSV has its header row even when nothing matched.
func TestPrintCSVHeaderWithoutMatches(t *testing.T) {
	var out, errOut strings.Builder
	in := "srcaddr dstaddr action\n10.0.0.1 10.0.0.2 ACCEPT\n"
	if code := run([]string{"print", "-o", "csv", "--filter", "reject"}, strings.NewReader(in), &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if out.String() != "srcaddr,dstaddr,action\n" {
		t.Fatalf("output %q", out.String())
	}
}

// TestPairsBothEnds: the incident generated and judged through the commands, with the
// rules generate writes. The new orders service's connections to the database are
// logged on both interfaces: the orders end saw no reply, the database's end rejected
// them; each row names the other end, and both say sg at the database's interface.
func TestPairsBothEnds(t *testing.T) {
	dir := t.TempDir()
	log, rulesDir := filepath.Join(dir, "incident.log"), filepath.Join(dir, "rules")
	var genErr bytes.Buffer
	if code := run([]string{"generate", "--scenario", "incident", "-n", "0", "-o", log, "--rules-dir", rulesDir}, strings.NewReader(""), io.Discard, &genErr); code != ExitOK {
		t.Fatalf("generate: exit %d: %s", code, genErr.String())
	}
	var ruleArgs []string
	for _, f := range []string{"describe-security-groups.json", "describe-network-acls.json", "describe-network-interfaces.json", "describe-subnets.json"} {
		ruleArgs = append(ruleArgs, "--rules", filepath.Join(rulesDir, f))
	}
	ordersToDB := func(objs []map[string]any) []map[string]any {
		var out []map[string]any
		for _, o := range objs {
			if o["initiator-name"] == "orders-new" && strings.HasSuffix(o["responder"].(string), ":5432") {
				out = append(out, o)
			}
		}
		return out
	}
	code, out, errOut := pairsCmd(t, "", append(append([]string{"-o", "jsonl"}, ruleArgs...), log)...)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	rows := ordersToDB(jsonLines(t, out))
	ends := map[string]int{}
	for _, o := range rows {
		peer, _ := o["peer"].(map[string]any)
		if peer == nil || peer["inferred"] != false || o["joint-verdict"] != "sg" {
			t.Fatalf("peer %v, joint %v: %v", peer, o["joint-verdict"], o)
		}
		switch o["interface-name"] {
		case "orders-new":
			if o["verdict"] != "no-response" || peer["name"] != "db-1" || peer["verdict"] != "sg" {
				t.Fatalf("the orders end: %v", o)
			}
		case "db-1":
			if o["verdict"] != "sg" || peer["name"] != "orders-new" || peer["verdict"] != "no-response" {
				t.Fatalf("the database's end: %v", o)
			}
		}
		expl, _ := o["joint-explanation"].(string)
		if !strings.Contains(expl, " (db-1) by sg-") || !strings.Contains(expl, " (shop-db): no inbound rule allows tcp/5432 from 10.0.10.") ||
			!strings.Contains(expl, " (orders) as a source") {
			t.Fatalf("joint explanation: %q", expl)
		}
		ends[o["interface-name"].(string)]++
	}
	if ends["orders-new"] != 160 || ends["db-1"] != 160 {
		t.Errorf("rows by end %v, want 160 on each", ends)
	}

	// The filter on the joint verdict: the orders end, which alone said no-response.
	_, out, _ = pairsCmd(t, "", append(append([]string{"-o", "jsonl", "--filter", "joint-verdict=sg verdict=no-response"}, ruleArgs...), log)...)
	if n := len(jsonLines(t, out)); n != 160 {
		t.Errorf("joint-verdict=sg verdict=no-response: %d rows, want 160", n)
	}
	// Without the rules the link rests on the records, and the layer is unknown.
	_, out, _ = pairsCmd(t, "", "-o", "jsonl", log)
	for _, o := range ordersToDB(jsonLines(t, out)) {
		if peer, _ := o["peer"].(map[string]any); peer == nil || peer["inferred"] != true || o["joint-verdict"] != "sg-or-nacl" {
			t.Fatalf("without rules: %v", o)
		}
	}
	// CSV: the link columns after the names; text: what both ends say beside the orders end.
	_, out, _ = pairsCmd(t, "", append(append([]string{"-o", "csv"}, ruleArgs...), log)...)
	if header := strings.SplitN(out, "\n", 2)[0]; !strings.HasSuffix(header, ",responder-name,peer-interface-id,peer-name,peer-verdict,peer-inferred,joint-verdict,joint-explanation") {
		t.Errorf("csv header: %s", header)
	}
	_, out, _ = pairsCmd(t, "", append(ruleArgs, log)...)
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "no-response") && strings.Contains(l, "(orders-new)") && strings.Contains(l, ":5432 (db-1)") &&
			!strings.Contains(l, "Both ends: sg: ") {
			t.Fatalf("text row without the joint verdict: %s", l)
		}
	}
}
