package ui

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/flowlens/flowlens/feed"
	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/ring"
	"github.com/flowlens/flowlens/model/stats"
)

// settleStats runs the stats view's loop until the recount is done and the panels show
// the counts: what the ticks do in the program.
func settleStats(t testing.TB, m *Model) {
	t.Helper()
	for i := 0; m.mode == modeStats && (m.sv.tr.Pending() > 0 || m.sv.dirty); i++ {
		if i > 10_000 {
			t.Fatal("the recount never ends")
		}
		m.Update(statsTickMsg{m.sv.gen})
	}
}

// arrow keys and shift+tab, which keyMsg does not build
func specialKey(k string) tea.KeyPressMsg {
	switch k {
	case "left":
		return tea.KeyPressMsg{Code: tea.KeyLeft}
	case "right":
		return tea.KeyPressMsg{Code: tea.KeyRight}
	case "shift+tab":
		return tea.KeyPressMsg{Code: tea.KeyTab, Mod: tea.ModShift}
	}
	return keyMsg(k)
}

func pressSpecial(m *Model, keys ...string) {
	for _, k := range keys {
		m.Update(specialKey(k))
	}
}

// naiveTop ranks the held records that match by one address field: flows, then bytes,
// descending, then the address: an independent recount of a panel.
func naiveTop(r *ring.Ring, match func(*model.Flow) bool, dst bool) []stats.PanelRow {
	by := map[netip.Addr]*stats.PanelRow{}
	r.Range(0, func(_ ring.Seq, f *model.Flow) bool {
		if match != nil && !match(f) {
			return true
		}
		a := f.Src()
		if dst {
			a = f.Dst()
		}
		row := by[a]
		if row == nil {
			row = &stats.PanelRow{Addr: a}
			by[a] = row
		}
		row.Flows++
		row.Packets += f.Packets
		row.Bytes += f.Bytes
		if f.Action == model.Reject {
			row.Rejects++
		}
		return true
	})
	var rows []stats.PanelRow
	for _, row := range by {
		rows = append(rows, *row)
	}
	slices.SortFunc(rows, func(a, b stats.PanelRow) int {
		if c := cmp.Compare(b.Flows, a.Flows); c != 0 {
			return c
		}
		if c := cmp.Compare(b.Bytes, a.Bytes); c != 0 {
			return c
		}
		return a.Addr.Compare(b.Addr)
	})
	return rows
}

func checkTop(t *testing.T, step string, got, want []stats.PanelRow) {
	t.Helper()
	if len(got) == 0 || len(got) > len(want) {
		t.Fatalf("%s: %d rows shown of %d", step, len(got), len(want))
	}
	for i := range got {
		g, w := got[i], want[i]
		if g.Addr != w.Addr || g.Flows != w.Flows || g.Bytes != w.Bytes || g.Rejects != w.Rejects || g.Packets != w.Packets {
			t.Fatalf("%s: row %d is %v %d flows %d bytes %d rejects; a recount says %v %d %d %d", step, i,
				g.Addr, g.Flows, g.Bytes, g.Rejects, w.Addr, w.Flows, w.Bytes, w.Rejects)
		}
	}
}

