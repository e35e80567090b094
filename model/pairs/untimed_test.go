package pairs_test

import (
	"fmt"
	"math/rand"
	"testing"
	"unsafe"

	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/pairs"
	"github.com/flowlens/flowlens/model/ring"
)

// Records without a start or an end (written `-`) are counted out of line, so that a
// Pair stays in its size class; First and Last over the timed records held must stay
// exact as records of both kinds leave the ring, and a judgement cached in the
// out-of-line state must not outlive a change.
func TestUntimedRecordsLeaveExactly(t *testing.T) {
	if s := unsafe.Sizeof(pairs.Pair{}); s > 240 {
		t.Errorf("a Pair is %d bytes, more than its 240-byte size class", s)
	}
	rnd := rand.New(rand.NewSource(7))
	p := model.NewParser("t", nil)
	var recs []model.Flow
	for i := 0; i < 3000; i++ {
		src, dst, sp, dp := "10.0.0.1", "10.0.0."+fmt.Sprint(2+rnd.Intn(3)), 40000+rnd.Intn(2), 443
		if rnd.Intn(2) == 0 { // the reply
			src, dst, sp, dp = dst, src, dp, sp
		}
		start, end := "-", "-"
		if rnd.Intn(4) != 0 {
			s := 1_700_000_000 + rnd.Intn(600)
			start, end = fmt.Sprint(s), fmt.Sprint(s+rnd.Intn(120))
		} else if rnd.Intn(2) == 0 {
			start = fmt.Sprint(1_700_000_000 + rnd.Intn(600)) // a start without an end
		}
		action := []string{"ACCEPT", "REJECT"}[rnd.Intn(2)]
		line := fmt.Sprintf("2 123456789012 eni-0123456789abcdef0 %s %s %d %d 6 %d %d %s %s %s OK", src, dst, sp, dp, 1+rnd.Intn(9), 100+rnd.Intn(900), start, end, action)
		var r model.Flow
		if p.Parse([]byte(line), &r) != model.LineRecord {
			t.Fatalf("%q: %v", line, p.Stats().Samples)
		}
		recs = append(recs, r)
	}
	rg := ring.New(250)
	ix := pairs.NewIndex()
	rg.OnEvict = func(_ ring.Seq, r *model.Flow) { ix.Remove(r) }
	for i := range recs {
		first := rg.Append(recs[i : i+1])
		ix.Add(uint64(first), rg.At(first))
		if i%97 != 0 {
			continue
		}
		// Judge every pair (its judgement cached), then compare with a rebuild.
		fresh := pairs.NewIndex()
		rg.Range(rg.First(), func(s ring.Seq, r *model.Flow) bool { fresh.Add(uint64(s), r); return true })
		if ix.Len() != fresh.Len() {
			t.Fatalf("record %d: %d pairs, %d rebuilt", i, ix.Len(), fresh.Len())
		}
		for _, q := range fresh.All() {
			got := ix.Lookup(q.Key)
			if got == nil || got.Dirs != q.Dirs {
				t.Fatalf("record %d: pair %v\n held    %+v\n rebuilt %+v", i, q.Key, got.Dirs, q.Dirs)
			}
			if a, b := ix.Judge(got, nil), fresh.Judge(q, nil); a.Verdict != b.Verdict || a.Explanation != b.Explanation {
				t.Fatalf("record %d: pair %v judged %s (%s), rebuilt %s (%s)", i, q.Key, a.Verdict, a.Explanation, b.Verdict, b.Explanation)
			}
		}
	}
	if rg.Dropped() == 0 {
		t.Fatal("the ring dropped nothing: the test tests nothing")
	}
}
