package cli

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/flowlens/flowlens/internal/fakeaws"
	"github.com/flowlens/flowlens/internal/sim"
	"github.com/flowlens/flowlens/model"
)

// statsCmd runs `flowlens stats` in-process and returns the exit status and what it wrote.
func statsCmd(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(append([]string{"stats"}, args...), strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

// The five Logs Insights queries as flowlens commands, each with an awk program
// that computes the same answer from the default format's columns ($4 srcaddr, $7
// dstport, $10 bytes, $11 start, $13 action) and prints "group<TAB>value": a group of
// several fields joined by a space, a bin as its start in Unix seconds. awk shares no
// code with flowlens, so agreeing with it proves the command, its flags and its writer,
// not only the engine (which model/stats checks against awk on its own).
var insightsCommands = []struct {
	insights string
	args     []string
	metric   string // the JSON key of the value compared
	awk      string
}{
	{
		insights: "stats sum(bytes) as totalBytes by srcAddr | sort totalBytes desc",
		args:     []string{"--by", "srcaddr", "--sort", "bytes"},
		metric:   "bytes",
		awk:      `$4 != "srcaddr" { s[$4] += ($10 == "-" ? 0 : $10) } END { for (k in s) printf "%s\t%.0f\n", k, s[k] }`,
	},
	{
		insights: "stats count(*) as requestCount by dstPort | sort requestCount desc",
		args:     []string{"--by", "dstport"},
		metric:   "flows",
		awk:      `{ n[$7]++ } END { for (k in n) printf "%s\t%d\n", k, n[k] }`,
	},
	{
		insights: "filter dstPort = 22 | stats count(*) as attempts by srcAddr, action | sort attempts desc",
		args:     []string{"--filter", "dstport=22", "--by", "srcaddr,action"},
		metric:   "flows",
		awk:      `$7 == 22 { n[$4 " " $13]++ } END { for (k in n) printf "%s\t%d\n", k, n[k] }`,
	},
	{
		insights: `filter action = "REJECT" | stats count(*) as rejectedCount by bin(1h)`,
		args:     []string{"--filter", "action=REJECT", "--bin", "1h"},
		metric:   "flows",
		awk:      `$13 == "REJECT" { b = $11 - ($11 % 3600); n[b]++ } END { for (k in n) printf "%d\t%d\n", k, n[k] }`,
	},
	{
		insights: "stats count(distinct(dstPort)) as portCount by srcAddr | filter portCount > 100",
		args:     []string{"--by", "srcaddr", "--distinct", "dstport", "--sort", "distinct", "--min", "101"},
		metric:   "distinct",
		awk: `$7 != "-" { if (!(($4 SUBSEP $7) in seen)) { seen[$4, $7] = 1; ports[$4]++ } }
		      END { for (k in ports) if (ports[k] > 100) printf "%s\t%d\n", k, ports[k] }`,
	},
}

func awkPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"mawk", "gawk", "awk"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("no awk on PATH: the five Insights queries cannot be checked against an independent computation")
	}
	t.Skip("SKIPPED: no awk (mawk, gawk or awk) on PATH: install one to check `flowlens stats` against it")
	return ""
}

// writeScenario writes a simulated data set in the default format and returns its path.
func writeScenario(t *testing.T, s *sim.Scenario, n int, name string) string {
	t.Helper()
	var buf bytes.Buffer
	if err := s.WriteText(&buf, model.DefaultFormat, n, false); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// rowKey is a JSON row's group: its bin in Unix seconds, then its group fields in order,
// null written as awk sees an absent value, `-`.
func rowKey(t *testing.T, obj map[string]any, fields []string) string {
	t.Helper()
	var parts []string
	if b, ok := obj["bin"]; ok {
		s, _ := b.(string)
		at, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatalf("bin %v is not RFC 3339: %v", b, err)
		}
		if at.Location() != time.UTC || !strings.HasSuffix(s, "Z") {
			t.Fatalf("bin %q is not in UTC", s)
		}
		parts = append(parts, strconv.FormatInt(at.Unix(), 10))
	}
	for _, f := range fields {
		switch v := obj[f].(type) {
		case nil:
			parts = append(parts, "-")
		case float64:
			parts = append(parts, strconv.FormatFloat(v, 'f', -1, 64))
		case string:
			parts = append(parts, v)
		default:
			t.Fatalf("%s is %T", f, v)
		}
	}
	return strings.Join(parts, " ")
}

