package pairs

import (
	"cmp"
	"math/bits"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/rules"
)

// classCode is a conversation's classification in 32 bits, kept for every conversation
// while a Batch writes: what linking and the joint verdict read of the other end.
// severity<<24 | blocked<<16 | decision.
type classCode uint32

func classCodeOf(j *Judgement, dec decision) classCode {
	return classCode(uint32(min(Severity(j.Verdict), 255))<<24 | uint32(blockedCodeOf(j.Blocked))<<16 | uint32(dec))
}

func (c classCode) verdict() Verdict {
	if s := int(c >> 24); s < len(Verdicts) {
		return Verdicts[s]
	}
	return Unknown
}

func (c classCode) blocked() string      { return blockedTexts[c>>16&3] }
func (c classCode) local() Side          { return Side(c >> 2 & 3) }
func (c classCode) decision() decision   { return decision(c) }
func (c classCode) direction() direction { return decision(c).direction() }

// Peers, as a Batch keeps them: by conversation, 0 for none, else the peer's number
// plus one, with peerInferred set when the link was inferred.
const peerInferred = 1 << 31

// linkAddrs is what linking needs of each address number of a Batch: the number of its
// canonical address (the same for an address on every interface), and whether the
// rules load its interface and list it among the interface's addresses.
type linkAddrs struct {
	canon  []uint32
	loaded []bool
	listed []bool
}

func (b *Batch) linkAddrs(rs *rules.Set) linkAddrs {
	n := len(b.addrKeys)
	la := linkAddrs{canon: make([]uint32, n), loaded: make([]bool, n), listed: make([]bool, n)}
	ids := make(map[[16]byte]uint32, n)
	ifcs := map[model.Sym]*rules.Interface{}
	for i := 1; i < n; i++ {
		k := &b.addrKeys[i]
		a := addrOf16(&k.addr)
		c := canonical(a, rs).As16()
		id, ok := ids[c]
		if !ok {
			id = uint32(len(ids) + 1)
			ids[c] = id
		}
		la.canon[i] = id
		if rs == nil {
			continue
		}
		ifc, seen := ifcs[k.ifc]
		if !seen {
			ifc, _ = rs.Interface(k.ifc.String())
			ifcs[k.ifc] = ifc
		}
		if ifc != nil {
			la.loaded[i] = true
			la.listed[i] = slices.Contains(ifc.PrivateIPs, a)
		}
	}
	return la
}

// linkEntry is a conversation that may be linked, with everything pickLink needs, so
// that finding the links reads no conversation: its key without the interface (the
// addresses canonical, the ends in order), its interface, its times, whether its own
// end is the key's first and whether the rules confirm it. 32 bytes.
type linkEntry struct {
	k0       uint64 // x<<32 | y: the canonical addresses of the ends, in order
	k1       uint32 // xPort<<16 | yPort
	n        uint32 // the conversation
	ifc      model.Sym
	from, to uint32
	proto    uint8
	bits     uint8 // linkFirst, linkRuled, linkTimed
}

const (
	linkFirst uint8 = 1 << iota
	linkRuled
	linkTimed
)

func compareLinkEntries(a, b linkEntry) int {
	switch {
	case a.k0 != b.k0:
		return cmp.Compare(a.k0, b.k0)
	case a.k1 != b.k1:
		return cmp.Compare(a.k1, b.k1)
	}
	return cmp.Compare(a.proto, b.proto)
}

func (e *linkEntry) sameKey(o *linkEntry) bool {
	return e.k0 == o.k0 && e.k1 == o.k1 && e.proto == o.proto
}

// linkEntryOf returns the link entry of conversation n; false when it cannot be linked:
// its own end is unknown or contradicted by the rules, or both ends are one.
func (b *Batch) linkEntryOf(n uint32, cls classCode, la *linkAddrs) (linkEntry, bool) {
	local := cls.local()
	if local == SideUnknown {
		return linkEntry{}, false
	}
	c := b.conv(n)
	k := &c.key
	own, remote, ownPort := k.a, k.b, k.aPort
	if local == BtoA {
		own, remote, ownPort = k.b, k.a, k.bPort
	}
	e := linkEntry{n: n, ifc: b.addrKeys[k.a].ifc, proto: k.proto}
	if la.loaded[own] {
		if !la.listed[own] || la.listed[remote] {
			return linkEntry{}, false
		}
		e.bits |= linkRuled
	}
	x, y, xPort, yPort := la.canon[k.a], la.canon[k.b], k.aPort, k.bPort
	if x > y || x == y && xPort > yPort {
		x, y, xPort, yPort = y, x, yPort, xPort
	}
	if x == y && xPort == yPort {
		return linkEntry{}, false
	}
	e.k0, e.k1 = uint64(x)<<32|uint64(y), uint32(xPort)<<16|uint32(yPort)
	if la.canon[own] == x && ownPort == xPort {
		e.bits |= linkFirst
	}
	var timed bool
	e.from, e.to, timed = convTimes(&c.dirs[0], &c.dirs[1])
	if timed {
		e.bits |= linkTimed
	}
	return e, true
}

