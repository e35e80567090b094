package cloudwatch

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/flowlens/flowlens/feed"
	"github.com/flowlens/flowlens/internal/fakeaws"
	"github.com/flowlens/flowlens/model/filter"
	"github.com/flowlens/flowlens/source"
)

// flowLine is a default-format record of the test interface whose source port
// identifies it.
func flowLine(port, proto int, action string, start time.Time) string {
	return fmt.Sprintf("2 123456789012 %s 10.0.0.1 10.0.0.2 %d 443 %d 10 840 %d %d %s OK", eni, port, proto, start.Unix(), start.Unix()+60, action)
}

func (r *rig) addLine(ts time.Time, port, proto int, action string) {
	r.srv.AddEvents(group, eni+"-all", fakeaws.Event{Timestamp: ts, Message: flowLine(port, proto, action, ts)})
}

// feedSink collects what an explorer feed delivers, as the screen would.
type feedSink struct {
	sink
	finished chan struct{}
}

func collect(t *testing.T, f source.Feed) *feedSink {
	t.Helper()
	k := &feedSink{sink: *newSink(), finished: make(chan struct{})}
	go func() {
		defer close(k.finished)
		for b := range f.Batches() {
			_ = k.take(&Chunk{Records: b.Records, Stats: b.Stats, Status: b.Status})
		}
	}()
	t.Cleanup(func() {
		f.Close()
		select {
		case <-k.finished:
		case <-time.After(deadline):
			t.Error("the feed did not end")
		}
	})
	return k
}

// print pushes its whole filter: each FilterLogEvents search and the Live Tail session
// carry the pattern, the status bar says what is pushed, and only matching records
// come (the pattern is exact for the default format).
func TestWholeFilterIsPushedToFilterLogEventsAndLiveTail(t *testing.T) {
	r := newRig(t, true)
	r.cfg.Filter = "action=REJECT dstport=443"
	r.addLine(t0.Add(-5*time.Minute), 1, 6, "REJECT")
	r.addLine(t0.Add(-5*time.Minute), 2, 6, "ACCEPT")
	k := r.run(r.newSource())
	k.expect(t, 1)
	r.awaitSessions(1)
	r.addLine(t0, 3, 17, "REJECT")
	r.addLine(t0, 4, 17, "ACCEPT")
	r.srv.FlushLiveTail()
	k.expect(t, 3)

	wantPattern := "[version, account_id, interface_id, srcaddr, dstaddr, srcport, dstport=443, protocol, packets, bytes, start, end, action=REJECT, log_status]"
	for _, c := range r.srv.CallsTo("FilterLogEvents") {
		if got := c.String("filterPattern"); got != wantPattern {
			t.Errorf("filterPattern %q, want %q", got, wantPattern)
		}
	}
	if got := r.srv.CallsTo("StartLiveTail")[0].String("logEventFilterPattern"); got != wantPattern {
		t.Errorf("logEventFilterPattern %q, want %q", got, wantPattern)
	}
	st := k.awaitStatus(t, "pushed", func(st feed.Status) bool { _, ok := st.Field(FieldPushed); return ok })
	if v, _ := st.Field(FieldPushed); v != "action=REJECT dstport=443" {
		t.Errorf("pushed field %q", v)
	}
	k.assertOnce(t, 1, 3)
}

// The explorer pushes only what keeps both directions of a conversation: never
// action=, which would drop the replies a verdict is made of.
func TestConversationsPushOnlyBothDirections(t *testing.T) {
	r := newRig(t, true)
	r.cfg.Filter = "action=REJECT tcp addr=10.0.0.0/8"
	r.cfg.Conversations = true
	s := r.newSource()
	terms, patterns, live := s.Pushed()
	if terms != "tcp addr=10.0.0.0/8 (looser)" {
		t.Errorf("pushed %q: want the two conversation terms, marked looser (a pattern cannot say addr=)", terms)
	}
	if !strings.Contains(live, "protocol=6") || strings.Contains(live, "action=") || patterns[0] != live {
		t.Errorf("patterns %q, live %q: want protocol=6 and no action", patterns, live)
	}
}