func groupFields(args []string) []string {
	for i, a := range args {
		if a == "--by" {
			return strings.Split(args[i+1], ",")
		}
	}
	return nil
}

// TestInsightsQueriesAsCommands runs each of the five queries as one `flowlens stats`
// command on flowsim data sets, and requires exactly the groups and numbers awk computes,
// in the documented order; the text and CSV writers must show the same rows as JSON
// Lines.
func TestInsightsQueriesAsCommands(t *testing.T) {
	awk := awkPath(t)
	sets := []struct {
		name string
		path string
	}{
		{"incident", writeScenario(t, sim.Incident(1), 0, "incident.log")},          // scans, brute force, NODATA
		{"realistic", writeScenario(t, sim.Realistic(3), 120_000, "realistic.log")}, // IPv6, SKIPDATA, busy servers
	}
	for _, set := range sets {
		for _, q := range insightsCommands {
			t.Run(set.name+"/"+q.insights, func(t *testing.T) {
				out, err := exec.Command(awk, q.awk, set.path).Output()
				if err != nil {
					t.Fatalf("awk: %v", err)
				}
				want := map[string]string{}
				for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
					if k, v, ok := strings.Cut(line, "\t"); ok {
						want[k] = v
					}
				}
				if len(want) == 0 {
					t.Fatal("awk found no group: the data set does not exercise the query")
				}
				// --top 0: every group, to compare with awk's every group.
				args := append(append([]string{}, q.args...), "--top", "0", "-o", "jsonl", set.path)
				code, stdout, stderr := statsCmd(t, args...)
				if code != ExitOK {
					t.Fatalf("exit %d: %s", code, stderr)
				}
				objs := jsonLines(t, stdout)
				fields := groupFields(q.args)
				got := map[string]string{}
				var order []float64
				for _, o := range objs {
					k := rowKey(t, o, fields)
					if _, dup := got[k]; dup {
						t.Fatalf("group %q twice", k)
					}
					v, ok := o[q.metric].(float64)
					if !ok {
						t.Fatalf("row %v has no number under %q", o, q.metric)
					}
					got[k] = strconv.FormatFloat(v, 'f', -1, 64)
					order = append(order, v)
					checkRowKeys(t, o, fields, q.metric == "distinct", slicesContains(q.args, "--bin"))
				}
				for k, v := range want {
					if got[k] != v {
						t.Errorf("group %q: flowlens %q, awk %q", k, got[k], v)
					}
				}
				for k := range got {
					if _, ok := want[k]; !ok {
						t.Errorf("group %q: flowlens has it, awk does not", k)
					}
				}
				if slicesContains(q.args, "--bin") && !slicesContains(q.args, "--sort") {
					for i := 1; i < len(objs); i++ {
						a, _ := strconv.ParseInt(rowKey(t, objs[i-1], nil), 10, 64)
						b, _ := strconv.ParseInt(rowKey(t, objs[i], nil), 10, 64)
						if a >= b {
							t.Fatalf("bins out of time order at row %d: %d then %d", i, a, b)
						}
					}
				} else {
					for i := 1; i < len(order); i++ {
						if order[i-1] < order[i] {
							t.Fatalf("row %d: %s %v after %v: not descending", i, q.metric, order[i], order[i-1])
						}
					}
				}

				// The default --top: the first 20 rows of the same order (every bin for a
				// time series), and the text and CSV writers give those rows.
				checkWriters(t, append(append([]string{}, q.args...), set.path), objs, fields)
			})
		}
	}
}

func slicesContains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

// checkRowKeys: the keys of a JSON row are the group fields, bin with --bin, and the
// metrics, nothing else.
func checkRowKeys(t *testing.T, o map[string]any, fields []string, distinct, bin bool) {
	t.Helper()
	want := map[string]bool{"flows": true, "packets": true, "bytes": true, "rejects": true}
	for _, f := range fields {
		want[f] = true
	}
	if distinct {
		want["distinct"] = true
	}
	if bin {
		want["bin"] = true
	}
	for k := range o {
		if !want[k] {
			t.Fatalf("unexpected key %q in %v", k, o)
		}
		delete(want, k)
	}
	if len(want) > 0 {
		t.Fatalf("keys missing from %v: %v", o, want)
	}
}

