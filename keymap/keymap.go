// Package keymap owns every key binding of the explorer: the actions, their default keys,
// their help text, and the user's overrides from the config file. Help screens are
// generated from it, so what the help says is what the keys do.
package keymap

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"charm.land/bubbles/v2/key"

	"github.com/flowlens/flowlens/model/filter"
)

// Action names a thing a key does. The names are what users write in the config file.
type Action string

// Context is where an action applies: keys may be reused in different contexts (j moves
// in the table and types a j in the filter bar).
type Context string

const (
	Global Context = "global" // the panes and the overlays
	Move   Context = "move"   // moving in the tables, the detail and verdict panes, the overlays
	Table  Context = "table"  // the flows table
	Pairs  Context = "pairs"  // the conversations list
	Lists  Context = "lists"  // both lists, the flows table and the conversations: one binding rebinds both
	Stats  Context = "stats"  // the stats view's panels
	Filter Context = "filter" // typing a filter
	Picker Context = "picker" // choosing the log streams to tail, typing to narrow them
	Prompt Context = "prompt" // typing the path an export, a ticket or the queries are written to
)

// contexts are all the contexts, in the order the README's key table lists them.
var contexts = []Context{Global, Move, Table, Pairs, Lists, Stats, Filter, Picker, Prompt}

// typing are the contexts where keys type text, and the actions of other contexts that
// still work there, by their keys that type nothing: ctrl+c quits while a filter is
// typed, the arrows move through the streams while their names are typed.
var typing = map[Context][]Action{
	Filter: {Quit},
	Picker: {Quit, Back, Up, Down, PageUp, PageDown},
	Prompt: {Quit},
}

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
	Queries     Action = "queries"
	Reverse     Action = "reverse"
	PairsView   Action = "pairs-view"
	PairsOpen   Action = "pairs-open"
	StatsView   Action = "stats-view"
	StatsNext   Action = "stats-next-panel"
	StatsPrev   Action = "stats-prev-panel"
	StatsExpand Action = "stats-expand"
	StatsMetric Action = "stats-metric"
	StatsDrill  Action = "stats-drill"

	// The lists' order (the flows table and the conversations): the next column, the
	// other way round, and sorting again to take in what arrived while the order held
	// still.
	Sort        Action = "sort"
	SortReverse Action = "sort-reverse"
	Resort      Action = "resort"
	// The conversations' repeated rows folded into groups.
	PairsCollapse Action = "pairs-collapse"
	// The verdict pane over the whole screen; the rules read or fetched again.
	VerdictZoom Action = "verdict-zoom"
	ReloadRules Action = "reload-rules"
	// Handing over: a Markdown ticket of the selected verdict, the raw records.
	Ticket    Action = "ticket"
	ExportRaw Action = "export-raw"

	PromptConfirm Action = "prompt-confirm"
	PromptCancel  Action = "prompt-cancel"

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
	{Up, Move, []string{"k", "up"}, "move up; above the first row, older records if the source has them"},
	{Down, Move, []string{"j", "down"}, "move down"},
	{PageUp, Move, []string{"pgup", "ctrl+b"}, "page up"},
	{PageDown, Move, []string{"pgdown", "ctrl+f"}, "page down"},
	{Top, Move, []string{"g", "home"}, "first row"},
	{Bottom, Move, []string{"G", "end"}, "last row, follow new rows"},
	{FocusDetail, Table, []string{"enter"}, "focus the detail pane"},
	{Reverse, Table, []string{"r"}, "jump to the reverse flow"},
	{PairsOpen, Pairs, []string{"enter"}, "the conversation's newest record in the flows table"},
	{StatsNext, Stats, []string{"right"}, "next panel (tab too)"},
	{StatsPrev, Stats, []string{"left", "shift+tab"}, "previous panel"},
	{StatsExpand, Stats, []string{"z"}, "expand the panel to the whole screen, or back"},
	{StatsMetric, Stats, []string{"c"}, "rank by flows, bytes, packets or rejects (cycles)"},
	{StatsDrill, Stats, []string{"enter"}, "add the row to the filter (srcaddr=...) and show its flows; a click does the same"},
	{PairsCollapse, Pairs, []string{"c"}, "fold repeated conversations (same initiator, responder and port, protocol, verdict) into one row with a count, or unfold; enter on a group lists its conversations or folds them again"},
	{Sort, Lists, []string{"o"}, "sort by the next column (time, bytes, packets, count, verdict, ...; then arrival order), shown in the header; the order holds still while records arrive"},
	{SortReverse, Lists, []string{"O"}, "reverse the sort"},
	{Resort, Lists, []string{"u"}, "sort again, taking in the records that arrived since the order was held"},
	{NextPane, Global, []string{"tab"}, "next pane"},
	{OpenFilter, Global, []string{"/"}, "filter"},
	{Back, Global, []string{"esc"}, "cancel what runs (a refilter, a listing, an export) / back / clear the filter"},
	{PairsView, Global, []string{"p"}, "flows / conversations view"},
	{StatsView, Global, []string{"s"}, "flows / stats view: top talkers, ports, scans, rejects over time"},
	{Pause, Global, []string{"space"}, "pause / resume the source"},
	{TimeZone, Global, []string{"t"}, "UTC / local time"},
	{Malformed, Global, []string{"m"}, "malformed lines"},
	{VerdictZoom, Global, []string{"v"}, "the verdict pane over the whole screen, or back"},
	{ReloadRules, Global, []string{"R"}, "reload the rules: read the --rules files again, fetch --live-rules again"},
	{ExportJSONL, Global, []string{"e"}, "export the view (flows or conversations) as JSON Lines"},
	{ExportCSV, Global, []string{"E"}, "export the view (flows or conversations) as CSV"},
	{ExportRaw, Global, []string{"w"}, "write the flows in view as flow-log text with its header line: flowlens FILE opens the same records"},
	{Ticket, Global, []string{"T"}, "write a Markdown ticket of the selected verdict (both ends, the rule, the fix, the records) and copy it (OSC 52)"},
	{Queries, Global, []string{"y"}, "write the view's filter as a Logs Insights query, a filter pattern, Athena SQL and an alarm to a file (asks where) and the clipboard"},
	{Help, Global, []string{"?"}, "help"},
	{Quit, Global, []string{"q", "ctrl+c"}, "quit; a key that types nothing (ctrl+c) quits even while typing"},

	{FilterApply, Filter, []string{"enter"}, "keep the filter"},
	{FilterCancel, Filter, []string{"esc"}, "clear the filter"},
	{HistoryPrev, Filter, []string{"up"}, "older filter"},
	{HistoryNext, Filter, []string{"down"}, "newer filter"},

	{PickerToggle, Picker, []string{"space"}, "choose / unchoose"},
	{PickerAll, Picker, []string{"ctrl+a"}, "choose all"},
	{PickerConfirm, Picker, []string{"enter"}, "tail the chosen interfaces"},

	{PromptConfirm, Prompt, []string{"enter"}, "write to the path typed"},
	{PromptCancel, Prompt, []string{"esc"}, "cancel"},
}

