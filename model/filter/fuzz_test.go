package filter

import (
	"errors"
	"testing"

	"github.com/flowlens/flowlens/model"
)

// FuzzFilter feeds arbitrary expressions to the filter. It must never panic; a mistake
// must come back as an *Error with a column inside the expression (or just past it); an
// accepted expression must print back to one that parses to the same tree and matches
// the sample records the same way.
func FuzzFilter(f *testing.F) {
	for _, s := range []string{"action=REJECT dstport=22", "src=10.0.0.0/8 or not (dport=1-5 and flags=syn+fin)", "\"a b\" 'c'", "dsport=22", "((((", "addr!=::1", "start>=2024-01-01T10:00", "bytes>1Mi", "eni=eni-0a*", "!reject && icmp || x"} {
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
	f.Fuzz(func(t *testing.T, expr string) {
		flt, err := Compile(expr, Options{})
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
		again, err := Compile(printed, Options{})
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
