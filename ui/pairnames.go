package ui

import (
	"net/netip"
	"strings"

	"github.com/flowlens/flowlens/model/pairs"
)

// The conversations view and the verdict pane name what they number: addresses and
// interfaces through Names, security groups through the Group method a *names.Lookup
// also has (asked for with a type assertion, so that ui.Names stays the two methods the
// other panes need).

// groupNames is the part of model/names' Lookup that names security groups.
type groupNames interface {
	Group(id string) string
}

// serviceNames is the part of model/names' Lookup that names AWS's public addresses.
type serviceNames interface {
	Service(a netip.Addr) string
}

// pairNamer makes Names a pairs.Namer, for the joint sentence (which names the
// security groups it quotes through the same Group method).
type pairNamer struct{ n Names }

func (p pairNamer) Addr(a netip.Addr) string   { return p.n.Addr(a) }
func (p pairNamer) Interface(id string) string { return p.n.Interface(id) }
func (p pairNamer) Service(a netip.Addr) string {
	if s, ok := p.n.(serviceNames); ok {
		return s.Service(a)
	}
	return ""
}
func (p pairNamer) Group(id string) string { return groupName(p.n, id) }

// namerOf is n as a pairs.Namer: a nil interface when n is nil, so that the joint
// sentence names nothing rather than calling a nil.
func namerOf(n Names) pairs.Namer {
	if n == nil {
		return nil
	}
	return pairNamer{n}
}

func groupName(n Names, id string) string {
	if g, ok := n.(groupNames); ok {
		return g.Group(id)
	}
	return ""
}

// withName is text followed by its name in parentheses, when there is one.
func withName(text, name string) string {
	if name == "" {
		return text
	}
	return text + " (" + name + ")"
}

// nameGroups puts each security group's name after its ID in text (a rule: "sg-0499:
// no inbound rule allows ..." becomes "sg-0499 (db): no inbound ..."); text without
// group IDs, or without names for them, comes back as it was.
func nameGroups(n Names, text string) string {
	if _, ok := n.(groupNames); !ok || !strings.Contains(text, "sg-") {
		return text
	}
	var b strings.Builder
	for {
		i := strings.Index(text, "sg-")
		if i < 0 {
			b.WriteString(text)
			return b.String()
		}
		if i > 0 && isIDByte(text[i-1]) {
			b.WriteString(text[:i+3])
			text = text[i+3:]
			continue
		}
		end := i + 3
		for end < len(text) && isIDByte(text[end]) {
			end++
		}
		id := text[i:end]
		b.WriteString(text[:end])
		text = text[end:]
		if end > i+3 && !strings.HasPrefix(text, " (") {
			if name := groupName(n, id); name != "" {
				b.WriteString(" (" + name + ")")
			}
		}
	}
}

func isIDByte(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}
