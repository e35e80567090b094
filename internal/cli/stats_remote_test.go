package cli

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/flowlens/flowlens/internal/fakeaws"
	"github.com/flowlens/flowlens/internal/sim"
	"github.com/flowlens/flowlens/internal/sqlcheck"
	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/source"
)

// weekLine is a record of a week of a busy group: source i sends to one of a few
// ports, a few of them rejected; its bytes and packets vary so that sums and sorts
// tell groups apart.
func weekLine(i int, at time.Time) string {
	action := "ACCEPT"
	if i%7 == 0 {
		action = "REJECT"
	}
	ports := []int{22, 443, 3389, 5432, 80}
	return fmt.Sprintf("2 123456789012 %s 10.1.%d.%d 10.0.9.9 %d %d 6 %d %d %d %d %s OK",
		testENI, i/250%250, i%250+1, 1024+i%50000, ports[i%len(ports)], 1+i%13, 40+i%977, at.Unix(), at.Unix()+60, action)
}

// statsGroups runs stats and returns its JSON Lines, failing on a non-zero exit.
func statsGroups(t *testing.T, args ...string) (stdout, stderr string) {
	t.Helper()
	code, stdout, stderr := runForOutput(t, append([]string{"stats", "-o", "jsonl"}, args...)...)
	if code != 0 {
		t.Fatalf("stats %v: exit %d\n%s", args, code, stderr)
	}
	return stdout, stderr
}

