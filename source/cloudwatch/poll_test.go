package cloudwatch

import (
	"strings"
	"testing"
	"time"

	"github.com/flowlens/flowlens/feed"
)

// A record that is ingested late carries a timestamp older than records already
// delivered; a poller that only asked for what is newer than the last record would miss
// it. Each poll re-reads a look-back window before the previous poll started, and the
// event IDs keep everything else from showing twice.
func TestPollingFindsLateRecordsOnce(t *testing.T) {
	r := newRig(t, false)
	r.cfg.Poll = true
	r.cfg.Since = t0.Add(-time.Hour)
	r.add(t0.Add(-30*time.Minute), 1)
	r.add(t0.Add(-time.Minute), 2)
	k := r.run(r.newSource())
	k.expect(t, 1, 2)

	sleep := r.clock.awaitSleep(t)
	if sleep.d != DefaultPollEvery {
		t.Errorf("polls every %s, want %s", sleep.d, DefaultPollEvery)
	}
	r.add(t0.Add(-12*time.Minute), 3) // late: older than record 2, which was already delivered
	r.clock.wake(sleep)
	k.expect(t, 3)

	sleep = r.clock.awaitSleep(t)
	r.add(t0.Add(5*time.Second), 4)
	r.clock.wake(sleep)
	k.expect(t, 4)
	r.clock.awaitSleep(t) // the third poll is done
	k.assertOnce(t, 1, 2, 3, 4)

	calls := r.srv.CallsTo("FilterLogEvents")
	if len(calls) != 3 {
		t.Fatalf("%d FilterLogEvents calls, want 3 polls", len(calls))
	}
	wantStarts := []time.Time{
		r.cfg.Since,              // the history
		t0.Add(-DefaultLookBack), // a look-back before poll 1 started
		t0.Add(DefaultPollEvery).Add(-DefaultLookBack), // ... before poll 2 started
	}
	for i, c := range calls {
		if got, _ := c.Int("startTime"); got != wantStarts[i].UnixMilli() {
			t.Errorf("poll %d starts at %s, want %s", i+1, time.UnixMilli(got).UTC(), wantStarts[i])
		}
	}
	if n := len(r.srv.CallsTo("StartLiveTail")); n != 0 {
		t.Errorf("--poll opened %d Live Tail sessions", n)
	}
	st := k.lastStatus()
	if mode(st) != ModePolling || st.State != feed.StatePolling || !strings.Contains(st.Note, "--poll") {
		t.Errorf("status = %+v, want polling shown with its reason", st)
	}
}

// Without permission for StartLiveTail, or with the account's sessions used up, the
// source polls instead and says why.
func TestLiveTailUnavailableFallsBackToPolling(t *testing.T) {
	for _, tc := range []struct {
		name, code, want string
	}{
		{"access denied", "AccessDeniedException", "logs:StartLiveTail"},
		{"session quota", "LimitExceededException", "too many Live Tail sessions"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, false)
			r.srv.FailNext("StartLiveTail", 1, tc.code)
			r.add(t0.Add(-time.Minute), 1)
			k := r.run(r.newSource())
			k.expect(t, 1)
			sleep := r.clock.awaitSleep(t)
			r.add(t0, 2)
			r.clock.wake(sleep)
			k.expect(t, 2)
			st := k.lastStatus()
			if mode(st) != ModePolling || !strings.Contains(st.Note, "Live Tail unavailable") || !strings.Contains(st.Note, tc.want) {
				t.Errorf("status = %+v, want polling with a note naming %q", st, tc.want)
			}
			if n := len(r.srv.CallsTo("StartLiveTail")); n != 1 {
				t.Errorf("%d StartLiveTail calls, want 1: a quota or a denial is not retried", n)
			}
		})
	}
}

// A throttled client backs off exponentially: on the server's clock (the test clock,
// which the source's sleeps advance), each wait between two attempts is longer than the
// one before.
func TestThrottledClientBacksOff(t *testing.T) {
	r := newRig(t, true)
	r.cfg.Follow = false
	r.cfg.Timing.Jitter = nil // real jitter: the waits must grow whatever it draws
	r.add(t0.Add(-time.Minute), 1, 2)
	r.srv.FailNext("FilterLogEvents", 5, "ThrottlingException")
	k := newSink()
	if err := r.newSource().Run(testContext(t), k.take); err != nil {
		t.Fatal(err)
	}
	k.assertOnce(t, 1, 2)

	calls := r.srv.CallsTo("FilterLogEvents")
	if len(calls) != 6 {
		t.Fatalf("%d FilterLogEvents calls, want 5 throttled and 1 answered", len(calls))
	}
	var prev time.Duration
	for i := 1; i < len(calls); i++ {
		gap := calls[i].At.Sub(calls[i-1].At)
		if gap <= prev {
			t.Errorf("wait %d is %s, not longer than the one before (%s)", i, gap, prev)
		}
		if gap < DefaultBackoffBase/2 {
			t.Errorf("wait %d is %s, below half the base back-off", i, gap)
		}
		prev = gap
	}
	st := k.lastStatus()
	if st.Retries != 5 || !strings.Contains(st.LastError, "throttling") || st.State != feed.StateDone {
		t.Errorf("status = %+v, want 5 retries, the throttle as last error, done", st)
	}
}

// The waits grow until the cap and stay within it.
func TestBackoffGrowsToItsCap(t *testing.T) {
	for _, j := range []float64{0, 0.5, 0.999} {
		b := newBackoff(Timing{BackoffBase: time.Second, BackoffMax: 30 * time.Second, Jitter: func() float64 { return j }})
		prev := time.Duration(0)
		for i := 0; i < 10; i++ {
			d := b.next()
			if d > 30*time.Second || d < 500*time.Millisecond {
				t.Errorf("jitter %v, wait %d = %s, outside [0.5s, 30s]", j, i, d)
			}
			if i < 5 && d <= prev {
				t.Errorf("jitter %v, wait %d = %s, not longer than %s", j, i, d, prev)
			}
			prev = d
		}
		b.reset()
		if d := b.next(); d >= time.Second {
			t.Errorf("after reset the wait is %s, want under the base", d)
		}
	}
}

// Errors after the source is working are retried and shown, not fatal.
func TestPollingRetriesFailuresOnceWorking(t *testing.T) {
	r := newRig(t, false)
	r.cfg.Poll = true
	r.add(t0.Add(-time.Minute), 1)
	k := r.run(r.newSource())
	k.expect(t, 1)
	sleep := r.clock.awaitSleep(t)
	r.srv.FailNext("FilterLogEvents", 1, "ServiceUnavailableException")
	r.srv.FailNext("FilterLogEvents", 1, "AccessDeniedException")
	r.add(t0, 2)
	r.clock.wake(sleep)
	r.clock.step(t) // the SDK retries the 5xx itself; the denial is the source's to back off from
	k.expect(t, 2)
	st := k.awaitStatus(t, "the denial shown", func(st feed.Status) bool {
		return strings.Contains(st.LastError, "logs:FilterLogEvents")
	})
	if st.Retries < 1 {
		t.Errorf("retries = %d", st.Retries)
	}
	select {
	case err := <-k.done:
		t.Fatalf("the source stopped: %v", err)
	default:
	}
}
