package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/output"
	"github.com/flowlens/flowlens/source/awsclient"
	"github.com/flowlens/flowlens/source/cloudwatch"
)

// The commands that find what to read in AWS: groups and enis.

// listOptions are the options of the commands that list what is in AWS.
type listOptions struct {
	streams
	aws    awsOptions
	output string
}

func (o *listOptions) bind(cmd *cobra.Command) {
	o.aws.bind(cmd)
	cmd.Flags().StringVarP(&o.output, "output", "o", "text", "output `KIND`: text or jsonl")
}

// checkOutput checks --output: the listings are written as text or jsonl.
func (o *listOptions) checkOutput() error {
	if o.output != "text" && o.output != "jsonl" {
		return usagef("unknown --output %q: want text or jsonl", o.output)
	}
	return nil
}

func newGroupsCommand(s streams) *cobra.Command {
	opts := &listOptions{streams: s}
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
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runGroups(cmd.Context(), opts)
		},
	}
	opts.bind(cmd)
	return cmd
}

func runGroups(ctx context.Context, opts *listOptions) error {
	if err := opts.checkOutput(); err != nil {
		return err
	}
	awsCfg, err := opts.aws.load(ctx)
	if err != nil {
		return err
	}
	fls, err := cloudwatch.ListFlowLogs(ctx, awsclient.NewEC2(awsCfg))
	if err != nil {
		return errors.New(awsclient.Explain(err, opts.aws.profile))
	}
	if len(fls) == 0 {
		fmt.Fprintf(opts.errOut, "flowlens: no VPC flow log in %s delivers to CloudWatch Logs\n", awsCfg.Region)
		return nil
	}
	w := bufio.NewWriter(opts.out)
	if opts.output == "jsonl" {
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

// enisOptions are the options of `flowlens enis`.
type enisOptions struct {
	listOptions
	group string
}

func newENIsCommand(s streams) *cobra.Command {
	opts := &enisOptions{listOptions: listOptions{streams: s}}
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
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runENIs(cmd.Context(), opts)
		},
	}
	opts.bind(cmd)
	cmd.Flags().StringVar(&opts.group, "log-group", "", "the CloudWatch Logs `GROUP` (flowlens groups lists them)")
	_ = cmd.MarkFlagRequired("log-group")
	return cmd
}

func runENIs(ctx context.Context, opts *enisOptions) error {
	if err := opts.checkOutput(); err != nil {
		return err
	}
	awsCfg, err := opts.aws.load(ctx)
	if err != nil {
		return err
	}
	cfg := cloudwatch.Config{
		Logs: awsclient.NewLogs(awsCfg), EC2: awsclient.NewEC2(awsCfg),
		Region: awsCfg.Region, Profile: opts.aws.profile,
	}
	streams, err := cloudwatch.ListStreams(ctx, cfg, opts.group)
	if err != nil {
		return err
	}
	if len(streams) == 0 {
		fmt.Fprintf(opts.errOut, "flowlens: log group %s has no log streams yet\n", output.Sanitize(opts.group))
		return nil
	}
	w := bufio.NewWriter(opts.out)
	if opts.output == "jsonl" {
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
