package output_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/output"
)

// The text table stays in line whatever an interface ID holds: invalid UTF-8 (shown as
// U+FFFD, three bytes in one cell) or characters two cells wide. Columns are padded by
// cells, so the source address starts in the same cell on every row.
func TestTextColumnsAlignByCells(t *testing.T) {
	lines := []string{
		"2 123456789012 eni-0a1b2c3d4e5f60718 10.0.0.1 10.0.1.5 40000 443 6 10 5000 1714550000 1714550060 ACCEPT OK",
		"2 123456789012 eni-\xff\xfe\xe4\xb8\xad\xe6\x96\x87 10.0.0.2 10.0.1.5 40001 443 6 10 5000 1714550000 1714550060 ACCEPT OK",
		"2 123456789012 eni-0a\xff 10.0.0.3 10.0.1.5 40001 22 6 10 5000 1714550000 1714550060 REJECT OK",
	}
	p := model.NewParser("hostile", nil)
	var buf bytes.Buffer
	w, _ := output.New("text", &buf)
	for _, l := range lines {
		var r model.Flow
		if p.Parse([]byte(l), &r) != model.LineRecord {
			t.Fatalf("not a record: %q", l)
		}
		w.Write(&r)
	}
	w.Flush()
	col := -1
	for _, row := range strings.Split(strings.TrimSpace(buf.String()), "\n")[1:] {
		at := strings.Index(row, "10.0.0.")
		cells := output.Width(row[:at])
		if col >= 0 && cells != col {
			t.Fatalf("the source starts at cell %d here and %d above:\n%s", cells, col, buf.String())
		}
		col = cells
	}
}
