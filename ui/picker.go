package ui

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/flowlens/flowlens/keymap"
	"github.com/flowlens/flowlens/model"
)

// Picker lets the user choose what to tail when --log-group was given without --eni:
// the group's streams, most recently active first.
type Picker struct {
	Group string
	Items []PickItem
	// Start opens the source for the chosen streams (all of them when empty). It runs on
	// its own goroutine: it talks to AWS.
	Start func(streams []string) (Feed, error)
}

// PickItem is one log stream.
type PickItem struct {
	Name      string // the stream's name (cloudwatch.ListStreams hands it over clean)
	ENI       string // the interface it belongs to, "" when its name names none
	LastEvent time.Time
}

// picker is the state of the choosing screen.
type picker struct {
	spec     *Picker
	query    textinput.Model // edited with the same keys as the filter bar
	shown    []int           // indexes into spec.Items matching the query
	sel, top int
	chosen   map[int]bool
	starting bool
	err      string // why the source did not start (cleaned)
}

// Messages of the picker.
type feedStartedMsg struct {
	feed Feed
	err  error
}

// newPicker takes the streams to offer; what it shows of them is cleaned here, once,
// as it enters the screen (the group comes from the command line, the streams from
// AWS), not while drawing.
func newPicker(spec *Picker) *picker {
	clean := *spec
	clean.Group = model.CleanText(spec.Group)
	clean.Items = make([]PickItem, len(spec.Items))
	for i, it := range spec.Items {
		clean.Items[i] = PickItem{Name: model.CleanText(it.Name), ENI: model.CleanText(it.ENI), LastEvent: it.LastEvent}
	}
	spec = &clean
	in := textinput.New()
	in.Prompt = ""
	in.Placeholder = "part of a stream or interface name"
	in.CharLimit = 256
	p := &picker{spec: spec, query: in, chosen: map[int]bool{}}
	p.refilter()
	return p
}

func (p *picker) refilter() {
	p.shown = p.shown[:0]
	// Stream names hold no spaces: the ones around a query are a paste's line end.
	q := strings.ToLower(strings.TrimSpace(p.query.Value()))
	for i, it := range p.spec.Items {
		if q == "" || strings.Contains(strings.ToLower(it.Name), q) || strings.Contains(strings.ToLower(it.ENI), q) {
			p.shown = append(p.shown, i)
		}
	}
	p.sel = min(p.sel, max(0, len(p.shown)-1))
}

// prefixes is what to tail: the chosen streams, or the highlighted one when none was
// chosen; nil means every stream.
func (p *picker) prefixes() []string {
	var out []string
	for i := range p.spec.Items {
		if p.chosen[i] {
			out = append(out, p.spec.Items[i].Name)
		}
	}
	if len(out) == 0 && len(p.shown) > 0 {
		out = []string{p.spec.Items[p.shown[p.sel]].Name}
	}
	if len(out) == len(p.spec.Items) {
		return nil
	}
	sort.Strings(out)
	return out
}

// handlePickerKey types into the query, moves, chooses, and starts the source. The
// query is typed, so of the other actions only the keys that type nothing work here
// (the arrows, esc, ctrl+c unless rebound).
func (m *Model) handlePickerKey(msg tea.KeyPressMsg) tea.Cmd {
	p := m.picker
	if m.isTyping(msg, keymap.Picker, keymap.Quit) {
		return tea.Quit
	}
	if p.starting {
		return nil
	}
	last := max(0, len(p.shown)-1)
	switch {
	case m.isTyping(msg, keymap.Picker, keymap.Back):
		if p.query.Value() != "" {
			p.query.SetValue("")
			p.refilter()
			return nil
		}
		return tea.Quit
	case m.is(msg, keymap.PickerConfirm):
		if len(p.shown) == 0 && len(p.chosen) == 0 {
			return nil
		}
		p.starting, p.err = true, ""
		prefixes, start := p.prefixes(), p.spec.Start
		return func() tea.Msg {
			feed, err := start(prefixes)
			return feedStartedMsg{feed, err}
		}
	case m.is(msg, keymap.PickerToggle):
		if len(p.shown) > 0 {
			i := p.shown[p.sel]
			p.chosen[i] = !p.chosen[i]
			if !p.chosen[i] {
				delete(p.chosen, i)
			}
			p.sel = min(p.sel+1, last)
		}
	case m.is(msg, keymap.PickerAll):
		all := len(p.chosen) == len(p.spec.Items)
		clear(p.chosen)
		if !all {
			for i := range p.spec.Items {
				p.chosen[i] = true
			}
		}
	case m.isTyping(msg, keymap.Picker, keymap.Up):
		p.sel = max(0, p.sel-1)
	case m.isTyping(msg, keymap.Picker, keymap.Down):
		p.sel = min(last, p.sel+1)
	case m.isTyping(msg, keymap.Picker, keymap.PageUp):
		p.sel = max(0, p.sel-p.rows(m.height))
	case m.isTyping(msg, keymap.Picker, keymap.PageDown):
		p.sel = min(last, p.sel+p.rows(m.height))
	default:
		return p.typeInto(msg)
	}
	return nil
}