// hash mixes a link entry's key into 32 bits, seeded as the batch's table is.
func (e *linkEntry) hash(seed *[2]uint64) uint32 {
	hi, lo := bits.Mul64(e.k0^seed[0], uint64(e.k1)<<8|uint64(e.proto)^seed[1])
	return uint32((hi ^ lo) >> 32)
}

// linkDigit is the bits of the hash the entries are first spread by.
const linkDigit = 11

// sortLinks brings equal keys side by side, in place: an American flag sort on the top
// bits of the keys' hash (two passes over the entries, no second array), then each
// bucket, a few hundred entries, sorted by key on its own, the buckets shared by the
// workers.
func sortLinks(a []linkEntry, seed *[2]uint64, workers int) {
	top := func(e *linkEntry) uint32 { return e.hash(seed) >> (32 - linkDigit) }
	var count, next [1 << linkDigit]int
	for i := range a {
		count[top(&a[i])]++
	}
	var start [1<<linkDigit + 1]int
	for d := range count {
		start[d+1] = start[d] + count[d]
		next[d] = start[d]
	}
	for d := range count {
		for end := start[d+1]; next[d] < end; {
			e := a[next[d]]
			for t := top(&e); t != uint32(d); t = top(&e) {
				a[next[t]], e = e, a[next[t]]
				next[t]++
			}
			a[next[d]] = e
			next[d]++
		}
	}
	var bucket atomic.Int64
	var wg sync.WaitGroup
	for range max(1, workers) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for d := int(bucket.Add(1)) - 1; d < 1<<linkDigit; d = int(bucket.Add(1)) - 1 {
				slices.SortFunc(a[start[d]:start[d+1]], compareLinkEntries)
			}
		}()
	}
	wg.Wait()
}

// link finds every conversation's other end (see link.go). A conversation can have one
// only when its remote end is the own end of some conversation, which the conversations
// with the internet are not: the others are collected as link entries (counted first,
// so that the array is exactly their size), sorted by key, and each run of one key is a
// group, which pickLink decides as Index.Peer does.
func (b *Batch) link(class []classCode, rs *rules.Set, workers int) []uint32 {
	peers := make([]uint32, b.n)
	la := b.linkAddrs(rs)
	owns := make([]bool, len(b.addrKeys)+1) // by canonical address
	for n := range uint32(b.n) {
		if local := class[n].local(); local != SideUnknown {
			k := &b.conv(n).key
			own := k.a
			if local == BtoA {
				own = k.b
			}
			owns[la.canon[own]] = true
		}
	}
	linkable := func(n uint32) (linkEntry, bool) {
		local := class[n].local()
		if local == SideUnknown {
			return linkEntry{}, false
		}
		k := &b.conv(n).key
		remote := k.b
		if local == BtoA {
			remote = k.a
		}
		if !owns[la.canon[remote]] {
			return linkEntry{}, false
		}
		return b.linkEntryOf(n, class[n], &la)
	}
	// Count, then fill, a chunk of conversations at a time on every worker.
	chunks := (b.n + convChunk - 1) / convChunk
	counts := make([]int, chunks+1)
	eachChunk := func(f func(c int)) {
		var next atomic.Int64
		var wg sync.WaitGroup
		for range max(1, workers) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for c := int(next.Add(1)) - 1; c < chunks; c = int(next.Add(1)) - 1 {
					f(c)
				}
			}()
		}
		wg.Wait()
	}
	eachChunk(func(c int) {
		for n := c * convChunk; n < min(b.n, (c+1)*convChunk); n++ {
			if _, ok := linkable(uint32(n)); ok {
				counts[c+1]++
			}
		}
	})
	for c := range chunks {
		counts[c+1] += counts[c]
	}
	all := make([]linkEntry, counts[chunks])
	eachChunk(func(c int) {
		at := counts[c]
		for n := c * convChunk; n < min(b.n, (c+1)*convChunk); n++ {
			if e, ok := linkable(uint32(n)); ok {
				all[at] = e
				at++
			}
		}
	})
	sortLinks(all, &b.seed, workers)
	var cands []linkCand
	for lo := 0; lo < len(all); {
		hi := lo + 1
		for hi < len(all) && all[hi].sameKey(&all[lo]) {
			hi++
		}
		group := all[lo:hi]
		lo = hi
		if len(group) < 2 {
			continue
		}
		cands = cands[:0]
		for i := range group {
			e := &group[i]
			cands = append(cands, linkCand{ifc: e.ifc, first: e.bits&linkFirst != 0, ruled: e.bits&linkRuled != 0,
				timed: e.bits&linkTimed != 0, from: e.from, to: e.to})
		}
		if x, y, ok := pickLink(cands); ok {
			inf := uint32(0)
			if !(cands[x].ruled && cands[y].ruled) {
				inf = peerInferred
			}
			peers[group[x].n] = group[y].n + 1 | inf
			peers[group[y].n] = group[x].n + 1 | inf
		}
	}
	return peers
}

