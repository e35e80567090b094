package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/flowlens/flowlens/feed"
)

// A bare word one letter from a keyword is applied as the text search it is, and the bar
// says what was probably meant.
func TestFilterBarShowsTheLikelyKeyword(t *testing.T) {
	m, _ := newTestModel(t, true, 160, 48)
	deliver(m, feed.Batch{Records: testRecords(300)})
	press(m, "/")
	typeFilter(m, "rejct")
	if m.bar.err != nil || m.view.Len() != 0 {
		t.Fatalf("rejct: err %v, %d matches (a text search matching nothing)", m.bar.err, m.view.Len())
	}
	out := screen(m)
	if !strings.Contains(out, "! 'rejct' is searched for as text, did you mean 'reject'?") {
		t.Errorf("no hint in the bar:\n%s", lastLines(out, 3))
	}
	press(m, "backspace", "backspace")
	typeText(m, "ct")
	press(m, "left", "left")
	typeText(m, "e")
	m.Update(debounceMsg{gen: m.bar.gen})
	if m.bar.input.Value() != "reject" || m.bar.warn != "" || m.view.Len() != 100 {
		t.Errorf("%q: warn %q, %d matches", m.bar.input.Value(), m.bar.warn, m.view.Len())
	}
}

// The explorer reads a time of day in the zone it shows, and resolves it when applied:
// testNow is 12:00 UTC and the records run from 11:55 to 12:00.
func TestFilterTimeOfDayInTheZoneShown(t *testing.T) {
	m, _ := newTestModel(t, true, 160, 48)
	deliver(m, feed.Batch{Records: testRecords(300)})
	m.applyFilter("start>=11:58", true)
	if m.bar.err != nil || m.view.Len() != 120 {
		t.Fatalf("start>=11:58 (UTC): err %v, %d matches, want 120", m.bar.err, m.view.Len())
	}
	m.applyFilter("start>=2m", true)
	if m.bar.err != nil || m.view.Len() != 120 {
		t.Fatalf("start>=2m: err %v, %d matches, want 120", m.bar.err, m.view.Len())
	}
	saved := localZone
	defer func() { localZone = saved }()
	localZone = time.FixedZone("PLUS2", 2*3600)
	m.local = true
	m.applyFilter("start>=13:58", true) // 11:58 UTC
	if m.bar.err != nil || m.view.Len() != 120 {
		t.Fatalf("start>=13:58 in local time (+02:00): err %v, %d matches, want 120", m.bar.err, m.view.Len())
	}
}

// typeFilter types s into the filter bar and lets the typing pause pass, which applies
// it.
func typeFilter(m *Model, s string) {
	typeText(m, s)
	m.Update(debounceMsg{gen: m.bar.gen})
}

// While the expression typed is invalid the table keeps the last valid one, which may
// be a prefix of it ("rej" on the way to "rej and"): the bar says which, and how many
// it lets through, beside the error.
func TestAnInvalidFilterSaysWhatIsShown(t *testing.T) {
	m, _ := newTestModel(t, true, 160, 48)
	deliver(m, feed.Batch{Records: testRecords(300)})
	press(m, "/")
	typeFilter(m, "rej")
	typeFilter(m, " and")
	if m.bar.err == nil || m.bar.applied != "rej" {
		t.Fatalf("err %v, applied %q", m.bar.err, m.bar.applied)
	}
	if bar := lineWith(screen(m), "✗ /"); !strings.Contains(bar, "showing rej: 100 of 300 match") {
		t.Errorf("the bar does not say what is shown: %s", bar)
	}
}
