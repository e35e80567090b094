package cloudwatch

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"

	"github.com/flowlens/flowlens/feed"
	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/source"
	"github.com/flowlens/flowlens/source/awsclient"
	"github.com/flowlens/flowlens/source/insights"
)

// Chunk is what Run hands its function: the records delivered since the last chunk, in
// arrival order, what parsing counted, and the source's status at that moment.
type Chunk struct {
	// Records are valid until the function returns.
	Records []model.Flow
	Stats   model.Stats
	Status  feed.Status
}

// Source reads VPC flow log records from CloudWatch Logs. New does the start-up work
// (finding the groups, learning the formats), so that its errors come before a screen
// opens; then the Source runs once, headless with Run or for the explorer with Start.
type Source struct {
	cfg   Config
	t     Timing
	clock Clock

	groups  []logGroup
	queries []query
	// liveIn is the StartLiveTail request; with several groups Live Tail cannot narrow
	// the streams, and liveFilter makes the source do it.
	liveIn     *cloudwatchlogs.StartLiveTailInput
	liveFilter []string

	picker *picker
	// warnings are what New learned that a person should know (a guessed format).
	warnings []string
	seen     *seenSet
	bo       backoff
	h        *health

	since, until time.Time
	// from is where the next re-read starts: every event ingested before the point the
	// source knows complete has been delivered, and an event ingested after it has a
	// timestamp of at least that point minus the look-back.
	from time.Time
	// working is set once the source has read something; from then on it retries what
	// fails instead of giving up, as a person watching it expects.
	working bool

	emit func(*Chunk) error
	ctl  *control
	recs []model.Flow
	used atomic.Bool

	// push is what is pushed down now (pushdown.go), and cover which push fetched which
	// stretch of time (narrow.go).
	push  *pushed
	cover coverage
	// held remembers what the explorer was given (nil headless); refetching is set
	// while a window is fetched again, whose events the screen may hold already.
	held       *heldSet
	refetching bool
	delivered  int64
	// ins runs the Logs Insights queries of the history (nil: FilterLogEvents);
	// insightsDone is set once the first history was read with it.
	ins          *insights.Runner
	insightsDone bool
	historyNote  string
	// olderWindow is the span one LoadBefore reads; olderFrom where the oldest read
	// began.
	olderWindow time.Duration
	olderFrom   time.Time
}

// query is one FilterLogEvents search: a group, narrowed to a stream prefix or not.
type query struct {
	group  int
	prefix string
}

// New checks the configuration, finds the log groups and learns their formats. Its
// errors are meant for a person: access denied naming the action, a log group that does
// not exist listing those that do, missing or expired credentials.
func New(ctx context.Context, cfg Config) (*Source, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Logs == nil {
		return nil, errors.New("cloudwatch: no CloudWatch Logs client")
	}
	s := &Source{cfg: cfg, t: cfg.Timing.withDefaults(), seen: newSeenSet()}
	s.clock = s.t.Clock
	s.bo = newBackoff(s.t)
	now := s.clock.Now()
	s.since, s.until = cfg.Since, cfg.Until
	if s.since.IsZero() {
		s.since = now.Add(-DefaultSince)
	}
	if !s.until.IsZero() {
		s.cfg.Follow = false
	}
	s.from = s.since

	groups, err := resolveGroups(ctx, &s.cfg)
	if err != nil {
		return nil, err
	}
	s.groups = groups
	name := cfg.describe()
	s.h = newHealth(name)
	picker, note, routine := learnFormats(ctx, &s.cfg, groups, name)
	s.picker = picker
	s.h.note("format", note)
	if !routine {
		s.warnings = append(s.warnings, note)
	}

	s.push = new(pushed)
	*s.push = s.compilePush(cfg.Filter)
	if err := s.chooseHistory(now); err != nil {
		return nil, err
	}
	s.h.pushed = s.push.describe(s.ins != nil)
	s.h.note("pushed", pushNotes(s.push))
	s.cover.open(s.since, s.push, !s.push.any() && s.ins == nil)
	s.olderWindow = max(DefaultSince, now.Sub(s.since))

	prefixes := cfg.prefixes()
	arns := make([]string, len(groups))
	for g, grp := range groups {
		arns[g] = grp.arn
		if len(prefixes) == 0 {
			s.queries = append(s.queries, query{group: g})
		}
		for _, p := range prefixes {
			s.queries = append(s.queries, query{group: g, prefix: p})
		}
	}
	s.liveIn = &cloudwatchlogs.StartLiveTailInput{LogGroupIdentifiers: arns}
	if s.push.live != "" {
		s.liveIn.LogEventFilterPattern = aws.String(s.push.live)
	}
	switch {
	case len(prefixes) > 0 && len(groups) == 1:
		s.liveIn.LogStreamNamePrefixes = prefixes
	case len(prefixes) > 0:
		s.liveFilter = prefixes
	}
	return s, nil
}

