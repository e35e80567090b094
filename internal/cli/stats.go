package cli

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/output"
	"github.com/flowlens/flowlens/model/stats"
	"github.com/flowlens/flowlens/source"
)

// statsOptions are the options of `flowlens stats`.
type statsOptions struct {
	streams
	read      readOptions
	cw        cloudWatchOptions
	s3        s3Options
	athena    athenaOptions
	aws       awsOptions
	by        string
	bin       string
	distinct  string
	sort      string
	top       int
	min       uint64
	maxGroups int
	sources   []string
	queryOptions
	// topGiven says whether --top was on the command line: without it the default
	// depends on the rest (20, or every bin of a time series).
	topGiven func() bool
}

func newStatsCommand(s streams) *cobra.Command {
	opts := &statsOptions{streams: s}
	cmd := &cobra.Command{
		Use:   "stats [flags] [SOURCE...]",
		Short: "Group records and count flows, packets, bytes and rejects",
		Long: `Group the records that match the filter and count, per group, the flows (records),
packets, bytes and rejects (records whose action is REJECT): the answers of Logs
Insights' stats queries, over every source print reads (files, directories, gzip,
Parquet, standard input, s3://bucket/prefix, a CloudWatch log group) or on Athena.

--by takes any field name or alias of the filter language, comma-separated; --bin
also groups by time (start floored to the bin, UTC, aligned to the Unix epoch, as
Insights' bin() does); --distinct counts the distinct values of a field per group.
Rows are sorted by --sort, descending (flows by default; time order with --bin and
no --sort), and cut to --top rows whose sort metric is at least --min.

Where AWS counts: with --log-group and --history insights (or auto choosing it),
Logs Insights counts the groups of the history up to 20 minutes before now
(stats count(*), sum(bytes), ... by ..., bin(...)), and only the records of the
last minutes, which Insights may not have indexed yet, are read and counted here;
with --athena, Athena counts them (GROUP BY). Either is done only when the filter
compiles exactly (a looser query would count records the filter drops); otherwise
the records are fetched and grouped here. stderr says which was done, and what
Insights or Athena scanned (they bill by it). Insights' bin() groups by @timestamp,
which for a flow log record in CloudWatch Logs is its start: the same bins as
--bin here. Insights' count_distinct is an estimate, and a group counted in several
time ranges adds their counts: such distinct counts are marked ~ (text) and
"distinct-estimated" (JSON); --history filter counts them exactly here, and
Athena's count(DISTINCT) is exact.

Counts are per record as logged: a connection between two interfaces of one VPC is
logged by both and counts twice, as in Insights. Records lacking a group field are
grouped under null (- in text and CSV, null in JSON Lines). See docs/stats.md.

Memory follows the number of groups, never the records; --max-groups caps the groups
(past it, records of new groups are not counted, stderr says how many, and the rows
shown stay exact). Exit status: 0 success, 1 a source could not be (wholly) read (the
groups of what was read are written), 2 a mistake on the command line.`,
		Example: `  flowlens stats --by srcaddr --sort bytes flows.log.gz          # top talkers by bytes
  flowlens stats --by dstport AWSLogs/                              # busiest destination ports
  flowlens stats --filter dstport=22 --by srcaddr,action flows.log  # who tries SSH, and how it ends
  flowlens stats --filter action=REJECT --bin 1h flows.log          # rejects per hour
  flowlens stats --by srcaddr --distinct dstport --sort distinct --min 101 flows.log   # port scanners
  flowlens stats --since 6h --by interface-id s3://my-flow-logs/AWSLogs/123456789012/
  flowlens stats --log-group /vpc/flows --since 7d --history insights --by srcaddr --sort bytes
  flowlens stats --athena --athena-database flowlogs --since 30d --filter reject --by dstport
  flowlens stats --show-query --filter reject --by srcaddr --bin 1h   # the same as Insights, SQL`,
		GroupID: "read",
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.sources = args
			changed := cmd.Flags().Changed
			if changed("follow") || changed("poll") {
				return usagef("stats answers when the reading ends, and --follow never ends: give --since and --until instead")
			}
			if opts.cw.enabled() && !opts.athena.enabled {
				return runStatsCloudWatch(cmd.Context(), opts)
			}
			if err := opts.athena.check(changed); err != nil {
				return err
			}
			if opts.athena.enabled {
				// --since, --until and --eni narrow the query; the S3 and CloudWatch
				// reading flags do not apply.
				for _, name := range []string{"log-group", "stream-prefix", "history", "s3-account", "s3-region"} {
					if changed(name) {
						return usagef("--%s does not go with --athena, which queries a table", name)
					}
				}
				if opts.showQuery {
					return showStatsQueryWithoutAWS(opts)
				}
				return runStats(cmd.Context(), opts)
			}
			if changed("history") {
				return usagef("--history chooses what reads a log group's history: it needs --log-group")
			}
			if err := checkSourceFlags(args, &opts.s3, changed); err != nil {
				return err
			}
			if err := opts.cw.checkWithS3(args); err != nil {
				return err // a CloudWatch flag without --log-group or an s3:// source
			}
			if opts.showQuery {
				return showStatsQueryWithoutAWS(opts)
			}
			return runStats(cmd.Context(), opts)
		},
	}
	opts.read.bind(cmd, true)
	opts.cw.bind(cmd)
	opts.s3.bind(cmd)
	opts.athena.bind(cmd)
	opts.aws.bind(cmd)
	opts.queryOptions.bind(cmd)
	fl := cmd.Flags()
	// stats answers once the reading ends: following never ends.
	_ = fl.MarkHidden("follow")
	_ = fl.MarkHidden("poll")
	fl.Lookup("eni").Usage = "only the records of the network interface `ID`, such as eni-0abc1234def567890 (repeatable): with --log-group, --athena or an s3:// source"
	fl.Lookup("history").Usage = "with --log-group, read the history with `ENGINE`: filter (FilterLogEvents, page by page, no charge, counted here), insights (Logs Insights counts the groups, billed by the bytes it scans) or auto (chosen from the span and the group's size, and said why)"
	fl.Lookup("show-query").Usage = "print the filter and the grouping as a Logs Insights query (stats ... by ...), Athena SQL (GROUP BY), the CloudWatch filter pattern and (when the pattern is exact) the aws commands of an alarm, each marked exact or looser, then exit without reading"
	fl.StringVar(&opts.by, "by", "", "group by these `FIELDS`, comma-separated: any field name or alias of the filter language (srcaddr, dport, action, interface-id, ...); none: one group over everything")
	fl.StringVar(&opts.bin, "bin", "", "also group by time: start floored to `DURATION` (5m, 1h, 1d), UTC, aligned to the Unix epoch as Insights' bin() does (on @timestamp, which is a flow log record's start)")
	fl.StringVar(&opts.distinct, "distinct", "", "also count the distinct values of `FIELD` in each group (exact here and on Athena; an estimate, marked, when Logs Insights counts)")
	fl.StringVar(&opts.sort, "sort", "", "sort by `METRIC`, descending: flows, packets, bytes, rejects or distinct (default flows; time order with --bin)")
	fl.IntVar(&opts.top, "top", stats.DefaultTop, "at most `N` groups; 0 means all (with --bin and no --sort, every bin unless given)")
	fl.Uint64Var(&opts.min, "min", 0, "only groups whose sort metric is at least `N` (Insights' `filter portCount > 100` is --min 101)")
	fl.IntVar(&opts.maxGroups, "max-groups", stats.DefaultMaxGroups, "stop adding groups past `N` (say so on stderr; the groups shown stay exact)")
	_ = cmd.RegisterFlagCompletionFunc("sort", cobra.FixedCompletions([]string{"flows", "packets", "bytes", "rejects", "distinct"}, cobra.ShellCompDirectiveNoFileComp))
	opts.topGiven = func() bool { return fl.Changed("top") }
	return cmd
}