// checkWriters runs the query with the default --top as JSON Lines, text and CSV: JSON
// Lines must be the first rows of all (20, or every bin of a time series), and the text
// table and the CSV must hold the same groups and counts in the same order.
func checkWriters(t *testing.T, args []string, all []map[string]any, fields []string) {
	t.Helper()
	code, stdout, stderr := statsCmd(t, append(append([]string{}, args...), "-o", "jsonl")...)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	top := jsonLines(t, stdout)
	wantN := min(20, len(all))
	if slicesContains(args, "--bin") && !slicesContains(args, "--sort") {
		wantN = len(all)
	}
	if len(top) != wantN {
		t.Fatalf("default --top gave %d rows, want %d", len(top), wantN)
	}
	for i := range top {
		if rowKey(t, top[i], fields) != rowKey(t, all[i], fields) || top[i]["flows"] != all[i]["flows"] {
			t.Fatalf("row %d of the default top is %v, of all %v", i, top[i], all[i])
		}
	}

	_, csvOut, _ := statsCmd(t, append(append([]string{}, args...), "-o", "csv")...)
	recs, err := csv.NewReader(strings.NewReader(csvOut)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != len(top)+1 {
		t.Fatalf("CSV has %d lines for %d rows", len(recs), len(top))
	}
	header := recs[0]
	col := map[string]int{}
	for i, h := range header {
		col[h] = i
	}
	for i, o := range top {
		rec := recs[i+1]
		for _, f := range append([]string{"flows", "packets", "bytes", "rejects"}, fields...) {
			want := ""
			switch v := o[f].(type) {
			case float64:
				want = strconv.FormatFloat(v, 'f', -1, 64)
			case string:
				want = v
			}
			if got := rec[col[f]]; got != want {
				t.Fatalf("CSV row %d %s = %q, JSON %q", i, f, got, want)
			}
		}
		if b, ok := o["bin"]; ok && rec[col["bin"]] != b {
			t.Fatalf("CSV row %d bin %q, JSON %v", i, rec[col["bin"]], b)
		}
	}

	_, text, _ := statsCmd(t, append(append([]string{}, args...), "-o", "text")...)
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	if len(lines) != len(top)+1 || !strings.Contains(lines[0], "FLOWS") || !strings.Contains(lines[0], "REJECTS") {
		t.Fatalf("text: %d lines for %d rows, header %q", len(lines), len(top), lines[0])
	}
	for i, o := range top {
		cells := strings.Fields(lines[i+1])
		flows := strconv.FormatFloat(o["flows"].(float64), 'f', -1, 64)
		if n := len(cells); n < 5 || strings.ReplaceAll(cells[len(fields)+bins(o)], ",", "") != flows {
			t.Fatalf("text row %d %q: flows %s expected after the group", i, lines[i+1], flows)
		}
		for j, f := range fields {
			want := "-"
			switch v := o[f].(type) {
			case float64:
				want = strconv.FormatFloat(v, 'f', -1, 64)
			case string:
				want = v
			}
			if cells[j+bins(o)] != want {
				t.Fatalf("text row %d %q: %s is %q, JSON %q", i, lines[i+1], f, cells[j+bins(o)], want)
			}
		}
	}
}

// bins is the number of text cells a row's bin takes: a date and a time.
func bins(o map[string]any) int {
	if _, ok := o["bin"]; ok {
		return 2
	}
	return 0
}

func TestStatsTextTable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "flows.log")
	os.WriteFile(path, []byte(strings.Join([]string{
		"2 123456789012 eni-0a1b2c3d4e5f60718 203.0.113.7 10.0.0.5 40000 22 6 10 840 1714557600 1714557660 REJECT OK",
		"2 123456789012 eni-0a1b2c3d4e5f60718 203.0.113.7 10.0.0.5 40001 23 6 10 840 1714557660 1714557720 REJECT OK",
		"2 123456789012 eni-0a1b2c3d4e5f60718 198.51.100.1 10.0.0.5 40002 443 6 2000 3000000 1714557600 1714557660 ACCEPT OK",
		"2 123456789012 eni-0a1b2c3d4e5f60718 - - - - - - - 1714557600 1714557660 - NODATA",
		"",
	}, "\n")), 0o644)
	code, stdout, stderr := statsCmd(t, "--by", "srcaddr", path)
	want := strings.Join([]string{
		"SRCADDR       FLOWS  PACKETS    BYTES  REJECTS",
		"203.0.113.7       2       20  1.6 KiB        2",
		"198.51.100.1      1    2,000  2.9 MiB        0",
		"-                 1        0      0 B        0",
		"",
	}, "\n")
	if code != ExitOK || stdout != want {
		t.Fatalf("exit %d\n%s\nwant\n%s\n%s", code, stdout, want, stderr)
	}
	if !strings.Contains(stderr, "4 records read from 1 source") || !strings.Contains(stderr, "3 groups, 3 shown") {
		t.Errorf("summary: %q", stderr)
	}
	// One group over everything; --quiet leaves stderr empty.
	code, stdout, stderr = statsCmd(t, "-q", "-o", "jsonl", path)
	if code != ExitOK || stdout != `{"flows":4,"packets":2020,"bytes":3001680,"rejects":2}`+"\n" || stderr != "" {
		t.Fatalf("no --by: exit %d %q %q", code, stdout, stderr)
	}
	// A bin: RFC 3339 in UTC in JSON, the time in text; the distinct count by its field.
	code, stdout, _ = statsCmd(t, "-q", "--bin", "1h", "--distinct", "dstport", "--filter", "reject", path)
	want = "BIN                  FLOWS  PACKETS    BYTES  REJECTS  DISTINCT DSTPORT\n" +
		"2024-05-01 10:00:00      2       20  1.6 KiB        2                 2\n"
	if code != ExitOK || stdout != want {
		t.Fatalf("bin:\n%s\nwant\n%s", stdout, want)
	}
	_, stdout, _ = statsCmd(t, "-q", "--bin", "1h", "--by", "action", "-o", "jsonl", path)
	if !strings.Contains(stdout, `{"bin":"2024-05-01T10:00:00Z","action":"ACCEPT","flows":1,`) ||
		!strings.Contains(stdout, `{"bin":"2024-05-01T10:00:00Z","action":null,"flows":1,"packets":0,"bytes":0,"rejects":0}`) {
		t.Fatalf("bin JSON:\n%s", stdout)
	}
	_, stdout, _ = statsCmd(t, "-q", "--by", "dstport,protocol", "-o", "csv", "--top", "2", path)
	if stdout != "dstport,protocol,flows,packets,bytes,rejects\n22,6,1,10,840,1\n23,6,1,10,840,1\n" {
		t.Fatalf("CSV:\n%s", stdout)
	}
}

