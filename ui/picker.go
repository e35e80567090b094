package ui

import (
	"fmt"
	"sort"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/flowlens/flowlens/keymap"
	"github.com/flowlens/flowlens/model/output"
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
	Name      string // the stream's name (untrusted: sanitised before drawing)
	ENI       string // the interface it belongs to, "" when its name names none
	LastEvent time.Time
}

// picker is the state of the choosing screen.
type picker struct {
	spec     *Picker
	query    string
	shown    []int // indexes into spec.Items matching the query
	sel, top int
	chosen   map[int]bool
	starting bool
	err      error
}

// Messages of the picker.
type feedStartedMsg struct {
	feed Feed
	err  error
}

func newPicker(spec *Picker) *picker {
	p := &picker{spec: spec, chosen: map[int]bool{}}
	p.refilter()
	return p
}

func (p *picker) refilter() {
	p.shown = p.shown[:0]
	q := strings.ToLower(p.query)
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

// handlePickerKey types into the query, moves, chooses, and starts the source.
func (m *Model) handlePickerKey(msg tea.KeyPressMsg) tea.Cmd {
	p := m.picker
	if p.starting {
		if msg.String() == "ctrl+c" {
			return tea.Quit
		}
		return nil
	}
	switch {
	case msg.String() == "ctrl+c":
		return tea.Quit
	case msg.String() == "esc":
		if p.query != "" {
			p.query = ""
			p.refilter()
			return nil
		}
		return tea.Quit
	case m.is(msg, keymap.PickerConfirm):
		if len(p.shown) == 0 && len(p.chosen) == 0 {
			return nil
		}
		p.starting, p.err = true, nil
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
			p.sel = min(p.sel+1, len(p.shown)-1)
		}
	case m.is(msg, keymap.PickerAll):
		all := len(p.chosen) == len(p.spec.Items)
		clear(p.chosen)
		if !all {
			for i := range p.spec.Items {
				p.chosen[i] = true
			}
		}
	case msg.String() == "up":
		p.sel = max(0, p.sel-1)
	case msg.String() == "down":
		p.sel = min(max(0, len(p.shown)-1), p.sel+1)
	case msg.String() == "pgup":
		p.sel = max(0, p.sel-10)
	case msg.String() == "pgdown":
		p.sel = min(max(0, len(p.shown)-1), p.sel+10)
	case msg.String() == "backspace":
		if r := []rune(p.query); len(r) > 0 {
			p.query = string(r[:len(r)-1])
			p.refilter()
		}
	default:
		if msg.Text != "" && msg.Mod == 0 {
			p.query += msg.Text
			p.refilter()
		}
	}
	return nil
}

func (m *Model) handleFeedStarted(msg feedStartedMsg) tea.Cmd {
	if msg.err != nil {
		m.picker.starting, m.picker.err = false, msg.err
		return nil
	}
	m.opts.Feed = msg.feed
	m.picker = nil
	return m.waitBatch()
}

// renderPicker draws the choosing screen.
func (m *Model) renderPicker(w, h int) string {
	s, p := m.styles, m.picker
	rows := max(1, h-7)
	if p.sel < p.top {
		p.top = p.sel
	}
	if p.sel >= p.top+rows {
		p.top = p.sel - rows + 1
	}
	lines := []string{
		s.Text.Render(fmt.Sprintf(" %d streams in %s, most recently active first. Type to filter; %s chooses, %s chooses all, %s tails.",
			len(p.spec.Items), output.Sanitize(p.spec.Group), m.keys.Label(keymap.PickerToggle), m.keys.Label(keymap.PickerAll), m.keys.Label(keymap.PickerConfirm))),
		" " + s.Key.Render("filter: ") + s.Text.Render(output.Sanitize(p.query)) + s.Faint.Render("▏"),
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
		line := fmt.Sprintf(" %s %-40s %-22s %s", mark, truncate(output.Sanitize(it.Name), 40), output.Sanitize(it.ENI), last)
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
	case p.err != nil:
		lines = append(lines, "", s.Reject.Render(" "+output.Sanitize(p.err.Error())))
	}
	right := fmt.Sprintf("%d chosen", len(p.chosen))
	return s.box("Choose interfaces to tail", right, lines, w, h, true)
}
