package cli

import (
	"bufio"
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/output"
	"github.com/flowlens/flowlens/model/pushdown"
	"github.com/flowlens/flowlens/source"
)

// printOptions are the options of `flowlens print`.
type printOptions struct {
	streams
	read    readOptions
	cw      cloudWatchOptions
	s3      s3Options
	athena  athenaOptions
	aws     awsOptions
	count   bool
	sources []string
	queryOptions
}

// queryOptions are --show-query and its Athena table, for the commands that push a
// filter down.
type queryOptions struct {
	showQuery bool
	// tableFlag is --athena-table: the command's own when it has one (print's --athena
	// reads the same table its --show-query names), else one bound here.
	tableFlag *pflag.Flag
}

func (o *queryOptions) bind(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.BoolVar(&o.showQuery, "show-query", false, "print the filter as a Logs Insights query, a CloudWatch filter pattern, Athena SQL and (when the pattern is exact) the aws commands of an alarm, each marked exact or looser, then exit without reading")
	if fl.Lookup("athena-table") == nil {
		fl.String("athena-table", pushdown.DefaultAthenaTable, "the Athena `TABLE` --show-query's SQL reads (AWS's flow-logs table; db.table works)")
	}
	o.tableFlag = fl.Lookup("athena-table")
}

// athenaTable is the table --show-query's SQL reads.
func (o *queryOptions) athenaTable() string {
	if o.tableFlag == nil {
		return pushdown.DefaultAthenaTable
	}
	return o.tableFlag.Value.String()
}

func newPrintCommand(s streams) *cobra.Command {
	opts := &printOptions{streams: s}
	cmd := &cobra.Command{
		Use:   "print [flags] [SOURCE...]",
		Short: "Print matching records as text, JSON Lines or CSV",
		Long: `Print the records of the sources that match the filter, in the order they were read.

SOURCE is a file (plain, gzip or Parquet, recognised by its content), a directory
(read recursively in name order), or - for standard input; no SOURCE reads standard
input. S3 header lines are honoured anywhere in a stream; a file without one is read
in the layout its field count names (and says so). s3://bucket/prefix reads the flow
log objects of an S3 bucket whose records start in [--since, --until) (default: the
last hour), listing only the folders and files of that window; --s3-account and
--s3-region narrow the key layout, --eni the records, --follow polls for new objects.
With --log-group, the records come from CloudWatch Logs instead: the history from
--since to --until (or now), then, with --follow, new records until interrupted.
With --athena, they come from an Athena table (--athena-table, --athena-database,
--athena-workgroup, --athena-output): the filter and the window are compiled to SQL,
Athena scans (and bills) the data, and its result is printed in the same formats.

At the end a summary goes to stderr: records read, matched, and malformed lines
with the first few samples. Exit status: 0 success, 1 a source could not be read
(whatever could be read was printed), 2 a mistake on the command line.`,
		Example: `  flowlens print --count --filter 'action=REJECT' flows.log.gz
  flowlens print -o jsonl --filter 'dstport=22 reject' AWSLogs/ | jq .srcaddr
  zcat *.gz | flowlens print --filter 'addr=10.0.0.0/8 and not proto=icmp'
  flowlens print --log-group /vpc/flows --eni eni-0abc1234def567890 --since 1h -f
  flowlens print --since 2h --filter reject s3://my-flow-logs/AWSLogs/123456789012/
  flowlens print --athena --athena-database flowlogs --since 7d --filter 'dstport=22 reject'`,
		GroupID: "read",
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.sources = args
			if opts.cw.enabled() && !opts.athena.enabled {
				return runPrintCloudWatch(cmd.Context(), opts)
			}
			if err := opts.athena.check(cmd.Flags().Changed); err != nil {
				return err
			}
			if opts.athena.enabled {
				// --since, --until and --eni narrow the query; the S3 and CloudWatch
				// reading flags do not apply.
				for _, name := range []string{"log-group", "stream-prefix", "poll", "follow", "s3-account", "s3-region"} {
					if cmd.Flags().Changed(name) {
						return usagef("--%s does not go with --athena, which queries a table", name)
					}
				}
				if opts.showQuery {
					return showQueryWithoutAWS(opts.out, opts.read, opts.queryOptions, false)
				}
				return runPrint(cmd.Context(), opts)
			}
			if err := checkSourceFlags(args, &opts.s3, cmd.Flags().Changed); err != nil {
				return err
			}
			if err := opts.cw.checkWithS3(args); err != nil {
				return err // a CloudWatch flag without --log-group
			}
			if opts.showQuery {
				return showQueryWithoutAWS(opts.out, opts.read, opts.queryOptions, false)
			}
			return runPrint(cmd.Context(), opts)
		},
	}
	opts.read.bind(cmd, true)
	opts.cw.bind(cmd)
	opts.s3.bind(cmd)
	opts.athena.bind(cmd)
	opts.aws.bind(cmd)
	opts.queryOptions.bind(cmd)
	cmd.Flags().Lookup("follow").Usage = "keep reading until interrupted: with --log-group, new records (Live Tail); with an s3:// source, new objects as they are delivered"
	cmd.Flags().Lookup("eni").Usage = "only the records of the network interface `ID`, such as eni-0abc1234def567890 (repeatable): with --log-group, --athena or an s3:// source"
	cmd.Flags().BoolVarP(&opts.count, "count", "c", false, "print only the number of matching records")
	return cmd
}

