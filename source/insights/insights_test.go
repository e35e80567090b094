package insights

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flowlens/flowlens/internal/fakeaws"
	"github.com/flowlens/flowlens/internal/pushdowntest"
	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/filter"
	"github.com/flowlens/flowlens/model/pushdown"
	"github.com/flowlens/flowlens/model/stats"
	"github.com/flowlens/flowlens/source/awsclient"
)

// deadline bounds every wait here; it is a safety net, never a measurement.
const deadline = 20 * time.Second

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	t.Cleanup(cancel)
	return ctx
}

// noWait is a clock whose sleeps end at once (unless the context has ended), so that
// polling and back-off run without waiting.
type noWait struct{}

func (noWait) Now() time.Time { return time.Unix(1700000000, 0) }
func (noWait) Sleep(ctx context.Context, _ time.Duration) error {
	return ctx.Err()
}

// blockingClock sleeps until the context ends: a query that is polled stays running.
type blockingClock struct{ noWait }

func (blockingClock) Sleep(ctx context.Context, _ time.Duration) error {
	<-ctx.Done()
	return ctx.Err()
}

const group = "/vpc/flows"

// stored is what a test put in the fake: the lines and the records they parse to.
type stored struct {
	lines []string
	recs  []model.Flow
	ts    []int64 // event timestamps, ms
}

// fill stores n random default-format records, over two streams, each event at its
// record's start (1700000000 + up to two hours), several in many seconds.
func fill(t *testing.T, srv *fakeaws.Server, seed uint64, n int) stored {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 14))
	var s stored
	var events [2][]fakeaws.Event
	for i := 0; i < n; i++ {
		line, r := pushdowntest.Record(rng, model.DefaultFormat)
		start, ok := r.Uint(model.FStart)
		if !ok {
			start = 1700000000 + uint64(rng.IntN(7200))
		}
		s.lines, s.recs, s.ts = append(s.lines, line), append(s.recs, r), append(s.ts, int64(start)*1000)
		events[i%2] = append(events[i%2], fakeaws.Event{Timestamp: time.Unix(int64(start), 0), Message: line})
	}
	srv.AddEvents(group, "eni-a-all", events[0]...)
	srv.AddEvents(group, "eni-b-all", events[1]...)
	return s
}

func newRunner(srv *fakeaws.Server, opts Options) *Runner {
	if opts.Clock == nil {
		opts.Clock = noWait{}
	}
	opts.Jitter = func() float64 { return 0.5 }
	return New(awsclient.NewLogs(srv.AWSConfig()), opts)
}

