package cloudwatch

import (
	"context"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/flowlens/flowlens/model"
)

// logGroup is a log group being read.
type logGroup struct {
	name string
	// arn is the LogGroupArn form, without ":*", which is what StartLiveTail takes.
	arn string
	// storedBytes, created and retention are what --history auto estimates the size
	// of a history from (zero when AWS did not say).
	storedBytes int64
	created     time.Time
	retention   time.Duration
}

// resolveGroups finds each named group and its ARN. Groups that do not exist are
// reported together, with the groups flow logs do deliver to.
func resolveGroups(ctx context.Context, cfg *Config) ([]logGroup, error) {
	var out []logGroup
	var missing []string
	for _, name := range cfg.LogGroups {
		g, found, err := findGroup(ctx, cfg.Logs, name)
		if err != nil {
			return nil, explain(err, cfg.Profile)
		}
		if !found {
			missing = append(missing, name)
			continue
		}
		out = append(out, g)
	}
	if len(missing) > 0 {
		return nil, unknownGroups(ctx, cfg, missing)
	}
	return out, nil
}

// findGroup looks a group up by name. A name prefix query is what every CloudWatch Logs
// endpoint supports; groups are listed in name order, so the exact name, if it exists,
// is the first of the names that share its prefix.
func findGroup(ctx context.Context, logs *cloudwatchlogs.Client, name string) (lg logGroup, found bool, err error) {
	in := &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String(name)}
	for {
		out, err := logs.DescribeLogGroups(ctx, in)
		if err != nil {
			return lg, false, err
		}
		for _, g := range out.LogGroups {
			if aws.ToString(g.LogGroupName) != name {
				continue
			}
			arn := aws.ToString(g.LogGroupArn)
			if arn == "" {
				// Older answers only carry Arn, which names the streams (":*").
				arn = strings.TrimSuffix(aws.ToString(g.Arn), ":*")
			}
			lg = logGroup{name: name, arn: arn, storedBytes: aws.ToInt64(g.StoredBytes)}
			if g.CreationTime != nil {
				lg.created = time.UnixMilli(*g.CreationTime)
			}
			if g.RetentionInDays != nil {
				lg.retention = time.Duration(*g.RetentionInDays) * 24 * time.Hour
			}
			return lg, true, nil
		}
		if len(out.LogGroups) > 0 || out.NextToken == nil {
			return lg, false, nil
		}
		in.NextToken = out.NextToken
	}
}

// maxListed bounds the groups an unknown-group message lists.
const maxListed = 10

// unknownGroups builds the error for groups that do not exist, listing the groups flow
// logs deliver to (DescribeFlowLogs), or, when EC2 cannot be asked, some log groups that
// exist (DescribeLogGroups).
func unknownGroups(ctx context.Context, cfg *Config, missing []string) error {
	e := &UnknownGroupError{Missing: missing, Region: cfg.Region}
	if cfg.EC2 != nil {
		if fls, err := ListFlowLogs(ctx, cfg.EC2); err == nil {
			for _, fl := range fls {
				if !slices.Contains(e.FlowLogGroups, fl.LogGroup) {
					e.FlowLogGroups = append(e.FlowLogGroups, fl.LogGroup)
				}
			}
			sort.Strings(e.FlowLogGroups)
			if len(e.FlowLogGroups) > maxListed {
				e.FlowLogGroups, e.More = e.FlowLogGroups[:maxListed], true
			}
			return e
		}
	}
	out, err := cfg.Logs.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{Limit: aws.Int32(maxListed)})
	if err == nil {
		for _, g := range out.LogGroups {
			e.OtherGroups = append(e.OtherGroups, aws.ToString(g.LogGroupName))
		}
		e.More = out.NextToken != nil
	}
	return e
}

// FlowLog is a VPC flow log that delivers to CloudWatch Logs.
type FlowLog struct {
	ID       string
	LogGroup string
	// Resource is the VPC, subnet or network interface the flow log watches.
	Resource    string
	TrafficType string // ACCEPT, REJECT or ALL
	// Format is the record format in ${field} form, as EC2 reports it.
	Format string
	// Interval is the maximum aggregation interval (60 s or 600 s).
	Interval time.Duration
	Status   string
}

