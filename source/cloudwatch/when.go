package cloudwatch

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/flowlens/flowlens/model/filter"
)

// ParseWhen reads a --since or --until value: a duration before now ("15m", "2h30m",
// "1d"), a time of day today ("09:10"), an absolute time (RFC 3339, "2006-01-02
// 15:04[:05]", "2006-01-02"), or Unix seconds. It reads times exactly as the filter
// reads start>=...: a time without an offset is in loc, the zone flowlens shows times in
// (nil: UTC), so a time copied from the screen means what it meant there.
func ParseWhen(s string, now time.Time, loc *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, fmt.Errorf("empty time")
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && n > 100000000 {
		return time.Unix(n, 0), nil
	}
	if t, _, ok := filter.ParseTime(s, now, loc); ok {
		return t, nil
	}
	if filter.IsDuration(s) {
		return time.Time{}, fmt.Errorf("%q: a duration before now cannot be negative", s)
	}
	return time.Time{}, fmt.Errorf("%q is neither a duration (15m, 2h, 1d) nor a time (09:10, 2025-03-01T12:00:00Z, 2025-03-01 12:00, Unix seconds)", s)
}
