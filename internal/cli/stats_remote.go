package cli

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/filter"
	"github.com/flowlens/flowlens/model/output"
	"github.com/flowlens/flowlens/model/pushdown"
	"github.com/flowlens/flowlens/model/stats"
	"github.com/flowlens/flowlens/source/athena"
	"github.com/flowlens/flowlens/source/cloudwatch"
	"github.com/flowlens/flowlens/source/insights"
)

// stats where the records are: Logs Insights counts the groups of a log group's
// history, Athena those of a table. Their groups join a stats.Grouper (AddRow), so the
// rows come out in the shape, order, top, minimum and cap of a local count, through the
// same writers. Either is used only when the filter compiles exactly; otherwise the
// records are fetched and grouped here, and stderr says which was done.

// groupingOf is the aggregation of a spec as the pushdown compilers take it. The order,
// top and minimum are applied here, to the merged groups (a query over one of several
// time ranges must return all its groups, never its own top N).
func groupingOf(spec stats.Spec) pushdown.Grouping {
	g := pushdown.Grouping{Bin: spec.Bin}
	for _, c := range spec.By {
		g.By = append(g.By, c.Field)
	}
	if spec.Distinct != nil {
		g.Distinct, g.HasDistinct = spec.Distinct.Field, true
	}
	return g
}

