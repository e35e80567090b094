package cli

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"

	"github.com/flowlens/flowlens/internal/fakeaws"
	"github.com/flowlens/flowlens/internal/sim"
	"github.com/flowlens/flowlens/internal/sqlcheck"
	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/pushdown"
	"github.com/flowlens/flowlens/source"
	"github.com/flowlens/flowlens/source/awsclient"
	"github.com/flowlens/flowlens/source/insights"
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

// statsRow is a group as every engine can write it: its values as text (a bin as Unix
// seconds, a missing value as -) and its counts.
type statsRow struct {
	key     string
	metrics [5]float64 // flows, packets, bytes, rejects, distinct
}

// rowsOfJSON reads stats' JSON Lines.
func rowsOfJSON(t *testing.T, out string, by []string) []statsRow {
	var rows []statsRow
	for _, o := range jsonLines(t, out) {
		var key []string
		if b, ok := o["bin"].(string); ok {
			at, err := time.Parse(time.RFC3339, b)
			if err != nil {
				t.Fatal(err)
			}
			key = append(key, fmt.Sprint(at.Unix()))
		}
		for _, f := range by {
			v := "-"
			if o[f] != nil {
				v = fmt.Sprint(o[f])
			}
			key = append(key, v)
		}
		r := statsRow{key: strings.Join(key, " ")}
		for i, m := range []string{"flows", "packets", "bytes", "rejects", "distinct"} {
			r.metrics[i], _ = o[m].(float64)
		}
		rows = append(rows, r)
	}
	return rows
}

// rowsOfColumns reads the rows of a grouped Insights query or SQL, by column name.
func rowsOfColumns(t *testing.T, rows []map[string]string, by []string, bin string, metrics []string) []statsRow {
	var out []statsRow
	for _, row := range rows {
		var key []string
		if bin != "" {
			v := row[bin]
			if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
				key = append(key, fmt.Sprint(secs))
			} else {
				ms, err := insights.ParseTimestamp(v)
				if err != nil {
					t.Fatalf("bin %q: %v", v, err)
				}
				key = append(key, fmt.Sprint(ms/1000))
			}
		}
		for _, f := range by {
			v := row[f]
			if v == "" {
				v = "-"
			}
			key = append(key, v)
		}
		r := statsRow{key: strings.Join(key, " ")}
		for i, m := range metrics {
			if v := row[m]; v != "" {
				r.metrics[i], _ = strconv.ParseFloat(v, 64)
			}
		}
		out = append(out, r)
	}
	return out
}

// sameGroups compares an engine's rows with stats' own: the same groups with the same
// counts, in an order that agrees on the ranked metric (ties may be ordered otherwise:
// SQL and Insights order addresses as text).
func sameGroups(t *testing.T, engine string, got, want []statsRow, rank int) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d groups, stats %d\n%v\n%v", engine, len(got), len(want), got, want)
		return
	}
	all := map[string][5]float64{}
	for _, r := range want {
		all[r.key] = r.metrics
	}
	for i, r := range got {
		if m, ok := all[r.key]; !ok || m != r.metrics {
			t.Errorf("%s: group %q %v, stats %v", engine, r.key, r.metrics, m)
		}
		if rank >= 0 && r.metrics[rank] != want[i].metrics[rank] {
			t.Errorf("%s: row %d ranks %v, stats %v", engine, i, r.metrics[rank], want[i].metrics[rank])
		}
	}
}

