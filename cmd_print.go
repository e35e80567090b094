package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os/signal"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/filter"
	"github.com/flowlens/flowlens/model/output"
	"github.com/flowlens/flowlens/source"
)

// readFlags are the flags every command that reads records shares.
type readFlags struct {
	filter  string
	format  string
	output  string
	quiet   bool
	workers int
}

func (f *readFlags) register(cmd *cobra.Command, withOutput bool) {
	fl := cmd.Flags()
	fl.StringVar(&f.filter, "filter", "", "only records matching `EXPR` (see docs/filter.md), e.g. 'action=REJECT dstport=22'")
	fl.StringVar(&f.format, "format", "", "the record `FORMAT` when the input has no header line: '${version} ${srcaddr} ...' or plain field names (default: the version 2 format)")
	if withOutput {
		fl.StringVarP(&f.output, "output", "o", "text", "output `KIND`: text, jsonl or csv")
		_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(output.Kinds, cobra.ShellCompDirectiveNoFileComp))
	}
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "do not print the summary on stderr (errors are still printed)")
	fl.IntVar(&f.workers, "workers", 0, "parsing goroutines (default: one per CPU)")
	_ = fl.MarkHidden("workers")
}

// parsedFormat reads --format; nil when not given.
func (f *readFlags) parsedFormat() (*model.Format, error) {
	if strings.TrimSpace(f.format) == "" {
		return nil, nil
	}
	fm, err := model.ParseFormat(f.format)
	if err != nil {
		return nil, usagef("bad --format: %v", err)
	}
	return fm, nil
}

// compileFilter compiles --filter, pointing at the mistake when there is one.
func compileFilter(expr string, format *model.Format) (*filter.Filter, error) {
	var opts filter.Options
	if format != nil {
		opts.Formats = []*model.Format{format}
	}
	f, err := filter.Compile(expr, opts)
	if err != nil {
		return nil, filterUsageError(expr, err)
	}
	return f, nil
}

// filterUsageError is a mistake in --filter, with a caret under the column it was found.
func filterUsageError(expr string, err error) error {
	var fe *filter.Error
	if errors.As(err, &fe) {
		return usagef("bad --filter: %v\n  %s\n  %s^", err, expr, strings.Repeat(" ", caretOffset(expr, fe.Pos)))
	}
	return usagef("bad --filter: %v", err)
}

// caretOffset turns a 1-based column into the number of spaces before a caret.
func caretOffset(expr string, pos int) int {
	return min(max(pos-1, 0), utf8.RuneCountInString(expr))
}

func newPrintCommand(env *environment) *cobra.Command {
	var flags readFlags
	var count bool
	var cw cloudWatchFlags
	var af awsFlags
	cmd := &cobra.Command{
		Use:   "print [flags] [SOURCE...]",
		Short: "Print matching records as text, JSON Lines or CSV",
		Long: `Print the records of the sources that match the filter, in the order they were read.

SOURCE is a file (plain or gzip, recognised by its content), a directory (read
recursively in name order), or - for standard input; no SOURCE reads standard
input. S3 header lines are honoured anywhere in a stream. With --log-group, the records
come from CloudWatch Logs instead: the history from --since to --until (or now), then,
with --follow, new records until interrupted.

At the end a summary goes to stderr: records read, matched, and malformed lines
with the first few samples. Exit status: 0 success, 1 a source could not be read
(whatever could be read was printed), 2 a mistake on the command line.`,
		Example: `  flowlens print --count --filter 'action=REJECT' flows.log.gz
  flowlens print -o jsonl --filter 'dstport=22 reject' AWSLogs/ | jq .srcaddr
  zcat *.gz | flowlens print --filter 'addr=10.0.0.0/8 and not proto=icmp'
  flowlens print --log-group /vpc/flows --eni eni-0abc1234def567890 --since 1h -f`,
		GroupID: "read",
		RunE: func(cmd *cobra.Command, args []string) error {
			if cw.enabled() {
				return runPrintCloudWatch(cmd.Context(), cmd, env, &flags, &af, &cw, count, args)
			}
			if _, err := cw.config(cmd, false, time.Now()); err != nil {
				return err // a CloudWatch flag without --log-group
			}
			return runPrint(cmd.Context(), env, &flags, count, args)
		},
	}
	flags.register(cmd, true)
	cw.register(cmd)
	af.register(cmd)
	cmd.Flags().BoolVarP(&count, "count", "c", false, "print only the number of matching records")
	return cmd
}

