package ui

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/output"
	"github.com/flowlens/flowlens/model/pairs"
	"github.com/flowlens/flowlens/model/ring"
)

// export writes the filtered view to path with the same writers as `flowlens print`
// (CSV with ISO times and protocol names added at the end, see exportcsv.go), or, kind
// "raw", as flow-log text with its header line (exportraw.go). The records are copied
// on the update loop, because the ring keeps changing, a bounded number per step (a
// job, see work.go: five million records take a while), in the order the table shows
// them; the file is written on another goroutine.
func (m *Model) export(kind string, to exportTarget) {
	if m.mode == modePairs && kind != "raw" {
		m.exportPairs(kind, to)
		return
	}
	n := m.table.length()
	if n == 0 {
		m.notify("nothing to export: the view is empty", true, 5*time.Second)
		return
	}
	j := &exportJob{kind: kind, path: to.path, name: to.name, recs: make([]model.Flow, 0, n), all: n}
	if m.table.sorted() {
		j.seqs = slices.Clone(m.table.order.seqs)
	} else {
		j.next, j.end = m.view.At(0), m.ring.Next()
	}
	m.exporting = j
	m.exportStep()
}

// exportJob is an export under way: the records (or conversations) copied so far.
type exportJob struct {
	kind string
	path string // where it is written (writeTo: a free name beside it if taken)
	name string // the file name in path when path is a directory
	// flows: the matches from Seq next until end (the Seq the newest had at the start),
	// or, in a sorted table, the records of seqs (its order when the export began)
	recs      []model.Flow
	next, end ring.Seq
	seqs      []ring.Seq
	all       int
	// conversations: the rows listed at the start, judged one step at a time
	rows   []pairRow
	judged []pairs.Row
	links  []pairs.Link
	// dirs holds the copies of the directions the rows point to, in blocks that never
	// move (a pointer into one stays good), not one allocation each
	dirs []pairs.Dir
	at   int
}

// dirCopy is a copy of a direction's counts in the job's blocks, nil for none.
func (j *exportJob) dirCopy(d *pairs.Dir) *pairs.Dir {
	if d == nil {
		return nil
	}
	if len(j.dirs) == cap(j.dirs) {
		j.dirs = make([]pairs.Dir, 0, 4096)
	}
	j.dirs = append(j.dirs, *d)
	return &j.dirs[len(j.dirs)-1]
}

