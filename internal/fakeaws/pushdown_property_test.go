package fakeaws

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/flowlens/flowlens/internal/pushdowntest"
	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/filter"
	"github.com/flowlens/flowlens/model/pushdown"
)

// These tests judge the push-down compilers by this fake's own evaluators (the same
// code that answers FilterLogEvents, Live Tail and StartQuery), in process so that
// thousands of random filters run in a second; pushdown_e2e_test.go repeats a sample
// through the real SDK.

type corpus struct {
	format *model.Format
	lines  []string
	recs   []model.Flow
	events []*storedEvent
}

func makeCorpus(rng *rand.Rand, f *model.Format, n int) corpus {
	c := corpus{format: f}
	for i := 0; i < n; i++ {
		line, r := pushdowntest.Record(rng, f)
		c.lines = append(c.lines, line)
		c.recs = append(c.recs, r)
		ts := int64(1700000000 + rng.IntN(7200))
		if s, ok := r.Uint(model.FStart); ok {
			ts = int64(s)
		}
		c.events = append(c.events, &storedEvent{
			key: eventKey{TS: ts * 1000, Ingest: ts * 1000, Seq: int64(i)},
			id:  strconv.Itoa(i), group: "g", stream: "s", msg: line,
		})
	}
	return c
}

// randomFilters yields (expression, parsed tree, compiled filter) for the format,
// skipping draws that do not compile.
func randomFilters(rng *rand.Rand, f *model.Format, n int, yield func(expr string, node filter.Node, flt *filter.Filter)) {
	for made := 0; made < n; {
		expr := pushdowntest.Filter(rng, f, 3)
		flt, err := filter.Compile(expr, filter.Options{Formats: []*model.Format{f}})
		if err != nil {
			continue
		}
		node, _ := filter.Parse(expr)
		yield(expr, node, flt)
		made++
	}
}

func TestPatternKeepsEveryRecordTheFilterKeeps(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 1))
	for _, f := range pushdowntest.Formats() {
		c := makeCorpus(rng, f, 300)
		exact, total := 0, 0
		randomFilters(rng, f, 400, func(expr string, node filter.Node, flt *filter.Filter) {
			res, err := pushdown.Pattern(node, f)
			if err != nil {
				t.Fatalf("%q: %v", expr, err)
			}
			if len(res.Text) > pushdown.MaxPatternLen {
				t.Fatalf("%q: pattern of %d characters", expr, len(res.Text))
			}
			fp, aerr := parseFilterPattern(res.Text)
			if aerr != nil {
				t.Fatalf("%q: the fake refuses the pattern %q: %s", expr, res.Text, aerr.Message)
			}
			total++
			if res.Exact {
				exact++
			}
			for i := range c.recs {
				keep, got := flt.Match(&c.recs[i]), fp.match(c.lines[i])
				if res.Never && keep {
					t.Fatalf("%q: said never, but keeps %q", expr, c.lines[i])
				}
				if keep && !got {
					t.Fatalf("%q (format %s)\npattern %s\ndrops %q, which the filter keeps", expr, f.Header(), res.Text, c.lines[i])
				}
				if res.Exact && !res.Never && got != keep {
					t.Fatalf("%q (format %s)\npattern %s (exact)\nkeeps %q, which the filter drops", expr, f.Header(), res.Text, c.lines[i])
				}
			}
		})
		t.Logf("format %q: %d of %d patterns exact", f.Header(), exact, total)
		if exact == 0 {
			t.Errorf("no pattern was exact: the test would pass with an empty pattern every time")
		}
	}
}

func TestInsightsQueryKeepsExactlyWhatTheFilterKeeps(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 2))
	for _, f := range pushdowntest.Formats() {
		c := makeCorpus(rng, f, 200)
		exact, total := 0, 0
		randomFilters(rng, f, 200, func(expr string, node filter.Node, flt *filter.Filter) {
			res, err := pushdown.Insights(node, f, pushdown.InsightsOptions{})
			if err != nil {
				t.Fatalf("%q: %v", expr, err)
			}
			q, perr := parseInsights(res.Text)
			if perr != nil {
				t.Fatalf("%q: the fake cannot parse\n%s\n%v", expr, res.Text, perr)
			}
			rows, _ := runInsights(q, c.events, len(c.events)+1)
			got := map[string]bool{}
			for _, row := range rows {
				for _, fv := range row {
					if fv.Field == "@message" {
						got[fv.Value] = true
					}
				}
			}
			total++
			if res.Exact {
				exact++
			}
			for i := range c.recs {
				keep := flt.Match(&c.recs[i])
				if keep && !got[c.lines[i]] {
					t.Fatalf("%q\nquery %s\ndrops %q, which the filter keeps", expr, res.Text, c.lines[i])
				}
				if res.Exact && !keep && got[c.lines[i]] {
					t.Fatalf("%q\nquery %s (exact)\nkeeps %q, which the filter drops", expr, res.Text, c.lines[i])
				}
			}
		})
		t.Logf("format %q: %d of %d queries exact", f.Header(), exact, total)
		if exact < total/2 {
			t.Errorf("only %d of %d queries exact", exact, total)
		}
	}
}

// Group is one group of a local count, the reference for pushed-down aggregations.
type localGroup struct {
	flows, packets, bytes, rejects uint64
	distinct                       map[string]bool
}

