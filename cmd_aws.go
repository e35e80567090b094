package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/signal"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/spf13/cobra"

	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/filter"
	"github.com/flowlens/flowlens/model/output"
	"github.com/flowlens/flowlens/source/awsclient"
	"github.com/flowlens/flowlens/source/cloudwatch"
)

// awsFlags choose the account, Region and endpoint of the AWS commands and of
// --log-group. Empty values leave the choice to the SDK's usual sources (AWS_PROFILE,
// AWS_REGION, AWS_ENDPOINT_URL*, the shared config files).
type awsFlags struct {
	profile     string
	region      string
	endpointURL string
}

func (f *awsFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.profile, "profile", "", "the AWS `PROFILE` of the shared config files (default: AWS_PROFILE, or default)")
	fl.StringVar(&f.region, "region", "", "the AWS `REGION` (default: AWS_REGION, or the profile's region)")
	fl.StringVar(&f.endpointURL, "endpoint-url", "", "send AWS requests to `URL` instead, such as a local test server (AWS_ENDPOINT_URL works too)")
}

// load builds the SDK configuration. Its errors say what to do: set a Region, log in.
func (f *awsFlags) load(ctx context.Context) (aws.Config, error) {
	cfg, err := awsclient.Load(ctx, awsclient.Options{Profile: f.profile, Region: f.region, EndpointURL: f.endpointURL})
	if err != nil {
		return aws.Config{}, errors.New(awsclient.Explain(err, f.profile))
	}
	return cfg, nil
}

// cloudWatchFlags choose what to read from CloudWatch Logs. The explorer and print
// register the same flags; --follow defaults to off here, and the explorer passes
// followByDefault to turn it on unless the person said otherwise.
type cloudWatchFlags struct {
	logGroups    []string
	enis         []string
	streamPrefix string
	since        string
	until        string
	follow       bool
	poll         bool
}

func (f *cloudWatchFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringArrayVar(&f.logGroups, "log-group", nil, "read flow logs from the CloudWatch Logs `GROUP` (repeatable, up to 10; flowlens groups lists them)")
	fl.StringArrayVar(&f.enis, "eni", nil, "only the network interface `ID`, such as eni-0abc1234def567890 (repeatable; flowlens enis lists them)")
	fl.StringVar(&f.streamPrefix, "stream-prefix", "", "only the log streams whose name starts with `PREFIX`")
	fl.StringVar(&f.since, "since", "15m", "read from `WHEN`: a duration before now (15m, 2h, 1d) or a time (2025-03-01T12:00:00Z, '2025-03-01 12:00')")
	fl.StringVar(&f.until, "until", "", "read up to `WHEN` (a duration before now, or a time), then stop")
	fl.BoolVarP(&f.follow, "follow", "f", false, "with --log-group, keep reading new records (Live Tail) until interrupted")
	fl.BoolVar(&f.poll, "poll", false, "follow by polling FilterLogEvents instead of Live Tail")
}

// enabled reports whether CloudWatch was asked for.
func (f *cloudWatchFlags) enabled() bool { return len(f.logGroups) > 0 }

// config checks the flags and builds the source configuration, without clients. Without
// --log-group it only checks that no other CloudWatch flag was given.
func (f *cloudWatchFlags) config(cmd *cobra.Command, followByDefault bool, now time.Time) (cloudwatch.Config, error) {
	changed := func(name string) bool { return cmd.Flags().Changed(name) }
	if !f.enabled() {
		for _, name := range []string{"eni", "stream-prefix", "since", "until", "follow", "poll"} {
			if changed(name) {
				return cloudwatch.Config{}, usagef("--%s needs --log-group", name)
			}
		}
		return cloudwatch.Config{}, nil
	}
	cfg := cloudwatch.Config{LogGroups: f.logGroups, ENIs: f.enis, StreamPrefix: f.streamPrefix, Poll: f.poll}
	var err error
	if cfg.Since, err = cloudwatch.ParseWhen(f.since, now); err != nil {
		return cfg, usagef("bad --since: %v", err)
	}
	if f.until != "" {
		if cfg.Until, err = cloudwatch.ParseWhen(f.until, now); err != nil {
			return cfg, usagef("bad --until: %v", err)
		}
	}
	cfg.Follow = followByDefault && f.until == ""
	if changed("follow") {
		cfg.Follow = f.follow
	}
	switch {
	case cfg.Follow && f.until != "":
		return cfg, usagef("--until ends the reading, --follow goes on: use one of them")
	case f.poll && !cfg.Follow:
		return cfg, usagef("--poll chooses how to follow: add --follow")
	}
	if err := cfg.Validate(); err != nil {
		return cfg, usageError{err}
	}
	return cfg, nil
}

