package pairs_test

import (
	"reflect"
	"testing"

	"github.com/flowlens/flowlens/internal/sim"
	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/pairs"
	"github.com/flowlens/flowlens/model/rules"
)

// TestCachedClassificationIsTheSame: a classification made again (classifications are
// not cached, a full judgement is) equals the one first made, field for field, with and
// without rules, and one made after the pair changed is a fresh index's.
func TestCachedClassificationIsTheSame(t *testing.T) {
	for _, f := range sim.Formats() {
		s := sim.Incident(2)
		ix := pairs.NewIndex()
		var recs []model.Flow
		s.Stream(f, 0, func(r *model.Flow) bool {
			recs = append(recs, *r)
			return true
		})
		for i := range recs {
			ix.Add(uint64(i), &recs[i])
		}
		for _, rs := range []*rules.Set{nil, loadRules(t, s.Topology)} {
			for _, p := range ix.All() {
				first := ix.Classify(p, rs)
				if again := ix.Classify(p, rs); !reflect.DeepEqual(first, again) {
					t.Fatalf("%v: cached\n %+v\nfirst\n %+v", p.Key, again, first)
				}
				if first.RequestInbound != nil && ix.Classify(p, rs).RequestInbound != first.RequestInbound {
					t.Fatalf("%v: the cache made a new RequestInbound", p.Key)
				}
			}
		}
		// A rejected reply added to an accepted conversation changes its verdict: the
		// cached classification is not served.
		changed := false
		for i := range recs {
			p, side := ix.Get(&recs[i])
			c := ix.Classify(p, nil)
			if c.Verdict != pairs.Accepted || c.Initiator == pairs.SideUnknown || side == c.Initiator {
				continue
			}
			// Many packets and no FIN or RST: not a packet after the close.
			reply := recs[i]
			reply.Action, reply.Packets, reply.TCPFlags = model.Reject, 50, 16
			ix.Add(uint64(len(recs)), &reply)
			got := ix.Classify(p, nil)
			if got.Verdict != pairs.NACL {
				t.Fatalf("%v: %s after a rejected reply, want %s", p.Key, got.Verdict, pairs.NACL)
			}
			fresh := pairs.NewIndex()
			for i := range recs {
				fresh.Add(uint64(i), &recs[i])
			}
			fresh.Add(uint64(len(recs)), &reply)
			if want := fresh.Classify(fresh.Lookup(p.Key), nil); !reflect.DeepEqual(got, want) {
				t.Fatalf("%v: after the change\n %+v\na fresh index\n %+v", p.Key, got, want)
			}
			changed = true
			break
		}
		if !changed {
			t.Fatalf("no accepted conversation with a reply to change")
		}
	}
}
