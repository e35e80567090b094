package model

import (
	"testing"
)

// mustParseHolds checks the promise a prefilter relies on: a line that Parse reads as a
// header (good or bad) or as blank is one MustParse asks to see.
func mustParseHolds(t *testing.T, line []byte) {
	t.Helper()
	for _, format := range []*Format{DefaultFormat, MustParseFormat(v5Format), MustParseFormat("interface-id srcaddr dstaddr action")} {
		p := NewParser("skip", format)
		var r Flow
		kind := p.Parse(line, &r)
		header := kind == LineHeader || kind == LineMalformed && p.Stats().ByReason[ReasonHeader] > 0
		if (header || kind == LineBlank) && !MustParse(line) {
			t.Fatalf("%q is a %v line (format %s) that MustParse lets a prefilter skip", line, kind, format.Spec())
		}
	}
}

func TestMustParse(t *testing.T) {
	for _, tc := range []struct {
		line string
		want bool
	}{
		{"", true},
		{" \t\r", true},
		{"version account-id interface-id", true},
		{"  \tversion srcaddr", true},
		{"${version} ${srcaddr}", true},
		{"$bad", true},
		{"end", true},
		{"end start", true},
		{"endx start", false},
		{"eni-0abc 10.0.0.1 10.0.0.2 ACCEPT", false},
		{"2 123456789010 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 1 1 REJECT OK", false},
		{"Version srcaddr", false}, // Parse reads only lower case as a header
		{"garbage REJECT line", false},
	} {
		if got := MustParse([]byte(tc.line)); got != tc.want {
			t.Errorf("MustParse(%q) = %v, want %v", tc.line, got, tc.want)
		}
		mustParseHolds(t, []byte(tc.line))
	}
}

func TestSkipCounts(t *testing.T) {
	p := NewParser("skip", nil)
	var r Flow
	p.Parse([]byte("2 123456789010 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 1 1 REJECT OK"), &r)
	p.Skip(5)
	p.Parse([]byte("bad line"), &r)
	st := p.Stats()
	if st.Lines != 7 || st.Skipped != 5 || st.Records != 1 || st.Malformed != 1 || st.Samples[0].Line != 7 {
		t.Fatalf("%+v", st)
	}
	var total Stats
	total.Add(st)
	total.Add(st)
	if total.Skipped != 10 {
		t.Fatalf("Add lost the skipped lines: %+v", total)
	}
}

// FuzzMustParse: no line Parse takes for a header or a blank escapes MustParse.
func FuzzMustParse(f *testing.F) {
	for _, s := range []string{"version srcaddr", "\v\fend", "${a}", "\t", "end\tstart", "action\x00", "2 1 eni-1"} {
		f.Add([]byte(s))
	}
	f.Fuzz(mustParseHolds)
}