// The panels show what a recount of the ring through the filter gives, as batches
// arrive, records are evicted and the filter changes.
func TestStatsViewCountsTheRingThroughTheFilter(t *testing.T) {
	dark := true
	m := New(Options{Feed: newFakeFeed(), Capacity: 500, Dark: &dark, Now: func() time.Time { return testNow }})
	m.Update(tea.WindowSizeMsg{Width: 160, Height: 48})
	deliver(m, feed.Batch{Records: testRecords(300)})
	press(m, "s")
	if m.mode != modeStats || m.sv.tr == nil {
		t.Fatal("s did not open the stats view")
	}
	settleStats(t, m)
	if tot := m.sv.frame.Totals; tot.Flows != 300 || tot.Rejects != 100 {
		t.Fatalf("totals %+v, want 300 flows and 100 rejects", tot)
	}
	checkTop(t, "opened", m.sv.frame.Panels[stats.Sources], naiveTop(m.ring, nil, false))
	out := screen(m)
	for _, want := range []string{"Top sources", "Top destinations", "Top destination ports", "Rejected destination ports",
		"Top interfaces", "Top conversations", "Scan suspects: most ports", "Scan suspects: most hosts", "443/tcp https", "22/tcp ssh",
		"300 flows", "100 rejected"} {
		if !strings.Contains(out, want) {
			t.Errorf("the stats view lacks %q:\n%s", want, out)
		}
	}

	// A batch that evicts 200 of the 300: the counts follow without a recount.
	deliver(m, feed.Batch{Records: testRecords(400)})
	if m.sv.tr.Pending() != 0 {
		t.Fatal("a batch started a recount")
	}
	settleStats(t, m)
	if tot := m.sv.frame.Totals; tot.Flows != 500 {
		t.Fatalf("after evictions: %d flows, want the 500 held", tot.Flows)
	}
	checkTop(t, "after a batch that evicts", m.sv.frame.Panels[stats.Sources], naiveTop(m.ring, nil, false))
	checkTop(t, "destinations", m.sv.frame.Panels[stats.Destinations], naiveTop(m.ring, nil, true))

	// A filter typed in the stats view: the panels count its records only.
	press(m, "/")
	typeText(m, "reject")
	press(m, "enter")
	settleStats(t, m)
	reject := func(f *model.Flow) bool { return f.Action == model.Reject }
	if m.mode != modeStats || m.sv.frame.Totals.Flows != uint64(m.view.Len()) || m.view.Len() == 0 {
		t.Fatalf("filtered: %d flows counted, %d match", m.sv.frame.Totals.Flows, m.view.Len())
	}
	checkTop(t, "filtered", m.sv.frame.Panels[stats.Sources], naiveTop(m.ring, reject, false))
	for _, row := range m.sv.frame.Panels[stats.Ports] {
		if row.Port != 22 {
			t.Fatalf("port %d in the ports of REJECT records (all to 22)", row.Port)
		}
	}
	press(m, "esc")
	settleStats(t, m)
	if m.bar.applied != "" || m.sv.frame.Totals.Flows != 500 {
		t.Fatalf("esc: filter %q, %d flows", m.bar.applied, m.sv.frame.Totals.Flows)
	}
}

// A recount over many records is spread over updates, says how far it is, and ends with
// the counts a recount at once gives, records arriving and leaving meanwhile.
func TestStatsRecountInSteps(t *testing.T) {
	defer func(b time.Duration) { backfillBudget = b }(backfillBudget)
	backfillBudget = 0 // one step of backfillStep records per update
	dark := true
	const n = 100_000
	m := New(Options{Feed: newFakeFeed(), Capacity: n, Dark: &dark, Now: func() time.Time { return testNow }})
	m.Update(tea.WindowSizeMsg{Width: 160, Height: 48})
	recs := testRecords(n)
	for i := 0; i < n; i += 8192 {
		deliver(m, feed.Batch{Records: recs[i:min(i+8192, n)]})
	}
	cmd := press(m, "s")
	if m.sv.tr.Pending() != n-backfillStep {
		t.Fatalf("after opening: %d to count, want %d", m.sv.tr.Pending(), n-backfillStep)
	}
	if msg := cmd(); msg != (statsTickMsg{m.sv.gen}) {
		t.Fatalf("while counting, the next step must come at once, not after a tick: %#v", msg)
	}
	if out := screen(m); !strings.Contains(out, "counting 16% of 100,000 held…") {
		t.Errorf("no progress shown:\n%s", strings.Split(out, "\n")[0])
	}
	m.Update(statsTickMsg{m.sv.gen})
	deliver(m, feed.Batch{Records: testRecords(3000)}) // evicts records not counted yet
	settleStats(t, m)
	if m.sv.frame.Totals.Flows != n {
		t.Fatalf("after the recount: %d flows, want %d", m.sv.frame.Totals.Flows, n)
	}
	checkTop(t, "recounted in steps", m.sv.frame.Panels[stats.Sources], naiveTop(m.ring, nil, false))
	if strings.Contains(screen(m), "counting") {
		t.Error("the progress is still shown after the recount")
	}
	// A stale loop (of a view opened before) does nothing.
	gen := m.sv.gen
	press(m, "s", "s")
	if cmd := m.sv.tick(); cmd == nil || m.handleStatsTick(statsTickMsg{gen}) != nil {
		t.Error("a stale tick went on")
	}
}

