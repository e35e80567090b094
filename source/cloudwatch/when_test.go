package cloudwatch

import (
	"testing"
	"time"
)

func TestParseWhen(t *testing.T) {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	local := func(s string) time.Time {
		v, _ := time.ParseInLocation("2006-01-02 15:04:05", s, time.Local)
		return v
	}
	cases := map[string]time.Time{
		"15m":                  now.Add(-15 * time.Minute),
		"2h30m":                now.Add(-150 * time.Minute),
		"1d":                   now.Add(-24 * time.Hour),
		"0s":                   now,
		"2025-02-28T10:00:00Z": time.Date(2025, 2, 28, 10, 0, 0, 0, time.UTC),
		"2025-02-28T10:00Z":    time.Date(2025, 2, 28, 10, 0, 0, 0, time.UTC),
		"2025-02-28 10:00":     local("2025-02-28 10:00:00"),
		"2025-02-28":           local("2025-02-28 00:00:00"),
		"1740700800":           time.Unix(1740700800, 0),
	}
	for in, want := range cases {
		got, err := ParseWhen(in, now)
		if err != nil || !got.Equal(want) {
			t.Errorf("ParseWhen(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "yesterday", "-5m", "2025-13-01"} {
		if _, err := ParseWhen(bad, now); err == nil {
			t.Errorf("ParseWhen(%q) accepted", bad)
		}
	}
}
