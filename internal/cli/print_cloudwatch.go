package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/filter"
	"github.com/flowlens/flowlens/model/output"
	"github.com/flowlens/flowlens/source/cloudwatch"
	"github.com/flowlens/flowlens/source/insights"
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
	warnFilter(opts.errOut, opts.read.filter)
	// Relative times (15m, 09:10) are resolved now, before the source takes its time.
	opts.read.pinFilter(filterOptions(format))
	if _, err := rowFormatter(opts.read.output); err != nil {
		return err
	}
	ctx, stop := withSignals(ctx)
	defer stop()

	src, err := opts.cw.open(ctx, &opts.aws, format, false, pushOptions{filter: opts.read.filter})
	if err != nil {
		return err
	}
	if opts.showQuery {
		if _, err := filter.Compile(opts.read.filter, filter.Options{Formats: src.Formats()}); err != nil {
			return filterUsageError(opts.read.filter, err)
		}
		q, err := shownQueryOf(opts.read.filter, src.Formats(), opts.cw.logGroups, opts.athenaTable(), false)
		if err != nil {
			return err
		}
		q.Since, q.Until = src.Window()
		return writeShownQuery(opts.out, q)
	}
	if note := src.HistoryChoice(); note != "" {
		// Said even with -q: a choice made for the person that costs money.
		fmt.Fprintf(opts.errOut, "flowlens: %s\n", output.Sanitize(note))
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

	p := &cloudWatchPrinter{opts: opts, flt: flt}
	p.out, _ = output.New(opts.read.output, opts.out)
	err = src.Run(ctx, p.take)
	writeErr := p.finish()
	if !opts.read.quiet {
		writeScanned(opts.errOut, src.InsightsStats())
	}
	switch {
	case writeErr != nil:
		return fmt.Errorf("writing the output: %w", writeErr)
	case err != nil:
		return err
	}
	return stopped(ctx)
}

// writeScanned says what Logs Insights scanned, which it bills by; nothing when no
// query ran.
func writeScanned(w io.Writer, st insights.Stats) {
	if st.Queries == 0 {
		return
	}
	noun := "queries"
	if st.Queries == 1 {
		noun = "query"
	}
	fmt.Fprintf(w, "flowlens: Logs Insights scanned %s in %d %s (billed by the bytes scanned)", insights.HumanBytes(st.BytesScanned), st.Queries, noun)
	if st.Splits > 0 {
		fmt.Fprintf(w, "; %d ranges split at the %d-row limit", st.Splits, insights.DefaultRowLimit)
	}
	fmt.Fprintln(w)
}

// cloudWatchPrinter filters and writes the chunks of a CloudWatch source.
type cloudWatchPrinter struct {
	opts     *printOptions
	flt      *filter.Filter
	out      output.Writer
	stats    model.Stats
	matched  int64
	lastErr  string // the last retried error reported, so a retry loop says it once
	writeErr error
}

// take is the source's sink; an error ends the reading (the output is gone).
func (p *cloudWatchPrinter) take(c *cloudwatch.Chunk) error {
	p.stats.Add(&c.Stats)
	for i := range c.Records {
		if !p.flt.All() && !p.flt.Match(&c.Records[i]) {
			continue
		}
		p.matched++
		if !p.opts.count {
			if err := p.out.Write(&c.Records[i]); err != nil {
				p.writeErr = err
				return err
			}
		}
	}
	if msg := c.Status.LastError; msg != "" && msg != p.lastErr {
		p.lastErr = msg
		if !p.opts.read.quiet {
			fmt.Fprintf(p.opts.errOut, "flowlens: %s (retrying)\n", output.Sanitize(msg))
		}
	}
	if p.opts.cw.follow && !p.opts.count && len(c.Records) > 0 {
		// Someone watching a followed group wants each record when it comes.
		if err := p.out.Flush(); err != nil {
			p.writeErr = err
			return err
		}
	}
	return nil
}

// finish writes the count, flushes and prints the summary; it returns the first write
// error.
func (p *cloudWatchPrinter) finish() error {
	if p.opts.count {
		fmt.Fprintln(p.opts.out, p.matched)
	}
	if err := p.out.Flush(); err != nil && p.writeErr == nil {
		p.writeErr = err
	}
	if !p.opts.read.quiet {
		writeSummary(p.opts.errOut, &p.stats, p.matched, len(p.opts.cw.logGroups), p.opts.read.filter != "")
		for _, w := range output.Warnings(p.out) {
			fmt.Fprintf(p.opts.errOut, "flowlens: warning: %s\n", output.Sanitize(w))
		}
	}
	return p.writeErr
}
