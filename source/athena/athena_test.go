package athena_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	awsathena "github.com/aws/aws-sdk-go-v2/service/athena"
	"github.com/aws/aws-sdk-go-v2/service/athena/types"

	"github.com/flowlens/flowlens/internal/fakeaws"
	"github.com/flowlens/flowlens/internal/sim"
	"github.com/flowlens/flowlens/internal/sqlcheck"
	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/source"
	"github.com/flowlens/flowlens/source/athena"
	"github.com/flowlens/flowlens/source/awsclient"
)

// requireRunner finds the DuckDB runner the fake Athena answers with. Without it the
// test is skipped, loudly, on a developer's machine, and fails in CI, which builds it.
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

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

const (
	database = "flowlogs"
	results  = "s3://athena-results/flowlens/"
)

// fixture is a fake Athena with a flow-logs table holding records of the simulated
// incident, and the records, parsed as flowlens parses the same text.
type fixture struct {
	srv  *fakeaws.Server
	cfg  athena.Config
	recs []model.Flow
	text []byte
}

func newFixture(t *testing.T, n int) *fixture {
	t.Helper()
	requireRunner(t)
	srv := fakeaws.Serve(t)
	srv.CreateBucket("athena-results", "")
	awsCfg := srv.AWSConfig()
	var buf bytes.Buffer
	if err := sim.Incident(1).WriteText(&buf, model.DefaultFormat, n, true); err != nil {
		t.Fatal(err)
	}
	f := &fixture{srv: srv, text: buf.Bytes(),
		cfg: athena.Config{Client: awsclient.NewAthena(awsCfg), S3: awsclient.NewS3(awsCfg), Database: database, OutputLocation: results,
			PollMin: time.Millisecond, PollMax: time.Millisecond}}
	f.recs = parse(t, f.text)
	table := sqlcheck.TableOf("vpc_flow_logs", model.DefaultFormat, f.recs, sqlcheck.Text, nil)
	srv.AddAthenaTable(fakeaws.AthenaTable{Database: database, Name: "vpc_flow_logs", Columns: table.Columns, Rows: table.Rows})
	return f
}

func parse(t *testing.T, text []byte) []model.Flow {
	t.Helper()
	path := t.TempDir() + "/flows.log"
	if err := os.WriteFile(path, text, 0o644); err != nil {
		t.Fatal(err)
	}
	var recs []model.Flow
	source.ReadFiles(context.Background(), []source.Input{{Name: path, Path: path}}, source.Options{}, nil, func(c *source.Chunk) bool {
		for _, r := range c.Records {
			if e := r.Ext(); e != nil {
				ext := *e
				r.SetExt(&ext)
			}
			recs = append(recs, r)
		}
		return true
	})
	return recs
}

