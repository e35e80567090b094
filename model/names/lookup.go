// Package names owns the names a person reads instead of IDs and addresses: "db-1"
// for 10.0.1.30, "NAT gateway nat-0abc" for an interface, "shop-web" for a security
// group, "S3" for a public address of an AWS service. It builds one lookup from what is
// known: the rules files or the live EC2 answers (interfaces with their Name tags and
// descriptions, instances with theirs, security groups), and AWS's published
// ip-ranges.json. It does no I/O: readers are passed in (ParseRanges), and the sources
// that fetch or cache are elsewhere (source/ipranges, source/liverules).
package names

import (
	"net/netip"
	"sync"
	"sync/atomic"

	"github.com/flowlens/flowlens/model/rules"
)

// Lookup answers names. A nil *Lookup names nothing: every method returns "". Reads are
// safe while AddRules, Use or SetRanges run in another goroutine (the explorer fetches rules
// and ranges off its update loop); each read sees one consistent snapshot.
type Lookup struct {
	mu     sync.Mutex // serialises writers; readers use the snapshots
	names  atomic.Pointer[index]
	ranges atomic.Pointer[Ranges]
}

// index is one immutable snapshot of the names the rules give.
type index struct {
	set        *rules.Set // everything added so far, never changed once published
	addrs      map[netip.Addr]string
	interfaces map[string]string
}

// New builds a lookup from rules (may be nil) and AWS's address ranges (may be nil).
func New(rs *rules.Set, ranges *Ranges) *Lookup {
	l := &Lookup{}
	l.AddRules(rs)
	l.SetRanges(ranges)
	return l
}

// AddRules adds the names of a rules set (the --rules files at start; the explorer
// adds its live answers and reloads with Prepare and Use, off its update loop). What it
// says about an interface, instance or group overrides what was known; what it does
// not mention stays known (an interface deleted since, a Lambda's, keeps its name).
func (l *Lookup) AddRules(rs *rules.Set) {
	if l == nil || rs == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.names.Store(l.Prepare(rs).ix)
}

// Snapshot is the names a lookup would have with a rules set added (Prepare). Building
// it costs what the set's size does (a large account's 20,000 interfaces take tens of
// milliseconds), so it is built where that blocks nobody; Use puts it in place at once.
type Snapshot struct{ ix *index }

// Prepare builds what AddRules(rs) would make the names, without changing them: the
// names known now with rs's added over them. It only reads the lookup, and may run on
// any goroutine; a Use of another snapshot between Prepare and Use is lost when this
// one is used, so a caller prepares one at a time (the explorer drops a fetch's answer
// that a reload overtook).
func (l *Lookup) Prepare(rs *rules.Set) *Snapshot {
	merged := rules.NewSet()
	if l != nil {
		if old := l.names.Load(); old != nil {
			merged.Merge(old.set)
		}
	}
	merged.Merge(rs)
	return &Snapshot{build(merged)}
}

// Use puts s in place: what AddRules would have done when s was prepared.
func (l *Lookup) Use(s *Snapshot) {
	if l == nil || s == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.names.Store(s.ix)
}

// SetRanges replaces the AWS address ranges (nil removes them).
func (l *Lookup) SetRanges(r *Ranges) {
	if l == nil {
		return
	}
	l.ranges.Store(r)
}

// Ranges returns the AWS address ranges in use, nil when none.
func (l *Lookup) Ranges() *Ranges {
	if l == nil {
		return nil
	}
	return l.ranges.Load()
}

// Addr names the host behind an address of an interface or instance: the instance's
// Name tag, else the interface's name (see Interface); "" when unknown. Private and
// public addresses both count.
func (l *Lookup) Addr(a netip.Addr) string {
	if l == nil {
		return ""
	}
	ix := l.names.Load()
	if ix == nil {
		return ""
	}
	return ix.addrs[a.Unmap().WithZone("")]
}

// Interface names a network interface: its Name tag, else the Name tag of the instance
// it is attached to, else a short form of the description AWS gave it ("NAT gateway
// nat-0abc", "ELB web", "Lambda orders-fn", "RDS"; see Describe); "" when unknown.
func (l *Lookup) Interface(id string) string {
	if l == nil {
		return ""
	}
	ix := l.names.Load()
	if ix == nil {
		return ""
	}
	return ix.interfaces[id]
}

// Group names a security group: its GroupName, from describe-security-groups or from
// the interfaces and instances that belong to it; "" when unknown.
func (l *Lookup) Group(id string) string {
	if l == nil {
		return ""
	}
	ix := l.names.Load()
	if ix == nil {
		return ""
	}
	return ix.set.GroupName(id)
}

// Service names the AWS service a public address belongs to, from ip-ranges.json: the
// most specific service ("S3", "EC2", "CLOUDFRONT"), "AMAZON" for an address AWS lists
// under no narrower service; "" when unknown or when no ranges are loaded.
func (l *Lookup) Service(a netip.Addr) string {
	if l == nil {
		return ""
	}
	return l.ranges.Load().Service(a)
}

// Name is Addr, or else Service: the one word to show beside an address.
func (l *Lookup) Name(a netip.Addr) string {
	if n := l.Addr(a); n != "" {
		return n
	}
	return l.Service(a)
}

// Empty reports whether the lookup knows no name at all.
func (l *Lookup) Empty() bool {
	if l == nil {
		return true
	}
	ix := l.names.Load()
	return (ix == nil || len(ix.addrs) == 0 && len(ix.interfaces) == 0 && len(ix.set.SecurityGroups()) == 0) && l.ranges.Load().Len() == 0
}

// build derives the name tables from a set. Interfaces and instances are visited in id
// order, so that when two claim one address the same one wins on every run.
func build(set *rules.Set) *index {
	ix := &index{set: set, addrs: map[netip.Addr]string{}, interfaces: map[string]string{}}
	instanceOf := map[string]*rules.Instance{} // ENI id -> its instance
	for _, inst := range set.Instances() {
		for _, eni := range inst.Interfaces {
			instanceOf[eni] = inst
		}
	}
	for _, ifc := range set.Interfaces() {
		inst := instanceOf[ifc.ID]
		if ifc.InstanceID != "" {
			if i, ok := set.Instance(ifc.InstanceID); ok {
				inst = i
			}
		}
		name := ifc.Name
		if name == "" && inst != nil {
			name = inst.Name
		}
		if name == "" {
			name = Describe(ifc.Description, ifc.Type)
		}
		if name != "" {
			ix.interfaces[ifc.ID] = name
		}
		// A person names hosts: the instance's name wins for its addresses.
		host := name
		if inst != nil && inst.Name != "" {
			host = inst.Name
		}
		if host == "" {
			continue
		}
		for _, a := range ifc.PrivateIPs {
			ix.addrs[a] = host
		}
		for _, a := range ifc.PublicIPs {
			ix.addrs[a] = host
		}
	}
	for _, inst := range set.Instances() {
		if inst.Name == "" {
			continue
		}
		for _, a := range inst.PrivateIPs {
			ix.addrs[a] = inst.Name
		}
		for _, a := range inst.PublicIPs {
			ix.addrs[a] = inst.Name
		}
		for _, eni := range inst.Interfaces {
			if _, described := set.Interface(eni); !described {
				ix.interfaces[eni] = inst.Name
			}
		}
	}
	return ix
}
