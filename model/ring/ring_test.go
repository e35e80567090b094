package ring

import (
	"testing"

	"github.com/flowlens/flowlens/model"
)

// recs makes n records whose Packets count is their ordinal from start, so a test can
// tell which record it got back.
func recs(start, n int) []model.Flow {
	out := make([]model.Flow, n)
	for i := range out {
		out[i].SetUint(model.FPackets, uint64(start+i))
	}
	return out
}

func TestRingWrapKeepsSequenceNumbers(t *testing.T) {
	r := New(5)
	if first := r.Append(recs(0, 3)); first != 0 {
		t.Fatalf("first Seq %d", first)
	}
	if first := r.Append(recs(3, 4)); first != 3 {
		t.Fatalf("second batch first Seq %d", first)
	}
	// 7 appended into 5: Seqs 2..6 held, 2 dropped.
	if r.Len() != 5 || r.First() != 2 || r.Next() != 7 || r.Dropped() != 2 {
		t.Fatalf("len %d first %d next %d dropped %d", r.Len(), r.First(), r.Next(), r.Dropped())
	}
	for s := Seq(0); s < 9; s++ {
		f := r.At(s)
		if (f != nil) != (s >= 2 && s < 7) || r.Held(s) != (f != nil) {
			t.Fatalf("At(%d) = %v", s, f)
		}
		if f != nil && f.Packets != uint64(s) {
			t.Fatalf("At(%d) holds record %d", s, f.Packets)
		}
	}
	var got []uint64
	r.Range(0, func(s Seq, f *model.Flow) bool {
		if uint64(s) != f.Packets {
			t.Fatalf("Range gave Seq %d with record %d", s, f.Packets)
		}
		got = append(got, f.Packets)
		return true
	})
	if len(got) != 5 || got[0] != 2 || got[4] != 6 {
		t.Fatalf("Range order %v", got)
	}
	// A batch larger than the ring keeps only its newest records.
	r.Append(recs(7, 12))
	if r.First() != 14 || r.At(14).Packets != 14 || r.At(18).Packets != 18 || r.Dropped() != 14 {
		t.Fatalf("after a big batch: first %d dropped %d", r.First(), r.Dropped())
	}
	n := 0
	r.Range(16, func(Seq, *model.Flow) bool { n++; return n < 2 })
	if n != 2 {
		t.Fatalf("Range did not stop when asked: %d", n)
	}
}

func TestViewIncremental(t *testing.T) {
	r := New(10)
	even := func(f *model.Flow) bool { return f.Packets%2 == 0 }
	v := NewView(r, even)
	r.Append(recs(0, 6))
	if n := v.Update(); n != 3 || v.Len() != 3 {
		t.Fatalf("first update: new %d len %d", n, v.Len())
	}
	r.Append(recs(6, 8)) // 14 appended into 10: 0..3 dropped
	if v.Len() != 1 {    // before Update: 4 is still held; 0 and 2 are gone
		t.Fatalf("len before update %d", v.Len())
	}
	if n := v.Update(); n != 4 {
		t.Fatalf("second update found %d", n)
	}
	want := []uint64{4, 6, 8, 10, 12}
	if v.Len() != len(want) {
		t.Fatalf("len %d, want %d", v.Len(), len(want))
	}
	for i, w := range want {
		if got := v.Record(i).Packets; got != w {
			t.Fatalf("match %d = %d, want %d", i, got, w)
		}
	}
	if i, ok := v.Index(8); i != 2 || !ok {
		t.Fatalf("Index(8) = %d %v", i, ok)
	}
	if i, ok := v.Index(9); i != 3 || ok {
		t.Fatalf("Index(9) = %d %v", i, ok)
	}

	v.SetFilter(nil)
	if v.Len() != 10 || v.At(0) != 4 || v.Record(9).Packets != 13 {
		t.Fatalf("unfiltered view: len %d first %d", v.Len(), v.At(0))
	}
	if i, ok := v.Index(3); i != 0 || ok {
		t.Fatalf("Index of a dropped Seq = %d %v", i, ok)
	}
}

