package cli

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/spf13/cobra"

	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/filter"
	"github.com/flowlens/flowlens/model/output"
	"github.com/flowlens/flowlens/model/rules"
	"github.com/flowlens/flowlens/source/awsclient"
	"github.com/flowlens/flowlens/source/cloudwatch"
)

// The options several commands share. Each command's options struct embeds the ones it
// takes, and bind registers their flags on it.

// readOptions are the options of every command that reads records.
type readOptions struct {
	filter  string
	format  string
	output  string
	quiet   bool
	workers int
}

func (o *readOptions) bind(cmd *cobra.Command, withOutput bool) {
	fl := cmd.Flags()
	fl.StringVar(&o.filter, "filter", "", "only records matching `EXPR` (see docs/filter.md), e.g. 'action=REJECT dstport=22'")
	fl.StringVar(&o.format, "format", "", "the record `FORMAT` when the input has no header line: '${version} ${srcaddr} ...' or plain field names (default: the version 2 format)")
	if withOutput {
		fl.StringVarP(&o.output, "output", "o", "text", "output `KIND`: text, jsonl or csv")
		_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(output.Kinds, cobra.ShellCompDirectiveNoFileComp))
	}
	fl.BoolVarP(&o.quiet, "quiet", "q", false, "do not print the summary on stderr (errors are still printed)")
	fl.IntVar(&o.workers, "workers", 0, "parsing goroutines (default: one per CPU)")
	_ = fl.MarkHidden("workers")
}

// parsedFormat reads --format; nil when not given.
func (o *readOptions) parsedFormat() (*model.Format, error) {
	if strings.TrimSpace(o.format) == "" {
		return nil, nil
	}
	fm, err := model.ParseFormat(o.format)
	if err != nil {
		return nil, valuef("bad --format: %v", err)
	}
	return fm, nil
}

// filterOptions lets a filter name the custom columns of --format. The headless
// commands show UTC, so they read times without an offset as UTC (docs/filter.md).
func filterOptions(format *model.Format) filter.Options {
	opts := filter.Options{Now: time.Now(), Location: time.UTC}
	if format != nil {
		opts.Formats = []*model.Format{format}
	}
	return opts
}

// filterOptionsOf lets a filter name the custom columns of the formats a source learned.
func filterOptionsOf(formats []*model.Format) filter.Options {
	return filter.Options{Formats: formats}
}

// displayZone is the zone times are shown in, and so the zone a time written without an
// offset is read in: UTC, or the local zone with --local-time.
func displayZone(local bool) *time.Location {
	if local {
		return time.Local
	}
	return time.UTC
}

// compileFilter compiles --filter, pointing at the mistake when there is one.
func compileFilter(expr string, format *model.Format) (*filter.Filter, error) {
	f, err := filter.Compile(expr, filterOptions(format))
	if err != nil {
		return nil, filterUsageError(expr, err)
	}
	return f, nil
}

// filterUsageError is a mistake in --filter, with a caret under the column it was found.
func filterUsageError(expr string, err error) error {
	var fe *filter.Error
	if errors.As(err, &fe) {
		shown, caret := caretWindow(expr, fe.Pos)
		return valuef("bad --filter: %v\n  %s\n  %s^", err, shown, strings.Repeat(" ", caret))
	}
	return valuef("bad --filter: %v", err)
}

// caretHalf is how many characters are shown on each side of the caret: a mistake in a
// filter of ten thousand characters is pointed at in one line, not echoed whole.
const caretHalf = 30

// caretWindow returns the part of expr around the 1-based column pos, marked with … where
// it was cut, and the number of spaces before a caret under pos.
func caretWindow(expr string, pos int) (string, int) {
	r := []rune(expr)
	col := min(max(pos-1, 0), len(r))
	start := max(0, col-caretHalf)
	end := min(len(r), col+caretHalf)
	shown, caret := string(r[start:end]), col-start
	if start > 0 {
		shown, caret = "…"+shown, caret+1
	}
	if end < len(r) {
		shown += "…"
	}
	return shown, caret
}

