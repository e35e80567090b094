package stats

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/flowlens/flowlens/model"
)

// ParseValue reads values as the record parser does: the cases where a laxer or
// stricter reading would put a group elsewhere than a local count does.
func TestParseValue(t *testing.T) {
	for _, tc := range []struct {
		f    model.Field
		in   string
		want string // Value.String(), "" for an error
		kind ValueKind
	}{
		{model.FSrcAddr, "10.0.0.1", "10.0.0.1", KindAddr},
		{model.FSrcAddr, "::ffff:10.0.0.1", "10.0.0.1", KindAddr}, // the parser keeps IPv4 as IPv4
		{model.FSrcAddr, "2001:db8::1", "2001:db8::1", KindAddr},
		{model.FSrcAddr, "010.0.0.1", "", 0}, // a leading zero: refused
		{model.FSrcAddr, "fe80::1%eth0", "", 0},
		{model.FSrcAddr, "-", "-", KindNull},
		{model.FSrcAddr, "", "-", KindNull},
		{model.FDstPort, "22", "22", KindNumber},
		{model.FDstPort, "00022", "22", KindNumber},
		{model.FDstPort, "65536", "", 0},
		{model.FDstPort, "+22", "", 0},
		{model.FProtocol, "256", "", 0},
		{model.FStart, "1700000000", "1700000000", KindNumber},
		{model.FStart, "1700000000123", "1700000000", KindNumber}, // milliseconds
		{model.FAction, "reject", "REJECT", KindText},
		{model.FAction, "ACCEPT", "ACCEPT", KindText},
		{model.FAction, "DROP", "", 0},
		{model.FLogStatus, "nodata", "NODATA", KindText},
		{model.FFlowDirection, "Ingress", "ingress", KindText},
		{model.FInterfaceID, "eni-0abc", "eni-0abc", KindText},
		{model.FType, "start", "start", KindText}, // not a header line
		{model.CustomBase + 1, "anything at all", "anything at all", KindText},
	} {
		v, err := ParseValue(tc.f, tc.in)
		switch {
		case tc.want == "" && err == nil:
			t.Errorf("%s %q: %v, want an error", tc.f.Name(), tc.in, v)
		case tc.want != "" && (err != nil || v.String() != tc.want || v.Kind != tc.kind):
			t.Errorf("%s %q: %v (kind %d), %v; want %s (kind %d)", tc.f.Name(), tc.in, v, v.Kind, err, tc.want, tc.kind)
		}
	}
}

// FuzzParseValue: a value that the parser accepts in a record's column is accepted by
// ParseValue and typed as grouping the record types it; a value the parser refuses is
// refused.
func FuzzParseValue(f *testing.F) {
	for i, s := range []string{"10.0.0.1", "22", "reject", "NODATA", "1700000000123", "::1", "eni-1", "-", "x", "99999", "1.2.3"} {
		f.Add(uint8(i), s)
	}
	base := strings.Fields("2 123456789012 eni-0a1b2c3d4e5f60718 203.0.113.7 10.0.0.5 40000 22 6 10 840 1714557600 1714557660 REJECT OK")
	f.Fuzz(func(t *testing.T, col uint8, text string) {
		fld := model.DefaultFormat.Fields[int(col)%len(base)]
		v, err := ParseValue(fld, text)
		if text == "" || strings.ContainsFunc(text, func(r rune) bool { return r <= ' ' || r >= 0x7f }) {
			return // not one token of a line
		}
		line := append([]string(nil), base...)
		line[int(col)%len(base)] = text
		p := model.NewParser("fuzz", model.DefaultFormat)
		var r model.Flow
		if p.Parse([]byte(strings.Join(line, " ")), &r) != model.LineRecord {
			if err == nil && fld.Info().Kind != model.KindString {
				t.Fatalf("%s %q: the parser refuses it, ParseValue gives %v", fld.Name(), text, v)
			}
			return
		}
		if err != nil {
			t.Fatalf("%s %q: the parser reads it, ParseValue: %v", fld.Name(), text, err)
		}
		if fld == model.FPackets || fld == model.FBytes { // metrics: not grouped by
			if n, ok := r.Uint(fld); ok != !v.IsNull() || n != v.Num {
				t.Fatalf("%s %q: read as %d (%v), ParseValue %+v", fld.Name(), text, n, ok, v)
			}
			return
		}
		g, _ := NewGrouper(Spec{By: []Column{{fld, fld.Name()}}})
		g.Add(&r)
		if got := g.Result().Row(0).Values[0]; got != v {
			t.Fatalf("%s %q: grouped as %+v, ParseValue %+v", fld.Name(), text, got, v)
		}
	})
}

