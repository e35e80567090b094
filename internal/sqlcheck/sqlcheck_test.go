package sqlcheck

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/flowlens/flowlens/internal/pushdowntest"
	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/filter"
	"github.com/flowlens/flowlens/model/pushdown"
)

// requireRunner finds the DuckDB runner. Without it the test is skipped, loudly, on a
// developer's machine, and fails in CI, which builds it (see .ci/run).
func requireRunner(t *testing.T) string {
	t.Helper()
	p, err := Runner()
	if err == nil {
		return p
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("CI must run the SQL on DuckDB: %v", err)
	}
	msg := fmt.Sprintf("SKIPPED %s: the generated Athena SQL is not checked on a real SQL engine here: %v", t.Name(), err)
	fmt.Fprintln(os.Stderr, msg) // loud even without -v
	t.Skip(msg)
	return ""
}

const rowID = "flowlens_row"

type sqlCase struct {
	expr     string
	flt      *filter.Filter
	grouping *pushdown.Grouping
	res      pushdown.Result
}

// TestAthenaSQLOnDuckDB runs the SQL compiled from random filters (and groupings) over
// tables holding random records, stored as a text table and as Parquet would (the two
// ways a missing value reaches SQL), and compares with flowlens's own filter and a
// local count.
func TestAthenaSQLOnDuckDB(t *testing.T) {
	runner := requireRunner(t)
	rng := rand.New(rand.NewPCG(14, 20))
	for _, f := range pushdowntest.Formats() {
		var lines []string
		var recs []model.Flow
		for i := 0; i < 250; i++ {
			line, r := pushdowntest.Record(rng, f)
			lines, recs = append(lines, line), append(recs, r)
		}
		var cases []sqlCase
		for len(cases) < 80 {
			expr := pushdowntest.Filter(rng, f, 3)
			flt, err := filter.Compile(expr, filter.Options{Formats: []*model.Format{f}})
			if err != nil {
				continue
			}
			node, _ := filter.Parse(expr)
			c := sqlCase{expr: expr, flt: flt}
			if len(cases)%3 == 0 {
				c.grouping = randomGrouping(rng, f)
			}
			c.res, err = pushdown.SQL(node, pushdown.SQLOptions{Columns: f, Grouping: c.grouping})
			if err != nil {
				t.Fatalf("%q: %v", expr, err)
			}
			cases = append(cases, c)
		}
		var queries []string
		for _, c := range cases {
			queries = append(queries, c.res.Text)
		}
		for _, storage := range []Storage{Text, Parquet} {
			table := TableOf(pushdown.DefaultAthenaTable, f, recs, storage, func(i int) []any { return []any{i} }, Column{Name: rowID, Type: "int"})
			results, err := Run(testContext(t), runner, []Table{table}, queries)
			if err != nil {
				t.Fatal(err)
			}
			exact := 0
			for i, c := range cases {
				r := results[i]
				if r.Error != "" {
					t.Fatalf("%q: DuckDB refused\n%s\n%s", c.expr, c.res.Text, r.Error)
				}
				if c.res.Exact {
					exact++
				}
				if c.grouping != nil {
					if c.res.Exact {
						checkGroups(t, c, f, recs, r)
					}
					continue
				}
				got := map[int]bool{}
				idCol := len(r.Columns) - 1
				for _, row := range r.Rows {
					id, _ := strconv.Atoi(*row[idCol])
					got[id] = true
				}
				for j := range recs {
					keep := c.flt.Match(&recs[j])
					if keep && !got[j] || c.res.Exact && !keep && got[j] {
						t.Fatalf("%q (exact %v, storage %d): SQL and filter disagree on %q\n%s", c.expr, c.res.Exact, storage, lines[j], c.res.Text)
					}
				}
			}
			if exact < len(cases)/2 {
				t.Errorf("format %q: only %d of %d queries exact", f.Header(), exact, len(cases))
			}
		}
	}
}

func randomGrouping(rng *rand.Rand, f *model.Format) *pushdown.Grouping {
	g := &pushdown.Grouping{}
	for _, fld := range []model.Field{model.FSrcAddr, model.FDstPort, model.FAction, model.FInterfaceID, model.FProtocol, model.CustomBase} {
		if f.Column(fld) >= 0 && rng.IntN(3) == 0 {
			g.By = append(g.By, fld)
		}
	}
	if f.Has(model.FStart) {
		g.Bin = []time.Duration{0, 5 * time.Minute, time.Hour}[rng.IntN(3)]
	}
	if rng.IntN(2) == 0 && f.Has(model.FDstAddr) {
		g.Distinct, g.HasDistinct = model.FDstAddr, true
	}
	return g
}

