package cloudwatch

import (
	"testing"
	"time"

	"github.com/flowlens/flowlens/model/filter"
)

// FuzzParseWhen: --since and --until never panic, and a time they accept is not after
// now when written as a duration before now.
func FuzzParseWhen(f *testing.F) {
	for _, s := range []string{"15m", "2h", "1d", "90s", "2025-03-01T12:00:00Z", "2025-03-01 12:00", "1700000000", "", "-5m", "1h30m", "99999999999999999999d"} {
		f.Add(s)
	}
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		when, err := ParseWhen(s, now, nil)
		if err != nil {
			return
		}
		if filter.IsDuration(s) && when.After(now) {
			t.Fatalf("%q (a duration before now) parsed to %v, after now", s, when)
		}
	})
}
