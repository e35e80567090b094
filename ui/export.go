package ui

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/output"
	"github.com/flowlens/flowlens/model/pairs"
	"github.com/flowlens/flowlens/model/ring"
)

// export writes the filtered view to a file with the same writers as `flowlens print`.
// The records are copied on the update loop, because the ring keeps changing, a
// bounded number per step (a job, see work.go: five million records take a while);
// the file is written on another goroutine.
func (m *Model) export(kind string) {
	if m.mode == modePairs {
		m.exportPairs(kind)
		return
	}
	n := m.view.Len()
	if n == 0 {
		m.notify("nothing to export: the view is empty", true, 5*time.Second)
		return
	}
	m.exporting = &exportJob{kind: kind, base: "flowlens-" + m.now().UTC().Format("20060102-150405"),
		recs: make([]model.Flow, 0, n), next: m.view.At(0), end: m.ring.Next(), all: n}
	m.exportStep()
}

// exportJob is an export under way: the records (or conversations) copied so far.
type exportJob struct {
	kind string
	base string // the file name without its extension
	// flows: the matches from Seq next until end (the Seq the newest had at the start)
	recs      []model.Flow
	next, end ring.Seq
	all       int
	// conversations: the rows listed at the start, judged one step at a time
	rows   []pairRow
	judged []pairs.Row
	at     int
}

func (j *exportJob) done() int {
	if j.rows != nil {
		return j.at
	}
	return len(j.recs)
}

func (j *exportJob) total() int {
	if j.rows != nil {
		return len(j.rows)
	}
	return j.all
}

// exportStep copies or judges one step's worth, and starts the write when all is.
func (m *Model) exportStep() {
	j := m.exporting
	if j.rows != nil {
		m.exportPairsStep(j)
		return
	}
	i, _ := m.view.Index(j.next)
	n := 0
	for ; n < m.budget.records && i < m.view.Len(); n, i = n+1, i+1 {
		s := m.view.At(i)
		if s >= j.end {
			i = m.view.Len()
			break
		}
		j.recs = append(j.recs, *m.ring.At(s))
		j.next = s + 1
	}
	m.work.records += n
	if i < m.view.Len() {
		m.notify(fmt.Sprintf("exporting %s of %s records…", thousands(len(j.recs)), thousands(j.all)), false, time.Minute)
		return
	}
	m.exporting = nil
	recs, kind, dir, base := j.recs, j.kind, m.opts.ExportDir, j.base
	m.notify(fmt.Sprintf("writing %s records…", thousands(len(recs))), false, time.Minute)
	m.cmds = append(m.cmds, func() tea.Msg {
		path, err := writeExport(dir, base, kind, recs)
		return exportedMsg{path: path, n: len(recs), err: err}
	})
}

func writeExport(dir, base, kind string, recs []model.Flow) (string, error) {
	return writeNew(dir, base, kind, func(f io.Writer) error {
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

// writeNew creates a new file in dir (never over an existing one) and fills it with
// write. The name is base.ext, or base-2.ext, base-3.ext ... when it is taken: two
// exports in the same second both succeed. It returns the path written.
func writeNew(dir, base, ext string, write func(io.Writer) error) (string, error) {
	var f *os.File
	var path string
	for n := 1; ; n++ {
		name := base + "." + ext
		if n > 1 {
			name = fmt.Sprintf("%s-%d.%s", base, n, ext)
		}
		path = filepath.Join(dir, name)
		var err error
		f, err = os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
		if err == nil {
			break
		}
		if !errors.Is(err, fs.ErrExist) || n >= 1000 {
			return path, err
		}
	}
	if err := write(f); err != nil {
		f.Close()
		return path, err
	}
	return path, f.Close()
}

// exportPairs writes the conversations in view, judged, with the writers of
// `flowlens pairs`. The judging happens on the update loop, because the index changes
// with every batch, a bounded number per step; the writing on another goroutine.
func (m *Model) exportPairs(kind string) {
	if len(m.pv.rows) == 0 {
		m.notify("nothing to export: no conversation matches", true, 5*time.Second)
		return
	}
	m.pv.lent = true // the next rebuild must not reuse these rows while they are judged
	m.exporting = &exportJob{kind: kind, base: "flowlens-pairs-" + m.now().UTC().Format("20060102-150405"),
		rows: m.pv.rows, judged: make([]pairs.Row, 0, len(m.pv.rows))}
	m.exportStep()
}

func (m *Model) exportPairsStep(j *exportJob) {
	for n := 0; n < m.budget.judged && j.at < len(j.rows); n, j.at = n+1, j.at+1 {
		p := j.rows[j.at].p
		if p.Gone() {
			continue // its records left the ring since the list was made
		}
		j.judged = append(j.judged, pairs.Row{Pair: p, Judgement: m.pairs.Judge(p, m.rules)})
		m.pairs.Forget(p) // the full judgement is in the row now
		m.work.pairs++
	}
	if j.at < len(j.rows) {
		m.notify(fmt.Sprintf("exporting %s of %s conversations…", thousands(j.at), thousands(len(j.rows))), false, time.Minute)
		return
	}
	m.exporting = nil
	rows, kind, dir, base := j.judged, j.kind, m.opts.ExportDir, j.base
	m.cmds = append(m.cmds, func() tea.Msg {
		path, err := writePairsExport(dir, base, kind, rows)
		return exportedMsg{path: path, n: len(rows), what: "conversations", err: err}
	})
}

func writePairsExport(dir, base, kind string, rows []pairs.Row) (string, error) {
	return writeNew(dir, base, kind, func(f io.Writer) error {
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
