package cli

import (
	"strings"
	"testing"
)

// The bar is drawn in place on a terminal, cleared before a line of its own is printed
// and at the end, so that notes and the summary never mix with it; off a terminal it
// writes nothing, while lines still go out.
func TestProgressLine(t *testing.T) {
	var b strings.Builder
	p := newProgressLine(&b, true)
	stop := p.run(func() string { return "flowlens: 3/9 objects" })
	p.println("flowlens: note: x")
	stop()
	out := b.String()
	if !strings.HasPrefix(out, "\rflowlens: 3/9 objects\x1b[K") || !strings.Contains(out, "\r\x1b[Kflowlens: note: x\n") || strings.HasSuffix(out, "\x1b[K") && !strings.HasSuffix(out, "\r\x1b[K") {
		t.Fatalf("terminal output %q", out)
	}
	b.Reset()
	p = newProgressLine(&b, false)
	stop = p.run(func() string { return "bar" })
	p.println("line")
	stop()
	if b.String() != "line\n" {
		t.Fatalf("off a terminal: %q", b.String())
	}
}
