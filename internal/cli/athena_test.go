package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/flowlens/flowlens/internal/fakeaws"
	"github.com/flowlens/flowlens/internal/sim"
	"github.com/flowlens/flowlens/internal/sqlcheck"
	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/source"
	"github.com/flowlens/flowlens/source/athena"
	"github.com/flowlens/flowlens/source/awsclient"
)

func requireRunner(t *testing.T) {
	t.Helper()
	if _, err := sqlcheck.Runner(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI must run Athena's SQL on DuckDB: %v", err)
		}
		msg := fmt.Sprintf("SKIPPED %s: the fake Athena answers with DuckDB, which is not here: %v", t.Name(), err)
		fmt.Fprintln(os.Stderr, msg)
		t.Skip(msg)
	}
}

// sortedLines sorts the lines of an output, keeping a header line (text, CSV) first:
// Athena returns the records in start order, a file holds them in its own.
func sortedLines(out string, header bool) []string {
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if header && len(lines) > 0 {
		slices.Sort(lines[1:])
		return lines
	}
	slices.Sort(lines)
	return lines
}

// The "done when": print --athena on the fake gives what local print gives on
// the same records, in every output kind, with and without a filter; the data scanned
// and the results' location are said on stderr.
func TestPrintAthenaGivesWhatLocalPrintGives(t *testing.T) {
	requireRunner(t)
	srv := fakeAWS(t)
	srv.CreateBucket("athena-results", "")
	var text bytes.Buffer
	if err := sim.Incident(1).WriteText(&text, model.DefaultFormat, 1500, true); err != nil {
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

	for _, kind := range []string{"text", "jsonl", "csv"} {
		for _, flt := range []string{"", "action=REJECT and dstport=22", "addr=10.0.0.0/8 and not proto=icmp"} {
			code, want, stderr := runForOutput(t, "print", "-o", kind, "--filter", flt, path)
			if code != 0 {
				t.Fatalf("local: exit %d: %s", code, stderr)
			}
			code, got, stderr := runForOutput(t, append([]string{"print", "-o", kind, "--filter", flt}, athenaArgs...)...)
			if code != 0 {
				t.Fatalf("athena %s %q: exit %d: %s", kind, flt, code, stderr)
			}
			header := kind != "jsonl"
			if g, w := sortedLines(got, header), sortedLines(want, header); !slices.Equal(g, w) {
				t.Fatalf("athena %s %q: %d lines, local %d\nathena: %.300s\nlocal:  %.300s", kind, flt, len(g), len(w), got, want)
			}
			if !strings.Contains(stderr, "scanned") || !strings.Contains(stderr, "Athena bills by data scanned") ||
				!strings.Contains(stderr, "results written to s3://athena-results/flowlens/") {
				t.Errorf("stderr does not tell the data scanned and where the results went:\n%s", stderr)
			}
		}
	}
	// The query names the window; the filter is in the WHERE.
	qs := srv.AthenaQueries()
	last := qs[len(qs)-1].SQL
	if !strings.Contains(last, fmt.Sprintf("start >= %d", lo)) || !strings.Contains(last, "contains('10.0.0.0/8'") {
		t.Errorf("last query:\n%s", last)
	}
}

// --athena's mistakes are usage errors, found before anything is asked of AWS.
func TestPrintAthenaUsageMistakes(t *testing.T) {
	srv := fakeAWS(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"print", "--athena", "flows.log"}, "takes no SOURCE arguments"},
		{[]string{"print", "--athena-table", "x"}, "--athena-table needs --athena"},
		{[]string{"print", "--athena", "--athena-output", "bucket/prefix"}, "bad --athena-output"},
		{[]string{"print", "--athena", "--follow"}, "--follow does not go with --athena"},
		{[]string{"print", "--athena", "--since", "1h", "--until", "2h"}, "is not after --since"},
		{[]string{"athena-ddl", "flows/"}, "want s3://bucket/prefix"},
	} {
		code, _, stderr := runForOutput(t, tc.args...)
		if code != ExitUsage || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, want 2 and %q:\n%s", tc.args, code, tc.want, stderr)
		}
	}
	if n := len(srv.Calls()); n != 0 {
		t.Errorf("%d requests for command lines that are wrong", n)
	}
}

