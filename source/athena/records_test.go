package athena_test

import (
	"slices"
	"testing"
	"time"

	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/filter"
	"github.com/flowlens/flowlens/model/stats"
	"github.com/flowlens/flowlens/source"
	"github.com/flowlens/flowlens/source/athena"
)

// window returns a window over the middle of the records' starts.
func (f *fixture) window() (since, until time.Time) {
	var starts []int64
	for _, r := range f.recs {
		if r.Has(model.FStart) {
			starts = append(starts, int64(r.Start))
		}
	}
	slices.Sort(starts)
	return time.Unix(starts[len(starts)/4], 0), time.Unix(starts[len(starts)*3/4], 0)
}

// local returns the records of the fixture that match expr and start in the window.
func (f *fixture) local(t *testing.T, expr string, since, until time.Time) []model.Flow {
	t.Helper()
	flt, err := filter.Compile(expr, filter.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var out []model.Flow
	for i := range f.recs {
		r := &f.recs[i]
		if !r.Has(model.FStart) || int64(r.Start) < since.Unix() || int64(r.Start) >= until.Unix() {
			continue
		}
		if flt.All() || flt.Match(r) {
			out = append(out, *r)
		}
	}
	return out
}

func texts(recs []model.Flow) []string {
	out := make([]string, len(recs))
	for i := range recs {
		out[i] = string(recs[i].AppendRecord(nil))
	}
	slices.Sort(out)
	return out
}

// Records from Athena are the records of the same text read locally: the table's
// columns (from GetTableMetadata) give the format, the filter and the window are
// pushed down as SQL, and the rows come back in time order.
func TestRunGivesTheLocalRecords(t *testing.T) {
	f := newFixture(t, 1200)
	ctx := testContext(t)
	src, err := athena.New(ctx, f.cfg, athena.TableOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if tb := src.Table(); !tb.FromMetadata || tb.Columns.Header() != model.DefaultFormat.Header() {
		t.Fatalf("table %+v", tb)
	}
	since, until := f.window()
	for _, expr := range []string{"", "action=REJECT", "dstport=22 or dstport=3389", "src=10.0.0.0/8 and not proto=icmp", "flags=syn"} {
		var got []model.Flow
		var lastStart uint32
		ordered := true
		x, err := src.Run(ctx, athena.Query{Filter: expr, Since: since, Until: until}, nil, func(c *source.Chunk) bool {
			for _, r := range c.Records {
				if r.Start < lastStart {
					ordered = false
				}
				lastStart = r.Start
				if e := r.Ext(); e != nil {
					ext := *e
					r.SetExt(&ext)
				}
				got = append(got, r)
			}
			return true
		})
		if err != nil {
			t.Fatalf("%q: %v", expr, err)
		}
		want := f.local(t, expr, since, until)
		if !slices.Equal(texts(got), texts(want)) || len(want) == 0 && expr == "" {
			t.Fatalf("%q: %d records from Athena, %d locally", expr, len(got), len(want))
		}
		if !ordered {
			t.Errorf("%q: records out of time order", expr)
		}
		switch {
		case expr == "flags=syn" && x != nil:
			t.Errorf("%q: a query for a column the table lacks", expr)
		case expr != "flags=syn" && (x == nil || x.Stats().Scanned == 0):
			t.Errorf("%q: nothing scanned", expr)
		}
	}
}

// The grouped query gives what model/stats gives over the same records: the same rows,
// values, metrics and order, whether Athena grouped (an exact filter) or the records
// were fetched and grouped here (a filter SQL cannot say exactly).
func TestGroupsGiveWhatModelStatsGives(t *testing.T) {
	f := newFixture(t, 1200)
	ctx := testContext(t)
	src, err := athena.New(ctx, f.cfg, athena.TableOptions{})
	if err != nil {
		t.Fatal(err)
	}
	since, until := f.window()
	col := func(fld model.Field) stats.Column { return stats.Column{Field: fld, Name: fld.Name()} }
	cases := []struct {
		filter string
		spec   stats.Spec
		pushed bool
	}{
		{"", stats.Spec{By: []stats.Column{col(model.FSrcAddr)}, Sort: stats.Bytes, Top: 0}, true},
		{"dstport=22", stats.Spec{By: []stats.Column{col(model.FSrcAddr), col(model.FAction)}, Top: stats.TopDefault}, true},
		{"action=REJECT", stats.Spec{Bin: 5 * time.Minute, Top: stats.TopDefault}, true},
		{"", stats.Spec{By: []stats.Column{col(model.FSrcAddr)}, Distinct: &stats.Column{Field: model.FDstPort, Name: "dstport"}, Sort: stats.Distinct, Min: 3, Top: 0}, true},
		{"", stats.Spec{By: []stats.Column{col(model.FInterfaceID), col(model.FLogStatus)}, Top: 5}, true},
		{"not dstport=443", stats.Spec{By: []stats.Column{col(model.FProtocol)}, Bin: time.Hour, Sort: stats.Rejects, Top: 0}, true},
		{`"é"`, stats.Spec{By: []stats.Column{col(model.FDstPort)}, Top: 0}, false},
	}
	for _, tc := range cases {
		res, err := src.Groups(ctx, athena.Query{Filter: tc.filter, Since: since, Until: until}, filter.Options{}, tc.spec)
		if err != nil {
			t.Fatalf("%q %+v: %v", tc.filter, tc.spec, err)
		}
		g, err := stats.NewGrouper(tc.spec)
		if err != nil {
			t.Fatal(err)
		}
		local := f.local(t, tc.filter, since, until)
		for i := range local {
			g.Add(&local[i])
		}
		want := g.Result()
		if res.Pushed != tc.pushed || res.Groups != want.Groups || res.Records != want.Records {
			t.Errorf("%q: pushed %v (%s), %d groups of %d records; want pushed %v, %d groups of %d", tc.filter, res.Pushed, res.Why,
				res.Groups, res.Records, tc.pushed, want.Groups, want.Records)
		}
		wantRows := want.Rows()
		if len(res.Rows) != len(wantRows) || len(wantRows) == 0 && tc.filter != `"é"` {
			t.Fatalf("%q: %d rows, want %d", tc.filter, len(res.Rows), len(wantRows))
		}
		for i := range wantRows {
			a, b := res.Rows[i], wantRows[i]
			if a.Metrics != b.Metrics || !a.Bin.Equal(b.Bin) || !slices.EqualFunc(a.Values, b.Values, func(x, y stats.Value) bool { return x.Compare(y) == 0 && x.Kind == y.Kind }) {
				t.Fatalf("%q row %d: %+v, want %+v", tc.filter, i, a, b)
			}
		}
		if res.Execution == nil && tc.pushed {
			t.Errorf("%q: no execution", tc.filter)
		}
	}
}