// newCloudWatchSource connects a source for --log-group: it loads the AWS configuration,
// finds the groups and learns their formats, so that every start-up problem is reported
// here, before any output. format is --format (nil: learned from DescribeFlowLogs).
func newCloudWatchSource(ctx context.Context, cmd *cobra.Command, af *awsFlags, cw *cloudWatchFlags, format *model.Format, followByDefault bool) (*cloudwatch.Source, error) {
	cfg, err := cw.config(cmd, followByDefault, time.Now())
	if err != nil {
		return nil, err
	}
	awsCfg, err := af.load(ctx)
	if err != nil {
		return nil, err
	}
	cfg.Logs, cfg.EC2 = awsclient.NewLogs(awsCfg), awsclient.NewEC2(awsCfg)
	cfg.Region, cfg.Profile, cfg.Format = awsCfg.Region, af.profile, format
	return cloudwatch.New(ctx, cfg)
}

// runPrintCloudWatch is print with --log-group: the history up to --until (or now), then
// exit; with --follow, new records until interrupted.
func runPrintCloudWatch(ctx context.Context, cmd *cobra.Command, env *environment, flags *readFlags, af *awsFlags, cw *cloudWatchFlags, count bool, args []string) error {
	if len(args) > 0 {
		return usagef("--log-group reads CloudWatch Logs; do not name files as well (%s)", args[0])
	}
	format, err := flags.parsedFormat()
	if err != nil {
		return err
	}
	if format != nil {
		// With --format the learned formats do not matter: report a bad filter now.
		if _, err := compileFilter(flags.filter, format); err != nil {
			return err
		}
	}
	if _, err := rowFormatter(flags.output); err != nil {
		return err
	}
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	src, err := newCloudWatchSource(ctx, cmd, af, cw, format, false)
	if err != nil {
		return err
	}
	// Custom columns of the learned formats may be named in the filter.
	flt, err := filter.Compile(flags.filter, filter.Options{Formats: src.Formats()})
	if err != nil {
		return filterUsageError(flags.filter, err)
	}
	if !flags.quiet {
		for _, w := range src.Warnings() {
			fmt.Fprintf(env.stderr, "flowlens: note: %s\n", output.Sanitize(w))
		}
	}

	out, _ := output.New(flags.output, env.stdout)
	var (
		stats    model.Stats
		matched  int64
		lastErr  string
		writeErr error
	)
	following := cw.follow
	err = src.Run(ctx, func(c *cloudwatch.Chunk) error {
		stats.Add(&c.Stats)
		for i := range c.Records {
			if !flt.All() && !flt.Match(&c.Records[i]) {
				continue
			}
			matched++
			if !count {
				if err := out.Write(&c.Records[i]); err != nil {
					writeErr = err
					return err
				}
			}
		}
		if msg := c.Status.LastError; msg != "" && msg != lastErr {
			lastErr = msg
			if !flags.quiet {
				fmt.Fprintf(env.stderr, "flowlens: %s (retrying)\n", output.Sanitize(msg))
			}
		}
		if following && !count && len(c.Records) > 0 {
			// Someone watching a followed group wants each record when it comes.
			if err := out.Flush(); err != nil {
				writeErr = err
				return err
			}
		}
		return nil
	})
	if count {
		fmt.Fprintln(env.stdout, matched)
	}
	if ferr := out.Flush(); ferr != nil && writeErr == nil {
		writeErr = ferr
	}
	if !flags.quiet {
		writeSummary(env.stderr, &stats, matched, len(cw.logGroups), flags.filter != "")
		for _, w := range output.Warnings(out) {
			fmt.Fprintf(env.stderr, "flowlens: warning: %s\n", output.Sanitize(w))
		}
	}
	switch {
	case writeErr != nil:
		return fmt.Errorf("writing the output: %w", writeErr)
	case err != nil:
		return err
	case ctx.Err() != nil:
		return silentError{130}
	}
	return nil
}

