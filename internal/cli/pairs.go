package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/filter"
	"github.com/flowlens/flowlens/model/names"
	"github.com/flowlens/flowlens/model/output"
	"github.com/flowlens/flowlens/model/pairs"
	"github.com/flowlens/flowlens/model/rules"
	"github.com/flowlens/flowlens/source"
	"github.com/flowlens/flowlens/source/awsclient"
	"github.com/flowlens/flowlens/source/liverules"
)

// pairsOptions are the options of `flowlens pairs`.
type pairsOptions struct {
	streams
	read      readOptions
	rules     []string
	liveRules bool
	s3        s3Options
	aws       awsOptions
	cw        cloudWatchOptions
	names     namesOptions
	sources   []string
	queryOptions
}

func newPairsCommand(s streams) *cobra.Command {
	opts := &pairsOptions{streams: s}
	cmd := &cobra.Command{
		Use:   "pairs [flags] [SOURCE...]",
		Short: "Pair each flow with its reverse and tell what blocked it",
		Long: `Group the records into conversations (per interface: protocol, initiator and
responder), find which side started each one, and judge it by the records
alone: accepted, sg-or-nacl (the request was rejected by a security group or
the network ACL), nacl (the request passed, its reply was rejected: a network
ACL, since security groups never drop a reply), no-response, bpa (VPC Block
Public Access) or unknown. Each pair gets one sentence saying what to check.

With --rules (JSON printed by aws ec2 describe-security-groups,
describe-network-acls, describe-network-interfaces and describe-subnets, in
any combination and order) the verdict names the layer, sg or nacl, and the
rule that dropped it; when the rules allow what the records show rejected, it
says so rather than guess.

--filter takes the record filter language (a record term matches a pair when
it matches the newest record of either direction) plus verdict=, blocked=,
initiator= and responder=. See docs/pairs.md.

Text output is a table sorted by severity (nacl, sg, sg-or-nacl, bpa,
no-response, unknown, accepted). Exit status: 0 success, 1 a source could not
be read, 2 a mistake on the command line (a --rules file that cannot be read or is
not describe-* JSON included).`,
		Example: `  flowlens pairs flows.log.gz
  flowlens pairs --filter 'verdict=blocked' --rules sgs.json --rules acls.json --rules enis.json AWSLogs/
  flowlens pairs -o jsonl --filter 'verdict=nacl responder=10.0.0.0/16' flows.log | jq .explanation`,
		GroupID: "read",
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.sources = args
			if opts.cw.enabled() {
				return runPairsCloudWatch(cmd.Context(), opts)
			}
			if err := checkSourceFlags(args, &opts.s3, cmd.Flags().Changed); err != nil {
				return err
			}
			if err := opts.cw.checkWithS3(args); err != nil {
				return err // a CloudWatch flag without --log-group or an s3:// source
			}
			if opts.showQuery {
				return showQueryWithoutAWS(opts.out, opts.read, opts.queryOptions, true)
			}
			return runPairs(cmd.Context(), opts)
		},
	}
	opts.read.bind(cmd, true)
	opts.s3.bind(cmd)
	fl := cmd.Flags()
	fl.Lookup("filter").Usage = "only pairs matching `EXPR`: the record language plus verdict=, blocked=, initiator=, responder= (see docs/pairs.md), e.g. 'verdict=nacl'"
	fl.StringSliceVar(&opts.rules, "rules", nil, "security groups, network ACLs, interfaces and subnets as `FILE`s printed by aws ec2 describe-* (repeatable, or comma-separated)")
	fl.BoolVar(&opts.liveRules, "live-rules", false, "fetch the security groups, network ACLs and interfaces behind the pairs through the EC2 API (read-only Describe calls) to name the rule behind each verdict, and the instances behind them to name the hosts")
	opts.aws.bind(cmd)
	opts.cw.bind(cmd)
	fl.Lookup("follow").Hidden = true
	fl.Lookup("poll").Hidden = true
	opts.queryOptions.bind(cmd)
	opts.names.bind(cmd)
	return cmd
}

// runPairs reads every record into the pair index, then judges, writes and forgets the
// pairs one at a time, the worst first.
func runPairs(ctx context.Context, opts *pairsOptions) error {
	format, err := opts.read.parsedFormat()
	if err != nil {
		return err
	}
	// Record terms of the filter look at the newest record of each direction; only a
	// filter needs the batch to keep them.
	fopts := filterOptions(format)
	batch := pairs.NewBatch(strings.TrimSpace(opts.read.filter) != "")
	if _, err := pairs.CompileFilter(opts.read.filter, batch.Newest, fopts); err != nil {
		return filterUsageError(opts.read.filter, err)
	}
	warnFilter(opts.errOut, opts.read.filter)
	opts.read.pinFilter(fopts) // each writer compiles it: one instant for all
	if _, err := pairs.NewWriter(opts.read.output, nil); err != nil {
		return usagef("unknown --output %q: want text, jsonl or csv", opts.read.output)
	}
	rs, err := loadRules(opts.rules)
	if err != nil {
		return err
	}
	ctx, stop := withSignals(ctx)
	defer stop()
	req := sourceRequest{args: opts.sources, format: format, workers: opts.read.workers, stdin: opts.in,
		errOut: opts.errOut, quiet: opts.read.quiet, s3: opts.s3, aws: &opts.aws,
		enis: opts.cw.enis, until: opts.cw.until}
	if opts.cw.changed("since") {
		req.since = opts.cw.since
	}
	srcs, err := openSources(ctx, req)
	if err != nil {
		return err
	}

	stats, failures, readErr := readPairs(ctx, batch, srcs)
	if err := stopped(ctx); err != nil {
		return err
	}
	if readErr != nil {
		failures = append(failures, readErr.Error())
	}
	sum, writeErr, err := opts.finishPairs(ctx, batch, rs, fopts)
	if err != nil {
		return err
	}
	if !opts.read.quiet {
		writeSummary(opts.errOut, &stats, 0, srcs.Count(), false)
		writePairsSummary(opts.errOut, sum.Pairs, sum.Shown, sum.Verdicts, opts.read.filter != "", rs != nil)
	}
	for _, f := range failures {
		fmt.Fprintf(opts.errOut, "flowlens: %s\n", output.Sanitize(f))
	}
	if writeErr != nil {
		return fmt.Errorf("writing the output: %w", writeErr)
	}
	if len(failures) > 0 {
		return silent(ExitRuntime)
	}
	return nil
}

