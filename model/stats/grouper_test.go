package stats

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/filter"
)

// records parses default-format lines (or lines of format f, when the first argument
// is a `${...}` format) into records.
func records(t testing.TB, lines ...string) []model.Flow {
	t.Helper()
	f := model.DefaultFormat
	if len(lines) > 0 && strings.HasPrefix(lines[0], "${") {
		f = model.MustParseFormat(lines[0])
		lines = lines[1:]
	}
	p := model.NewParser("test", f)
	out := make([]model.Flow, 0, len(lines))
	for _, l := range lines {
		var r model.Flow
		if k := p.Parse([]byte(l), &r); k != model.LineRecord {
			t.Fatalf("line %q: kind %d, %v", l, k, p.Stats().Samples)
		}
		out = append(out, r)
	}
	return out
}

func mustColumns(t testing.TB, list string) []Column {
	t.Helper()
	cols, err := ParseColumns(list, filter.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return cols
}

func run(t testing.TB, spec Spec, recs []model.Flow) *Result {
	t.Helper()
	g, err := NewGrouper(spec)
	if err != nil {
		t.Fatal(err)
	}
	for i := range recs {
		g.Add(&recs[i])
	}
	return g.Result()
}

// rowText writes a row as "values [bin] flows/packets/bytes/rejects[/distinct]" for
// compact expectations.
func rowText(res *Result, r Row) string {
	var b strings.Builder
	for i, v := range r.Values {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(v.String())
	}
	if res.Bin > 0 {
		if r.Bin.IsZero() {
			b.WriteString(" bin=-")
		} else {
			b.WriteString(" bin=" + r.Bin.Format(time.RFC3339))
		}
	}
	fmt.Fprintf(&b, " %d/%d/%d/%d", r.Flows, r.Packets, r.Bytes, r.Rejects)
	if res.Distinct != nil {
		fmt.Fprintf(&b, "/%d", r.Distinct)
		if r.DistinctPartial {
			b.WriteString("+")
		}
	}
	return b.String()
}

func rowsText(res *Result) []string {
	out := make([]string, res.Len())
	for i, r := range res.Rows() {
		out[i] = rowText(res, r)
	}
	return out
}

// fixture: six data records and a NODATA marker. 1418530010 is 2014-12-14T04:06:50Z.
var fixture = []string{
	"2 123456789010 eni-a 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK",
	"2 123456789010 eni-a 172.31.9.69 172.31.9.12 49761 3389 6 20 4249 1418530010 1418530070 REJECT OK",
	"2 123456789010 eni-a 172.31.9.69 172.31.9.12 49762 22 6 1 40 1418533700 1418533760 REJECT OK",
	"2 123456789010 eni-b 2001:db8::1 172.31.16.21 34892 22 6 54 8855 1418535000 1418535060 ACCEPT OK",
	"2 123456789010 eni-b 172.31.16.139 172.31.16.21 20641 443 6 10 1000 1418533600 1418533660 ACCEPT OK",
	"2 123456789010 eni-b 203.0.113.12 172.31.16.139 0 0 1 4 336 1418530020 1418530080 REJECT OK",
	"2 123456789010 eni-a - - - - - - - 1418530000 1418530060 - NODATA",
}

func TestGrouper(t *testing.T) {
	recs := records(t, fixture...)
	cases := []struct {
		name string
		spec Spec
		want []string
	}{
		{"one group over everything, markers counted as records",
			Spec{}, []string{" 7/109/18729/3"}},
		{"sum of bytes by source, ties and the null group last",
			Spec{By: mustColumns(t, "srcaddr"), Sort: Bytes},
			[]string{"2001:db8::1 1/54/8855/0", "172.31.16.139 2/30/5249/0", "172.31.9.69 2/21/4289/2",
				"203.0.113.12 1/4/336/1", "- 1/0/0/0"}},
		{"flows by destination port: equal counts ordered by port, null last",
			Spec{By: mustColumns(t, "dport")},
			[]string{"22 3/75/13144/1", "0 1/4/336/1", "443 1/10/1000/0", "3389 1/20/4249/1", "- 1/0/0/0"}},
		{"two fields, typed, by rejects",
			Spec{By: mustColumns(t, "src,action"), Sort: Rejects, Top: 2},
			[]string{"172.31.9.69,REJECT 2/21/4289/2", "203.0.113.12,REJECT 1/4/336/1"}},
		{"hourly bins in time order, aligned to the epoch",
			Spec{Bin: time.Hour},
			[]string{" bin=2014-12-14T04:00:00Z 4/44/8834/2", " bin=2014-12-14T05:00:00Z 3/65/9895/1"}},
		{"bins sorted by a metric",
			Spec{Bin: time.Hour, Sort: Packets},
			[]string{" bin=2014-12-14T05:00:00Z 3/65/9895/1", " bin=2014-12-14T04:00:00Z 4/44/8834/2"}},
		{"bins of 7 minutes are multiples of 420 s since 1970, not of the first record",
			Spec{Bin: 7 * time.Minute, Top: 1},
			[]string{" bin=2014-12-14T04:04:00Z 4/44/8834/2"}},
		{"distinct destination ports by source, nulls not counted",
			Spec{By: mustColumns(t, "srcaddr"), Distinct: &Column{model.FDstPort, "dstport"}, Sort: Distinct},
			[]string{"172.31.9.69 2/21/4289/2/2", "172.31.16.139 2/30/5249/0/2", "203.0.113.12 1/4/336/1/1",
				"2001:db8::1 1/54/8855/0/1", "- 1/0/0/0/0"}},
		{"min keeps groups whose sort metric is at least N",
			Spec{By: mustColumns(t, "srcaddr"), Distinct: &Column{model.FDstPort, "dstport"}, Sort: Distinct, Min: 2},
			[]string{"172.31.9.69 2/21/4289/2/2", "172.31.16.139 2/30/5249/0/2"}},
		{"min in time order applies to flows",
			Spec{Bin: time.Hour, Min: 4},
			[]string{" bin=2014-12-14T04:00:00Z 4/44/8834/2"}},
		{"interface and status, enumerations by their text",
			Spec{By: mustColumns(t, "eni,status")},
			[]string{"eni-a,OK 3/41/8538/2", "eni-b,OK 3/68/10191/1", "eni-a,NODATA 1/0/0/0"}},
		{"top 0 keeps every group",
			Spec{By: mustColumns(t, "srcport"), Top: 0, Min: 1},
			[]string{"20641 2/30/5249/0", "0 1/4/336/1", "34892 1/54/8855/0", "49761 1/20/4249/1",
				"49762 1/1/40/1", "- 1/0/0/0"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := rowsText(run(t, c.spec, recs))
			if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(c.want, "\n"))
			}
		})
	}
}

