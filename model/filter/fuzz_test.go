package filter

import (
	"errors"
	"math/big"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/flowlens/flowlens/model"
)

// FuzzFilter feeds arbitrary expressions to the filter. It must never panic; a mistake
// must come back as an *Error with a column inside the expression (or just past it); an
// accepted expression must print back to one that parses to the same tree and matches
// the sample records the same way.
func FuzzFilter(f *testing.F) {
	for _, s := range []string{"action=REJECT dstport=22", "src=10.0.0.0/8 or not (dport=1-5 and flags=syn+fin)", "\"a b\" 'c'", "dsport=22", "((((", "addr!=::1", "start>=2024-01-01T10:00", "bytes>1Mi", "eni=eni-0a*", "!reject && icmp || x",
		"start>=15m", "start=09:10", "end<09:10:30+02:00", "bytes>1.5MB", "bytes=1KiB-2GiB", "rejct or icmpv7", "verdict=sg"} {
		f.Add(s)
	}
	p := model.NewParser("fuzz", nil)
	var recs []model.Flow
	for _, l := range []string{
		"2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK",
		"2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA",
		"2 123456789010 eni-0bbbb 2001:db8::1 2001:db8::2 34892 443 17 54 8855 1477913708 1477913820 REJECT OK",
	} {
		var r model.Flow
		p.Parse([]byte(l), &r)
		recs = append(recs, r)
	}
	now := time.Date(2024, 5, 1, 12, 30, 45, 0, time.UTC)
	f.Fuzz(func(t *testing.T, expr string) {
		flt, err := Compile(expr, Options{Now: now})
		if err != nil {
			var fe *Error
			if !errors.As(err, &fe) {
				t.Fatalf("%q: error %T %v is not an *Error", expr, err, err)
			}
			if fe.Pos < 1 || fe.Pos > len([]rune(expr))+1 && fe.Pos != maxExpr {
				t.Fatalf("%q: error column %d outside the expression", expr, fe.Pos)
			}
			return
		}
		n, _ := Parse(expr)
		printed := String(n)
		if len(printed) > maxExpr {
			return // escaping can make a long expression longer than the limit
		}
		again, err := Compile(printed, Options{Now: now})
		if err != nil {
			t.Fatalf("%.200q printed as %.200q, which does not compile: %.200v", expr, printed, err)
		}
		for i := range recs {
			if flt.Match(&recs[i]) != again.Match(&recs[i]) {
				t.Fatalf("%.200q and its printed form %.200q disagree on record %d", expr, printed, i)
			}
		}
	})
}

// FuzzParseAmount: sizes never panic, a number without a unit reads as ParseUint reads
// it, and an accepted amount is exactly the number times its unit.
func FuzzParseAmount(f *testing.F) {
	for _, s := range []string{"1500", "10k", "1.5MB", "1KiB", "2gib", "0.5k", "1.0001k", "18446744073709551615", "1e3", "1.", "99999999999999TB"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, ok := ParseAmount(s, true)
		plain, err := strconv.ParseUint(s, 10, 64)
		if err == nil && (!ok || n != plain) {
			t.Fatalf("%q: %d, %v; ParseUint says %d", s, n, ok, plain)
		}
		if !ok {
			return
		}
		i := strings.LastIndexAny(s, "0123456789") + 1
		mult := sizeUnits[strings.ToLower(s[i:])]
		num, _ := new(big.Rat).SetString(s[:i])
		want := num.Mul(num, new(big.Rat).SetInt64(int64(mult)))
		if !want.IsInt() || want.Num().Uint64() != n {
			t.Fatalf("%q read as %d, want %v", s, n, want)
		}
	})
}

// FuzzParseTime: times never panic, a duration is never after now, and a time of day is
// on now's day in its zone (the one written, or the one given).
func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"15m", "1d", "09:10", "9:10:30", "09:10Z", "09:10+02:00", "2024-05-01", "2024-05-01T10:00", "2024-05-01 10:00:00", "-5m", "1e400d"} {
		f.Add(s)
	}
	now := time.Date(2024, 5, 1, 12, 30, 45, 0, time.UTC)
	zone := time.FixedZone("PLUS2", 2*3600)
	f.Fuzz(func(t *testing.T, s string) {
		got, span, ok := ParseTime(s, now, zone)
		if !ok {
			return
		}
		if span != time.Second && span != time.Minute && span != 24*time.Hour {
			t.Fatalf("%q: span %v", s, span)
		}
		if IsDuration(s) && got.After(now) {
			t.Fatalf("%q: a duration before now gave %v, after %v", s, got, now)
		}
		if _, _, isClock := timeOfDay(strings.TrimSpace(s), now, zone); isClock && !IsDuration(s) {
			y, m, d := got.Date()
			if ty, tm, td := now.In(got.Location()).Date(); y != ty || m != tm || d != td {
				t.Fatalf("%q: a time of day on %v, not today", s, got)
			}
		}
	})
}
