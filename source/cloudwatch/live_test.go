package cloudwatch

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/flowlens/flowlens/feed"
)

// The history is read after the Live Tail session opens, so records ingested in between
// reach the source twice: from FilterLogEvents and from the session. Each must show once,
// through throttling, empty pages and small pages.
func TestHistoryThenLiveDeliversEachRecordOnce(t *testing.T) {
	r := newRig(t, false)
	r.add(t0.Add(-10*time.Minute), seq(1, 6)...)
	r.srv.PageSize(2)
	r.srv.EmptyPages(2)
	r.srv.FailNext("FilterLogEvents", 1, "ThrottlingException")
	k := r.run(r.newSource())

	// The first history page is throttled: the session is open and the source waits.
	sleep := r.clock.awaitSleep(t)
	r.awaitSessions(1)
	r.add(t0.Add(-time.Minute), 6, 7, 8) // ingested while both the session and the history can see them
	r.clock.wake(sleep)
	k.expect(t, seq(1, 9)...)

	r.srv.FlushLiveTail() // the session now sends 6, 7 and 8 again
	r.add(t0, 9, 10)
	r.srv.FlushLiveTail()
	k.expect(t, 9, 10)
	k.assertOnce(t, seq(1, 11)...)

	starts := r.srv.CallsTo("StartLiveTail")
	if len(starts) != 1 {
		t.Fatalf("%d StartLiveTail calls, want 1", len(starts))
	}
	if got := starts[0].Strings("logGroupIdentifiers"); !slices.Equal(got, []string{"arn:aws:logs:us-east-1:123456789012:log-group:" + group}) {
		t.Errorf("StartLiveTail groups = %v, want the ARN without :*", got)
	}
	if got := starts[0].Strings("logStreamNamePrefixes"); !slices.Equal(got, []string{eni}) {
		t.Errorf("StartLiveTail prefixes = %v, want the interface", got)
	}
	if calls := r.srv.CallsTo("FilterLogEvents"); calls[len(calls)-1].String("logStreamNamePrefix") != eni {
		t.Errorf("FilterLogEvents not narrowed to the interface: %v", calls[len(calls)-1].Params)
	}
	st := k.awaitStatus(t, "live tail state", func(st feed.Status) bool { return st.State == feed.StateLiveTail })
	if mode(st) != ModeLiveTail || st.Retries != 1 || !strings.Contains(st.LastError, "throttling") {
		t.Errorf("status = %+v, want live tail mode, 1 retry, the throttle as last error", st)
	}
}

// At AWS's 3-hour limit the session ends with SessionTimeoutException; records ingested
// but not yet pushed are read from the history of the new session.
func TestSessionTimeoutReconnectsAndBackfills(t *testing.T) {
	r := newRig(t, true)
	r.add(t0.Add(-5*time.Minute), 1, 2)
	k := r.run(r.newSource())
	k.expect(t, 1, 2)
	r.awaitSessions(1)

	r.add(t0.Add(-time.Minute), 3, 4) // queued in the session, never pushed
	r.srv.EndLiveTail("SessionTimeoutException")
	k.expect(t, 3, 4)
	r.awaitSessions(1)
	r.add(t0, 5)
	r.srv.FlushLiveTail()
	k.expect(t, 5)
	k.assertOnce(t, 1, 2, 3, 4, 5)

	if n := len(r.srv.CallsTo("StartLiveTail")); n != 2 {
		t.Errorf("%d StartLiveTail calls, want 2", n)
	}
	st := k.lastStatus()
	if !strings.Contains(st.LastError, "3-hour limit") || st.Retries < 1 {
		t.Errorf("status = %+v, want the timeout as last error and a retry counted", st)
	}
}

