package insights

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
)

// Record is one event a records query returned.
type Record struct {
	// Timestamp is the event's time in milliseconds since the epoch (for a flow log
	// record, its start).
	Timestamp int64
	Message   string
	// Stream is @logStream, when the query returns it (pushdown.InsightsOptions.Fields).
	Stream string
}

// RecordsQuery is a search for events.
type RecordsQuery struct {
	// LogGroups are the log group names (1 to 50) the query reads.
	LogGroups []string
	// Query returns @timestamp and @message (and @logStream) sorted by @timestamp
	// ascending, as pushdown.Insights writes it: a cut answer is then complete up to
	// its last second, and only the rest of the range is asked again.
	Query string
	// Start and End select the events whose timestamp lies in [Start, End).
	Start, End time.Time
	// Dense, when set, reads a second that holds more matching events than one query
	// returns another way (FilterLogEvents): time cannot be split finer than StartQuery's
	// seconds. It is called in time order, between the deliveries. Without it such a
	// second is an error.
	Dense func(ctx context.Context, second time.Time) error
}

// Records runs a records query over its range and calls fn with the events in time
// order, a chunk at a time, each event once. An answer that reaches the row limit is
// kept up to its last second; the rest of the range is split into as many pieces as
// the count of matched events says it needs and asked again, the pieces concurrently
// (within the Runner's limit) and delivered in order.
func (r *Runner) Records(ctx context.Context, q RecordsQuery, fn func([]Record) error) error {
	rng, ok := RangeOf(q.Start, q.End)
	if !ok {
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	c := &recordsCall{r: r, q: q, b: newBudget(r.opts.MaxQueries)}
	first, rest, err := c.one(ctx, rng)
	if err != nil {
		return err
	}
	if err := c.deliver(ctx, first, fn); err != nil {
		return err
	}
	if rest == nil {
		return nil
	}
	// The pieces of the rest run concurrently and are delivered in order as each one
	// and those before it are done.
	type piece struct {
		items []item
		err   error
		done  chan struct{}
	}
	parts := rest.rng.split(rest.pieces)
	pieces := make([]*piece, len(parts))
	for i, part := range parts {
		p := &piece{done: make(chan struct{})}
		pieces[i] = p
		go func() {
			defer close(p.done)
			p.items, p.err = c.collect(ctx, part)
		}()
	}
	for _, p := range pieces {
		select {
		case <-p.done:
		case <-ctx.Done():
			return ctx.Err()
		}
		if p.err != nil {
			return p.err
		}
		if err := c.deliver(ctx, p.items, fn); err != nil {
			return err
		}
	}
	return nil
}

// item is a part of an answer in time order: events, or a second too dense to query.
type item struct {
	recs    []Record
	dense   int64 // Unix seconds, when isDense
	isDense bool
}

// remainder is what is left of a range after a cut answer: its seconds, and how many
// pieces it should be asked in.
type remainder struct {
	rng    Range
	pieces int64
}

type recordsCall struct {
	r *Runner
	q RecordsQuery
	b *budget
}

// one asks for rng once: it returns what is complete, and what remains to be asked.
func (c *recordsCall) one(ctx context.Context, rng Range) ([]item, *remainder, error) {
	ans, err := c.r.query(ctx, c.q.LogGroups, c.q.Query, rng, c.b)
	if err != nil {
		return nil, nil, err
	}
	recs, err := parseRecords(ans.rows)
	if err != nil {
		return nil, nil, err
	}
	limit := c.r.opts.RowLimit
	if !ans.truncated(limit, false) || len(recs) == 0 {
		return []item{{recs: recs}}, nil, nil
	}
	c.r.update(func(s *Stats) { s.Splits++ })
	// Sorted oldest first, the answer holds every event of the seconds before its last
	// one; the last second may be cut.
	last := floorDiv(recs[len(recs)-1].Timestamp, 1000)
	var items []item
	from := last
	if last <= rng.From {
		// The first second alone holds more than a query returns.
		items = []item{{dense: rng.From, isDense: true}}
		from = rng.From + 1
	} else {
		keep := 0
		for keep < len(recs) && floorDiv(recs[keep].Timestamp, 1000) < last {
			keep++
		}
		items = []item{{recs: recs[:keep]}}
	}
	if from > rng.To {
		return items, nil, nil
	}
	rest := Range{from, rng.To}
	left := int64(ans.stats.RecordsMatched) - int64(len(items[0].recs))
	return items, &remainder{rng: rest, pieces: piecesFor(left, int64(limit), rest)}, nil
}

// collect asks for rng until it is complete and returns its items in time order.
func (c *recordsCall) collect(ctx context.Context, rng Range) ([]item, error) {
	items, rest, err := c.one(ctx, rng)
	if err != nil || rest == nil {
		return items, err
	}
	parts := rest.rng.split(rest.pieces)
	results := make([][]item, len(parts))
	errs := make([]error, len(parts))
	done := make(chan int, len(parts))
	for i, part := range parts {
		go func() {
			results[i], errs[i] = c.collect(ctx, part)
			done <- i
		}()
	}
	for range parts {
		<-done
	}
	for i := range parts {
		if errs[i] != nil {
			return nil, errs[i]
		}
		items = append(items, results[i]...)
	}
	return items, nil
}

// deliver hands items to fn in order, reading dense seconds through Dense.
func (c *recordsCall) deliver(ctx context.Context, items []item, fn func([]Record) error) error {
	for _, it := range items {
		if it.isDense {
			if c.q.Dense == nil {
				return &Error{Msg: fmt.Sprintf("more than %d matching events in the one second %s: Logs Insights cannot return them whole", c.r.opts.RowLimit, time.Unix(it.dense, 0).UTC().Format(time.RFC3339))}
			}
			if err := c.q.Dense(ctx, time.Unix(it.dense, 0)); err != nil {
				return err
			}
			continue
		}
		if len(it.recs) > 0 {
			if err := fn(it.recs); err != nil {
				return err
			}
		}
	}
	return nil
}

// piecesFor is how many pieces a range with about n matching events is asked in, so
// that each piece's answer most likely fits the row limit: a quarter to spare, as the
// events are rarely spread evenly. At least two, at most one per second.
func piecesFor(n, limit int64, rng Range) int64 {
	p := max(2, (n*4/3+limit-1)/limit)
	return min(p, rng.Seconds())
}

// parseRecords reads the rows of a records query.
func parseRecords(rows [][]types.ResultField) ([]Record, error) {
	out := make([]Record, 0, len(rows))
	for _, row := range rows {
		ts, ok := field(row, "@timestamp")
		if !ok {
			continue
		}
		ms, err := ParseTimestamp(ts)
		if err != nil {
			return nil, &Error{Msg: fmt.Sprintf("Logs Insights returned a @timestamp flowlens cannot read: %q", ts)}
		}
		msg, _ := field(row, "@message")
		stream, _ := field(row, "@logStream")
		out = append(out, Record{Timestamp: ms, Message: msg, Stream: stream})
	}
	return out, nil
}

// timestampLayout is how Insights writes @timestamp and bin() values: UTC, to the
// millisecond.
const timestampLayout = "2006-01-02 15:04:05.000"

// ParseTimestamp reads a @timestamp or bin() value as Insights writes it ("2025-03-01
// 12:05:00.000", UTC) into milliseconds since the epoch; a number is read as
// milliseconds.
func ParseTimestamp(s string) (int64, error) {
	if t, err := time.Parse(timestampLayout, s); err == nil {
		return t.UnixMilli(), nil
	}
	if t, err := time.Parse(time.DateTime, s); err == nil {
		return t.UnixMilli(), nil
	}
	return strconv.ParseInt(s, 10, 64)
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}
