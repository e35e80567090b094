package ui

import (
	"errors"
	"fmt"
	"strings"

	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/flowlens/flowlens/model/filter"
)

// filterBar is the line where the filter is typed. It applies the expression as the user
// types (after a short pause, see debounce), shows whether it is valid and, if not, where
// and why; enter keeps it, esc clears it, up and down walk the history.
type filterBar struct {
	input   textinput.Model
	active  bool
	err     error
	warn    string // what in the applied expression probably does not say what was meant
	applied string // the expression the table shows now (the last valid one)
	history []string
	histPos int // len(history) when not browsing
	width   int
	gen     int // increases with every edit; a debounce tick applies only the latest
}

// maxHistory bounds the remembered filters.
const maxHistory = 100

// newFilterBar makes the bar; helpKey is the key of the help, which the placeholder
// points to.
func newFilterBar(helpKey string) filterBar {
	in := textinput.New()
	in.Prompt = ""
	in.Placeholder = "action=REJECT dstport=22, 10.0.0.0/8, proto=tcp, flags=syn ... (see " + helpKey + " for help)"
	in.CharLimit = 4096
	return filterBar{input: in}
}

func (f *filterBar) SetSize(w int) {
	f.width = w
	f.input.SetWidth(max(10, w/2))
}

func (f *filterBar) setStyles(s Styles) { f.input.SetStyles(inputStyles(s)) }

// inputStyles are the styles of the text inputs (the filter bar, the picker's query).
func inputStyles(s Styles) textinput.Styles {
	st := textinput.DefaultStyles(s.dark)
	st.Cursor.Blink = false // a steady cursor: no timer messages, stable screenshots
	st.Focused.Text = s.Text
	st.Focused.Placeholder = s.Faint
	st.Blurred.Text = s.Text
	st.Blurred.Placeholder = s.Faint
	return st
}

func (f *filterBar) focus() tea.Cmd {
	f.active = true
	f.histPos = len(f.history)
	f.input.CursorEnd()
	return f.input.Focus()
}

func (f *filterBar) blur() {
	f.active = false
	f.input.Blur()
}

// remember puts an expression on top of the history.
func (f *filterBar) remember(expr string) {
	if expr == "" {
		return
	}
	if n := len(f.history); n > 0 && f.history[n-1] == expr {
		f.histPos = len(f.history)
		return
	}
	f.history = append(f.history, expr)
	if len(f.history) > maxHistory {
		f.history = f.history[len(f.history)-maxHistory:]
	}
	f.histPos = len(f.history)
}

// browse moves through the history by delta; it reports whether the text changed.
func (f *filterBar) browse(delta int) bool {
	if len(f.history) == 0 {
		return false
	}
	pos := min(max(f.histPos+delta, 0), len(f.history))
	if pos == f.histPos {
		return false
	}
	f.histPos = pos
	text := ""
	if pos < len(f.history) {
		text = f.history[pos]
	}
	f.input.SetValue(text)
	f.input.CursorEnd()
	return true
}

// Render draws the bar: a marker that says valid or invalid, the input, and the count of
// matches or the error.
// key is the label of the filter key (/ unless rebound); what counts the matches
// ("" for records, "conversations" in the pairs view).
func (f *filterBar) Render(s Styles, key string, matches, total int, filtered bool, what string) string {
	var marker, right, showing string
	switch {
	case f.err != nil:
		marker = s.Invalid.Render("✗ " + key)
		right = s.Invalid.Render(errorText(f.err))
		// The table keeps the last valid expression, which may be a prefix of what is
		// typed ("no" on the way to "not"): say which, so rows are not misread.
		showing = s.Muted.Render("showing all")
		if filtered {
			// A long expression is shortened, not the count after it.
			showing = s.Muted.Render("showing " + truncate(f.applied, 40) + ": " + matchCount(matches, total, what))
		}
	case f.active || filtered:
		marker = s.Valid.Render("✓ " + key)
		if filtered {
			right = s.Muted.Render(matchCount(matches, total, what))
		}
		if f.warn != "" {
			right = s.Warn.Render("! "+f.warn) + "  " + right
		}
	default:
		marker = s.Muted.Render("  " + key)
	}
	var body string
	if f.active {
		body = f.input.View()
	} else if f.input.Value() != "" {
		body = s.Text.Render(f.input.Value())
	} else {
		body = s.Faint.Render("to filter, e.g. action=REJECT dstport=22")
	}
	left := marker + " " + body
	lw := ansi.StringWidth(left)
	rw := ansi.StringWidth(right)
	if f.err != nil && lw+rw+2 > f.width {
		// The error does not fit beside the input: it is wrapped onto lines above it,
		// whole (up to maxErrorLines), instead of being cut.
		var b strings.Builder
		for _, l := range f.errorLines() {
			b.WriteString(fit("  "+s.Invalid.Render(l), f.width) + "\n")
		}
		if sw := ansi.StringWidth(showing); lw+sw+2 <= f.width {
			return b.String() + fit(left+spaces(f.width-lw-sw)+showing, f.width)
		}
		return b.String() + fit(left, f.width)
	}
	if showing != "" {
		right += "  " + showing
		rw = ansi.StringWidth(right)
	}
	if lw+rw+2 > f.width {
		right = ansi.Truncate(right, max(0, f.width-lw-2), "…")
		rw = ansi.StringWidth(right)
	}
	return fit(left+spaces(f.width-lw-rw)+right, f.width)
}

// maxErrorLines bounds the lines a filter error takes above the bar.
const maxErrorLines = 4

// errorLines is the error wrapped to the bar's width (an indent aside), at most
// maxErrorLines, the last marked with … when more would follow.
func (f *filterBar) errorLines() []string {
	w := max(10, f.width-2)
	var lines []string
	var fe *filter.Error
	if errors.As(f.err, &fe) {
		lines = fe.Lines(w)
	} else {
		lines = strings.Split(ansi.Wordwrap(f.err.Error(), w, ""), "\n")
	}
	if len(lines) > maxErrorLines {
		lines = lines[:maxErrorLines]
		lines[maxErrorLines-1] = ansi.Truncate(lines[maxErrorLines-1], w-1, "") + "…"
	}
	return lines
}

// matchCount says how many match: "3 of 10 match", "1 of 10 matches", "1 of 1
// conversation matches", "7 of 9 conversations match"; what is the plural noun ("" for
// records, which go without saying).
func matchCount(matches, total int, what string) string {
	verb := "match"
	if matches == 1 {
		verb = "matches"
	}
	noun := ""
	if what != "" {
		noun = " " + what
		if total == 1 {
			noun = " " + strings.TrimSuffix(what, "s")
		}
	}
	return fmt.Sprintf("%s of %s%s %s", thousands(matches), thousands(total), noun, verb)
}

// warningText is the first warning of a compiled expression, for the bar; "" when none.
func warningText(warnings []*filter.Error) string {
	if len(warnings) == 0 {
		return ""
	}
	w := warnings[0]
	return w.Msg + ", " + w.Hint
}

func errorText(err error) string {
	var fe *filter.Error
	if errors.As(err, &fe) {
		return fe.Error()
	}
	return err.Error()
}

func spaces(n int) string {
	if n <= 0 {
		return " "
	}
	b := make([]byte, n)
	for i := range b {
		b[i] = ' '
	}
	return string(b)
}
