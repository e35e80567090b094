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
