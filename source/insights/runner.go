package insights

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/smithy-go"

	"github.com/flowlens/flowlens/source/awsclient"
	"github.com/flowlens/flowlens/source/clock"
)

// AWS's limits and the defaults chosen within them.
const (
	// AccountQueryQuota is the concurrent Insights queries AWS's API reference allows
	// one account ("up to 30 concurrent CloudWatch Logs Insights queries, including
	// queries that have been added to dashboards"); the console guide now says 100.
	AccountQueryQuota = 30
	// DefaultMaxConcurrent leaves most of the account's quota to everyone else who is
	// looking at the same incident.
	DefaultMaxConcurrent = 4
	// DefaultRowLimit is the rows a query returns unless asked for more: every account
	// supports 10,000 (current ones page up to 100,000 with nextToken).
	DefaultRowLimit = 10000
	// DefaultMaxQueries bounds the queries one Records or Groups call starts: a range so
	// dense that a thousand queries cannot split it is better reported than scanned on.
	DefaultMaxQueries = 1000
	DefaultPollBase   = time.Second
	DefaultPollMax    = 10 * time.Second
	// DefaultBackoffBase and DefaultBackoffMax space out retries after throttling and
	// while the account's concurrent queries are all in use.
	DefaultBackoffBase = time.Second
	DefaultBackoffMax  = time.Minute
	// stopTimeout bounds the StopQuery calls made after the caller's context ended, and
	// startTimeout the StartQuery calls, which are not cancelled half-way.
	stopTimeout  = 5 * time.Second
	startTimeout = 30 * time.Second
	// QueryTimeout is how long Insights lets a query run before it answers Timeout.
	QueryTimeout = 60 * time.Minute
)

// Clock is the time the runner polls and backs off by (source/clock); tests pass one
// that does not wait.
type Clock = clock.Clock

// Options shape a Runner; zero values take the defaults.
type Options struct {
	// MaxConcurrent is the most queries the Runner has running at once, over all its
	// calls.
	MaxConcurrent int
	// RowLimit is StartQuery's limit: the most rows one query returns. An answer that
	// reaches it is split by time.
	RowLimit int
	// PageSize, when set, asks GetQueryResults for pages of this many rows (maxItems);
	// zero takes what AWS returns at once and follows nextToken when it comes.
	PageSize int
	// MaxQueries bounds the queries one Records or Groups call may start.
	MaxQueries int
	// PollBase and PollMax bound the pause between two GetQueryResults calls of one
	// query: the first call is made at once, then the pause doubles from PollBase.
	PollBase, PollMax time.Duration
	// BackoffBase and BackoffMax bound the wait after throttling, or while the
	// account's concurrent queries are in use: the n-th wait lies in
	// [base*2^(n-1), base*2^n), capped at max.
	BackoffBase, BackoffMax time.Duration
	Clock                   Clock
	// Jitter returns a number in [0, 1) that spreads the back-off of many readers.
	Jitter func() float64
	// Profile only shapes messages ("run aws sso login --profile X").
	Profile string
	// Progress, when set, is called with the running totals after every query and
	// every retry, from the goroutine that ran it.
	Progress func(Stats)
}

func (o Options) withDefaults() Options {
	if o.MaxConcurrent <= 0 {
		o.MaxConcurrent = DefaultMaxConcurrent
	}
	if o.RowLimit <= 0 {
		o.RowLimit = DefaultRowLimit
	}
	if o.MaxQueries <= 0 {
		o.MaxQueries = DefaultMaxQueries
	}
	if o.PollBase <= 0 {
		o.PollBase = DefaultPollBase
	}
	if o.PollMax < o.PollBase {
		o.PollMax = max(DefaultPollMax, o.PollBase)
	}
	if o.BackoffBase <= 0 {
		o.BackoffBase = DefaultBackoffBase
	}
	if o.BackoffMax < o.BackoffBase {
		o.BackoffMax = max(DefaultBackoffMax, o.BackoffBase)
	}
	if o.Clock == nil {
		o.Clock = clock.Wall{}
	}
	if o.Jitter == nil {
		o.Jitter = rand.Float64
	}
	return o
}

