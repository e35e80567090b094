package filter

import (
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/flowlens/flowlens/model"
)

// now is when the tests apply their filters: 2024-05-01 12:30:45 UTC.
var now = time.Date(2024, 5, 1, 12, 30, 45, 0, time.UTC)

// plus2 is a zone two hours east of UTC, for the rule that times without an offset are
// read in the zone shown.
var plus2 = time.FixedZone("PLUS2", 2*3600)

func unix(y int, mo time.Month, d, h, mi, s int) uint64 {
	return uint64(time.Date(y, mo, d, h, mi, s, 0, time.UTC).Unix())
}

func TestTimeValues(t *testing.T) {
	for _, c := range []struct {
		expr   string
		loc    *time.Location
		lo, hi uint64
	}{
		{"start>=15m", nil, unix(2024, 5, 1, 12, 15, 45), math.MaxUint64},
		{"start>=2h30m", nil, unix(2024, 5, 1, 10, 0, 45), math.MaxUint64},
		{"start>=1d", nil, unix(2024, 4, 30, 12, 30, 45), math.MaxUint64},
		{"start<90s", nil, 0, unix(2024, 5, 1, 12, 29, 15) - 1},
		// A duration is an instant, the same in every zone.
		{"start>=15m", plus2, unix(2024, 5, 1, 12, 15, 45), math.MaxUint64},
		// A time of day is today, in the zone shown.
		{"start>=09:10", nil, unix(2024, 5, 1, 9, 10, 0), math.MaxUint64},
		{"start>=9:10", nil, unix(2024, 5, 1, 9, 10, 0), math.MaxUint64},
		{"start>=09:10", plus2, unix(2024, 5, 1, 7, 10, 0), math.MaxUint64},
		{"start=09:10", nil, unix(2024, 5, 1, 9, 10, 0), unix(2024, 5, 1, 9, 10, 59)},
		{"start>09:10", nil, unix(2024, 5, 1, 9, 11, 0), math.MaxUint64},
		{"start<=09:10:30", nil, 0, unix(2024, 5, 1, 9, 10, 30)},
		{"start>=09:10Z", plus2, unix(2024, 5, 1, 9, 10, 0), math.MaxUint64},
		{"start>=09:10+05:00", nil, unix(2024, 5, 1, 4, 10, 0), math.MaxUint64},
		// A '-' after a time of day is a range, not an offset.
		{"start=09:10-09:20", nil, unix(2024, 5, 1, 9, 10, 0), unix(2024, 5, 1, 9, 20, 59)},
		{"start=09:10-09:20", plus2, unix(2024, 5, 1, 7, 10, 0), unix(2024, 5, 1, 7, 20, 59)},
		{"start=1h-15m", nil, unix(2024, 5, 1, 11, 30, 45), unix(2024, 5, 1, 12, 15, 45)},
		// Late in the evening east of UTC it is already tomorrow: "today" is the shown day.
		{"start>=01:00", time.FixedZone("PLUS14", 14*3600), unix(2024, 5, 1, 11, 0, 0), math.MaxUint64},
		// Dates and times without an offset, in the zone shown; with one, as written.
		{"start=2024-05-01", nil, unix(2024, 5, 1, 0, 0, 0), unix(2024, 5, 1, 23, 59, 59)},
		{"start=2024-05-01", plus2, unix(2024, 4, 30, 22, 0, 0), unix(2024, 5, 1, 21, 59, 59)},
		{"start>=2024-05-01T10:00", plus2, unix(2024, 5, 1, 8, 0, 0), math.MaxUint64},
		{"start>=2024-05-01T10:00Z", plus2, unix(2024, 5, 1, 10, 0, 0), math.MaxUint64},
		{"start>=2024-05-01T10:00:00+02:00", nil, unix(2024, 5, 1, 8, 0, 0), math.MaxUint64},
		{`start>="2024-05-01 10:00"`, plus2, unix(2024, 5, 1, 8, 0, 0), math.MaxUint64},
		// Unix seconds are Unix seconds; milliseconds are divided (docs/filter.md).
		{"end>=1714557600", plus2, 1714557600, math.MaxUint64},
		{"end>=1714557600000", nil, 1714557600, math.MaxUint64},
		{"end=1714557600000-1714557660999", nil, 1714557600, 1714557660},
		// Ranges of dates and of dates and times: the range's dash is the one that leaves
		// a time on each side, not one of the dates' own.
		{"start=2024-05-01T10:00-2024-05-01T10:20", nil, unix(2024, 5, 1, 10, 0, 0), unix(2024, 5, 1, 10, 20, 59)},
		{"start=2024-05-01T10:00:00Z-2024-05-01T10:20:00Z", plus2, unix(2024, 5, 1, 10, 0, 0), unix(2024, 5, 1, 10, 20, 0)},
		{"start=2024-05-01T10:00-05:00-2024-05-01T10:20-05:00", nil, unix(2024, 5, 1, 15, 0, 0), unix(2024, 5, 1, 15, 20, 59)},
		{"start=2024-04-30-2024-05-01", nil, unix(2024, 4, 30, 0, 0, 0), unix(2024, 5, 1, 23, 59, 59)},
	} {
		n, err := Parse(c.expr)
		if err != nil {
			t.Fatal(err)
		}
		l, err := ResolveLeaf(n, Options{Now: now, Location: c.loc})
		if err != nil {
			t.Errorf("%s: %v", c.expr, err)
			continue
		}
		if l.Kind != LeafNumber || l.Lo != c.lo || l.Hi != c.hi {
			t.Errorf("%s in %v: [%d, %d], want [%d, %d] (%v .. %v)", c.expr, c.loc, l.Lo, l.Hi, c.lo, c.hi,
				time.Unix(int64(c.lo), 0).UTC(), time.Unix(int64(min(c.hi, math.MaxInt32)), 0).UTC())
		}
	}
}