// Rows counted elsewhere and records counted here add up to what counting every record
// here gives: the same rows in the same order with the same metrics, whatever the
// spec's fields, bin, sort, top and minimum. Each part but the last is grouped on its
// own and its rows go through text (as Insights and Athena return them) into AddRow; the
// last part's records are added. Distinct counts of a group split across parts are
// marked estimated and are at least the exact count; the others stay exact.
func TestAddRowAddsUpAsRecordsDo(t *testing.T) {
	for seed := uint64(1); seed <= 40; seed++ {
		checkAddRow(t, seed, 1500)
	}
}

func checkAddRow(t *testing.T, seed uint64, n int) {
	rng := rand.New(rand.NewPCG(seed, 7))
	g := gen{rng}
	pool := []model.Field{model.FSrcAddr, model.FDstAddr, model.FDstPort, model.FProtocol,
		model.FAction, model.FLogStatus, model.FInterfaceID}
	var by []Column
	for _, f := range pool {
		if rng.IntN(3) == 0 {
			by = append(by, Column{f, f.Name()})
		}
	}
	spec := Spec{By: by, Sort: Metric(rng.IntN(5)), Top: rng.IntN(30) - 1}
	if rng.IntN(2) == 0 {
		spec.Bin = time.Duration(1+rng.IntN(30)) * time.Minute
	}
	if rng.IntN(3) == 0 {
		spec.Min = uint64(rng.IntN(4))
	}
	dist := pool[rng.IntN(len(pool))]
	spec.Distinct = &Column{dist, dist.Name()}
	recs := make([]model.Flow, n)
	part := make([]int, n)
	parts := 1 + rng.IntN(4)
	for i := range recs {
		recs[i] = g.flow()
		part[i] = rng.IntN(parts)
	}

	whole := run(t, spec, recs)
	merged, err := NewGrouper(spec)
	if err != nil {
		t.Fatal(err)
	}
	counted := map[string]int{} // parts that counted a distinct value, by group
	for p := 0; p < parts; p++ {
		var mine []model.Flow
		for i := range recs {
			if part[i] == p {
				mine = append(mine, recs[i])
			}
		}
		if p == parts-1 {
			for i := range mine {
				merged.Add(&mine[i])
			}
			for _, row := range run(t, Spec{By: by, Bin: spec.Bin, Distinct: spec.Distinct}, mine).Rows() {
				if row.Distinct > 0 {
					counted[rowKey(row)]++
				}
			}
			continue
		}
		for _, row := range run(t, Spec{By: by, Bin: spec.Bin, Distinct: spec.Distinct}, mine).Rows() {
			typed := row
			typed.Values = nil
			for j, v := range row.Values {
				pv, err := ParseValue(by[j].Field, v.String())
				if err != nil {
					t.Fatalf("seed %d: %v", seed, err)
				}
				typed.Values = append(typed.Values, pv)
			}
			if err := merged.AddRow(typed); err != nil {
				t.Fatalf("seed %d: AddRow: %v", seed, err)
			}
			if row.Distinct > 0 {
				counted[rowKey(row)]++
			}
		}
	}
	got := merged.Result()
	if got.Len() != whole.Len() || got.Groups != whole.Groups || got.Records != whole.Records {
		t.Fatalf("seed %d (%d parts): %d rows of %d groups, %d records; one count: %d rows of %d groups, %d records",
			seed, parts, got.Len(), got.Groups, got.Records, whole.Len(), whole.Groups, whole.Records)
	}
	for i := 0; i < whole.Len(); i++ {
		w, m := whole.Row(i), got.Row(i)
		k := rowKey(w)
		wd, md := w.Distinct, m.Distinct
		w.Distinct, m.Distinct = 0, 0
		if spec.Sort == Distinct {
			continue // ranked by a count that may be higher: only the set is compared
		}
		if rowKey(m) != k || w.Metrics != m.Metrics {
			t.Fatalf("seed %d (%d parts) row %d: %s %+v, one count %s %+v", seed, parts, i, rowKey(m), m.Metrics, k, w.Metrics)
		}
		split := counted[k] > 1
		if m.DistinctEstimated != split || md < wd || !split && md != wd {
			t.Fatalf("seed %d row %s: distinct %d (estimated %v), exact %d, counted in %d parts", seed, k, md, m.DistinctEstimated, wd, counted[k])
		}
	}
}

