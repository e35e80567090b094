package athena

import (
	"testing"
	"time"
)

// FuzzGoLayout must never panic, and a layout it accepts must write a time that the
// same layout reads back to the minute the pattern keeps.
func FuzzGoLayout(f *testing.F) {
	for _, s := range []string{"yyyy/MM/dd", "yyyy/MM/dd/HH", "'year='yyyy/'month='MM/'day='dd/'hour='HH", "yyyy-MM-dd", "'", "''", "yyyyMMddHHmm", "x"} {
		f.Add(s)
	}
	t0 := time.Date(2025, 3, 1, 12, 34, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, java string) {
		layout, ok := goLayout(java)
		if !ok || layout == "" {
			return
		}
		text := t0.Format(layout)
		back, err := time.Parse(layout, text)
		if err != nil {
			return // a layout of literals only, or Go layout words in a literal: nothing to check
		}
		if back.After(t0) {
			t.Fatalf("%q (%q): %s reads back as %s, after the time written", java, layout, text, back)
		}
	})
}