// prepare reads what every way of running stats needs first: the --format, the
// grouping the flags ask for, and the writer of --output.
func (o *statsOptions) prepare() (*model.Format, stats.Spec, *statsWriter, error) {
	format, err := o.read.parsedFormat()
	if err != nil {
		return nil, stats.Spec{}, nil, err
	}
	spec, err := o.spec(format)
	if err != nil {
		return nil, stats.Spec{}, nil, err
	}
	w, err := newStatsWriter(o.read.output, o.out)
	if err != nil {
		return nil, stats.Spec{}, nil, err
	}
	return format, spec, w, nil
}

// spec checks the grouping flags and builds the aggregation. The field names resolve
// against --format, so a custom column of it can be grouped by.
func (o *statsOptions) spec(format *model.Format) (stats.Spec, error) {
	fopts := filterOptions(format)
	var spec stats.Spec
	var err error
	if spec.By, err = stats.ParseColumns(o.by, fopts); err != nil {
		return spec, valuef("bad --by: %v", err)
	}
	if strings.TrimSpace(o.bin) != "" {
		if spec.Bin, err = stats.ParseBin(o.bin); err != nil {
			return spec, valuef("bad --bin: %v", err)
		}
	}
	if strings.TrimSpace(o.distinct) != "" {
		c, err := stats.ParseColumn(o.distinct, fopts)
		if err != nil {
			return spec, valuef("bad --distinct: %v", err)
		}
		spec.Distinct = &c
	}
	if strings.TrimSpace(o.sort) != "" {
		if spec.Sort, err = stats.ParseMetric(o.sort); err != nil {
			return spec, valuef("bad --sort: %v", err)
		}
		if spec.Sort == stats.Distinct && spec.Distinct == nil {
			return spec, usagef("--sort distinct needs --distinct FIELD: the field whose distinct values are counted")
		}
	}
	switch {
	case o.topGiven != nil && o.topGiven() && o.top < 0:
		return spec, usagef("--top must be 0 (every group) or more, not %d", o.top)
	case o.topGiven != nil && o.topGiven():
		spec.Top = o.top
	default:
		spec.Top = stats.TopDefault
	}
	if o.maxGroups < 1 {
		return spec, usagef("--max-groups must be at least 1, not %d", o.maxGroups)
	}
	spec.Min, spec.MaxGroups = o.min, o.maxGroups
	return spec, nil
}