// A broken connection ends the stream without an error. The source reconnects (here
// after a throttled attempt) and backfills what was lost in the cut and what was
// ingested while it was away.
func TestConnectionLossReconnectsAndBackfillsTheOutage(t *testing.T) {
	r := newRig(t, false)
	r.add(t0.Add(-5*time.Minute), 1)
	k := r.run(r.newSource())
	k.expect(t, 1)
	r.awaitSessions(1)
	r.add(t0, 2)
	r.srv.FlushLiveTail()
	k.expect(t, 2)

	r.add(t0, 3) // in the update the cut destroys
	r.srv.FailNext("StartLiveTail", 1, "ThrottlingException")
	r.srv.DropConnections()
	sleep := r.clock.awaitSleep(t) // backing off after the throttled reconnect
	r.add(t0.Add(-2*time.Minute), 4)
	r.add(t0, 5)
	r.clock.wake(sleep)
	k.expect(t, 3, 4, 5)
	r.awaitSessions(1)
	r.add(t0.Add(time.Second), 6)
	r.srv.FlushLiveTail()
	k.expect(t, 6)
	k.assertOnce(t, 1, 2, 3, 4, 5, 6)

	starts := r.srv.CallsTo("StartLiveTail")
	if len(starts) != 3 || starts[1].Error != "ThrottlingException" {
		t.Errorf("StartLiveTail calls: %d, want 3 (open, throttled, reconnect)", len(starts))
	}
	// The backfill after the reconnect starts a look-back before the lost session
	// started, which covers every record ingested since.
	filters := r.srv.CallsTo("FilterLogEvents")
	last, _ := filters[len(filters)-1].Int("startTime")
	if want := t0.Add(-DefaultSince).UnixMilli(); last != want {
		t.Errorf("backfill starts at %d, want %d (since, which is later than the look-back)", last, want)
	}
	if st := k.lastStatus(); st.Retries < 2 {
		t.Errorf("retries = %d, want the lost connection and the throttle counted", st.Retries)
	}
}

// Live Tail may send an event again in its next update; it shows once.
func TestLiveRepeatsAreDropped(t *testing.T) {
	r := newRig(t, true)
	k := r.run(r.newSource())
	r.awaitSessions(1)
	k.awaitStatus(t, "live tail state", func(st feed.Status) bool { return st.State == feed.StateLiveTail })
	r.srv.DuplicateLiveTailEvents(3)
	r.add(t0, 1, 2, 3)
	r.srv.FlushLiveTail()
	r.srv.FlushLiveTail() // 1, 2, 3 again
	r.add(t0, 4)
	r.srv.FlushLiveTail()
	k.expect(t, 1, 2, 3, 4)
	k.assertOnce(t, 1, 2, 3, 4)
}

func TestSampledSessionShowsInStatus(t *testing.T) {
	r := newRig(t, true)
	k := r.run(r.newSource())
	r.awaitSessions(1)
	k.awaitStatus(t, "live tail state", func(st feed.Status) bool { return st.State == feed.StateLiveTail })
	r.srv.LiveTailSampled(true)
	r.add(t0, 1)
	r.srv.FlushLiveTail()
	k.expect(t, 1)
	k.awaitStatus(t, "sampled", func(st feed.Status) bool { return st.Sampled })
}

// Pause ends the billed session at once; Resume opens a new one and backfills what was
// ingested meanwhile.
func TestPauseClosesTheSessionAndResumeBackfills(t *testing.T) {
	r := newRig(t, true)
	r.add(t0.Add(-5*time.Minute), 1)
	f := r.newSource().Start(testContext(t))
	got := make(chan int, 100)
	states := make(chan feed.State, 1000)
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		for b := range f.Batches() {
			for _, rec := range b.Records {
				got <- int(rec.SrcPort)
			}
			states <- b.Status.State
		}
	}()
	next := func(want int) {
		t.Helper()
		select {
		case p := <-got:
			if p != want {
				t.Fatalf("record %d, want %d", p, want)
			}
		case <-time.After(deadline):
			t.Fatalf("record %d not delivered", want)
		}
	}
	next(1)
	r.awaitSessions(1)

	f.Pause()
	r.awaitSessions(0)
	awaitState(t, states, feed.StatePaused)
	r.add(t0.Add(-time.Minute), 2, 3)

	f.Resume()
	r.awaitSessions(1)
	next(2)
	next(3)
	awaitState(t, states, feed.StateLiveTail)
	r.add(t0, 4)
	r.srv.FlushLiveTail()
	next(4)

	f.Close()
	r.awaitSessions(0)
	select {
	case <-finished:
	case <-time.After(deadline):
		t.Fatal("the feed did not end after Close")
	}
	select {
	case p := <-got:
		t.Errorf("record %d delivered again", p)
	default:
	}
}

func awaitState(t *testing.T, states <-chan feed.State, want feed.State) {
	t.Helper()
	for {
		select {
		case st := <-states:
			if st == want {
				return
			}
		case <-time.After(deadline):
			t.Fatalf("state %q never shown", want)
		}
	}
}
