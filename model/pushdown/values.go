package pushdown

import (
	"math"
	"slices"

	"github.com/flowlens/flowlens/model/filter"
)

// span is an inclusive range of numbers.
type span struct{ lo, hi uint64 }

// valueSet is a set of numbers as sorted, disjoint, non-adjacent spans.
type valueSet []span

var fullSet = valueSet{{0, math.MaxUint64}}

func (s valueSet) union(o valueSet) valueSet {
	all := append(slices.Clone(s), o...)
	slices.SortFunc(all, func(a, b span) int {
		switch {
		case a.lo < b.lo:
			return -1
		case a.lo > b.lo:
			return 1
		}
		return 0
	})
	var out valueSet
	for _, sp := range all {
		if n := len(out); n > 0 && (out[n-1].hi == math.MaxUint64 || sp.lo <= out[n-1].hi+1) {
			out[n-1].hi = max(out[n-1].hi, sp.hi)
			continue
		}
		out = append(out, sp)
	}
	return out
}

func (s valueSet) complement() valueSet {
	var out valueSet
	next := uint64(0)
	done := false
	for _, sp := range s {
		if sp.lo > next {
			out = append(out, span{next, sp.lo - 1})
		}
		if sp.hi == math.MaxUint64 {
			done = true
			break
		}
		next = sp.hi + 1
	}
	if !done {
		out = append(out, span{next, math.MaxUint64})
	}
	return out
}

func (s valueSet) intersect(o valueSet) valueSet {
	return s.complement().union(o.complement()).complement()
}

// numericSet evaluates a condition on one numeric field as the set of values that pass
// and whether a record without a value passes. ok is false when the condition holds an
// atom that is not numeric.
func numericSet(c *cond) (set valueSet, absent bool, ok bool) {
	switch c.op {
	case opTrue:
		return fullSet, true, true
	case opFalse:
		return nil, false, true
	case opAnd, opOr:
		for i, k := range c.kids {
			ks, ka, kok := numericSet(k)
			if !kok {
				return nil, false, false
			}
			switch {
			case i == 0:
				set, absent = ks, ka
			case c.op == opAnd:
				set, absent = set.intersect(ks), absent && ka
			default:
				set, absent = set.union(ks), absent || ka
			}
		}
		return set, absent, true
	}
	var s valueSet
	switch c.atom.kind {
	case filter.LeafNumber:
		s = valueSet{{c.atom.lo, c.atom.hi}}
	case filter.LeafFlags:
		s = flagSet(c.atom.need, c.atom.exclude)
	default:
		return nil, false, false
	}
	if c.neg {
		return s.complement(), true, true
	}
	return s, false, true
}

// flagSet lists the values 0-255 that have every bit of need and none of exclude.
func flagSet(need, exclude uint8) valueSet {
	var s valueSet
	for v := 0; v < 256; v++ {
		if uint8(v)&need == need && uint8(v)&exclude == 0 {
			s = s.union(valueSet{{uint64(v), uint64(v)}})
		}
	}
	return s
}

// points reports whether every span is a single value.
func (s valueSet) points() bool {
	for _, sp := range s {
		if sp.lo != sp.hi {
			return false
		}
	}
	return true
}
