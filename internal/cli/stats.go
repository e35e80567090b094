package cli

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/filter"
	"github.com/flowlens/flowlens/model/output"
	"github.com/flowlens/flowlens/model/stats"
	"github.com/flowlens/flowlens/source"
	"github.com/flowlens/flowlens/source/cloudwatch"
)

// statsOptions are the options of `flowlens stats`.
type statsOptions struct {
	streams
	read      readOptions
	cw        cloudWatchOptions
	aws       awsOptions
	by        string
	bin       string
	distinct  string
	sort      string
	top       int
	min       uint64
	maxGroups int
	sources   []string
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
Insights' stats queries, over files, standard input or a CloudWatch log group.

--by takes any field name or alias of the filter language, comma-separated; --bin
also groups by time (start floored to the bin, UTC, aligned to the Unix epoch, as
Insights' bin() does); --distinct counts the distinct values of a field per group.
Rows are sorted by --sort, descending (flows by default; time order with --bin and
no --sort), and cut to --top rows whose sort metric is at least --min.

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
  flowlens stats --log-group /vpc/flows --since 1h --by interface-id -o jsonl`,
		GroupID: "read",
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.sources = args
			return runStats(cmd.Context(), opts)
		},
	}
	opts.read.bind(cmd, true)
	opts.cw.bind(cmd)
	opts.aws.bind(cmd)
	fl := cmd.Flags()
	// stats answers once the reading ends: following never ends.
	_ = fl.MarkHidden("follow")
	_ = fl.MarkHidden("poll")
	fl.StringVar(&opts.by, "by", "", "group by these `FIELDS`, comma-separated: any field name or alias of the filter language (srcaddr, dport, action, interface-id, ...); none: one group over everything")
	fl.StringVar(&opts.bin, "bin", "", "also group by time: start floored to `DURATION` (5m, 1h, 1d), UTC, aligned to the Unix epoch as Insights' bin() does")
	fl.StringVar(&opts.distinct, "distinct", "", "also count the distinct values of `FIELD` in each group")
	fl.StringVar(&opts.sort, "sort", "", "sort by `METRIC`, descending: flows, packets, bytes, rejects or distinct (default flows; time order with --bin)")
	fl.IntVar(&opts.top, "top", stats.DefaultTop, "at most `N` groups; 0 means all (with --bin and no --sort, every bin unless given)")
	fl.Uint64Var(&opts.min, "min", 0, "only groups whose sort metric is at least `N` (Insights' `filter portCount > 100` is --min 101)")
	fl.IntVar(&opts.maxGroups, "max-groups", stats.DefaultMaxGroups, "stop adding groups past `N` (say so on stderr; the groups shown stay exact)")
	_ = cmd.RegisterFlagCompletionFunc("sort", cobra.FixedCompletions([]string{"flows", "packets", "bytes", "rejects", "distinct"}, cobra.ShellCompDirectiveNoFileComp))
	opts.topGiven = func() bool { return fl.Changed("top") }
	return cmd
}

// spec checks the grouping flags and builds the aggregation. The field names resolve
// against --format, so a custom column of it can be grouped by.
func (o *statsOptions) spec(format *model.Format) (stats.Spec, error) {
	fopts := filterOptions(format)
	var spec stats.Spec
	var err error
	if spec.By, err = stats.ParseColumns(o.by, fopts); err != nil {
		return spec, usagef("bad --by: %v", err)
	}
	if strings.TrimSpace(o.bin) != "" {
		if spec.Bin, err = stats.ParseBin(o.bin); err != nil {
			return spec, usagef("bad --bin: %v", err)
		}
	}
	if strings.TrimSpace(o.distinct) != "" {
		c, err := stats.ParseColumn(o.distinct, fopts)
		if err != nil {
			return spec, usagef("bad --distinct: %v", err)
		}
		spec.Distinct = &c
	}
	if strings.TrimSpace(o.sort) != "" {
		if spec.Sort, err = stats.ParseMetric(o.sort); err != nil {
			return spec, usagef("bad --sort: %v", err)
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

// runStats groups the matching records of the sources and writes the groups. The
// filter runs on the parse workers, as print's does; the grouping runs where the
// chunks arrive in order, and keeps groups, never records.
func runStats(ctx context.Context, opts *statsOptions) error {
	format, err := opts.read.parsedFormat()
	if err != nil {
		return err
	}
	spec, err := opts.spec(format)
	if err != nil {
		return err
	}
	w, err := newStatsWriter(opts.read.output, opts.out)
	if err != nil {
		return err
	}
	if opts.cw.enabled() {
		if opts.cw.changed("follow") || opts.cw.changed("poll") {
			return usagef("stats answers when the reading ends, and --follow never ends: give --since and --until instead")
		}
		if len(opts.sources) > 0 {
			return usagef("--log-group reads CloudWatch Logs; do not name files as well (%s)", opts.sources[0])
		}
	} else if _, err := opts.cw.config(false, time.Now()); err != nil {
		return err // a CloudWatch flag without --log-group
	}
	if !opts.cw.enabled() || format != nil {
		// With --format or without CloudWatch, the formats are known: report a bad filter now.
		if _, err := compileFilter(opts.read.filter, format); err != nil {
			return err
		}
	}
	g, err := stats.NewGrouper(spec)
	if err != nil {
		return usageError(err)
	}
	ctx, stop := withSignals(ctx)
	defer stop()

	var (
		st       model.Stats
		matched  int64
		inputs   int
		failures []string
	)
	if opts.cw.enabled() {
		inputs = len(opts.cw.logGroups)
		if failures, err = statsCloudWatch(ctx, opts, format, g, &st, &matched); err != nil {
			return err
		}
	} else {
		in, err := source.Expand(opts.sources)
		if err != nil {
			return err
		}
		inputs = len(in)
		if len(opts.sources) == 0 && isTerminal(opts.in) && !opts.read.quiet {
			fmt.Fprintln(opts.errOut, "flowlens: reading records from the terminal (ctrl+d ends); give a file to read it instead")
		}
		newStage := func() source.Stage { return filterStage(opts.read.filter, format) }
		source.ReadFiles(ctx, in, source.Options{Format: format, Workers: opts.read.workers, Stdin: opts.in}, newStage, func(c *source.Chunk) bool {
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
	}
	if err := stopped(ctx); err != nil {
		// Interrupted: the counts cover part of the input, and rows that look complete
		// would mislead; nothing is written.
		return err
	}
	res := g.Result()
	writeErr := w.write(res)
	if !opts.read.quiet {
		writeSummary(opts.errOut, &st, matched, inputs, opts.read.filter != "")
		writeGroupsSummary(opts.errOut, res)
	}
	writeCapNotes(opts.errOut, res, spec)
	for _, f := range failures {
		fmt.Fprintf(opts.errOut, "flowlens: %s\n", output.Sanitize(f))
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

// statsCloudWatch reads the history of --log-group from --since to --until (or now) into
// g; it returns the retried errors met on the way, which the summary reports.
func statsCloudWatch(ctx context.Context, opts *statsOptions, format *model.Format, g *stats.Grouper, st *model.Stats, matched *int64) ([]string, error) {
	src, err := opts.cw.open(ctx, &opts.aws, format, false, pushOptions{filter: opts.read.filter})
	if err != nil {
		return nil, err
	}
	// Custom columns of the learned formats may be named in the filter.
	flt, err := filter.Compile(opts.read.filter, filter.Options{Formats: src.Formats()})
	if err != nil {
		return nil, filterUsageError(opts.read.filter, err)
	}
	if !opts.read.quiet {
		for _, w := range src.Warnings() {
			fmt.Fprintf(opts.errOut, "flowlens: note: %s\n", output.Sanitize(w))
		}
	}
	var failures []string
	lastErr := ""
	err = src.Run(ctx, func(c *cloudwatch.Chunk) error {
		st.Add(&c.Stats)
		for i := range c.Records {
			if flt.All() || flt.Match(&c.Records[i]) {
				*matched++
				g.Add(&c.Records[i])
			}
		}
		if msg := c.Status.LastError; msg != "" && msg != lastErr {
			lastErr = msg
			failures = append(failures, "warning: "+msg+" (retried)")
		}
		return nil
	})
	return failures, err
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