func TestAddTerm(t *testing.T) {
	for _, tc := range []struct{ expr, term, want string }{
		{"", "srcaddr=10.0.0.1", "srcaddr=10.0.0.1"},
		{"reject", "srcaddr=10.0.0.1", "reject srcaddr=10.0.0.1"},
		{"dport=22 or dport=23", "srcaddr=10.0.0.1", "(dport=22 or dport=23) srcaddr=10.0.0.1"},
		{"(a or b) c", "srcaddr=10.0.0.1", "(a or b) c srcaddr=10.0.0.1"},
		{"reject srcaddr=10.0.0.1", "srcaddr=10.0.0.1", "reject srcaddr=10.0.0.1"},
		{"not reject", "dstport=22 protocol=6", "not reject dstport=22 protocol=6"},
	} {
		if got := addTerm(tc.expr, tc.term); got != tc.want {
			t.Errorf("addTerm(%q, %q) = %q, want %q", tc.expr, tc.term, got, tc.want)
		}
	}
}

// Enter on a row adds its value to the flows filter and shows the flows it selects; a
// click on a row does the same.
func TestStatsDrillDown(t *testing.T) {
	m, _ := newTestModel(t, true, 160, 48)
	deliver(m, feed.Batch{Records: testRecords(600)})
	press(m, "/")
	typeText(m, "dport=22 or dport=443")
	press(m, "enter", "s")
	settleStats(t, m)
	top := m.sv.frame.Panels[stats.Sources][0].Addr
	press(m, "enter")
	want := "(dport=22 or dport=443) srcaddr=" + top.String()
	if m.mode != modeFlows || m.bar.applied != want || m.bar.input.Value() != want {
		t.Fatalf("enter: mode %v, filter %q, want %q", m.mode, m.bar.applied, want)
	}
	if m.view.Len() == 0 {
		t.Fatal("the drill-down shows no flows")
	}
	for i := 0; i < m.view.Len(); i++ {
		if m.view.Record(i).Src() != top {
			t.Fatalf("a flow from %v in the flows of %v", m.view.Record(i).Src(), top)
		}
	}
	if !strings.Contains(screen(m), "✓ / "+want) || m.sv.tr != nil {
		t.Errorf("the flows view does not show the filter, or the counts were kept")
	}

	// The ports panel: the port with its protocol; from the conversations: both ends.
	press(m, "esc", "s")
	settleStats(t, m)
	pressSpecial(m, "right", "right")
	press(m, "enter")
	if m.bar.applied != "dstport=443 protocol=6" {
		t.Fatalf("ports: filter %q", m.bar.applied)
	}
	press(m, "esc", "s")
	settleStats(t, m)
	for m.sv.panel() != stats.Conversations {
		press(m, "tab")
	}
	conv := m.sv.frame.Panels[stats.Conversations][0]
	press(m, "enter")
	if m.bar.applied != fmt.Sprintf("addr=%s addr=%s", conv.Addr, conv.Peer) || uint64(m.view.Len()) != conv.Flows {
		t.Fatalf("conversation: filter %q, %d flows, the row said %d", m.bar.applied, m.view.Len(), conv.Flows)
	}

	// A click on the second row of the destinations.
	press(m, "esc", "s")
	settleStats(t, m)
	var cell statsCell
	for _, c := range m.sv.lay.cells {
		if c.panel == stats.Destinations {
			cell = c
		}
	}
	rows := m.sv.frame.Panels[stats.Destinations]
	if len(rows) < 1 {
		t.Fatal("no destinations")
	}
	m.Update(tea.MouseClickMsg{X: cell.rect.x + 3, Y: cell.rect.y + 2, Button: tea.MouseLeft})
	if m.mode != modeFlows || m.bar.applied != "dstaddr="+rows[0].Addr.String() {
		t.Fatalf("click: mode %v filter %q", m.mode, m.bar.applied)
	}
	// A click on a panel's border focuses it and filters nothing.
	press(m, "esc", "s")
	settleStats(t, m)
	m.Update(tea.MouseClickMsg{X: cell.rect.x + 3, Y: cell.rect.y, Button: tea.MouseLeft})
	if m.mode != modeStats || m.sv.panel() != stats.Destinations {
		t.Fatalf("click on the border: mode %v, panel %v", m.mode, m.sv.panel())
	}
}

