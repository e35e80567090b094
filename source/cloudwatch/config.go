package cloudwatch

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/source/clock"
	"github.com/flowlens/flowlens/source/insights"
)

// Limits AWS sets on what one source can read.
const (
	// MaxLogGroups is the most log groups one Live Tail session can follow.
	MaxLogGroups = 10
	// MaxStreamPrefixes is the most stream names or prefixes one Live Tail session takes.
	MaxStreamPrefixes = 100
)

// Defaults of the knobs in Timing and Config.
const (
	// DefaultSince is how far back the history goes without --since: flow log records
	// arrive 5-15 minutes after their window starts, so a shorter history shows little.
	DefaultSince = 15 * time.Minute
	// MinLookBack is the shortest look-back window: a record can be ingested up to about
	// 15 minutes (aggregation window plus delivery) after its timestamp, and a re-read that
	// starts later than that misses it.
	MinLookBack     = 15 * time.Minute
	DefaultLookBack = 20 * time.Minute
	// DefaultPollEvery keeps a polling source well inside FilterLogEvents' quota (about 5
	// requests per second per account and Region, shared with every other reader).
	DefaultPollEvery   = 10 * time.Second
	DefaultBackoffBase = time.Second
	DefaultBackoffMax  = time.Minute
	// DefaultNarrowDelay lets a person try a few filters in a row before the Live Tail
	// session (billed by the minute, and read again from the look-back) restarts.
	DefaultNarrowDelay = 1500 * time.Millisecond
)

// Config says what to read and how.
type Config struct {
	// Logs is the CloudWatch Logs client (build it with awsclient.NewLogs).
	Logs *cloudwatchlogs.Client
	// EC2 is used to learn the record format from DescribeFlowLogs and to list the flow
	// logs when a log group does not exist; nil skips both.
	EC2 *ec2.Client
	// Region and Profile only shape messages ("not found in us-east-1", "run aws sso login
	// --profile X").
	Region  string
	Profile string

	// LogGroups are the log group names, 1 to MaxLogGroups.
	LogGroups []string
	// ENIs narrow the groups to these network interfaces: each becomes a stream-name
	// prefix, as VPC flow logs name one stream per interface ("eni-0abc...-all").
	ENIs []string
	// StreamPrefix narrows the groups to streams whose name starts with it; with ENIs, a
	// stream matching any of the prefixes is read.
	StreamPrefix string

	// Since is where the history starts; zero means DefaultSince before now. Records older
	// than Since are never delivered, late ones included.
	Since time.Time
	// Until ends the history; zero means now. A source with Until set does not follow.
	Until time.Time
	// Follow keeps reading after the history: Live Tail, or polling when Live Tail is not
	// available or Poll is set.
	Follow bool
	Poll   bool

	// Format overrides the format learned from DescribeFlowLogs.
	Format *model.Format

	// Filter is the filter flowlens applies to the records (its expression). The source
	// pushes what it can of it down: a filter pattern on FilterLogEvents and Live Tail,
	// the query of Logs Insights. flowlens still applies the whole filter to what
	// arrives: a pushed form may keep more, never less.
	Filter string
	// Conversations pushes only the part of Filter that keeps both directions of every
	// conversation (pushdown.BothDirections): the explorer and pairs judge requests by
	// their replies, which action=REJECT or dstport=22 would drop at the source.
	Conversations bool
	// History chooses what reads the history: FilterLogEvents (the default), Logs
	// Insights, or the one HistoryAuto judges cheaper for the span.
	History History
	// Insights shapes the Logs Insights runner of HistoryInsights and HistoryAuto (its
	// Clock and Profile are the source's).
	Insights insights.Options
	// Held is how many records the explorer's screen keeps (its ring's capacity): the
	// source remembers that many delivered events, to leave them out of windows it
	// fetches again. Zero means DefaultHeld.
	Held int

	Timing Timing
}

// History is what reads the history.
type History int

const (
	// HistoryFilter reads it page by page with FilterLogEvents.
	HistoryFilter History = iota
	// HistoryInsights has Logs Insights search it (StartQuery, GetQueryResults).
	HistoryInsights
	// HistoryAuto chooses from the span and the groups' size (insights.Choose).
	HistoryAuto
)