// ListFlowLogs returns the flow logs that deliver to CloudWatch Logs, optionally only
// those of some log groups, ordered by log group and resource.
func ListFlowLogs(ctx context.Context, client *ec2.Client, groups ...string) ([]FlowLog, error) {
	filters := []ec2types.Filter{{Name: aws.String("log-destination-type"), Values: []string{"cloud-watch-logs"}}}
	if len(groups) > 0 {
		filters = append(filters, ec2types.Filter{Name: aws.String("log-group-name"), Values: groups})
	}
	var out []FlowLog
	pages := ec2.NewDescribeFlowLogsPaginator(client, &ec2.DescribeFlowLogsInput{Filter: filters})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, fl := range page.FlowLogs {
			out = append(out, FlowLog{
				ID:          aws.ToString(fl.FlowLogId),
				LogGroup:    aws.ToString(fl.LogGroupName),
				Resource:    aws.ToString(fl.ResourceId),
				TrafficType: string(fl.TrafficType),
				Format:      aws.ToString(fl.LogFormat),
				Interval:    time.Duration(aws.ToInt32(fl.MaxAggregationInterval)) * time.Second,
				Status:      aws.ToString(fl.FlowLogStatus),
			})
		}
	}
	slices.SortStableFunc(out, func(a, b FlowLog) int {
		if c := strings.Compare(a.LogGroup, b.LogGroup); c != 0 {
			return c
		}
		return strings.Compare(a.Resource, b.Resource)
	})
	return out, nil
}

// Stream is a log stream of a flow log group: one per network interface (and traffic
// type).
type Stream struct {
	Name string // clean (model.CleanText): a stream's name is anyone's to choose
	// ENI is the interface the stream's name starts with, "" if it names none.
	ENI string
	// LastEvent is the timestamp of the newest event; zero when the stream is empty.
	// CloudWatch Logs updates it lazily, so it can lag by some minutes.
	LastEvent time.Time
}

// ListStreams returns the streams of a log group, most recent activity first. A group
// that does not exist is reported as an UnknownGroupError when cfg can list alternatives.
func ListStreams(ctx context.Context, cfg Config, group string) ([]Stream, error) {
	in := &cloudwatchlogs.DescribeLogStreamsInput{
		LogGroupName: aws.String(group),
		OrderBy:      "LastEventTime",
		Descending:   aws.Bool(true),
	}
	var out []Stream
	pages := cloudwatchlogs.NewDescribeLogStreamsPaginator(cfg.Logs, in)
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if isNotFound(err) {
			return nil, unknownGroups(ctx, &cfg, []string{group})
		}
		if err != nil {
			return nil, explain(err, cfg.Profile)
		}
		for _, st := range page.LogStreams {
			// Names reach the screen (the picker, `flowlens streams`): cleaned here. The
			// source reads the streams by interface, never by this name.
			s := Stream{Name: model.CleanText(aws.ToString(st.LogStreamName))}
			s.ENI = eniOf(s.Name)
			if st.LastEventTimestamp != nil {
				s.LastEvent = time.UnixMilli(*st.LastEventTimestamp)
			}
			out = append(out, s)
		}
	}
	// AWS sorts by last event already; a stable sort keeps its order and puts streams
	// without events last whatever the service did with them.
	slices.SortStableFunc(out, func(a, b Stream) int { return b.LastEvent.Compare(a.LastEvent) })
	return out, nil
}

// eniOf extracts "eni-0abc" from a stream name such as "eni-0abc-all".
func eniOf(stream string) string {
	if !strings.HasPrefix(stream, "eni-") {
		return ""
	}
	rest := stream[len("eni-"):]
	end := strings.IndexFunc(rest, func(r rune) bool {
		return (r < '0' || r > '9') && (r < 'a' || r > 'f')
	})
	if end < 0 {
		end = len(rest)
	}
	if end == 0 {
		return ""
	}
	return "eni-" + rest[:end]
}