// The view's keys: panels, expanding one, the metric, and the ways out.
func TestStatsKeys(t *testing.T) {
	m, _ := newTestModel(t, true, 160, 48)
	deliver(m, feed.Batch{Records: testRecords(600)})
	press(m, "s")
	settleStats(t, m)
	pressSpecial(m, "right")
	press(m, "tab")
	if m.sv.panel() != stats.Ports {
		t.Fatalf("right, tab: panel %v", m.sv.panel())
	}
	pressSpecial(m, "shift+tab", "left", "left")
	if m.sv.panel() != stats.ScanHosts {
		t.Fatalf("back three from ports: %v, want the last panel", m.sv.panel())
	}
	pressSpecial(m, "right") // sources
	press(m, "j", "j")
	if m.sv.sel[stats.Sources] != 2 {
		t.Fatalf("j j: row %d", m.sv.sel[stats.Sources])
	}
	press(m, "G")
	if m.sv.sel[stats.Sources] != len(m.sv.frame.Panels[stats.Sources])-1 {
		t.Fatalf("G: row %d of %d", m.sv.sel[stats.Sources], len(m.sv.frame.Panels[stats.Sources]))
	}

	press(m, "z")
	if !m.sv.zoom || len(m.sv.lay.cells) != 1 || len(m.sv.zoomRows) != 250 || m.sv.lay.chart.h != 0 {
		t.Fatalf("z: zoom %v, %d cells, %d rows (of 250 sources)", m.sv.zoom, len(m.sv.lay.cells), len(m.sv.zoomRows))
	}
	press(m, "G")
	if out := screen(m); !strings.Contains(out, "of 250") || m.sv.zoomTop == 0 {
		t.Errorf("the expanded panel does not scroll to its last row (top %d)", m.sv.zoomTop)
	}
	press(m, "esc")
	if m.sv.zoom || m.mode != modeStats {
		t.Fatal("esc did not shrink the expanded panel back")
	}

	for _, want := range []stats.Metric{stats.Bytes, stats.Packets, stats.Rejects, stats.Flows} {
		press(m, "c")
		if m.sv.frame.Metric != want {
			t.Fatalf("c: metric %v, want %v", m.sv.frame.Metric, want)
		}
		rows := m.sv.frame.Panels[stats.Sources]
		for i := 1; i < len(rows); i++ {
			if rows[i-1].Get(want) < rows[i].Get(want) {
				t.Fatalf("ranked by %v: %d then %d", want, rows[i-1].Get(want), rows[i].Get(want))
			}
		}
	}
	press(m, "c", "p")
	if m.mode != modePairs || m.sv.tr != nil {
		t.Fatalf("p from the stats view: mode %v", m.mode)
	}
	press(m, "s")
	if m.mode != modeStats || m.sv.frame.Metric != stats.Bytes {
		t.Fatalf("s from the conversations: mode %v, metric %v (kept: bytes)", m.mode, m.sv.frame.Metric)
	}
	press(m, "s")
	if m.mode != modeFlows || m.sv.tr != nil || !strings.Contains(screen(m), "Flows") {
		t.Fatal("s did not go back to the flows")
	}
	// The help names the view's keys.
	out := strings.Join(m.helpLines(), "\n")
	for _, want := range []string{"Stats view", "flows / stats view", "expand the panel", "rank by flows, bytes, packets or rejects"} {
		if !strings.Contains(out, want) {
			t.Errorf("the help lacks %q", want)
		}
	}
}

// The view's keys are the keymap's: rebound, the new keys work and the old do not.
func TestStatsKeysRebound(t *testing.T) {
	keys := rebound(t, "keys:\n  stats-view: S\n  stats-metric: M\n  stats-expand: x\n  quit: [Q, ctrl+c]\n  malformed: '!'\n")
	dark := true
	m := New(Options{Feed: newFakeFeed(), Keys: keys, Dark: &dark, Now: func() time.Time { return testNow }})
	m.Update(tea.WindowSizeMsg{Width: 160, Height: 48})
	deliver(m, feed.Batch{Records: testRecords(100)})
	press(m, "s")
	if m.mode != modeFlows {
		t.Fatal("s still opens the stats view")
	}
	press(m, "S", "M", "x")
	if m.mode != modeStats || m.sv.metric != stats.Bytes || !m.sv.zoom {
		t.Fatalf("S M x: mode %v metric %v zoom %v", m.mode, m.sv.metric, m.sv.zoom)
	}
	press(m, "c", "z")
	if m.sv.metric != stats.Bytes || !m.sv.zoom {
		t.Fatal("the old keys still act")
	}
}

type fakeNames map[string]string

func (f fakeNames) Addr(a netip.Addr) string   { return f[a.String()] }
func (f fakeNames) Interface(id string) string { return f[id] }