func rowKey(r Row) string {
	var b strings.Builder
	if !r.Bin.IsZero() {
		b.WriteString(r.Bin.Format(time.RFC3339) + " ")
	}
	for _, v := range r.Values {
		b.WriteString(v.String() + " ")
	}
	return b.String()
}

// AddRow under the group cap: a row of a new group past the cap is not counted and its
// flows are reported; a row of an existing group still adds to it. A row that does not
// fit the spec is an error, and changes nothing.
func TestAddRowCapAndMistakes(t *testing.T) {
	addr := func(s string) Value { v, _ := ParseValue(model.FSrcAddr, s); return v }
	g, err := NewGrouper(Spec{By: []Column{{model.FSrcAddr, "srcaddr"}}, MaxGroups: 2})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []Row{
		{Values: []Value{addr("10.0.0.1")}, Metrics: Metrics{Flows: 3, Bytes: 30}},
		{Values: []Value{addr("10.0.0.2")}, Metrics: Metrics{Flows: 2}},
		{Values: []Value{addr("10.0.0.3")}, Metrics: Metrics{Flows: 7}},
		{Values: []Value{addr("10.0.0.1")}, Metrics: Metrics{Flows: 1, Bytes: 5, Rejects: 1}},
	} {
		if err := g.AddRow(r); err != nil {
			t.Fatal(err)
		}
	}
	for _, bad := range []Row{
		{Values: nil},
		{Values: []Value{{Kind: KindNumber, Num: 4}}},
		{Values: []Value{{Kind: KindText, Text: "x"}}},
	} {
		if err := g.AddRow(bad); err == nil {
			t.Errorf("AddRow(%v) took a row that does not fit", bad.Values)
		}
	}
	res := g.Result()
	var got []string
	for _, r := range res.Rows() {
		got = append(got, fmt.Sprintf("%s %d/%d/%d", r.Values[0], r.Flows, r.Bytes, r.Rejects))
	}
	if strings.Join(got, ", ") != "10.0.0.1 4/35/1, 10.0.0.2 2/0/0" || !res.Capped || res.Uncounted != 7 || res.Records != 6 {
		t.Errorf("rows %v, capped %v, uncounted %d, records %d", got, res.Capped, res.Uncounted, res.Records)
	}

	// The bin and the enumerations go in their slots as a record's would.
	g, _ = NewGrouper(Spec{By: []Column{{model.FAction, "action"}}, Bin: time.Hour})
	at := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	g.AddRow(Row{Values: []Value{{Kind: KindText, Text: "reject"}}, Bin: at, Metrics: Metrics{Flows: 1}})
	recs := records(t, fmt.Sprintf("2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 %d %d REJECT OK", at.Unix()+59, at.Unix()+60))
	g.Add(&recs[0])
	if rows := g.Result().Rows(); len(rows) != 1 || rows[0].Flows != 2 || !rows[0].Bin.Equal(at) || rows[0].Values[0].Text != "REJECT" {
		t.Errorf("rows %+v", rows)
	}
}
