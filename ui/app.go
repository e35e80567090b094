// Package ui is the explorer's screen: a Bubble Tea program whose root model owns the ring
// of records and dispatches messages to the panes (flows table, detail, filter bar,
// status bar, overlays). It never calls AWS and never reads files itself: records arrive
// as batches from a source.Feed.
package ui

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/flowlens/flowlens/keymap"
	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/filter"
	"github.com/flowlens/flowlens/model/ring"
	"github.com/flowlens/flowlens/model/rules"
	"github.com/flowlens/flowlens/source"
)

// Options configures the explorer.
type Options struct {
	Feed     source.Feed
	Capacity int             // records held; ring.DefaultCapacity when 0
	Keys     *keymap.Map     // keymap.Default() when nil
	Notices  []string        // shown at start, e.g. problems in the key config
	Filter   string          // the filter to start with
	Formats  []*model.Format // formats whose custom columns the filter may name
	Local    bool            // show local time instead of UTC
	NoColor  bool            // NO_COLOR: mark by attributes, not colours
	Dark     *bool           // the background, when known without asking the terminal (tests)
	Now      func() time.Time
	// ExportDir is where exports are written; the working directory when empty.
	ExportDir string
	Log       *slog.Logger
	// Input is where keys are read from when stdin carries records (/dev/tty).
	Input io.Reader
	// Rules are the security groups, NACLs and interfaces the verdicts are checked
	// against; nil judges from the records alone.
	Rules *rules.Set
}

// pane names what has the focus.
type pane int

const (
	paneTable pane = iota
	paneDetail
	numPanes
)

// overlayKind is a screen shown over the panes.
type overlayKind int

const (
	overlayNone overlayKind = iota
	overlayHelp
	overlayMalformed
)

// Model is the root model.
type Model struct {
	opts   Options
	keys   *keymap.Map
	styles Styles
	now    func() time.Time
	log    *slog.Logger

	width, height int
	lay           layout

	ring   *ring.Ring
	view   *ring.View
	table  *flowTable
	detail detailPane
	bar    filterBar
	focus  pane

	overlay       overlayKind
	overlayOffset int

	src        source.Status
	srcDone    bool
	stats      model.Stats
	srcDropped uint64
	rate       rateMeter
	paused     bool
	local      bool
	formats    map[model.FormatID]*model.Format

	message  string
	msgError bool
	msgUntil time.Time
}

// Messages of the update loop.
type (
	batchMsg struct {
		batch source.Batch
		ok    bool
	}
	tickMsg     time.Time
	debounceMsg struct{ gen int }
	exportedMsg struct {
		path string
		n    int
		err  error
	}
)

// debounce is how long typing must pause before the filter is applied: short enough to
// feel immediate, long enough that a fast typist does not refilter on every key.
const debounce = 40 * time.Millisecond

// New builds the explorer.
func New(opts Options) *Model {
	if opts.Capacity <= 0 {
		opts.Capacity = ring.DefaultCapacity
	}
	if opts.Keys == nil {
		opts.Keys = keymap.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	r := ring.New(opts.Capacity)
	m := &Model{
		opts:    opts,
		keys:    opts.Keys,
		now:     opts.Now,
		log:     opts.Log,
		ring:    r,
		view:    ring.NewView(r, nil),
		bar:     newFilterBar(),
		local:   opts.Local,
		formats: map[model.FormatID]*model.Format{},
	}
	m.table = newFlowTable(m.view)
	m.table.setLocal(opts.Local)
	dark := true
	if opts.Dark != nil {
		dark = *opts.Dark
	}
	m.setStyles(dark)
	for _, f := range opts.Formats {
		m.formats[f.ID] = f
	}
	if len(opts.Notices) > 0 {
		m.notify(strings.Join(opts.Notices, "; "), true, 15*time.Second)
	}
	if opts.Filter != "" {
		m.bar.input.SetValue(opts.Filter)
		m.applyFilter(opts.Filter, true)
	}
	return m
}

func (m *Model) setStyles(dark bool) {
	m.styles = NewStyles(dark, m.opts.NoColor)
	m.bar.setStyles(m.styles)
}

// Init starts the source, the clock and asks the terminal for its background.
func (m *Model) Init() tea.Cmd {
	cmds := []tea.Cmd{m.waitBatch(), tick()}
	if m.opts.Dark == nil {
		cmds = append(cmds, tea.RequestBackgroundColor)
	}
	return tea.Batch(cmds...)
}

// waitBatch waits for the next batch on its own goroutine; Update re-arms it after each
// batch, so exactly one wait is ever pending.
func (m *Model) waitBatch() tea.Cmd {
	if m.opts.Feed == nil {
		return nil
	}
	ch := m.opts.Feed.Batches()
	return func() tea.Msg {
		b, ok := <-ch
		return batchMsg{b, ok}
	}
}

func tick() tea.Cmd {
	return tea.Tick(time.Second, func(t time.Time) tea.Msg { return tickMsg(t) })
}

// Update dispatches: overlays and the filter bar get keys first, then the global keys,
// then the focused pane.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.resize(msg.Width, msg.Height)
	case tea.BackgroundColorMsg:
		m.setStyles(msg.IsDark())
		m.table.invalidate()
	case batchMsg:
		return m, m.handleBatch(msg)
	case tickMsg:
		return m, m.handleTick(time.Time(msg))
	case debounceMsg:
		if msg.gen == m.bar.gen {
			m.applyFilter(m.bar.input.Value(), false)
		}
	case exportedMsg:
		m.handleExported(msg)
	case tea.KeyPressMsg:
		return m, m.handleKey(msg)
	case tea.MouseWheelMsg:
		m.handleWheel(msg)
	case tea.MouseClickMsg:
		m.handleClick(msg)
	}
	return m, nil
}

