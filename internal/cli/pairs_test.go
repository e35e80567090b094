package cli

import (
	"bytes"
	"encoding/json"
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
	want := []string{"blocked", "explanation", "initiator", "initiator-name", "interface-id", "interface-name", "protocol", "request", "responder", "responder-name", "response", "rule", "verdict"}
	if !slices.Equal(keys, want) {
		t.Errorf("keys %v, want DESIGN.md's %v", keys, want)
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
