package cloudwatch

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/flowlens/flowlens/internal/fakeaws"
	"github.com/flowlens/flowlens/internal/sim"
	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/filter"
	"github.com/flowlens/flowlens/model/pairs"
	"github.com/flowlens/flowlens/model/rules"
)

// The explorer's verdicts are the same with the filter pushed down as without: for
// every record the view shows, the conversation index fed by a source that pushed the
// filter's both-directions part (as a filter pattern, or in a Logs Insights query)
// judges its pair as the index fed every record does, rule included; and the view
// shows the same records.
func TestVerdictsAreTheSameWithPushdownAsWithout(t *testing.T) {
	r := newRig(t, true)
	r.clock.mu.Lock()
	r.clock.now = sim.DefaultStart.Add(2 * time.Hour)
	r.clock.mu.Unlock()
	sc := sim.Incident(7)
	n := 0
	sc.Stream(model.DefaultFormat, 6000, func(f *model.Flow) bool {
		start, ok := f.Uint(model.FStart)
		if !ok {
			return true
		}
		n++
		r.srv.AddEvents(group, f.Interface.String()+"-all", fakeaws.Event{Timestamp: time.Unix(int64(start), 0), Message: string(f.AppendRecord(nil))})
		return true
	})
	rs := rules.NewSet()
	sgs, nacls, enis := sc.RulesJSON()
	for name, data := range map[string][]byte{"sgs": sgs, "nacls": nacls, "enis": enis} {
		set, err := rules.Load(bytes.NewReader(data), name)
		if err != nil {
			t.Fatal(err)
		}
		rs.Merge(set)
	}
	read := func(expr string, history History) (*pairs.Index, []model.Flow) {
		t.Helper()
		cfg := r.cfg
		cfg.ENIs, cfg.Follow = nil, false
		cfg.Since, cfg.Until = sim.DefaultStart.Add(-time.Hour), sim.DefaultStart.Add(time.Hour)
		cfg.Filter, cfg.Conversations, cfg.History = expr, true, history
		s, err := New(testContext(t), cfg)
		if err != nil {
			t.Fatal(err)
		}
		ix := pairs.NewIndex()
		var all []model.Flow
		err = s.Run(context.Background(), func(c *Chunk) error {
			for i := range c.Records {
				ix.Add(uint64(len(all)), &c.Records[i])
				all = append(all, c.Records[i])
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return ix, all
	}
	full, everything := read("", HistoryFilter)
	if len(everything) != n {
		t.Fatalf("%d records read without a filter, %d stored", len(everything), n)
	}
	narrowed := false
	for _, expr := range []string{
		"action=REJECT",
		"reject tcp",
		"dport=22 addr=10.0.0.0/16",
		"proto=icmp",
		"reject tcp addr=10.0.1.0/24",
		"(port=443 or port=80) tcp",
		"flags=syn not dport=443",
	} {
		flt := filter.MustCompile(expr)
		want := 0
		for i := range everything {
			if flt.Match(&everything[i]) {
				want++
			}
		}
		for _, history := range []History{HistoryFilter, HistoryInsights} {
			ix, recs := read(expr, history)
			narrowed = narrowed || len(recs) < len(everything)
			shown := 0
			for i := range recs {
				rec := &recs[i]
				if !flt.Match(rec) {
					continue
				}
				shown++
				p, _ := ix.Get(rec)
				q, _ := full.Get(rec)
				if p == nil || q == nil {
					if p != q {
						t.Errorf("%s: the record %s pairs in one index only", expr, rec.AppendRecord(nil))
					}
					continue
				}
				got, want := ix.Judge(p, rs), full.Judge(q, rs)
				if got.Verdict != want.Verdict || got.Blocked != want.Blocked || got.Initiator != want.Initiator || got.Rule != want.Rule {
					t.Errorf("%s (history %d): %s judged %s/%s/%q with pushdown, %s/%s/%q without", expr, history, rec.AppendRecord(nil),
						got.Verdict, got.Blocked, got.Rule, want.Verdict, want.Blocked, want.Rule)
				}
			}
			if shown != want {
				t.Errorf("%s (history %d): the view shows %d records with pushdown, %d without", expr, history, shown, want)
			}
		}
	}
	if !narrowed {
		t.Error("no filter narrowed what was read: the test proves nothing")
	}
}