// Map holds the bindings in effect.
type Map struct {
	bindings []Binding
	byAction map[Action]int
	// keys and typingKeys are the bubbles bindings of each action, built when the keys
	// change, not on every key press
	keys, typingKeys []key.Binding
}

// Default returns the default bindings.
func Default() *Map {
	m := &Map{byAction: map[Action]int{}}
	for _, b := range defaults {
		b.Keys = append([]string(nil), b.Keys...)
		m.byAction[b.Action] = len(m.bindings)
		m.bindings = append(m.bindings, b)
	}
	m.build()
	return m
}

// build makes the bubbles bindings of every action.
func (m *Map) build() {
	m.keys = make([]key.Binding, len(m.bindings))
	m.typingKeys = make([]key.Binding, len(m.bindings))
	for i, b := range m.bindings {
		m.keys[i] = key.NewBinding(key.WithKeys(b.Keys...), key.WithHelp(displayKeys(b.Keys), b.Help))
		var quiet []string
		for _, k := range b.Keys {
			if !Types(k) {
				quiet = append(quiet, k)
			}
		}
		m.typingKeys[i] = key.NewBinding(key.WithKeys(quiet...), key.WithHelp(displayKeys(quiet), b.Help))
		if len(quiet) == 0 {
			m.typingKeys[i].SetEnabled(false)
		}
	}
}

