package stats

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/filter"
)

// checkGrouper groups random records by a random choice of fields (and a bin, and a
// distinct count) and compares every group with a naive grouping keyed by the values
// as the flow log writes them.
func checkGrouper(t *testing.T, seed uint64, n int) {
	rng := rand.New(rand.NewPCG(seed, 3))
	g := gen{rng}
	pool := []model.Field{model.FSrcAddr, model.FDstAddr, model.FSrcPort, model.FDstPort, model.FProtocol,
		model.FAction, model.FLogStatus, model.FInterfaceID, model.FStart}
	var by []Column
	for _, f := range pool {
		if rng.IntN(3) == 0 {
			by = append(by, Column{f, f.Name()})
		}
	}
	spec := Spec{By: by, Top: 0}
	if rng.IntN(2) == 0 {
		spec.Bin = time.Duration(1+rng.IntN(30)) * time.Minute
	}
	dist := pool[rng.IntN(len(pool))]
	spec.Distinct = &Column{dist, dist.Name()}
	grouper, err := NewGrouper(spec)
	if err != nil {
		t.Fatal(err)
	}
	type sums struct {
		Metrics
		seen map[string]bool
	}
	want := map[string]*sums{}
	for range n {
		r := g.flow()
		grouper.Add(&r)
		var key []string
		if spec.Bin > 0 {
			if r.Has(model.FStart) {
				s := uint64(spec.Bin / time.Second)
				key = append(key, time.Unix(int64(uint64(r.Start)/s*s), 0).UTC().Format(time.RFC3339))
			} else {
				key = append(key, "-")
			}
		}
		for _, c := range by {
			key = append(key, r.Value(c.Field))
		}
		k := strings.Join(key, " ")
		s := want[k]
		if s == nil {
			s = &sums{seen: map[string]bool{}}
			want[k] = s
		}
		s.Flows++
		s.Packets += r.Packets
		s.Bytes += r.Bytes
		if r.Action == model.Reject {
			s.Rejects++
		}
		if v := r.Value(dist); v != "-" && !s.seen[v] {
			s.seen[v] = true
			s.Distinct++
		}
	}
	res := grouper.Result()
	if res.Len() != len(want) || res.Groups != len(want) {
		t.Fatalf("seed %d: %d rows, %d groups, naive %d", seed, res.Len(), res.Groups, len(want))
	}
	for i, row := range res.Rows() {
		var key []string
		if spec.Bin > 0 {
			if row.Bin.IsZero() {
				key = append(key, "-")
			} else {
				key = append(key, row.Bin.Format(time.RFC3339))
			}
		}
		for _, v := range row.Values {
			key = append(key, v.String())
		}
		k := strings.Join(key, " ")
		s := want[k]
		if s == nil || s.Metrics != row.Metrics {
			t.Fatalf("seed %d: group %q: %+v, naive %+v", seed, k, row.Metrics, s)
		}
		if i == 0 {
			continue
		}
		prev := res.Row(i - 1)
		ordered := prev.Flows >= row.Flows
		if spec.Bin > 0 { // time order, the null bin last
			ordered = row.Bin.IsZero() || !prev.Bin.IsZero() && !prev.Bin.After(row.Bin)
		}
		if !ordered {
			t.Fatalf("seed %d: rows out of order at %d", seed, i)
		}
	}
}

func TestGrouperMatchesNaive(t *testing.T) {
	for seed := uint64(1); seed <= 50; seed++ {
		checkGrouper(t, seed, 2000)
	}
}

func FuzzGrouper(f *testing.F) {
	f.Add(uint64(1), uint16(100))
	f.Add(uint64(77), uint16(3000))
	f.Fuzz(func(t *testing.T, seed uint64, n uint16) {
		checkGrouper(t, seed, int(n%5000))
	})
}

// FuzzParseColumns: any --by list gives columns or an error, never a panic; the columns
// are fields a record can be grouped by, each named once.
func FuzzParseColumns(f *testing.F) {
	for _, s := range []string{"srcaddr", "dport,action", "SRC_ADDR", "addr", "bytes", ",,", "src, dst ,eni", "x\x00y", "dsport"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, list string) {
		cols, err := ParseColumns(list, filter.Options{})
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		seen := map[model.Field]bool{}
		for _, c := range cols {
			if c.Field == model.FPackets || c.Field == model.FBytes || seen[c.Field] || !utf8.ValidString(c.Name) || c.Name == "" {
				t.Fatalf("%q gave column %+v", list, c)
			}
			seen[c.Field] = true
		}
		if _, err := NewGrouper(Spec{By: cols}); err != nil {
			t.Fatalf("%q: columns the grouper refuses: %v", list, err)
		}
	})
}

func ExampleGrouper() {
	p := model.NewParser("example", nil)
	g, _ := NewGrouper(Spec{By: []Column{{model.FDstPort, "dstport"}}, Sort: Bytes})
	for _, line := range []string{
		"2 123456789010 eni-a 203.0.113.7 10.0.0.5 40000 22 6 10 840 1700000000 1700000060 REJECT OK",
		"2 123456789010 eni-a 198.51.100.1 10.0.0.5 40001 443 6 20 9000 1700000000 1700000060 ACCEPT OK",
		"2 123456789010 eni-a 203.0.113.7 10.0.0.5 40002 22 6 5 420 1700000005 1700000060 REJECT OK",
	} {
		var r model.Flow
		p.Parse([]byte(line), &r)
		g.Add(&r)
	}
	for _, row := range g.Result().Rows() {
		fmt.Println(row.Values[0], row.Flows, row.Bytes, row.Rejects)
	}
	// Output:
	// 443 1 9000 0
	// 22 2 1260 2
}

// FuzzParseBin: any --bin value gives a bin the grouper takes, or an error; never a panic.
func FuzzParseBin(f *testing.F) {
	for _, s := range []string{"5m", "1d", "2weeks", "1h30m", "100ms", "1mo", "99999999999999999999d", "-5m", "0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		bin, err := ParseBin(s)
		if err != nil {
			return
		}
		if _, err := NewGrouper(Spec{Bin: bin}); err != nil {
			t.Fatalf("ParseBin(%q) = %s, which the grouper refuses: %v", s, bin, err)
		}
	})
}
