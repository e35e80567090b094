package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/output"
	"github.com/flowlens/flowlens/model/pairs"
	"github.com/flowlens/flowlens/source/cloudwatch"
)

// runPairsCloudWatch is pairs with --log-group: the history from --since to --until (or
// now) is read into the pair index, then judged and written as from files. Only the
// part of the filter that keeps both directions of every conversation is pushed down
// (a verdict is made of the request and its reply); the whole filter is applied to the
// pairs.
func runPairsCloudWatch(ctx context.Context, opts *pairsOptions) error {
	if len(opts.sources) > 0 {
		return usagef("--log-group reads CloudWatch Logs; do not name files as well (%s)", opts.sources[0])
	}
	if opts.cw.changed("follow") || opts.cw.changed("poll") {
		return usagef("pairs judges the history it read: --follow and --poll do not apply (the explorer follows: flowlens --log-group ...)")
	}
	format, err := opts.read.parsedFormat()
	if err != nil {
		return err
	}
	if _, err := pairs.NewWriter(opts.read.output, nil); err != nil {
		return usagef("unknown --output %q: want text, jsonl or csv", opts.read.output)
	}
	rs, err := loadRules(opts.rules)
	if err != nil {
		return err
	}
	if format != nil {
		if _, err := pairs.CompileFilter(opts.read.filter, nil, filterOptions(format)); err != nil {
			return filterUsageError(opts.read.filter, err)
		}
	}
	ctx, stop := withSignals(ctx)
	defer stop()

	src, err := opts.cw.open(ctx, &opts.aws, format, false, pushOptions{filter: opts.read.filter, conversations: true})
	if err != nil {
		return err
	}
	batch := pairs.NewBatch(strings.TrimSpace(opts.read.filter) != "")
	fopts := filterOptionsOf(src.Formats())
	if _, err := pairs.CompileFilter(opts.read.filter, batch.Newest, fopts); err != nil {
		return filterUsageError(opts.read.filter, err)
	}
	opts.read.pinFilter(fopts) // each writer compiles it: one instant for all
	if opts.showQuery {
		return showQueriesOf(opts.out, opts.read.filter, src.Formats(), opts.cw.logGroups, opts.athenaTable(), true)
	}
	if note := src.HistoryChoice(); note != "" {
		fmt.Fprintf(opts.errOut, "flowlens: %s\n", output.Sanitize(note))
	}
	if !opts.read.quiet {
		for _, w := range src.Warnings() {
			fmt.Fprintf(opts.errOut, "flowlens: note: %s\n", output.Sanitize(w))
		}
	}

	var stats model.Stats
	lastErr := ""
	err = src.Run(ctx, func(c *cloudwatch.Chunk) error {
		stats.Add(&c.Stats)
		for i := range c.Records {
			batch.Add(&c.Records[i])
		}
		if msg := c.Status.LastError; msg != "" && msg != lastErr && !opts.read.quiet {
			lastErr = msg
			fmt.Fprintf(opts.errOut, "flowlens: %s (retrying)\n", output.Sanitize(msg))
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := stopped(ctx); err != nil {
		return err
	}
	sum, writeErr, err := opts.finishPairs(ctx, batch, rs, fopts)
	if err != nil {
		return err
	}
	if !opts.read.quiet {
		writeSummary(opts.errOut, &stats, 0, len(opts.cw.logGroups), false)
		writePairsSummary(opts.errOut, sum.Pairs, sum.Shown, sum.Verdicts, opts.read.filter != "", rs != nil)
		if terms, _, _ := src.Pushed(); terms != "" {
			fmt.Fprintf(opts.errOut, "flowlens: pushed to CloudWatch: %s (the part of the filter that keeps both directions of a conversation)\n", output.Sanitize(terms))
		}
		writeScanned(opts.errOut, src.InsightsStats())
	}
	if writeErr != nil {
		return fmt.Errorf("writing the output: %w", writeErr)
	}
	return nil
}
