package output

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/flowlens/flowlens/model"
)

// hostileLines carry what a crafted or damaged log can in its text fields: C1 controls
// (U+009B, a one-character CSI; U+009D, OSC), raw 0x9B and 0x9D bytes, invalid UTF-8,
// and, refused by the parser as binary, ESC sequences and OSC 52.
var hostileLines = []string{
	"2 123456789010 eni-0aaa\u009b2J\u009d52;c;aGk=\u009c 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK",
	"2 123456789010 eni-\x9b31m\x9d\xff 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 REJECT OK",
	"2 123456789010 eni-\xe2\x82 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK",
	"2 123456789010 eni-0ccc\x1b[2J 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK",
	"2 123456789010 eni-0ddd\x1b]52;c;aGVsbG8=\x07 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK",
	"2 123456789010 eni-0123456789abcdef0 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK",
}

// Every output format of `flowlens print` (and the explorer's export) writes no control
// byte but the line ends, and valid UTF-8, whatever the records' text held; the text
// table stays aligned where a field held invalid UTF-8.
func TestOutputsWriteNoControlBytes(t *testing.T) {
	p := model.NewParser("hostile", nil)
	var recs []model.Flow
	for _, l := range hostileLines {
		var r model.Flow
		if p.Parse([]byte(l), &r) == model.LineRecord {
			recs = append(recs, r)
		}
	}
	if len(recs) != 4 || p.Stats().Malformed != 2 {
		t.Fatalf("%d records, %d malformed", len(recs), p.Stats().Malformed)
	}
	for _, kind := range Kinds {
		var buf bytes.Buffer
		w, err := New(kind, &buf)
		if err != nil {
			t.Fatal(err)
		}
		for i := range recs {
			if err := w.Write(&recs[i]); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		out := buf.String()
		if bad := controlIn(out); bad != "" {
			t.Errorf("%s output: %s", kind, bad)
		}
		if kind == "text" {
			lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
			want := strings.Index(TextHeader, "SOURCE")
			for _, l := range lines[1:] {
				if got := utf8.RuneCountInString(l[:strings.Index(l, "172.31.16.139")]); got != want {
					t.Errorf("the source column starts at %d, not %d, in %q", got, want, l)
				}
			}
		}
	}
}

// controlIn describes the first control character or invalid UTF-8 in out, "" if none.
func controlIn(out string) string {
	if !utf8.ValidString(out) {
		return "invalid UTF-8"
	}
	for i, r := range out {
		if r != '\n' && (r < 0x20 || r >= 0x7f && r < 0xa0) {
			return fmt.Sprintf("control character %U at byte %d: %q", r, i, out[max(0, i-20):min(len(out), i+20)])
		}
	}
	return ""
}
