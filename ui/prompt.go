package ui

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/flowlens/flowlens/keymap"
)

// pathPrompt asks where an export, a ticket or the queries go: one line, in place of the filter
// bar, with the default path filled in; Enter writes there, Esc cancels. A relative
// path is relative to the export directory (the working directory unless the explorer
// was given one), ~/ is the home directory, and a directory gets the default name.
type pathPrompt struct {
	input textinput.Model
	kind  string // "jsonl", "csv", "raw", "ticket" or "queries"
	what  string // what is written, for the prompt: "the flows as CSV"
	name  string // the default file name
}

// exportTarget is where the user chose to write: the path typed and the default name,
// for a path that turns out to be a directory.
type exportTarget struct{ path, name string }

// exportName is the default file name of an export of kind at now.
func exportName(kind string, conversations bool, now time.Time) string {
	base := "flowlens-"
	if conversations {
		base += "pairs-"
	}
	if kind == "ticket" || kind == "queries" {
		base = "flowlens-" + kind + "-"
	}
	ext := map[string]string{"jsonl": "jsonl", "csv": "csv", "raw": "log", "ticket": "md", "queries": "txt"}[kind]
	return base + now.UTC().Format("20060102-150405") + "." + ext
}

// askExport opens the prompt for an export of kind: the records in view (or, in the
// conversations view, the conversations; "raw" is always the flows table's records).
func (m *Model) askExport(kind string) tea.Cmd {
	what := map[string]string{"jsonl": "the flows as JSON Lines", "csv": "the flows as CSV", "raw": "the flows as flow-log text"}[kind]
	if m.mode == modePairs && kind != "raw" {
		what = strings.Replace(what, "the flows", "the conversations", 1)
	} else if m.mode == modePairs {
		what = "the flows table's records as flow-log text"
	}
	return m.askPath(kind, what)
}

// askTicket opens the prompt for the ticket of the selected record's conversation.
func (m *Model) askTicket() tea.Cmd {
	if r, _ := m.selectedRecord(); r == nil {
		m.notify("no ticket: no record is selected", true, 5*time.Second)
		return nil
	}
	return m.askPath("ticket", "the ticket (Markdown)")
}

// askPath opens the prompt for an export, a ticket or the queries.
func (m *Model) askPath(kind, what string) tea.Cmd {
	name := exportName(kind, m.mode == modePairs && kind != "ticket" && kind != "raw" && kind != "queries", m.now())
	in := textinput.New()
	in.Prompt = ""
	in.CharLimit = 4096
	in.SetStyles(inputStyles(m.styles))
	in.SetValue(filepath.Join(m.opts.ExportDir, name))
	in.CursorEnd()
	m.prompt = &pathPrompt{input: in, kind: kind, what: what, name: name}
	m.layoutPrompt()
	return m.prompt.input.Focus()
}

// layoutPrompt gives the input the width the line leaves it.
func (m *Model) layoutPrompt() {
	if m.prompt == nil {
		return
	}
	m.prompt.input.SetWidth(max(10, m.width-ansi.StringWidth(m.prompt.label())-ansi.StringWidth(m.promptHint())-3))
}

func (p *pathPrompt) label() string { return "write " + p.what + " to: " }

func (m *Model) promptHint() string {
	return m.keys.Label(keymap.PromptConfirm) + " writes · " + m.keys.Label(keymap.PromptCancel) + " cancels"
}

// handlePromptKey edits the path; Enter starts the writing, Esc cancels.
func (m *Model) handlePromptKey(msg tea.KeyPressMsg) tea.Cmd {
	p := m.prompt
	switch {
	case m.is(msg, keymap.PromptConfirm):
		m.prompt = nil
		to := exportTarget{path: m.resolvePath(p.input.Value(), p.name), name: p.name}
		switch p.kind {
		case "ticket":
			m.startTicket(to)
		case "queries":
			return m.writeQueries(to)
		default:
			m.export(p.kind, to)
		}
		return nil
	case m.is(msg, keymap.PromptCancel):
		m.prompt = nil
		m.notify("nothing written", false, 3*time.Second)
		return nil
	case m.isTyping(msg, keymap.Prompt, keymap.Quit):
		return m.quit()
	}
	var cmd tea.Cmd
	p.input, cmd = p.input.Update(msg)
	return cmd
}

// resolvePath reads a path as typed: empty is the default name, ~/ the home directory,
// a relative path relative to the export directory. It does no I/O (whether the path
// is a directory is for writeTo to find out, off the update loop).
func (m *Model) resolvePath(typed, name string) string {
	path := strings.TrimSpace(typed)
	if path == "" {
		path = name
	}
	if rest, ok := strings.CutPrefix(path, "~"+string(filepath.Separator)); ok || path == "~" {
		if home, err := os.UserHomeDir(); err == nil {
			path = filepath.Join(home, rest)
		}
	}
	if !filepath.IsAbs(path) && m.opts.ExportDir != "" {
		path = filepath.Join(m.opts.ExportDir, path)
	}
	return path
}

// renderPrompt draws the prompt's line.
func (m *Model) renderPrompt() string {
	p := m.prompt
	left := m.styles.Key.Render(p.label()) + p.input.View()
	hint := m.styles.Muted.Render(m.promptHint())
	lw, hw := ansi.StringWidth(left), ansi.StringWidth(hint)
	return fit(left+spaces(m.width-lw-hw)+hint, m.width)
}

// writeTo creates a new file at path and fills it with write; it returns the path
// written. A path that is a directory (or ends with a separator) gets name in it; a
// file that exists is never overwritten: the name gets -2, -3 ... (writeNew).
func writeTo(path, name string, write func(io.Writer) error) (string, error) {
	if strings.HasSuffix(path, string(filepath.Separator)) {
		path = filepath.Join(path, name)
	} else if st, err := os.Stat(path); err == nil && st.IsDir() {
		path = filepath.Join(path, name)
	}
	dir, file := filepath.Split(path)
	ext := filepath.Ext(file)
	base := strings.TrimSuffix(file, ext)
	if base == "" {
		base, ext = file, ""
	}
	if dir == "" {
		dir = "."
	}
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return path, fmt.Errorf("the directory %s does not exist", dir)
	}
	return writeNew(dir, base, strings.TrimPrefix(ext, "."), write)
}
