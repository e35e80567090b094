package cloudwatch

import (
	"strings"

	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/filter"
	"github.com/flowlens/flowlens/model/pushdown"
)

// pushed is what the source hands CloudWatch of flowlens's filter: the filter pattern
// of each group for FilterLogEvents, the one of the Live Tail session, and the node
// the Insights queries are compiled from. flowlens applies its whole filter to what
// arrives, so what is pushed may keep more than the filter, never less.
type pushed struct {
	expr string
	// node is the part of the filter pushed: all of it for print, the part that keeps
	// both directions of every conversation for the explorer and pairs
	// (pushdown.BothDirections); nil pushes nothing.
	node filter.Node
	// terms are node's top-level parts as typed, for the status bar.
	terms []string
	// patterns are the filterPattern of each group ("" reads every event), live the
	// logEventFilterPattern of the session, which spans every group.
	patterns []string
	live     string
	// exact is set when every pattern keeps exactly what node keeps.
	exact bool
	notes []string
}

// compilePush compiles the part of expr the source may push. A filter that does not
// parse pushes nothing; the caller has reported it already.
func (s *Source) compilePush(expr string) pushed {
	p := pushed{expr: expr, exact: true, patterns: make([]string, len(s.groups))}
	node, err := filter.Parse(expr)
	if err != nil || node == nil {
		return p
	}
	if s.cfg.Conversations {
		both := pushdown.BothDirections(node)
		p.node, p.terms = both.Node, both.Terms
	} else {
		p.node = node
		for _, part := range conjuncts(node) {
			p.terms = append(p.terms, filter.String(part))
		}
	}
	if p.node == nil {
		return p
	}
	use := func(res pushdown.Result, err error) string {
		switch {
		case err != nil:
			p.exact = false
			p.notes = append(p.notes, err.Error())
			return ""
		case res.Never:
			// An empty pattern would read everything, which is also right: flowlens's
			// filter then drops every record.
			p.notes = append(p.notes, res.Notes...)
			return ""
		}
		if !res.Exact {
			p.exact = false
			p.notes = append(p.notes, res.Notes...)
		}
		return res.Text
	}
	for g := range s.groups {
		p.patterns[g] = use(pushdown.PatternForFormats(p.node, s.groupFormats(g)))
	}
	p.live = use(pushdown.PatternForFormats(p.node, s.picker.formats))
	return p
}

// any reports whether a pattern narrows anything.
func (p *pushed) any() bool {
	if p.live != "" {
		return true
	}
	for _, pat := range p.patterns {
		if pat != "" {
			return true
		}
	}
	return false
}

// samePatterns reports whether two pushes send CloudWatch the same thing.
func (p *pushed) samePatterns(o *pushed) bool {
	if p.live != o.live || len(p.patterns) != len(o.patterns) || filter.String(p.node) != filter.String(o.node) {
		return false
	}
	for i := range p.patterns {
		if p.patterns[i] != o.patterns[i] {
			return false
		}
	}
	return true
}

// implies reports whether every record p's filter part keeps is kept by o's: then the
// events o fetched hold everything p asks for, and nothing needs to be fetched again.
// It is sure only when o pushed nothing, or when p is o with more parts "and"-ed to
// it; otherwise it says no, and the caller fetches again (the repeats are dropped).
func (p *pushed) implies(o *pushed) bool {
	if o.node == nil {
		return true
	}
	if p.node == nil {
		return false
	}
	have := map[string]bool{}
	for _, part := range conjuncts(p.node) {
		have[filter.String(part)] = true
	}
	for _, part := range conjuncts(o.node) {
		if !have[filter.String(part)] {
			return false
		}
	}
	return true
}

// describe is the status bar's "pushed" field: the parts pushed, marked when the
// pattern keeps more than they do. insights says the history is read by Insights, which
// takes every part exactly even when no pattern could.
func (p *pushed) describe(insights bool) string {
	if p.node == nil {
		return ""
	}
	text := strings.Join(p.terms, " ")
	switch {
	case p.any() && !p.exact:
		return text + " (looser)"
	case p.any():
		return text
	case insights:
		return text + " (history only)"
	}
	return ""
}

// conjuncts splits a filter's top-level "and".
func conjuncts(n filter.Node) []filter.Node {
	if a, ok := n.(*filter.And); ok {
		return append(conjuncts(a.L), conjuncts(a.R)...)
	}
	if n == nil {
		return nil
	}
	return []filter.Node{n}
}

// groupFormats are the formats of the flow logs that deliver to group g.
func (s *Source) groupFormats(g int) []*model.Format {
	var out []*model.Format
	for _, i := range s.picker.byGroup[g] {
		out = append(out, s.picker.formats[i])
	}
	return out
}
