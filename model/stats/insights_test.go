package stats

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/flowlens/flowlens/internal/sim"
	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/filter"
)

// The five Logs Insights queries, each as a Spec (what `flowlens stats` builds
// from its flags) and as an awk program over the default format's columns
// ($4 srcaddr, $7 dstport, $10 bytes, $11 start, $13 action): a computation that shares
// no code with this package. Both print "group<TAB>value"; a group of several fields
// is its values joined by a space, a bin its start in Unix seconds, an absent value `-`.
var insightsQueries = []struct {
	insights string
	filter   string
	spec     Spec
	metric   Metric
	awk      string
}{
	{
		insights: "stats sum(bytes) as totalBytes by srcAddr | sort totalBytes desc",
		spec:     Spec{By: []Column{{model.FSrcAddr, "srcaddr"}}, Sort: Bytes, Top: 0},
		metric:   Bytes,
		awk:      `{ s[$4] += ($10 == "-" ? 0 : $10) } END { for (k in s) printf "%s\t%.0f\n", k, s[k] }`,
	},
	{
		insights: "stats count(*) as requestCount by dstPort | sort requestCount desc",
		spec:     Spec{By: []Column{{model.FDstPort, "dstport"}}, Sort: Flows, Top: 0},
		metric:   Flows,
		awk:      `{ c[$7]++ } END { for (k in c) printf "%s\t%d\n", k, c[k] }`,
	},
	{
		insights: "filter dstPort = 22 | stats count(*) as attempts by srcAddr, action | sort attempts desc",
		filter:   "dstport=22",
		spec:     Spec{By: []Column{{model.FSrcAddr, "srcaddr"}, {model.FAction, "action"}}, Sort: Flows, Top: 0},
		metric:   Flows,
		awk:      `$7 == "22" { c[$4 " " $13]++ } END { for (k in c) printf "%s\t%d\n", k, c[k] }`,
	},
	{
		insights: `filter action = "REJECT" | stats count(*) as rejectedCount by bin(1h)`,
		filter:   "action=REJECT",
		spec:     Spec{Bin: time.Hour, Top: TopDefault},
		metric:   Flows,
		awk:      `$13 == "REJECT" { c[$11 - $11 % 3600]++ } END { for (k in c) printf "%d\t%d\n", k, c[k] }`,
	},
	{
		// the same with minutes, so that the bins are many
		insights: `filter action = "REJECT" | stats count(*) as rejectedCount by bin(1m)`,
		filter:   "action=REJECT",
		spec:     Spec{Bin: time.Minute, Top: TopDefault},
		metric:   Flows,
		awk:      `$13 == "REJECT" { c[$11 - $11 % 60]++ } END { for (k in c) printf "%d\t%d\n", k, c[k] }`,
	},
	{
		insights: "stats count(distinct(dstPort)) as portCount by srcAddr | filter portCount > 100",
		spec: Spec{By: []Column{{model.FSrcAddr, "srcaddr"}}, Distinct: &Column{model.FDstPort, "dstport"},
			Sort: Distinct, Min: 101, Top: 0},
		metric: Distinct,
		awk: `$7 != "-" && !(($4, $7) in seen) { seen[$4, $7] = 1; n[$4]++ }
		      END { for (k in n) if (n[k] > 100) printf "%s\t%d\n", k, n[k] }`,
	},
}

// findAwk returns an awk to run, or skips (fails under CI=true): the independent check
// must not pass silently on a machine where it cannot run.
func findAwk(t *testing.T) string {
	for _, name := range []string{"mawk", "gawk", "awk"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("no awk (mawk, gawk or awk) on PATH: the independent check of the five Insights queries cannot run")
	}
	t.Skip("SKIPPED: no awk (mawk, gawk or awk) on PATH, so the five Insights queries are not checked against an independent computation; install mawk")
	return ""
}