// The group cap: exit 0, a note on stderr even with --quiet, and every row shown exact.
func TestStatsMaxGroups(t *testing.T) {
	path := writeScenario(t, sim.Incident(1), 0, "incident.log")
	_, all, _ := statsCmd(t, "-q", "--by", "srcaddr", "--top", "0", "-o", "jsonl", path)
	exact := map[string]any{}
	for _, o := range jsonLines(t, all) {
		exact[fmt.Sprint(o["srcaddr"])] = o["flows"]
	}
	code, stdout, stderr := statsCmd(t, "-q", "--by", "srcaddr", "--top", "0", "--max-groups", "5", "-o", "jsonl", path)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	rows := jsonLines(t, stdout)
	if len(rows) != 5 || len(exact) <= 5 {
		t.Fatalf("%d rows with --max-groups 5 (of %d groups)", len(rows), len(exact))
	}
	for _, o := range rows {
		if o["flows"] != exact[fmt.Sprint(o["srcaddr"])] {
			t.Errorf("%v: flows %v under the cap, %v without", o["srcaddr"], o["flows"], exact[fmt.Sprint(o["srcaddr"])])
		}
	}
	if !strings.Contains(stderr, "stopped adding groups at 5 (--max-groups)") || !strings.Contains(stderr, "records of later groups were not counted") {
		t.Errorf("stderr %q does not say the cap was reached", stderr)
	}
}

