package feed

import (
	"slices"
	"testing"
)

func TestSetFieldKeepsOrderAndNeverChangesACopy(t *testing.T) {
	var st Status
	st.SetField("mode", "live tail")
	st.SetField("session", "5s")
	st.SetField("pushed", "")         // nothing to remove
	handedOut := st                   // a copy in a batch, read by the screen
	st.SetField("session", "6s")      // replaced in place of the old value
	st.SetField("scanned", "1.2 GiB") // added at the end
	st.SetField("mode", "polling")    // first stays first
	if got := labels(st); !slices.Equal(got, []string{"mode", "session", "scanned"}) {
		t.Fatalf("labels %v", got)
	}
	if v, _ := st.Field("session"); v != "6s" {
		t.Errorf("session %q", v)
	}
	if v, _ := handedOut.Field("session"); v != "5s" || len(handedOut.Fields) != 2 || handedOut.Fields[0].Value != "live tail" {
		t.Errorf("a copy handed out earlier changed: %v", handedOut.Fields)
	}
	before := st
	st.SetField("session", "")
	if got := labels(st); !slices.Equal(got, []string{"mode", "scanned"}) {
		t.Fatalf("after removing: %v", got)
	}
	if len(before.Fields) != 3 || before.Fields[1].Label != "session" {
		t.Errorf("removing changed a copy: %v", before.Fields)
	}
	if _, ok := st.Field("session"); ok {
		t.Error("a removed field is still found")
	}
}

func labels(st Status) []string {
	var out []string
	for _, f := range st.Fields {
		out = append(out, f.Label)
	}
	return out
}

func TestProgressFraction(t *testing.T) {
	for _, tc := range []struct {
		p    Progress
		want float64
		ok   bool
	}{
		{Progress{Done: 5, Total: 10}, 0.5, true},
		{Progress{Done: 12, Total: 10, Unit: Objects}, 1, true}, // a file that grew while read
		{Progress{Done: 5}, 0, false},                           // stdin: no total
	} {
		if got, ok := tc.p.Fraction(); got != tc.want || ok != tc.ok {
			t.Errorf("%+v: %v %v, want %v %v", tc.p, got, ok, tc.want, tc.ok)
		}
	}
	if Objects.String() != "objects" || Bytes.String() != "bytes" {
		t.Error("unit names")
	}
}
