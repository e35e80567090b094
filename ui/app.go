// Package ui is the explorer's screen: a Bubble Tea program whose root model owns the ring
// of records and dispatches messages to the panes (flows table, detail, filter bar,
// status bar, overlays). It never calls AWS and never reads files itself: records arrive
// as batches from a Feed, which the commands connect to a source.
package ui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/trace"
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/flowlens/flowlens/feed"
	"github.com/flowlens/flowlens/keymap"
	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/filter"
	"github.com/flowlens/flowlens/model/pairs"
	"github.com/flowlens/flowlens/model/ring"
	"github.com/flowlens/flowlens/model/rules"
)

// Options configures the explorer.
type Options struct {
	Feed     Feed
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
	// Picker, when set (and Feed is nil), opens the explorer on a choice of log streams;
	// the feed starts once the user has chosen.
	Picker *Picker
	// FetchRules, when set (--live-rules), fetches the rules behind the given
	// interfaces; the explorer calls it, off the update loop, as new interfaces appear.
	FetchRules func(interfaces []string) (*rules.Set, error)
	// ReloadRules, when set (--rules), reads the rules files again: the reload key
	// calls it, off the update loop, and merges a new FetchRules answer onto it.
	ReloadRules func() (*rules.Set, error)
	// Queries writes a filter in the forms AWS runs (--show-query's text) for the
	// formats seen; conversations asks for the part that keeps both directions.
	Queries func(expr string, formats []*model.Format, conversations bool) (string, error)
	// Names names addresses, interfaces and groups (rules, --live-rules, AWS's address
	// ranges); nil names nothing. It may gain names while the explorer runs (live rules,
	// ranges downloaded in the background); reading it is safe meanwhile. One that can
	// Prepare and Use a names.Snapshot (a *names.Lookup) learns the names of every rules
	// set the explorer takes in: a live fetch's answer, a reload's once it succeeded
	// (prepared in the command that fetched them, put in place on the update loop).
	Names Names
	// Command is how the explorer was started, without its filter ("flowlens --demo",
	// "flowlens --rules sg.json flows.log"): a ticket ends with it and a filter for the
	// conversation, the command that opens the same records again. Empty: "flowlens"
	// and the source's name.
	Command string
	// CommandOpen says Command's window ends when it runs (a log group or S3 read
	// without --until): the ticket writes the time it is written as --until, so that the
	// command opens the same records whenever it is run.
	CommandOpen bool
	// Restored, when set, is called by Run once the terminal is restored and before the
	// feed is closed: from then on nothing is left on screen to put back.
	Restored func()
}

// pane names what has the focus.
type pane int

const (
	paneTable pane = iota // the flows table, or the conversations list in the pairs view
	paneDetail
	paneVerdict
	numPanes
)

// viewMode is what the main pane lists.
type viewMode int