// runPrint prints the matching records of files and stdin. Filtering and formatting run
// on the parse workers (printStage); the sink only writes their output in order.
func runPrint(ctx context.Context, opts *printOptions) error {
	format, err := opts.read.parsedFormat()
	if err != nil {
		return err
	}
	if _, err := compileFilter(opts.read.filter, format); err != nil {
		return err
	}
	warnFilter(opts.errOut, opts.read.filter)
	opts.read.pinFilter(filterOptions(format)) // each parse worker compiles it: one instant for all
	appendRow, err := rowFormatter(opts.read.output)
	if err != nil {
		return err
	}
	ctx, stop := withSignals(ctx)
	defer stop()
	req := opts.sourceRequest(format)
	// Lines without the filter's needles are skipped unparsed: no record in them can match.
	flt, _ := compileFilter(opts.read.filter, format) // checked above
	req.needles = flt.Needles()
	srcs, err := openSources(ctx, req)
	if err != nil {
		return err
	}
	if fs := srcs.Formats(); format == nil && len(fs) > 0 {
		format = fs[0] // an Athena table's columns, which the filter may name
	}
	if len(opts.sources) == 0 && isTerminal(opts.in) && !opts.read.quiet {
		fmt.Fprintln(opts.errOut, "flowlens: reading records from the terminal (ctrl+d ends); give a file to read it instead")
	}

	sink := newPrintSink(opts, format)
	newStage := func() source.Stage { return printStage(opts, format, appendRow) }
	readErr := srcs.Read(ctx, newStage, sink.take)
	writeErr := sink.finish()

	if !opts.read.quiet {
		writeSummary(opts.errOut, &sink.stats, sink.matched, srcs.Count(), opts.read.filter != "")
	}
	for _, f := range sink.failures {
		fmt.Fprintf(opts.errOut, "flowlens: %s\n", output.Sanitize(f))
	}
	if writeErr != nil {
		return fmt.Errorf("writing the output: %w", writeErr)
	}
	if err := stopped(ctx); err != nil {
		return err
	}
	if readErr != nil {
		return readErr
	}
	for _, f := range sink.failures {
		if !strings.HasPrefix(f, "warning: ") {
			return silent(ExitRuntime)
		}
	}
	return nil
}

// sourceRequest is what print reads, from its flags.
func (opts *printOptions) sourceRequest(format *model.Format) sourceRequest {
	r := sourceRequest{args: opts.sources, format: format, workers: opts.read.workers, stdin: opts.in,
		errOut: opts.errOut, quiet: opts.read.quiet, enis: opts.cw.enis, until: opts.cw.until,
		follow: opts.cw.follow, s3: opts.s3, aws: &opts.aws, athena: &opts.athena, filter: opts.read.filter}
	if opts.cw.changed("since") {
		r.since = opts.cw.since
	}
	return r
}