// loadRules reads the --rules files and merges them in the order given, a later file
// overriding objects of an earlier one; nil when none were given. model/rules opens no
// files, so the reading is done here. A file that cannot be read or is not describe-*
// JSON is the command line's mistake, the same in every command: inputError, status 2.
func loadRules(paths []string) (*rules.Set, error) {
	if len(paths) == 0 {
		return nil, nil
	}
	set := rules.NewSet()
	for _, path := range paths {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, inputError(errors.New("bad --rules: " + err.Error()))
		}
		one, err := rules.Load(bytes.NewReader(data), path)
		if err != nil {
			return nil, inputError(errors.New("bad --rules: " + err.Error()))
		}
		set.Merge(one)
	}
	return set, nil
}

// awsOptions choose the account, Region and endpoint of the AWS commands and of
// --log-group. Empty values leave the choice to the SDK's usual sources (AWS_PROFILE,
// AWS_REGION, AWS_ENDPOINT_URL*, the shared config files).
type awsOptions struct {
	profile     string
	region      string
	endpointURL string
}

func (o *awsOptions) bind(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&o.profile, "profile", "", "the AWS `PROFILE` of the shared config files (default: AWS_PROFILE, or default)")
	fl.StringVar(&o.region, "region", "", "the AWS `REGION` (default: AWS_REGION, or the profile's region)")
	fl.StringVar(&o.endpointURL, "endpoint-url", "", "send AWS requests to `URL` instead, such as a local test server (AWS_ENDPOINT_URL works too)")
}

// load builds the SDK configuration. Its errors say what to do: set a Region, log in.
func (o *awsOptions) load(ctx context.Context) (aws.Config, error) {
	cfg, err := awsclient.Load(ctx, awsclient.Options{Profile: o.profile, Region: o.region, EndpointURL: o.endpointURL})
	if err != nil {
		return aws.Config{}, errors.New(awsclient.Explain(err, o.profile))
	}
	return cfg, nil
}

// cloudWatchOptions choose what to read from CloudWatch Logs. The explorer and print
// take the same flags; --follow defaults to off here, and the explorer passes
// followByDefault to turn it on unless the person said otherwise.
type cloudWatchOptions struct {
	logGroups    []string
	enis         []string
	streamPrefix string
	since        string
	until        string
	follow       bool
	poll         bool
	history      string
	// zone is where --since and --until read a time without an offset: the zone times
	// are shown in (nil: UTC; the explorer's --local-time: local).
	zone *time.Location
	// changed reports whether a flag was given on the command line, to tell a default
	// from a choice.
	changed func(name string) bool
}

func (o *cloudWatchOptions) bind(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringArrayVar(&o.logGroups, "log-group", nil, "read flow logs from the CloudWatch Logs `GROUP` (repeatable, up to 10; flowlens groups lists them)")
	fl.StringArrayVar(&o.enis, "eni", nil, "only the network interface `ID`, such as eni-0abc1234def567890 (repeatable; flowlens enis lists them)")
	fl.StringVar(&o.streamPrefix, "stream-prefix", "", "only the log streams whose name starts with `PREFIX`")
	fl.StringVar(&o.since, "since", "15m", "read from `WHEN`: a duration before now (15m, 2h, 1d), a time of day (09:10) or a time (2025-03-01T12:00:00Z, '2025-03-01 12:00'), without an offset in the zone times are shown in (UTC, or local with the explorer's --local-time); the records whose start is at or after it (default 15m with --log-group, 1h for an s3:// source and --athena; files are read whole)")
	// The value behind the flag is CloudWatch's default; pflag's own "(default 15m)" would
	// say it of every source.
	fl.Lookup("since").DefValue = ""
	fl.StringVar(&o.until, "until", "", "read up to `WHEN` (a duration before now, or a time read as --since reads it), then stop")
	fl.BoolVarP(&o.follow, "follow", "f", false, "with --log-group, keep reading new records (Live Tail) until interrupted")
	fl.BoolVar(&o.poll, "poll", false, "follow by polling FilterLogEvents instead of Live Tail")
	fl.StringVar(&o.history, "history", "filter", "read the history with `ENGINE`: filter (FilterLogEvents, page by page, no charge), insights (Logs Insights searches it, billed by the bytes scanned) or auto (chosen from the span and the group's size, and said why)")
	_ = cmd.RegisterFlagCompletionFunc("history", cobra.FixedCompletions([]string{"filter", "insights", "auto"}, cobra.ShellCompDirectiveNoFileComp))
	o.changed = fl.Changed
}

