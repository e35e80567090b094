package ui_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/flowlens/flowlens/model/stats"
	"github.com/flowlens/flowlens/source"
	"github.com/flowlens/flowlens/ui"
)

var testNow = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

// TestDemoProgram runs the whole Bubble Tea program over the demo source: the wiring a
// user gets with --demo, minus the terminal. It lives outside package ui, which never
// imports the sources.
func TestDemoProgram(t *testing.T) {
	feed, err := source.OpenDemo(context.Background(), testNow)
	if err != nil {
		t.Fatal(err)
	}
	dark := true
	m := ui.New(ui.Options{Feed: feed, Dark: &dark, Now: func() time.Time { return testNow }, ExportDir: t.TempDir()})
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(160, 48))
	ui.WaitScreen(t, tm, "replaying", "in ring", "demo: incident")

	tm.Type("/")
	tm.Type("reject")
	ui.WaitScreen(t, tm, "reject", "match")

	tm.Send(tea.KeyPressMsg{Code: tea.KeyEnter})
	tm.Send(tea.KeyPressMsg{Code: 'q', Text: "q"})
	final := tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second)).(*ui.Model)
	if final.Held() < 2000 {
		t.Fatalf("the demo delivered only %d records", final.Held())
	}
	shown, filtered := final.Shown()
	if !filtered || len(shown) == 0 || len(shown) >= final.Held() {
		t.Fatalf("the typed filter: %d of %d", len(shown), final.Held())
	}
	for _, r := range shown {
		if r.Action.String() != "REJECT" {
			t.Fatalf("a %s record passed the reject filter", r.Action)
		}
	}
}

// TestDemoStatsProgram opens the stats view in the real program on the demo's whole
// incident (the replay delivers it over two minutes; here it comes at once): the two
// scanners and the SSH brute force's source show. TestDemoStatsCounts judges the counts.
func TestDemoStatsProgram(t *testing.T) {
	recs, err := source.DemoRecords()
	if err != nil {
		t.Fatal(err)
	}
	feed, w := source.NewWriter(context.Background(), false)
	w.Add(recs, nil)
	w.Close()
	dark := true
	m := ui.New(ui.Options{Feed: feed, Dark: &dark, Now: func() time.Time { return testNow }, ExportDir: t.TempDir()})
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(160, 48))
	ui.WaitScreen(t, tm, "in ring")
	tm.Type("s")
	ui.WaitScreen(t, tm, "Scan suspects: most ports", "Top conversations", "192.0.2.13", "203.0.113.99", "203.0.113.66")
	tm.Type("q")
	if final := tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second)).(*ui.Model); final.StatsTop(stats.ScanPorts) == nil {
		t.Fatal("the stats view closed")
	}
}

// TestDemoStatsCounts: over every record of the demo, the two scanners lead the port
// scans with the 20 ports each swept, and the SSH brute force is the busiest
// conversation. The records are taken in here, not by a program, which q may stop
// before the last batch is in.
func TestDemoStatsCounts(t *testing.T) {
	recs, err := source.DemoRecords()
	if err != nil {
		t.Fatal(err)
	}
	feed, w := source.NewWriter(context.Background(), false)
	defer w.Close()
	dark := true
	m := ui.New(ui.Options{Feed: feed, Dark: &dark, Now: func() time.Time { return testNow }, ExportDir: t.TempDir()})
	m.Update(tea.WindowSizeMsg{Width: 160, Height: 48})
	m.Take(recs)
	if m.Held() != len(recs) {
		t.Fatalf("%d of the demo's %d records held", m.Held(), len(recs))
	}
	m.Update(tea.KeyPressMsg{Code: 's', Text: "s"})
	scans := m.StatsTop(stats.ScanPorts)
	if len(scans) < 3 {
		t.Fatalf("%d port scan suspects", len(scans))
	}
	got := []string{scans[0].Addr.String(), scans[1].Addr.String()}
	slices.Sort(got)
	if got[0] != "192.0.2.13" || got[1] != "203.0.113.99" || scans[0].Distinct != 20 || scans[1].Distinct != 20 || scans[2].Distinct >= 20 {
		t.Errorf("port scans: %v %d, %v %d, then %v %d", scans[0].Addr, scans[0].Distinct, scans[1].Addr, scans[1].Distinct, scans[2].Addr, scans[2].Distinct)
	}
	if conv := m.StatsTop(stats.Conversations); len(conv) == 0 || conv[0].Peer.String() != "203.0.113.66" {
		t.Errorf("the top conversation is not the SSH brute force's: %v", conv)
	}
}

// TestDemoStatsDrillDown: Enter on the top source shows its flows, filtered to it.
func TestDemoStatsDrillDown(t *testing.T) {
	feed, err := source.OpenDemo(context.Background(), testNow)
	if err != nil {
		t.Fatal(err)
	}
	dark := true
	m := ui.New(ui.Options{Feed: feed, Dark: &dark, Now: func() time.Time { return testNow }, ExportDir: t.TempDir()})
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(160, 48))
	ui.WaitScreen(t, tm, "replaying", "in ring")
	tm.Type("s")
	ui.WaitScreen(t, tm, "Top sources")
	tm.Send(tea.KeyPressMsg{Code: tea.KeyEnter})
	ui.WaitScreen(t, tm, "✓ / srcaddr=", "Flows")
	tm.Type("q")
	final := tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second)).(*ui.Model)
	src, ok := strings.CutPrefix(final.Filter(), "srcaddr=")
	shown, filtered := final.Shown()
	if !ok || !filtered || len(shown) == 0 {
		t.Fatalf("filter %q, %d shown", final.Filter(), len(shown))
	}
	for _, r := range shown {
		if r.Src().String() != src {
			t.Fatalf("a record from %v in the flows of %s", r.Src(), src)
		}
	}
}

// TestDemoSortAndTicketProgram runs the sort and the ticket in the whole program, where
// the sort and the writing run as commands on their own goroutines: o sorts (the title
// says the order is frozen), T asks for the path, enter writes the ticket.
func TestDemoSortAndTicketProgram(t *testing.T) {
	recs, err := source.DemoRecords()
	if err != nil {
		t.Fatal(err)
	}
	dark := true
	dir := t.TempDir()
	feed, w := source.NewWriter(context.Background(), false)
	w.Add(recs, nil)
	w.Close()
	m := ui.New(ui.Options{Feed: feed, Dark: &dark, Now: func() time.Time { return testNow }, ExportDir: dir, Command: "flowlens --demo"})
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(160, 48))
	ui.WaitScreen(t, tm, "in ring")
	tm.Type("o")
	ui.WaitScreen(t, tm, "by time", "order frozen")
	tm.Type("T")
	ui.WaitScreen(t, tm, "write the ticket (Markdown) to:")
	tm.Send(tea.KeyPressMsg{Code: tea.KeyEnter})
	ui.WaitScreen(t, tm, "ticket written to")
	tm.Send(tea.KeyPressMsg{Code: 'q', Text: "q"})
	tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second))
	files, _ := filepath.Glob(filepath.Join(dir, "flowlens-ticket-*.md"))
	if len(files) != 1 {
		t.Fatalf("%d tickets written", len(files))
	}
	data, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"## Verdict", "## Records", "flowlens --demo --filter '"} {
		if !strings.Contains(string(data), want) {
			t.Errorf("the ticket lacks %q:\n%s", want, data)
		}
	}
}
