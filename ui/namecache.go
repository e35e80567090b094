package ui

import (
	"net/netip"

	"github.com/flowlens/flowlens/model"
)

// serviceNamer is the part of model/names' Lookup that names the AWS service behind a
// public address ("S3"). Names need not have it: the explorer asks for it when it is
// there.
type serviceNamer interface {
	Service(a netip.Addr) string
}

// addrName is the one word shown beside an address: the host's name, else the AWS
// service its address belongs to; "" when neither is known.
func addrName(n Names, a netip.Addr) string {
	if n == nil || !a.IsValid() {
		return ""
	}
	if name := n.Addr(a); name != "" {
		return model.CleanText(name)
	}
	if sn, ok := n.(serviceNamer); ok {
		return model.CleanText(sn.Service(a))
	}
	return ""
}

// addrMeaning is what the detail pane says of an address: the host's name, or whose
// published range it is in; "" when unknown.
func addrMeaning(n Names, a netip.Addr) string {
	if n == nil || !a.IsValid() {
		return ""
	}
	if name := n.Addr(a); name != "" {
		return model.CleanText(name)
	}
	if sn, ok := n.(serviceNamer); ok {
		if svc := sn.Service(a); svc != "" {
			return "AWS " + model.CleanText(svc) + " (AWS's published address ranges)"
		}
	}
	return ""
}

// ifaceName names an interface; "" when unknown.
func ifaceName(n Names, id string) string {
	if n == nil || id == "" {
		return ""
	}
	return model.CleanText(n.Interface(id))
}

// nameCache keeps the names the flows table showed, per address and per interface, so
// that drawing a row asks the lookup once for each, not once per row and frame. The
// lookup may learn names while the explorer runs (live rules, the AWS ranges
// downloaded in the background): refresh asks again for every name kept, once in a
// while, and says whether one changed. Its size is bounded: the names of a few screens
// of rows, cleared when it grows past maxNames.
type nameCache struct {
	names Names
	addrs map[netip.Addr]string
	ifcs  map[model.Sym]string
}

// maxNames bounds each map of the cache: far more than a screen's rows need.
const maxNames = 8192

func newNameCache(n Names) *nameCache {
	return &nameCache{names: n, addrs: map[netip.Addr]string{}, ifcs: map[model.Sym]string{}}
}

func (c *nameCache) addr(a netip.Addr) string {
	if c.names == nil {
		return ""
	}
	return cached(c.addrs, a, func(a netip.Addr) string { return addrName(c.names, a) })
}

func (c *nameCache) iface(s model.Sym) string {
	if c.names == nil || s == 0 {
		return ""
	}
	return cached(c.ifcs, s, func(s model.Sym) string { return ifaceName(c.names, s.String()) })
}

// cached is m's name for k, asked of look once and kept; the map is cleared when it
// reaches maxNames, so it holds the names of the rows drawn lately.
func cached[K comparable](m map[K]string, k K, look func(K) string) string {
	if name, ok := m[k]; ok {
		return name
	}
	if len(m) >= maxNames {
		clear(m)
	}
	name := look(k)
	m[k] = name
	return name
}

// refresh asks the lookup again for every name kept; it reports whether any changed.
func (c *nameCache) refresh() bool {
	changed := false
	for a, old := range c.addrs {
		if name := addrName(c.names, a); name != old {
			c.addrs[a], changed = name, true
		}
	}
	for s, old := range c.ifcs {
		if name := ifaceName(c.names, s.String()); name != old {
			c.ifcs[s], changed = name, true
		}
	}
	return changed
}
