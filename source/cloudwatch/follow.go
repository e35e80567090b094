package cloudwatch

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

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
		if errors.Is(err, errRestart) {
			// A new filter pattern: the next session reads with it.
			if s.push.live != "" {
				s.liveIn.LogEventFilterPattern = aws.String(s.push.live)
			} else {
				s.liveIn.LogEventFilterPattern = nil
			}
			s.bo.reset()
			continue
		}
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
	if err := s.readHistory(ctx, s.from, time.Time{}); err != nil {
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
		case <-s.wake():
			restart, err := s.serve(ctx)
			if err != nil {
				return false, err
			}
			if restart {
				return true, errRestart
			}
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
		if err := s.readHistory(ctx, s.from, time.Time{}); err != nil {
			return err
		}
		s.advance(started)
		s.working = true
		s.h.st.State = feed.StatePolling
		if err := s.publish(nil); err != nil {
			return err
		}
		if err := s.sleepOrServe(ctx, s.t.PollEvery); err != nil {
			return err
		}
	}
}

// errRestart ends a Live Tail session so that the next one is opened with a new filter
// pattern.
var errRestart = errors.New("cloudwatch: restart with a new filter pattern")

// wake is the channel on which the explorer's requests arrive; nil (never ready)
// headless.
func (s *Source) wake() <-chan struct{} {
	if s.ctl == nil {
		return nil
	}
	return s.ctl.wake
}

// sleepOrServe waits between two polls; a request of the explorer ends the wait early
// and is served, and the next poll follows.
func (s *Source) sleepOrServe(ctx context.Context, d time.Duration) error {
	wake := s.wake()
	if wake == nil {
		return s.clock.Sleep(ctx, d)
	}
	sctx, cancel := context.WithCancel(ctx)
	woken, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		select {
		case <-wake:
			close(woken)
			cancel()
		case <-sctx.Done():
		}
	}()
	err := s.clock.Sleep(sctx, d)
	cancel()
	<-done
	select {
	case <-woken:
		if ctx.Err() != nil {
			return ctx.Err()
		}
		_, err := s.serve(ctx)
		return err
	default:
	}
	return err
}