// addAWSCommands adds the commands that find what to read: groups and enis.
func addAWSCommands(root *cobra.Command, env *environment) {
	root.AddCommand(newGroupsCommand(env), newENIsCommand(env))
}

func newGroupsCommand(env *environment) *cobra.Command {
	var af awsFlags
	var kind string
	cmd := &cobra.Command{
		Use:   "groups",
		Short: "List the VPC flow logs that deliver to CloudWatch Logs",
		Long: `List the VPC flow logs of the account and Region that deliver to CloudWatch Logs
(ec2:DescribeFlowLogs): the log group, the VPC, subnet or interface each one watches,
the traffic it records, its maximum aggregation interval and its record format.
Pass a log group to --log-group of the explorer or of print.`,
		Example: `  flowlens groups
  flowlens groups --profile prod --region eu-west-1 -o jsonl | jq -r '."log-group"'`,
		GroupID: "aws",
		Args:    usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runGroups(commandContext(cmd), env, &af, kind)
		},
	}
	af.register(cmd)
	cmd.Flags().StringVarP(&kind, "output", "o", "text", "output `KIND`: text or jsonl")
	return cmd
}

func runGroups(ctx context.Context, env *environment, af *awsFlags, kind string) error {
	if kind != "text" && kind != "jsonl" {
		return usagef("unknown --output %q: want text or jsonl", kind)
	}
	awsCfg, err := af.load(ctx)
	if err != nil {
		return err
	}
	fls, err := cloudwatch.ListFlowLogs(ctx, awsclient.NewEC2(awsCfg))
	if err != nil {
		return errors.New(awsclient.Explain(err, af.profile))
	}
	if len(fls) == 0 {
		fmt.Fprintf(env.stderr, "flowlens: no VPC flow log in %s delivers to CloudWatch Logs\n", awsCfg.Region)
		return nil
	}
	w := bufio.NewWriter(env.stdout)
	if kind == "jsonl" {
		enc := json.NewEncoder(w)
		for _, fl := range fls {
			_ = enc.Encode(map[string]any{
				"log-group":                fl.LogGroup,
				"resource-id":              fl.Resource,
				"traffic-type":             fl.TrafficType,
				"max-aggregation-interval": int(fl.Interval / time.Second),
				"format":                   fl.Format,
				"flow-log-id":              fl.ID,
				"status":                   fl.Status,
			})
		}
		return flushOutput(w)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "LOG GROUP\tRESOURCE\tTRAFFIC\tINTERVAL\tFLOW LOG\tFORMAT")
	for _, fl := range fls {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", output.Sanitize(fl.LogGroup), output.Sanitize(fl.Resource), fl.TrafficType,
			fl.Interval, output.Sanitize(fl.ID), output.Sanitize(describeFormat(fl.Format)))
	}
	_ = tw.Flush()
	return flushOutput(w)
}

// describeFormat shortens the default format to "default (version 2)"; any other is
// shown in full, since its columns are what a person needs to know.
func describeFormat(spec string) string {
	if f, err := model.ParseFormat(spec); err == nil && f.ID == model.DefaultFormat.ID {
		return "default (version 2)"
	}
	return spec
}

