package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/filter"
	"github.com/flowlens/flowlens/model/output"
	"github.com/flowlens/flowlens/model/pairs"
	"github.com/flowlens/flowlens/model/rules"
	"github.com/flowlens/flowlens/source"
	"github.com/flowlens/flowlens/source/awsclient"
	"github.com/flowlens/flowlens/source/liverules"
)

func newPairsCommand(env *environment) *cobra.Command {
	var flags readFlags
	var ruleFiles []string
	var live liveRulesFlags
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
no-response, unknown, accepted). Exit status: 0 success, 1 a source or a rules
file could not be read, 2 a mistake on the command line.`,
		Example: `  flowlens pairs flows.log.gz
  flowlens pairs --filter 'verdict=blocked' --rules sgs.json --rules acls.json --rules enis.json AWSLogs/
  flowlens pairs -o jsonl --filter 'verdict=nacl responder=10.0.0.0/16' flows.log | jq .explanation`,
		GroupID: "read",
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPairs(cmd.Context(), env, &flags, ruleFiles, &live, args)
		},
	}
	flags.register(cmd, true)
	cmd.Flags().Lookup("filter").Usage = "only pairs matching `EXPR`: the record language plus verdict=, blocked=, initiator=, responder= (see docs/pairs.md), e.g. 'verdict=nacl'"
	cmd.Flags().StringSliceVar(&ruleFiles, "rules", nil, "security groups, network ACLs, interfaces and subnets as `FILE`s printed by aws ec2 describe-* (repeatable, or comma-separated)")
	live.register(cmd)
	return cmd
}

// liveRulesFlags is --live-rules with the AWS flags it needs.
type liveRulesFlags struct {
	enabled bool
	aws     awsFlags
}

func (f *liveRulesFlags) register(cmd *cobra.Command) {
	cmd.Flags().BoolVar(&f.enabled, "live-rules", false, "fetch the security groups, network ACLs and interfaces behind the pairs through the EC2 API (read-only Describe calls) to name the rule behind each verdict")
	f.aws.register(cmd)
}

// fetch gets the rules of the interfaces ifcs and merges them onto rs.
func (f *liveRulesFlags) fetch(ctx context.Context, ifcs []model.Sym, rs *rules.Set) (*rules.Set, error) {
	enis := make([]string, 0, len(ifcs))
	for _, ifc := range ifcs {
		enis = append(enis, ifc.String())
	}
	cfg, err := f.aws.load(ctx)
	if err != nil {
		return nil, err
	}
	set, err := liverules.Fetch(ctx, awsclient.NewEC2(cfg), enis)
	if err != nil {
		return nil, errors.New("--live-rules: " + awsclient.Explain(err, f.aws.profile))
	}
	merged := rules.NewSet()
	if rs != nil {
		merged.Merge(rs)
	}
	merged.Merge(set)
	return merged, nil
}

func runPairs(ctx context.Context, env *environment, flags *readFlags, ruleFiles []string, live *liveRulesFlags, args []string) error {
	format, err := flags.parsedFormat()
	if err != nil {
		return err
	}
	var opts filter.Options
	if format != nil {
		opts.Formats = []*model.Format{format}
	}
	// The conversations, with the newest record of each direction kept when a filter
	// may look at them.
	keep := strings.TrimSpace(flags.filter) != ""
	batch := pairs.NewBatch(keep)
	if _, err := pairs.CompileFilter(flags.filter, batch.Newest, opts); err != nil {
		return filterUsageError(flags.filter, err)
	}
	var newMatch func() func(*pairs.Pair, *pairs.Judgement) bool
	if keep {
		newMatch = func() func(*pairs.Pair, *pairs.Judgement) bool {
			match, _ := pairs.CompileFilter(flags.filter, batch.Newest, opts)
			return match
		}
	}
	if _, err := pairs.NewWriter(flags.output, nil); err != nil {
		return usagef("unknown --output %q: want text, jsonl or csv", flags.output)
	}
	var rs *rules.Set
	if len(ruleFiles) > 0 {
		if rs, err = rules.LoadFiles(ruleFiles...); err != nil {
			return fmt.Errorf("reading --rules: %w", err)
		}
	}
	inputs, err := source.Expand(args)
	if err != nil {
		return err
	}
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	var (
		stats    model.Stats
		failures []string
	)
	source.ReadFiles(ctx, inputs, source.Options{Format: format, Workers: flags.workers, Stdin: env.stdin}, nil, func(c *source.Chunk) bool {
		stats.Add(&c.Stats)
		if c.Err != nil {
			failures = append(failures, c.Err.Error())
		}
		for i := range c.Records {
			batch.Add(&c.Records[i])
		}
		return true
	})
	if ctx.Err() != nil {
		return silentError{130}
	}
	if live.enabled {
		if rs, err = live.fetch(ctx, batch.Interfaces(), rs); err != nil {
			return err
		}
	}

	// Classify is enough to filter and sort; each pair shown is then judged in full,
	// written and forgotten, so memory holds the conversations, not a judgement per pair.
	out := bufio.NewWriterSize(env.stdout, 256<<10)
	sum, writeErr := batch.Write(out, pairs.WriteOptions{Kind: flags.output, Rules: rs, NewMatch: newMatch, Workers: flags.workers})
	if err := out.Flush(); err != nil && writeErr == nil {
		writeErr = err
	}
	if !flags.quiet {
		writeSummary(env.stderr, &stats, 0, len(inputs), false)
		writePairsSummary(env, sum.Pairs, sum.Shown, sum.Verdicts, flags.filter != "", rs != nil)
	}
	for _, f := range failures {
		fmt.Fprintf(env.stderr, "flowlens: %s\n", output.Sanitize(f))
	}
	if writeErr != nil {
		return fmt.Errorf("writing the output: %w", writeErr)
	}
	if len(failures) > 0 {
		return silentError{exitRuntime}
	}
	return nil
}

// writePairsSummary tells how many conversations there were and how they were judged:
// the line to read first during an incident.
func writePairsSummary(env *environment, total, shown int, counts map[pairs.Verdict]int, filtered, withRules bool) {
	noun := "pairs"
	if total == 1 {
		noun = "pair"
	}
	fmt.Fprintf(env.stderr, "flowlens: %s %s", thousands(int64(total)), noun)
	if filtered {
		fmt.Fprintf(env.stderr, ", %s matched", thousands(int64(shown)))
	}
	var parts []string
	for _, v := range pairs.Verdicts {
		if n := counts[v]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s %s", v, thousands(int64(n))))
		}
	}
	if len(parts) > 0 {
		fmt.Fprintf(env.stderr, ": %s", strings.Join(parts, ", "))
	}
	if !withRules && (counts[pairs.SGOrNACL] > 0 || counts[pairs.NACL] > 0) {
		fmt.Fprint(env.stderr, " (add --rules to name the rule)")
	}
	fmt.Fprintln(env.stderr)
}
