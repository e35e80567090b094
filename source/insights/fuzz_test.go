package insights

import (
	"testing"
	"time"
)

// FuzzParseTimestamp: any text Insights could put in @timestamp or a bin column is read
// or refused, never a panic; what is read as Insights' layout writes back the same.
func FuzzParseTimestamp(f *testing.F) {
	for _, s := range []string{"2025-03-01 12:05:00.000", "2025-03-01 12:05:00", "1700000000000", "", "2025-13-01 00:00:00.000", "-1", "9999-12-31 23:59:59.999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ms, err := ParseTimestamp(s)
		if err != nil {
			return
		}
		if tm, perr := time.Parse(timestampLayout, s); perr == nil {
			if back := time.UnixMilli(ms).UTC().Format(timestampLayout); back != tm.Format(timestampLayout) {
				t.Fatalf("%q read as %d, written back as %q", s, ms, back)
			}
		}
	})
}