// runStatsCloudWatch is stats with --log-group: the history from --since to --until (or
// now), counted by Logs Insights where it reads the history and the filter is exact,
// else read and grouped here.
func runStatsCloudWatch(ctx context.Context, opts *statsOptions) error {
	if len(opts.sources) > 0 {
		return usagef("--log-group reads CloudWatch Logs; do not name files as well (%s)", opts.sources[0])
	}
	format, spec, w, err := opts.prepare()
	if err != nil {
		return err
	}
	if format != nil {
		// With --format the learned formats do not matter: report a bad filter now.
		if _, err := compileFilter(opts.read.filter, format); err != nil {
			return err
		}
	}
	g, err := stats.NewGrouper(spec)
	if err != nil {
		return usageError(err)
	}
	warnFilter(opts.errOut, opts.read.filter)
	// Relative times (15m, 09:10) are resolved now, before the source takes its time.
	opts.read.pinFilter(filterOptions(format))
	ctx, stop := withSignals(ctx)
	defer stop()

	src, err := opts.cw.open(ctx, &opts.aws, format, false, pushOptions{filter: opts.read.filter})
	if err != nil {
		return err
	}
	// Custom columns of the learned formats may be named in the filter.
	flt, err := filter.Compile(opts.read.filter, filter.Options{Formats: src.Formats()})
	if err != nil {
		return filterUsageError(opts.read.filter, err)
	}
	if opts.showQuery {
		q, err := shownQueryOf(opts.read.filter, src.Formats(), opts.cw.logGroups, opts.athenaTable(), false)
		if err != nil {
			return err
		}
		q.Since, q.Until = src.Window()
		if q.Until.IsZero() {
			q.Until = time.Now()
		}
		q.setGrouping(spec)
		return writeShownQuery(opts.out, q)
	}
	if note := src.HistoryChoice(); note != "" {
		// Said even with -q: a choice made for the person that costs money.
		fmt.Fprintf(opts.errOut, "flowlens: %s\n", output.Sanitize(note))
	}
	if !opts.read.quiet {
		for _, w := range src.Warnings() {
			fmt.Fprintf(opts.errOut, "flowlens: note: %s\n", output.Sanitize(w))
		}
	}

	var (
		st       model.Stats
		matched  int64
		failures []string
	)
	lastErr := ""
	agg, err := src.RunGroups(ctx, groupingOf(spec), func(c *cloudwatch.Chunk) error {
		st.Add(&c.Stats)
		for i := range c.Records {
			if flt.All() || flt.Match(&c.Records[i]) {
				matched++
				g.Add(&c.Records[i])
			}
		}
		if msg := c.Status.LastError; msg != "" && msg != lastErr {
			lastErr = msg
			failures = append(failures, "warning: "+msg+" (retried)")
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := stopped(ctx); err != nil {
		return err // counts of part of the history would read as the answer
	}
	var pushed pushedCount
	if agg.Pushed {
		if pushed, err = addInsightsGroups(g, spec, agg); err != nil {
			return err
		}
	}
	// Said even with -q, as the history's engine is: what was counted where.
	for _, line := range insightsNotes(agg, pushed, src.InsightsStats()) {
		fmt.Fprintf(opts.errOut, "flowlens: %s\n", output.Sanitize(line))
	}
	res := g.Result()
	var notes []string
	if res.DistinctEstimated {
		notes = append(notes, distinctEstimateNote(pushed))
	}
	return opts.finishStats(w, res, spec, func() {
		writeSummary(opts.errOut, &st, matched, len(opts.cw.logGroups), opts.read.filter != "")
		writeScanned(opts.errOut, src.InsightsStats())
	}, notes, failures)
}

// pushedCount is what Logs Insights counted.
type pushedCount struct {
	records uint64 // matching records, in its groups
	groups  int
	summed  bool // a group's distinct counts of several time ranges were added
}

// addInsightsGroups adds the groups Logs Insights counted to g. A value Insights
// returns that the record parser would refuse is an error: the count would differ from
// a local one.
func addInsightsGroups(g *stats.Grouper, spec stats.Spec, agg *cloudwatch.Aggregate) (pushedCount, error) {
	var n pushedCount
	for _, part := range agg.Parts {
		n.summed = n.summed || part.Groups.DistinctSummed
		for _, grp := range part.Groups.Groups {
			row, err := insightsRow(spec, grp, part.Groups.DistinctEstimated)
			if err == nil {
				err = g.AddRow(row)
			}
			if err != nil {
				return n, fmt.Errorf("a group Logs Insights returned cannot be read (%v): run with --history filter to count the records here", err)
			}
			n.records += grp.Flows
			n.groups++
		}
	}
	return n, nil
}

// insightsRow types an Insights group as a row of spec: its values as the parser reads
// them ("-", a missing value, is null), its bin and its counts.
func insightsRow(spec stats.Spec, grp insights.Group, estimated bool) (stats.Row, error) {
	if len(grp.Values) != len(spec.By) {
		return stats.Row{}, fmt.Errorf("%d values for %d fields", len(grp.Values), len(spec.By))
	}
	row := stats.Row{Bin: grp.Bin, Values: make([]stats.Value, len(spec.By)),
		Metrics: stats.Metrics{Flows: grp.Flows, Packets: grp.Packets, Bytes: grp.Bytes, Rejects: grp.Rejects, Distinct: grp.Distinct}}
	for i, c := range spec.By {
		v, err := stats.ParseValue(c.Field, grp.Values[i])
		if err != nil {
			return row, err
		}
		row.Values[i] = v
	}
	row.DistinctEstimated = estimated && spec.Distinct != nil
	return row, nil
}

// insightsNotes say what was counted where: by Logs Insights (and over which span),
// or here, and why.
func insightsNotes(agg *cloudwatch.Aggregate, n pushedCount, st insights.Stats) []string {
	if !agg.Pushed {
		if agg.Why == "" {
			return nil // FilterLogEvents, as asked: nothing was pushed
		}
		return []string{"grouped here, from the records: " + agg.Why}
	}
	span := fmt.Sprintf("[%s, %s)", agg.Since.UTC().Format(time.RFC3339), agg.Cut.UTC().Format(time.RFC3339))
	noun := "queries"
	if st.Queries == 1 {
		noun = "query"
	}
	return []string{fmt.Sprintf("Logs Insights counted the groups of the records with start in %s (%s matching records in %s groups, %d %s); "+
		"the records from %s on were read with FilterLogEvents and counted here (Insights may not have indexed the last minutes yet)",
		span, output.Thousands(int64(n.records)), output.Thousands(int64(n.groups)), st.Queries, noun, agg.Cut.UTC().Format(time.RFC3339))}
}

// distinctEstimateNote says why counts marked ~ are not exact.
func distinctEstimateNote(n pushedCount) string {
	why := "Logs Insights' count_distinct is an estimate for high cardinalities"
	if n.summed {
		why += ", and the groups counted in more than one time range (split at Insights' row limit) add the ranges' counts, which may count a value twice"
	}
	return "the distinct counts marked ~ (distinct-estimated in JSON Lines) are not exact: " + why +
		"; a group counted partly here adds the two counts the same way. --history filter counts every distinct value here, exactly"
}

// statsAthena has Athena count the groups of the table's records (source/athena
// Groups: pushed when the filter compiles to SQL exactly, else the records of a looser
// query grouped here) and writes them as a local count would.
func statsAthena(ctx context.Context, opts *statsOptions, srcs *sources, spec stats.Spec, w *statsWriter, src *athena.Source, q athena.Query) error {
	fopts := filterOptions(nil)
	fopts.Formats = srcs.Formats()
	var last atomic.Pointer[athena.Stats]
	q.Progress = func(st athena.Stats) { last.Store(&st) }
	stopBar := srcs.bar.run(func() string {
		st := last.Load()
		if st == nil {
			return "flowlens: Athena: starting the query"
		}
		return fmt.Sprintf("flowlens: Athena: %s, %s scanned", strings.ToLower(string(st.State)), humanBytes(st.Scanned))
	})
	res, err := src.Groups(ctx, q, fopts, spec)
	stopBar()
	if res != nil && res.Execution != nil && !opts.read.quiet {
		srcs.bar.println(athenaSummary(res.Execution))
	}
	if serr := stopped(ctx); serr != nil {
		return serr
	}
	if err != nil {
		return err
	}
	if res.Pushed {
		fmt.Fprintln(opts.errOut, "flowlens: Athena counted the groups (GROUP BY): the filter and the grouping compile to SQL exactly")
	} else {
		fmt.Fprintf(opts.errOut, "flowlens: grouped here, from the records Athena returned: %s\n", output.Sanitize(res.Why))
	}
	g, err := stats.NewGrouper(spec)
	if err != nil {
		return usageError(err)
	}
	for _, row := range res.Rows {
		if err := g.AddRow(row); err != nil {
			return fmt.Errorf("a group Athena returned cannot be read (%v)", err)
		}
	}
	out := g.Result()
	// Athena's rows are already ranked and cut: the counts before that are its own.
	out.Groups, out.Records = res.Groups, res.Records
	if res.Capped {
		out.Capped, out.Uncounted = true, res.Uncounted
	}
	return opts.finishStats(w, out, spec, func() {
		fmt.Fprintf(opts.errOut, "flowlens: %s matching records counted\n", output.Thousands(int64(res.Records)))
	}, nil, nil)
}

// showStatsQueryWithoutAWS is --show-query without --log-group: the format is --format's
// or the default one; with --athena (or --since) the SQL keeps the window.
func showStatsQueryWithoutAWS(opts *statsOptions) error {
	format, err := opts.read.parsedFormat()
	if err != nil {
		return err
	}
	if _, err := compileFilter(opts.read.filter, format); err != nil {
		return err
	}
	spec, err := opts.spec(format)
	if err != nil {
		return err
	}
	var formats []*model.Format
	if format != nil {
		formats = []*model.Format{format}
	}
	q, err := shownQueryOf(opts.read.filter, formats, nil, opts.athenaTable(), false)
	if err != nil {
		return err
	}
	if opts.athena.enabled || opts.cw.changed("since") || opts.cw.until != "" {
		req := opts.sourceRequest(format)
		aq, err := req.athenaQuery(time.Now())
		if err != nil {
			return err
		}
		q.Since, q.Until = aq.Since, aq.Until
	}
	q.setGrouping(spec)
	return writeShownQuery(opts.out, q)
}
