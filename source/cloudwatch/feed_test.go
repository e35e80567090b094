package cloudwatch

import (
	"strings"
	"testing"
	"time"

	"github.com/flowlens/flowlens/source"
)

// drainFeed reads a feed to its end and returns its records' ports and last batch.
func drainFeed(t *testing.T, feed source.Feed) ([]int, source.Batch) {
	t.Helper()
	var ports []int
	var last source.Batch
	timeout := time.After(deadline)
	for {
		select {
		case b, ok := <-feed.Batches():
			if !ok {
				return ports, last
			}
			for _, r := range b.Records {
				ports = append(ports, int(r.SrcPort))
			}
			if b.Err != nil || last.Err == nil {
				last = b
			}
		case <-timeout:
			t.Fatal("the feed did not end")
		}
	}
}

func TestFeedOfTheHistoryEndsWhenRead(t *testing.T) {
	r := newRig(t, true)
	r.cfg.Follow = false
	r.add(t0.Add(-time.Minute), 1, 2, 3)
	ports, last := drainFeed(t, r.newSource().Start(testContext(t)))
	if len(ports) != 3 || !last.Done || last.Status.State != source.StateDone || last.Status.Mode != ModeHistory {
		t.Errorf("ports %v, last batch %+v", ports, last)
	}
}

func TestFeedReportsAFailureAndEnds(t *testing.T) {
	r := newRig(t, true)
	r.srv.FailNext("FilterLogEvents", 1, "AccessDeniedException")
	_, last := drainFeed(t, r.newSource().Start(testContext(t)))
	if last.Err == nil || !strings.Contains(last.Err.Error(), "logs:FilterLogEvents") ||
		last.Status.State != source.StateError || !strings.Contains(last.Status.LastError, "logs:FilterLogEvents") {
		t.Errorf("last batch = %+v", last)
	}
	r.awaitSessions(0)
}

func TestHealthSnapshot(t *testing.T) {
	h := newHealth("g")
	h.sessionStart = t0
	h.rate.perSecond(t0)
	h.saw(50, t0.Add(-2*time.Minute).UnixMilli())
	st := h.snapshot(t0.Add(5 * time.Second))
	if st.Lag != 2*time.Minute+5*time.Second || st.SessionAge != 5*time.Second || st.EventsPerS != 10 {
		t.Errorf("lag %s, session age %s, events/s %v; want 2m5s, 5s, 10", st.Lag, st.SessionAge, st.EventsPerS)
	}
	h.note("format", "a")
	h.note("mode", "b")
	h.note("format", "")
	if st := h.snapshot(t0); st.Note != "b" {
		t.Errorf("note = %q", st.Note)
	}
}