func (j *exportJob) done() int {
	if j.rows != nil {
		return j.at
	}
	if j.seqs != nil {
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
	var more bool
	if j.seqs != nil {
		more = m.copySorted(j)
	} else {
		more = m.copyView(j)
	}
	if more {
		m.notify(fmt.Sprintf("exporting %s of %s…", thousands(j.done()), counted(j.all, "record", "records")), false, time.Minute)
		return
	}
	m.exporting = nil
	recs, kind, path, name := j.recs, j.kind, j.path, j.name
	m.notify(fmt.Sprintf("writing %s…", counted(len(recs), "record", "records")), false, time.Minute)
	m.cmds = append(m.cmds, func() tea.Msg {
		path, err := writeExport(path, name, kind, recs)
		return exportedMsg{path: path, n: len(recs), err: err}
	})
}

// copyView copies a step's worth of the view's matches; it reports whether more remain.
func (m *Model) copyView(j *exportJob) bool {
	i, _ := m.view.Index(j.next)
	n := 0
	for ; n < m.budget.records && i < m.view.Len(); n, i = n+1, i+1 {
		s := m.view.At(i)
		if s >= j.end {
			i = m.view.Len()
			break
		}
		j.recs = append(j.recs, *m.table.record(s))
		j.next = s + 1
	}
	m.work.records += n
	return i < m.view.Len()
}

// copySorted copies a step's worth of a sorted table's records, in its order; the ones
// the ring dropped meanwhile are gone.
func (m *Model) copySorted(j *exportJob) bool {
	n := 0
	for ; n < m.budget.records && j.at < len(j.seqs); n, j.at = n+1, j.at+1 {
		if r := m.table.record(j.seqs[j.at]); r != nil {
			j.recs = append(j.recs, *r)
		}
	}
	m.work.records += n
	return j.at < len(j.seqs)
}

func writeExport(path, name, kind string, recs []model.Flow) (string, error) {
	return writeTo(path, name, func(f io.Writer) error {
		var w output.Writer
		var err error
		switch kind {
		case "raw":
			w = newRawWriter(f)
		case "csv":
			w = newCSVExport(f)
		default:
			w, err = output.New(kind, f)
		}
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
	dot := ""
	if ext != "" {
		dot = "."
	}
	for n := 1; ; n++ {
		name := base + dot + ext
		if n > 1 {
			name = fmt.Sprintf("%s-%d%s%s", base, n, dot, ext)
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
// `flowlens pairs` (names, and each conversation's other end with the joint verdict,
// as `pairs` writes them; CSV with ISO times and protocol names at the end). The
// judging happens on the update loop, because the index changes with every batch, a
// bounded number per step; the writing on another goroutine.
func (m *Model) exportPairs(kind string, to exportTarget) {
	if len(m.pv.rows) == 0 {
		m.notify("nothing to export: no conversation matches", true, 5*time.Second)
		return
	}
	m.pv.lent = true // the next rebuild must not reuse these rows while they are judged
	m.exporting = &exportJob{kind: kind, path: to.path, name: to.name, rows: m.pv.rows, judged: make([]pairs.Row, 0, len(m.pv.rows))}
	m.exportStep()
}

func (m *Model) exportPairsStep(j *exportJob) {
	for n := 0; n < m.budget.judged && j.at < len(j.rows); n, j.at = n+1, j.at+1 {
		p := j.rows[j.at].p
		if p.Gone() {
			continue // its records left the ring since the list was made
		}
		// The judgement's directions point into the pair, which the next batch changes
		// while the file is written on another goroutine: the writer gets copies.
		jd := m.pairs.Judge(p, m.rules)
		jd.Request, jd.Response = j.dirCopy(jd.Request), j.dirCopy(jd.Response)
		link := m.pairs.Link(p, m.rules, m.pairNamer())
		link.Joint.Request, link.Joint.Response = j.dirCopy(link.Joint.Request), j.dirCopy(link.Joint.Response)
		j.judged = append(j.judged, pairs.Row{Pair: p, Judgement: jd})
		j.links = append(j.links, link)
		m.pairs.Forget(p) // the full judgement is in the row now
		m.work.pairs++
	}
	if j.at < len(j.rows) {
		m.notify(fmt.Sprintf("exporting %s of %s…", thousands(j.at), counted(len(j.rows), "conversation", "conversations")), false, time.Minute)
		return
	}
	m.exporting = nil
	rows, links, kind, path, name, namer := j.judged, j.links, j.kind, j.path, j.name, m.pairNamer()
	m.cmds = append(m.cmds, func() tea.Msg {
		path, err := writePairsExport(path, name, kind, rows, links, namer)
		return exportedMsg{path: path, n: len(rows), what: "conversations", err: err}
	})
}

func writePairsExport(path, name, kind string, rows []pairs.Row, links []pairs.Link, namer pairs.Namer) (string, error) {
	return writeTo(path, name, func(f io.Writer) error {
		var w pairs.LinkedWriter
		var err error
		if kind == "csv" {
			w = newPairsCSVExport(f, namer)
		} else if w, err = pairs.NewNamedWriter(kind, f, namer); err != nil {
			return err
		}
		for i := range rows {
			if err := w.WriteLinked(rows[i].Pair, &rows[i].Judgement, &links[i]); err != nil {
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
	what := counted(msg.n, "record", "records")
	if msg.what == "conversations" {
		what = counted(msg.n, "conversation", "conversations")
	}
	m.notify(fmt.Sprintf("exported %s to %s", what, abs), false, messageLife)
}
