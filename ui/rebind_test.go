package ui

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/flowlens/flowlens/feed"
	"github.com/flowlens/flowlens/keymap"
	"github.com/flowlens/flowlens/model"
)

// rebound loads a key config the way the explorer does at start.
func rebound(t *testing.T, config string) *keymap.Map {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	overrides, err := keymap.LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	keys := keymap.Default()
	if problems := keys.Override(overrides); len(problems) > 0 {
		t.Fatalf("the config has problems: %q", problems)
	}
	return keys
}

// A key rebound in the config works everywhere its action does, and the old key no
// longer does: in the table, in the help, in the filter bar, the quit key while typing.
func TestReboundKeysWorkEverywhere(t *testing.T) {
	keys := rebound(t, `keys:
  quit: [x, ctrl+q]
  up: [i, up]
  down: [n, down]
  filter: f
  help: h
  bottom: [B, end]
`)
	src := newFakeFeed()
	src.ch <- feed.Batch{Records: testRecords(50), Status: feed.Status{Source: "flows.log", State: feed.StateReading}}
	dark := true
	m := New(Options{Feed: src, Keys: keys, Dark: &dark, Now: func() time.Time { return testNow }, ExportDir: t.TempDir()})
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(160, 48))
	waitScreen(t, tm, "50 in ring")

	// The keys are handled in the order they are sent; only the first batch had to be
	// waited for.
	tm.Type("g")
	tm.Type("nnj") // j is not a key any more: nothing happens
	tm.Type("i")
	tm.Type("h")
	tm.Type("x") // a quit key that types: it closes the help
	tm.Type("f")
	tm.Type("reject")
	tm.Send(tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl}) // not quit any more: nothing
	tm.Type(" dport=22")
	tm.Send(tea.KeyPressMsg{Code: 'q', Mod: tea.ModCtrl}) // quits while typing
	final := tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second)).(*Model)
	if final.table.sel != 1 || final.table.following {
		t.Errorf("g n n j i: row %d, following %v; want row 1", final.table.sel, final.table.following)
	}
	if final.overlay != overlayNone || !final.bar.active || final.bar.input.Value() != "reject dport=22" {
		t.Errorf("overlay %v, filter bar active %v with %q", final.overlay, final.bar.active, final.bar.input.Value())
	}
}

// The help and the hints on screen name the keys in effect.
func TestReboundKeysAreWhatTheScreenSays(t *testing.T) {
	keys := rebound(t, `keys:
  quit: [x, ctrl+q]
  up: [i, up]
  help: h
  bottom: [B, end]
  malformed: M
`)
	dark := true
	m := New(Options{Feed: newFakeFeed(), Keys: keys, Dark: &dark, Now: func() time.Time { return testNow }})
	m.Update(tea.WindowSizeMsg{Width: 160, Height: 48})
	p := model.NewParser("bad.log", nil)
	var r model.Flow
	p.Parse([]byte("garbage"), &r)
	deliver(m, feed.Batch{Records: testRecords(50), Stats: *p.Stats()})
	press(m, "i")
	out := screen(m)
	for _, want := range []string{"not following: B to follow", "malformed 1 (M)", "h help"} {
		if !strings.Contains(out, want) {
			t.Errorf("the screen lacks %q:\n%s", want, lastLines(out, 2))
		}
	}
	press(m, "h")
	out = screen(m)
	for _, want := range []string{"i/↑", "x/ctrl+q", "B/End", "Esc closes"} {
		if !strings.Contains(out, want) {
			t.Errorf("the help lacks %q", want)
		}
	}
	press(m, "x")
	if m.overlay != overlayNone {
		t.Error("x did not close the help")
	}
	m.Update(tea.WindowSizeMsg{Width: 50, Height: 10})
	if !strings.Contains(screen(m), "x quits") {
		t.Errorf("the too-small screen names another quit key:\n%s", screen(m))
	}
}

// The picker answers to the rebound movement and back keys that type nothing; the
// ones that type go to its query.
func TestReboundKeysInThePicker(t *testing.T) {
	keys := rebound(t, `keys:
  down: [j, ctrl+n]
  back: [ctrl+g]
  quit: [q, ctrl+d]
`)
	dark := true
	spec := &Picker{Group: "/vpc/flows", Items: []PickItem{{Name: "eni-0a-all", ENI: "eni-0a"}, {Name: "eni-0b-all", ENI: "eni-0b"}, {Name: "eni-0c-all", ENI: "eni-0c"}}}
	m := New(Options{Picker: spec, Keys: keys, Dark: &dark, Now: func() time.Time { return testNow }})
	m.Init()
	m.Update(tea.WindowSizeMsg{Width: 100, Height: 30})
	press(m, "ctrl+n")
	if m.picker.sel != 1 {
		t.Fatalf("ctrl+n did not move down: %d", m.picker.sel)
	}
	press(m, "down") // no longer bound
	typeText(m, "j") // types
	if m.picker.sel != 0 || m.picker.query.Value() != "j" {
		t.Fatalf("sel %d, query %q", m.picker.sel, m.picker.query.Value())
	}
	press(m, "backspace")
	typeText(m, "0c")
	if len(m.picker.shown) != 1 {
		t.Fatalf("the query 0c shows %d streams", len(m.picker.shown))
	}
	if cmd := press(m, "esc"); cmd != nil || m.picker.query.Value() != "0c" {
		t.Fatalf("esc, no longer back, acted: query %q", m.picker.query.Value())
	}
	press(m, "ctrl+g")
	if m.picker.query.Value() != "" || len(m.picker.shown) != 3 {
		t.Fatalf("ctrl+g did not clear the query: %q", m.picker.query.Value())
	}
	if cmd := press(m, "ctrl+c"); cmd != nil {
		t.Fatal("ctrl+c, no longer quit, quits the picker")
	}
	if cmd := press(m, "ctrl+d"); cmd == nil || !isQuit(cmd) {
		t.Fatal("ctrl+d does not quit the picker")
	}
	if !strings.Contains(screen(m), "Choose interfaces to tail") {
		t.Fatal("the picker is not shown")
	}
}

// waitScreen waits until the program's output shows every want.
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

func isQuit(cmd tea.Cmd) bool {
	_, ok := cmd().(tea.QuitMsg)
	return ok
}