const (
	modeFlows viewMode = iota
	modePairs
	modeStats // the stats view (statsview.go): the flows filter, counted and ranked
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
	help          help.Model // the short help at the end of the status bar

	ring    *ring.Ring
	view    *ring.View
	table   *flowTable
	detail  detailPane
	verdict verdictPane
	bar     filterBar
	focus   pane

	// the pairs: an index kept in step with the ring, the rules to judge by, and the
	// conversations view
	pairs *pairs.Index
	rules *rules.Set
	mode  viewMode
	pv    pairsView
	sv    statsView
	// the filter text of the view not shown, kept while the other is
	otherFilter string
	// flowsExpr is the expression the flows view shows (a refilter under way aside),
	// refilterExpr the one being applied, and refilterMatch its compiled form
	flowsExpr, refilterExpr string
	refilterMatch           ring.Match

	// long work done in bounded steps (work.go)
	budget    workBudget
	work      workDone // what the current Update did for the jobs
	workArmed bool     // a workMsg is on its way
	exporting *exportJob
	ticketing *ticketJob
	cmds      []tea.Cmd // commands the current Update's work asks for

	// prompt, while the user types where an export or a ticket goes (prompt.go)
	prompt *pathPrompt
	// barExtra is the lines a long filter error takes above the filter bar, which the
	// panes give up (resize)
	barExtra int

	overlay       overlayKind
	overlayOffset int

	src         feed.Status
	srcDone     bool
	stats       model.Stats
	srcDropped  uint64
	trimmed     uint64 // records of batches larger than the ring, never held
	rate        rateMeter
	paused      bool
	olderAsked  bool         // the source was asked for older records and has not answered yet
	olderAt     time.Time    // when it was asked
	backlog     []model.Flow // records of the last batch not yet taken into the ring (feed.go)
	ingestLimit ingestLimit
	// the frame Update drew for View, which stands while only records arrive (feed.go);
	// frameEvery is 0 (View draws every frame) unless Run sets it
	frameEvery time.Duration
	frame      tea.View
	framed     bool      // frame holds a frame
	frameAt    time.Time // when it was drawn
	frameArmed bool      // a frameMsg is on its way
	narrowed   string    // the filter last offered to the source to push down
	filterAt   time.Time // the instant the applied filter's relative times were resolved at
	local      bool
	formats    map[model.FormatID]*model.Format

	message  string
	msgError bool
	msgUntil time.Time

	picker *picker // non-nil while the user chooses what to tail

	// --live-rules: the interfaces seen, those the rules were fetched for, and the
	// rules from --rules files, which fetched ones are merged onto
	interfaces map[model.Sym]bool
	fetchedFor int
	fetching   bool
	fileRules  *rules.Set
	// when the rules in use came in, and the rules before them (rulesreload.go)
	rulesAt    time.Time
	rulesHow   string // "read" (files) or "fetched" (--live-rules)
	prevRules  *rules.Set
	reloadedAt time.Time // when R replaced prevRules
	reloading  bool
	rulesGen   int // counts the reloads begun: a live fetch begun before one is stale
	// the verdict pane over the whole screen (VerdictZoom)
	verdictZoom bool
}

// Messages of the update loop.
type (
	batchMsg struct {
		batch feed.Batch
		ok    bool
	}
	tickMsg     time.Time
	debounceMsg struct{ gen int }
	exportedMsg struct {
		path string
		n    int
		what string // "records" (the default) or "conversations"
		err  error
	}
)

// messageLife is how long a message that reports something done (an export's path)
// stays in the status bar: long enough to read a path, short enough that the fields
// it covers come back soon.
const messageLife = 8 * time.Second

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
	ix := pairs.NewIndex()
	m := &Model{
		pairs:      ix,
		rules:      opts.Rules,
		fileRules:  opts.Rules,
		interfaces: map[model.Sym]bool{},
		opts:       opts,
		keys:       opts.Keys,
		now:        opts.Now,
		log:        opts.Log,
		ring:       r,
		view:       ring.NewView(r, nil),
		bar:        newFilterBar(opts.Keys.Short(keymap.Help)),
		help:       help.New(),
		local:      opts.Local,
		formats:    map[model.FormatID]*model.Format{},
		budget:     defaultBudget,
	}
	r.OnEvict = func(s ring.Seq, f *model.Flow) {
		ix.Remove(f)
		m.sv.evict(s, f)
	}
	m.pv.names = opts.Names
	m.verdict.names = opts.Names
	if opts.Rules != nil {
		m.rulesAt, m.rulesHow = m.now(), "read"
	}
	m.table = newFlowTable(m.view, r, opts.Names)
	m.detail.names = opts.Names
	m.table.setLocal(opts.Local)
	if opts.Picker != nil && opts.Feed == nil {
		m.picker = newPicker(opts.Picker)
	}
	dark := true
	if opts.Dark != nil {
		dark = *opts.Dark
	}
	m.setStyles(dark)
	for _, f := range opts.Formats {
		m.formats[f.ID] = f
		m.table.learnFormat(f)
	}
	if len(opts.Notices) > 0 {
		m.notify(strings.Join(opts.Notices, "; "), true, 15*time.Second)
	}
	if opts.Filter != "" {
		m.bar.input.SetValue(opts.Filter)
		m.applyFilter(m.bar.input.Value(), true) // as the input holds it: without control characters
	}
	return m
}