// Formats are the record formats the source reads, for compiling filters that name
// custom columns.
func (s *Source) Formats() []*model.Format { return s.picker.formats }

// Warnings are what New learned that a person should be told before reading starts,
// such as a format that had to be guessed.
func (s *Source) Warnings() []string { return s.warnings }

// Window is the time range the history covers: since, and until (zero when it goes on
// to now).
func (s *Source) Window() (since, until time.Time) { return s.since, s.until }

// HistoryChoice says what reads the history and, with HistoryAuto, why: the cost
// driver (pages of FilterLogEvents against bytes Insights would scan). "" when it is
// FilterLogEvents because the configuration said so.
func (s *Source) HistoryChoice() string { return s.historyNote }

// Pushed is what the source pushes down of the filter, as the status bar's "pushed"
// field shows it ("" when nothing), and the filter patterns it sends: each group's
// (FilterLogEvents) and the Live Tail session's.
func (s *Source) Pushed() (terms string, groupPatterns []string, livePattern string) {
	return s.push.describe(s.ins != nil), slices.Clone(s.push.patterns), s.push.live
}

// InsightsStats are the totals of the Logs Insights queries run so far (zero without
// them): bytes scanned, which Insights bills, above all.
func (s *Source) InsightsStats() insights.Stats {
	if s.ins == nil {
		return insights.Stats{}
	}
	return s.ins.Stats()
}

// Status is what New learned, as the status bar would show it; call it before Run or
// Start, which then report the status with every chunk or batch.
func (s *Source) Status() feed.Status { return s.h.snapshot(s.clock.Now()) }

// Run reads without a screen, calling fn with each chunk of records in the order they
// arrive, the history first. Without Follow it returns once the history up to Until (or
// now) is read; with Follow it goes on until ctx is done. It returns nil when ctx ends
// it, fn's error if fn fails, and an Error when reading fails for good.
func (s *Source) Run(ctx context.Context, fn func(*Chunk) error) error {
	if s.used.Swap(true) {
		return errors.New("cloudwatch: a Source runs once")
	}
	s.emit = fn
	err := s.run(ctx)
	var stop stopError
	if errors.As(err, &stop) {
		return stop.err
	}
	return err
}

// Start runs the source for the explorer. Records that the screen is not ready for are
// dropped and counted when following, as a live source must not wait; the history alone
// is read at the screen's pace. Pause closes the Live Tail session (billed by the
// minute); Resume opens a new one and fills the gap from the history.
func (s *Source) Start(ctx context.Context) source.Feed {
	if s.used.Swap(true) {
		panic("cloudwatch: a Source runs once")
	}
	out, w := source.NewWriter(ctx, s.cfg.Follow)
	s.ctl = newControl()
	s.held = newHeldSet(s.cfg.Held)
	done := make(chan struct{})
	s.emit = func(c *Chunk) error {
		w.Add(c.Records, &c.Stats)
		w.SetStatus(c.Status)
		return nil
	}
	go func() {
		defer w.Close()
		defer close(done)
		defer s.ctl.stop()
		defer source.ReportPanic(w.Fail)
		if err := s.run(w.Context()); err != nil {
			s.h.st.State = feed.StateError
			s.h.failed(err.Error(), s.clock.Now())
			w.SetStatus(s.h.snapshot(s.clock.Now()))
			w.Fail(err)
		}
	}()
	return &pausableFeed{Feed: out, ctl: s.ctl, src: s, done: done}
}