func TestGrouperValuesAreTyped(t *testing.T) {
	res := run(t, Spec{By: mustColumns(t, "srcaddr,dstport,action,interface-id"), Top: 0}, records(t, fixture...))
	var nodata, rejected *Row
	rows := res.Rows()
	for i := range rows {
		switch {
		case rows[i].Values[0].IsNull():
			nodata = &rows[i]
		case rows[i].Values[0].String() == "203.0.113.12":
			rejected = &rows[i]
		}
	}
	if nodata == nil || rejected == nil {
		t.Fatalf("rows %v", rowsText(res))
	}
	if v := rejected.Values; v[0].Kind != KindAddr || v[1].Kind != KindNumber || v[1].Num != 0 ||
		v[2].Kind != KindText || v[2].Text != "REJECT" || v[3].Text != "eni-b" {
		t.Errorf("typed values %+v", v)
	}
	if v := nodata.Values; !v[1].IsNull() || !v[2].IsNull() || v[3].Text != "eni-a" {
		t.Errorf("NODATA values %+v: only the interface is present", v)
	}
	names := []string{}
	for _, c := range res.Columns {
		names = append(names, c.Name)
	}
	if strings.Join(names, ",") != "srcaddr,dstport,action,interface-id" {
		t.Errorf("column names %v", names)
	}
}

// TestDefaultTop: 20 rows unless told, every bin for a time series.
func TestDefaultTop(t *testing.T) {
	var lines []string
	for i := range 30 {
		lines = append(lines, fmt.Sprintf("2 1 eni-a 10.0.0.%d 10.0.1.1 1000 80 6 1 100 %d %d ACCEPT OK", i, 1700000000+i*60, 1700000060+i*60))
	}
	recs := records(t, lines...)
	if n := run(t, Spec{By: mustColumns(t, "srcaddr"), Top: TopDefault}, recs).Len(); n != DefaultTop {
		t.Errorf("default top gave %d rows", n)
	}
	if n := run(t, Spec{Bin: time.Minute, Top: TopDefault}, recs).Len(); n != 30 {
		t.Errorf("a time series gave %d rows, want every bin", n)
	}
	if n := run(t, Spec{Bin: time.Minute, Sort: Flows, Top: TopDefault}, recs).Len(); n != DefaultTop {
		t.Errorf("a sorted series gave %d rows", n)
	}
}