func (m *Model) setStyles(dark bool) {
	m.styles = NewStyles(dark, m.opts.NoColor)
	m.bar.setStyles(m.styles)
	m.help.Styles.ShortKey, m.help.Styles.ShortDesc = m.styles.BarKey, m.styles.Muted
	m.help.Styles.ShortSeparator = m.styles.Faint
	m.detail.setStyles(m.styles)
	if m.picker != nil {
		m.picker.query.SetStyles(inputStyles(m.styles))
	}
}

// Init starts the source, the clock and asks the terminal for its background.
func (m *Model) Init() tea.Cmd {
	cmds := []tea.Cmd{m.waitBatch(), tick()}
	if m.opts.Dark == nil {
		cmds = append(cmds, tea.RequestBackgroundColor)
	}
	if m.picker != nil {
		cmds = append(cmds, m.picker.query.Focus())
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
// then the focused pane. After every message it settles what the next frame shows, so
// that View only reads.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	defer trace.StartRegion(context.Background(), regionOf(msg)).End()
	m.work = workDone{}
	cmd := m.dispatch(msg)
	m.settle()
	m.frameAfter(msg)
	cmds := append(m.cmds, cmd, m.armWork())
	m.cmds = nil
	return m, tea.Batch(cmds...)
}

// regionOf names an Update in an execution trace (go tool trace; the soak takes one of
// the real program): a region costs nothing while no trace is being taken.
func regionOf(msg tea.Msg) string {
	switch msg.(type) {
	case batchMsg, ingestMsg:
		return "update batch"
	case workMsg:
		return "update work"
	case tea.KeyPressMsg:
		return "update key"
	}
	return "update other"
}

func (m *Model) dispatch(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.resize(msg.Width, msg.Height)
	case tea.BackgroundColorMsg:
		m.setStyles(msg.IsDark())
	case batchMsg:
		return m.handleBatch(msg)
	case ingestMsg:
		m.ingestStep()
		return m.nextIngest()
	case frameMsg:
		m.frameArmed = false
	case tea.PasteMsg:
		return m.handlePaste(msg)
	case tickMsg:
		return m.handleTick(time.Time(msg))
	case debounceMsg:
		if msg.gen == m.bar.gen {
			m.applyFilter(m.bar.input.Value(), false)
		}
	case exportedMsg:
		m.handleExported(msg)
	case queriesWrittenMsg:
		m.handleQueriesWritten(msg)
	case statsTickMsg:
		return m.handleStatsTick(msg)
	case workMsg:
		m.workArmed = false
		m.step()
	case pairsSortedMsg:
		if m.pv.install(msg) {
			m.refreshDetail()
		}
	case flowsSortedMsg:
		if m.table.installSort(msg) {
			m.refreshDetail()
		}
	case ticketWrittenMsg:
		m.handleTicketWritten(msg)
	case feedStartedMsg:
		return m.handleFeedStarted(msg)
	case rulesFetchedMsg:
		m.handleRulesFetched(msg)
	case rulesReloadedMsg:
		m.handleRulesReloaded(msg)
	case tea.KeyPressMsg:
		return m.handleKey(msg)
	case tea.MouseWheelMsg:
		m.handleWheel(msg)
	case tea.MouseClickMsg:
		return m.handleClick(msg)
	}
	return nil
}

// settle brings what the next frame shows in line with the model: the picker's and the
// overlays' offsets clamped to what there is to scroll (a batch can change both), and
// the rows on screen rendered (the flows) or judged (the conversations). The detail and
// verdict panes lay themselves out when their record or size changes.
func (m *Model) settle() {
	if m.width == 0 || m.lay.tooSmall {
		return
	}
	if m.picker != nil {
		m.picker.clamp(m.height)
		return
	}
	m.clampOverlay()
	if extra := m.errorLines(); extra != m.barExtra {
		m.barExtra = extra
		m.resize(m.width, m.height)
	}
	switch m.mode {
	case modeStats:
		m.sv.draw(m.styles, m.statsDraw())
	case modePairs:
		m.pv.prepare(m.pairs, m.rules)
	default:
		m.table.prepare()
	}
}