// readPairs reads the sources into the batch; it returns what parsing counted, the
// inputs that could not be (wholly) read, and what ended the reading early.
func readPairs(ctx context.Context, batch *pairs.Batch, srcs *sources) (model.Stats, []string, error) {
	var (
		stats    model.Stats
		failures []string
	)
	err := srcs.Read(ctx, nil, func(c *source.Chunk) bool {
		stats.Add(&c.Stats)
		if c.Err != nil {
			failures = append(failures, c.Err.Error())
		}
		for i := range c.Records {
			batch.Add(&c.Records[i])
		}
		return true
	})
	return stats, failures, err
}

// finishPairs fetches the live rules when asked, then writes the pairs that match, the
// worst first, with the names known. It returns the summary, the error of writing, and
// an error that ends the command before anything was written (--live-rules failing).
func (opts *pairsOptions) finishPairs(ctx context.Context, batch *pairs.Batch, rs *rules.Set, fopts filter.Options) (pairs.Summary, error, error) {
	if opts.liveRules {
		var err error
		if rs, err = fetchLiveRules(ctx, &opts.aws, batch.Interfaces(), rs, opts.errOut); err != nil {
			return pairs.Summary{}, nil, err
		}
	}
	ranges, warning := opts.names.ranges(ctx)
	if warning != "" {
		fmt.Fprintf(opts.errOut, "flowlens: warning: %s\n", output.Sanitize(warning))
	}
	sum, err := writePairs(opts.out, opts.read.output, batch, rs, opts.read.filter, fopts, names.New(rs, ranges), opts.read.workers)
	return sum, err, nil
}

// writePairs writes the pairs that match, the worst first, with the names lookup knows.
// The batch classifies every pair to filter and sort, then judges each pair shown in
// full, writes it and forgets it, so memory holds the conversations, not a judgement
// per pair.
func writePairs(w io.Writer, kind string, batch *pairs.Batch, rs *rules.Set, expr string, fopts filter.Options, lookup *names.Lookup, workers int) (pairs.Summary, error) {
	var newMatch func() func(*pairs.Pair, *pairs.Judgement) bool
	if strings.TrimSpace(expr) != "" {
		newMatch = func() func(*pairs.Pair, *pairs.Judgement) bool {
			match, _ := pairs.CompileFilter(expr, batch.Newest, fopts) // checked by runPairs
			return match
		}
	}
	out := bufio.NewWriterSize(w, 256<<10)
	sum, err := batch.Write(out, pairs.WriteOptions{Kind: kind, Rules: rs, NewMatch: newMatch, Workers: workers, Named: true, Names: lookup})
	if ferr := out.Flush(); ferr != nil && err == nil {
		err = ferr
	}
	return sum, err
}

// fetchLiveRules gets the rules of the interfaces through the EC2 API and
// merges them onto rs (--live-rules). Instances that could not be described only cost
// their names: a warning on errOut.
func fetchLiveRules(ctx context.Context, awsOpts *awsOptions, ifcs []model.Sym, rs *rules.Set, errOut io.Writer) (*rules.Set, error) {
	enis := make([]string, 0, len(ifcs))
	for _, ifc := range ifcs {
		enis = append(enis, ifc.String())
	}
	cfg, err := awsOpts.load(ctx)
	if err != nil {
		return nil, err
	}
	set, err := liverules.Fetch(ctx, awsclient.NewEC2(cfg), enis)
	warning, err := namesWarning(err, awsOpts.profile)
	if err != nil {
		return nil, errors.New("--live-rules: " + awsclient.Explain(err, awsOpts.profile))
	}
	if warning != "" {
		fmt.Fprintf(errOut, "flowlens: warning: %s\n", output.Sanitize(warning))
	}
	merged := rules.NewSet()
	if rs != nil {
		merged.Merge(rs)
	}
	merged.Merge(set)
	return merged, nil
}

// writePairsSummary tells how many conversations there were and how they were judged:
// the line to read first during an incident.
func writePairsSummary(w io.Writer, total, shown int, counts map[pairs.Verdict]int, filtered, withRules bool) {
	noun := "pairs"
	if total == 1 {
		noun = "pair"
	}
	fmt.Fprintf(w, "flowlens: %s %s", output.Thousands(int64(total)), noun)
	if filtered {
		fmt.Fprintf(w, ", %s matched", output.Thousands(int64(shown)))
	}
	var parts []string
	for _, v := range pairs.Verdicts {
		if n := counts[v]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s %s", v, output.Thousands(int64(n))))
		}
	}
	if len(parts) > 0 {
		fmt.Fprintf(w, ": %s", strings.Join(parts, ", "))
	}
	if !withRules && (counts[pairs.SGOrNACL] > 0 || counts[pairs.NACL] > 0) {
		fmt.Fprint(w, " (add --rules to name the rule)")
	}
	fmt.Fprintln(w)
}
