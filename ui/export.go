package ui

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/output"
	"github.com/flowlens/flowlens/model/pairs"
)

// export writes the filtered view to a file with the same writers as `flowlens print`.
// The records are copied here, on the update loop, because the ring keeps changing while
// the file is written on another goroutine.
func (m *Model) export(kind string) tea.Cmd {
	if m.mode == modePairs {
		return m.exportPairs(kind)
	}
	n := m.view.Len()
	if n == 0 {
		m.notify("nothing to export: the view is empty", true, 5*time.Second)
		return nil
	}
	recs := make([]model.Flow, n)
	for i := 0; i < n; i++ {
		recs[i] = *m.view.Record(i)
	}
	dir := m.opts.ExportDir
	name := fmt.Sprintf("flowlens-%s.%s", m.now().UTC().Format("20060102-150405"), kind)
	path := filepath.Join(dir, name)
	m.notify(fmt.Sprintf("exporting %s records…", thousands(n)), false, time.Minute)
	return func() tea.Msg {
		return exportedMsg{path: path, n: len(recs), err: writeExport(path, kind, recs)}
	}
}

func writeExport(path, kind string, recs []model.Flow) error {
	return writeNew(path, func(f io.Writer) error {
		w, err := output.New(kind, f)
		if err != nil {
			return err
		}
		for i := range recs {
			if err := w.Write(&recs[i]); err != nil {
				return err
			}
		}
		return w.Flush()
	})
}

// writeNew creates path (never over an existing file) and fills it with write.
func writeNew(path string, write func(io.Writer) error) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// exportPairs writes the conversations in view, judged, with the writers of
// `flowlens pairs`. The judging happens here, on the update loop, because the index
// changes with every batch; the writing happens on another goroutine.
func (m *Model) exportPairs(kind string) tea.Cmd {
	n := len(m.pv.rows)
	if n == 0 {
		m.notify("nothing to export: no conversation matches", true, 5*time.Second)
		return nil
	}
	rows := make([]pairs.Row, n)
	for i, r := range m.pv.rows {
		rows[i] = pairs.Row{Pair: r.p, Judgement: m.pairs.Judge(r.p, m.rules)}
		m.pairs.Forget(r.p) // the full judgement is in rows now
	}
	path := filepath.Join(m.opts.ExportDir, fmt.Sprintf("flowlens-pairs-%s.%s", m.now().UTC().Format("20060102-150405"), kind))
	return func() tea.Msg {
		return exportedMsg{path: path, n: n, what: "conversations", err: writePairsExport(path, kind, rows)}
	}
}

func writePairsExport(path, kind string, rows []pairs.Row) error {
	return writeNew(path, func(f io.Writer) error {
		w, err := pairs.NewWriter(kind, f)
		if err != nil {
			return err
		}
		for i := range rows {
			if err := w.Write(rows[i].Pair, &rows[i].Judgement); err != nil {
				return err
			}
		}
		return w.Flush()
	})
}

func (m *Model) handleExported(msg exportedMsg) {
	if msg.err != nil {
		m.log.Error("export", "path", msg.path, "err", msg.err)
		m.notify("export failed: "+msg.err.Error(), true, 10*time.Second)
		return
	}
	abs, err := filepath.Abs(msg.path)
	if err != nil {
		abs = msg.path
	}
	m.log.Info("export", "path", abs, "records", msg.n)
	what := msg.what
	if what == "" {
		what = "records"
	}
	m.notify(fmt.Sprintf("exported %s %s to %s", thousands(msg.n), what, abs), false, 15*time.Second)
}
