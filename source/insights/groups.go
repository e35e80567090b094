package insights

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"

	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/filter"
	"github.com/flowlens/flowlens/model/pushdown"
)

// GroupsQuery is an aggregation for AWS to compute: the records of the log groups that
// match Filter, whose start lies in [Start, End), counted per Grouping.
type GroupsQuery struct {
	// LogGroups are the log group names (1 to 50), every one holding records of Format.
	LogGroups []string
	Format    *model.Format
	// Filter is the parsed filter (filter.Parse); nil counts every record.
	Filter   filter.Node
	Grouping pushdown.Grouping
	// Streams, when set, counts only the log streams whose names start with one of
	// these prefixes (the interfaces of --eni).
	Streams []string
	// Start and End select the records by the event timestamp, which for a flow log
	// record is its start (whole seconds).
	Start, End time.Time
}

// Group is one group of the answer: every record of the range that matched, not a
// top-N.
type Group struct {
	// Values are the group's values, one per Grouping.By in order, as the records
	// write them: "-" for a record that lacks the value (NODATA), which a local count
	// calls null.
	Values []string
	// Bin is the start of the group's time bin (UTC) with Grouping.Bin; zero without.
	Bin time.Time
	// Flows counts records; Packets and Bytes are sums (a "-" adds nothing); Rejects
	// counts records whose action is REJECT.
	Flows, Packets, Bytes, Rejects uint64
	// Distinct is the number of distinct present values of Grouping.Distinct, with
	// HasDistinct: an estimate (see Groups.DistinctEstimated).
	Distinct uint64
}

// Groups is the answer to a GroupsQuery.
type Groups struct {
	// Groups are every group, ordered by bin, then by the values in Grouping.By order.
	Groups []Group
	// Query is the Insights query that was run (over each piece of the range).
	Query string
	// DistinctEstimated is set with Grouping.HasDistinct: Insights' count_distinct is
	// an estimate for high cardinalities (a local count is exact).
	DistinctEstimated bool
	// DistinctSummed is set when a group's records fell in more than one piece of a
	// split range and its distinct counts were added: the sum is then an upper bound.
	// Ranges are split on bin boundaries, so with a bin this happens only when one bin
	// alone held more groups than a query returns.
	DistinctSummed bool
	// Pieces is the number of ranges the time range was asked in (1 unless an answer
	// reached the row limit).
	Pieces int
}

// NotExactError says why a grouping was not pushed down: the filter does not compile
// exactly to Insights, so AWS would count records flowlens's filter drops. The caller
// fetches the records and counts them locally instead.
type NotExactError struct{ Notes []string }

func (e *NotExactError) Error() string {
	return "the filter is not exact in Logs Insights (" + strings.Join(e.Notes, "; ") + "): the groups must be counted locally"
}

// GroupsQueryText is the Insights query Groups runs for q, and whether it is exact.
func GroupsQueryText(q GroupsQuery) (pushdown.Result, error) {
	g := q.Grouping
	return pushdown.Insights(q.Filter, q.Format, pushdown.InsightsOptions{Grouping: &g, Streams: q.Streams})
}

