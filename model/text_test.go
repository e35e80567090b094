package model

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// hostile holds the text a crafted or damaged log can carry, each in a field that is
// text (the interface ID) of an otherwise sound record.
var hostile = []struct {
	name, text string
	cleaned    bool
}{
	{"C1 CSI (U+009B), as UTF-8", "eni-\u009b31mred", true},
	{"C1 OSC (U+009D) 52", "eni-\u009d52;c;aGk=\u009c", true},
	{"raw 0x9B, invalid UTF-8", "eni-\x9b2J", true},
	{"raw 0x9D", "eni-\x9d0;title\x9c", true},
	{"truncated UTF-8", "eni-\xe2\x82", true},
	{"overlong UTF-8", "eni-\xc0\xaf", true},
	{"valid UTF-8", "eni-café", false},
}

// A record whose text fields hold C1 controls or invalid UTF-8 is kept (its addresses,
// ports and action are sound), its text cleaned, and counted; valid UTF-8 is kept as it
// is. The default format's fast path leaves such lines to the general one, which agrees.
func TestParseCleansText(t *testing.T) {
	for _, h := range hostile {
		t.Run(h.name, func(t *testing.T) {
			for _, fast := range []bool{true, false} {
				line := "2 123456789010 " + h.text + " 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK"
				p := NewParser("x", nil)
				p.noFast = !fast
				var r Flow
				if kind := p.Parse([]byte(line), &r); kind != LineRecord {
					t.Fatalf("%q: %v %v", line, kind, p.Stats().Samples)
				}
				got := r.Interface.String()
				if !isCleanText(got) {
					t.Errorf("interface %q is not clean", got)
				}
				if h.cleaned != (p.Stats().Cleaned == 1) || h.cleaned != strings.Contains(got, "\uFFFD") {
					t.Errorf("interface %q, cleaned %d, want cleaned %v", got, p.Stats().Cleaned, h.cleaned)
				}
				if !h.cleaned && got != h.text {
					t.Errorf("valid text changed: %q", got)
				}
				if r.DstPort != 22 || r.Action != Accept {
					t.Errorf("the rest of the record was not kept: %+v", r)
				}
			}
		})
	}
	// A custom text column, through the Ext slab.
	p := NewParser("x", MustParseFormat("version srcaddr dstaddr ${note} action"))
	var r Flow
	if p.Parse([]byte("5 10.0.0.1 10.0.0.2 a\u009b\x9d\xffb ACCEPT"), &r) != LineRecord {
		t.Fatal(p.Stats().Samples)
	}
	if got := string(r.AppendRecord(nil)); !isCleanText(got) || !strings.Contains(got, "a\uFFFD\uFFFD\uFFFDb") {
		t.Errorf("custom column: %q", got)
	}
}

// C0 controls (ESC, BEL, NUL) and DEL make a line binary: malformed, whole.
func TestParseRejectsC0Controls(t *testing.T) {
	for _, text := range []string{"eni-\x1b[31m", "eni-\x1b]52;c;aGk=\x07", "eni-\x7f", "eni-\x00"} {
		line := "2 123 " + text + " 1.2.3.4 5.6.7.8 1 2 6 1 1 1 1 ACCEPT OK"
		_, kind, p := parseOne(t, "", line)
		if kind != LineMalformed || p.Stats().ByReason[ReasonControl] != 1 {
			t.Errorf("%q: %v", line, kind)
		}
		if s := p.Stats().Samples[0].Text; !isCleanText(s) {
			t.Errorf("the sample is not clean: %q", s)
		}
	}
}

func TestCleanText(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"plain", "plain"},
		{"café ünïcode 日本", "café ünïcode 日本"},
		{"red \x1b[31malert\x1b[0m", "red alert"},
		{"clip \x1b]52;c;aGVsbG8=\x07board", "clip board"},
		{"title \x1b]0;pwned\x1b\\ here", "title  here"},
		{"8-bit \u009b2Jclear", "8-bit clear"},
		{"8-bit \u009d52;c;aGk=\u009cosc", "8-bit osc"},
		{"raw \x9b2J", "raw \uFFFD2J"},
		{"bad \xff\xfe utf", "bad \uFFFD\uFFFD utf"},
		{"reset \x1bc done", "reset  done"},
		{"line\nbreak\ttab\r", "line break tab "},
		{"bell\a del\x7f nul\x00", "bell del nul"},
		{"dcs \x1bPq#0;2;0;0;0\x1b\\ end", "dcs  end"},
		{"apc \x1b_G\x1b\\ end", "apc  end"},
		{"cut \x1b[", "cut "},
		{"\uFFFD stays", "\uFFFD stays"},
	} {
		if got := CleanText(c.in); got != c.want {
			t.Errorf("CleanText(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	clean := "eni-0123456789abcdef0"
	if n := testing.AllocsPerRun(100, func() { _ = CleanText(clean) }); n != 0 {
		t.Errorf("clean text allocates %.0f times", n)
	}
}

// FuzzCleanText: whatever goes in, what comes out is valid UTF-8 without a control
// character, cleaning it again changes nothing, and clean text is left alone.
func FuzzCleanText(f *testing.F) {
	for _, h := range hostile {
		f.Add(h.text)
	}
	f.Add("red \x1b[31malert\x1b[0m \x1b]52;c;aGk=\x07")
	f.Fuzz(func(t *testing.T, s string) {
		out := CleanText(s)
		if !utf8.ValidString(out) || strings.ContainsFunc(out, isControl) {
			t.Fatalf("CleanText(%q) = %q", s, out)
		}
		if again := CleanText(out); again != out {
			t.Fatalf("not idempotent: %q then %q", out, again)
		}
		if isCleanText(s) && out != s {
			t.Fatalf("clean %q changed to %q", s, out)
		}
	})
}