// ParseHistory reads --history.
func ParseHistory(s string) (History, error) {
	switch s {
	case "filter", "":
		return HistoryFilter, nil
	case "insights":
		return HistoryInsights, nil
	case "auto":
		return HistoryAuto, nil
	}
	return 0, fmt.Errorf("unknown --history %q: want filter, insights or auto", s)
}

// Timing holds the clock and the timing knobs; zero values take the defaults.
type Timing struct {
	Clock Clock
	// PollEvery is the pause between two polls.
	PollEvery time.Duration
	// BackoffBase and BackoffMax bound the exponential back-off after throttling and
	// failures: the n-th wait lies in [base*2^(n-1), base*2^n), capped at max.
	BackoffBase time.Duration
	BackoffMax  time.Duration
	// LookBack is how far before the last point known complete a re-read starts, so that
	// records ingested late are found (at least MinLookBack).
	LookBack time.Duration
	// Jitter returns a number in [0, 1); it spreads the back-off of many readers.
	Jitter func() float64
	// NarrowDelay is how long the explorer's filter must stay unchanged before the
	// source restarts its Live Tail session with it.
	NarrowDelay time.Duration
}

func (t Timing) withDefaults() Timing {
	if t.Clock == nil {
		t.Clock = clock.Wall{}
	}
	if t.PollEvery <= 0 {
		t.PollEvery = DefaultPollEvery
	}
	if t.BackoffBase <= 0 {
		t.BackoffBase = DefaultBackoffBase
	}
	if t.BackoffMax < t.BackoffBase {
		t.BackoffMax = max(DefaultBackoffMax, t.BackoffBase)
	}
	switch {
	case t.LookBack == 0:
		t.LookBack = DefaultLookBack
	case t.LookBack < MinLookBack:
		t.LookBack = MinLookBack
	}
	if t.Jitter == nil {
		t.Jitter = rand.Float64
	}
	if t.NarrowDelay <= 0 {
		t.NarrowDelay = DefaultNarrowDelay
	}
	return t
}

// Validate checks what can be checked without AWS; the messages name the flag a person
// would fix, so a command line can report them as usage errors.
func (c *Config) Validate() error {
	switch {
	case len(c.LogGroups) == 0:
		return fmt.Errorf("no log group: pass --log-group (flowlens groups lists the flow logs that deliver to CloudWatch Logs)")
	case len(c.LogGroups) > MaxLogGroups:
		return fmt.Errorf("%d log groups: at most %d can be read at once", len(c.LogGroups), MaxLogGroups)
	}
	for _, g := range c.LogGroups {
		if strings.TrimSpace(g) == "" {
			return fmt.Errorf("empty log group name")
		}
		if strings.HasPrefix(g, "arn:") {
			return fmt.Errorf("log group %q: pass the log group name, not its ARN", g)
		}
	}
	for _, e := range c.ENIs {
		if !strings.HasPrefix(e, "eni-") {
			return fmt.Errorf("--eni %q: want a network interface ID such as eni-0abc1234def567890", e)
		}
	}
	if n := len(c.prefixes()); n > MaxStreamPrefixes {
		return fmt.Errorf("%d interfaces and prefixes: at most %d can be read at once", n, MaxStreamPrefixes)
	}
	if !c.Until.IsZero() && !c.Since.IsZero() && c.Until.Before(c.Since) {
		return fmt.Errorf("--until %s is before --since %s", c.Until.Format(time.RFC3339), c.Since.Format(time.RFC3339))
	}
	return nil
}

// prefixes are the stream-name prefixes to read; none means every stream of the groups.
// A prefix that another one covers ("eni-12" under "eni-1") is left out, so that no
// stream is read twice.
func (c *Config) prefixes() []string {
	all := append(slices.Clip(c.ENIs), c.StreamPrefix)
	var out []string
	for i, p := range all {
		covered := p == "" || slices.ContainsFunc(all, func(q string) bool {
			return q != "" && q != p && strings.HasPrefix(p, q)
		}) || slices.Contains(all[:i], p)
		if !covered {
			out = append(out, p)
		}
	}
	return out
}

// describe names what is read, for the status bar: "/vpc/flows (eni-0abc)".
func (c *Config) describe() string {
	s := strings.Join(c.LogGroups, ", ")
	if p := c.prefixes(); len(p) > 0 {
		s += " (" + strings.Join(p, ", ") + ")"
	}
	return model.CleanText(s)
}
