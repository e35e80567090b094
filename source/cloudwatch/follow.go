package cloudwatch

import (
	"context"
	"fmt"
	"time"

	"github.com/flowlens/flowlens/feed"
	"github.com/flowlens/flowlens/source/awsclient"
)

// live follows the groups with Live Tail until ctx ends (pause or close), reconnecting
// whenever a session ends. It returns errUsePolling when Live Tail is not allowed.
//
// Each round opens the session first and reads the history from s.from second: the
// session receives everything ingested from its start, and the history everything
// ingested before it, so nothing falls between them; what both return is de-duplicated.
func (s *Source) live(ctx context.Context) error {
	for {
		s.h.mode, s.h.st.State = ModeLiveTail, feed.StateConnecting
		sess, err := startSession(ctx, s.cfg.Logs, s.liveIn, s.clock)
		if err != nil {
			switch {
			case ctx.Err() != nil:
				return ctx.Err()
			case liveTailUnavailable(err):
				s.h.note("mode", fmt.Sprintf("Live Tail unavailable (%s): polling every %s", awsclient.Explain(err, s.cfg.Profile), s.t.PollEvery))
				return errUsePolling
			case permanent(err) && !s.working:
				return explain(err, s.cfg.Profile)
			}
			if err := s.retry(ctx, err); err != nil {
				return err
			}
			continue
		}
		healthy, err := s.tail(ctx, sess)
		sess.Close()
		s.h.sessionStart = time.Time{}
		if err != nil {
			return err
		}
		// The session ended without being asked to: note why, and reconnect at once
		// unless sessions keep failing before they deliver anything.
		if healthy {
			s.bo.reset()
			s.h.failed(awsclient.Explain(sess.err, s.cfg.Profile), s.clock.Now())
			s.h.st.Retries++
			continue
		}
		if err := s.retry(ctx, sess.err); err != nil {
			return err
		}
	}
}

// tail reads the history into an open session, then delivers its updates until the
// session ends (nil error; sess.err says why) or ctx does. healthy reports that the
// session delivered updates after its history, or ended at AWS's time limit, so that a
// new one can be opened at once.
func (s *Source) tail(ctx context.Context, sess *session) (healthy bool, err error) {
	s.h.sessionStart = sess.started
	s.h.st.State = feed.StateReading
	if err := s.backfill(ctx, s.from, time.Time{}); err != nil {
		return false, err
	}
	// Everything ingested before the session started is delivered.
	s.advance(sess.started)
	s.working = true
	s.h.st.State = feed.StateLiveTail
	if err := s.publish(nil); err != nil {
		return false, err
	}
	for {
		updates, dropped := sess.take()
		if dropped > 0 {
			s.h.note("queue", fmt.Sprintf("%d live events dropped while the reader was behind", dropped))
		}
		for _, up := range updates {
			if err := s.deliverLive(up); err != nil {
				return false, err
			}
			healthy = true
		}
		select {
		case <-sess.notify:
		case <-sess.done:
			updates, _ := sess.take()
			for _, up := range updates {
				if err := s.deliverLive(up); err != nil {
					return false, err
				}
				healthy = true
			}
			if sess.err == nil {
				sess.err = errSessionLost
			}
			return healthy || errorCode(sess.err) == "SessionTimeoutException", nil
		case <-ctx.Done():
			return false, ctx.Err()
		}
	}
}

// poll follows the groups with FilterLogEvents: each poll re-reads from s.from, the look-
// back before the previous poll started, because records are ingested up to ~15 minutes
// after their timestamp; the event IDs keep what was delivered from coming again.
func (s *Source) poll(ctx context.Context) error {
	s.h.mode = ModePolling
	s.h.sessionStart = time.Time{}
	for {
		started := s.clock.Now()
		if !s.working {
			s.h.st.State = feed.StateReading
		}
		if err := s.backfill(ctx, s.from, time.Time{}); err != nil {
			return err
		}
		s.advance(started)
		s.working = true
		s.h.st.State = feed.StatePolling
		if err := s.publish(nil); err != nil {
			return err
		}
		if err := s.clock.Sleep(ctx, s.t.PollEvery); err != nil {
			return err
		}
	}
}
