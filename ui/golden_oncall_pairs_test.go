package ui

import (
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/flowlens/flowlens/feed"
)

// The golden frames of the on-call views, as text (the frame to read when reviewing a
// change; the colours are those of TestGolden's panes), each pane as drawn on the
// screen, so that a change of another pane (the flows table, the status bar) leaves
// them be: the verdict pane with both ends linked by the rules and inferred without
// them, zoomed (the screen but its last two lines), and scrolled to its wrapped rules;
// the conversations sorted, collapsed, a group expanded, with names, at a wide and the
// narrow size.
// Update with: go test ./ui/ -run 'TestGoldenVerdict|TestGoldenConversations' -update
func TestGoldenVerdict(t *testing.T) {
	cases := []struct {
		name string
		w, h int
		bare bool
		keys []string
	}{
		{"linked-160x48", 160, 48, false, []string{"g"}},                // the app's end: died at the db's
		{"inferred-100x30", 100, 30, true, []string{"g", "tab", "tab"}}, // no rules: linked by the records
		{"zoom-100x30", 100, 30, false, []string{"G", "v"}},             // the db's end, over the screen
		{"wrapped-rule-100x30", 100, 30, false, []string{"G", "tab", "tab"}},
		{"conversations-linked-100x30", 100, 30, false, []string{"p"}}, // both rows read sg
		{"conversations-app-row-100x30", 100, 30, false, []string{"p", "j", "tab", "tab"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, _ := linkedModel(t, c.w, c.h, c.bare)
			pressDone(m, c.keys...)
			if c.name == "wrapped-rule-100x30" {
				// Scrolled down to the rules.
				for i, l := range m.verdict.screen {
					if strings.HasPrefix(l.text, "Rules (") {
						m.verdict.scroll(i)
						break
					}
				}
				if m.verdict.offset == 0 {
					t.Fatal("no rules in the pane")
				}
			}
			golden.RequireEqual(t, paneFrame(m))
		})
	}
}

// paneFrame is the text of what a test looks at: the zoomed verdict pane (the screen
// but the filter and status bars), the conversations pane when it has the focus, or
// the verdict pane.
func paneFrame(m *Model) string {
	switch {
	case m.zoomed():
		lines := strings.Split(ansi.Strip(m.View().Content), "\n")
		return strings.Join(lines[:len(lines)-2], "\n")
	case m.mode == modePairs && m.focus == paneTable:
		return ansi.Strip(m.pv.Render(m.styles, true, m.local, m.pairs.Len()))
	}
	return ansi.Strip(m.verdict.Render(m.styles, m.focus == paneVerdict))
}

func TestGoldenConversations(t *testing.T) {
	cases := []struct {
		name string
		w, h int
		keys []string
		open bool // expand the brute force's group
	}{
		{"by-bytes-160x48", 160, 48, []string{"p", "o", "o", "o"}, false},
		{"worst-first-100x30", 100, 30, []string{"p"}, false},
		{"collapsed-100x30", 100, 30, []string{"p", "c"}, false},
		{"expanded-160x48", 160, 48, []string{"p", "c"}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dark := true
			names := fakeNames{"10.0.1.5": "web-1", "10.0.1.9": "jump-legacy", "eni-0c0ffee0c0ffee001": "jump-legacy", "203.0.113.66": "scanner?"}
			m := New(Options{Feed: newFakeFeed(), Dark: &dark, Names: names, Now: func() time.Time { return testNow }, ExportDir: t.TempDir()})
			m.Update(tea.WindowSizeMsg{Width: c.w, Height: c.h})
			deliver(m, feed.Batch{Records: incidentRecords(1200), Status: feed.Status{Source: "flows.log", State: feed.StateDone}})
			pressDone(m, c.keys...)
			if c.open {
				for i := 0; i < m.pv.lines() && m.pv.groups[m.pv.items[m.pv.sel].group].n != 120; i++ {
					pressDone(m, "j")
				}
				pressDone(m, "enter")
			}
			golden.RequireEqual(t, paneFrame(m))
		})
	}
}