func mustParse(t *testing.T, expr string) filter.Node {
	t.Helper()
	n, err := filter.Parse(expr)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

var (
	rangeStart = time.Unix(1700000000, 0)
	rangeEnd   = time.Unix(1700000000+7200, 0)
)

// recordsQuery is the records query the CloudWatch source sends for expr.
func recordsQuery(t *testing.T, expr string) string {
	t.Helper()
	res, err := pushdown.Insights(mustParse(t, expr), model.DefaultFormat, pushdown.InsightsOptions{Fields: []string{"@logStream"}})
	if err != nil {
		t.Fatal(err)
	}
	return res.Text
}

// A range whose answers reach the row limit again and again is split until every
// event comes back once, in time order, through throttling, the account's concurrency
// quota, polling and paged results.
func TestRecordsSplitsUntilEveryEventComesBackOnce(t *testing.T) {
	srv := fakeaws.Serve(t)
	s := fill(t, srv, 1, 3000)
	srv.InsightsPolls(2)
	srv.InsightsConcurrencyLimit(2)
	srv.PageSize(7) // GetQueryResults pages with nextToken
	srv.FailNext("StartQuery", 2, "ThrottlingException")
	srv.FailNext("GetQueryResults", 1, "ThrottlingException")
	r := newRunner(srv, Options{RowLimit: 100, MaxConcurrent: 3, PageSize: 40})

	const expr = "tcp or udp"
	flt := filter.MustCompile(expr)
	want := map[string]int{}
	for i := range s.recs {
		if flt.Match(&s.recs[i]) {
			want[s.lines[i]]++
		}
	}
	got := map[string]int{}
	var last int64
	inOrder := true
	err := r.Records(testContext(t), RecordsQuery{LogGroups: []string{group}, Query: recordsQuery(t, expr), Start: rangeStart, End: rangeEnd},
		func(recs []Record) error {
			for _, rec := range recs {
				got[rec.Message]++
				if rec.Timestamp < last {
					inOrder = false
				}
				last = rec.Timestamp
				if rec.Stream != "eni-a-all" && rec.Stream != "eni-b-all" {
					t.Errorf("stream %q", rec.Stream)
				}
			}
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	if !mapsEqual(got, want) {
		t.Errorf("got %d distinct events, want %d (missing or repeated: %v)", len(got), len(want), diff(got, want, 5))
	}
	if !inOrder {
		t.Error("events were not delivered in time order")
	}
	st := r.Stats()
	var total float64
	for _, l := range s.lines {
		total += float64(len(l))
	}
	t.Logf("%d events matched of %d, row limit 100: %d queries, %d splits, %.2fx the group's bytes scanned, %d retries",
		len(want), len(s.lines), st.Queries, st.Splits, st.BytesScanned/total, st.Retries)
	if st.Splits == 0 || st.Queries < 10 || st.Retries < 3 || st.BytesScanned <= 0 {
		t.Errorf("stats %+v: want splits, many queries, the throttles and the quota waits retried, bytes scanned", st)
	}
	if n := srv.RunningQueries(); n != 0 {
		t.Errorf("%d queries left running", n)
	}
	// No two queries that were answered in full share a second: adjacent ranges are
	// [a, m] and [m+1, b].
	checkNoSharedSeconds(t, srv)
}

// checkNoSharedSeconds checks that the ranges of the StartQuery calls form a tree of
// splits: two ranges either nest or are disjoint in whole seconds.
func checkNoSharedSeconds(t *testing.T, srv *fakeaws.Server) {
	t.Helper()
	type rng struct{ from, to int64 }
	var all []rng
	for _, c := range srv.CallsTo("StartQuery") {
		if c.Error != "" {
			continue
		}
		from, _ := c.Int("startTime")
		to, _ := c.Int("endTime")
		all = append(all, rng{from, to})
	}
	for i, a := range all {
		for _, b := range all[i+1:] {
			overlap := a.from <= b.to && b.from <= a.to
			nested := a.from <= b.from && b.to <= a.to || b.from <= a.from && a.to <= b.to
			if overlap && !nested {
				t.Errorf("ranges [%d, %d] and [%d, %d] share seconds without one holding the other", a.from, a.to, b.from, b.to)
			}
		}
	}
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func diff(got, want map[string]int, n int) []string {
	var out []string
	for k, v := range want {
		if got[k] != v {
			out = append(out, fmt.Sprintf("%q: got %d want %d", k, got[k], v))
		}
	}
	for k, v := range got {
		if _, ok := want[k]; !ok {
			out = append(out, fmt.Sprintf("%q: got %d want 0", k, v))
		}
	}
	sort.Strings(out)
	if len(out) > n {
		out = out[:n]
	}
	return out
}

// A second that holds more events than a query returns cannot be split: Dense reads
// it, in order between the deliveries; without Dense it is an error that says so.
func TestRecordsHandsADenseSecondToDense(t *testing.T) {
	srv := fakeaws.Serve(t)
	at := time.Unix(1700000100, 0)
	var events []fakeaws.Event
	for i := 0; i < 30; i++ {
		events = append(events, fakeaws.Event{Timestamp: at, Message: fmt.Sprintf("2 1 eni-a 10.0.0.1 10.0.0.2 %d 80 6 1 40 1700000100 1700000160 ACCEPT OK", 1000+i)})
	}
	events = append(events,
		fakeaws.Event{Timestamp: at.Add(-time.Second), Message: "2 1 eni-a 10.0.0.1 10.0.0.2 1 80 6 1 40 1700000099 1700000160 ACCEPT OK"},
		fakeaws.Event{Timestamp: at.Add(time.Second), Message: "2 1 eni-a 10.0.0.1 10.0.0.2 2 80 6 1 40 1700000101 1700000160 ACCEPT OK"})
	srv.AddEvents(group, "eni-a-all", events...)
	r := newRunner(srv, Options{RowLimit: 10})
	q := RecordsQuery{LogGroups: []string{group}, Query: recordsQuery(t, ""), Start: rangeStart, End: rangeEnd}

	var order []string
	q.Dense = func(_ context.Context, second time.Time) error {
		order = append(order, "dense "+second.UTC().Format(time.TimeOnly))
		return nil
	}
	err := r.Records(testContext(t), q, func(recs []Record) error {
		for _, rec := range recs {
			order = append(order, strings.Fields(rec.Message)[5])
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"1", "dense 22:15:00", "2"}; !slices.Equal(order, want) {
		t.Errorf("delivered %v, want %v", order, want)
	}

	q.Dense = nil
	err = r.Records(testContext(t), q, func([]Record) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "more than 10 matching events in the one second 2023-11-14T22:15:00Z") {
		t.Errorf("err = %v", err)
	}
}

// Groups over a range whose answers reach the row limit are merged from every piece's
// full groups and equal a local count (model/stats) of the same records with
// flowlens's filter.
func TestGroupsEqualALocalCountThroughSplits(t *testing.T) {
	srv := fakeaws.Serve(t)
	s := fill(t, srv, 2, 2000)
	for _, c := range []struct {
		name     string
		expr     string
		grouping pushdown.Grouping
		distinct bool
	}{
		{"by srcaddr", "not proto=icmp", pushdown.Grouping{By: []model.Field{model.FSrcAddr}}, false},
		{"by dstport and 10m bins, distinct srcaddr", "addr=10.0.0.0/8", pushdown.Grouping{By: []model.Field{model.FDstPort}, Bin: 10 * time.Minute, Distinct: model.FSrcAddr, HasDistinct: true}, true},
		{"by action, 1h bins", "", pushdown.Grouping{By: []model.Field{model.FAction}, Bin: time.Hour}, false},
		{"no fields", "reject", pushdown.Grouping{}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv.ResetCalls()
			r := newRunner(srv, Options{RowLimit: 40, MaxConcurrent: 3})
			got, err := r.Groups(testContext(t), GroupsQuery{LogGroups: []string{group}, Format: model.DefaultFormat,
				Filter: mustParse(t, c.expr), Grouping: c.grouping, Start: rangeStart, End: rangeEnd})
			if err != nil {
				t.Fatal(err)
			}
			want := localGroups(t, s, c.expr, c.grouping)
			if !slices.EqualFunc(got.Groups, want, func(a, b Group) bool {
				return slices.Equal(a.Values, b.Values) && a.Bin.Equal(b.Bin) && a.Flows == b.Flows && a.Packets == b.Packets &&
					a.Bytes == b.Bytes && a.Rejects == b.Rejects && (!c.distinct || got.DistinctSummed || a.Distinct == b.Distinct)
			}) {
				t.Errorf("%d groups from Insights, %d counted locally; first differences:\n%s", len(got.Groups), len(want), groupDiff(got.Groups, want))
			}
			if len(want) > 40 && (got.Pieces < 2 || r.Stats().Splits == 0) {
				t.Errorf("%d groups fit in one piece of 40 rows?", len(want))
			}
			if c.distinct && !got.DistinctEstimated {
				t.Error("count_distinct not marked as an estimate")
			}
			checkNoSharedSeconds(t, srv)
		})
	}
}

// localGroups counts the records with model/stats, as `flowlens stats` does locally.
func localGroups(t *testing.T, s stored, expr string, g pushdown.Grouping) []Group {
	t.Helper()
	spec := stats.Spec{Bin: g.Bin, Top: 0}
	for _, fld := range g.By {
		spec.By = append(spec.By, stats.Column{Field: fld, Name: fld.Name()})
	}
	if g.HasDistinct {
		spec.Distinct = &stats.Column{Field: g.Distinct, Name: g.Distinct.Name()}
	}
	grouper, err := stats.NewGrouper(spec)
	if err != nil {
		t.Fatal(err)
	}
	flt := filter.MustCompile(expr)
	for i := range s.recs {
		if flt.Match(&s.recs[i]) {
			grouper.Add(&s.recs[i])
		}
	}
	var out []Group
	for _, row := range grouper.Result().Rows() {
		grp := Group{Bin: row.Bin, Flows: row.Flows, Packets: row.Packets, Bytes: row.Bytes, Rejects: row.Rejects, Distinct: row.Distinct}
		for _, v := range row.Values {
			text := v.String()
			if v.IsNull() {
				text = "-"
			}
			grp.Values = append(grp.Values, text)
		}
		out = append(out, grp)
	}
	slices.SortFunc(out, func(a, b Group) int {
		if c := a.Bin.Compare(b.Bin); c != 0 {
			return c
		}
		return slices.Compare(a.Values, b.Values)
	})
	return out
}

func groupDiff(got, want []Group) string {
	key := func(g Group) string { return fmt.Sprintf("%s %v", g.Bin.UTC().Format(time.DateTime), g.Values) }
	gm := map[string]Group{}
	for _, g := range got {
		gm[key(g)] = g
	}
	var lines []string
	for _, w := range want {
		g, ok := gm[key(w)]
		if !ok || (g.Flows != w.Flows || g.Bytes != w.Bytes || g.Packets != w.Packets || g.Rejects != w.Rejects) {
			lines = append(lines, fmt.Sprintf("  %s: got %+v want %+v", key(w), g, w))
		}
		delete(gm, key(w))
	}
	for k := range gm {
		lines = append(lines, "  extra "+k)
	}
	sort.Strings(lines)
	if len(lines) > 8 {
		lines = lines[:8]
	}
	return strings.Join(lines, "\n")
}

// A filter Insights cannot say exactly would count records flowlens drops: the
// grouping is refused, so that the caller counts locally, and no query runs.
func TestGroupsRefusesALooserFilter(t *testing.T) {
	srv := fakeaws.Serve(t)
	r := newRunner(srv, Options{})
	_, err := r.Groups(testContext(t), GroupsQuery{LogGroups: []string{group}, Filter: mustParse(t, "eni=eni-0a?c"),
		Grouping: pushdown.Grouping{By: []model.Field{model.FSrcAddr}}, Start: rangeStart, End: rangeEnd})
	var notExact *NotExactError
	if !errors.As(err, &notExact) || len(srv.CallsTo("StartQuery")) != 0 {
		t.Errorf("err = %v, %d queries", err, len(srv.CallsTo("StartQuery")))
	}
}

// A query the caller gives up on is stopped: Insights bills it until it ends.
func TestCancelStopsTheRunningQuery(t *testing.T) {
	srv := fakeaws.Serve(t)
	fill(t, srv, 3, 50)
	srv.InsightsPolls(1 << 20)
	r := newRunner(srv, Options{Clock: blockingClock{}})
	ctx, cancel := context.WithCancel(testContext(t))
	done := make(chan error, 1)
	go func() {
		done <- r.Records(ctx, RecordsQuery{LogGroups: []string{group}, Query: recordsQuery(t, ""), Start: rangeStart, End: rangeEnd},
			func([]Record) error { return nil })
	}()
	waitFor(t, "a running query", func() bool { return srv.RunningQueries() == 1 })
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v", err)
	}
	if n := srv.RunningQueries(); n != 0 || len(srv.CallsTo("StopQuery")) != 1 {
		t.Errorf("%d queries running, %d StopQuery calls after the cancel", n, len(srv.CallsTo("StopQuery")))
	}
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	limit := time.Now().Add(deadline)
	for !ok() {
		if time.Now().After(limit) {
			t.Fatalf("no %s before the deadline", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// Timeouts, failures and queries cancelled elsewhere are reported plainly; access
// denied names the permission.
func TestQueryFailuresAreReportedPlainly(t *testing.T) {
	for _, c := range []struct {
		setup func(*fakeaws.Server)
		want  string
	}{
		{func(s *fakeaws.Server) { s.InsightsEndWith("Timeout") }, "timed out (Insights ends a query after 1h0m0s of running): narrow the time range or the filter"},
		{func(s *fakeaws.Server) { s.InsightsEndWith("Failed") }, "failed on AWS's side"},
		{func(s *fakeaws.Server) { s.InsightsEndWith("Cancelled") }, "was cancelled by someone else"},
		{func(s *fakeaws.Server) { s.FailNext("StartQuery", 1, "AccessDeniedException") }, "grant the IAM permission logs:StartQuery"},
		{func(s *fakeaws.Server) { s.FailNext("GetQueryResults", 1, "AccessDeniedException") }, "logs:GetQueryResults"},
	} {
		srv := fakeaws.Serve(t)
		fill(t, srv, 4, 20)
		srv.InsightsPolls(1)
		c.setup(srv)
		r := newRunner(srv, Options{})
		err := r.Records(testContext(t), RecordsQuery{LogGroups: []string{group}, Query: recordsQuery(t, ""), Start: rangeStart, End: rangeEnd},
			func([]Record) error { return nil })
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("err = %v, want %q", err, c.want)
		}
		if n := srv.RunningQueries(); n != 0 {
			t.Errorf("%q: %d queries left running", c.want, n)
		}
	}
}

// The Runner never has more than MaxConcurrent queries running, whatever its callers.
func TestConcurrencyStaysWithinTheLimit(t *testing.T) {
	srv := fakeaws.Serve(t)
	fill(t, srv, 5, 1500)
	srv.InsightsPolls(3)
	var mu sync.Mutex
	peak := 0
	r := newRunner(srv, Options{RowLimit: 60, MaxConcurrent: 2, Progress: func(Stats) {
		mu.Lock()
		peak = max(peak, srv.RunningQueries())
		mu.Unlock()
	}})
	var wg sync.WaitGroup
	for i := 0; i < 3; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := r.Records(testContext(t), RecordsQuery{LogGroups: []string{group}, Query: recordsQuery(t, ""), Start: rangeStart, End: rangeEnd},
				func([]Record) error { return nil }); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if peak > 2 {
		t.Errorf("%d queries running at once, limit 2", peak)
	}
}

func TestRangeOfAndSplitShareNoSecond(t *testing.T) {
	rng, ok := RangeOf(time.Unix(100, 0), time.Unix(200, 0))
	if !ok || rng != (Range{100, 199}) {
		t.Fatalf("RangeOf = %v %v, want [100, 199]", rng, ok)
	}
	if rng, _ := RangeOf(time.Unix(100, 1), time.Unix(200, 1)); rng != (Range{101, 200}) {
		t.Errorf("fractional ends: %v", rng)
	}
	if _, ok := RangeOf(time.Unix(100, 0), time.Unix(100, 0)); ok {
		t.Error("an empty range is not empty")
	}
	for _, n := range []int64{1, 2, 3, 7, 100, 1000} {
		parts := rng.split(n)
		next := rng.From
		for _, p := range parts {
			if p.From != next || p.To < p.From {
				t.Fatalf("split %d: %v", n, parts)
			}
			next = p.To + 1
		}
		if next != rng.To+1 || int64(len(parts)) != min(n, rng.Seconds()) {
			t.Errorf("split %d: %v", n, parts)
		}
	}
	if h := splitOnBins(Range{0, 3599}, 600); h != [2]Range{{0, 1799}, {1800, 3599}} {
		t.Errorf("on 10m bins: %v", h)
	}
	if h := splitOnBins(Range{100, 1300}, 600); h != [2]Range{{100, 599}, {600, 1300}} {
		t.Errorf("on 10m bins from 100: %v", h)
	}
	if h := splitOnBins(Range{0, 599}, 600); h != [2]Range{{0, 299}, {300, 599}} {
		t.Errorf("within one bin: %v", h)
	}
}

func TestChooseWeighsPagesAgainstBytesScanned(t *testing.T) {
	week := 7 * 24 * time.Hour
	busy := Choose(Estimate{Span: week, StoredBytes: 30 << 30, Stored: 30 * 24 * time.Hour})
	if !busy.Insights || !strings.Contains(busy.Reason, "FilterLogEvents pages at 5 a second") || !strings.Contains(busy.Reason, "Insights scans it for about $0.0") {
		t.Errorf("a week of a busy group: %+v", busy)
	}
	quiet := Choose(Estimate{Span: 15 * time.Minute, StoredBytes: 30 << 30, Stored: 30 * 24 * time.Hour})
	if quiet.Insights || !strings.Contains(quiet.Reason, "at no charge") {
		t.Errorf("15 minutes: %+v", quiet)
	}
	if c := Choose(Estimate{Span: week}); !c.Insights || !strings.Contains(c.Reason, "size is unknown") {
		t.Errorf("unknown size, a week: %+v", c)
	}
	if c := Choose(Estimate{Span: time.Hour}); c.Insights {
		t.Errorf("unknown size, an hour: %+v", c)
	}
}