// The compiled filter and the resolved leaf agree on the new forms (the push-down
// compilers use the leaf).
func TestTimeFilterMatches(t *testing.T) {
	line := func(start int64) *model.Flow {
		p := model.NewParser("t", nil)
		r := new(model.Flow)
		l := "2 123456789010 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 40 " + itoa(start) + " " + itoa(start+60) + " ACCEPT OK"
		if p.Parse([]byte(l), r) != model.LineRecord {
			t.Fatal(p.Stats().Samples)
		}
		return r
	}
	recent := line(now.Add(-10 * time.Minute).Unix())
	old := line(now.Add(-20 * time.Minute).Unix())
	morning := line(time.Date(2024, 5, 1, 9, 10, 30, 0, time.UTC).Unix())
	for _, c := range []struct {
		expr                 string
		loc                  *time.Location
		recent, old, morning bool
	}{
		{"start>=15m", nil, true, false, false},
		{"start<15m", nil, false, true, true},
		{"start=09:10", nil, false, false, true},
		{"start=09:10", plus2, false, false, false},
		{"start=11:10", plus2, false, false, true},
		{"start>=09:11", nil, true, true, false},
	} {
		f, err := Compile(c.expr, Options{Now: now, Location: c.loc})
		if err != nil {
			t.Fatalf("%s: %v", c.expr, err)
		}
		if f.Match(recent) != c.recent || f.Match(old) != c.old || f.Match(morning) != c.morning {
			t.Errorf("%s in %v: recent %v old %v morning %v, want %v %v %v", c.expr, c.loc,
				f.Match(recent), f.Match(old), f.Match(morning), c.recent, c.old, c.morning)
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestSizes(t *testing.T) {
	for _, c := range []struct {
		in   string
		want uint64
		ok   bool
	}{
		{"1500", 1500, true},
		{"10k", 10_000, true},
		{"10K", 10_000, true},
		{"1M", 1_000_000, true},
		{"1MB", 1_000_000, true},
		{"1mb", 1_000_000, true},
		{"1Mb", 1_000_000, true},
		{"2GB", 2_000_000_000, true},
		{"1TB", 1_000_000_000_000, true},
		{"1kB", 1000, true},
		{"1Ki", 1024, true},
		{"1KiB", 1024, true},
		{"1kib", 1024, true},
		{"1MiB", 1 << 20, true},
		{"2GiB", 2 << 30, true},
		{"1TiB", 1 << 40, true},
		{"1.5MB", 1_500_000, true},
		{"1.5KiB", 1536, true},
		{"0.5k", 500, true},
		{"100B", 100, true},
		{"1.0001k", 0, false}, // not a whole number of bytes
		{"1.5", 0, false},     // a fraction needs a unit
		{"1.k", 0, false},
		{".5k", 0, false},
		{"1MBx", 0, false},
		{"1PB", 0, false},
		{"1e3", 0, false},
		{"-1k", 0, false},
		{"k", 0, false},
		{"", 0, false},
		{"18446744073709551615", math.MaxUint64, true},
		{"18446744073709551616", 0, false},
		{"20000000TB", 0, false}, // overflows 64 bits
	} {
		got, ok := ParseAmount(c.in, true)
		if ok != c.ok || got != c.want {
			t.Errorf("ParseAmount(%q) = %d, %v; want %d, %v", c.in, got, ok, c.want, c.ok)
		}
	}
	// Ports and other non-size numbers take no units.
	if _, ok := ParseAmount("1k", false); ok {
		t.Error("a unit was read where sizes are not allowed")
	}
}

func TestSizeFilters(t *testing.T) {
	recs := parsed(t)
	for _, c := range []struct{ expr, want string }{
		{"bytes>4KB", "rdp s3in ssh v6"},
		{"bytes>4kib", "rdp s3in ssh v6"},
		{"bytes>4.25KB", "s3in v6"},
		{"bytes>=8.855kB", "s3in v6"},
		{"bytes=4249B", "rdp ssh"},
		{"bytes=4KB-5KB", "rdp ssh"},
		{"bytes<0.5k", "ping s3out synack synonly"},
	} {
		f, err := Compile(c.expr, Options{})
		if err != nil {
			t.Errorf("%q: %v", c.expr, err)
			continue
		}
		var got []string
		for name, r := range recs {
			if f.Match(r) {
				got = append(got, name)
			}
		}
		sortStrings(got)
		if strings.Join(got, " ") != c.want {
			t.Errorf("%q matched [%s], want [%s]", c.expr, strings.Join(got, " "), c.want)
		}
	}
	n, _ := Parse("bytes>1.5MB")
	if l, err := ResolveLeaf(n, Options{}); err != nil || l.Lo != 1_500_001 {
		t.Errorf("bytes>1.5MB resolves to %+v, %v", l, err)
	}
}

func TestNewFormErrors(t *testing.T) {
	for _, c := range []struct{ expr, want string }{
		{"start>=-5m", "bad value '-5m' for start at 8, a duration counts back from now"},
		{"start>=25:00", "bad value '25:00' for start at 8, want a duration before now (15m, 2h, 1d), a time of day (09:10)"},
		{"start=09:20-09:10", "empty range '09:20-09:10' at 7, write it as 09:10-09:20"},
		{"start>09:10-09:20", "a range compares only with = or !=, not > at 7"},
		{"bytes>1.0001k", "bad value '1.0001k' for bytes at 7, want a number such as 1500, 10k, 1.5MB or 1MiB"},
		{"dport=1k", "unknown port or service '1k' for dstport at 7"},
		{"verdict=sg", "unknown field 'verdict' at 1, verdict is about conversations, not records: use it with flowlens pairs"},
		{"reject blocked=request", "unknown field 'blocked' at 8, blocked is about conversations"},
	} {
		_, err := Compile(c.expr, Options{Now: now})
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%q: error %v, want %q", c.expr, err, c.want)
		}
	}
}

func TestWarnings(t *testing.T) {
	for _, c := range []struct {
		expr string
		want []string // "column:suggestion"
	}{
		{"rejct", []string{"1:reject"}},
		{"acept", []string{"1:accept"}},
		{"ingres", []string{"1:ingress"}},
		{"icmpv7", []string{"1:icmpv6"}},
		{"tpc dport=22", []string{"1:tcp"}},
		{"dport=22 REJCT or egres", []string{"10:reject", "19:egress"}},
		{"not (rjeect)", []string{"6:reject"}},
		{"reject", nil},
		{`"rejct"`, nil},      // quoted: a text search on purpose
		{"rejected", nil},     // two edits away: a word of its own
		{"eni-0abc", nil},     // an ID
		{"10.0.0.1", nil},     // an address
		{"up", nil},           // too short to guess from
		{"action=rejct", nil}, // a value, an error of its own (not a warning)
	} {
		n, err := Parse(c.expr)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, w := range Lint(n) {
			got = append(got, itoa(int64(w.Pos))+":"+strings.TrimSuffix(strings.TrimPrefix(strings.SplitN(w.Hint, "?", 2)[0], "did you mean '"), "'"))
		}
		if strings.Join(got, " ") != strings.Join(c.want, " ") {
			t.Errorf("%q: warnings %v, want %v", c.expr, got, c.want)
		}
	}
	f, err := Compile("dport=22 rejct", Options{})
	if err != nil {
		t.Fatal(err)
	}
	w := f.Warnings()
	if len(w) != 1 || w[0].Error() != `'rejct' is searched for as text at 10, did you mean 'reject'? (write "rejct" in quotes to search for the text)` {
		t.Errorf("warnings %v", w)
	}
	var none *Filter
	if none.Warnings() != nil {
		t.Error("a nil filter has warnings")
	}
}

func TestErrorLines(t *testing.T) {
	e := &Error{Pos: 14, Msg: "unknown field 'actoin'", Hint: "did you mean 'action'?"}
	got := e.Lines(16)
	want := []string{"unknown field", "'actoin' at 14", "did you mean", "'action'?"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("Lines(16) = %q, want %q", got, want)
	}
	for _, l := range got {
		if len([]rune(l)) > 16 {
			t.Errorf("line %q is wider than 16", l)
		}
	}
	if got := e.Lines(0); len(got) != 2 || got[0] != "unknown field 'actoin' at 14" {
		t.Errorf("Lines(0) = %q", got)
	}
	long := &Error{Pos: 1, Msg: "bad value '" + strings.Repeat("x", 30) + "'"}
	for _, l := range long.Lines(10) {
		if len([]rune(l)) > 10 {
			t.Errorf("a long word was not cut: %q", l)
		}
	}
}

func TestPin(t *testing.T) {
	opts := Options{Now: now, Location: plus2}
	for _, c := range []struct{ in, want string }{
		{"start>=15m dport=22", "(start>=1714565745 and dport=22)"},
		{"start=09:10", "start=1714547400-1714547459"},
		{"start=1h-15m", "start=1714563045-1714565745"},
		{"start>09:10 or end<=2024-05-01", "(start>1714547459 or end<=1714600799)"},
		{"end>=1714557600 reject", "end>=1714557600 reject"}, // nothing to pin: unchanged
		{"reject", "reject"},
	} {
		got, err := Pin(c.in, opts)
		if err != nil || got != c.want {
			t.Errorf("Pin(%q) = %q, %v; want %q", c.in, got, err, c.want)
			continue
		}
		// The pinned form means the same at any other time and in any other zone.
		for _, later := range []Options{opts, {Now: now.Add(time.Hour)}} {
			a, _ := Parse(c.in)
			b, _ := Parse(got)
			la, lb := leaves(t, a, opts), leaves(t, b, later)
			if len(la) != len(lb) {
				t.Fatalf("%q: %d leaves, pinned %d", c.in, len(la), len(lb))
			}
			for i := range la {
				if la[i].Lo != lb[i].Lo || la[i].Hi != lb[i].Hi {
					t.Errorf("%q leaf %d: [%d,%d], pinned and read later [%d,%d]", c.in, i, la[i].Lo, la[i].Hi, lb[i].Lo, lb[i].Hi)
				}
			}
		}
	}
	// The pairs language adds terms of its own; Pin leaves them be.
	if got, err := Pin("verdict=sg start>=15m", opts); err != nil || got != "(verdict=sg and start>=1714565745)" {
		t.Errorf("Pin with a pairs term: %q, %v", got, err)
	}
	if _, err := Pin("(start>=15m", opts); err == nil {
		t.Error("Pin accepted a syntax error")
	}
}

func leaves(t *testing.T, n Node, opts Options) []Leaf {
	var out []Leaf
	var walk func(Node)
	walk = func(n Node) {
		switch n := n.(type) {
		case *And:
			walk(n.L)
			walk(n.R)
		case *Or:
			walk(n.L)
			walk(n.R)
		case *Not:
			walk(n.X)
		default:
			l, err := ResolveLeaf(n, opts)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, l)
		}
	}
	walk(n)
	return out
}

func TestParseTimeForms(t *testing.T) {
	for _, c := range []struct {
		in   string
		loc  *time.Location
		want time.Time
		span time.Duration
	}{
		{"15m", nil, now.Add(-15 * time.Minute), time.Second},
		{"0s", nil, now, time.Second},
		{"1.5d", nil, now.Add(-36 * time.Hour), time.Second},
		{"09:10", plus2, time.Date(2024, 5, 1, 9, 10, 0, 0, plus2), time.Minute},
		{"2024-05-01 10:00:05", plus2, time.Date(2024, 5, 1, 10, 0, 5, 0, plus2), time.Second},
		{"2024-05-01", nil, time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC), 24 * time.Hour},
	} {
		got, span, ok := ParseTime(c.in, now, c.loc)
		if !ok || !got.Equal(c.want) || span != c.span {
			t.Errorf("ParseTime(%q) = %v, %v, %v; want %v, %v", c.in, got, span, ok, c.want, c.span)
		}
	}
	for _, bad := range []string{"", "1714557600", "-5m", "yesterday", "24:00", "2024-13-01", "9:1"} {
		if _, _, ok := ParseTime(bad, now, nil); ok {
			t.Errorf("ParseTime(%q) accepted", bad)
		}
	}
}