// TestInsightsQueriesAgainstAwk writes flowsim data sets as default-format text, answers
// each of the Insights queries with the headless engine (parse, filter, group,
// as `flowlens stats` does) and with awk, and requires the same groups and numbers, in
// the documented order.
func TestInsightsQueriesAgainstAwk(t *testing.T) {
	awk := findAwk(t)
	sets := []struct {
		name string
		s    *sim.Scenario
		n    int
	}{
		{"incident", sim.Incident(1), 0},         // the demo: scans, brute force, rejects, NODATA
		{"realistic", sim.Realistic(7), 150_000}, // IPv6, SKIPDATA, busy servers over 100 ports
	}
	for _, set := range sets {
		path := filepath.Join(t.TempDir(), set.name+".log")
		var buf bytes.Buffer
		if err := set.s.WriteText(&buf, model.DefaultFormat, set.n, false); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		recs := parseFile(t, buf.Bytes())
		for _, q := range insightsQueries {
			t.Run(set.name+"/"+q.insights, func(t *testing.T) {
				out, err := exec.Command(awk, q.awk, path).Output()
				if err != nil {
					t.Fatalf("awk: %v", err)
				}
				want := map[string]string{}
				for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
					if line == "" {
						continue
					}
					k, v, _ := strings.Cut(line, "\t")
					want[k] = v
				}
				res := engine(t, q.spec, q.filter, recs)
				got := map[string]string{}
				for _, row := range res.Rows() {
					got[groupKey(res, row)] = strconv.FormatUint(row.Get(q.metric), 10)
				}
				if len(want) == 0 {
					t.Fatal("awk found no groups: the data set does not exercise the query")
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
				checkOrder(t, res, q.metric)
			})
		}
	}
}

func parseFile(t *testing.T, text []byte) []model.Flow {
	p := model.NewParser("sim", model.DefaultFormat)
	var recs []model.Flow
	sc := bufio.NewScanner(bytes.NewReader(text))
	for sc.Scan() {
		var r model.Flow
		if p.Parse(sc.Bytes(), &r) == model.LineRecord {
			recs = append(recs, r)
		}
	}
	if st := p.Stats(); st.Malformed > 0 {
		t.Fatalf("malformed lines in the generated data: %v", st.Samples)
	}
	return recs
}

func engine(t *testing.T, spec Spec, expr string, recs []model.Flow) *Result {
	f, err := filter.Compile(expr, filter.Options{})
	if err != nil {
		t.Fatal(err)
	}
	g, err := NewGrouper(spec)
	if err != nil {
		t.Fatal(err)
	}
	for i := range recs {
		if f.All() || f.Match(&recs[i]) {
			g.Add(&recs[i])
		}
	}
	return g.Result()
}

func groupKey(res *Result, row Row) string {
	var parts []string
	if res.Bin > 0 {
		parts = append(parts, strconv.FormatInt(row.Bin.Unix(), 10))
	}
	for _, v := range row.Values {
		parts = append(parts, v.String())
	}
	return strings.Join(parts, " ")
}

// checkOrder: the metric descending (or time ascending), ties by the group values
// ascending with null last.
func checkOrder(t *testing.T, res *Result, m Metric) {
	t.Helper()
	for i := 1; i < res.Len(); i++ {
		a, b := res.Row(i-1), res.Row(i)
		if res.Sort == MetricDefault {
			if !a.Bin.Before(b.Bin) {
				t.Fatalf("row %d: bins out of time order: %s then %s", i, a.Bin, b.Bin)
			}
			continue
		}
		if a.Get(m) < b.Get(m) {
			t.Fatalf("row %d: %d then %d", i, a.Get(m), b.Get(m))
		}
		if a.Get(m) == b.Get(m) && compareValues(a.Values, b.Values) >= 0 {
			t.Fatalf("row %d: a tie out of order: %v then %v", i, fmt.Sprint(a.Values), fmt.Sprint(b.Values))
		}
	}
}

func compareValues(a, b []Value) int {
	for i := range a {
		if c := a[i].Compare(b[i]); c != 0 {
			return c
		}
	}
	return 0
}
