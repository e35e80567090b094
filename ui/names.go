package ui

import (
	"net/netip"

	"github.com/flowlens/flowlens/model/names"
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
type ruleLearner interface {
	Prepare(*rules.Set) *names.Snapshot
	Use(*names.Snapshot)
}

// rulesTaken is what the explorer takes in when rules arrive (a live fetch's answer, a
// reload's): the rules it judges with and the names they give, both built in the
// command that fetched them. For a large account (20,000 interfaces) merging the sets
// and building the names take tens of milliseconds, which the update loop must not
// spend (BenchmarkLiveRulesTake; BenchmarkLiveRulesArrive is what is left on it).
type rulesTaken struct {
	set   *rules.Set      // the files' rules with the live answer merged over them
	names *names.Snapshot // nil when the names cannot learn
}

// takeRules is the function a rules command calls, on its own goroutine, to build what
// the explorer takes in from files (may be nil) and live (may be nil), naming what
// named says (a fetch's answer; nil: the files and the answer, as a reload names both,
// the answer last). It reads only what it is given and the names' current snapshot,
// and the rules sets are read-only once built.
func (m *Model) takeRules() func(files, live, named *rules.Set) rulesTaken {
	learner, learns := m.opts.Names.(ruleLearner)
	return func(files, live, named *rules.Set) rulesTaken {
		merged := rules.NewSet()
		merged.Merge(files)
		merged.Merge(live)
		t := rulesTaken{set: merged}
		if learns {
			if named == nil {
				named = merged
			}
			t.names = learner.Prepare(named)
		}
		return t
	}
}

// useRules puts rules the explorer has accepted in use, with their names: the one place
// names join while the explorer runs, so they come only from rules it took in (not from
// a live fetch made stale by a reload, nor from a reload that failed half way).
func (m *Model) useRules(t rulesTaken, how string, reload bool) {
	if l, ok := m.opts.Names.(ruleLearner); ok && t.names != nil {
		l.Use(t.names)
	}
	m.setRules(t.set, how, reload)
	m.pv.dirty = true
	m.refreshDetail()
}