// errorLines is how many lines a filter error takes above the bar (0 when it fits
// beside the input, or there is none).
func (m *Model) errorLines() int {
	if m.bar.err == nil || m.prompt != nil {
		return 0
	}
	return strings.Count(m.renderBar(), "\n")
}

// clampOverlay keeps the overlay's offset within its lines.
func (m *Model) clampOverlay() {
	if m.overlay == overlayNone {
		m.overlayOffset = 0
		return
	}
	m.overlayOffset = max(0, min(m.overlayOffset, len(m.overlayLines())-m.overlayRows()))
}

func (m *Model) handleBatch(msg batchMsg) tea.Cmd {
	b := msg.batch
	if len(b.Records) > 0 {
		recs := b.Records
		// A batch larger than the ring would push its own first records out again; the
		// pairs index must only ever see records leave that it saw arrive, so those are
		// dropped (and counted) before they are appended.
		if over := len(recs) - m.ring.Cap(); over > 0 {
			m.trimmed += uint64(over)
			recs = recs[over:]
		}
		m.rate.add(len(b.Records))
		m.olderAsked = false
		// Taken in over as many Updates as it needs, a slice each (feed.go).
		m.backlog = recs
		m.ingestStep()
	}
	m.stats.Add(&b.Stats)
	m.srcDropped += b.Dropped
	if b.Status.State != "" || b.Status.Source != "" {
		m.src = b.Status
	}
	if b.Err != nil {
		m.log.Warn("source", "err", b.Err)
		m.notify(b.Err.Error(), true, 10*time.Second)
		m.olderAsked = false // whatever was asked of the source, it answered
	}
	if b.Done || !msg.ok {
		m.srcDone = true
	}
	return m.nextIngest()
}

func (m *Model) handleTick(now time.Time) tea.Cmd {
	m.rate.tick(now)
	if m.mode == modePairs && m.pv.dirty && m.pv.build == nil {
		m.pv.startBuild(m.pairs, m.pv.match, m.pv.expr, false)
	}
	if m.message != "" && !m.now().Before(m.msgUntil) {
		m.message = ""
	}
	m.table.refreshNames()
	m.refreshDetail() // ages move on
	return tea.Batch(tick(), m.fetchRules())
}

// rulesFetchedMsg carries rules fetched for --live-rules.
type rulesFetchedMsg struct {
	set   *rules.Set
	count int
	err   error
	gen   int // m.rulesGen when the fetch began: a reload since makes it stale
	taken rulesTaken
}

// fetchRules asks for the rules behind the interfaces seen, when new ones appeared and
// no fetch is under way. The answer replaces the previous one, merged onto the rules
// from files.
func (m *Model) fetchRules() tea.Cmd {
	// Not during a reload: the fetch would merge its answer with the files as they were
	// before the reload, and, begun after the reload's generation, would be taken in
	// after it. The reload fetches for every interface seen anyway.
	if m.opts.FetchRules == nil || m.fetching || m.reloading || len(m.interfaces) == m.fetchedFor {
		return nil
	}
	m.fetching = true
	ids := make([]string, 0, len(m.interfaces))
	for ifc := range m.interfaces {
		ids = append(ids, ifc.String())
	}
	fetch, gen, files, take := m.opts.FetchRules, m.rulesGen, m.fileRules, m.takeRules()
	return func() tea.Msg {
		set, err := fetch(ids)
		msg := rulesFetchedMsg{set: set, count: len(ids), err: err, gen: gen}
		if err == nil {
			msg.taken = take(files, set, set)
		}
		return msg
	}
}