// Groups has AWS count the groups of q. The query is pushed only when the filter
// compiles exactly (otherwise a *NotExactError, and nothing is run). An answer that
// reaches the row limit is split in two by time, on a bin boundary when there is a
// bin, and each half asked again (concurrently, within the Runner's limit); the full
// groups of every piece are merged, counts added.
func (r *Runner) Groups(ctx context.Context, q GroupsQuery) (*Groups, error) {
	if q.Format == nil {
		q.Format = model.DefaultFormat
	}
	res, err := GroupsQueryText(q)
	if err != nil {
		return nil, err
	}
	if !res.Exact {
		return nil, &NotExactError{Notes: res.Notes}
	}
	out := &Groups{Query: res.Text, DistinctEstimated: q.Grouping.HasDistinct}
	rng, ok := RangeOf(q.Start, q.End)
	if !ok || res.Never {
		return out, nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	c := &groupsCall{r: r, q: q, text: res.Text, b: newBudget(r.opts.MaxQueries)}
	pieces, err := c.collect(ctx, rng)
	if err != nil {
		return nil, err
	}
	out.Pieces = len(pieces)
	merged := map[string]*Group{}
	var keys []string
	for _, piece := range pieces {
		for _, g := range piece {
			k := groupKey(g)
			m, ok := merged[k]
			if !ok {
				gg := g
				merged[k] = &gg
				keys = append(keys, k)
				continue
			}
			m.Flows += g.Flows
			m.Packets += g.Packets
			m.Bytes += g.Bytes
			m.Rejects += g.Rejects
			m.Distinct += g.Distinct
			if q.Grouping.HasDistinct {
				out.DistinctSummed = true
			}
		}
	}
	out.Groups = make([]Group, 0, len(keys))
	for _, k := range keys {
		out.Groups = append(out.Groups, *merged[k])
	}
	slices.SortFunc(out.Groups, func(a, b Group) int {
		if c := a.Bin.Compare(b.Bin); c != 0 {
			return c
		}
		return slices.Compare(a.Values, b.Values)
	})
	return out, nil
}

func groupKey(g Group) string {
	var b strings.Builder
	b.WriteString(strconv.FormatInt(g.Bin.Unix(), 10))
	for _, v := range g.Values {
		b.WriteByte(0)
		b.WriteString(v)
	}
	return b.String()
}

type groupsCall struct {
	r    *Runner
	q    GroupsQuery
	text string
	b    *budget
}

// collect asks for rng and returns the groups of each piece it took.
func (c *groupsCall) collect(ctx context.Context, rng Range) ([][]Group, error) {
	ans, err := c.r.query(ctx, c.q.LogGroups, c.text, rng, c.b)
	if err != nil {
		return nil, err
	}
	if !ans.truncated(c.r.opts.RowLimit, true) {
		groups, err := c.parse(ans.rows)
		if err != nil {
			return nil, err
		}
		return [][]Group{groups}, nil
	}
	if rng.Seconds() == 1 {
		return nil, &Error{Msg: fmt.Sprintf("more than %d groups in the one second %s: Logs Insights cannot return them whole; group by fewer fields or count locally", c.r.opts.RowLimit, time.Unix(rng.From, 0).UTC().Format(time.RFC3339))}
	}
	c.r.update(func(s *Stats) { s.Splits++ })
	halves := splitOnBins(rng, int64(c.q.Grouping.Bin/time.Second))
	var results [2][][]Group
	var errs [2]error
	done := make(chan struct{}, 2)
	for i, h := range halves {
		go func() {
			results[i], errs[i] = c.collect(ctx, h)
			done <- struct{}{}
		}()
	}
	<-done
	<-done
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return append(results[0], results[1]...), nil
}

// splitOnBins cuts a range in two near its middle, on a bin boundary when the range
// spans more than one bin (so that each bin's groups stay whole in one piece).
func splitOnBins(rng Range, bin int64) [2]Range {
	mid := rng.From + rng.Seconds()/2
	if bin > 0 {
		aligned := mid - floorMod(mid, bin)
		if aligned <= rng.From {
			aligned += bin
		}
		if aligned <= rng.To {
			mid = aligned
		}
	}
	return [2]Range{{rng.From, mid - 1}, {mid, rng.To}}
}

func floorMod(a, b int64) int64 {
	m := a % b
	if m < 0 {
		m += b
	}
	return m
}

// parse reads the rows of a grouped query.
func (c *groupsCall) parse(rows [][]types.ResultField) ([]Group, error) {
	f, g := c.q.Format, c.q.Grouping
	out := make([]Group, 0, len(rows))
	for _, row := range rows {
		var grp Group
		for _, fld := range g.By {
			v, _ := field(row, pushdown.ColumnName(f, fld))
			if v == "" {
				v = "-"
			}
			grp.Values = append(grp.Values, v)
		}
		if g.Bin > 0 {
			v, ok := field(row, pushdown.BinColumn(g.Bin))
			if !ok {
				return nil, &Error{Msg: "Logs Insights returned a group without its time bin"}
			}
			ms, err := ParseTimestamp(v)
			if err != nil {
				return nil, &Error{Msg: fmt.Sprintf("Logs Insights returned a time bin flowlens cannot read: %q", v)}
			}
			grp.Bin = time.UnixMilli(ms).UTC()
		}
		var err error
		metric := func(col string) uint64 {
			v, ok := field(row, col)
			if !ok || v == "" {
				return 0
			}
			n, perr := strconv.ParseFloat(v, 64)
			if perr != nil || n < 0 || math.IsNaN(n) {
				err = &Error{Msg: fmt.Sprintf("Logs Insights returned %s = %q, not a count", col, v)}
				return 0
			}
			return uint64(math.Round(n))
		}
		grp.Flows = metric(pushdown.ColFlows)
		grp.Packets = metric(pushdown.ColPackets)
		grp.Bytes = metric(pushdown.ColBytes)
		grp.Rejects = metric(pushdown.ColRejects)
		if g.HasDistinct {
			grp.Distinct = metric(pushdown.DistinctColumn(f, g.Distinct))
		}
		if err != nil {
			return nil, err
		}
		out = append(out, grp)
	}
	return out, nil
}