// The lifecycle: QUEUED, then RUNNING for the configured polls, then SUCCEEDED with
// the data scanned; the result CSV is at <output>/<id>.csv and holds what the pages
// hold.
func TestQueryLifecycleAndResultCSV(t *testing.T) {
	f := newFixture(t, 200)
	f.srv.SetAthenaPolls(3)
	ctx := testContext(t)
	x, err := athena.Start(ctx, f.cfg, "SELECT srcaddr, count(*) AS n FROM vpc_flow_logs GROUP BY srcaddr ORDER BY n DESC, srcaddr")
	if err != nil {
		t.Fatal(err)
	}
	var states []types.QueryExecutionState
	if err := x.Wait(ctx, func(s athena.Stats) { states = append(states, s.State) }); err != nil {
		t.Fatal(err)
	}
	want := []types.QueryExecutionState{"QUEUED", "RUNNING", "RUNNING", "SUCCEEDED"}
	if !slices.Equal(states, want) {
		t.Fatalf("states %v, want %v", states, want)
	}
	st := x.Stats()
	if st.Scanned <= 0 || st.Output != results+x.ID+".csv" {
		t.Fatalf("stats %+v", st)
	}
	var cols []athena.Column
	var rows [][]string
	err = x.Rows(ctx, func(c []athena.Column) error { cols = c; return nil }, func(r []*string) error {
		rows = append(rows, []string{*r[0], *r[1]})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(cols) != 2 || cols[0] != (athena.Column{Name: "srcaddr", Type: "varchar"}) || cols[1].Name != "n" || cols[1].Type != "bigint" {
		t.Fatalf("columns %+v", cols)
	}
	// The counts are computed from the stored records, not canned.
	counts := map[string]int{}
	for _, r := range f.recs {
		counts[r.Value(model.FSrcAddr)]++
	}
	if len(rows) != len(counts) {
		t.Fatalf("%d groups, want %d", len(rows), len(counts))
	}
	for _, r := range rows {
		if fmt.Sprint(counts[r[0]]) != r[1] {
			t.Fatalf("group %s: %s, want %d", r[0], r[1], counts[r[0]])
		}
	}
	obj := f.srv.Object("athena-results", "flowlens/"+x.ID+".csv")
	csvRows, err := fakeaws.ReadAthenaCSV(obj)
	if err != nil || len(csvRows) != len(rows)+1 || csvRows[0][0] != "srcaddr" || !slices.Equal(csvRows[1], rows[0]) {
		t.Fatalf("result CSV %v (%v)", csvRows[:min(3, len(csvRows))], err)
	}
}

// A result larger than a page comes from the result CSV (one GetObject) when an S3
// client is there, and through pages of at most 1,000 rows otherwise; both give every
// row once, in order.
func TestLargeResultsComeFromTheCSV(t *testing.T) {
	f := newFixture(t, 2600)
	ctx := testContext(t)
	read := func(cfg athena.Config) []string {
		x, err := athena.Start(ctx, cfg, "SELECT srcport, start FROM vpc_flow_logs ORDER BY start, srcport")
		if err != nil {
			t.Fatal(err)
		}
		if err := x.Wait(ctx, nil); err != nil {
			t.Fatal(err)
		}
		var out []string
		err = x.Rows(ctx, func([]athena.Column) error { return nil }, func(r []*string) error {
			out = append(out, deref(r[0])+" "+deref(r[1]))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	f.srv.ResetCalls()
	viaCSV := read(f.cfg)
	if n := len(f.srv.CallsTo("GetQueryResults")); n != 1 {
		t.Errorf("%d GetQueryResults calls reading from the CSV, want 1 (the first page, for the columns)", n)
	}
	if gets := f.srv.CallsTo("GetObject"); len(gets) != 1 || !strings.HasSuffix(gets[0].String("Key"), ".csv") {
		t.Errorf("GetObject calls %v", gets)
	}
	noS3 := f.cfg
	noS3.S3 = nil
	f.srv.ResetCalls()
	viaPages := read(noS3)
	pages := f.srv.CallsTo("GetQueryResults")
	// Pages, not calls: on a loaded machine the SDK may retry a call, which asks for
	// the same page (the same NextToken) again.
	tokens := map[string]bool{}
	for _, p := range pages {
		tokens[p.String("NextToken")] = true
	}
	if len(tokens) != 3 {
		t.Errorf("%d pages for %d rows", len(tokens), len(viaPages))
	}
	if len(pages) != len(tokens) {
		t.Logf("%d calls for %d pages: a call was retried", len(pages), len(tokens))
	}
	for _, p := range pages {
		if n, _ := p.Int("MaxResults"); n > 1000 {
			t.Errorf("asked for %d rows a page", n)
		}
	}
	if len(viaCSV) != len(f.recs) || !slices.Equal(viaCSV, viaPages) {
		t.Fatalf("CSV gave %d rows, pages %d, want %d", len(viaCSV), len(viaPages), len(f.recs))
	}
}

func deref(p *string) string {
	if p == nil {
		return "NULL"
	}
	return *p
}

// Failures are explained: the workgroup without an output location, a syntax error, a
// missing table, and each refused permission is named.
func TestAthenaErrorsAreExplained(t *testing.T) {
	f := newFixture(t, 10)
	ctx := testContext(t)
	run := func(cfg athena.Config, sql string) *athena.Error {
		t.Helper()
		x, err := athena.Start(ctx, cfg, sql)
		if err == nil {
			err = x.Wait(ctx, nil)
		}
		var e *athena.Error
		if !errors.As(err, &e) {
			t.Fatalf("%q: error %v (%T), want *athena.Error", sql, err, err)
		}
		return e
	}
	noOutput := f.cfg
	noOutput.OutputLocation = ""
	if e := run(noOutput, "SELECT 1"); !strings.Contains(e.Msg, "workgroup primary has no query result location: pass --athena-output") {
		t.Errorf("no output location: %v", e)
	}
	f.srv.AddAthenaWorkGroup(fakeaws.AthenaWorkGroup{Name: "flowlens", OutputLocation: results})
	withWG := noOutput
	withWG.WorkGroup = "flowlens"
	if x, err := athena.Start(ctx, withWG, "SELECT 1"); err != nil || x.Wait(ctx, nil) != nil {
		t.Errorf("a workgroup with its own output location: %v", err)
	}
	if e := run(f.cfg, "SELEC srcaddr FROM vpc_flow_logs"); !strings.HasPrefix(e.Reason, "SYNTAX_ERROR") || !strings.Contains(e.Msg, "failed") {
		t.Errorf("syntax error: %+v", e)
	}
	if e := run(f.cfg, "SELECT * FROM no_such_table"); !strings.HasPrefix(e.Reason, "TABLE_NOT_FOUND") || !strings.Contains(e.Msg, "athena-ddl") {
		t.Errorf("missing table: %+v", e)
	}
	f.srv.DenyS3("athena-results", "s3:PutObject")
	if e := run(f.cfg, "SELECT 1"); e.Permission != "s3:PutObject" {
		t.Errorf("output not writable: %+v", e)
	}
	f.srv.DenyAthena("glue:GetTable")
	if e := run(f.cfg, "SELECT * FROM vpc_flow_logs"); e.Permission != "glue:GetTable" {
		t.Errorf("glue:GetTable refused: %+v", e)
	}
	f.srv.DenyAthena("athena:StartQueryExecution")
	if e := run(f.cfg, "SELECT 1"); e.Permission != "athena:StartQueryExecution" || !strings.Contains(e.Msg, "needs athena:StartQueryExecution") {
		t.Errorf("athena:StartQueryExecution refused: %+v", e)
	}
}

// Cancelling the context stops the query with StopQueryExecution.
func TestCancelStopsTheQuery(t *testing.T) {
	f := newFixture(t, 10)
	f.srv.SetAthenaPolls(1000)
	ctx, cancel := context.WithCancel(testContext(t))
	cfg := f.cfg
	polls := 0
	cfg.Sleep = func(ctx context.Context, d time.Duration) error {
		if polls++; polls == 3 {
			cancel()
		}
		return ctx.Err()
	}
	x, err := athena.Start(ctx, cfg, "SELECT * FROM vpc_flow_logs")
	if err != nil {
		t.Fatal(err)
	}
	if err := x.Wait(ctx, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("wait: %v", err)
	}
	stops := f.srv.CallsTo("StopQueryExecution")
	if len(stops) != 1 || stops[0].String("QueryExecutionId") != x.ID {
		t.Fatalf("StopQueryExecution calls %v", stops)
	}
	q := f.srv.AthenaQueries()
	if len(q) != 1 || q[0].State != "CANCELLED" {
		t.Fatalf("queries %+v", q)
	}
}

// GetQueryResults refuses a page larger than 1,000 rows, and a query that has not
// finished, as Athena does.
func TestFakeAthenaLimits(t *testing.T) {
	f := newFixture(t, 10)
	f.srv.SetAthenaPolls(5)
	ctx := testContext(t)
	x, err := athena.Start(ctx, f.cfg, "SELECT * FROM vpc_flow_logs")
	if err != nil {
		t.Fatal(err)
	}
	client := f.cfg.Client
	if _, err := client.GetQueryResults(ctx, &awsathena.GetQueryResultsInput{QueryExecutionId: &x.ID}); err == nil || !strings.Contains(err.Error(), "has not yet finished") {
		t.Errorf("results of a running query: %v", err)
	}
	if err := x.Wait(ctx, nil); err != nil {
		t.Fatal(err)
	}
	big := int32(1001)
	if _, err := client.GetQueryResults(ctx, &awsathena.GetQueryResultsInput{QueryExecutionId: &x.ID, MaxResults: &big}); err == nil || !strings.Contains(err.Error(), "1000") {
		t.Errorf("a page of 1001 rows: %v", err)
	}
}
