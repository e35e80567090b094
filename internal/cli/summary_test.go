package cli

import (
	"strings"
	"testing"

	"github.com/flowlens/flowlens/model"
)

// Values read after the symbol table filled up are explained, and nothing is said when
// there were none.
func TestOverflowNote(t *testing.T) {
	var b strings.Builder
	writeOverflowNote(&b, 0)
	if b.Len() != 0 {
		t.Errorf("a note without overflows: %q", b.String())
	}
	writeOverflowNote(&b, 1234)
	want := `flowlens: note: more than 1,048,575 distinct IDs were read; 1,234 values after that show as "` + model.OverflowText + "\"\n"
	if b.String() != want {
		t.Errorf("note %q\nwant %q", b.String(), want)
	}
}

// The summary's counts have thousands separators, the count of sources too.
func TestSummarySeparatesThousands(t *testing.T) {
	var b strings.Builder
	writeSummary(&b, &model.Stats{Records: 12345}, 0, 10_000, false)
	if !strings.Contains(b.String(), "12,345 records read from 10,000 sources") {
		t.Errorf("%q", b.String())
	}
}