// localStats counts groups the straightforward way: the reference.
func localStats(c corpus, flt *filter.Filter, g *pushdown.Grouping) map[string]*localGroup {
	out := map[string]*localGroup{}
	for i := range c.recs {
		r := &c.recs[i]
		if !flt.Match(r) {
			continue
		}
		var key []string
		for _, fld := range g.By {
			key = append(key, r.Value(fld))
		}
		if g.Bin > 0 {
			start, _ := r.Uint(model.FStart)
			secs := uint64(g.Bin / time.Second)
			key = append(key, formatTimestamp(int64(start/secs*secs)*1000))
		}
		k := fmt.Sprint(key)
		lg := out[k]
		if lg == nil {
			lg = &localGroup{distinct: map[string]bool{}}
			out[k] = lg
		}
		lg.flows++
		p, _ := r.Uint(model.FPackets)
		b, _ := r.Uint(model.FBytes)
		lg.packets += p
		lg.bytes += b
		if r.Has(model.FAction) && r.Action == model.Reject {
			lg.rejects++
		}
		if g.HasDistinct && r.Has(g.Distinct) {
			lg.distinct[r.Value(g.Distinct)] = true
		}
	}
	return out
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

func TestInsightsStatsEqualALocalCount(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 3))
	for _, f := range pushdowntest.Formats() {
		c := makeCorpus(rng, f, 250)
		checked := 0
		randomFilters(rng, f, 80, func(expr string, node filter.Node, flt *filter.Filter) {
			g := randomGrouping(rng, f)
			res, err := pushdown.Insights(node, f, pushdown.InsightsOptions{Grouping: g})
			if err != nil {
				t.Fatalf("%q: %v", expr, err)
			}
			if !res.Exact {
				return // flowlens groups locally then
			}
			q, perr := parseInsights(res.Text)
			if perr != nil {
				t.Fatalf("%q: the fake cannot parse\n%s\n%v", expr, res.Text, perr)
			}
			rows, _ := runInsights(q, c.events, 1<<30)
			want := localStats(c, flt, g)
			if len(rows) != len(want) {
				t.Fatalf("%q by %v\n%s\n%d groups, want %d", expr, g, res.Text, len(rows), len(want))
			}
			for _, row := range rows {
				m := map[string]string{}
				for _, fv := range row {
					m[fv.Field] = fv.Value
				}
				var key []string
				for _, fld := range g.By {
					key = append(key, m[pushdown.ColumnName(f, fld)])
				}
				if g.Bin > 0 {
					key = append(key, m[pushdown.BinColumn(g.Bin)])
				}
				lg := want[fmt.Sprint(key)]
				if lg == nil {
					t.Fatalf("%q: Insights has group %v, the local count has not", expr, key)
				}
				check := func(col string, want uint64, present bool) {
					if !present {
						return
					}
					if m[col] != strconv.FormatUint(want, 10) {
						t.Fatalf("%q group %v: %s = %q, want %d\n%s", expr, key, col, m[col], want, res.Text)
					}
				}
				check(pushdown.ColFlows, lg.flows, true)
				check(pushdown.ColPackets, lg.packets, f.Has(model.FPackets))
				check(pushdown.ColBytes, lg.bytes, f.Has(model.FBytes))
				check(pushdown.ColRejects, lg.rejects, f.Has(model.FAction))
				if g.HasDistinct {
					check(pushdown.DistinctColumn(f, g.Distinct), uint64(len(lg.distinct)), true)
				}
			}
			checked++
		})
		if checked == 0 {
			t.Errorf("format %q: no exact grouping was checked", f.Header())
		}
	}
}

// FuzzPushdown compiles arbitrary expressions for every test format and checks both
// the pattern and the Insights query against the filter on generated records.
func FuzzPushdown(f *testing.F) {
	for _, s := range []string{"action=REJECT dstport=22", "src=10.0.0.0/22 or not (dport=1-5 and flags=syn+fin)", "eni=eni-0A*", "addr!=2001:db8::/32 tcp", "\"ACCEPT OK\"", "port=ssh bytes>1Ki", "not (vpc=vpc-* or type=ipv4)", "my-tag=web*"} {
		f.Add(s)
	}
	rng := rand.New(rand.NewPCG(14, 4))
	var corpora []corpus
	for _, fm := range pushdowntest.Formats() {
		corpora = append(corpora, makeCorpus(rng, fm, 60))
	}
	f.Fuzz(func(t *testing.T, expr string) {
		node, err := filter.Parse(expr)
		if err != nil {
			return
		}
		for _, c := range corpora {
			flt, err := filter.Compile(expr, filter.Options{Formats: []*model.Format{c.format}})
			if err != nil {
				continue
			}
			pat, err := pushdown.Pattern(node, c.format)
			if err != nil {
				t.Fatalf("%q compiles as a filter but not as a pattern: %v", expr, err)
			}
			fp, aerr := parseFilterPattern(pat.Text)
			if aerr != nil {
				t.Fatalf("%q: pattern %q refused: %s", expr, pat.Text, aerr.Message)
			}
			ins, err := pushdown.Insights(node, c.format, pushdown.InsightsOptions{})
			if err != nil {
				t.Fatalf("%q compiles as a filter but not as a query: %v", expr, err)
			}
			q, perr := parseInsights(ins.Text)
			if perr != nil {
				t.Fatalf("%q: query does not parse: %v\n%s", expr, perr, ins.Text)
			}
			rows, _ := runInsights(q, c.events, 1<<30)
			var got []string
			for _, row := range rows {
				for _, fv := range row {
					if fv.Field == "@message" {
						got = append(got, fv.Value)
					}
				}
			}
			for i := range c.recs {
				keep := flt.Match(&c.recs[i])
				inPattern := fp.match(c.lines[i])
				inQuery := slices.Contains(got, c.lines[i])
				if keep && (!inPattern || !inQuery) || pat.Exact && !pat.Never && inPattern != keep || ins.Exact && inQuery != keep {
					t.Fatalf("%q on %q: filter %v, pattern %v (exact %v: %s), query %v (exact %v)", expr, c.lines[i], keep, inPattern, pat.Exact, pat.Text, inQuery, ins.Exact)
				}
			}
		}
	})
}