// Open is New followed by Start.
func Open(ctx context.Context, cfg Config) (source.Feed, error) {
	s, err := New(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return s.Start(ctx), nil
}

// errUsePolling ends the Live Tail mode when Live Tail is not available.
var errUsePolling = errors.New("cloudwatch: Live Tail unavailable")

// errSessionLost is how a Live Tail stream that ended without an error reads: the
// connection broke, since the source had not asked for the end.
var errSessionLost = errors.New("the Live Tail connection was lost")

// stopError carries the error of the function Run was given, which ends the source.
type stopError struct{ err error }

func (e stopError) Error() string { return e.err.Error() }

func (s *Source) run(ctx context.Context) error {
	if !s.cfg.Follow {
		s.h.mode, s.h.st.State = ModeHistory, feed.StateReading
		err := s.readHistory(ctx, s.since, s.until)
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil:
			return err
		}
		s.h.st.State = feed.StateDone
		return s.publish(nil)
	}
	mode := ModeLiveTail
	if s.cfg.Poll {
		mode = ModePolling
		s.h.note("mode", fmt.Sprintf("polling every %s (--poll)", s.t.PollEvery))
	}
	for {
		phase, end, ok := s.beginPhase(ctx)
		if !ok {
			return nil
		}
		var err error
		if mode == ModeLiveTail {
			err = s.live(phase)
		} else {
			err = s.poll(phase)
		}
		paused := phase.Err() != nil && ctx.Err() == nil
		end()
		switch {
		case ctx.Err() != nil:
			return nil
		case errors.Is(err, errUsePolling):
			mode = ModePolling
		case paused:
			// The next phase waits for Resume.
		case err != nil:
			return err
		}
	}
}

// publish hands the delivered records and the status on.
func (s *Source) publish(recs []model.Flow) error {
	c := Chunk{Records: recs, Status: s.h.snapshot(s.clock.Now())}
	s.picker.takeStats(&c.Stats)
	if err := s.emit(&c); err != nil {
		return stopError{err}
	}
	return nil
}

// retry notes a failure the source goes on after and waits out the back-off.
func (s *Source) retry(ctx context.Context, err error) error {
	s.h.failed(awsclient.Explain(err, s.cfg.Profile), s.clock.Now())
	s.h.st.Retries++
	if perr := s.publish(nil); perr != nil {
		return perr
	}
	return s.clock.Sleep(ctx, s.bo.next())
}

// keepFrom is the oldest event timestamp a later read can still return.
func (s *Source) keepFrom(now time.Time) time.Time {
	if !s.cfg.Follow {
		// The history is read once; only overlapping pages could repeat an event.
		return now.Add(-s.t.LookBack)
	}
	return s.from
}

// advance moves the start of the next re-read: everything ingested before complete
// has been delivered.
func (s *Source) advance(complete time.Time) {
	from := complete.Add(-s.t.LookBack)
	if from.Before(s.since) {
		from = s.since
	}
	if from.After(s.from) {
		s.from = from
	}
}

// groupOf attributes a Live Tail event to a group. The logGroupIdentifier AWS sends is
// not documented to be in one form, so it is only trusted when it plainly names a
// group; otherwise the event is read in any of the groups' formats.
func (s *Source) groupOf(identifier string) int {
	if len(s.groups) == 1 {
		return 0
	}
	for g, grp := range s.groups {
		if identifier == grp.name || identifier == grp.arn || strings.HasSuffix(identifier, ":"+grp.name) {
			return g
		}
	}
	return len(s.groups)
}

// deliverLive delivers the new events of a Live Tail update.
func (s *Source) deliverLive(up liveUpdate) error {
	now := s.clock.Now()
	recs := s.recs[:0]
	since := s.since.UnixMilli()
	n, newest := 0, int64(0)
	for _, e := range up.events {
		stream, ts, msg := aws.ToString(e.LogStreamName), aws.ToInt64(e.Timestamp), aws.ToString(e.Message)
		if ts < since || (s.liveFilter != nil && !hasAnyPrefix(stream, s.liveFilter)) {
			continue
		}
		if !s.seen.addLive(stream, ts, msg, now) {
			continue
		}
		s.hold(stream, ts, msg)
		n++
		newest = max(newest, ts)
		var f model.Flow
		if s.picker.parse([]byte(msg), s.groupOf(aws.ToString(e.LogGroupIdentifier)), &f) {
			recs = append(recs, f)
		}
	}
	s.recs = recs
	s.delivered += int64(len(recs))
	s.h.saw(n, newest)
	s.h.st.Sampled = up.sampled
	s.advance(up.at)
	s.forget(now)
	return s.publish(recs)
}

func (s *Source) forget(now time.Time) {
	s.seen.forget(s.keepFrom(now), now)
	if s.seen.overflowed > 0 {
		s.h.note("dedup", fmt.Sprintf("de-duplication memory full: %d keys forgotten early, a repeated record may show twice", s.seen.overflowed))
	}
}

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}