// pushOptions say what a command lets a CloudWatch source push down of its filter.
type pushOptions struct {
	filter string
	// conversations pushes only the part that keeps both directions of every
	// conversation: for the explorer and pairs, whose verdicts need the replies.
	conversations bool
	// held is the explorer's ring capacity.
	held int
}

// checkWithS3 checks the CloudWatch flags of a command without --log-group: an s3://
// source takes --since, --until, --eni and --follow, files take none of them.
func (o *cloudWatchOptions) checkWithS3(args []string) error {
	if !isS3(args) {
		_, err := o.config(false, time.Now())
		return err
	}
	for _, name := range []string{"stream-prefix", "poll"} {
		if o.changed(name) {
			return usagef("--%s needs --log-group", name)
		}
	}
	return nil
}

// enabled reports whether CloudWatch was asked for.
func (o *cloudWatchOptions) enabled() bool { return len(o.logGroups) > 0 }

// config checks the options and builds the source configuration, without clients.
// Without --log-group it only checks that no other CloudWatch flag was given.
func (o *cloudWatchOptions) config(followByDefault bool, now time.Time) (cloudwatch.Config, error) {
	if !o.enabled() {
		for _, name := range []string{"eni", "stream-prefix", "since", "until", "follow", "poll", "history"} {
			if o.changed(name) {
				if name == "stream-prefix" || name == "poll" {
					return cloudwatch.Config{}, usagef("--%s needs --log-group", name)
				}
				return cloudwatch.Config{}, usagef("--%s needs --log-group or an s3:// source", name)
			}
		}
		return cloudwatch.Config{}, nil
	}
	cfg := cloudwatch.Config{LogGroups: o.logGroups, ENIs: o.enis, StreamPrefix: o.streamPrefix, Poll: o.poll}
	var err error
	if cfg.History, err = cloudwatch.ParseHistory(o.history); err != nil {
		return cfg, usageError(err)
	}
	if cfg.Since, err = cloudwatch.ParseWhen(o.since, now, o.zone); err != nil {
		return cfg, valuef("bad --since: %v", err)
	}
	if o.until != "" {
		if cfg.Until, err = cloudwatch.ParseWhen(o.until, now, o.zone); err != nil {
			return cfg, valuef("bad --until: %v", err)
		}
	}
	cfg.Follow = followByDefault && o.until == ""
	if o.changed("follow") {
		cfg.Follow = o.follow
	}
	switch {
	case cfg.Follow && o.until != "":
		return cfg, usagef("--until ends the reading, --follow goes on: use one of them")
	case o.poll && !cfg.Follow:
		return cfg, usagef("--poll chooses how to follow: add --follow")
	}
	if err := cfg.Validate(); err != nil {
		return cfg, usageError(err)
	}
	return cfg, nil
}

// open connects a source for --log-group: it loads the AWS configuration, finds the
// groups and learns their formats, so that every start-up problem is reported here,
// before any output. format is --format (nil: learned from DescribeFlowLogs); push
// says what of the filter the source may push down.
func (o *cloudWatchOptions) open(ctx context.Context, awsOpts *awsOptions, format *model.Format, followByDefault bool, push pushOptions) (*cloudwatch.Source, error) {
	cfg, err := o.config(followByDefault, time.Now())
	if err != nil {
		return nil, err
	}
	cfg.Filter, cfg.Conversations, cfg.Held = push.filter, push.conversations, push.held
	awsCfg, err := awsOpts.load(ctx)
	if err != nil {
		return nil, err
	}
	cfg.Logs, cfg.EC2 = awsclient.NewLogs(awsCfg), awsclient.NewEC2(awsCfg)
	cfg.Region, cfg.Profile, cfg.Format = awsCfg.Region, awsOpts.profile, format
	return cloudwatch.New(ctx, cfg)
}