// athena-ddl writes a table that Athena (the fake, which executes the statement and
// reads the bucket through its storage.location.template) answers from, and print
// --athena over it gives what print gives over the bucket itself, for AWS's default
// layout in text and the Hive-compatible hourly layout in Parquet; the window prunes
// the date partitions.
func TestAthenaDDLTableGivesTheBucketsRecords(t *testing.T) {
	requireRunner(t)
	srv := fakeAWS(t)
	srv.CreateBucket("athena-results", "")
	srv.AddAthenaDatabase("flowlogs")
	b := newFlowBucket(srv, "flow-logs")
	now := time.Now().UTC().Truncate(time.Minute)
	text := fakeaws.FlowLogLocation{}
	pq := fakeaws.FlowLogLocation{Prefix: "pq/", Hive: true, Hourly: true, Parquet: true}
	b.deliverEvery(text, &pq, now.Add(-28*time.Hour).Truncate(5*time.Minute), now, 2, eniAll)
	b.deliverEvery(fakeaws.FlowLogLocation{Region: "eu-west-1"}, nil, now.Add(-5*time.Hour).Truncate(5*time.Minute), now, 2, eniAll)
	since, until := now.Add(-3*time.Hour), now.Add(-time.Hour)
	window := []string{"--since", since.Format(time.RFC3339), "--until", until.Format(time.RFC3339)}
	client := athena.Config{Client: awsclient.NewAthena(srv.AWSConfig()), Database: "flowlogs", OutputLocation: "s3://athena-results/ddl/",
		PollMin: time.Millisecond, PollMax: time.Millisecond}

	for _, tc := range []struct {
		table, location string
		wantDDL         []string
	}{
		{"vpc_flow_logs", "s3://flow-logs/AWSLogs/", []string{"`aws_account` string, `aws_region` string, `day` string",
			`"projection.aws_region.values" = "eu-west-1,us-east-1"`, `"projection.day.format" = "yyyy/MM/dd"`,
			`"storage.location.template" = "s3://flow-logs/AWSLogs/${aws_account}/vpcflowlogs/${aws_region}/${day}"`,
			"FIELDS TERMINATED BY ' '", `"skip.header.line.count" = "1"`}},
		{"flows_pq", "s3://flow-logs/pq/AWSLogs/aws-account-id=123456789012/", []string{"PARTITIONED BY (`aws_region` string, `hour` string)",
			`"projection.hour.format" = "'year='yyyy/'month='MM/'day='dd/'hour='HH"`, `"projection.hour.interval.unit" = "HOURS"`,
			"ParquetHiveSerDe"}},
	} {
		code, ddl, stderr := runForOutput(t, "athena-ddl", "--athena-table", tc.table, tc.location)
		if code != 0 {
			t.Fatalf("athena-ddl %s: exit %d: %s", tc.location, code, stderr)
		}
		for _, w := range tc.wantDDL {
			if !strings.Contains(ddl, w) {
				t.Errorf("%s: the DDL lacks %s:\n%s", tc.location, w, ddl)
			}
		}
		if !strings.Contains(ddl, "`version` int,\n  `account_id` string,") || !strings.Contains(ddl, "`end` bigint") {
			t.Errorf("%s: columns not from the header:\n%s", tc.location, ddl)
		}
		x, err := athena.Start(context.Background(), client, ddl)
		if err == nil {
			err = x.Wait(context.Background(), nil)
		}
		if err != nil {
			t.Fatalf("running the DDL of %s: %v\n%s", tc.location, err, ddl)
		}

		code, want, stderr := runForOutput(t, append([]string{"print", "-o", "jsonl", tc.location}, window...)...)
		if code != 0 || want == "" {
			t.Fatalf("print %s: exit %d: %s", tc.location, code, stderr)
		}
		args := append([]string{"print", "-o", "jsonl", "--athena", "--athena-table", tc.table, "--athena-database", "flowlogs",
			"--athena-output", "s3://athena-results/q/"}, window...)
		code, got, stderr := runForOutput(t, args...)
		if code != 0 {
			t.Fatalf("print --athena %s: exit %d: %s", tc.table, code, stderr)
		}
		if g, w := sortedLines(got, false), sortedLines(want, false); !slices.Equal(g, w) {
			t.Fatalf("%s: %d records from Athena, %d from the bucket\n%.500s\n%s", tc.table, len(g), len(w), got, stderr)
		}
		qs := srv.AthenaQueries()
		sql := qs[len(qs)-1].SQL
		part := "day"
		layout := "2006/01/02"
		if tc.table == "flows_pq" {
			part, layout = "hour", "year=2006/month=01/day=02/hour=15"
		}
		lo := fmt.Sprintf(`"%s" >= '%s'`, part, since.Format(layout))
		hi := fmt.Sprintf(`"%s" <= '%s'`, part, until.Add(athena.DeliveryMargin).Format(layout))
		if !strings.Contains(sql, lo) || !strings.Contains(sql, hi) {
			t.Errorf("%s: the query does not prune the partitions (%s, %s):\n%s", tc.table, lo, hi, sql)
		}
	}
}

// print --athena --show-query prints the SQL it would run and asks nothing of AWS: no
// endpoint, region or credentials are needed, as with every other --show-query.
func TestPrintAthenaShowQueryRunsNothing(t *testing.T) {
	t.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1") // a query started would fail here
	code, out, errOut := runForOutput(t, "print", "--athena", "--athena-table", "flows", "--show-query", "--filter", "action=REJECT dstport=22")
	if code != ExitOK {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	for _, want := range []string{"SELECT", `FROM "flows"`, "dstport = 22"} {
		if !strings.Contains(out, want) {
			t.Errorf("the shown query lacks %q:\n%s", want, out)
		}
	}
}
