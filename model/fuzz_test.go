package model

import (
	"bytes"
	"testing"
)

// FuzzParse feeds arbitrary lines to the parser in the default and a v5 format. It must
// never panic, must classify every line, and a record it accepts must survive being
// written back out and parsed again unchanged.
func FuzzParse(f *testing.F) {
	f.Add([]byte("2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK"))
	f.Add([]byte("2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA"))
	f.Add([]byte("version srcaddr dstaddr ${custom}"))
	f.Add([]byte("\x1f\x8b\x08\x00"))
	f.Add([]byte("2 123456789010 eni-\u009b31m\x9d 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK"))
	f.Fuzz(func(t *testing.T, line []byte) {
		for _, format := range []*Format{DefaultFormat, MustParseFormat(v5Format)} {
			p := NewParser("fuzz", format)
			var r Flow
			kind := p.Parse(line, &r)
			st := p.Stats()
			if st.Lines != 1 || st.Records+st.Headers+st.Blank+st.Malformed != 1 {
				t.Fatalf("line not classified exactly once: %+v", st)
			}
			// The default format's fast path must agree with the general one exactly.
			slow := NewParser("fuzz", format)
			slow.noFast = true
			var r2 Flow
			if k2 := slow.Parse(line, &r2); k2 != kind || kind == LineRecord && !sameFlow(&r, &r2) {
				t.Fatalf("fast path gave %v %+v, general path %v %+v", kind, r, k2, r2)
			}
			if kind != LineRecord {
				continue
			}
			text := r.AppendRecord(nil)
			// What a record holds is clean: no control character, valid UTF-8.
			if !isCleanText(string(text)) {
				t.Fatalf("record %q holds text that is not clean", text)
			}
			q := NewParser("again", r.FormatOf())
			var again Flow
			if q.Parse(text, &again) != LineRecord {
				t.Fatalf("written back %q does not parse: %v", text, q.Stats().Samples)
			}
			if back := again.AppendRecord(nil); !bytes.Equal(back, text) {
				t.Fatalf("round trip changed %q to %q", text, back)
			}
		}
	})
}

// FuzzParseFormat must never panic, and a format it accepts must read back the same.
func FuzzParseFormat(f *testing.F) {
	f.Add(DefaultFormatSpec)
	f.Add("version srcaddr dstaddr")
	f.Add("${a} ${b_c} ${tcp-flags}")
	f.Fuzz(func(t *testing.T, spec string) {
		fm, err := ParseFormat(spec)
		if err != nil {
			return
		}
		again, err := ParseFormat(fm.Spec())
		if err != nil || again != fm {
			t.Fatalf("format %q re-read from %q as %v (%v)", spec, fm.Spec(), again, err)
		}
	})
}

// sameFlow compares two records field by field, as written out.
func sameFlow(a, b *Flow) bool {
	if a.Format != b.Format {
		return false
	}
	return string(a.AppendRecord(nil)) == string(b.AppendRecord(nil)) && a.present == b.present
}

// FuzzInferFormat must never panic; a layout it infers must read the line as a record,
// and its refusal must suggest a --format of the line's field count.
func FuzzInferFormat(f *testing.F) {
	f.Add([]byte("2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK"))
	f.Add([]byte(v5AllFields))
	f.Add([]byte(tgwLine))
	f.Add([]byte("a b c"))
	f.Fuzz(func(t *testing.T, line []byte) {
		n := len(bytes.Fields(line))
		l, err := InferFormat(line)
		if err == nil {
			p := NewParser("fuzz", l.Format)
			var r Flow
			if p.Parse(line, &r) != LineRecord || len(l.Format.Fields) != n {
				t.Fatalf("inferred %s for %q, which does not read as its record", l.Name, line)
			}
			return
		}
		ie, ok := err.(*InferError)
		if !ok || ie.Fields != n {
			t.Fatalf("error %v for %d fields", err, n)
		}
		fm, perr := ParseFormat(ie.Example)
		if perr != nil || len(fm.Fields) != min(max(n, 1), MaxColumns) {
			t.Fatalf("example %q for %d fields: %v", ie.Example, n, perr)
		}
	})
}
