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