// Types reports whether a key types text where text is typed: a printable character or
// the space bar. Such keys go to the text; an action's other keys still act.
func Types(k string) bool {
	if k == "space" {
		return true
	}
	r, size := utf8.DecodeRuneInString(k)
	return size == len(k) && r != utf8.RuneError && unicode.IsPrint(r)
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
		if bad := badKey(want); bad != "" {
			problems = append(problems, fmt.Sprintf("%q for %q is not a key name; keeping %s", bad, name, strings.Join(m.bindings[i].Keys, ", ")))
			continue
		}
		old := m.bindings[i].Keys
		m.bindings[i].Keys = want
		if c := m.conflict(i); c != "" {
			m.bindings[i].Keys = old
			problems = append(problems, c)
		}
	}
	m.build()
	return problems
}

// badKey returns a key that cannot be a key name: the config file is the user's, but a
// name with control characters could never be pressed, and would be drawn in the help.
func badKey(keys []string) string {
	for _, k := range keys {
		if k == "" || !utf8.ValidString(k) || strings.ContainsFunc(k, unicode.IsControl) {
			return k
		}
	}
	return ""
}

// conflict reports a key of binding i that another binding pressed in the same place
// also uses.
func (m *Map) conflict(i int) string {
	b := m.bindings[i]
	for j, o := range m.bindings {
		if j == i {
			continue
		}
		for _, k := range b.Keys {
			for _, ok := range o.Keys {
				if k == ok && samePlace(b, o, k) {
					return fmt.Sprintf("key %q for %q is already bound to %q; keeping %q on %s", k, b.Action, o.Action, b.Action, strings.Join(m.defaultKeys(b.Action), ", "))
				}
			}
		}
	}
	return ""
}

// samePlace reports whether key k of two bindings can be pressed in the same place: the
// global and movement keys work in the tables, the panes and the overlays; while text is
// typed, only the keys of the actions that reach there and type nothing.
func samePlace(a, b Binding, k string) bool {
	if a.Context == b.Context {
		return true
	}
	panes := func(c Context) bool { return c == Global || c == Move }
	view := func(c Context) bool { return c == Table || c == Pairs || c == Lists || c == Stats }
	lists := func(c Context) bool { return c == Table || c == Pairs }
	if a.Context == Lists && lists(b.Context) || b.Context == Lists && lists(a.Context) {
		return true
	}
	if panes(a.Context) && (panes(b.Context) || view(b.Context)) || panes(b.Context) && view(a.Context) {
		return true
	}
	reaches := func(x, y Binding) bool { return slices.Contains(typing[y.Context], x.Action) && !Types(k) }
	return reaches(a, b) || reaches(b, a)
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

// Key returns the bubbles binding of an action, for matching key presses; its help is
// the keys as the help screen shows them and what the action does.
func (m *Map) Key(a Action) key.Binding { return m.keys[m.byAction[a]] }

// TypingKey returns the binding of an action of another context where text is typed
// (c is Filter or Picker): only its keys that type nothing (ctrl+c of quit, the arrows
// of up and down). It matches nothing when the action does not reach c.
func (m *Map) TypingKey(c Context, a Action) key.Binding {
	if !slices.Contains(typing[c], a) {
		return key.NewBinding(key.WithDisabled())
	}
	return m.typingKeys[m.byAction[a]]
}

// Help lists the bindings of a context in help order, as bubbles bindings (the keys and
// what they do in Help()).
func (m *Map) Help(c Context) []key.Binding {
	var out []key.Binding
	for i, b := range m.bindings {
		if b.Context == c {
			out = append(out, m.keys[i])
		}
	}
	return out
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

// Short is an action's first key, for hints in running text ("G to follow").
func (m *Map) Short(a Action) string { return displayKeys(m.bindings[m.byAction[a]].Keys[:1]) }

func displayKeys(keys []string) string {
	pretty := map[string]string{"up": "↑", "down": "↓", "left": "←", "right": "→", "pgup": "PgUp", "pgdown": "PgDn", "home": "Home", "end": "End", "enter": "Enter", "esc": "Esc", "tab": "Tab", "shift+tab": "Shift+Tab", "space": "Space"}
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
	for _, c := range contexts {
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