func TestStatsUsageMistakes(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--by", "bytes"}, `cannot group by "bytes": it is a metric`},
		{[]string{"--by", "packets"}, "it is a metric"},
		{[]string{"--by", "addr"}, `"addr" means either side of a record`},
		{[]string{"--by", "port"}, "use srcport or dstport"},
		{[]string{"--by", "srcadr"}, "srcaddr"},
		{[]string{"--sort", "distinct"}, "--sort distinct needs --distinct"},
		{[]string{"--sort", "size"}, "unknown metric"},
		{[]string{"--bin", "5ms"}, "whole number of seconds"},
		{[]string{"--bin", "soon"}, "bad --bin"},
		{[]string{"--top", "-3"}, "--top must be 0"},
		{[]string{"--max-groups", "0"}, "--max-groups must be at least 1"},
		{[]string{"--output", "xml"}, "unknown --output"},
		{[]string{"--filter", "dsport=22"}, "did you mean 'dstport'"},
		{[]string{"--since", "1h"}, "--since needs --log-group"},
		{[]string{"--log-group", "/vpc/flows", "--follow"}, "--follow never ends"},
	} {
		code, _, stderr := statsCmd(t, tc.args...)
		if code != ExitUsage || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tc.args, code, stderr, tc.want)
		}
	}
}

// A source that cannot be read: the groups of what was read are written, exit 1.
func TestStatsUnreadableSource(t *testing.T) {
	path := filepath.Join(t.TempDir(), "flows.log")
	os.WriteFile(path, []byte("2 123456789012 eni-0a1b2c3d4e5f60718 203.0.113.7 10.0.0.5 40000 22 6 10 840 1714557600 1714557660 REJECT OK\n"), 0o644)
	code, stdout, stderr := statsCmd(t, "-o", "jsonl", "--by", "dstport", path, filepath.Join(t.TempDir(), "missing.log"))
	if code != ExitRuntime || !strings.Contains(stdout, `"dstport":22,"flows":1`) || !strings.Contains(stderr, "missing.log") {
		t.Fatalf("exit %d, %q, %q", code, stdout, stderr)
	}
}

// stats --log-group reads the history through the real SDK client against the fake, with
// a throttle on the way, and groups it.
func TestStatsReadsALogGroup(t *testing.T) {
	srv := fakeAWS(t)
	srv.AddFlowLogs(fakeaws.FlowLog{LogGroupName: testGroup, ResourceID: testENI})
	srv.PageSize(2)
	srv.FailNext("FilterLogEvents", 1, "ThrottlingException")
	now := time.Now()
	for i := 1; i <= 5; i++ {
		srv.AddEvents(testGroup, testENI+"-all", fakeaws.Event{Timestamp: now.Add(-time.Duration(10+i) * time.Minute), Message: flowLine(i%2, now)})
	}
	srv.AddEvents(testGroup, testENI+"-all", fakeaws.Event{Timestamp: now.Add(-2 * time.Hour), Message: flowLine(7, now)})
	code, stdout, stderr := statsCmd(t, "--log-group", testGroup, "--since", "1h", "--by", "srcport", "-o", "jsonl")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if stdout != `{"srcport":1,"flows":3,"packets":30,"bytes":2520,"rejects":0}`+"\n"+`{"srcport":0,"flows":2,"packets":20,"bytes":1680,"rejects":0}`+"\n" {
		t.Errorf("stdout:\n%s", stdout)
	}
	if !strings.Contains(stderr, "5 records read from 1 source") || !strings.Contains(strings.ToLower(stderr), "throttl") {
		t.Errorf("stderr %q", stderr)
	}
	if code, _, stderr := statsCmd(t, "--log-group", testGroup, "a.log"); code != ExitUsage || !strings.Contains(stderr, "do not name files") {
		t.Errorf("files with --log-group: %d %q", code, stderr)
	}
}

// Records on stdin, with an S3 header line, as print reads them.
func TestStatsReadsStdin(t *testing.T) {
	in := "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n" +
		"2 123456789012 eni-0a1b2c3d4e5f60718 203.0.113.7 10.0.0.5 40000 22 6 10 840 1714557600 1714557660 REJECT OK\n" +
		"2 123456789012 eni-0a1b2c3d4e5f60718 203.0.113.7 10.0.0.5 40001 22 6 10 840 1714557600 1714557660 ACCEPT OK\n"
	var out, errOut bytes.Buffer
	code := run([]string{"stats", "-q", "--by", "dport,action", "-o", "jsonl"}, strings.NewReader(in), &out, &errOut)
	want := `{"dstport":22,"action":"ACCEPT","flows":1,"packets":10,"bytes":840,"rejects":0}` + "\n" +
		`{"dstport":22,"action":"REJECT","flows":1,"packets":10,"bytes":840,"rejects":1}` + "\n"
	if code != ExitOK || out.String() != want {
		t.Fatalf("exit %d\n%s\nwant\n%s%s", code, out.String(), want, errOut.String())
	}
}
