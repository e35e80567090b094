package pairs

import (
	"errors"
	"testing"

	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/filter"
)

// FuzzCompileFilter: the pairs view compiles on every keystroke; any text compiles or is
// refused with a positioned *filter.Error, and a compiled filter runs on a real pair.
func FuzzCompileFilter(f *testing.F) {
	for _, s := range []string{"verdict=nacl", "verdict=blocked dport=22", "initiator=203.0.113.0/24:1024-65535", "responder=:ssh", "blocked=request or not verdict=accepted", "verdict=nacll", "initiator=[2001:db8::1]:443", "(verdict=", "joint-verdict=sg", "joint-verdict!=none and verdict=no-response"} {
		f.Add(s)
	}
	p := model.NewParser("fuzz", nil)
	ix := NewIndex()
	var recs []model.Flow
	for i, l := range []string{
		"2 123456789010 eni-1235b8ca123456789 203.0.113.12 172.31.16.139 0 0 1 4 336 1432917027 1432917142 ACCEPT OK",
		"2 123456789010 eni-1235b8ca123456789 172.31.16.139 203.0.113.12 0 0 1 4 336 1432917094 1432917142 REJECT OK",
	} {
		var r model.Flow
		p.Parse([]byte(l), &r)
		recs = append(recs, r)
		ix.Add(uint64(i), &recs[i])
	}
	record := func(seq uint64) *model.Flow {
		if seq < uint64(len(recs)) {
			return &recs[seq]
		}
		return nil
	}
	f.Fuzz(func(t *testing.T, expr string) {
		match, err := CompileFilter(expr, record, filter.Options{})
		if err != nil {
			var fe *filter.Error
			if !errors.As(err, &fe) || fe.Pos < 1 {
				t.Fatalf("%.200q: error %v is not a positioned *filter.Error", expr, err)
			}
			return
		}
		for _, pr := range ix.All() {
			j := ix.Judge(pr, nil)
			match(pr, &j)
			j.JointVerdict = ix.JointVerdict(pr, nil)
			match(pr, &j)
		}
	})
}