// printStage filters a chunk's records and, unless counting or writing CSV, formats the
// kept ones into c.Out. It runs on a parse worker, with its own compiled filter: a
// Filter keeps caches.
func printStage(opts *printOptions, format *model.Format, appendRow func([]byte, *model.Flow) []byte) source.Stage {
	flt, _ := compileFilter(opts.read.filter, format) // checked by runPrint
	return func(c *source.Chunk) {
		kept := c.Records[:0]
		for i := range c.Records {
			if flt.All() || flt.Match(&c.Records[i]) {
				kept = append(kept, c.Records[i])
			}
		}
		c.Records = kept
		c.Matched = int64(len(kept))
		if appendRow != nil && !opts.count {
			for i := range kept {
				c.Out = appendRow(c.Out, &kept[i])
				c.Out = append(c.Out, '\n')
			}
		}
	}
}

// printSink writes the chunks in input order and counts what was read.
type printSink struct {
	opts         *printOptions
	out          *bufio.Writer
	csv          output.Writer // CSV needs one header for the whole stream, so it writes here
	headerFormat *model.Format // what the CSV header says: --format, or the first format read
	headerUp     bool          // the text header was written
	stats        model.Stats
	matched      int64
	failures     []string
	writeErr     error
}

func newPrintSink(opts *printOptions, format *model.Format) *printSink {
	s := &printSink{opts: opts, out: bufio.NewWriterSize(opts.out, 256<<10), headerFormat: format}
	if opts.read.output == "csv" && !opts.count {
		s.csv, _ = output.New("csv", s.out)
	}
	return s
}

// take is the pipeline's sink; false stops the reading (the output is gone).
func (s *printSink) take(c *source.Chunk) bool {
	s.stats.Add(&c.Stats)
	if f := c.Format(); f != nil && s.headerFormat == nil {
		s.headerFormat = f
	}
	s.matched += c.Matched
	if c.Err != nil {
		s.failures = append(s.failures, c.Err.Error())
	}
	if s.opts.count {
		return true
	}
	if s.opts.read.output == "text" && !s.headerUp && len(c.Out) > 0 {
		s.headerUp = true
		s.out.WriteString(output.TextHeader + "\n")
	}
	if s.csv != nil {
		for i := range c.Records {
			if err := s.csv.Write(&c.Records[i]); err != nil {
				s.writeErr = err
				return false
			}
		}
		return true
	}
	if _, err := s.out.Write(c.Out); err != nil {
		s.writeErr = err
		return false
	}
	if s.opts.cw.follow && len(c.Out) > 0 {
		// Someone following a bucket wants each object's records when they come.
		if err := s.out.Flush(); err != nil {
			s.writeErr = err
			return false
		}
	}
	return true
}

// finish writes the count or the CSV header and flushes; it returns the first write error.
func (s *printSink) finish() error {
	if s.opts.count {
		fmt.Fprintln(s.out, s.matched)
	}
	if s.csv != nil {
		if s.headerFormat == nil {
			s.headerFormat = model.DefaultFormat
		}
		output.SetHeaderFormat(s.csv, s.headerFormat)
		if err := s.csv.Flush(); err != nil && s.writeErr == nil {
			s.writeErr = err
		}
		for _, w := range output.Warnings(s.csv) {
			s.failures = append(s.failures, "warning: "+w)
		}
	}
	if err := s.out.Flush(); err != nil && s.writeErr == nil {
		s.writeErr = err
	}
	return s.writeErr
}

// rowFormatter returns the per-record formatter of an output kind that can run on the
// workers; nil for csv, which needs one header for the whole stream.
func rowFormatter(kind string) (func([]byte, *model.Flow) []byte, error) {
	switch kind {
	case "text", "":
		return output.AppendTextRow, nil
	case "jsonl", "json":
		return output.AppendJSON, nil
	case "csv":
		return nil, nil
	}
	return nil, usagef("unknown --output %q: want text, jsonl or csv", kind)
}