func TestViewCompactsDeadPrefix(t *testing.T) {
	r := New(100)
	v := NewView(r, func(*model.Flow) bool { return true })
	for i := 0; i < 200; i++ {
		r.Append(recs(i*100, 100))
		v.Update()
	}
	if v.Len() != 100 || v.Record(0).Packets != 19900 {
		t.Fatalf("len %d first %d", v.Len(), v.Record(0).Packets)
	}
	if cap(v.seqs) > 20000 {
		t.Fatalf("seqs grew to %d: the dead prefix is not compacted", cap(v.seqs))
	}
}

func TestOnEvictSeesEachDroppedRecordOnce(t *testing.T) {
	r := New(4)
	var evicted []uint64
	r.OnEvict = func(s Seq, f *model.Flow) {
		if uint64(s) != f.Packets {
			t.Fatalf("evicted Seq %d holds record %d", s, f.Packets)
		}
		evicted = append(evicted, f.Packets)
	}
	r.Append(recs(0, 3))
	r.Append(recs(3, 7)) // 10 into 4: 0..5 evicted
	if len(evicted) != 6 || evicted[0] != 0 || evicted[5] != 5 {
		t.Fatalf("evicted %v", evicted)
	}
}

// A refilter in steps never looks at more records per step than its budget, keeps the
// previous matches on show until it is done, and ends with what a refilter at once
// gives, also when records arrive and the oldest are dropped while it runs.
func TestViewStepsARefilter(t *testing.T) {
	r := New(1000)
	even := func(f *model.Flow) bool { return f.Packets%2 == 0 }
	byThree := func(f *model.Flow) bool { return f.Packets%3 == 0 }
	r.Append(recs(0, 1000))
	v := NewView(r, even)
	v.StartFilter(byThree)
	steps, total := 0, 0
	for {
		if done, all, ok := v.Refiltering(); !ok || done > all {
			t.Fatalf("progress %d/%d %v while a refilter is under way", done, all, ok)
		}
		n, pending := v.Step(64)
		if n > 64 {
			t.Fatalf("a step scanned %d records, over its budget of 64", n)
		}
		total += n
		steps++
		if !pending {
			break
		}
		if v.Len() != 500 || v.Record(0).Packets%2 != 0 || v.Record(1).Packets%2 != 0 {
			t.Fatalf("mid-refilter the view shows %d records: it must keep the old matches", v.Len())
		}
		if steps == 5 {
			r.Append(recs(1000, 300)) // 0..299 dropped, 300 more to scan
			v.Update()
		}
	}
	want := NewView(r, byThree)
	if v.Len() != want.Len() {
		t.Fatalf("stepped refilter: %d matches, at once: %d", v.Len(), want.Len())
	}
	for i := 0; i < want.Len(); i++ {
		if v.At(i) != want.At(i) {
			t.Fatalf("match %d: Seq %d, want %d", i, v.At(i), want.At(i))
		}
	}
	if total > 1300 || steps < 1300/64 {
		t.Errorf("scanned %d records in %d steps", total, steps)
	}
	if _, _, ok := v.Refiltering(); ok {
		t.Error("still refiltering after the last step")
	}

	// Cancelled: the filter shown stays.
	v.StartFilter(even)
	v.Step(10)
	v.CancelFilter()
	if n, pending := v.Step(10); n != 0 || pending || v.Len() != want.Len() {
		t.Fatalf("after cancel: step %d %v, len %d", n, pending, v.Len())
	}
	// No filter needs no scan.
	v.StartFilter(nil)
	if _, _, ok := v.Refiltering(); ok || v.Len() != r.Len() {
		t.Fatal("clearing the filter did not apply at once")
	}
}