// runStats groups the matching records of the sources (files, stdin, an S3 location,
// or an Athena table) and writes the groups. The filter runs on the parse workers, as
// print's does; the grouping runs where the chunks arrive in order, and keeps groups,
// never records.
func runStats(ctx context.Context, opts *statsOptions) error {
	format, spec, w, err := opts.prepare()
	if err != nil {
		return err
	}
	flt, err := compileFilter(opts.read.filter, format)
	if err != nil {
		return err
	}
	g, err := stats.NewGrouper(spec)
	if err != nil {
		return usageError(err)
	}
	warnFilter(opts.errOut, opts.read.filter)
	opts.read.pinFilter(filterOptions(format)) // each parse worker compiles it: one instant for all
	ctx, stop := withSignals(ctx)
	defer stop()
	req := opts.sourceRequest(format)
	// Lines without the filter's needles are skipped unparsed: no record in them can match.
	req.needles = flt.Needles()
	srcs, err := openSources(ctx, req)
	if err != nil {
		return err
	}
	if src, q := srcs.Athena(); src != nil {
		return statsAthena(ctx, opts, srcs, spec, w, src, q)
	}
	if len(opts.sources) == 0 && isTerminal(opts.in) && !opts.read.quiet {
		fmt.Fprintln(opts.errOut, "flowlens: reading records from the terminal (ctrl+d ends); give a file to read it instead")
	}

	var (
		st       model.Stats
		matched  int64
		failures []string
	)
	newStage := func() source.Stage { return filterStage(opts.read.filter, format) }
	readErr := srcs.Read(ctx, newStage, func(c *source.Chunk) bool {
		st.Add(&c.Stats)
		matched += c.Matched
		if c.Err != nil {
			failures = append(failures, c.Err.Error())
		}
		for i := range c.Records {
			g.Add(&c.Records[i])
		}
		return true
	})
	if err := stopped(ctx); err != nil {
		// Interrupted: the counts cover part of the input, and rows that look complete
		// would mislead; nothing is written.
		return err
	}
	if readErr != nil {
		failures = append(failures, readErr.Error())
	}
	return opts.finishStats(w, g.Result(), spec, func() {
		writeSummary(opts.errOut, &st, matched, srcs.Count(), opts.read.filter != "")
	}, nil, failures)
}