func (m *Model) handleRulesFetched(msg rulesFetchedMsg) {
	m.fetching = false
	if msg.gen != m.rulesGen {
		// Begun before a reload (R): older than the rules the reload brings, it
		// must not replace them. The next tick fetches again for new interfaces.
		return
	}
	m.fetchedFor = msg.count
	if msg.err != nil {
		m.log.Warn("live rules", "err", msg.err)
		m.notify("live rules: "+msg.err.Error(), true, 15*time.Second)
		return
	}
	m.useRules(msg.taken, "fetched", false)
	m.notify(fmt.Sprintf("live rules: %s security groups, %s network ACLs for %s interfaces", thousands(len(msg.set.SecurityGroups())), thousands(len(msg.set.NetworkACLs())), thousands(msg.count)), false, 8*time.Second)
}

// notify shows a message in the status bar. Messages quote errors of any origin (the
// operating system's, a fetch's), so this is where the screen cleans what it did not get
// from a source: the one guard of the explorer's own (records and statuses come clean).
func (m *Model) notify(text string, isError bool, d time.Duration) {
	m.message, m.msgError, m.msgUntil = model.CleanText(text), isError, m.now().Add(d)
}

// refreshDetail shows the selected record in the detail and verdict panes: the table's
// selection, or in the pairs view the newest record of the selected conversation.
func (m *Model) refreshDetail() {
	r, seq := m.selectedRecord()
	m.detail.SetRecord(r, seq, m.local, m.now())
	m.verdict.pushed, _ = m.src.Field(feed.FieldPushed)
	m.verdictRules()
	m.verdict.SetPair(m.pairs, r, m.rules)
}

func (m *Model) selectedRecord() (*model.Flow, ring.Seq) {
	if m.mode == modePairs {
		row := m.pv.selected()
		if row == nil {
			return nil, 0
		}
		seq := ring.Seq(newestSeq(m.pairs, m.rules, row))
		return m.ring.At(seq), seq
	}
	return m.table.Selected()
}

// applyFilter compiles expr and, when it is valid and not what is applied already,
// refilters the ring. An invalid expression leaves the last valid filter in place, so
// the table does not blank out half-way through typing.
func (m *Model) applyFilter(expr string, remember bool) {
	if m.mode == modeFlows && expr == m.bar.applied && !remember {
		m.bar.err = nil // back to the valid text applied, after an invalid one
		return
	}
	m.setFilter(expr, remember)
}

// setFilter applies expr to the view shown, even when it is the expression applied:
// after a switch of views, the same text means another filter.
func (m *Model) setFilter(expr string, remember bool) {
	formats := make([]*model.Format, 0, len(m.formats))
	for _, f := range m.formats {
		formats = append(formats, f)
	}
	if m.mode == modePairs {
		m.applyPairsFilter(expr, remember, formats)
		return
	}
	opts := m.filterOptions(formats)
	m.filterAt = opts.Now
	flt, err := filter.Compile(expr, opts)
	m.bar.err = err
	if err != nil {
		return
	}
	m.bar.warn = warningText(flt.Warnings())
	m.bar.applied = expr
	if remember {
		m.bar.remember(expr)
	}
	if expr == m.flowsExpr && !m.refiltering() {
		return // what the view shows already (back from the conversations, say)
	}
	if flt.All() {
		m.view.SetFilter(nil)
		m.sv.setFilter(nil, m.ring.Len())
		m.filtered("")
		return
	}
	// Refiltered in steps (work.go): the first now, the rest as messages, while the
	// table shows the previous matches. The stats view counts by the new filter once
	// the table shows it.
	m.view.StartFilter(flt.Match)
	m.refilterExpr, m.refilterMatch = expr, flt.Match
	m.step()
}

// filtered shows the flows view's new matches once a refilter of expr is done.
func (m *Model) filtered(expr string) {
	m.flowsExpr = expr
	m.table.afterRefilter()
	m.refreshDetail()
}

