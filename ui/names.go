package ui

import (
	"net/netip"

	"github.com/flowlens/flowlens/model/rules"
)

// Names names what the records only number: an address as its interface's or instance's
// Name tag ("db-1"), an interface as its Name tag or description ("ELB app/web", "NAT
// gateway"). It is the part of model/names' Lookup the explorer uses, with the same
// method names, so a *names.Lookup satisfies it; "" means unknown. A nil Names, in
// Options, means no names are shown.
type Names interface {
	Addr(a netip.Addr) string
	Interface(id string) string
}

// ruleLearner is a Names that also reads names out of rules sets (a *names.Lookup reads
// interfaces' tags and descriptions and groups' names).
type ruleLearner interface{ AddRules(*rules.Set) }

// addRuleNames gives the names lookup a rules set the explorer has accepted: the one
// place names join, so they come from the same rules as the verdicts (not from a live
// fetch made stale by a reload, nor from a reload that failed half way).
func (m *Model) addRuleNames(rs *rules.Set) {
	if l, ok := m.opts.Names.(ruleLearner); ok && rs != nil {
		l.AddRules(rs)
	}
}
