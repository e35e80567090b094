package pairs

import (
	"net/netip"
	"slices"

	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/rules"
)

// Linking: traffic between two interfaces that both log is recorded twice, once on each,
// and judged twice (docs/pairs.md, "Both ends"). Two pairs are the two ends of one
// connection when
//
//   - they have the same protocol and the same two endpoints (addr:port), the key
//     without its interface: a pair's key sorts its ends, so a key and its reverse are
//     one;
//   - each interface's own end is known and the two are the two different ends: one
//     interface holds the initiator's address, the other the responder's. With the
//     rules, an interface's own addresses are its private IPs (describe-network-
//     interfaces); without them, or for an interface they do not list, the own end is
//     the judgement's (flow-direction, the address in every record of the interface, a
//     private address against a public one), and the link is inferred;
//   - their records' times overlap, give or take an aggregation window (10 minutes at
//     most);
//   - and nothing else fits: exactly one pair holds each end. A third interface that
//     logs the same packets (an appliance, several VPCs with overlapping addresses in
//     one file) makes the link ambiguous, and there is none.
//
// With the rules, an IPv4 address of a loaded interface stands for the interface: its
// records show its own side by its primary private address whatever address the packet
// carried (a pod's secondary address), so the sender's record (to the pod's address) and
// the receiver's (to the node's primary) are matched through the interface's address set.
// A NAT gateway is not the other end of the connections it translates: the private side's
// records name the gateway's address, the public side's another tuple, and neither is
// linked to the client's interface.

// linkSlack is how far apart the times of two ends may lie: records are aggregated over
// windows of up to 10 minutes, and each interface closes its windows on its own.
const linkSlack = 600

// canonical is the address that stands for a in links: with the rules, an IPv4 address
// of a loaded interface is replaced by the interface's primary private IPv4 (the first
// IPv4 of its private IPs), by which its own records show it.
func canonical(a netip.Addr, rs *rules.Set) netip.Addr {
	return rs.PrimaryIPv4(a)
}

// ownership is how an end's interface is known to hold its address.
type ownership uint8

const (
	ownNone     ownership = iota // unknown, or the rules contradict the judgement: no link
	ownInferred                  // from the records (the judgement's Local)
	ownRuled                     // the rules list the address among the interface's
)

// ownershipOf checks a pair's own end (local) against the rules: a loaded interface
// must list the local address and not the remote one; an interface the rules do not
// hold keeps the records' word.
func ownershipOf(ifc model.Sym, local, remote netip.Addr, rs *rules.Set) ownership {
	if rs != nil {
		if loaded, ok := rs.Interface(ifc.String()); ok {
			if slices.Contains(loaded.PrivateIPs, local) && !slices.Contains(loaded.PrivateIPs, remote) {
				return ownRuled
			}
			return ownNone
		}
	}
	return ownInferred
}

// linkCand is one pair of a group (one protocol, the same two canonical ends) that may
// be one end of the connection.
type linkCand struct {
	ifc      model.Sym
	first    bool // its own end is the group's first end
	ruled    bool // the rules confirm its own end
	timed    bool
	from, to uint32 // the records' first start and last end
}

// pickLink returns the two candidates of a group that are one connection's two ends:
// exactly one candidate holds each end, on different interfaces, at overlapping
// times. Candidates whose own end is unknown are not in cs.
func pickLink(cs []linkCand) (x, y int, ok bool) {
	x, y = -1, -1
	for i := range cs {
		if cs[i].first {
			if x >= 0 {
				return 0, 0, false
			}
			x = i
		} else {
			if y >= 0 {
				return 0, 0, false
			}
			y = i
		}
	}
	if x < 0 || y < 0 || cs[x].ifc == cs[y].ifc || !overlap(&cs[x], &cs[y]) {
		return 0, 0, false
	}
	return x, y, true
}

// overlap reports whether two ends' times overlap within linkSlack; an end without
// times (a format without start and end) cannot disagree.
func overlap(a, b *linkCand) bool {
	if !a.timed || !b.timed {
		return true
	}
	return int64(a.from) <= int64(b.to)+linkSlack && int64(b.from) <= int64(a.to)+linkSlack
}

// timesOf is the span of a pair's records: the least First and the greatest Last of
// its directions that have them.
func timesOf(d0, d1 *Dir) (from, to uint32, ok bool) {
	for _, d := range [2]*Dir{d0, d1} {
		if d.Records == 0 || d.First == 0 {
			continue
		}
		if !ok {
			from, to, ok = d.First, d.Last, true
			continue
		}
		from, to = min(from, d.First), max(to, d.Last)
	}
	return from, to, ok
}

