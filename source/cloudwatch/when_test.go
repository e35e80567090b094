package cloudwatch

import (
	"testing"
	"time"
)

func TestParseWhen(t *testing.T) {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	plus2 := time.FixedZone("PLUS2", 2*3600)
	cases := []struct {
		in   string
		loc  *time.Location
		want time.Time
	}{
		{"15m", nil, now.Add(-15 * time.Minute)},
		{"2h30m", nil, now.Add(-150 * time.Minute)},
		{"1d", nil, now.Add(-24 * time.Hour)},
		{"0s", nil, now},
		{"15m", plus2, now.Add(-15 * time.Minute)},
		{"2025-02-28T10:00:00Z", plus2, time.Date(2025, 2, 28, 10, 0, 0, 0, time.UTC)},
		{"2025-02-28T10:00Z", plus2, time.Date(2025, 2, 28, 10, 0, 0, 0, time.UTC)},
		// Without an offset: UTC, as flowlens shows times, unless the zone shown is another.
		{"2025-02-28 10:00", nil, time.Date(2025, 2, 28, 10, 0, 0, 0, time.UTC)},
		{"2025-02-28", nil, time.Date(2025, 2, 28, 0, 0, 0, 0, time.UTC)},
		{"2025-02-28 10:00", plus2, time.Date(2025, 2, 28, 8, 0, 0, 0, time.UTC)},
		{"2025-02-28", plus2, time.Date(2025, 2, 27, 22, 0, 0, 0, time.UTC)},
		{"09:10", nil, time.Date(2025, 3, 1, 9, 10, 0, 0, time.UTC)},
		{"09:10", plus2, time.Date(2025, 3, 1, 7, 10, 0, 0, time.UTC)},
		{"1740700800", plus2, time.Unix(1740700800, 0)},
	}
	for _, c := range cases {
		got, err := ParseWhen(c.in, now, c.loc)
		if err != nil || !got.Equal(c.want) {
			t.Errorf("ParseWhen(%q, %v) = %v, %v; want %v", c.in, c.loc, got, err, c.want)
		}
	}
	for _, bad := range []string{"", "yesterday", "-5m", "2025-13-01", "25:00"} {
		if _, err := ParseWhen(bad, now, nil); err == nil {
			t.Errorf("ParseWhen(%q) accepted", bad)
		}
	}
	if _, err := ParseWhen("-5m", now, nil); err == nil || err.Error() != `"-5m": a duration before now cannot be negative` {
		t.Errorf("-5m: %v", err)
	}
}

// The process's zone (TZ) plays no part: only the zone given does.
func TestParseWhenIgnoresTheProcessZone(t *testing.T) {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	saved := time.Local
	defer func() { time.Local = saved }()
	time.Local = time.FixedZone("MINUS7", -7*3600)
	got, err := ParseWhen("2025-02-28 10:00", now, nil)
	if err != nil || !got.Equal(time.Date(2025, 2, 28, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("with TZ at -07:00, a time without an offset read as %v, %v; want 10:00 UTC", got, err)
	}
}