// --show-query with a grouping pastes and runs: its Insights query, run on the fake
// through the SDK, and its SQL, run on DuckDB, give the groups stats gives over the same
// records, ranked and cut as stats ranks and cuts them.
func TestStatsShowQueryRunsWhereItIsPasted(t *testing.T) {
	srv := fakeAWS(t)
	srv.AddFlowLogs(fakeaws.FlowLog{LogGroupName: testGroup, ResourceID: testENI})
	var text bytes.Buffer
	if err := sim.Incident(3).WriteText(&text, model.DefaultFormat, 1500, true); err != nil {
		t.Fatal(err)
	}
	path := t.TempDir() + "/flows.log"
	if err := os.WriteFile(path, text.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	var recs []model.Flow
	lo, hi := uint32(1<<32-1), uint32(0)
	for _, line := range strings.Split(strings.TrimSpace(text.String()), "\n") {
		p := model.NewParser("", model.DefaultFormat)
		var r model.Flow
		if p.Parse([]byte(line), &r) != model.LineRecord {
			continue // the header
		}
		recs = append(recs, r)
		lo, hi = min(lo, r.Start), max(hi, r.Start)
		srv.AddEvents(testGroup, testENI+"-all", fakeaws.Event{Timestamp: time.Unix(int64(r.Start), 0), Message: line})
	}
	window := []string{"--since", fmt.Sprint(lo), "--until", fmt.Sprint(hi + 1)}
	logs := awsclient.NewLogs(srv.AWSConfig())
	runner, runnerErr := sqlcheck.Runner()
	if runnerErr != nil && os.Getenv("CI") == "true" {
		t.Fatalf("CI must run the SQL on DuckDB: %v", runnerErr)
	}

	type check struct {
		args []string
		by   []string
		rank int // the metric ranked by (0 flows ... 4 distinct); -1 for time order
		sql  string
		want []statsRow
	}
	var checks []*check
	for _, c := range []check{
		{args: []string{"--filter", "dstport=22", "--by", "srcaddr,action"}, by: []string{"srcaddr", "action"}},
		{args: []string{"--by", "dstport", "--sort", "bytes", "--top", "5"}, by: []string{"dstport"}, rank: 2},
		{args: []string{"--filter", "action=REJECT", "--bin", "5m"}, rank: -1},
		{args: []string{"--by", "srcaddr", "--distinct", "dstport", "--sort", "distinct", "--min", "3", "--top", "0"}, by: []string{"srcaddr"}, rank: 4},
		{args: []string{"--filter", "addr=10.0.0.0/8 not icmp", "--by", "interface-id,protocol", "--sort", "rejects", "--top", "0"}, by: []string{"interface-id", "protocol"}, rank: 3},
	} {
		c := c
		local, _ := statsGroups(t, append([]string{path}, c.args...)...)
		c.want = rowsOfJSON(t, local, c.by)
		if len(c.want) < 2 {
			t.Fatalf("%v: too few groups to compare: %s", c.args, local)
		}
		code, shown, stderr := runForOutput(t, append(append([]string{"stats", "--show-query", "--log-group", testGroup, "--athena-table", "flows"}, window...), c.args...)...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", c.args, code, stderr)
		}
		body, head := sections(t, shown)
		if !strings.Contains(head["Logs"], "(exact)") || !strings.Contains(head["Athena"], "(exact)") || !strings.Contains(body["Athena"], "GROUP BY") {
			t.Fatalf("%v:\n%s", c.args, shown)
		}
		bin := ""
		if slices.Contains(c.args, "--bin") {
			bin = "bin(5m)"
		}
		colsOf := func(distinct string) []string {
			return []string{"flows", "sum_packets", "sum_bytes", "rejects", distinct}
		}
		var by []string
		for _, f := range c.by {
			by = append(by, strings.ReplaceAll(f, "-", "_"))
		}
		got := rowsOfColumns(t, insightsRows(t, logs, body["Logs"], int64(lo), int64(hi)), by, bin, colsOf("distinct_dstport"))
		sameGroups(t, "Insights "+strings.Join(c.args, " "), got, c.want, c.rank)
		c.sql = strings.TrimSuffix(strings.TrimSpace(body["Athena"]), ";")
		checks = append(checks, &c)
	}
	if runnerErr != nil {
		msg := fmt.Sprintf("SKIPPED the SQL part of %s: %v", t.Name(), runnerErr)
		fmt.Fprintln(os.Stderr, msg)
		return
	}
	var sqls []string
	for _, c := range checks {
		sqls = append(sqls, c.sql)
	}
	res, err := sqlcheck.Run(context.Background(), runner, []sqlcheck.Table{sqlcheck.TableOf("flows", pushdown.AthenaColumns, recs, sqlcheck.Text, nil)}, sqls)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range checks {
		if res[i].Error != "" {
			t.Fatalf("DuckDB: %s\n%s", res[i].Error, c.sql)
		}
		var rows []map[string]string
		for _, r := range res[i].Rows {
			row := map[string]string{}
			for j, col := range res[i].Columns {
				if r[j] != nil {
					row[col.Name] = *r[j]
				}
			}
			rows = append(rows, row)
		}
		var by []string
		for _, f := range c.by {
			by = append(by, strings.ReplaceAll(f, "-", "_"))
		}
		bin := ""
		if slices.Contains(c.args, "--bin") {
			bin = "bin(5m)"
		}
		got := rowsOfColumns(t, rows, by, bin, []string{"flows", "sum_packets", "sum_bytes", "rejects", "distinct_dstport"})
		sameGroups(t, "SQL "+strings.Join(c.args, " "), got, c.want, c.rank)
	}
}

// insightsRows runs a query on the fake through the SDK and returns its rows by field.
func insightsRows(t *testing.T, logs *cloudwatchlogs.Client, query string, lo, hi int64) []map[string]string {
	t.Helper()
	ctx := context.Background()
	out, err := logs.StartQuery(ctx, &cloudwatchlogs.StartQueryInput{
		LogGroupName: aws.String(testGroup), QueryString: aws.String(query), StartTime: aws.Int64(lo), EndTime: aws.Int64(hi),
	})
	if err != nil {
		t.Fatalf("StartQuery: %v\n%s", err, query)
	}
	for {
		res, err := logs.GetQueryResults(ctx, &cloudwatchlogs.GetQueryResultsInput{QueryId: out.QueryId})
		if err != nil {
			t.Fatal(err)
		}
		if res.Status != types.QueryStatusComplete {
			time.Sleep(time.Millisecond)
			continue
		}
		var rows []map[string]string
		for _, r := range res.Results {
			row := map[string]string{}
			for _, f := range r {
				row[aws.ToString(f.Field)] = aws.ToString(f.Value)
			}
			rows = append(rows, row)
		}
		return rows
	}
}

// stats reads an s3:// location as print does: the objects of the window, text or
// Parquet, --eni narrowing the records; the groups are those of the records whose start
// lies in the window, counted independently here.
func TestStatsReadsS3(t *testing.T) {
	srv := fakeAWS(t)
	b := newFlowBucket(srv, "flow-logs")
	now := time.Now().UTC()
	text := fakeaws.FlowLogLocation{FlowLogID: "fl-0123456789abcdef0"}
	pq := fakeaws.FlowLogLocation{Prefix: "parquet/", FlowLogID: "fl-0123456789abcdef0", Parquet: true}
	enis := []string{testENI, "eni-0fedcba9876543210"}
	b.deliverEvery(text, &pq, now.Add(-5*time.Hour).Truncate(5*time.Minute), now, 4, func(i int) string { return enis[i%2] })
	since, until := now.Add(-3*time.Hour).Truncate(time.Minute), now.Add(-time.Hour).Truncate(time.Minute)
	window := []string{"--since", since.Format(time.RFC3339), "--until", until.Format(time.RFC3339)}

	// The truth: flows per (15-minute bin, interface), each record 10 packets, 840 bytes.
	want := func(eni string) string {
		n := map[string]int{}
		var keys []string
		for _, r := range b.records {
			s := r.start.Unix()
			if s < since.Unix() || s >= until.Unix() || eni != "" && !strings.Contains(r.line, eni) {
				continue
			}
			k := fmt.Sprintf("%s %s", time.Unix(s-s%900, 0).UTC().Format(time.RFC3339), strings.Fields(r.line)[2])
			if n[k] == 0 {
				keys = append(keys, k)
			}
			n[k]++
		}
		slices.Sort(keys)
		var out strings.Builder
		for _, k := range keys {
			bin, iface, _ := strings.Cut(k, " ")
			fmt.Fprintf(&out, `{"bin":%q,"interface-id":%q,"flows":%d,"packets":%d,"bytes":%d,"rejects":0}`+"\n", bin, iface, n[k], 10*n[k], 840*n[k])
		}
		return out.String()
	}
	args := append([]string{"--bin", "15m", "--by", "interface-id"}, window...)
	got, stderr := statsGroups(t, append([]string{"s3://flow-logs/AWSLogs/"}, args...)...)
	if w := want(""); got != w || strings.Count(w, "\n") < 10 {
		t.Fatalf("stats over S3:\n%s\nwant\n%s\n%s", got, w, stderr)
	}
	if !strings.Contains(stderr, "records with start in ["+since.Format(time.RFC3339)) {
		t.Errorf("no S3 summary:\n%s", stderr)
	}
	pqGot, stderr := statsGroups(t, append([]string{"s3://flow-logs/parquet/"}, args...)...)
	if pqGot != got {
		t.Errorf("Parquet gives other groups:\n%s\n%s", pqGot, stderr)
	}
	one, _ := statsGroups(t, append([]string{"--eni", enis[1], "s3://flow-logs/AWSLogs/"}, args...)...)
	if w := want(enis[1]); one != w {
		t.Errorf("--eni %s:\n%s\nwant\n%s", enis[1], one, w)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--s3-region", "us-east-1", "flows.log"}, "--s3-region narrows an s3:// source"},
		{[]string{"s3://flow-logs/", "flows.log"}, "an s3:// source is read alone"},
		{[]string{"--stream-prefix", "x", "s3://flow-logs/"}, "--stream-prefix needs --log-group"},
		{[]string{"--follow", "s3://flow-logs/"}, "--follow never ends"},
		{[]string{"--athena", "--s3-account", "123456789012"}, "--s3-account does not go with --athena"},
		{[]string{"--athena", "--history", "insights"}, "--history does not go with --athena"},
		{[]string{"--history", "insights", "s3://flow-logs/"}, "--history chooses what reads a log group's history"},
		{[]string{"--athena-table", "t", "flows.log"}, "--athena-table needs --athena"},
		{[]string{"--athena", "flows.log"}, "takes no SOURCE arguments"},
	} {
		code, _, stderr := statsCmd(t, tc.args...)
		if code != ExitUsage || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, want 2 and %q:\n%s", tc.args, code, tc.want, stderr)
		}
	}
}

// Over a file, lines without the filter's text are skipped unparsed (print's needles),
// and the groups are still those of every matching record.
func TestStatsSkipsLinesWithoutTheFiltersText(t *testing.T) {
	path := writeScenario(t, sim.Incident(1), 0, "incident.log")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	n := map[string]int{}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) == 14 && f[12] == "REJECT" {
			n[f[6]]++
		}
	}
	got, stderr := statsGroups(t, "--filter", "action=REJECT", "--by", "dstport", "--top", "0", path)
	rows := jsonLines(t, got)
	if len(rows) != len(n) || len(n) < 3 {
		t.Fatalf("%d groups, want %d", len(rows), len(n))
	}
	for _, o := range rows {
		if int(o["flows"].(float64)) != n[fmt.Sprint(o["dstport"])] || o["rejects"] != o["flows"] {
			t.Errorf("dstport %v: %v flows, want %d", o["dstport"], o["flows"], n[fmt.Sprint(o["dstport"])])
		}
	}
	if !strings.Contains(stderr, "skipped unparsed (they lack the filter's text)") {
		t.Errorf("no line was skipped unparsed:\n%s", stderr)
	}
}