// convTimes is timesOf for a conversation's directions.
func convTimes(d0, d1 *convDir) (from, to uint32, ok bool) {
	for _, d := range [2]*convDir{d0, d1} {
		if d.records == 0 || d.first == 0 {
			continue
		}
		if !ok {
			from, to, ok = d.first, d.last, true
			continue
		}
		from, to = min(from, d.first), max(to, d.last)
	}
	return from, to, ok
}

// endClassOf is the endClass of conversation n from its classification.
func (jg *judger) endClassOf(n uint32, cls classCode) endClass {
	x := cls.decision()
	return endClass{ifc: jg.b.addrKeys[jg.b.conv(n).key.a].ifc, verdict: cls.verdict(), blocked: cls.blocked(),
		initiator: Side(x & 3), local: Side(x >> 2 & 3), guessed: x&(1<<12) != 0}
}

// viewOfClass is the endView of conversation n from its classification. With rules, a
// blocked conversation is judged again for its rule, which the classification does not
// keep (blocked conversations are few).
func (jg *judger) viewOfClass(n uint32, cls classCode) endView {
	c := jg.b.conv(n)
	v := endView{endClass: jg.endClassOf(n, cls), key: jg.b.keyOf(&c.key)}
	req := reqSide(v.initiator)
	v.iniAP, v.respAP = v.key.Sender(req), v.key.Receiver(req)
	if v.blocked != "" && jg.rs != nil {
		dec := decided{cls.direction(), true}
		_, jd := jg.scratch.judge(n, depthVerdict, &dec)
		v.rule = jd.Rule
	}
	return v
}

// linkRowOf is what the writers show of conversation n's link (see Batch.Write): the
// joint verdict from the two classifications, and its sentence only where it is shown
// (showJoint).
func (jg *judger) linkRowOf(p *Pair, jd *Judgement, peer uint32) linkRow {
	if peer == 0 {
		return linkRow{}
	}
	m := peer&^peerInferred - 1
	cls := jg.class[m]
	c := [2]endClass{classOf(p, jd), jg.endClassOf(m, cls)}
	jc := joinViews(&c)
	l := linkRow{linked: true, peer: c[1].ifc, peerVerdict: c[1].verdict, inferred: peer&peerInferred != 0, joint: jc.verdict}
	if showJoint(jd.Verdict, jc.verdict) {
		v := [2]endView{viewOf(p, jd), jg.viewOfClass(m, cls)}
		l.explanation = jc.sentence(&v, jg.rs, jg.names.namer(), &jg.jointBuf)
	}
	return l
}

// jointVerdictOf is the joint verdict of a conversation (judged as jd) and its peer,
// for a filter: no sentence.
func (jg *judger) jointVerdictOf(p *Pair, jd *Judgement, peer uint32) Verdict {
	if peer == 0 {
		return ""
	}
	m := peer&^peerInferred - 1
	c := [2]endClass{classOf(p, jd), jg.endClassOf(m, jg.class[m])}
	return joinViews(&c).verdict
}
