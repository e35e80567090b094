// Package keymap owns every key binding of the explorer: the actions, their default keys,
// their help text, and the user's overrides from the config file. Help screens are
// generated from it, so what the help says is what the keys do.
package keymap

import (
	"fmt"
	"sort"
	"strings"

	"charm.land/bubbles/v2/key"

	"github.com/flowlens/flowlens/model/filter"
)

// Action names a thing a key does. The names are what users write in the config file.
type Action string

// Context is where an action applies: keys may be reused in different contexts (j moves
// in the table and types a j in the filter bar).
type Context string

const (
	Global Context = "global"
	Table  Context = "table"
	Detail Context = "detail"
	Filter Context = "filter"
	Pairs  Context = "pairs"
	Picker Context = "picker"
)

// The actions.
const (
	Up          Action = "up"
	Down        Action = "down"
	PageUp      Action = "page-up"
	PageDown    Action = "page-down"
	Top         Action = "top"
	Bottom      Action = "bottom"
	FocusDetail Action = "focus-detail"
	NextPane    Action = "next-pane"
	OpenFilter  Action = "filter"
	Back        Action = "back"
	Pause       Action = "pause"
	TimeZone    Action = "time-zone"
	Help        Action = "help"
	Quit        Action = "quit"
	Malformed   Action = "malformed"
	ExportJSONL Action = "export-jsonl"
	ExportCSV   Action = "export-csv"
	Reverse     Action = "reverse"
	PairsView   Action = "pairs-view"

	FilterApply   Action = "filter-apply"
	FilterCancel  Action = "filter-cancel"
	HistoryPrev   Action = "history-prev"
	HistoryNext   Action = "history-next"
	PickerToggle  Action = "picker-toggle"
	PickerAll     Action = "picker-all"
	PickerConfirm Action = "picker-confirm"
)

// Binding is one action's keys and help.
type Binding struct {
	Action  Action
	Context Context
	Keys    []string
	Help    string // what it does, for the help screen
}

// defaults lists every action with its default keys, in the order the help shows them.
var defaults = []Binding{
	{Up, Table, []string{"k", "up"}, "move up"},
	{Down, Table, []string{"j", "down"}, "move down"},
	{PageUp, Table, []string{"pgup", "ctrl+b"}, "page up"},
	{PageDown, Table, []string{"pgdown", "ctrl+f"}, "page down"},
	{Top, Table, []string{"g", "home"}, "first row"},
	{Bottom, Table, []string{"G", "end"}, "last row, follow new rows"},
	{FocusDetail, Table, []string{"enter"}, "focus the detail pane"},
	{Reverse, Table, []string{"r"}, "jump to the reverse flow"},
	{NextPane, Global, []string{"tab"}, "next pane"},
	{OpenFilter, Global, []string{"/"}, "filter"},
	{Back, Global, []string{"esc"}, "back / clear the filter"},
	{PairsView, Global, []string{"p"}, "flows / conversations view"},
	{Pause, Global, []string{"space"}, "pause / resume the source"},
	{TimeZone, Global, []string{"t"}, "UTC / local time"},
	{Malformed, Global, []string{"m"}, "malformed lines"},
	{ExportJSONL, Global, []string{"e"}, "export the view (flows or conversations) as JSON Lines"},
	{ExportCSV, Global, []string{"E"}, "export the view (flows or conversations) as CSV"},
	{Help, Global, []string{"?"}, "help"},
	{Quit, Global, []string{"q", "ctrl+c"}, "quit"},

	{FilterApply, Filter, []string{"enter"}, "keep the filter"},
	{FilterCancel, Filter, []string{"esc"}, "clear the filter"},
	{HistoryPrev, Filter, []string{"up"}, "older filter"},
	{HistoryNext, Filter, []string{"down"}, "newer filter"},

	{PickerToggle, Picker, []string{"space"}, "choose / unchoose"},
	{PickerAll, Picker, []string{"ctrl+a"}, "choose all"},
	{PickerConfirm, Picker, []string{"enter"}, "tail the chosen interfaces"},
}

// Map holds the bindings in effect.
type Map struct {
	bindings []Binding
	byAction map[Action]int
}

// Default returns the default bindings.
func Default() *Map {
	m := &Map{byAction: map[Action]int{}}
	for _, b := range defaults {
		b.Keys = append([]string(nil), b.Keys...)
		m.byAction[b.Action] = len(m.bindings)
		m.bindings = append(m.bindings, b)
	}
	return m
}

