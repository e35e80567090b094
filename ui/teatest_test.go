package ui

import (
	"bytes"
	"context"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/flowlens/flowlens/source"
)

// TestDemoProgram runs the whole Bubble Tea program over the demo source: the wiring a
// user gets with --demo, minus the terminal.
func TestDemoProgram(t *testing.T) {
	feed, err := source.OpenDemo(context.Background(), testNow)
	if err != nil {
		t.Fatal(err)
	}
	dark := true
	m := New(Options{Feed: feed, Dark: &dark, Now: func() time.Time { return testNow }, ExportDir: t.TempDir()})
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(160, 48))
	waitScreen(t, tm, "replaying", "in ring", "demo: incident")

	tm.Type("/")
	tm.Type("reject")
	waitScreen(t, tm, "reject", "match")

	tm.Send(tea.KeyPressMsg{Code: tea.KeyEnter})
	tm.Send(tea.KeyPressMsg{Code: 'q', Text: "q"})
	final := tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second)).(*Model)
	if final.ring.Len() < 2000 {
		t.Fatalf("the demo delivered only %d records", final.ring.Len())
	}
	if !final.view.Filtered() || final.view.Len() == 0 || final.view.Len() >= final.ring.Len() {
		t.Fatalf("the typed filter: %d of %d", final.view.Len(), final.ring.Len())
	}
	for i := 0; i < final.view.Len(); i++ {
		if r := final.view.Record(i); r.Action.String() != "REJECT" {
			t.Fatalf("a %s record passed the reject filter", r.Action)
		}
	}
}

func waitScreen(t *testing.T, tm *teatest.TestModel, want ...string) {
	t.Helper()
	teatest.WaitFor(t, tm.Output(), func(out []byte) bool {
		for _, w := range want {
			if !bytes.Contains(out, []byte(w)) {
				return false
			}
		}
		return true
	}, teatest.WithDuration(15*time.Second), teatest.WithCheckInterval(50*time.Millisecond))
}
