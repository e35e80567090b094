package filter

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/flowlens/flowlens/model"
)

// One rule for every time written without an offset, wherever flowlens reads one (the
// filter, --since, --until): it is in the time zone flowlens shows times in. That is UTC
// unless the person asked for local time (--local-time; `t` in the explorer), so a time
// copied from the screen means what it meant there. The callers pass the zone; nil is UTC.

// ParseTime reads a time as the filter reads the values of start and end, and as --since
// and --until read theirs: a duration before now ("15m", "2h30m", "1d"), a time of day
// today ("09:10", "09:10:30"), a date ("2024-05-01"), or a date and time
// ("2024-05-01T10:30", "2024-05-01 10:30:00", RFC 3339 with an offset). Forms without an
// offset are read in loc (nil: UTC). It returns the first instant named and how long a
// span the form names: a day for a date, a minute for "10:30", a second otherwise, so
// that `start=2024-05-01` is that whole day. Unix seconds are left to the caller, which
// knows whether a bare number may mean one.
func ParseTime(s string, now time.Time, loc *time.Location) (t time.Time, span time.Duration, ok bool) {
	if loc == nil {
		loc = time.UTC
	}
	s = strings.TrimSpace(s)
	if d, ok := parseAgo(s); ok {
		if d < 0 {
			return time.Time{}, 0, false
		}
		return now.Add(-d).Truncate(time.Second), time.Second, true
	}
	if t, span, ok := timeOfDay(s, now, loc); ok {
		return t, span, true
	}
	for _, l := range dateLayouts {
		var t time.Time
		var err error
		if l.zoned {
			t, err = time.Parse(l.layout, s)
		} else {
			t, err = time.ParseInLocation(l.layout, s, loc)
		}
		if err == nil {
			return t, l.span, true
		}
	}
	return time.Time{}, 0, false
}

// dateLayouts are the absolute forms, most specific first. Those with a zone say where
// they are; the others are read in the zone shown.
var dateLayouts = []struct {
	layout string
	span   time.Duration
	zoned  bool
}{
	{time.RFC3339Nano, time.Second, true},
	{"2006-01-02T15:04Z07:00", time.Minute, true},
	{"2006-01-02T15:04:05", time.Second, false},
	{"2006-01-02 15:04:05", time.Second, false},
	{"2006-01-02T15:04", time.Minute, false},
	{"2006-01-02 15:04", time.Minute, false},
	{"2006-01-02", 24 * time.Hour, false},
}

// timeOfDay reads "9:10", "09:10", "09:10:30", optionally with "Z" or a positive offset
// ("+02:00"), as that time on now's day in loc (or in the offset's zone when one is
// written). A '-' after a time of day separates a range (09:10-09:20), so a negative
// offset needs the full form (2024-05-01T09:10:00-05:00).
func timeOfDay(s string, now time.Time, loc *time.Location) (time.Time, time.Duration, bool) {
	if len(s) < 4 || s[0] < '0' || s[0] > '9' || !strings.Contains(s, ":") || strings.Contains(s, "-") {
		return time.Time{}, 0, false
	}
	if s[1] == ':' {
		s = "0" + s // 9:10
	}
	for _, l := range []struct {
		layout string
		span   time.Duration
		zoned  bool
	}{
		{"15:04", time.Minute, false},
		{"15:04:05", time.Second, false},
		{"15:04Z07:00", time.Minute, true},
		{"15:04:05Z07:00", time.Second, true},
	} {
		clock, err := time.Parse(l.layout, s)
		if err != nil {
			continue
		}
		zone := loc
		if l.zoned {
			zone = clock.Location()
		}
		day := now.In(zone)
		return time.Date(day.Year(), day.Month(), day.Day(), clock.Hour(), clock.Minute(), clock.Second(), 0, zone), l.span, true
	}
	return time.Time{}, 0, false
}

// parseAgo reads a duration before now: a Go duration ("15m", "1h30m", "90s") or days
// ("1d", "1.5d"), because "2d" is what people type. A bare number is not a duration:
// it is Unix seconds to the callers.
func parseAgo(s string) (time.Duration, bool) {
	if s == "" || strings.Trim(s, "0123456789") == "" {
		return 0, false
	}
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.ParseFloat(days, 64)
		if err != nil || math.IsNaN(n) || math.IsInf(n, 0) || math.Abs(n) > float64(math.MaxInt64)/float64(24*time.Hour) {
			return 0, false
		}
		return time.Duration(n * float64(24*time.Hour)), true
	}
	d, err := time.ParseDuration(s)
	return d, err == nil
}

// IsDuration reports whether s is a duration before now as ParseTime reads one ("15m",
// "1d"), so that a caller can say which kind of value it was given.
func IsDuration(s string) bool {
	_, ok := parseAgo(strings.TrimSpace(s))
	return ok
}

// Pin returns src with every time value that depends on when or where it is read
// (15m, 09:10, a date or time without an offset) replaced by the Unix seconds it names at
// opts.Now in opts.Location. An expression applied by flowlens and pushed down to
// CloudWatch or Athena must name the same instants in both places; pinned once, it
// does, whichever clock and zone each reader would have used. Unix seconds, and times
// with an offset, are left as written. A term this language does not know (verdict= of
// the pairs filter, built on this one) is left as written too: Pin serves the languages
// built on this one, and each reports its own mistakes when it compiles. A mistake of
// syntax is reported as Parse reports it.
func Pin(src string, opts Options) (string, error) {
	n, err := Parse(src)
	if err != nil || n == nil {
		return src, err
	}
	c := newCompiler(opts)
	changed := false
	var walk func(Node) error
	walk = func(n Node) error {
		switch n := n.(type) {
		case *And:
			if err := walk(n.L); err != nil {
				return err
			}
			return walk(n.R)
		case *Or:
			if err := walk(n.L); err != nil {
				return err
			}
			return walk(n.R)
		case *Not:
			return walk(n.X)
		case *Term:
			f, pseudo, err := c.resolveField(n.Field, n.FieldPos)
			if err != nil {
				return nil // not a record field: whoever compiles it says so
			}
			if pseudo != "" || f.Info().Kind != model.KindTime || strings.Trim(n.Value, "0123456789") == "" {
				return nil
			}
			eq := *n
			eq.Op = OpEq
			iv, err := c.numericValue(&eq, f, model.KindTime, f.Name())
			if err != nil {
				return nil // not a time: Compile says what is wrong
			}
			switch n.Op {
			case OpLt, OpGe:
				n.Value = strconv.FormatUint(iv.lo, 10)
			case OpLe, OpGt:
				n.Value = strconv.FormatUint(iv.hi, 10)
			default:
				n.Value = strconv.FormatUint(iv.lo, 10)
				if iv.hi != iv.lo {
					n.Value += "-" + strconv.FormatUint(iv.hi, 10)
				}
			}
			changed = true
		}
		return nil
	}
	if err := walk(n); err != nil {
		return "", err
	}
	if !changed {
		return src, nil
	}
	return String(n), nil
}
