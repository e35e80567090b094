package pairs

import (
	"fmt"
	"testing"

	"github.com/flowlens/flowlens/model"
)

// A walk in chunks meets every pair of an unchanged index once, and a pair whose
// records all left says it is gone.
func TestWalkMeetsEveryPair(t *testing.T) {
	ix := NewIndex()
	recs := walkRecords(500)
	for i := range recs {
		ix.Add(uint64(i), &recs[i])
	}
	seen := map[*Pair]int{}
	var got []*Pair
	for at := 0; at < ix.Slots(); {
		got, at = ix.Walk(got[:0], at, 7)
		for _, p := range got {
			seen[p]++
		}
	}
	if len(seen) != ix.Len() || ix.Len() != 500 {
		t.Fatalf("walked %d pairs of %d", len(seen), ix.Len())
	}
	for p, n := range seen {
		if n != 1 || p.Gone() {
			t.Fatalf("pair %v met %d times, gone %v", p.Key, n, p.Gone())
		}
	}
	for i := range recs {
		ix.Remove(&recs[i])
	}
	for p := range seen {
		if !p.Gone() {
			t.Fatalf("pair %v not gone after its records left", p.Key)
		}
	}
}

func walkRecords(n int) []model.Flow {
	p := model.NewParser("walk", nil)
	out := make([]model.Flow, n)
	for i := range out {
		line := fmt.Sprintf("2 123456789012 eni-0a1b2c3d4e5f60718 10.0.%d.%d 10.1.0.5 %d 443 6 1 60 1700000000 1700000060 ACCEPT OK", i/250, i%250+1, 40000+i%3)
		if p.Parse([]byte(line), &out[i]) != model.LineRecord {
			panic(line)
		}
	}
	return out
}
