package pairs_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/output"
	"github.com/flowlens/flowlens/model/pairs"
)

// The pairs text table is padded by cells: an interface ID with characters two cells
// wide or with U+FFFD leaves the next column in line.
func TestPairsTextAlignsByCells(t *testing.T) {
	lines := []string{
		"2 123456789012 eni-0a1b2c3d4e5f60718 10.0.0.1 10.0.1.5 40000 443 6 10 5000 1714550000 1714550060 ACCEPT OK",
		"2 123456789012 eni-\xff\xfe\xe4\xb8\xad\xe6\x96\x87 10.0.0.2 10.0.1.5 40001 443 6 10 5000 1714550000 1714550060 ACCEPT OK",
		"2 123456789012 eni-0a\xff 10.0.0.3 10.0.1.5 40001 22 6 10 5000 1714550000 1714550060 REJECT OK",
	}
	p := model.NewParser("hostile", nil)
	ix := pairs.NewIndex()
	for i, l := range lines {
		var r model.Flow
		if p.Parse([]byte(l), &r) != model.LineRecord {
			t.Fatalf("not a record: %q", l)
		}
		ix.Add(uint64(i), &r)
	}
	var buf bytes.Buffer
	w, _ := pairs.NewWriter("text", &buf)
	for _, pr := range ix.All() {
		j := ix.Judge(pr, nil)
		w.Write(pr, &j)
	}
	w.Flush()
	col := -1
	for _, row := range strings.Split(strings.TrimSpace(buf.String()), "\n")[1:] {
		cells := output.Width(row[:strings.Index(row, "tcp ")])
		if col >= 0 && cells != col {
			t.Fatalf("the protocol starts at cell %d here and %d above:\n%s", cells, col, buf.String())
		}
		col = cells
	}
}
