package ui

import (
	"io"
	"path/filepath"
	"slices"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/flowlens/flowlens/model"
)

// queriesWrittenMsg says where the view's queries were written.
type queriesWrittenMsg struct {
	path string
	err  error
}

// askQueries opens the prompt for the file the view's queries are written to, as the
// exports and the ticket do: a path typed out of habit after y must not land in the
// filter bar.
func (m *Model) askQueries() tea.Cmd {
	if m.opts.Queries == nil {
		m.notify("the queries of the view cannot be written here", true, 5*time.Second)
		return nil
	}
	// A filter AWS cannot run is said now, not after a path was typed (the filter
	// cannot change while the prompt is open). Compiling it again on Enter is cheap.
	if _, err := m.viewQueries(); err != nil {
		m.notify("no queries: "+err.Error(), true, 8*time.Second)
		return nil
	}
	return m.askPath("queries", "the queries") // short: the label leaves the path its room at 80 columns
}

// viewQueries is the text of the view's queries: the filter applied, for the formats
// seen.
func (m *Model) viewQueries() (string, error) {
	formats := make([]*model.Format, 0, len(m.formats))
	for _, f := range m.formats {
		formats = append(formats, f)
	}
	slices.SortFunc(formats, func(a, b *model.Format) int { return int(a.ID) - int(b.ID) })
	return m.opts.Queries(m.bar.applied, formats, m.mode == modePairs)
}

// writeQueries writes the filter applied in the forms AWS runs (Options.Queries: the
// Logs Insights query, the CloudWatch filter pattern, Athena SQL and, when the pattern
// is exact, the commands of an alarm) for the formats seen to the file of to, off the
// update loop, and puts them on the clipboard with OSC 52, which terminals that allow
// it (and tmux with set-clipboard on) take; the others ignore it, so the file is where
// they always are. In the conversations view the forms say only the part of the filter
// that keeps both directions.
func (m *Model) writeQueries(to exportTarget) tea.Cmd {
	text, err := m.viewQueries()
	if err != nil {
		m.notify("no queries: "+err.Error(), true, 8*time.Second)
		return nil
	}
	write := func() tea.Msg {
		path, err := writeTo(to.path, to.name, func(w io.Writer) error {
			_, err := io.WriteString(w, text)
			return err
		})
		return queriesWrittenMsg{path: path, err: err}
	}
	return tea.Batch(write, tea.SetClipboard(text))
}

func (m *Model) handleQueriesWritten(msg queriesWrittenMsg) {
	if msg.err != nil {
		m.log.Error("queries", "path", msg.path, "err", msg.err)
		m.notify("writing the queries failed: "+msg.err.Error(), true, 10*time.Second)
		return
	}
	abs, err := filepath.Abs(msg.path)
	if err != nil {
		abs = msg.path
	}
	// The path first: a narrow status bar cuts the end of a message.
	m.notify("wrote "+abs+": the queries (Insights, filter pattern, Athena, alarm), also copied to the clipboard where the terminal allows it (OSC 52)", false, 15*time.Second)
}