// TestMaxGroups: past the cap, existing groups go on counting and new ones are refused,
// so every group shown has all its records.
func TestMaxGroups(t *testing.T) {
	recs := records(t,
		"2 1 eni-a 10.0.0.1 10.0.1.1 1000 80 6 1 100 1700000000 1700000060 ACCEPT OK",
		"2 1 eni-a 10.0.0.2 10.0.1.1 1000 80 6 2 200 1700000000 1700000060 ACCEPT OK",
		"2 1 eni-a 10.0.0.3 10.0.1.1 1000 80 6 3 300 1700000000 1700000060 ACCEPT OK", // refused
		"2 1 eni-a 10.0.0.1 10.0.1.1 1000 80 6 1 100 1700000000 1700000060 REJECT OK", // counted
		"2 1 eni-a 10.0.0.3 10.0.1.1 1000 80 6 3 300 1700000000 1700000060 ACCEPT OK", // refused
	)
	res := run(t, Spec{By: mustColumns(t, "srcaddr"), MaxGroups: 2}, recs)
	want := []string{"10.0.0.1 2/2/200/1", "10.0.0.2 1/2/200/0"}
	if got := rowsText(res); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("rows %v, want %v", got, want)
	}
	if !res.Capped || res.Uncounted != 2 || res.Records != 5 || res.Groups != 2 {
		t.Errorf("capped %v uncounted %d records %d groups %d", res.Capped, res.Uncounted, res.Records, res.Groups)
	}
}

func TestMaxDistinct(t *testing.T) {
	recs := records(t,
		"2 1 eni-a 10.0.0.1 10.0.1.1 1000 80 6 1 100 1700000000 1700000060 ACCEPT OK",
		"2 1 eni-a 10.0.0.2 10.0.1.1 1000 81 6 1 100 1700000000 1700000060 ACCEPT OK",
		"2 1 eni-a 10.0.0.1 10.0.1.1 1000 82 6 1 100 1700000000 1700000060 ACCEPT OK", // refused
		"2 1 eni-a 10.0.0.1 10.0.1.1 1000 80 6 1 100 1700000000 1700000060 ACCEPT OK", // already held
	)
	res := run(t, Spec{By: mustColumns(t, "srcaddr"), Distinct: &Column{model.FDstPort, "dstport"}, MaxDistinct: 2}, recs)
	want := []string{"10.0.0.1 3/3/300/0/1+", "10.0.0.2 1/1/100/0/1"}
	if got := rowsText(res); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("rows %v, want %v", got, want)
	}
	if !res.DistinctCapped {
		t.Error("DistinctCapped not set")
	}
}

// TestTextFields groups by fields kept as text (not interned): an ECS task ID and a
// column flowlens does not know. A group refused by the cap leaves no text behind.
func TestTextFields(t *testing.T) {
	format := "${version} ${ecs-task-id} ${srcaddr} ${future-field} ${bytes}"
	recs := records(t, format,
		"7 task-1 10.0.0.1 blue 100",
		"7 task-2 10.0.0.1 blue 200",
		"7 task-1 10.0.0.2 green 300",
		"7 - 10.0.0.2 - 400",
		"7 task-3 10.0.0.2 red 500",
	)
	opts := filter.Options{Formats: []*model.Format{recs[0].FormatOf()}}
	cols, err := ParseColumns("ecs_task_id, Future-Field", opts)
	if err != nil {
		t.Fatal(err)
	}
	if cols[1].Name != "future-field" || cols[1].Field.Known() {
		t.Fatalf("custom column %+v", cols[1])
	}
	g, err := NewGrouper(Spec{By: cols, Sort: Bytes, MaxGroups: 4})
	if err != nil {
		t.Fatal(err)
	}
	for i := range recs {
		g.Add(&recs[i])
	}
	res := g.Result()
	want := []string{"-,- 1/0/400/0", "task-1,green 1/0/300/0", "task-2,blue 1/0/200/0", "task-1,blue 1/0/100/0"}
	if got := rowsText(res); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("rows %v, want %v", got, want)
	}
	if len(g.texts.names) != 4 { // task-1 task-2 blue green; not task-3 or red
		t.Errorf("text dictionary holds %v", g.texts.names)
	}
	// distinct values of a text field, and of a custom column
	for _, c := range []struct {
		distinct string
		want     []string
	}{
		{"ecs-task-id", []string{"10.0.0.2 3/0/1200/0/2", "10.0.0.1 2/0/300/0/2"}},
		{"future-field", []string{"10.0.0.2 3/0/1200/0/2", "10.0.0.1 2/0/300/0/1"}},
	} {
		d, err := ParseColumn(c.distinct, opts)
		if err != nil {
			t.Fatal(err)
		}
		got := rowsText(run(t, Spec{By: mustColumns(t, "srcaddr"), Distinct: &d, Sort: Bytes}, recs))
		if strings.Join(got, "|") != strings.Join(c.want, "|") {
			t.Errorf("distinct %s: %v, want %v", c.distinct, got, c.want)
		}
	}
}

