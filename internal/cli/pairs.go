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
	window    windowOptions
	s3        s3Options
	aws       awsOptions
	sources   []string
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
			if err := checkSourceFlags(args, &opts.s3, cmd.Flags().Changed, "since", "until", "eni"); err != nil {
				return err
			}
			return runPairs(cmd.Context(), opts)
		},
	}
	opts.read.bind(cmd, true)
	opts.window.bind(cmd)
	opts.s3.bind(cmd)
	fl := cmd.Flags()
	fl.Lookup("filter").Usage = "only pairs matching `EXPR`: the record language plus verdict=, blocked=, initiator=, responder= (see docs/pairs.md), e.g. 'verdict=nacl'"
	fl.StringSliceVar(&opts.rules, "rules", nil, "security groups, network ACLs, interfaces and subnets as `FILE`s printed by aws ec2 describe-* (repeatable, or comma-separated)")
	fl.BoolVar(&opts.liveRules, "live-rules", false, "fetch the security groups, network ACLs and interfaces behind the pairs through the EC2 API (read-only Describe calls) to name the rule behind each verdict")
	opts.aws.bind(cmd)
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
	// filter needs the records kept.
	var newest *newestRecords
	if strings.TrimSpace(opts.read.filter) != "" {
		newest = &newestRecords{bySeq: map[uint64]model.Flow{}}
	}
	match, err := pairs.CompileFilter(opts.read.filter, newest.record, filterOptions(format))
	if err != nil {
		return filterUsageError(opts.read.filter, err)
	}
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
		errOut: opts.errOut, quiet: opts.read.quiet, s3: opts.s3, aws: &opts.aws}
	opts.window.request(&req)
	srcs, err := openSources(ctx, req)
	if err != nil {
		return err
	}

	ix := pairs.NewIndex()
	stats, failures, readErr := indexPairs(ctx, ix, newest, srcs)
	if err := stopped(ctx); err != nil {
		return err
	}
	if readErr != nil {
		failures = append(failures, readErr.Error())
	}
	if opts.liveRules {
		if rs, err = fetchLiveRules(ctx, &opts.aws, ix, rs); err != nil {
			return err
		}
	}
	shown, counts, writeErr := writePairs(opts.out, opts.read.output, ix, rs, match)
	if !opts.read.quiet {
		writeSummary(opts.errOut, &stats, 0, srcs.Count(), false)
		writePairsSummary(opts.errOut, ix.Len(), shown, counts, opts.read.filter != "", rs != nil)
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

// newestRecords keeps the newest record of each direction of every pair, by sequence
// number, for the record terms of a pairs filter. A nil *newestRecords keeps nothing.
type newestRecords struct {
	bySeq map[uint64]model.Flow
}

// record is the filter's view of a kept record; nil when it was not kept.
func (n *newestRecords) record(seq uint64) *model.Flow {
	if n == nil {
		return nil
	}
	if r, ok := n.bySeq[seq]; ok {
		return &r
	}
	return nil
}

// keep remembers r, which is about to be added to ix as seq, and forgets the record of
// the same direction it replaces.
func (n *newestRecords) keep(ix *pairs.Index, seq uint64, r *model.Flow) {
	if n == nil {
		return
	}
	if p, side := ix.Get(r); p != nil && p.Dirs[side].Records > 0 {
		delete(n.bySeq, p.Dirs[side].LastSeq)
	}
	if _, _, ok := pairs.KeyOf(r); ok {
		n.bySeq[seq] = *r
	}
}

// indexPairs reads the sources into ix; it returns what parsing counted, the inputs
// that could not be (wholly) read, and what ended the reading early.
func indexPairs(ctx context.Context, ix *pairs.Index, newest *newestRecords, srcs *sources) (model.Stats, []string, error) {
	var (
		stats    model.Stats
		failures []string
		seq      uint64
	)
	err := srcs.Read(ctx, nil, func(c *source.Chunk) bool {
		stats.Add(&c.Stats)
		if c.Err != nil {
			failures = append(failures, c.Err.Error())
		}
		for i := range c.Records {
			newest.keep(ix, seq, &c.Records[i])
			ix.Add(seq, &c.Records[i])
			seq++
		}
		return true
	})
	return stats, failures, err
}

// writePairs writes the pairs that match, the worst first. Classify is enough to filter
// and sort; each pair shown is then judged in full, written and forgotten, so memory
// holds the index, not a judgement per pair.
func writePairs(w io.Writer, kind string, ix *pairs.Index, rs *rules.Set, match func(*pairs.Pair, *pairs.Judgement) bool) (shown int, counts map[pairs.Verdict]int, err error) {
	ordered := ix.Ordered(rs, match)
	counts = map[pairs.Verdict]int{}
	out := bufio.NewWriterSize(w, 256<<10)
	pw, _ := pairs.NewWriter(kind, out) // the kind was checked by runPairs
	for _, p := range ordered {
		j := ix.Judge(p, rs)
		counts[j.Verdict]++
		if err == nil {
			err = pw.Write(p, &j)
		}
		ix.Forget(p)
	}
	if ferr := pw.Flush(); ferr != nil && err == nil {
		err = ferr
	}
	if ferr := out.Flush(); ferr != nil && err == nil {
		err = ferr
	}
	return len(ordered), counts, err
}

// fetchLiveRules gets the rules of the interfaces of the index through the EC2 API and
// merges them onto rs (--live-rules).
func fetchLiveRules(ctx context.Context, awsOpts *awsOptions, ix *pairs.Index, rs *rules.Set) (*rules.Set, error) {
	seen := map[model.Sym]bool{}
	var enis []string
	for _, p := range ix.All() {
		if ifc := p.Key.Interface; !seen[ifc] {
			seen[ifc] = true
			enis = append(enis, ifc.String())
		}
	}
	cfg, err := awsOpts.load(ctx)
	if err != nil {
		return nil, err
	}
	set, err := liverules.Fetch(ctx, awsclient.NewEC2(cfg), enis)
	if err != nil {
		return nil, errors.New("--live-rules: " + awsclient.Explain(err, awsOpts.profile))
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
