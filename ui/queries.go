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

// writeQueries writes the current view's filter in the forms AWS runs (Options.Queries:
// the Logs Insights query, the CloudWatch filter pattern, Athena SQL and, when the
// pattern is exact, the commands of an alarm) to a file, and puts them on the clipboard
// with OSC 52, which terminals that allow it (and tmux with set-clipboard on) take; the
// others ignore it, so the file is where they always are. In the conversations view
// the forms say only the part of the filter that keeps both directions.
func (m *Model) writeQueries() tea.Cmd {
	if m.opts.Queries == nil {
		m.notify("the queries of the view cannot be written here", true, 5*time.Second)
		return nil
	}
	formats := make([]*model.Format, 0, len(m.formats))
	for _, f := range m.formats {
		formats = append(formats, f)
	}
	slices.SortFunc(formats, func(a, b *model.Format) int { return int(a.ID) - int(b.ID) })
	text, err := m.opts.Queries(m.bar.applied, formats, m.mode == modePairs)
	if err != nil {
		m.notify("no queries: "+err.Error(), true, 8*time.Second)
		return nil
	}
	dir, base := m.opts.ExportDir, "flowlens-queries-"+m.now().UTC().Format("20060102-150405")
	write := func() tea.Msg {
		path, err := writeNew(dir, base, "txt", func(w io.Writer) error {
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
	m.notify("queries (Insights, filter pattern, Athena, alarm) written to "+abs+" and copied to the clipboard where the terminal allows it (OSC 52)", false, 15*time.Second)
}
