package cloudwatch

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/pushdown"
	"github.com/flowlens/flowlens/source/insights"
)

// groupsRig is a history for RunGroups: records on ports 1000+i, every third a reject,
// from two hours back to just before now; a query returns at most 5 rows, so grouping
// by port splits the range.
func groupsRig(t *testing.T, filter string) (*rig, []int) {
	r := newRig(t, true)
	r.cfg.Follow = false
	r.cfg.History = HistoryInsights
	r.cfg.Filter = filter
	r.cfg.Since = t0.Add(-2 * time.Hour)
	r.cfg.Insights = insights.Options{RowLimit: 5}
	r.srv.InsightsMaxRows(5)
	var ports []int
	for i := 0; i < 36; i++ {
		action := "ACCEPT"
		if i%3 == 0 {
			action = "REJECT"
		}
		at := t0.Add(-2*time.Hour + time.Duration(i)*200*time.Second) // the last ones within the look-back
		r.addLine(at, 1000+i%12, 6, action)
		ports = append(ports, 1000+i%12)
	}
	return r, ports
}

// runGroups runs RunGroups and returns its answer and the ports of the records delivered.
func runGroups(t *testing.T, s *Source, g pushdown.Grouping) (*Aggregate, []int) {
	t.Helper()
	var got []int
	agg, err := s.RunGroups(testContext(t), g, func(c *Chunk) error {
		for _, r := range c.Records {
			got = append(got, int(r.SrcPort))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return agg, got
}

// Logs Insights counts the groups of the history up to the look-back before now, in
// pieces when one query cannot return them all; the records after the cut are
// delivered, and together they are every record once.
func TestRunGroupsCountsOnInsightsAndDeliversTheRest(t *testing.T) {
	r, _ := groupsRig(t, "reject")
	s := r.newSource()
	agg, delivered := runGroups(t, s, pushdown.Grouping{By: []model.Field{model.FSrcPort}, Bin: time.Hour})
	cut := t0.Add(-DefaultLookBack)
	if !agg.Pushed || !agg.Cut.Equal(cut) || len(agg.Parts) != 1 {
		t.Fatalf("pushed %v, cut %v, %d parts; why %q", agg.Pushed, agg.Cut, len(agg.Parts), agg.Why)
	}
	// Every reject once: counted by Insights before the cut, delivered after it.
	counted := map[int]uint64{}
	for _, g := range agg.Parts[0].Groups.Groups {
		var port int
		for _, c := range g.Values[0] {
			port = port*10 + int(c-'0')
		}
		counted[port] += g.Flows
		if g.Rejects != g.Flows || g.Bin.IsZero() || g.Bin.Unix()%3600 != 0 {
			t.Errorf("group %v: %d flows, %d rejects, bin %v", g.Values, g.Flows, g.Rejects, g.Bin)
		}
	}
	want := map[int]uint64{}
	var after []int
	for i := 0; i < 36; i++ {
		if i%3 != 0 {
			continue
		}
		at := t0.Add(-2*time.Hour + time.Duration(i)*200*time.Second)
		if at.Before(cut) {
			want[1000+i%12]++
		} else {
			after = append(after, 1000+i%12)
		}
	}
	if len(counted) != len(want) {
		t.Errorf("Insights counted %v, want %v", counted, want)
	}
	for p, n := range want {
		if counted[p] != n {
			t.Errorf("port %d: %d flows counted, want %d", p, counted[p], n)
		}
	}
	// The delivered records are the rest, narrowed by the pushed filter pattern.
	slices.Sort(delivered)
	slices.Sort(after)
	if len(after) == 0 || !slices.Equal(delivered, after) {
		t.Errorf("delivered %v, want the rejects after the cut %v", delivered, after)
	}
	if agg.Parts[0].Groups.Pieces < 2 || s.InsightsStats().Splits == 0 {
		t.Errorf("%d pieces: the range was not split at the row limit", agg.Parts[0].Groups.Pieces)
	}
	for _, q := range r.srv.CallsTo("StartQuery") {
		if end, _ := q.Int("endTime"); end > cut.Unix()-1 {
			t.Errorf("a query reads up to %d, past the cut %d", end, cut.Unix())
		}
		if !strings.Contains(q.String("queryString"), "by srcport, bin(1h)") {
			t.Errorf("query %q", q.String("queryString"))
		}
	}
}

// When the grouping cannot be pushed (a filter Insights cannot say exactly) or
// Insights fails, every record of the history is delivered and Why says why.
func TestRunGroupsFallsBackToTheRecords(t *testing.T) {
	g := pushdown.Grouping{By: []model.Field{model.FSrcPort}}
	r, all := groupsRig(t, "eni=eni-0a1b2c3d4e5f6071?")
	agg, got := runGroups(t, r.newSource(), g)
	slices.Sort(got)
	slices.Sort(all)
	if agg.Pushed || !strings.Contains(agg.Why, "not exact") || !slices.Equal(got, all) {
		t.Errorf("a looser filter: pushed %v, why %q, %d of %d records", agg.Pushed, agg.Why, len(got), len(all))
	}

	r, all = groupsRig(t, "")
	r.srv.FailNext("StartQuery", 1, "AccessDeniedException")
	agg, got = runGroups(t, r.newSource(), g)
	slices.Sort(got)
	slices.Sort(all)
	if agg.Pushed || !strings.Contains(agg.Why, "Logs Insights failed") || !strings.Contains(agg.Why, "logs:StartQuery") || !slices.Equal(got, all) {
		t.Errorf("Insights denied: pushed %v, why %q, %d of %d records", agg.Pushed, agg.Why, len(got), len(all))
	}

	// With FilterLogEvents as the history, nothing is pushed and nothing needs saying.
	r, all = groupsRig(t, "")
	r.cfg.History = HistoryFilter
	agg, got = runGroups(t, r.newSource(), g)
	if agg.Pushed || agg.Why != "" || len(got) != len(all) {
		t.Errorf("--history filter: pushed %v, why %q, %d of %d records", agg.Pushed, agg.Why, len(got), len(all))
	}
	if _, err := r.newSource().RunGroups(context.Background(), g, func(*Chunk) error { return nil }); err != nil {
		t.Error(err)
	}
}