// typeInto gives the query a key or a paste, and lists what matches the new query.
func (p *picker) typeInto(msg tea.Msg) tea.Cmd {
	before := p.query.Value()
	var cmd tea.Cmd
	p.query, cmd = p.query.Update(msg)
	if p.query.Value() != before {
		p.refilter()
	}
	return cmd
}

func (m *Model) handleFeedStarted(msg feedStartedMsg) tea.Cmd {
	if msg.err != nil {
		m.picker.starting, m.picker.err = false, model.CleanText(msg.err.Error())
		return nil
	}
	m.opts.Feed = msg.feed
	m.picker = nil
	return m.waitBatch()
}

// rows is the number of streams on screen for a terminal h lines high: the picker's box
// above the filter and status lines, less its border and the lines above the list.
func (p *picker) rows(h int) int { return max(1, h-2-7) }

// clamp keeps the selection on screen (in Update: drawing changes nothing).
func (p *picker) clamp(h int) {
	rows := p.rows(h)
	p.sel = min(p.sel, max(0, len(p.shown)-1))
	if p.sel < p.top {
		p.top = p.sel
	}
	if p.sel >= p.top+rows {
		p.top = p.sel - rows + 1
	}
	p.top = max(0, min(p.top, len(p.shown)-rows))
}

// renderPicker draws the choosing screen.
func (m *Model) renderPicker(w, h int) string {
	s, p := m.styles, m.picker
	rows := p.rows(m.height)
	lines := []string{
		s.Text.Render(fmt.Sprintf(" %s streams in %s, most recently active first. Type to filter; %s chooses, %s chooses all, %s tails.",
			thousands(len(p.spec.Items)), p.spec.Group, m.keys.Label(keymap.PickerToggle), m.keys.Label(keymap.PickerAll), m.keys.Label(keymap.PickerConfirm))),
		" " + s.Key.Render("filter: ") + p.query.View(),
		"",
		s.Header.Render(fmt.Sprintf("    %-40s %-22s %s", "STREAM", "INTERFACE", "LAST EVENT")),
	}
	now := m.now()
	for i := p.top; i < len(p.shown) && i < p.top+rows; i++ {
		it := p.spec.Items[p.shown[i]]
		mark := "[ ]"
		if p.chosen[p.shown[i]] {
			mark = "[x]"
		}
		last := "no events"
		if !it.LastEvent.IsZero() {
			last = it.LastEvent.UTC().Format("2006-01-02 15:04:05") + " UTC, " + age(now.Sub(it.LastEvent))
		}
		line := fmt.Sprintf(" %s %-40s %-22s %s", mark, truncate(it.Name, 40), it.ENI, last)
		if i == p.sel {
			line = s.Selected.Render(line)
		} else {
			line = s.Text.Render(line)
		}
		lines = append(lines, line)
	}
	if len(p.shown) == 0 {
		lines = append(lines, s.Muted.Render("    no stream matches"))
	}
	switch {
	case p.starting:
		lines = append(lines, "", s.Warn.Render(" connecting: reading the history, then Live Tail…"))
	case p.err != "":
		lines = append(lines, "", s.Reject.Render(" "+p.err))
	}
	right := thousands(len(p.chosen)) + " chosen"
	return s.box("Choose interfaces to tail", right, lines, w, h, true)
}