// applyPairsFilter is applyFilter for the conversations view: the same language, plus
// verdict=, blocked=, initiator= and responder=.
func (m *Model) applyPairsFilter(expr string, remember bool, formats []*model.Format) {
	lookup := func(seq uint64) *model.Flow { return m.ring.At(ring.Seq(seq)) }
	opts := m.filterOptions(formats)
	m.filterAt = opts.Now
	match, err := pairs.CompileFilter(expr, lookup, opts)
	m.bar.err = err
	if err != nil {
		return
	}
	m.bar.warn = ""
	if n, err := filter.Parse(expr); err == nil {
		m.bar.warn = warningText(filter.Lint(n))
	}
	m.bar.applied = expr
	if strings.TrimSpace(expr) == "" {
		match = nil
	}
	if remember {
		m.bar.remember(expr)
	}
	// Rebuilt in steps (work.go), the rows on show kept until the new ones are ready.
	m.pv.startBuild(m.pairs, match, expr, true)
	m.step()
}

// filterOptions are how a filter is read now: relative times (15m, 09:10) against this
// moment, times without an offset in the zone shown (UTC, or local after t or
// --local-time), the one rule docs/filter.md states for every place that reads a time.
func (m *Model) filterOptions(formats []*model.Format) filter.Options {
	return filter.Options{Formats: formats, Now: m.now(), Location: shownZone(m.local)}
}

// toggleMode switches between the flows table and the conversations view; each keeps
// its own filter. From the stats view, which shares the flows filter, it goes to the
// conversations.
func (m *Model) toggleMode() {
	m.closeStats()
	current := m.bar.input.Value()
	next := m.otherFilter
	m.otherFilter = current
	m.cancelJobs()
	if m.mode == modeFlows {
		m.mode = modePairs
		m.pv.opening = true
	} else {
		m.mode = modeFlows
	}
	m.bar.err = nil
	m.bar.input.SetValue(next)
	m.setFilter(next, false)
	m.focus = paneTable
	m.refreshDetail()
}

// Run starts the explorer full screen and blocks until the user quits or ctx ends (the
// commands cancel it on a terminating signal: SIGHUP, SIGINT, SIGTERM, SIGQUIT). The
// terminal is restored on every way out, panics included (Bubble Tea restores it before
// re-raising), and the feed is closed after it: a live source is billed until then, and
// closing it can wait on the network, which must not hold the screen. A context that
// ended is not a failure: Run returns nil, and the caller tells the status from ctx.
func Run(ctx context.Context, opts Options, progOpts ...tea.ProgramOption) error {
	if os.Getenv("NO_COLOR") != "" {
		opts.NoColor = true
	}
	m := New(opts)
	m.frameEvery = followFrameEvery
	// The commands own the signals: Bubble Tea's handler would catch only SIGINT and
	// SIGTERM, and answer SIGINT with an error.
	progOpts = append([]tea.ProgramOption{tea.WithContext(ctx), tea.WithoutSignalHandler()}, progOpts...)
	if opts.Input != nil {
		progOpts = append(progOpts, tea.WithInput(opts.Input))
	}
	p := tea.NewProgram(m, progOpts...)
	_, err := p.Run()
	if opts.Restored != nil {
		opts.Restored()
	}
	m.closeFeed()
	if err != nil && ctx.Err() != nil && errors.Is(err, tea.ErrProgramKilled) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("the screen failed: %w", err)
	}
	return nil
}

// closeFeed closes the feed the explorer ended with: the one it was given, or the one
// the picker started.
func (m *Model) closeFeed() {
	if m.opts.Feed != nil {
		m.opts.Feed.Close()
	}
}

// TerminalReset puts back what the explorer changes on a terminal (keyboard
// enhancements, the alternate screen, the hidden cursor, bracketed paste, mouse
// reporting). Bubble Tea writes the same on its way out; this is for a way out that
// cannot wait for it, such as a second signal while the first is being handled.
const TerminalReset = ansi.ResetModifyOtherKeys + "\x1b[<1u" + ansi.ResetModeAltScreenSaveCursor +
	ansi.ShowCursor + ansi.ResetModeBracketedPaste + ansi.ResetModeMouseButtonEvent +
	ansi.ResetModeMouseAnyEvent + ansi.ResetModeMouseExtSgr + "\r\n"