// The issue's "done when": `stats --log-group G --since 7d --history insights --by
// srcaddr` returns the same groups as downloading the records and grouping locally
// (--history filter), row for row. The week holds more sources than a query returns
// (10,000 rows), each seen in both halves of the week, so Insights' answer is split by
// time and the pieces' groups merged; the last minutes, which the source leaves to
// FilterLogEvents, hold records too, so pushed groups and local ones add up. The other
// cases: sorted and cut, binned by hour (Insights' bin() on @timestamp, the record's
// start), filtered, a filter Insights cannot say exactly (counted here, and said), and
// distinct counts (marked estimated where a count was added from two parts).
func TestStatsInsightsGivesTheGroupsOfTheRecords(t *testing.T) {
	srv := fakeAWS(t)
	srv.AddFlowLogs(fakeaws.FlowLog{LogGroupName: testGroup, ResourceID: testENI})
	now := time.Now()
	const sources = 10100
	var events []fakeaws.Event
	for i := 0; i < sources; i++ {
		// One record in each half of the week, and every 40th source again in the last
		// ten minutes.
		for _, back := range []time.Duration{
			6*24*time.Hour + time.Duration(i)*time.Minute/8, // up to 6d21h: well inside the week
			2*24*time.Hour + time.Duration(i)*time.Minute/3,
		} {
			at := now.Add(-back).Truncate(time.Second)
			events = append(events, fakeaws.Event{Timestamp: at, Message: weekLine(i, at)})
		}
		if i%40 == 0 {
			at := now.Add(-time.Duration(1+i%9) * time.Minute).Truncate(time.Second)
			events = append(events, fakeaws.Event{Timestamp: at, Message: weekLine(i+3, at)})
		}
	}
	srv.AddEvents(testGroup, testENI+"-all", events...)

	week := []string{"--log-group", testGroup, "--since", "7d"}
	for _, tc := range []struct {
		name   string
		args   []string
		pushed bool
	}{
		{"by srcaddr", []string{"--by", "srcaddr", "--top", "0"}, true},
		{"top talkers", []string{"--by", "srcaddr", "--sort", "bytes"}, true},
		{"ports and verdicts", []string{"--by", "dstport,action", "--sort", "packets"}, true},
		{"rejects per hour", []string{"--filter", "action=REJECT", "--bin", "1h"}, true},
		{"a filter and a minimum", []string{"--filter", "dstport=22 or dstport=3389", "--by", "dstport,srcport", "--min", "2", "--top", "0"}, true},
		{"not exact in Insights", []string{"--filter", "srcaddr=10.1.3.0/24 interface-id=eni-0a1b2c3d4e5f6071?", "--by", "srcaddr", "--top", "0"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			local, _ := statsGroups(t, append(append([]string{}, week...), tc.args...)...)
			if strings.Count(local, "\n") < 2 {
				t.Fatalf("the local count has too few groups to compare:\n%s", local)
			}
			before := len(srv.CallsTo("StartQuery"))
			got, stderr := statsGroups(t, append(append([]string{"--history", "insights"}, week...), tc.args...)...)
			if got != local {
				t.Fatalf("Logs Insights gave other groups than the records grouped here\ninsights: %.600s\nlocal:    %.600s\n%s", got, local, stderr)
			}
			queries := srv.CallsTo("StartQuery")[before:]
			grouped := len(queries) > 0 && strings.Contains(queries[0].String("queryString"), "| stats count(*) as flows")
			switch {
			case tc.pushed && (!grouped || !strings.Contains(stderr, "Logs Insights counted the groups of the records with start in")):
				t.Errorf("the grouping was not pushed:\n%s", stderr)
			case tc.pushed && !strings.Contains(stderr, "were read with FilterLogEvents and counted here"):
				t.Errorf("stderr does not say what was counted here:\n%s", stderr)
			case !tc.pushed && (grouped || !strings.Contains(stderr, "grouped here, from the records: the filter is not exact in Logs Insights")):
				t.Errorf("a looser filter: the grouping was pushed, or stderr does not say why not:\n%s", stderr)
			}
			if !strings.Contains(stderr, "Logs Insights scanned") || !strings.Contains(stderr, "billed by the bytes scanned") {
				t.Errorf("stderr does not say what Insights scanned:\n%s", stderr)
			}
			if tc.name == "by srcaddr" && !strings.Contains(stderr, "ranges split at the 10000-row limit") {
				t.Errorf("%d sources in one query: the range was not split\n%s", sources, stderr)
			}
		})
	}

	// --distinct: the same groups and counts; a distinct count is at least the exact one,
	// equal where one part counted it, and marked where two parts' counts were added.
	args := append(append([]string{}, week...), "--by", "dstport", "--distinct", "srcaddr", "--top", "0")
	local, _ := statsGroups(t, args...)
	got, stderr := statsGroups(t, append([]string{"--history", "insights"}, args...)...)
	want := map[float64]map[string]any{}
	for _, o := range jsonLines(t, local) {
		want[o["dstport"].(float64)] = o
	}
	rows := jsonLines(t, got)
	if len(rows) != len(want) {
		t.Fatalf("%d groups from Insights, %d here", len(rows), len(want))
	}
	marked := 0
	for _, o := range rows {
		w := want[o["dstport"].(float64)]
		for _, k := range []string{"flows", "packets", "bytes", "rejects"} {
			if o[k] != w[k] {
				t.Errorf("dstport %v: %s %v, here %v", o["dstport"], k, o[k], w[k])
			}
		}
		d, wd := o["distinct"].(float64), w["distinct"].(float64)
		if o["distinct-estimated"] == true {
			marked++
		}
		if d < wd || math.IsNaN(d) {
			t.Errorf("dstport %v: %v distinct sources, fewer than the %v here", o["dstport"], d, wd)
		}
	}
	if marked == 0 || !strings.Contains(stderr, "the distinct counts marked ~") {
		t.Errorf("%d rows marked estimated; stderr:\n%s", marked, stderr)
	}
	code, text, _ := runForOutput(t, append([]string{"stats", "-q", "--history", "insights"}, args...)...)
	if code != 0 || !strings.Contains(text, " ~") {
		t.Errorf("the text table does not mark the estimates:\n%s", text)
	}
}

