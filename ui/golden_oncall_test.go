package ui

import (
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/flowlens/flowlens/feed"
)

// noColorFrame is what a NO_COLOR terminal receives: colours dropped, attributes kept.
func noColorFrame(t *testing.T, frame string) string {
	t.Helper()
	var b strings.Builder
	w := &colorprofile.Writer{Forward: &b, Profile: colorprofile.Ascii}
	if _, err := w.WriteString(frame); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// onCallModel holds the incident records with names, at w x h, NO_COLOR.
func onCallModel(t *testing.T, w, h int) *Model {
	t.Helper()
	dark := true
	names := fakeNames{"10.0.1.5": "web-1", "10.0.1.9": "jump-legacy", "eni-0c0ffee0c0ffee001": "jump-legacy"}
	m := New(Options{Feed: newFakeFeed(), Dark: &dark, NoColor: true, Names: names, Now: func() time.Time { return testNow }, ExportDir: "/tmp/exports"})
	m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	deliver(m, feed.Batch{Records: incidentRecords(300), Status: feed.Status{Source: "flows.log", State: feed.StateDone}})
	return m
}

// The on-call frames, NO_COLOR: what must show without colour. Each has its text (the
// one to read when reviewing) and the frame as the terminal receives it (attributes).
// Update with: go test ./ui/ -run TestGoldenOnCall -update
func TestGoldenOnCall(t *testing.T) {
	frames := map[string]func(t *testing.T) (*Model, string){
		// The table sorted by bytes, biggest first: ▼ in the header, the order in the
		// title; the selected row marked ▶, a rejected one still bold; names beside
		// the addresses and the interface.
		"sorted-by-bytes": func(t *testing.T) (*Model, string) {
			m := onCallModel(t, 160, 30)
			l := &loop{t: t, m: m}
			for m.table.sortBy.col != colBytes || !m.table.sorted() {
				l.send(keyMsg("o"))
			}
			press(m, "j", "j")
			return m, m.View().Content
		},
		// The detail pane focused: » and a heavy border on it, none on the table,
		// whose selected row keeps its ▶.
		"detail-focused": func(t *testing.T) (*Model, string) {
			m := onCallModel(t, 160, 30)
			press(m, "k", "tab")
			return m, m.View().Content
		},
		// 100x30 with an export's path in the status bar: the state and the source
		// stay first; the message takes the room left, cut in the middle so that the
		// file's name shows, and the fields after it come back when it expires.
		"narrow-status-message": func(t *testing.T) (*Model, string) {
			m := onCallModel(t, 100, 30)
			m.Update(exportedMsg{path: "/tmp/exports/incident-2024-05-01/flowlens-20240501-120000.jsonl", n: 1})
			return m, m.View().Content
		},
		// A long filter error at 180 columns, wrapped above the bar, not cut.
		"filter-error-wrapped": func(t *testing.T) (*Model, string) {
			m := onCallModel(t, 180, 30)
			press(m, "/")
			typeText(m, "dport=22 and start>=yesterdayish")
			m.Update(debounceMsg{gen: m.bar.gen})
			return m, m.View().Content
		},
	}
	for name, make := range frames {
		t.Run(name, func(t *testing.T) {
			_, frame := make(t)
			nc := noColorFrame(t, frame)
			t.Run("text", func(t *testing.T) { golden.RequireEqual(t, ansi.Strip(nc)) })
			t.Run("no-color", func(t *testing.T) { golden.RequireEqual(t, nc) })
		})
	}
}

// What the golden frames show, asserted, so that an -update cannot bless a frame that
// lost them.
func TestOnCallFramesShowTheirMarks(t *testing.T) {
	m := onCallModel(t, 160, 30)
	l := &loop{t: t, m: m}
	for m.table.sortBy.col != colBytes || !m.table.sorted() {
		l.send(keyMsg("o"))
	}
	out := screen(m)
	if !strings.Contains(out, "▼BYTES") || !strings.Contains(out, "» Flows · by bytes ▼ · order frozen") {
		t.Errorf("the sort is not in the header and title:\n%s", out)
	}
	if !strings.Contains(out, "web-1") {
		t.Errorf("no names in the table:\n%s", out)
	}
	sel := ""
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, "▶") {
			sel = l
		}
	}
	if sel == "" {
		t.Fatalf("no row is marked:\n%s", out)
	}
	// A selected REJECT row: bold (and reverse) on its action, in NO_COLOR.
	press(m, "/")
	typeText(m, "reject")
	press(m, "enter")
	nc := noColorFrame(t, m.View().Content)
	if !strings.Contains(nc, "\x1b[1;7mREJECT") {
		t.Errorf("a selected REJECT lost its mark without colour:\n%q", nc)
	}

	press(m, "tab")
	out = screen(m)
	if !strings.Contains(out, "┏ » Detail") || strings.Contains(out, "» Flows") || !strings.Contains(out, "┌ Flows") {
		t.Errorf("the focus is not marked on the detail alone:\n%s", out)
	}

	m = onCallModel(t, 180, 30)
	press(m, "/")
	typeText(m, "dport=22 and start>=yesterdayish")
	m.Update(debounceMsg{gen: m.bar.gen})
	out = screen(m)
	if strings.Contains(lastLines(out, 4), "…") || !strings.Contains(out, "2024-05-01T10:30:00Z) or Unix seconds") {
		t.Errorf("the filter error is cut:\n%s", lastLines(out, 4))
	}
	if lines := strings.Split(out, "\n"); len(lines) != 30 {
		t.Errorf("the frame has %d lines, want 30", len(lines))
	}
}
