package pairs_test

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"strings"
	"testing"

	"github.com/flowlens/flowlens/internal/sim"
	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/filter"
	"github.com/flowlens/flowlens/model/pairs"
	"github.com/flowlens/flowlens/model/rules"
)

// indexWrite writes the pairs of recs the way flowlens pairs did before it had a Batch:
// an Index, Ordered, then Judge and a Writer pair by pair. It is the reference the
// Batch is held to.
func indexWrite(t *testing.T, recs []model.Flow, rs *rules.Set, kind, expr string) (string, map[pairs.Verdict]int) {
	t.Helper()
	ix := pairs.NewIndex()
	newest := map[uint64]model.Flow{}
	for i := range recs {
		r := &recs[i]
		if p, side := ix.Get(r); p != nil && p.Dirs[side].Records > 0 {
			delete(newest, p.Dirs[side].LastSeq())
		}
		if _, _, ok := pairs.KeyOf(r); ok {
			newest[uint64(i)] = *r
		}
		ix.Add(uint64(i), r)
	}
	match, err := pairs.CompileFilter(expr, func(seq uint64) *model.Flow {
		if r, ok := newest[seq]; ok {
			return &r
		}
		return nil
	}, filter.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w, err := pairs.NewWriter(kind, &buf)
	if err != nil {
		t.Fatal(err)
	}
	counts := map[pairs.Verdict]int{}
	for _, p := range ix.Ordered(rs, match) {
		j := ix.Judge(p, rs)
		counts[j.Verdict]++
		if err := w.Write(p, &j); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return buf.String(), counts
}

// batchWrite writes the pairs of recs through a Batch.
func batchWrite(t *testing.T, recs []model.Flow, rs *rules.Set, kind, expr string, workers int) (string, pairs.Summary) {
	t.Helper()
	b := pairs.NewBatch(expr != "")
	for i := range recs {
		b.Add(&recs[i])
	}
	var newMatch func() func(*pairs.Pair, *pairs.Judgement) bool
	if expr != "" {
		newMatch = func() func(*pairs.Pair, *pairs.Judgement) bool {
			m, err := pairs.CompileFilter(expr, b.Newest, filter.Options{})
			if err != nil {
				t.Error(err)
			}
			return m
		}
	}
	var buf bytes.Buffer
	sum, err := b.Write(&buf, pairs.WriteOptions{Kind: kind, Rules: rs, NewMatch: newMatch, Workers: workers})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Pairs != b.Len() {
		t.Errorf("summary of %d pairs, the batch holds %d", sum.Pairs, b.Len())
	}
	return buf.String(), sum
}

type scenarioRecords struct {
	name string
	recs []model.Flow
	rs   *rules.Set
}

// batchScenarios are the records the Batch is compared on: every hand-built case of the
// simulator (stray rejects, BPA, lone replies, ...) in one stream, the incident and a
// stretch of the realistic scenario, in every format.
func batchScenarios(t *testing.T) []scenarioRecords {
	var out []scenarioRecords
	for _, f := range sim.Formats() {
		var cases []model.Flow
		for _, c := range sim.Cases() {
			cases = append(cases, c.Run(f).Records...)
		}
		out = append(out, scenarioRecords{"cases/" + formatName(f), cases, nil})
		for _, s := range []struct {
			name string
			sc   *sim.Scenario
			n    int
		}{{"incident", sim.Incident(1), 0}, {"realistic", sim.Realistic(1), 30_000}} {
			var recs []model.Flow
			s.sc.Stream(f, s.n, func(r *model.Flow) bool {
				recs = append(recs, *r)
				return true
			})
			out = append(out, scenarioRecords{s.name + "/" + formatName(f), recs, loadRules(t, s.sc.Topology)})
		}
	}
	return out
}

// TestBatchWritesWhatTheIndexWrites holds flowlens pairs to its output before the Batch:
// byte for byte, in every output kind, with and without rules and filters (a filter's
// record terms look at the newest records, which the Batch keeps), and with the work
// spread over one or several workers.
func TestBatchWritesWhatTheIndexWrites(t *testing.T) {
	filters := []string{"", "verdict=blocked or action=REJECT", "not dstport=443 and verdict!=accepted", "initiator=10.0.0.0/8"}
	for _, sc := range batchScenarios(t) {
		for _, rs := range []*rules.Set{nil, sc.rs} {
			for _, kind := range []string{"text", "jsonl", "csv"} {
				for fi, expr := range filters {
					if fi > 0 && kind != "jsonl" {
						continue // the kinds format the same pairs: the filters are tried on one
					}
					name := fmt.Sprintf("%s rules=%v %s filter=%q", sc.name, rs != nil, kind, expr)
					want, counts := indexWrite(t, sc.recs, rs, kind, expr)
					for _, workers := range []int{1, 3} {
						got, sum := batchWrite(t, sc.recs, rs, kind, expr, workers)
						if got != want {
							t.Fatalf("%s, %d workers: the batch wrote\n%s\nthe index\n%s", name, workers, firstDiff(got, want), firstDiff(want, got))
						}
						if !maps.Equal(sum.Verdicts, counts) {
							t.Errorf("%s: verdicts %v, want %v", name, sum.Verdicts, counts)
						}
						total := 0
						for _, n := range counts {
							total += n
						}
						if sum.Shown != total {
							t.Errorf("%s: %d shown, want %d", name, sum.Shown, total)
						}
					}
				}
			}
		}
	}
}

// firstDiff is the line of a where it first differs from b, with its number.
func firstDiff(a, b string) string {
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range la {
		if i >= len(lb) || la[i] != lb[i] {
			return fmt.Sprintf("line %d: %q", i+1, la[i])
		}
	}
	return fmt.Sprintf("(a prefix, %d lines)", len(la))
}

// TestBatchJudgesAsTheIndex compares every judgement in full, signals and rule context
// included, which the output does not show.
func TestBatchJudgesAsTheIndex(t *testing.T) {
	for _, sc := range batchScenarios(t) {
		ix := pairs.NewIndex()
		b := pairs.NewBatch(false)
		for i := range sc.recs {
			ix.Add(uint64(i), &sc.recs[i])
			b.Add(&sc.recs[i])
		}
		if b.Len() != ix.Len() {
			t.Fatalf("%s: %d pairs in the batch, %d in the index", sc.name, b.Len(), ix.Len())
		}
		for _, rs := range []*rules.Set{nil, sc.rs} {
			n := 0
			pairs.EachJudged(b, rs, func(p *pairs.Pair, j *pairs.Judgement) {
				n++
				ref := ix.Lookup(p.Key)
				if ref == nil {
					t.Fatalf("%s: %v is not in the index", sc.name, p.Key)
				}
				want := ix.Judge(ref, rs)
				if d := judgementDiff(j, &want); d != "" {
					t.Fatalf("%s rules=%v %v: %s", sc.name, rs != nil, p.Key, d)
				}
			})
			if n != b.Len() {
				t.Fatalf("%s: %d pairs judged of %d", sc.name, n, b.Len())
			}
		}
	}
}

// judgementDiff says how two judgements differ; the directions are compared by what
// they aggregate (a Batch's LastSeq names its own records). Their records by
// flow-direction are not in a Dir (a Batch keeps whether there were any, not how many):
// they count through the flow-direction signal, its side and what it says.
func judgementDiff(got, want *pairs.Judgement) string {
	dir := func(d *pairs.Dir) string {
		if d == nil {
			return "nil"
		}
		return fmt.Sprintf("%d %d/%d/%d %d %d %d-%d flags=%d", d.Records, d.Accepts, d.Rejects, d.BPA,
			d.Packets, d.Bytes, d.First, d.Last, d.Flags())
	}
	g, w := *got, *want
	if a, b := dir(g.Request)+" "+dir(g.Response), dir(w.Request)+" "+dir(w.Response); a != b {
		return "directions " + a + ", want " + b
	}
	if (g.RequestInbound == nil) != (w.RequestInbound == nil) || g.RequestInbound != nil && *g.RequestInbound != *w.RequestInbound {
		return "request inbound differs"
	}
	g.Request, g.Response, g.RequestInbound = nil, nil, nil
	w.Request, w.Response, w.RequestInbound = nil, nil, nil
	if a, b := fmt.Sprintf("%+v", g), fmt.Sprintf("%+v", w); a != b {
		return a + "\nwant " + b
	}
	return ""
}

// TestBatchWithoutRecords: nothing read, the text and csv outputs still have their
// header rows, as the Writers give them.
func TestBatchWithoutRecords(t *testing.T) {
	for _, kind := range []string{"text", "jsonl", "csv"} {
		want, _ := indexWrite(t, nil, nil, kind, "")
		got, sum := batchWrite(t, nil, nil, kind, "", 0)
		if got != want || sum.Pairs != 0 || sum.Shown != 0 {
			t.Errorf("%s: %q %+v, want %q", kind, got, sum, want)
		}
	}
	if _, err := pairs.NewBatch(false).Write(&bytes.Buffer{}, pairs.WriteOptions{Kind: "xml"}); err == nil {
		t.Error("an unknown kind was accepted")
	}
}

// failingWriter fails after a number of writes.
type failingWriter struct{ left int }

func (f *failingWriter) Write(p []byte) (int, error) {
	if f.left == 0 {
		return 0, errors.New("disk full")
	}
	f.left--
	return len(p), nil
}

// TestBatchWriteError: a failing output ends the writing with its error, whatever the
// workers were doing.
func TestBatchWriteError(t *testing.T) {
	var recs []model.Flow
	sim.Realistic(1).Stream(model.DefaultFormat, 20_000, func(r *model.Flow) bool {
		recs = append(recs, *r)
		return true
	})
	b := pairs.NewBatch(false)
	for i := range recs {
		b.Add(&recs[i])
	}
	for _, workers := range []int{1, 2, 4} {
		_, err := b.Write(&failingWriter{left: 2}, pairs.WriteOptions{Kind: "jsonl", Workers: workers})
		if err == nil || err.Error() != "disk full" {
			t.Errorf("%d workers: %v, want the writer's error", workers, err)
		}
	}
}

// fakeNames names every address in 10.0.0.0/8 and every interface, so that a test sees
// names in every cell and column that carries them.
type fakeNames struct{}

func (fakeNames) Addr(a netip.Addr) string {
	if netip.MustParsePrefix("10.0.0.0/8").Contains(a) {
		return "host-" + a.String()
	}
	return ""
}
func (fakeNames) Interface(id string) string { return "ifc " + id }
func (fakeNames) Group(id string) string     { return "group " + id }
func (fakeNames) Service(a netip.Addr) string {
	if a.Is4() && a.As4()[0] == 52 {
		return "S3"
	}
	return ""
}

// namedIndexWrite writes the pairs of recs as flowlens pairs would with an Index: Ordered,
// then Judge, Link and a named writer pair by pair. The reference for a named Batch.
func namedIndexWrite(t *testing.T, recs []model.Flow, rs *rules.Set, kind, expr string, n pairs.Namer) string {
	t.Helper()
	ix := pairs.NewIndex()
	newest := map[uint64]model.Flow{}
	for i := range recs {
		r := &recs[i]
		if p, side := ix.Get(r); p != nil && p.Dirs[side].Records > 0 {
			delete(newest, p.Dirs[side].LastSeq())
		}
		if _, _, ok := pairs.KeyOf(r); ok {
			newest[uint64(i)] = *r
		}
		ix.Add(uint64(i), r)
	}
	var match func(*pairs.Pair, *pairs.Judgement) bool
	if expr != "" {
		var err error
		match, err = pairs.CompileFilter(expr, func(seq uint64) *model.Flow {
			if r, ok := newest[seq]; ok {
				return &r
			}
			return nil
		}, filter.Options{})
		if err != nil {
			t.Fatal(err)
		}
	}
	var want bytes.Buffer
	w, err := pairs.NewNamedWriter(kind, &want, n)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ix.Ordered(rs, match) {
		j := ix.Judge(p, rs)
		l := ix.Link(p, rs, n)
		if err := w.WriteLinked(p, &j, &l); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return want.String()
}

// TestBatchWritesNamesAsTheNamedWriter holds the Batch's names and links (flowlens pairs
// writes them whether or not any are known) to NewNamedWriter's with Index.Link, in
// every output kind, with a lookup and without one, with rules and without, and with
// filters on the joint verdict, which a Batch applies after linking.
func TestBatchWritesNamesAsTheNamedWriter(t *testing.T) {
	filters := []string{"", "joint-verdict=sg", "joint-verdict!=none and verdict=no-response", "joint-verdict=none and dstport=5432"}
	for si, sc := range batchScenarios(t) {
		for _, rs := range []*rules.Set{nil, sc.rs} {
			for _, n := range []pairs.Namer{nil, fakeNames{}} {
				for _, kind := range []string{"text", "jsonl", "csv"} {
					for fi, expr := range filters {
						if fi > 0 && (kind != "jsonl" || n == nil) || n == nil && si != 1 {
							continue // the filters on one kind; no names only on the incident
						}
						want := namedIndexWrite(t, sc.recs, rs, kind, expr, n)
						b := pairs.NewBatch(expr != "")
						for i := range sc.recs {
							b.Add(&sc.recs[i])
						}
						var newMatch func() func(*pairs.Pair, *pairs.Judgement) bool
						if expr != "" {
							newMatch = func() func(*pairs.Pair, *pairs.Judgement) bool {
								m, err := pairs.CompileFilter(expr, b.Newest, filter.Options{})
								if err != nil {
									t.Error(err)
								}
								return m
							}
						}
						var got bytes.Buffer
						if _, err := b.Write(&got, pairs.WriteOptions{Kind: kind, Rules: rs, NewMatch: newMatch, Named: true, Names: n, Workers: 2}); err != nil {
							t.Fatal(err)
						}
						name := fmt.Sprintf("%s rules=%v names=%v %s filter=%q", sc.name, rs != nil, n != nil, kind, expr)
						if got.String() != want {
							t.Fatalf("%s: the batch wrote\n%s\nthe named writer\n%s", name, firstDiff(got.String(), want), firstDiff(want, got.String()))
						}
						if n != nil && expr == "" && !strings.Contains(got.String(), "host-10.") {
							t.Fatalf("%s: no name written", name)
						}
						if expr == "" && sc.name != "cases/"+formatName(model.DefaultFormat) && sc.name != "cases/"+formatName(sim.V5Format) &&
							kind == "jsonl" && !strings.Contains(got.String(), `"peer":{`) {
							t.Fatalf("%s: no pair linked", name)
						}
					}
				}
			}
		}
	}
}