// alternatesOf returns every address whose canonical address is c: the loaded IPv4
// addresses that stand for it (the rules index them once per set), and c itself when
// it stands for itself.
func alternatesOf(c netip.Addr, rs *rules.Set) []netip.Addr {
	out := rs.SameHost(c)
	if canonical(c, rs) == c && !slices.Contains(out, c) {
		out = append(slices.Clip(out), c)
	}
	return out
}

// Peer returns the other end of p: the pair of the same connection on the interface at
// its other end, when both are in the index (see docs/pairs.md, "Both ends"), and
// whether the link was inferred from the records rather than confirmed by the rules'
// address sets. nil when there is none, or when it is ambiguous. rs may be nil.
//
// It looks p's key up on the other interfaces that saw its addresses and classifies
// what it finds (Classify, cached): a few lookups, and no memory per pair (the index
// keeps, per address, the interfaces that saw it). The answer changes as the index
// does.
func (ix *Index) Peer(p *Pair, rs *rules.Set) (peer *Pair, inferred bool) {
	if p == nil || p.counts.iface == 0 {
		return nil, false // not (or no longer) in the index
	}
	ends := [2]netip.AddrPort{canonicalEnd(p.Key.A(), rs), canonicalEnd(p.Key.B(), rs)}
	if ends[0].Compare(ends[1]) > 0 {
		ends[0], ends[1] = ends[1], ends[0]
	}
	if ends[0] == ends[1] {
		return nil, false
	}
	// The group: every pair of the same protocol whose ends stand for the same two
	// canonical ends. Such a pair's interface holds both of its addresses, so it is
	// among the interfaces that saw an address of the end seen on fewer.
	xs, ys := alternatesOf(ends[0].Addr(), rs), alternatesOf(ends[1].Addr(), rs)
	if ix.spread(ys) < ix.spread(xs) {
		xs, ys = ys, xs
		ends[0], ends[1] = ends[1], ends[0]
	}
	var group []*Pair
	for _, x := range xs {
		for _, ifc := range ix.seenOn[x.As16()] {
			for _, y := range ys {
				k := NewKey(ifc, p.Key.Protocol, netip.AddrPortFrom(x, ends[0].Port()), netip.AddrPortFrom(y, ends[1].Port()))
				if q := ix.Lookup(k); q != nil && !slices.Contains(group, q) {
					group = append(group, q)
				}
			}
		}
	}
	if ends[0].Compare(ends[1]) > 0 {
		ends[0], ends[1] = ends[1], ends[0]
	}
	cands := make([]linkCand, 0, len(group))
	who := make([]*Pair, 0, len(group))
	for _, q := range group {
		j := ix.Classify(q, rs)
		c, ok := candidateOf(q, &j, ends[0], rs)
		if ok {
			cands = append(cands, c)
			who = append(who, q)
		}
	}
	x, y, ok := pickLink(cands)
	switch {
	case !ok:
		return nil, false
	case who[x] == p:
		return who[y], !(cands[x].ruled && cands[y].ruled)
	case who[y] == p:
		return who[x], !(cands[x].ruled && cands[y].ruled)
	}
	return nil, false
}

// spread is how many interfaces saw the addresses as.
func (ix *Index) spread(as []netip.Addr) int {
	n := 0
	for _, a := range as {
		n += len(ix.seenOn[a.As16()])
	}
	return n
}

// canonicalEnd is an endpoint with its address canonical.
func canonicalEnd(ap netip.AddrPort, rs *rules.Set) netip.AddrPort {
	return netip.AddrPortFrom(canonical(ap.Addr(), rs), ap.Port())
}

// candidateOf makes a pair a link candidate of the group whose first canonical end is
// first; false when its own end is not known or the rules contradict it.
func candidateOf(q *Pair, j *Judgement, first netip.AddrPort, rs *rules.Set) (linkCand, bool) {
	if j.Local == SideUnknown {
		return linkCand{}, false
	}
	own, remote := q.Key.Sender(j.Local), q.Key.Receiver(j.Local)
	o := ownershipOf(q.Key.Interface, own.Addr(), remote.Addr(), rs)
	if o == ownNone {
		return linkCand{}, false
	}
	c := linkCand{ifc: q.Key.Interface, first: canonicalEnd(own, rs) == first, ruled: o == ownRuled}
	c.from, c.to, c.timed = timesOf(&q.Dirs[AtoB], &q.Dirs[BtoA])
	return c, true
}
