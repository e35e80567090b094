package cloudwatch

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/flowlens/flowlens/feed"
	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/pushdown"
	"github.com/flowlens/flowlens/source/awsclient"
	"github.com/flowlens/flowlens/source/insights"
)

// Aggregate is what RunGroups had Logs Insights count.
type Aggregate struct {
	// Pushed says Insights counted the groups of [Since, Cut); the records from Cut on
	// were delivered to the function. Otherwise every record of the history was
	// delivered, and Why says why the grouping was not pushed ("" when the history is
	// read with FilterLogEvents because the configuration said so).
	Pushed bool
	Why    string
	// Parts are Insights' answers, one per record format: the log groups whose flow
	// logs write one format are counted by one query.
	Parts []AggregatePart
	// Since and Cut bound the span Insights counted: the records whose start lies in
	// [Since, Cut). Cut is a whole second, a look-back before now (or Until, when that
	// is earlier): later records may not be indexed yet, and FilterLogEvents reads them.
	Since, Cut time.Time
}

// AggregatePart is Insights' answer for the log groups of one format.
type AggregatePart struct {
	Format    *model.Format
	LogGroups []string
	Groups    *insights.Groups
}

// RunGroups reads the history as Run does, except that when the history is Logs
// Insights' to read (HistoryInsights, or HistoryAuto choosing it), the grouping is
// pushed to Insights: AWS counts the groups of the history up to the look-back before
// now, and only the records of the rest (read with FilterLogEvents, which finds the
// late ones) are delivered to fn. A week of a busy group is then counted by AWS, not
// downloaded.
//
// The grouping is pushed only when the filter compiles exactly to Insights for every
// log group's one format (a looser query would count records the filter drops);
// otherwise, or when Insights fails, every record is delivered to fn, as Run delivers
// them, and Aggregate.Why says why. The caller still applies its filter to what fn
// gets, and adds the pushed groups to its own count of those records.
func (s *Source) RunGroups(ctx context.Context, g pushdown.Grouping, fn func(*Chunk) error) (*Aggregate, error) {
	agg := &Aggregate{Since: s.since}
	parts, cut, why := s.pushableGroups(g)
	if why != "" || s.ins == nil {
		agg.Why = why
		return agg, s.Run(ctx, fn)
	}
	if s.used.Swap(true) {
		return nil, errors.New("cloudwatch: a Source runs once")
	}
	s.emit = fn
	err := s.runGroups(ctx, g, parts, cut, agg)
	var stop stopError
	if errors.As(err, &stop) {
		return agg, stop.err
	}
	return agg, err
}

// pushableGroups says how the grouping would be pushed: the log groups of each format
// and the cut, or why it cannot be ("" and no parts when Insights does not read the
// history).
func (s *Source) pushableGroups(g pushdown.Grouping) (parts []AggregatePart, cut time.Time, why string) {
	if s.ins == nil {
		return nil, cut, ""
	}
	if s.cfg.Follow || s.cfg.Conversations {
		return nil, cut, "only a history read to its end, with the whole filter pushed, can be counted by Logs Insights"
	}
	cut = s.clock.Now().Add(-s.t.LookBack).Truncate(time.Second)
	if !s.until.IsZero() && s.until.Before(cut) {
		cut = s.until
	}
	if !cut.After(s.since) {
		return nil, cut, fmt.Sprintf("the history lies within the last %s, which Logs Insights may not have indexed yet; FilterLogEvents reads it", s.t.LookBack)
	}
	byFormat := map[*model.Format]int{}
	for i, grp := range s.groups {
		fs := s.groupFormats(i)
		if len(fs) != 1 {
			return nil, cut, fmt.Sprintf("log group %s holds records of %d formats, which one query cannot parse", grp.name, len(fs))
		}
		k, ok := byFormat[fs[0]]
		if !ok {
			k = len(parts)
			byFormat[fs[0]] = k
			parts = append(parts, AggregatePart{Format: fs[0]})
		}
		parts[k].LogGroups = append(parts[k].LogGroups, grp.name)
	}
	for _, p := range parts {
		res, err := insights.GroupsQueryText(s.groupsQuery(p, g, cut))
		switch {
		case err != nil:
			return nil, cut, err.Error()
		case !res.Exact:
			return nil, cut, (&insights.NotExactError{Notes: res.Notes}).Error()
		}
	}
	return parts, cut, ""
}

func (s *Source) groupsQuery(p AggregatePart, g pushdown.Grouping, cut time.Time) insights.GroupsQuery {
	return insights.GroupsQuery{LogGroups: p.LogGroups, Format: p.Format, Filter: s.push.node, Grouping: g,
		Streams: s.cfg.prefixes(), Start: s.since, End: cut}
}

// runGroups has Insights count each part, then reads the rest of the history. If
// Insights fails, the whole history is read with FilterLogEvents instead: the counts
// matter more than the engine.
func (s *Source) runGroups(ctx context.Context, g pushdown.Grouping, parts []AggregatePart, cut time.Time, agg *Aggregate) error {
	s.h.mode, s.h.st.State = ModeHistory, feed.StateReading
	s.insightsDone = true
	from := cut
	for i := range parts {
		res, err := s.ins.Groups(ctx, s.groupsQuery(parts[i], g, cut))
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			msg := awsclient.Explain(err, s.cfg.Profile)
			agg.Why = "Logs Insights failed (" + strings.TrimSuffix(msg, ".") + "); the records were read with FilterLogEvents instead"
			s.h.note("history", agg.Why)
			s.h.failed(err.Error(), s.clock.Now())
			parts, from = nil, s.since
			break
		}
		parts[i].Groups = res
	}
	if parts != nil {
		agg.Pushed, agg.Parts, agg.Cut = true, parts, cut
	}
	var err error
	if s.until.IsZero() || from.Before(s.until) {
		err = s.backfill(ctx, from, s.until)
	}
	switch {
	case ctx.Err() != nil:
		return nil
	case err != nil:
		return err
	}
	s.h.st.State = feed.StateDone
	return s.publish(nil)
}