// checkGroups compares grouped SQL results with a local count.
func checkGroups(t *testing.T, c sqlCase, f *model.Format, recs []model.Flow, r Result) {
	t.Helper()
	type counts struct {
		flows, packets, bytes, rejects uint64
		distinct                       map[string]bool
	}
	want := map[string]*counts{}
	for i := range recs {
		rec := &recs[i]
		if !c.flt.Match(rec) {
			continue
		}
		var key []string
		for _, fld := range c.grouping.By {
			key = append(key, rec.Value(fld))
		}
		if c.grouping.Bin > 0 {
			start, _ := rec.Uint(model.FStart)
			secs := uint64(c.grouping.Bin / time.Second)
			key = append(key, strconv.FormatUint(start/secs*secs, 10))
		}
		k := fmt.Sprint(key)
		w := want[k]
		if w == nil {
			w = &counts{distinct: map[string]bool{}}
			want[k] = w
		}
		w.flows++
		p, _ := rec.Uint(model.FPackets)
		b, _ := rec.Uint(model.FBytes)
		w.packets += p
		w.bytes += b
		if rec.Has(model.FAction) && rec.Action == model.Reject {
			w.rejects++
		}
		if c.grouping.HasDistinct && rec.Has(c.grouping.Distinct) {
			w.distinct[rec.Value(c.grouping.Distinct)] = true
		}
	}
	if len(r.Rows) != len(want) {
		t.Fatalf("%q by %+v: %d groups, want %d\n%s", c.expr, c.grouping, len(r.Rows), len(want), c.res.Text)
	}
	for _, row := range r.Rows {
		m := map[string]string{}
		for i, col := range r.Columns {
			v := "-" // NULL: a missing value
			if row[i] != nil {
				v = *row[i]
			}
			m[col.Name] = v
		}
		var key []string
		for _, fld := range c.grouping.By {
			key = append(key, m[pushdown.ColumnName(f, fld)])
		}
		if c.grouping.Bin > 0 {
			key = append(key, m[pushdown.BinColumn(c.grouping.Bin)])
		}
		w := want[fmt.Sprint(key)]
		if w == nil {
			t.Fatalf("%q: SQL has group %v, the local count has not\n%s", c.expr, key, c.res.Text)
		}
		check := func(col string, n uint64, present bool) {
			if present && m[col] != strconv.FormatUint(n, 10) {
				t.Fatalf("%q group %v: %s = %s, want %d\n%s", c.expr, key, col, m[col], n, c.res.Text)
			}
		}
		check(pushdown.ColFlows, w.flows, true)
		check(pushdown.ColPackets, w.packets, f.Has(model.FPackets))
		check(pushdown.ColBytes, w.bytes, f.Has(model.FBytes))
		check(pushdown.ColRejects, w.rejects, f.Has(model.FAction))
		if c.grouping.HasDistinct {
			check(pushdown.DistinctColumn(f, c.grouping.Distinct), uint64(len(w.distinct)), true)
		}
	}
}

// TestAthenaSQLOverAWSsTable runs the SQL over the columns of AWS's DDL (versions 2 to
// 5) holding default-format records, whose later columns are then NULL, with a time
// window on start.
func TestAthenaSQLOverAWSsTable(t *testing.T) {
	runner := requireRunner(t)
	rng := rand.New(rand.NewPCG(14, 21))
	var recs []model.Flow
	for i := 0; i < 200; i++ {
		_, r := pushdowntest.Record(rng, model.DefaultFormat)
		recs = append(recs, r)
	}
	since, until := int64(1700001800), int64(1700005400)
	var exprs []string
	var queries []string
	for len(queries) < 60 {
		expr := pushdowntest.Filter(rng, model.DefaultFormat, 2)
		if _, err := filter.Compile(expr, filter.Options{}); err != nil {
			continue
		}
		node, _ := filter.Parse(expr)
		res, err := pushdown.SQL(node, pushdown.SQLOptions{Table: "flowlogs.vpc_flow_logs", Since: since, Until: until})
		if err != nil {
			t.Fatal(err)
		}
		exprs, queries = append(exprs, expr), append(queries, res.Text)
	}
	table := TableOf("vpc_flow_logs", pushdown.AthenaColumns, recs, Text, func(i int) []any { return []any{i} }, Column{Name: rowID, Type: "int"})
	// The query names the database too; DuckDB's default schema stands in for it.
	for i, q := range queries {
		queries[i] = replaceOnce(q, `"flowlogs"."vpc_flow_logs"`, `"vpc_flow_logs"`)
	}
	results, err := Run(testContext(t), runner, []Table{table}, queries)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range results {
		if r.Error != "" {
			t.Fatalf("%q: %s\n%s", exprs[i], r.Error, queries[i])
		}
		flt := filter.MustCompile(exprs[i])
		got := map[int]bool{}
		for _, row := range r.Rows {
			id, _ := strconv.Atoi(*row[len(row)-1])
			got[id] = true
		}
		for j := range recs {
			start, _ := recs[j].Uint(model.FStart)
			inWindow := int64(start) >= since && int64(start) < until
			if flt.Match(&recs[j]) && inWindow && !got[j] {
				t.Fatalf("%q: SQL dropped a record in the window that the filter keeps\n%s", exprs[i], queries[i])
			}
			if got[j] && !inWindow {
				t.Fatalf("%q: SQL kept a record outside [since, until)", exprs[i])
			}
		}
	}
}

func replaceOnce(s, old, new string) string {
	for i := 0; i+len(old) <= len(s); i++ {
		if s[i:i+len(old)] == old {
			return s[:i] + new + s[i+len(old):]
		}
	}
	return s
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}