func runPrint(ctx context.Context, env *environment, flags *readFlags, count bool, args []string) error {
	format, err := flags.parsedFormat()
	if err != nil {
		return err
	}
	flt, err := compileFilter(flags.filter, format)
	if err != nil {
		return err
	}
	appendRow, err := rowFormatter(flags.output)
	if err != nil {
		return err
	}
	inputs, err := source.Expand(args)
	if err != nil {
		return err
	}
	if len(args) == 0 && isTerminal(env.stdin) && !flags.quiet {
		fmt.Fprintln(env.stderr, "flowlens: reading records from the terminal (ctrl+d ends); give a file to read it instead")
	}
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	out := bufio.NewWriterSize(env.stdout, 256<<10)
	var csvOut output.Writer
	if flags.output == "csv" && !count {
		csvOut, _ = output.New("csv", out)
	}
	// Filtering and formatting run on the parse workers; the sink only writes in order.
	newStage := func() source.Stage {
		flt, _ := compileFilter(flags.filter, format) // compiled per worker: a Filter keeps caches
		return func(c *source.Chunk) {
			kept := c.Records[:0]
			for i := range c.Records {
				if flt.All() || flt.Match(&c.Records[i]) {
					kept = append(kept, c.Records[i])
				}
			}
			c.Records = kept
			c.Matched = int64(len(kept))
			if appendRow != nil && !count {
				for i := range kept {
					c.Out = appendRow(c.Out, &kept[i])
					c.Out = append(c.Out, '\n')
				}
			}
		}
	}
	var (
		stats    model.Stats
		matched  int64
		failures []string
		headerUp bool
		writeErr error
	)
	headerFormat := format
	// Lines without the filter's needles are skipped unparsed: no record in them can match.
	opts := source.Options{Format: format, Workers: flags.workers, Stdin: env.stdin, Needles: flt.Needles()}
	source.ReadFiles(ctx, inputs, opts, newStage, func(c *source.Chunk) bool {
		stats.Add(&c.Stats)
		if f := c.Format(); f != nil && headerFormat == nil {
			headerFormat = f
		}
		matched += c.Matched
		if c.Err != nil {
			failures = append(failures, c.Err.Error())
		}
		if count {
			return true
		}
		if flags.output == "text" && !headerUp && len(c.Out) > 0 {
			headerUp = true
			out.WriteString(output.TextHeader + "\n")
		}
		if csvOut != nil {
			for i := range c.Records {
				if err := csvOut.Write(&c.Records[i]); err != nil {
					writeErr = err
					return false
				}
			}
		} else if _, err := out.Write(c.Out); err != nil {
			writeErr = err
			return false
		}
		return true
	})
	if count {
		fmt.Fprintln(out, matched)
	}
	if csvOut != nil {
		if headerFormat == nil {
			headerFormat = model.DefaultFormat
		}
		output.SetHeaderFormat(csvOut, headerFormat)
		if err := csvOut.Flush(); err != nil && writeErr == nil {
			writeErr = err
		}
		for _, w := range output.Warnings(csvOut) {
			failures = append(failures, "warning: "+w)
		}
	}
	if err := out.Flush(); err != nil && writeErr == nil {
		writeErr = err
	}
	if !flags.quiet {
		writeSummary(env.stderr, &stats, matched, len(inputs), flags.filter != "")
	}
	for _, f := range failures {
		fmt.Fprintf(env.stderr, "flowlens: %s\n", output.Sanitize(f))
	}
	switch {
	case writeErr != nil:
		return fmt.Errorf("writing the output: %w", writeErr)
	case ctx.Err() != nil:
		return silentError{130}
	}
	for _, f := range failures {
		if !strings.HasPrefix(f, "warning: ") {
			return silentError{exitRuntime}
		}
	}
	return nil
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

// writeSummary tells what was read: the line scripts and people check first when a count
// looks wrong.
func writeSummary(w io.Writer, st *model.Stats, matched int64, inputs int, filtered bool) {
	files := "1 source"
	if inputs != 1 {
		files = fmt.Sprintf("%d sources", inputs)
	}
	rest := ""
	if st.Skipped > 0 {
		// The prefilter passed over lines without the filter's text: they are neither
		// records nor malformed lines here, and the count says so.
		fmt.Fprintf(w, "flowlens: %s lines read from %s, %s skipped unparsed (they lack the filter's text), %s records in the rest",
			thousands(st.Lines), files, thousands(st.Skipped), thousands(st.Records))
		rest = " in the rest"
	} else {
		fmt.Fprintf(w, "flowlens: %s records read from %s", thousands(st.Records), files)
	}
	if filtered {
		fmt.Fprintf(w, ", %s matched", thousands(matched))
	}
	if st.Malformed == 0 {
		fmt.Fprintf(w, ", no malformed lines%s\n", rest)
		return
	}
	var reasons []string
	for r, n := range st.ByReason {
		if n > 0 {
			reasons = append(reasons, fmt.Sprintf("%s: %s", model.Reason(r), thousands(n)))
		}
	}
	fmt.Fprintf(w, ", %s malformed lines%s (%s)\n", thousands(st.Malformed), rest, strings.Join(reasons, ", "))
	for _, m := range st.Samples {
		fmt.Fprintf(w, "  %s\n    %s\n", output.Sanitize(m.String()), m.Text)
	}
	if st.Malformed > int64(len(st.Samples)) {
		fmt.Fprintf(w, "  ... and %s more\n", thousands(st.Malformed-int64(len(st.Samples))))
	}
}

func thousands(n int64) string { return output.Thousands(n) }