func (m *Model) handleBatch(msg batchMsg) tea.Cmd {
	b := msg.batch
	if len(b.Records) > 0 {
		m.ring.Append(b.Records)
		m.rate.add(len(b.Records))
		last := model.FormatID(0xffff)
		for i := range b.Records {
			if id := b.Records[i].Format; id != last {
				last = id
				if _, ok := m.formats[id]; !ok {
					m.formats[id] = model.FormatByID(id)
				}
			}
		}
		m.view.Update()
		m.table.afterAppend()
		m.refreshDetail()
	}
	m.stats.Add(&b.Stats)
	m.srcDropped += b.Dropped
	if b.Status.State != "" || b.Status.Source != "" {
		m.src = b.Status
	}
	if b.Err != nil {
		m.log.Warn("source", "err", b.Err)
		m.notify(b.Err.Error(), true, 10*time.Second)
	}
	if b.Done || !msg.ok {
		m.srcDone = true
		return nil
	}
	return m.waitBatch()
}

func (m *Model) handleTick(now time.Time) tea.Cmd {
	m.rate.tick(now)
	if m.message != "" && now.After(m.msgUntil) {
		m.message = ""
	}
	m.refreshDetail() // ages move on
	return tick()
}

func (m *Model) notify(text string, isError bool, d time.Duration) {
	m.message, m.msgError, m.msgUntil = text, isError, m.now().Add(d)
}

// refreshDetail shows the selected record in the detail pane.
func (m *Model) refreshDetail() {
	r, seq := m.table.Selected()
	m.detail.SetRecord(r, seq, m.local, m.now())
}

// applyFilter compiles expr and, when it is valid, refilters the ring. An invalid
// expression leaves the last valid filter in place, so the table does not blank out
// half-way through typing.
func (m *Model) applyFilter(expr string, remember bool) {
	formats := make([]*model.Format, 0, len(m.formats))
	for _, f := range m.formats {
		formats = append(formats, f)
	}
	flt, err := filter.Compile(expr, filter.Options{Formats: formats})
	m.bar.err = err
	if err != nil {
		return
	}
	if expr == m.bar.applied && !remember {
		return
	}
	m.bar.applied = expr
	if flt.All() {
		m.view.SetFilter(nil)
	} else {
		m.view.SetFilter(flt.Match)
	}
	m.table.afterRefilter()
	m.refreshDetail()
	if remember {
		m.bar.remember(expr)
	}
}

// Run starts the explorer full screen and blocks until the user quits. The terminal is
// restored on every way out, panics included (Bubble Tea restores it before re-raising).
func Run(opts Options) error {
	if os.Getenv("NO_COLOR") != "" {
		opts.NoColor = true
	}
	m := New(opts)
	var progOpts []tea.ProgramOption
	if opts.Input != nil {
		progOpts = append(progOpts, tea.WithInput(opts.Input))
	}
	p := tea.NewProgram(m, progOpts...)
	_, err := p.Run()
	if opts.Feed != nil {
		opts.Feed.Close()
	}
	if err != nil {
		return fmt.Errorf("the screen failed: %w", err)
	}
	return nil
}
