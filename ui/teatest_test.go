package ui_test

import (
	"context"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/exp/teatest/v2"

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
