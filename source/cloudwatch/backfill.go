package cloudwatch

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"

	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/source/awsclient"
)

// maxAttempts bounds the retries of a failing call before the source has read anything
// (or when it only reads the history): a person waiting for a start is better told.
const maxAttempts = 5

// backfill delivers every event of the queries with a timestamp from from to until (zero:
// no end), page by page. FilterLogEvents may answer with empty pages that still carry a
// NextToken while it searches; only a missing token ends a search.
//
// Each group's search carries the group's filter pattern (pushdown.go): what flowlens's
// filter would drop anyway is not transferred.
func (s *Source) backfill(ctx context.Context, from, until time.Time) error {
	for g := range s.groups {
		if err := s.backfillGroup(ctx, g, from, until); err != nil {
			return err
		}
	}
	return nil
}

// backfillGroup is backfill for the searches of group g.
func (s *Source) backfillGroup(ctx context.Context, g int, from, until time.Time) error {
	for _, q := range s.queries {
		if q.group != g {
			continue
		}
		in := &cloudwatchlogs.FilterLogEventsInput{
			LogGroupName: aws.String(s.groups[q.group].name),
			StartTime:    aws.Int64(from.UnixMilli()),
		}
		if q.prefix != "" {
			in.LogStreamNamePrefix = aws.String(q.prefix)
		}
		if !until.IsZero() {
			in.EndTime = aws.Int64(until.UnixMilli())
		}
		if p := s.push.patterns[q.group]; p != "" {
			in.FilterPattern = aws.String(p)
		}
		for {
			if !s.gate(ctx) {
				return ctx.Err()
			}
			out, err := s.filter(ctx, in)
			if err != nil {
				return err
			}
			if err := s.deliverHistory(q.group, out.Events); err != nil {
				return err
			}
			if out.NextToken == nil {
				break
			}
			in.NextToken = out.NextToken
		}
	}
	return nil
}

// filter calls FilterLogEvents, backing off while AWS throttles. Other failures are
// retried too once the source is working; before that, a lasting one ends the source
// with an explanation.
func (s *Source) filter(ctx context.Context, in *cloudwatchlogs.FilterLogEventsInput) (*cloudwatchlogs.FilterLogEventsOutput, error) {
	for attempt := 1; ; attempt++ {
		out, err := s.cfg.Logs.FilterLogEvents(ctx, in)
		if err == nil {
			s.bo.reset()
			return out, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		keepTrying := s.cfg.Follow && s.working
		switch {
		case awsclient.IsThrottle(err):
		case permanent(err) && !keepTrying:
			if isNotFound(err) {
				// The group was deleted after New found it.
				return nil, unknownGroups(ctx, &s.cfg, []string{aws.ToString(in.LogGroupName)})
			}
			return nil, explain(err, s.cfg.Profile)
		case attempt >= maxAttempts && !keepTrying:
			return nil, explain(err, s.cfg.Profile)
		}
		if err := s.retry(ctx, err); err != nil {
			return nil, err
		}
	}
}

// deliverHistory delivers the new events of a FilterLogEvents page.
func (s *Source) deliverHistory(g int, events []types.FilteredLogEvent) error {
	now := s.clock.Now()
	group := s.groups[g].name
	recs := s.recs[:0]
	n, newest := 0, int64(0)
	for _, e := range events {
		stream, ts, msg := aws.ToString(e.LogStreamName), aws.ToInt64(e.Timestamp), aws.ToString(e.Message)
		if s.isHeld(stream, ts, msg) {
			continue
		}
		if !s.seen.addHistory(group, aws.ToString(e.EventId), stream, ts, msg, now) {
			continue
		}
		s.hold(stream, ts, msg)
		n++
		newest = max(newest, ts)
		var f model.Flow
		if s.picker.parse([]byte(msg), g, &f) {
			recs = append(recs, f)
		}
	}
	s.recs = recs
	s.delivered += int64(len(recs))
	s.h.saw(n, newest)
	s.forget(now)
	return s.publish(recs)
}
