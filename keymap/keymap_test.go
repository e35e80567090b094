package keymap

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"charm.land/bubbles/v2/key"
)

func TestDefaultsHaveNoConflicts(t *testing.T) {
	m := Default()
	for i := range m.bindings {
		if c := m.conflict(i); c != "" {
			t.Errorf("default bindings conflict: %s", c)
		}
	}
}

func TestOverride(t *testing.T) {
	m := Default()
	problems := m.Override(map[string][]string{
		"quit":   {"x", "ctrl+c"},
		"qiut":   {"z"},
		"top":    {"j"}, // j is "down" in the table
		"filter": {},
		"help":   {"F1"},
	})
	if len(problems) != 3 {
		t.Fatalf("problems %q", problems)
	}
	joined := strings.Join(problems, "\n")
	for _, want := range []string{`unknown action "qiut" in the key config, did you mean "quit"?`, `key "j" for "top" is already bound to "down"`, `action "filter" has no keys`} {
		if !strings.Contains(joined, want) {
			t.Errorf("missing %q in\n%s", want, joined)
		}
	}
	if !key.Matches(keyString("x"), m.Key(Quit)) || key.Matches(keyString("q"), m.Key(Quit)) {
		t.Error("quit was not rebound to x")
	}
	if !key.Matches(keyString("g"), m.Key(Top)) || key.Matches(keyString("j"), m.Key(Top)) {
		t.Error("a conflicting override replaced the default")
	}
	if m.Label(Help) != "F1" || m.Label(Up) != "k/↑" {
		t.Errorf("labels %q %q", m.Label(Help), m.Label(Up))
	}
}

type keyString string

func (k keyString) String() string { return string(k) }

func TestLoadConfig(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config.yaml")
	os.WriteFile(path, []byte("keys:\n  quit: [x, ctrl+c]\n  filter: \"f\"\n"), 0o644)
	keys, err := LoadConfig(path)
	if err != nil || strings.Join(keys["quit"], ",") != "x,ctrl+c" || strings.Join(keys["filter"], ",") != "f" {
		t.Fatalf("%v %v", keys, err)
	}
	if keys, err := LoadConfig(filepath.Join(dir, "none.yaml")); err != nil || keys != nil {
		t.Fatalf("a missing file: %v %v", keys, err)
	}
	os.WriteFile(path, []byte("keys:\n  quit: {a: b}\n"), 0o644)
	if _, err := LoadConfig(path); err == nil || !strings.Contains(err.Error(), "config.yaml") {
		t.Fatalf("a bad file: %v", err)
	}
	t.Setenv("XDG_CONFIG_HOME", dir)
	if ConfigPath() != filepath.Join(dir, "flowlens", "config.yaml") {
		t.Fatal(ConfigPath())
	}
}

func TestTypesAndTypingKeys(t *testing.T) {
	for k, want := range map[string]bool{"q": true, "G": true, "?": true, "é": true, "space": true,
		"ctrl+c": false, "up": false, "esc": false, "enter": false, "f1": false, "alt+x": false} {
		if Types(k) != want {
			t.Errorf("Types(%q) = %v", k, !want)
		}
	}
	m := Default()
	quit := m.TypingKey(Filter, Quit)
	if !key.Matches(keyString("ctrl+c"), quit) || key.Matches(keyString("q"), quit) {
		t.Errorf("quit while typing a filter: %v", quit.Keys())
	}
	if up := m.TypingKey(Picker, Up); !key.Matches(keyString("up"), up) || key.Matches(keyString("k"), up) {
		t.Errorf("up in the picker: %v", up.Keys())
	}
	if key.Matches(keyString("up"), m.TypingKey(Filter, Up)) {
		t.Error("up moves while a filter is typed; it walks the history there")
	}
	// A rebinding reaches the typing contexts too.
	m.Override(map[string][]string{"quit": {"x", "ctrl+q"}})
	if !key.Matches(keyString("ctrl+q"), m.TypingKey(Picker, Quit)) || key.Matches(keyString("ctrl+c"), m.TypingKey(Picker, Quit)) {
		t.Error("the rebound quit does not reach the picker")
	}
}

