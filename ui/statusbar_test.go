package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/flowlens/flowlens/feed"
)

// The status bar shows what any source reports, its own fields included, without
// knowing the kind of source; when the bar is narrow, parts go whole, least needed first.
func TestStatusBarShowsFieldsAndDropsWholeParts(t *testing.T) {
	st := feed.Status{Source: "s3://flows/2024/05/01/", State: feed.StateReading, Lag: 90 * time.Second,
		Progress: feed.Progress{Done: 3, Total: 10, Unit: feed.Objects}, Note: "format from the header line"}
	st.SetField("pushed", "action=REJECT")
	st.SetField("scanned", "1.2 GiB")
	st.SetField("mode", "reading") // repeats the state: not shown twice
	info := statusInfo{src: st, held: 1234, rate: 50, malformed: 3, following: true, followKey: "G", malformedKey: "m", help: "? help"}
	s := NewStyles(true, false)

	wide := ansi.Strip(renderStatus(s, info, 200))
	for _, want := range []string{"● reading", " 30%", "s3://flows/2024/05/01/", "pushed action=REJECT", "scanned 1.2 GiB",
		"lag 1m30s", "1,234 in ring", "50/s", "malformed 3 (m)", "UTC", "format from the header line", "? help"} {
		if !strings.Contains(wide, want) {
			t.Errorf("the wide bar lacks %q:\n%s", want, wide)
		}
	}
	if strings.Contains(wide, "mode") {
		t.Errorf("a field that repeats the state is shown:\n%s", wide)
	}

	narrow := ansi.Strip(renderStatus(s, info, 80))
	if w := ansi.StringWidth(narrow); w != 80 {
		t.Fatalf("the bar is %d cells wide, want 80", w)
	}
	for _, want := range []string{"● reading", "s3://flows/2024/05/01/", "malformed 3 (m)", "? help"} {
		if !strings.Contains(narrow, want) {
			t.Errorf("the narrow bar dropped %q, which matters more than what it kept:\n%s", want, narrow)
		}
	}
	for _, gone := range []string{"format from the header line", "UTC", "50/s"} {
		if strings.Contains(narrow, gone) {
			t.Errorf("the narrow bar kept %q over more important parts:\n%s", gone, narrow)
		}
	}
	if strings.Contains(narrow, "…") {
		t.Errorf("a part was cut instead of dropped:\n%s", narrow)
	}
	// Every part shown is whole: each piece between separators is one of the parts.
	for _, piece := range strings.Split(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(narrow), "? help")), " │ ") {
		if !strings.Contains(wide, piece) {
			t.Errorf("%q is not a whole part of the bar", piece)
		}
	}

	// A part too wide for what is left goes; smaller, less needed ones still fill the
	// room (the demo at 80 columns, scrolled up).
	demo := statusInfo{src: feed.Status{Source: "demo: incident in vpc-0demo (replay)", State: feed.StateReplaying, Note: "simulated: no AWS account used"},
		held: 2904, rate: 36, following: false, followKey: "G", malformedKey: "m", help: "? help"}
	bar := ansi.Strip(renderStatus(s, demo, 80))
	if !strings.Contains(bar, "demo: incident in vpc-0demo (replay) │ 2,904 in ring │ 36/s") || strings.Contains(bar, "…") {
		t.Errorf("the bar at 80 columns:\n%s", bar)
	}

	// A message does not push the state, the source or trouble off: it takes the room
	// left, cut in the middle so that the file's name stays, and comes after them.
	info.message = "exported 1,234 records to /home/someone/a/rather/long/path/flowlens-20240501-120000.jsonl"
	for _, w := range []int{100, 120} {
		bar := ansi.Strip(renderStatus(s, info, w))
		if ansi.StringWidth(bar) != w {
			t.Fatalf("the bar is %d cells wide, want %d", ansi.StringWidth(bar), w)
		}
		for _, want := range []string{"● reading", "s3://flows/2024/05/01/", "malformed 3 (m)", "exported 1,234 rec", "-120000.jsonl", "? help"} {
			if !strings.Contains(bar, want) {
				t.Errorf("at %d columns with a message the bar lacks %q:\n%s", w, want, bar)
			}
		}
		if strings.Index(bar, "exported") < strings.Index(bar, "malformed") {
			t.Errorf("the message pushed the fields right:\n%s", bar)
		}
	}
}

// A source that is done reads nothing: the rate it had must not stay on screen, stale.
// Rates and retries have thousands separators.
func TestStatusBarRateWhileReadingOnly(t *testing.T) {
	s := NewStyles(true, false)
	reading := statusInfo{src: feed.Status{Source: "f.log", State: feed.StateReading, Retries: 12000}, rate: 123456, following: true}
	if bar := ansi.Strip(renderStatus(s, reading, 200)); !strings.Contains(bar, "123,456/s") || !strings.Contains(bar, "12,000 retries") {
		t.Errorf("while reading:\n%s", bar)
	}
	done := reading
	done.src.State = feed.StateDone
	if bar := ansi.Strip(renderStatus(s, done, 200)); strings.Contains(bar, "/s") {
		t.Errorf("done, and a rate is shown:\n%s", bar)
	}
}
