package cli

import (
	"context"
	"fmt"

	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/filter"
	"github.com/flowlens/flowlens/model/output"
	"github.com/flowlens/flowlens/source/cloudwatch"
)

// runPrintCloudWatch is print with --log-group: the history up to --until (or now), then
// exit; with --follow, new records until interrupted.
func runPrintCloudWatch(ctx context.Context, opts *printOptions) error {
	if len(opts.sources) > 0 {
		return usagef("--log-group reads CloudWatch Logs; do not name files as well (%s)", opts.sources[0])
	}
	format, err := opts.read.parsedFormat()
	if err != nil {
		return err
	}
	if format != nil {
		// With --format the learned formats do not matter: report a bad filter now.
		if _, err := compileFilter(opts.read.filter, format); err != nil {
			return err
		}
	}
	if _, err := rowFormatter(opts.read.output); err != nil {
		return err
	}
	ctx, stop := withSignals(ctx)
	defer stop()

	src, err := opts.cw.open(ctx, &opts.aws, format, false)
	if err != nil {
		return err
	}
	// Custom columns of the learned formats may be named in the filter.
	flt, err := filter.Compile(opts.read.filter, filter.Options{Formats: src.Formats()})
	if err != nil {
		return filterUsageError(opts.read.filter, err)
	}
	if !opts.read.quiet {
		for _, w := range src.Warnings() {
			fmt.Fprintf(opts.errOut, "flowlens: note: %s\n", output.Sanitize(w))
		}
	}

	out, _ := output.New(opts.read.output, opts.out)
	var (
		stats    model.Stats
		matched  int64
		lastErr  string
		writeErr error
	)
	err = src.Run(ctx, func(c *cloudwatch.Chunk) error {
		stats.Add(&c.Stats)
		for i := range c.Records {
			if !flt.All() && !flt.Match(&c.Records[i]) {
				continue
			}
			matched++
			if !opts.count {
				if err := out.Write(&c.Records[i]); err != nil {
					writeErr = err
					return err
				}
			}
		}
		if msg := c.Status.LastError; msg != "" && msg != lastErr {
			lastErr = msg
			if !opts.read.quiet {
				fmt.Fprintf(opts.errOut, "flowlens: %s (retrying)\n", output.Sanitize(msg))
			}
		}
		if opts.cw.follow && !opts.count && len(c.Records) > 0 {
			// Someone watching a followed group wants each record when it comes.
			if err := out.Flush(); err != nil {
				writeErr = err
				return err
			}
		}
		return nil
	})
	if opts.count {
		fmt.Fprintln(opts.out, matched)
	}
	if ferr := out.Flush(); ferr != nil && writeErr == nil {
		writeErr = ferr
	}
	if !opts.read.quiet {
		writeSummary(opts.errOut, &stats, matched, len(opts.cw.logGroups), opts.read.filter != "")
		for _, w := range output.Warnings(out) {
			fmt.Fprintf(opts.errOut, "flowlens: warning: %s\n", output.Sanitize(w))
		}
	}
	switch {
	case writeErr != nil:
		return fmt.Errorf("writing the output: %w", writeErr)
	case err != nil:
		return err
	}
	return stopped(ctx)
}