// Narrow restarts the Live Tail session with the new pattern once the filter has stayed
// the same for the delay (several changes in a row restart it once); a wider filter
// has the held window fetched again, without what the screen holds; nothing shows
// twice and nothing that matches is missing.
func TestNarrowRestartsAfterThePauseAndFetchesWhatAWiderFilterNeeds(t *testing.T) {
	r := newRig(t, true)
	r.cfg.Filter = "tcp"
	r.cfg.Conversations = true
	r.cfg.Since = t0.Add(-2 * time.Hour)
	r.cfg.Timing.NarrowDelay = 300 * time.Millisecond
	r.addLine(t0.Add(-90*time.Minute), 1, 6, "ACCEPT")  // tcp, old
	r.addLine(t0.Add(-90*time.Minute), 2, 17, "ACCEPT") // udp, old: not fetched under tcp
	r.addLine(t0.Add(-80*time.Minute), 3, 1, "REJECT")  // icmp, old
	r.addLine(t0.Add(-5*time.Minute), 4, 17, "ACCEPT")  // udp, recent
	f := r.newSource().Start(testContext(t))
	k := collect(t, f)
	k.expect(t, 1)
	r.awaitSessions(1)
	k.awaitStatus(t, "live tail", func(st feed.Status) bool { return st.State == feed.StateLiveTail })
	r.clock.advance(30 * time.Minute) // the next re-read starts after the old records

	n := f.(interface{ Narrow(string) error })
	for _, expr := range []string{"udp", "icmp", "udp dport=53", "udp"} {
		if err := n.Narrow(expr); err != nil {
			t.Fatal(err)
		}
	}
	k.expect(t, 2, 4)
	waitUntil(t, "a second session", func() bool { return len(r.srv.CallsTo("StartLiveTail")) == 2 && r.srv.LiveTailSessions() == 1 })
	starts := r.srv.CallsTo("StartLiveTail")
	if p := starts[1].String("logEventFilterPattern"); !strings.Contains(p, "protocol=17") {
		t.Errorf("the new session's pattern %q, want protocol=17", p)
	}
	st := k.awaitStatus(t, "pushed udp", func(st feed.Status) bool { v, _ := st.Field(FieldPushed); return v == "udp" })
	_ = st
	r.addLine(t0.Add(30*time.Minute), 5, 17, "ACCEPT")
	r.addLine(t0.Add(30*time.Minute), 6, 6, "ACCEPT")
	r.srv.FlushLiveTail()
	k.expect(t, 5)

	// Everything: the windows fetched under tcp and under udp are fetched again; only
	// what the screen lacks comes (3 and 6), and nothing twice.
	if err := n.Narrow(""); err != nil {
		t.Fatal(err)
	}
	k.expect(t, 3, 6)
	waitUntil(t, "a third session", func() bool { return len(r.srv.CallsTo("StartLiveTail")) == 3 && r.srv.LiveTailSessions() == 1 })
	if p := r.srv.CallsTo("StartLiveTail")[2].String("logEventFilterPattern"); p != "" {
		t.Errorf("the third session's pattern %q, want none", p)
	}
	r.addLine(t0.Add(31*time.Minute), 7, 1, "ACCEPT")
	r.srv.FlushLiveTail()
	k.expect(t, 7)
	k.assertOnce(t, 1, 2, 3, 4, 5, 6, 7)
}

