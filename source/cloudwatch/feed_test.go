package cloudwatch

import (
	"strings"
	"testing"
	"time"

	"github.com/flowlens/flowlens/feed"
	"github.com/flowlens/flowlens/source"
)

// drainFeed reads a feed to its end and returns its records' ports and last batch.
func drainFeed(t *testing.T, f source.Feed) ([]int, feed.Batch) {
	t.Helper()
	var ports []int
	var last feed.Batch
	timeout := time.After(deadline)
	for {
		select {
		case b, ok := <-f.Batches():
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
	if len(ports) != 3 || !last.Done || last.Status.State != feed.StateDone || mode(last.Status) != ModeHistory {
		t.Errorf("ports %v, last batch %+v", ports, last)
	}
}

func TestFeedReportsAFailureAndEnds(t *testing.T) {
	r := newRig(t, true)
	r.srv.FailNext("FilterLogEvents", 1, "AccessDeniedException")
	_, last := drainFeed(t, r.newSource().Start(testContext(t)))
	if last.Err == nil || !strings.Contains(last.Err.Error(), "logs:FilterLogEvents") ||
		last.Status.State != feed.StateError || !strings.Contains(last.Status.LastError, "logs:FilterLogEvents") {
		t.Errorf("last batch = %+v", last)
	}
	r.awaitSessions(0)
}

func TestHealthSnapshot(t *testing.T) {
	h := newHealth("g")
	h.sessionStart = t0
	h.rate.perSecond(t0)
	h.saw(50, t0.Add(-2*time.Minute).UnixMilli())
	h.mode = ModeLiveTail
	st := h.snapshot(t0.Add(5 * time.Second))
	session, _ := st.Field(FieldSession)
	if st.Lag != 2*time.Minute+5*time.Second || session != "5s" || st.Rate != 10 || mode(st) != ModeLiveTail {
		t.Errorf("lag %s, session age %s, events/s %v, mode %q; want 2m5s, 5s, 10, live tail", st.Lag, session, st.Rate, mode(st))
	}
	if st.Fields[0].Label != FieldMode {
		t.Errorf("fields %v: the mode comes first", st.Fields)
	}
	h.note("format", "a")
	h.note("mode", "b")
	h.note("format", "")
	if st := h.snapshot(t0); st.Note != "b" {
		t.Errorf("note = %q", st.Note)
	}
}

// mode is the mode a status reports.
func mode(st feed.Status) string {
	m, _ := st.Field(FieldMode)
	return m
}