// Override rebinds actions by name, as the config file gives them. It returns what it
// could not do, one message each (an unknown action, a key already taken in the same
// context); those overrides are skipped and the defaults stay, so a typo in the config
// never leaves the explorer without a way to quit.
func (m *Map) Override(keys map[string][]string) []string {
	var problems []string
	names := make([]string, 0, len(keys))
	for n := range keys {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		i, ok := m.byAction[Action(name)]
		if !ok {
			problems = append(problems, fmt.Sprintf("unknown action %q in the key config%s", name, suggestAction(name)))
			continue
		}
		want := keys[name]
		if len(want) == 0 {
			problems = append(problems, fmt.Sprintf("action %q has no keys in the key config; keeping %s", name, strings.Join(m.bindings[i].Keys, ", ")))
			continue
		}
		old := m.bindings[i].Keys
		m.bindings[i].Keys = want
		if c := m.conflict(i); c != "" {
			m.bindings[i].Keys = old
			problems = append(problems, c)
		}
	}
	return problems
}

// conflict reports a key of binding i that another binding of an overlapping context
// also uses.
func (m *Map) conflict(i int) string {
	b := m.bindings[i]
	for j, o := range m.bindings {
		if j == i || !overlap(b.Context, o.Context) {
			continue
		}
		for _, k := range b.Keys {
			for _, ok := range o.Keys {
				if k == ok {
					return fmt.Sprintf("key %q for %q is already bound to %q; keeping %q on %s", k, b.Action, o.Action, b.Action, strings.Join(m.defaultKeys(b.Action), ", "))
				}
			}
		}
	}
	return ""
}

// overlap reports whether keys of two contexts can be pressed in the same place: the
// global keys work in the table, detail and pairs panes, not while typing a filter or in
// the picker.
func overlap(a, b Context) bool {
	if a == b {
		return true
	}
	panes := map[Context]bool{Table: true, Detail: true, Pairs: true}
	return a == Global && panes[b] || b == Global && panes[a]
}

func (m *Map) defaultKeys(a Action) []string {
	for _, b := range defaults {
		if b.Action == a {
			return b.Keys
		}
	}
	return nil
}

func suggestAction(name string) string {
	names := make([]string, len(defaults))
	for i, b := range defaults {
		names[i] = string(b.Action)
	}
	if best := filter.Suggest(name, names); best != "" {
		return fmt.Sprintf(", did you mean %q?", best)
	}
	return ""
}

// Key returns the bubbles binding of an action, for matching key presses.
func (m *Map) Key(a Action) key.Binding {
	b := m.bindings[m.byAction[a]]
	return key.NewBinding(key.WithKeys(b.Keys...), key.WithHelp(displayKeys(b.Keys), b.Help))
}

// Bindings lists the bindings of a context in help order.
func (m *Map) Bindings(c Context) []Binding {
	var out []Binding
	for _, b := range m.bindings {
		if b.Context == c {
			out = append(out, b)
		}
	}
	return out
}

// Actions lists every action name, for documentation and config validation.
func Actions() []Action {
	out := make([]Action, len(defaults))
	for i, b := range defaults {
		out[i] = b.Action
	}
	return out
}

// Label is how the help shows an action's keys, e.g. "j/↓".
func (m *Map) Label(a Action) string { return displayKeys(m.bindings[m.byAction[a]].Keys) }

func displayKeys(keys []string) string {
	pretty := map[string]string{"up": "↑", "down": "↓", "left": "←", "right": "→", "pgup": "PgUp", "pgdown": "PgDn", "home": "Home", "end": "End", "enter": "Enter", "esc": "Esc", "tab": "Tab", "space": "Space"}
	out := make([]string, len(keys))
	for i, k := range keys {
		if p, ok := pretty[k]; ok {
			k = p
		}
		out[i] = k
	}
	return strings.Join(out, "/")
}

// Markdown writes the bindings as the README's key table, so the README can be checked
// against the keys in effect.
func (m *Map) Markdown() string {
	var b strings.Builder
	b.WriteString("| where | keys | action | does |\n|---|---|---|---|\n")
	for _, c := range []Context{Global, Table, Filter, Pairs, Picker} {
		for _, bd := range m.Bindings(c) {
			keys := make([]string, len(bd.Keys))
			for i, k := range bd.Keys {
				keys[i] = "`" + k + "`"
			}
			fmt.Fprintf(&b, "| %s | %s | `%s` | %s |\n", c, strings.Join(keys, " "), bd.Action, bd.Help)
		}
	}
	return b.String()
}