func TestParseColumns(t *testing.T) {
	cases := []struct{ in, want, err string }{
		{"", "", ""},
		{"srcaddr", "srcaddr", ""},
		{"dport, action ,interface", "dstport,action,interface-id", ""},
		{"SRC_ADDR,log_status,proto,pkt-srcaddr", "", "unknown field 'SRC_ADDR'"},
		{"src,log_status,proto,pkt-srcaddr", "srcaddr,log-status,protocol,pkt-srcaddr", ""},
		{"bytes", "", `cannot group by "bytes": it is a metric`},
		{"pkts", "", `cannot group by "pkts": it is a metric, summed in every group (sort by it with --sort packets)`},
		{"addr", "", `"addr" means either side of a record, not one field: use srcaddr or dstaddr`},
		{"src,port", "", `"port" means either side of a record, not one field: use srcport or dstport`},
		{"dsport", "", "unknown field 'dsport', did you mean 'dstport'?"},
		{"src,srcaddr", "", `"srcaddr" is named twice`},
	}
	for _, c := range cases {
		cols, err := ParseColumns(c.in, filter.Options{})
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q: error %v, want %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		var names []string
		for _, col := range cols {
			names = append(names, col.Name)
		}
		if got := strings.Join(names, ","); got != c.want {
			t.Errorf("%q: %q, want %q", c.in, got, c.want)
		}
	}
	if c, err := ParseColumn("bytes", filter.Options{}); err != nil || c.Field != model.FBytes {
		t.Errorf("distinct bytes: %v %v", c, err)
	}
	if _, err := ParseColumn("addr", filter.Options{}); err == nil {
		t.Error("distinct addr accepted")
	}
}

func TestSpecErrors(t *testing.T) {
	cases := []struct {
		spec Spec
		err  string
	}{
		{Spec{Bin: 1500 * time.Millisecond}, "whole number of seconds"},
		{Spec{Bin: -time.Hour}, "positive"},
		{Spec{Bin: 200 * 365 * 24 * time.Hour}, "longer than"},
		{Spec{Sort: Distinct}, "sorting by distinct needs a field"},
		{Spec{Top: -2}, "top must be"},
		{Spec{By: []Column{{model.FBytes, "bytes"}}}, "metric"},
	}
	for _, c := range cases {
		if _, err := NewGrouper(c.spec); err == nil || !strings.Contains(err.Error(), c.err) {
			t.Errorf("%+v: error %v, want %q", c.spec, err, c.err)
		}
	}
	for _, s := range []string{"flows", "Bytes", "records", "distinct"} {
		if _, err := ParseMetric(s); err != nil {
			t.Error(err)
		}
	}
	if _, err := ParseMetric("count"); err == nil {
		t.Error("ParseMetric accepted count")
	}
}

// TestGrouperAddAllocatesNothing: counting a record of an existing group, with a distinct
// count, allocates nothing.
func TestGrouperAddAllocatesNothing(t *testing.T) {
	recs := records(t, fixture...)
	g, err := NewGrouper(Spec{By: mustColumns(t, "srcaddr,dstport,interface-id"), Bin: time.Hour,
		Distinct: &Column{model.FSrcPort, "srcport"}})
	if err != nil {
		t.Fatal(err)
	}
	for i := range recs {
		g.Add(&recs[i])
	}
	allocs := testing.AllocsPerRun(100, func() {
		for i := range recs {
			g.Add(&recs[i])
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per pass", allocs)
	}
}

func TestParseBin(t *testing.T) {
	cases := []struct {
		in   string
		want time.Duration
		err  string
	}{
		{"5m", 5 * time.Minute, ""},
		{"1h", time.Hour, ""},
		{"1d", 24 * time.Hour, ""},
		{"2w", 14 * 24 * time.Hour, ""},
		{"30sec", 30 * time.Second, ""},
		{"1hr", time.Hour, ""},
		{"3days", 72 * time.Hour, ""},
		{"10 mins", 0, "write a number and a unit"},
		{"10mins", 10 * time.Minute, ""},
		{"1h30m", 90 * time.Minute, ""},
		{" 15m ", 15 * time.Minute, ""},
		{"1.5s", 0, "whole number of seconds"},
		{"100ms", 0, "whole number of seconds"},
		{"0s", 0, "positive"},
		{"-1h", 0, "positive"},
		{"1mo", 0, "write a number and a unit"},
		{"1y", 0, "write a number and a unit"},
		{"", 0, "write a number and a unit"},
		{"99999999999999999999d", 0, "longer than the records' clock"},
		{"50000d", 0, "longer than the records' clock"},
	}
	for _, c := range cases {
		got, err := ParseBin(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("ParseBin(%q) = %s, %v; want an error with %q", c.in, got, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("ParseBin(%q) = %s, %v; want %s", c.in, got, err, c.want)
		}
	}
}
