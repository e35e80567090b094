package cloudwatch

import (
	"strings"
	"testing"
	"time"

	"github.com/flowlens/flowlens/feed"
)

func TestSeenSetKeys(t *testing.T) {
	s := newSeenSet()
	ts := t0.UnixMilli()
	if !s.addHistory(group, "id1", "st", ts, "m", t0) || s.addHistory(group, "id1", "st", ts, "m", t0) {
		t.Error("a history event repeated by ID is not dropped")
	}
	if !s.addHistory(group, "id2", "st", ts, "m", t0) {
		t.Error("two history events with distinct IDs and the same text must both be delivered")
	}
	if s.addLive("st", ts, "m", t0) {
		t.Error("a live event already read from the history is not dropped")
	}
	if !s.addLive("st", ts, "n", t0) || s.addLive("st", ts, "n", t0) {
		t.Error("a repeated live event is not dropped")
	}
	if s.addHistory(group, "id3", "st", ts, "n", t0) {
		t.Error("a history event already delivered live is not dropped")
	}
	if !s.addLive("other", ts, "n", t0) || !s.addLive("st", ts+1, "n", t0) {
		t.Error("stream and timestamp are part of the live key")
	}
}

// Memory is bounded by time: buckets older than the next re-read are forgotten unless
// touched recently, and the cap holds whatever the rate.
func TestSeenSetForgets(t *testing.T) {
	s := newSeenSet()
	old, recent := t0.Add(-time.Hour), t0.Add(-time.Minute)
	s.addHistory(group, "a", "st", old.UnixMilli(), "a", t0)
	s.addHistory(group, "b", "st", recent.UnixMilli(), "b", t0)
	keepFrom := t0.Add(-DefaultLookBack)
	s.forget(keepFrom, t0)
	if s.size() != 4 {
		t.Errorf("%d keys right after adding, want 4: a very late event is kept a while for Live Tail repeats", s.size())
	}
	s.forget(keepFrom, t0.Add(recentWindow+time.Second))
	if s.size() != 2 {
		t.Errorf("%d keys, want the 2 of the event inside the look-back", s.size())
	}
	if s.addHistory(group, "b", "st", recent.UnixMilli(), "b", t0) {
		t.Error("an event inside the look-back was forgotten")
	}

	s = newSeenSet()
	s.maxKeys = 100
	for i := range 300 {
		s.addLive("st", t0.Add(time.Duration(i)*time.Minute).UnixMilli(), "m", t0)
	}
	s.forget(t0.Add(-time.Hour), t0)
	if s.size() > 100 || s.overflowed != 200 {
		t.Errorf("%d keys, %d overflowed; want at most 100 and 200", s.size(), s.overflowed)
	}
	if !s.addLive("st", t0.UnixMilli(), "m", t0) || s.addLive("st", t0.Add(299*time.Minute).UnixMilli(), "m", t0) {
		t.Error("the cap must drop the oldest minutes first")
	}
}

// With several groups Live Tail cannot narrow the streams, so the source does it.
func TestSeveralGroupsFilterStreamsThemselves(t *testing.T) {
	r := newRig(t, true)
	r.srv.AddLogStream("/vpc/second", eni+"-all")
	r.cfg.LogGroups = []string{group, "/vpc/second"}
	k := r.run(r.newSource())
	r.awaitSessions(1)
	k.awaitStatus(t, "live tail state", func(st feed.Status) bool { return st.State == feed.StateLiveTail })
	r.srv.AddEvents(group, "eni-0fffffffffffffff0-all", events(t0, 1)...)
	r.srv.AddEvents("/vpc/second", eni+"-all", events(t0, 2)...)
	r.add(t0, 3)
	r.srv.FlushLiveTail()
	k.expect(t, 2, 3)
	k.assertOnce(t, 2, 3)
	start := r.srv.CallsTo("StartLiveTail")[0]
	if len(start.Strings("logGroupIdentifiers")) != 2 || start.Params["logStreamNamePrefixes"] != nil {
		t.Errorf("StartLiveTail params = %v, want both groups and no prefixes", start.Params)
	}
	if n := len(r.srv.CallsTo("FilterLogEvents")); n != 2 {
		t.Errorf("%d FilterLogEvents calls, want one per group", n)
	}
	if st := k.lastStatus(); !strings.Contains(st.Source, group+", /vpc/second ("+eni+")") {
		t.Errorf("source = %q", st.Source)
	}
}

func TestPrefixesCoveredByOthersAreNotReadTwice(t *testing.T) {
	c := Config{ENIs: []string{"eni-12", "eni-1", "eni-1", "eni-2"}, StreamPrefix: "eni-2-all"}
	got := strings.Join(c.prefixes(), ",")
	if got != "eni-1,eni-2" {
		t.Errorf("prefixes = %s", got)
	}
}