func newENIsCommand(env *environment) *cobra.Command {
	var af awsFlags
	var group, kind string
	cmd := &cobra.Command{
		Use:   "enis --log-group GROUP",
		Short: "List the network interfaces of a flow log group, most recently active first",
		Long: `List the log streams of a CloudWatch Logs group of VPC flow logs (one per network
interface and traffic type) with the time of their newest record, most recent first
(logs:DescribeLogStreams). CloudWatch Logs updates that time lazily, so it can lag by
some minutes. Pass an interface to --eni of the explorer or of print.`,
		Example: `  flowlens enis --log-group /vpc/flows
  flowlens print --log-group /vpc/flows --eni $(flowlens enis --log-group /vpc/flows -o jsonl | head -1 | jq -r '."interface-id"')`,
		GroupID: "aws",
		Args:    usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runENIs(commandContext(cmd), env, &af, group, kind)
		},
	}
	af.register(cmd)
	cmd.Flags().StringVar(&group, "log-group", "", "the CloudWatch Logs `GROUP` (flowlens groups lists them)")
	cmd.Flags().StringVarP(&kind, "output", "o", "text", "output `KIND`: text or jsonl")
	_ = cmd.MarkFlagRequired("log-group")
	return cmd
}

func runENIs(ctx context.Context, env *environment, af *awsFlags, group, kind string) error {
	if kind != "text" && kind != "jsonl" {
		return usagef("unknown --output %q: want text or jsonl", kind)
	}
	awsCfg, err := af.load(ctx)
	if err != nil {
		return err
	}
	cfg := cloudwatch.Config{
		Logs: awsclient.NewLogs(awsCfg), EC2: awsclient.NewEC2(awsCfg),
		Region: awsCfg.Region, Profile: af.profile,
	}
	streams, err := cloudwatch.ListStreams(ctx, cfg, group)
	if err != nil {
		return err
	}
	if len(streams) == 0 {
		fmt.Fprintf(env.stderr, "flowlens: log group %s has no log streams yet\n", output.Sanitize(group))
		return nil
	}
	w := bufio.NewWriter(env.stdout)
	if kind == "jsonl" {
		enc := json.NewEncoder(w)
		for _, s := range streams {
			var last any
			if !s.LastEvent.IsZero() {
				last = s.LastEvent.UTC().Format(time.RFC3339)
			}
			var eni any
			if s.ENI != "" {
				eni = s.ENI
			}
			_ = enc.Encode(map[string]any{"interface-id": eni, "log-stream": s.Name, "last-event": last})
		}
		return flushOutput(w)
	}
	now := time.Now()
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "INTERFACE\tLOG STREAM\tLAST EVENT (UTC)\tAGO")
	for _, s := range streams {
		eni, last, ago := s.ENI, "-", "-"
		if eni == "" {
			eni = "-"
		}
		if !s.LastEvent.IsZero() {
			last = s.LastEvent.UTC().Format("2006-01-02 15:04:05")
			ago = agoString(now.Sub(s.LastEvent))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", output.Sanitize(eni), output.Sanitize(s.Name), last, ago)
	}
	_ = tw.Flush()
	return flushOutput(w)
}

// agoString writes an age the way a person reads it: 45s, 12m, 3h, 5d.
func agoString(d time.Duration) string {
	switch {
	case d < 0:
		return "in the future"
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d/time.Hour))
	}
	return fmt.Sprintf("%dd", int(d/(24*time.Hour)))
}

func flushOutput(w *bufio.Writer) error {
	if err := w.Flush(); err != nil {
		return fmt.Errorf("writing the output: %w", err)
	}
	return nil
}

// commandContext is the command's context, or a background one when run outside
// Execute (tests).
func commandContext(cmd *cobra.Command) context.Context {
	if ctx := cmd.Context(); ctx != nil {
		return ctx
	}
	return context.Background()
}