// The "done when": stats --athena on the fake gives what local stats gives on
// the same records, row for row, whether Athena groups (the filter compiles to SQL
// exactly) or the records of a looser query are grouped here; stderr says which, and
// the data scanned.
func TestStatsAthenaGivesWhatLocalStatsGives(t *testing.T) {
	requireRunner(t)
	srv := fakeAWS(t)
	srv.CreateBucket("athena-results", "")
	var text bytes.Buffer
	if err := sim.Incident(2).WriteText(&text, model.DefaultFormat, 3000, true); err != nil {
		t.Fatal(err)
	}
	path := t.TempDir() + "/flows.log"
	if err := os.WriteFile(path, text.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	var recs []model.Flow
	lo, hi := uint32(1<<32-1), uint32(0)
	source.ReadFiles(context.Background(), []source.Input{{Name: path, Path: path}}, source.Options{}, nil, func(c *source.Chunk) bool {
		for _, r := range c.Records {
			recs = append(recs, r)
			lo, hi = min(lo, r.Start), max(hi, r.Start)
		}
		return true
	})
	table := sqlcheck.TableOf("vpc_flow_logs", model.DefaultFormat, recs, sqlcheck.Text, nil)
	srv.AddAthenaTable(fakeaws.AthenaTable{Database: "flowlogs", Name: "vpc_flow_logs", Columns: table.Columns, Rows: table.Rows})
	athenaArgs := []string{"--athena", "--athena-database", "flowlogs", "--athena-output", "s3://athena-results/flowlens/",
		"--since", fmt.Sprint(lo), "--until", fmt.Sprint(hi + 1)}

	for i, tc := range []struct {
		args   []string
		pushed bool
	}{
		{[]string{"--by", "srcaddr", "--sort", "bytes", "--top", "0"}, true},
		{[]string{"--filter", "dstport=22", "--by", "srcaddr,action"}, true},
		{[]string{"--filter", "action=REJECT", "--bin", "5m"}, true},
		{[]string{"--by", "srcaddr", "--distinct", "dstport", "--sort", "distinct", "--min", "3", "--top", "0"}, true},
		{[]string{"--filter", "addr=10.0.0.0/8 and not proto=icmp", "--by", "dstport,protocol", "--sort", "packets", "--top", "7"}, true},
		{[]string{"--by", "interface-id,log-status"}, true},
		{[]string{"--filter", "not eni=é*", "--by", "dstport", "--top", "0"}, false},
	} {
		kinds := []string{"jsonl"}
		if i == 0 { // the writers are the same for every source: one case in each kind
			kinds = append(kinds, "text", "csv")
		}
		for _, kind := range kinds {
			local, _ := statsGroups(t, append([]string{"-o", kind, path}, tc.args...)...)
			if kind == "jsonl" && strings.Count(local, "\n") < 2 {
				t.Fatalf("%v: too few groups to compare:\n%s", tc.args, local)
			}
			got, stderr := statsGroups(t, append(append([]string{"-o", kind}, athenaArgs...), tc.args...)...)
			if got != local {
				t.Fatalf("athena %v -o %s: other rows than here\nathena: %.500s\nlocal:  %.500s\n%s", tc.args, kind, got, local, stderr)
			}
			pushed := strings.Contains(stderr, "Athena counted the groups (GROUP BY)")
			if pushed != tc.pushed || !tc.pushed && !strings.Contains(stderr, "grouped here, from the records Athena returned: the filter does not compile to SQL exactly") {
				t.Errorf("%v: pushed %v, want %v:\n%s", tc.args, pushed, tc.pushed, stderr)
			}
			if !strings.Contains(stderr, "scanned") || !strings.Contains(stderr, "Athena bills by data scanned") {
				t.Errorf("stderr does not tell the data scanned:\n%s", stderr)
			}
		}
	}
	qs := srv.AthenaQueries()
	if last := qs[len(qs)-1].SQL; !strings.Contains(last, fmt.Sprintf("start >= %d", lo)) {
		t.Errorf("the query does not keep the window:\n%s", last)
	}
	var grouped int
	for _, q := range qs {
		if strings.Contains(q.SQL, "GROUP BY") {
			grouped++
		}
	}
	if grouped == 0 {
		t.Error("no query grouped")
	}
}