// Stats are the running totals of a Runner.
type Stats struct {
	// Queries is the number of queries that completed.
	Queries int
	// Splits counts the ranges that were split because their answer reached the row
	// limit (each split costs one more scan of part of the range).
	Splits int
	// BytesScanned is what Insights bills: the sum of statistics.bytesScanned.
	BytesScanned float64
	// RecordsScanned and RecordsMatched are the sums of the statistics of the same name.
	RecordsScanned, RecordsMatched float64
	// Retries counts the waits after throttling or a full concurrency quota; LastError
	// is the last of them, explained.
	Retries   int
	LastError string
}

// Error is an Insights failure explained for a person, with the SDK error (if any)
// kept underneath for errors.As.
type Error struct {
	Msg string
	Err error
}

func (e *Error) Error() string { return e.Msg }
func (e *Error) Unwrap() error { return e.Err }

// Runner runs Insights queries within AWS's limits. It is safe for concurrent use; its
// concurrency limit holds over all its calls.
type Runner struct {
	logs *cloudwatchlogs.Client
	opts Options
	sem  chan struct{}

	mu    sync.Mutex
	stats Stats
}

// New returns a Runner that queries through logs.
func New(logs *cloudwatchlogs.Client, opts Options) *Runner {
	opts = opts.withDefaults()
	return &Runner{logs: logs, opts: opts, sem: make(chan struct{}, opts.MaxConcurrent)}
}

// Stats returns the running totals.
func (r *Runner) Stats() Stats {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stats
}

// RowLimit is the most rows one query returns.
func (r *Runner) RowLimit() int { return r.opts.RowLimit }

func (r *Runner) update(f func(*Stats)) {
	r.mu.Lock()
	f(&r.stats)
	st := r.stats
	r.mu.Unlock()
	if r.opts.Progress != nil {
		r.opts.Progress(st)
	}
}

// Range is a time range in whole seconds, both ends included, as StartQuery takes it.
type Range struct{ From, To int64 }

// RangeOf is the range of seconds that holds the timestamps in [start, end). Flow log
// events carry whole-second timestamps (the record's start), so it holds exactly those
// events; ok is false when the range is empty.
func RangeOf(start, end time.Time) (rng Range, ok bool) {
	from := ceilSecond(start)
	to := ceilSecond(end) - 1
	return Range{from, to}, to >= from
}

func ceilSecond(t time.Time) int64 {
	s := t.Unix()
	if t.Nanosecond() > 0 {
		s++
	}
	return s
}

// Seconds is the number of seconds in the range.
func (g Range) Seconds() int64 { return g.To - g.From + 1 }

func (g Range) String() string {
	layout := "2006-01-02 15:04:05"
	return time.Unix(g.From, 0).UTC().Format(layout) + " to " + time.Unix(g.To, 0).UTC().Format(layout) + " UTC"
}

// split cuts the range into n adjacent ranges that share no second (n is at most the
// number of seconds).
func (g Range) split(n int64) []Range {
	n = max(1, min(n, g.Seconds()))
	out := make([]Range, 0, n)
	for i := int64(0); i < n; i++ {
		from := g.From + i*g.Seconds()/n
		to := g.From + (i+1)*g.Seconds()/n - 1
		out = append(out, Range{from, to})
	}
	return out
}

// answer is a completed query's rows and statistics.
type answer struct {
	rows  [][]types.ResultField
	stats types.QueryStatistics
}

// truncated reports whether the answer may lack rows: it reached the row limit, or
// fewer rows came back than the query matched (a query without stats returns one row
// per matched event).
func (a *answer) truncated(limit int, grouped bool) bool {
	if len(a.rows) >= limit {
		return true
	}
	return !grouped && a.stats.RecordsMatched > float64(len(a.rows))
}

