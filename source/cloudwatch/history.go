package cloudwatch

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/pushdown"
	"github.com/flowlens/flowlens/source/awsclient"
	"github.com/flowlens/flowlens/source/insights"
)

// chooseHistory sets up what reads the history (Config.History); with HistoryAuto it
// weighs the span against the groups' size, and says why in HistoryChoice.
func (s *Source) chooseHistory(now time.Time) error {
	use := false
	switch s.cfg.History {
	case HistoryInsights:
		use = true
		s.historyNote = "history from Logs Insights (--history insights), billed by the bytes it scans"
	case HistoryAuto:
		until := s.until
		if until.IsZero() {
			until = now
		}
		est := insights.Estimate{Span: until.Sub(s.since)}
		for _, g := range s.groups {
			est.StoredBytes += g.storedBytes
			if g.created.IsZero() {
				continue
			}
			// A group younger than the span holds all its bytes in it.
			stored := max(now.Sub(g.created), time.Second)
			if g.retention > 0 && g.retention < stored {
				stored = g.retention
			}
			est.Stored = max(est.Stored, stored)
		}
		c := insights.Choose(est)
		use = c.Insights
		s.historyNote = "--history auto chose " + c.Reason
	}
	if s.historyNote != "" {
		s.h.note("history", s.historyNote)
	}
	if !use {
		return nil
	}
	opts := s.cfg.Insights
	opts.Clock, opts.Profile, opts.Jitter = s.clock, s.cfg.Profile, s.t.Jitter
	s.ins = insights.New(s.cfg.Logs, opts)
	s.h.scanned = func() float64 { return s.ins.Stats().BytesScanned }
	return nil
}

// readHistory reads the history of [from, until) (until zero: to now): with Logs
// Insights the first time, when it is in use, up to a look-back before now, and with
// FilterLogEvents from there on, which also finds the records ingested late and those
// Insights has not indexed yet.
func (s *Source) readHistory(ctx context.Context, from, until time.Time) error {
	if s.ins == nil || s.insightsDone {
		return s.backfill(ctx, from, until)
	}
	s.insightsDone = true
	cut := s.clock.Now().Add(-s.t.LookBack)
	if !until.IsZero() && until.Before(cut) {
		cut = until
	}
	if cut.After(from) {
		s.cover.markNarrowed()
		if err := s.insightsHistory(ctx, from, cut); err != nil {
			return err
		}
		if !until.IsZero() && !cut.Before(until) {
			return nil
		}
		from = cut
	}
	return s.backfill(ctx, from, until)
}

// insightsHistory delivers the events of [from, until) that Logs Insights finds with the
// pushed filter, group by group. If Insights fails (no permission for logs:StartQuery,
// a query that timed out), the window is read with FilterLogEvents instead, and the
// note says why: the records matter more than the engine.
func (s *Source) insightsHistory(ctx context.Context, from, until time.Time) error {
	for g := range s.groups {
		res, err := pushdown.InsightsForFormats(s.push.node, s.groupFormats(g), pushdown.InsightsOptions{
			Fields:  []string{"@logStream"},
			Streams: s.cfg.prefixes(),
		})
		if err != nil {
			return err
		}
		if res.Never {
			continue
		}
		q := insights.RecordsQuery{
			LogGroups: []string{s.groups[g].name},
			Query:     res.Text,
			Start:     from,
			End:       until,
			// A second with more events than a query returns is read page by page.
			Dense: func(ctx context.Context, second time.Time) error {
				return s.backfillGroup(ctx, g, second, second.Add(time.Second-time.Millisecond))
			},
		}
		err = s.ins.Records(ctx, q, func(recs []insights.Record) error {
			return s.deliverInsights(g, recs, from, until)
		})
		switch {
		case err == nil:
			continue
		case ctx.Err() != nil:
			return ctx.Err()
		}
		var stop stopError
		if errors.As(err, &stop) {
			return err
		}
		s.h.note("history", fmt.Sprintf("Logs Insights failed (%s): reading %s with FilterLogEvents instead", awsclient.Explain(err, s.cfg.Profile), s.groups[g].name))
		s.h.failed(err.Error(), s.clock.Now())
		if err := s.backfillGroup(ctx, g, from, until.Add(-time.Millisecond)); err != nil {
			return err
		}
	}
	return nil
}

// deliverInsights delivers the new events of an Insights answer.
func (s *Source) deliverInsights(g int, events []insights.Record, from, until time.Time) error {
	now := s.clock.Now()
	recs := s.recs[:0]
	lo, hi := from.UnixMilli(), until.UnixMilli()
	n, newest := 0, int64(0)
	for _, e := range events {
		if e.Timestamp < lo || (!until.IsZero() && e.Timestamp >= hi) {
			continue
		}
		if s.isHeld(e.Stream, e.Timestamp, e.Message) || !s.seen.addInsights(e.Stream, e.Timestamp, e.Message, now) {
			continue
		}
		s.hold(e.Stream, e.Timestamp, e.Message)
		n++
		newest = max(newest, e.Timestamp)
		var f model.Flow
		if s.picker.parse([]byte(e.Message), g, &f) {
			recs = append(recs, f)
		}
	}
	s.recs = recs
	s.delivered += int64(len(recs))
	s.h.saw(n, newest)
	s.forget(now)
	return s.publish(recs)
}