// finishStats writes the rows, then the summary (unless --quiet), the notes of the caps
// and the other notes (always: a list that may be incomplete or inexact must say so)
// and the failures; a failure that is not a warning makes the exit status 1.
func (o *statsOptions) finishStats(w *statsWriter, res *stats.Result, spec stats.Spec, summary func(), notes, failures []string) error {
	writeErr := w.write(res)
	if !o.read.quiet {
		if summary != nil {
			summary()
		}
		writeGroupsSummary(o.errOut, res)
	}
	writeCapNotes(o.errOut, res, spec)
	for _, n := range notes {
		fmt.Fprintf(o.errOut, "flowlens: %s\n", output.Sanitize(n))
	}
	for _, f := range failures {
		fmt.Fprintf(o.errOut, "flowlens: %s\n", output.Sanitize(f))
	}
	if writeErr != nil {
		return fmt.Errorf("writing the output: %w", writeErr)
	}
	for _, f := range failures {
		if !strings.HasPrefix(f, "warning: ") {
			return silent(ExitRuntime)
		}
	}
	return nil
}

// sourceRequest is what stats reads, from its flags, as print's.
func (o *statsOptions) sourceRequest(format *model.Format) sourceRequest {
	r := sourceRequest{args: o.sources, format: format, workers: o.read.workers, stdin: o.in,
		errOut: o.errOut, quiet: o.read.quiet, enis: o.cw.enis, until: o.cw.until,
		s3: o.s3, aws: &o.aws, athena: &o.athena, filter: o.read.filter}
	if o.cw.changed("since") {
		r.since = o.cw.since
	}
	return r
}

// filterStage keeps a chunk's matching records, on a parse worker with its own compiled
// filter (a Filter keeps caches). The filter was checked before the reading started.
func filterStage(expr string, format *model.Format) source.Stage {
	flt, _ := compileFilter(expr, format)
	return func(c *source.Chunk) {
		if flt.All() {
			c.Matched = int64(len(c.Records))
			return
		}
		kept := c.Records[:0]
		for i := range c.Records {
			if flt.Match(&c.Records[i]) {
				kept = append(kept, c.Records[i])
			}
		}
		c.Records = kept
		c.Matched = int64(len(kept))
	}
}

// writeGroupsSummary says how many groups there were and how many are shown.
func writeGroupsSummary(w io.Writer, res *stats.Result) {
	noun := "groups"
	if res.Groups == 1 {
		noun = "group"
	}
	fmt.Fprintf(w, "flowlens: %s %s, %s shown\n", output.Thousands(int64(res.Groups)), noun, output.Thousands(int64(res.Len())))
}

// writeCapNotes says what the caps left out, --quiet or not: a list that may be
// incomplete must say so.
func writeCapNotes(w io.Writer, res *stats.Result, spec stats.Spec) {
	if res.Capped {
		max := spec.MaxGroups
		if max <= 0 {
			max = stats.DefaultMaxGroups
		}
		fmt.Fprintf(w, "flowlens: stopped adding groups at %s (--max-groups): %s records of later groups were not counted; "+
			"every group shown is exact, but groups first seen after the cap are missing\n",
			output.Thousands(int64(max)), output.Thousands(int64(res.Uncounted)))
	}
	if res.DistinctCapped {
		fmt.Fprintf(w, "flowlens: the distinct counts kept %s values in all and stopped there: a count marked + is a lower bound\n",
			output.Thousands(stats.DefaultMaxDistinct))
	}
}