// budget counts the queries one call may still start.
type budget struct {
	left atomic.Int64
	max  int
}

func newBudget(n int) *budget {
	b := &budget{max: n}
	b.left.Store(int64(n))
	return b
}

func (b *budget) take(rng Range) error {
	if b.left.Add(-1) < 0 {
		return &Error{Msg: fmt.Sprintf("the range %s holds more than Insights can return in %d queries: narrow the time range or the filter", rng, b.max)}
	}
	return nil
}

// query runs one query over rng and waits for its answer. A query still running when
// ctx ends is stopped.
func (r *Runner) query(ctx context.Context, groups []string, text string, rng Range, b *budget) (*answer, error) {
	if err := b.take(rng); err != nil {
		return nil, err
	}
	select {
	case r.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-r.sem }()
	id, err := r.start(ctx, groups, text, rng)
	if err != nil {
		return nil, err
	}
	ans, err := r.await(ctx, id, rng)
	if err != nil {
		if ctx.Err() != nil {
			r.stop(ctx, id)
		}
		return nil, err
	}
	r.update(func(s *Stats) {
		s.Queries++
		s.BytesScanned += ans.stats.BytesScanned
		s.RecordsScanned += ans.stats.RecordsScanned
		s.RecordsMatched += ans.stats.RecordsMatched
	})
	return ans, nil
}

// start calls StartQuery, waiting while AWS throttles or the account's concurrent
// queries are all in use (LimitExceededException: a quota others free up as their
// queries end).
func (r *Runner) start(ctx context.Context, groups []string, text string, rng Range) (string, error) {
	in := &cloudwatchlogs.StartQueryInput{
		QueryString: aws.String(text),
		StartTime:   aws.Int64(rng.From),
		EndTime:     aws.Int64(rng.To),
		Limit:       aws.Int32(int32(r.opts.RowLimit)),
	}
	if len(groups) == 1 {
		in.LogGroupName = aws.String(groups[0])
	} else {
		in.LogGroupNames = groups
	}
	bo := r.newBackoff()
	for {
		// The call itself is not cancelled with ctx: a query AWS started whose ID never
		// arrived could not be stopped, and would run on, billed. It is stopped here
		// instead when ctx ended meanwhile.
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), startTimeout)
		out, err := r.logs.StartQuery(sctx, in)
		cancel()
		if err == nil {
			id := aws.ToString(out.QueryId)
			if ctx.Err() != nil {
				r.stop(ctx, id)
				return "", ctx.Err()
			}
			return id, nil
		}
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		switch {
		case awsclient.IsThrottle(err):
			r.retried(awsclient.Explain(err, r.opts.Profile))
		case errorCode(err) == "LimitExceededException":
			r.retried(fmt.Sprintf("the account's concurrent Logs Insights queries are all in use (AWS allows %d, dashboards included): waiting for one to end", AccountQueryQuota))
		case errorCode(err) == "MalformedQueryException":
			return "", &Error{Msg: "Logs Insights refused flowlens's query (a flowlens bug, please report it): " + awsclient.Explain(err, r.opts.Profile), Err: err}
		default:
			return "", &Error{Msg: awsclient.Explain(err, r.opts.Profile), Err: err}
		}
		if err := r.opts.Clock.Sleep(ctx, bo.next()); err != nil {
			return "", err
		}
	}
}