// Names given to the explorer show beside the addresses and interfaces they name.
func TestStatsNames(t *testing.T) {
	dark := true
	names := fakeNames{"10.0.1.5": "db-1", "eni-0a1b2c3d4e5f6a7b0": "ELB app/shop", "203.0.113.50": "scanner?"}
	m := New(Options{Feed: newFakeFeed(), Dark: &dark, Names: names, Now: func() time.Time { return testNow }})
	m.Update(tea.WindowSizeMsg{Width: 200, Height: 48})
	deliver(m, feed.Batch{Records: testRecords(300)})
	press(m, "s")
	settleStats(t, m)
	out := screen(m)
	for _, want := range []string{"10.0.1.5 db-1", "eni-…e5f6a7b0 ELB app/shop", "203.0.113.50 scanner?", "(db-1)"} {
		if !strings.Contains(out, want) {
			t.Errorf("the names lack %q:\n%s", want, out)
		}
	}
	// No names: nothing is made up.
	m2, _ := newTestModel(t, true, 160, 48)
	deliver(m2, feed.Batch{Records: testRecords(300)})
	press(m2, "s")
	settleStats(t, m2)
	if strings.Contains(screen(m2), "db-1") {
		t.Error("a name without a lookup")
	}
}

// The chart's columns: the rejected in whole cells at the bottom, rounded; the accepted
// in eighths above; a bucket with traffic never blank.
func TestChartColumns(t *testing.T) {
	b := func(acc, rej uint64) stats.Bucket {
		return stats.Bucket{Accepted: stats.BucketCounts{Flows: acc}, Rejected: stats.BucketCounts{Flows: rej}}
	}
	h := stats.Histogram{Step: time.Minute, Buckets: []stats.Bucket{b(80, 0), b(0, 80), b(40, 40), b(79, 1), b(1, 0), b(0, 0), b(60, 11)}}
	cols, peak := chartColumns(h, stats.Flows, 8)
	want := []chartColumn{{0, 64}, {8, 0}, {4, 32}, {0, 63}, {0, 1}, {0, 0}, {1, 48}}
	if peak != 80 || !slices.Equal(cols, want) {
		t.Fatalf("columns %v (peak %d), want %v", cols, peak, want)
	}
}

func TestShareBarAndCompact(t *testing.T) {
	for _, tc := range []struct {
		v, total uint64
		want     string
	}{{0, 10, "      "}, {10, 10, "██████"}, {5, 10, "███   "}, {1, 1000, "▏     "}, {1, 3, "██    "}, {7, 16, "██▋   "}} {
		if got := shareBar(tc.v, tc.total, 6); got != tc.want {
			t.Errorf("shareBar(%d, %d) = %q, want %q", tc.v, tc.total, got, tc.want)
		}
	}
	for n, want := range map[uint64]string{0: "0", 99_999: "99,999", 100_000: "100k", 9_999_999: "9999k", 12_345_678: "12.3M", 12_345_678_901: "12G"} {
		if got := compact(n); got != want {
			t.Errorf("compact(%d) = %q, want %q", n, got, want)
		}
	}
}

// TestStatsKeysProgram drives the view's keys through the running program, as a terminal
// sends them: open, move to the destinations, expand, re-rank, shrink, drill down.
func TestStatsKeysProgram(t *testing.T) {
	src := newFakeFeed()
	src.ch <- feed.Batch{Records: testRecords(600), Status: feed.Status{Source: "flows.log", State: feed.StateDone}}
	dark := true
	m := New(Options{Feed: src, Dark: &dark, Now: func() time.Time { return testNow }, ExportDir: t.TempDir()})
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(160, 48))
	waitScreen(t, tm, "600 in ring")
	tm.Type("s")
	waitScreen(t, tm, "Top destinations", "600 flows")
	tm.Send(specialKey("right"))
	tm.Type("zc")
	waitScreen(t, tm, "rows 1-1 of 1", "▾BYTES")
	tm.Send(tea.KeyPressMsg{Code: tea.KeyEscape})
	tm.Send(tea.KeyPressMsg{Code: tea.KeyEnter})
	waitScreen(t, tm, "✓ / dstaddr=10.0.1.5", "600 of 600 match")
	tm.Type("q")
	final := tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second)).(*Model)
	if final.mode != modeFlows || final.bar.applied != "dstaddr=10.0.1.5" || final.sv.tr != nil || final.sv.metric != stats.Bytes {
		t.Fatalf("mode %v, filter %q, metric %v", final.mode, final.bar.applied, final.sv.metric)
	}
}
