package cloudwatch

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// timeLayouts are the absolute forms --since and --until accept, most specific first.
// Layouts without a zone are read in the local time zone, as a person types them.
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04:05",
	"2006-01-02 15:04:05",
	"2006-01-02T15:04",
	"2006-01-02 15:04",
	"2006-01-02",
}

// ParseWhen reads a --since or --until value: a duration before now ("15m", "2h30m",
// "1d"), an absolute time (RFC 3339, "2006-01-02 15:04[:05]" local, "2006-01-02"), or
// Unix seconds.
func ParseWhen(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, fmt.Errorf("empty time")
	}
	if d, ok := parseAgo(s); ok {
		if d < 0 {
			return time.Time{}, fmt.Errorf("%q: a duration before now cannot be negative", s)
		}
		return now.Add(-d), nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && n > 100000000 {
		return time.Unix(n, 0), nil
	}
	for _, layout := range timeLayouts {
		if t, err := time.ParseInLocation(layout, s, time.Local); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is neither a duration (15m, 2h, 1d) nor a time (2025-03-01T12:00:00Z, 2025-03-01 12:00, Unix seconds)", s)
}

// parseAgo reads a Go duration, with "d" for days added because "--since 2d" is what
// people type.
func parseAgo(s string) (time.Duration, bool) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.ParseFloat(days, 64)
		if err != nil {
			return 0, false
		}
		return time.Duration(n * float64(24*time.Hour)), true
	}
	d, err := time.ParseDuration(s)
	return d, err == nil
}