func waitUntil(t *testing.T, what string, ok func() bool) {
	t.Helper()
	limit := time.Now().Add(deadline)
	for !ok() {
		if time.Now().After(limit) {
			t.Fatalf("no %s before the deadline", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// LoadBefore reads the window before the oldest record held into the running source,
// with the session left open, going back past empty windows.
func TestLoadBeforeReadsOlderWindowsWithoutARestart(t *testing.T) {
	r := newRig(t, true)
	r.addLine(t0.Add(-10*time.Minute), 1, 6, "ACCEPT")
	r.addLine(t0.Add(-20*time.Minute), 2, 6, "ACCEPT")
	r.addLine(t0.Add(-70*time.Minute), 3, 6, "ACCEPT")
	f := r.newSource().Start(testContext(t))
	k := collect(t, f)
	k.expect(t, 1)
	r.awaitSessions(1)
	k.awaitStatus(t, "live tail", func(st feed.Status) bool { return st.State == feed.StateLiveTail })
	h := f.(interface{ LoadBefore(time.Time) error })
	if err := h.LoadBefore(t0.Add(-10 * time.Minute)); err != nil {
		t.Fatal(err)
	}
	k.expect(t, 2) // [t0-25m, t0-10m)
	if err := h.LoadBefore(t0.Add(-20 * time.Minute)); err != nil {
		t.Fatal(err)
	}
	k.expect(t, 3) // [t0-40m, t0-25m) is empty; [t0-55m ...) too; then t0-70m
	k.assertOnce(t, 1, 2, 3)
	if n := len(r.srv.CallsTo("StartLiveTail")); n != 1 {
		t.Errorf("%d StartLiveTail calls: the session was restarted", n)
	}
	k.awaitStatus(t, "the note", func(st feed.Status) bool { return strings.Contains(st.Note, "older records, from") })
}

// With --history insights, the history up to a look-back before now comes from Logs
// Insights (the pushed filter in the query), the rest from FilterLogEvents; every
// record once, the bytes scanned in the status.
func TestInsightsReadsTheHistory(t *testing.T) {
	r := newRig(t, true)
	r.cfg.Follow = false
	r.cfg.History = HistoryInsights
	r.cfg.Filter = "reject"
	r.cfg.Since = t0.Add(-2 * time.Hour)
	r.cfg.Until = t0
	var want []int
	for i := 0; i < 120; i++ {
		action := "ACCEPT"
		if i%3 == 0 {
			action = "REJECT"
			want = append(want, 100+i)
		}
		r.addLine(t0.Add(-time.Duration(i)*time.Minute-time.Second), 100+i, 6, action)
	}
	s := r.newSource()
	if !strings.Contains(s.HistoryChoice(), "Logs Insights") {
		t.Errorf("choice %q", s.HistoryChoice())
	}
	k := r.run(s)
	k.expect(t, want...)
	k.assertOnce(t, want...)
	queries := r.srv.CallsTo("StartQuery")
	if len(queries) == 0 || !strings.Contains(queries[0].String("queryString"), `action = "REJECT"`) {
		t.Fatalf("StartQuery calls %v", queries)
	}
	if end, _ := queries[0].Int("endTime"); end != t0.Add(-DefaultLookBack).Unix()-1 {
		t.Errorf("Insights reads up to %d, want a look-back before now", end)
	}
	filters := r.srv.CallsTo("FilterLogEvents")
	if from, _ := filters[0].Int("startTime"); from != t0.Add(-DefaultLookBack).UnixMilli() {
		t.Errorf("FilterLogEvents starts at %d", from)
	}
	st := k.awaitStatus(t, "done", func(st feed.Status) bool { return st.State == feed.StateDone })
	if v, ok := st.Field(FieldScanned); !ok || v == "0 B" {
		t.Errorf("scanned %q", v)
	}
	if s.InsightsStats().BytesScanned <= 0 {
		t.Error("no bytes scanned counted")
	}
}

// auto weighs the span against the group's size, and says which it chose and why.
func TestAutoChoosesByTheGroupsSize(t *testing.T) {
	r := newRig(t, true)
	r.cfg.Follow = false
	r.cfg.History = HistoryAuto
	r.cfg.Since = t0.Add(-time.Hour)
	r.addLine(t0.Add(-time.Minute), 1, 6, "ACCEPT")
	if c := r.newSource().HistoryChoice(); !strings.Contains(c, "auto chose FilterLogEvents") || !strings.Contains(c, "no charge") {
		t.Errorf("a small group: %q", c)
	}
	big := strings.Repeat("x", 1<<20)
	for i := 0; i < 200; i++ {
		r.srv.AddEvents(group, "other", fakeaws.Event{Timestamp: t0.Add(-30 * time.Minute), Message: big})
	}
	if c := r.newSource().HistoryChoice(); !strings.Contains(c, "auto chose Logs Insights") || !strings.Contains(c, "FilterLogEvents pages") {
		t.Errorf("a group of 200 MiB in its first hour: %q", c)
	}
}

// A Logs Insights failure does not lose the records: the window is read with
// FilterLogEvents, and the note says why.
func TestInsightsDeniedFallsBackToFilterLogEvents(t *testing.T) {
	r := newRig(t, true)
	r.cfg.Follow = false
	r.cfg.History = HistoryInsights
	r.cfg.Since = t0.Add(-2 * time.Hour)
	r.cfg.Until = t0
	r.addLine(t0.Add(-90*time.Minute), 1, 6, "ACCEPT")
	r.addLine(t0.Add(-5*time.Minute), 2, 6, "ACCEPT")
	r.srv.FailNext("StartQuery", 1, "AccessDeniedException")
	k := r.run(r.newSource())
	k.expect(t, 1, 2)
	st := k.awaitStatus(t, "done", func(st feed.Status) bool { return st.State == feed.StateDone })
	if !strings.Contains(st.Note, "Logs Insights failed") || !strings.Contains(st.Note, "logs:StartQuery") {
		t.Errorf("note %q", st.Note)
	}
	k.assertOnce(t, 1, 2)
}

// Quitting the explorer stops a Logs Insights query still running: Close returns after
// StopQuery.
func TestCloseStopsARunningQuery(t *testing.T) {
	r := newRig(t, false) // the runner's polls wait for a clock step that never comes
	r.cfg.History = HistoryInsights
	r.cfg.Since = t0.Add(-3 * time.Hour)
	r.addLine(t0.Add(-2*time.Hour), 1, 6, "ACCEPT")
	r.srv.InsightsPolls(1 << 20)
	f := r.newSource().Start(testContext(t))
	go func() {
		for range f.Batches() {
		}
	}()
	waitUntil(t, "a running query", func() bool { return r.srv.RunningQueries() == 1 })
	// The poll is asleep on the test clock.
	f.Close()
	if n := r.srv.RunningQueries(); n != 0 {
		t.Errorf("%d queries still running after Close", n)
	}
}

// The held set answers for what it holds and forgets the oldest minutes past its size.
func TestHeldSetForgetsTheOldestMinutes(t *testing.T) {
	h := newHeldSet(3)
	h.add(1, 60_000)
	h.add(2, 60_500)
	h.add(3, 180_000)
	if !h.has(2, 60_500) || h.has(2, 180_000) || h.has(9, 60_000) {
		t.Error("membership")
	}
	h.add(4, 240_000)
	if h.has(1, 60_000) || !h.has(3, 180_000) || !h.has(4, 240_000) || !h.from.Equal(time.UnixMilli(120_000)) {
		t.Errorf("after the cap: from %v", h.from)
	}
}

// implies is sure only when it can be: a filter "and"-ed onto the old one.
func TestPushImplies(t *testing.T) {
	mk := func(expr string) *pushed {
		n, err := filter.Parse(expr)
		if err != nil {
			t.Fatal(err)
		}
		return &pushed{node: n}
	}
	for _, c := range []struct {
		next, prev string
		want       bool
	}{
		{"tcp addr=10.0.0.1", "tcp", true},
		{"tcp", "tcp addr=10.0.0.1", false},
		{"udp", "tcp", false},
		{"", "tcp", false},
		{"tcp", "", true},
		{"(tcp or udp)", "tcp", false},
	} {
		if got := mk(c.next).implies(mk(c.prev)); got != c.want {
			t.Errorf("%q implies %q = %v", c.next, c.prev, got)
		}
	}
}

// The coverage lists the windows fetched with pushes a new filter does not imply,
// from a look-back before a live span's start, merged, within the floor and ceiling.
func TestCoverageRefetchWindows(t *testing.T) {
	tcp := &pushed{}
	tcp.node, _ = filter.Parse("tcp")
	tcp.live = "x"
	var c coverage
	c.open(t0, tcp, false)
	c.closeOpen(t0.Add(time.Hour))
	c.open(t0.Add(time.Hour), tcp, false)
	c.closeOpen(t0.Add(2 * time.Hour))
	c.open(t0.Add(2*time.Hour), &pushed{}, true)
	c.closeOpen(t0.Add(3 * time.Hour))
	udp := &pushed{}
	udp.node, _ = filter.Parse("udp")
	got := c.refetch(udp, 20*time.Minute, t0, t0.Add(90*time.Minute))
	if want := []window{{t0, t0.Add(90 * time.Minute)}}; !slices.Equal(got, want) {
		t.Errorf("windows %v, want %v", got, want)
	}
	var sure coverage
	sure.open(t0, tcp, false)
	sure.closeOpen(t0.Add(time.Hour))
	narrower := &pushed{}
	narrower.node, _ = filter.Parse("tcp port=22")
	if w := sure.refetch(narrower, time.Minute, t0, time.Time{}); len(w) != 0 {
		t.Errorf("a narrower filter fetches %v again", w)
	}
}
