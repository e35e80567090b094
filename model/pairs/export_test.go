package pairs

import "github.com/flowlens/flowlens/model/rules"

// EachJudged judges every conversation of b in full, for the tests that compare a
// Batch's judgements with an Index's.
func EachJudged(b *Batch, rs *rules.Set, f func(*Pair, *Judgement)) {
	b.finish(2)
	j := &judger{}
	j.init(b, rs)
	for n := range b.Len() {
		p, jd := j.judge(uint32(n), depthFull, nil)
		f(p, jd)
	}
}

// FlowWays returns direction s's records by flow-direction (ingress, egress), which
// the pair keeps out of its Dirs.
func FlowWays(p *Pair, s Side) [2]int32 {
	w := p.ways(s)
	return [2]int32{w.ingress, w.egress}
}