// await polls a query until it ends, with a pause that grows from PollBase to PollMax,
// and reads every page of its results.
func (r *Runner) await(ctx context.Context, id string, rng Range) (*answer, error) {
	pause := time.Duration(0)
	bo := r.newBackoff()
	in := &cloudwatchlogs.GetQueryResultsInput{QueryId: aws.String(id)}
	if r.opts.PageSize > 0 {
		in.MaxItems = aws.Int32(int32(r.opts.PageSize))
	}
	for {
		if pause > 0 {
			if err := r.opts.Clock.Sleep(ctx, pause); err != nil {
				return nil, err
			}
		}
		out, err := r.logs.GetQueryResults(ctx, in)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if !awsclient.IsThrottle(err) {
				r.stop(ctx, id) // it would run on, billed, with no one reading it
				return nil, &Error{Msg: awsclient.Explain(err, r.opts.Profile), Err: err}
			}
			r.retried(awsclient.Explain(err, r.opts.Profile))
			pause = bo.next()
			continue
		}
		switch out.Status {
		case types.QueryStatusComplete:
			return r.pages(ctx, in, out)
		case types.QueryStatusTimeout:
			return nil, &Error{Msg: fmt.Sprintf("the Logs Insights query over %s timed out (Insights ends a query after %s of running): narrow the time range or the filter", rng, QueryTimeout)}
		case types.QueryStatusFailed:
			return nil, &Error{Msg: fmt.Sprintf("the Logs Insights query over %s failed on AWS's side: try again, or narrow the time range", rng)}
		case types.QueryStatusCancelled:
			return nil, &Error{Msg: fmt.Sprintf("the Logs Insights query over %s was cancelled by someone else (StopQuery, or the console)", rng)}
		}
		// Scheduled, Running or Unknown: ask again later.
		pause = min(max(2*pause, r.opts.PollBase), r.opts.PollMax)
	}
}

// pages reads the pages that follow a complete answer.
func (r *Runner) pages(ctx context.Context, in *cloudwatchlogs.GetQueryResultsInput, out *cloudwatchlogs.GetQueryResultsOutput) (*answer, error) {
	ans := &answer{rows: out.Results}
	if out.Statistics != nil {
		ans.stats = *out.Statistics
	}
	bo := r.newBackoff()
	seen := map[string]bool{}
	for out.NextToken != nil {
		token := aws.ToString(out.NextToken)
		if seen[token] {
			break // a token that comes back would page forever
		}
		seen[token] = true
		next := *in
		next.NextToken = out.NextToken
		page, err := r.logs.GetQueryResults(ctx, &next)
		switch {
		case err == nil:
			ans.rows = append(ans.rows, page.Results...)
			out = page
		case ctx.Err() != nil:
			return nil, ctx.Err()
		case awsclient.IsThrottle(err):
			r.retried(awsclient.Explain(err, r.opts.Profile))
			if err := r.opts.Clock.Sleep(ctx, bo.next()); err != nil {
				return nil, err
			}
		default:
			return nil, &Error{Msg: awsclient.Explain(err, r.opts.Profile), Err: err}
		}
	}
	return ans, nil
}

// stop ends a query the caller gave up on. Its own context outlives the caller's,
// since that one has ended; errors are ignored (the query may have just finished).
func (r *Runner) stop(ctx context.Context, id string) {
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), stopTimeout)
	defer cancel()
	_, _ = r.logs.StopQuery(sctx, &cloudwatchlogs.StopQueryInput{QueryId: aws.String(id)})
}

func (r *Runner) retried(msg string) {
	r.update(func(s *Stats) {
		s.Retries++
		s.LastError = msg
	})
}

// backoff spaces out retries: the n-th wait lies in [base*2^(n-1), base*2^n), capped.
type backoff struct {
	base, max time.Duration
	jitter    func() float64
	attempt   int
}

func (r *Runner) newBackoff() *backoff {
	return &backoff{base: r.opts.BackoffBase, max: r.opts.BackoffMax, jitter: r.opts.Jitter}
}

func (b *backoff) next() time.Duration {
	ceiling := b.max
	if b.attempt < 30 {
		ceiling = min(b.base<<b.attempt, b.max)
	}
	b.attempt++
	half := ceiling / 2
	return half + time.Duration(b.jitter()*float64(ceiling-half))
}

func errorCode(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode()
	}
	return ""
}

// field returns the value of a named field of a result row.
func field(row []types.ResultField, name string) (string, bool) {
	for _, f := range row {
		if aws.ToString(f.Field) == name {
			return aws.ToString(f.Value), true
		}
	}
	return "", false
}