// Keys are checked against every place they can be pressed: a key that types nothing
// reaches the filter bar and the picker.
func TestOverrideConflictsWhereTextIsTyped(t *testing.T) {
	m := Default()
	problems := m.Override(map[string][]string{
		"filter-apply":  {"ctrl+c"}, // quits while typing
		"picker-toggle": {"down"},   // moves in the picker
		"history-prev":  {"k"},      // types a k: no conflict with up
		"pairs-open":    {"i"},
	})
	joined := strings.Join(problems, "\n")
	if len(problems) != 2 || !strings.Contains(joined, `key "ctrl+c" for "filter-apply" is already bound to "quit"`) ||
		!strings.Contains(joined, `key "down" for "picker-toggle" is already bound to "down"`) {
		t.Fatalf("problems:\n%s", joined)
	}
	if !key.Matches(keyString("k"), m.Key(HistoryPrev)) || !key.Matches(keyString("i"), m.Key(PairsOpen)) {
		t.Error("the overrides without conflict were not applied")
	}
	// A key name with control characters is refused: it could never be pressed, and the
	// help would draw it.
	problems = m.Override(map[string][]string{"help": {"\x1b]52;c;aGk=\a"}})
	if len(problems) != 1 || !strings.Contains(problems[0], "is not a key name") || m.Label(Help) != "?" {
		t.Fatalf("%q, label %q", problems, m.Label(Help))
	}
}

func TestHelpComesAsBubblesBindings(t *testing.T) {
	m := Default()
	m.Override(map[string][]string{"reverse": {"X"}})
	var found bool
	for _, b := range m.Help(Table) {
		if b.Help().Desc == "jump to the reverse flow" {
			found = b.Help().Key == "X"
		}
	}
	if !found {
		t.Error("the help does not show the rebound key")
	}
	for _, c := range []Context{Global, Move, Table, Pairs, Lists, Filter, Picker, Prompt} {
		if len(m.Help(c)) == 0 {
			t.Errorf("context %s has no bindings", c)
		}
	}
}

// The stats view's keys live beside the global and movement keys, as the tables' do:
// rebinding one onto a global or a movement key is refused, while enter serves the
// flows table, the conversations and the stats view each in its own place.
func TestStatsKeysShareThePanesPlace(t *testing.T) {
	m := Default()
	problems := m.Override(map[string][]string{
		"stats-metric": {"q"}, // quit
		"stats-expand": {"j"}, // down
		"stats-view":   {"c"}, // stats-metric, pressed where the global keys are
	})
	if len(problems) != 3 {
		t.Fatalf("problems %q", problems)
	}
	for _, want := range []string{`key "q" for "stats-metric" is already bound to "quit"`, `key "j" for "stats-expand" is already bound to "down"`,
		`key "c" for "stats-view" is already bound to "stats-metric"`} {
		if !strings.Contains(strings.Join(problems, "\n"), want) {
			t.Errorf("missing %q in %q", want, problems)
		}
	}
	if problems := m.Override(map[string][]string{"stats-drill": {"enter"}, "stats-metric": {"b"}}); len(problems) != 0 {
		t.Fatalf("enter in the stats view, b for the metric: %q", problems)
	}
	if !strings.Contains(m.Markdown(), "| stats | `b` | `stats-metric` |") {
		t.Errorf("the key table lacks the stats view's rebound key:\n%s", m.Markdown())
	}
}

// The lists' keys are pressed in both lists: rebinding sort onto the table's reverse
// key, or the conversations' enter, is a conflict; onto a stats key it is not.
func TestListsKeysConflictInBothLists(t *testing.T) {
	m := Default()
	problems := m.Override(map[string][]string{"sort": {"r"}, "sort-reverse": {"enter"}, "resort": {"z"}})
	joined := strings.Join(problems, "\n")
	if len(problems) != 2 || !strings.Contains(joined, `key "r" for "sort" is already bound to "reverse"`) ||
		!strings.Contains(joined, `key "enter" for "sort-reverse"`) {
		t.Fatalf("problems:\n%s", joined)
	}
	if !key.Matches(keyString("z"), m.Key(Resort)) {
		t.Error("resort was not rebound to z, a key of another view")
	}
}

// The README's key table lists every binding: a context left out of it (the lists' sort
// keys once were) leaves keys a reader cannot find.
func TestMarkdownListsEveryBinding(t *testing.T) {
	m := Default()
	table := m.Markdown()
	for _, b := range defaults {
		keys := make([]string, len(b.Keys))
		for i, k := range b.Keys {
			keys[i] = "`" + k + "`"
		}
		row := "| " + string(b.Context) + " | " + strings.Join(keys, " ") + " | `" + string(b.Action) + "` | "
		if !strings.Contains(table, row) {
			t.Errorf("no row %q in the key table", row)
		}
	}
}
