package pushdown

import (
	"strings"
	"testing"
	"time"

	"github.com/flowlens/flowlens/model/filter"
)

// The filter's newer value forms (sizes with units, times of day, durations before now)
// reach the push-down compilers through filter.ResolveLeaf, so they are translated like
// the numbers they stand for. A relative time is pinned first (filter.Pin), so that the
// pushed-down form and flowlens's own filter name the same instant.
func TestNewValueFormsPushDown(t *testing.T) {
	now := time.Date(2024, 5, 1, 12, 30, 45, 0, time.UTC)
	for _, c := range []struct {
		expr, column, want string
	}{
		{"bytes>1MB", "bytes", "bytes>=1000001"},
		{"bytes>=1.5KiB", "bytes", "bytes>=1536"},
		{"start>=09:10", "start", "start>=1714554600"},
		{"start>=15m", "start", "start>=1714565745"},
	} {
		pinned, err := filter.Pin(c.expr, filter.Options{Now: now})
		if err != nil {
			t.Fatalf("%s: %v", c.expr, err)
		}
		r, err := Pattern(mustParse(t, pinned), nil)
		if err != nil {
			t.Fatalf("%s: %v", c.expr, err)
		}
		if got := slot(r.Text, c.column); got != c.want {
			t.Errorf("%s (pinned %s): pattern slot %q, want %q (in %s)", c.expr, pinned, got, c.want, r.Text)
		}
		sql, err := SQL(mustParse(t, pinned), SQLOptions{Table: "flows"})
		if err != nil {
			t.Fatalf("%s: %v", c.expr, err)
		}
		num := strings.TrimPrefix(c.want, c.column+">=")
		if !strings.Contains(sql.Text, num) {
			t.Errorf("%s: SQL lacks %s: %s", c.expr, num, sql.Text)
		}
	}
}
