package pairs

import (
	"net/netip"
	"strings"
	"unsafe"

	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/output"
	"github.com/flowlens/flowlens/model/rules"
)

// Joint is what the two ends of one connection say together: each interface judged
// what it saw (its Judgement), and the joint verdict follows the packets along their
// path (FLOWLOGS.md section 4): the request leaves the initiator's interface (its
// security groups' and subnet ACL's outbound rules), enters the responder's (inbound
// ACL, then groups), and the reply goes back the other way. The first place that
// rejected it is where the connection died; see docs/pairs.md, "Both ends".
type Joint struct {
	Verdict Verdict
	Blocked string // BlockedRequest, BlockedResponse or ""
	// At is the interface where the connection was blocked, or where it ended without
	// a reply (the responder's when nothing answered, the initiator's when a reply left
	// the responder and never arrived); 0 when it was accepted or cannot be told.
	At model.Sym
	// Rule is the deciding rule, as the end that recorded the block judged it with the
	// rules ("" without rules, or when nothing was blocked).
	Rule        string
	Explanation string // one sentence, naming both interfaces
	// Inferred: the two ends were matched by the records (the tuple, the times and each
	// interface's own address as the records tell it), not by the interfaces' address
	// sets in the rules.
	Inferred bool
	// InitiatorEnd and ResponderEnd are the two pairs by their place in the connection;
	// nil when who started it cannot be told (or the ends disagree).
	InitiatorEnd, ResponderEnd *Pair
	// Request and Response are the connection's traffic counted once: the request as
	// the initiator's interface sent it, the reply as the responder's sent it; nil when
	// not recorded or when who started it cannot be told. Each end's own Dirs count the
	// same packets again.
	Request, Response *Dir
}

// Link is a pair's other end and the joint judgement, as NewNamedWriter writes them
// (`peer` and `joint-verdict`). The zero Link is a pair without a peer.
type Link struct {
	Peer        *Pair   // nil: no other end in the data
	PeerVerdict Verdict // the other end's own verdict
	Joint       Joint
}

// Link finds p's other end (Peer) and judges the two together (JudgeJoint). n names
// the interfaces and groups in the explanation; it may be nil.
func (ix *Index) Link(p *Pair, rs *rules.Set, n Namer) Link {
	peer, _ := ix.Peer(p, rs)
	if peer == nil {
		return Link{}
	}
	jq := ix.Classify(peer, rs)
	return Link{Peer: peer, PeerVerdict: jq.Verdict, Joint: ix.JudgeJoint(p, peer, rs, n)}
}

// JointVerdict is the verdict of p and its peer together (JudgeJoint's, without the
// sentence), or "" when p has no peer: what the pair filter's joint-verdict term reads
// from Judgement.JointVerdict.
func (ix *Index) JointVerdict(p *Pair, rs *rules.Set) Verdict {
	peer, _ := ix.Peer(p, rs)
	if peer == nil {
		return ""
	}
	jp, jq := ix.Classify(p, rs), ix.Classify(peer, rs)
	v := [2]endView{viewOf(p, &jp), viewOf(peer, &jq)}
	return joinEnds(&v).verdict
}

// JudgeJoint judges a connection from its two ends, p and peer (which Peer returned for
// p): what each end's classification says, joined along the packets' path. n names the
// interfaces and security groups in the explanation; it may be nil. The result is the
// same whichever end is p.
func (ix *Index) JudgeJoint(p, peer *Pair, rs *rules.Set, n Namer) Joint {
	jp, jq := ix.Classify(p, rs), ix.Classify(peer, rs)
	v := [2]endView{viewOf(p, &jp), viewOf(peer, &jq)}
	jc := joinEnds(&v)
	out := Joint{Verdict: jc.verdict, Blocked: jc.blocked, Inferred: linkInferred(&v, rs)}
	if jc.at >= 0 {
		out.At = v[jc.at].key.Interface
		out.Rule = v[jc.at].rule
	}
	ends := [2]*Pair{p, peer}
	if jc.ini >= 0 {
		out.InitiatorEnd, out.ResponderEnd = ends[jc.ini], ends[1-jc.ini]
		if d := &out.InitiatorEnd.Dirs[v[jc.ini].local]; d.Records > 0 {
			out.Request = d
		}
		if d := &out.ResponderEnd.Dirs[v[1-jc.ini].local]; d.Records > 0 {
			out.Response = d
		}
	}
	out.Explanation = jc.sentence(&v, rs, n, nil)
	return out
}

// endClass is what the joint table reads of one end: its classification.
type endClass struct {
	ifc              model.Sym
	verdict          Verdict
	blocked          string
	initiator, local Side
	guessed          bool
}

// endView is one end as the joint sentence reads it.
type endView struct {
	endClass
	key  Key
	rule string // only when blocked
	// the request as this end placed it: "tcp/5432 from 10.0.10.14 to 10.0.20.5"
	iniAP, respAP netip.AddrPort
}

func classOf(p *Pair, j *Judgement) endClass {
	return endClass{ifc: p.Key.Interface, verdict: j.Verdict, blocked: j.Blocked, initiator: j.Initiator, local: j.Local, guessed: j.Guessed}
}

func viewOf(p *Pair, j *Judgement) endView {
	v := endView{endClass: classOf(p, j), key: p.Key, iniAP: j.InitiatorAP, respAP: j.ResponderAP}
	if v.blocked != "" {
		v.rule = j.Rule
	}
	return v
}

// joinEnds is joinViews over whole views.
func joinEnds(v *[2]endView) jointCore {
	c := [2]endClass{v[0].endClass, v[1].endClass}
	return joinViews(&c)
}

// linkInferred: a link is confirmed only when the rules list each end's address among
// its interface's.
func linkInferred(v *[2]endView, rs *rules.Set) bool {
	for i := range v {
		e := &v[i]
		if e.local == SideUnknown {
			return true
		}
		if ownershipOf(e.key.Interface, e.key.Sender(e.local).Addr(), e.key.Receiver(e.local).Addr(), rs) != ownRuled {
			return true
		}
	}
	return false
}

// jointWhy is the row of the joint table that decided (docs/pairs.md).
type jointWhy uint8

const (
	jointConflict        jointWhy = iota // the ends disagree on who started it
	jointUndecided                       // neither end tells who started it
	jointBlockedLeaving                  // the request was rejected leaving the initiator
	jointBlockedArriving                 // the request was rejected entering the responder
	jointReplyLeaving                    // the reply was rejected leaving the responder
	jointReplyArriving                   // the reply was rejected entering the initiator
	jointAccepted                        // both ends accepted the request and the reply
	jointAcceptedOneEnd                  // one end saw it answered, the other cannot tell
	jointNotAnswered                     // both let the request through; nothing answered
	jointReplyLost                       // the reply left the responder and never arrived
	jointNoReplyOneEnd                   // the initiator saw no reply, the responder cannot tell
	jointUnknown                         // neither end tells
)

// jointCore is a joint verdict without its sentence: enough to filter and to count.
type jointCore struct {
	verdict Verdict
	blocked string
	at      int // the end (index into the views) where it was blocked or ended; -1: none
	ini     int // the end at the initiator; -1: unknown
	why     jointWhy
}

// vote is which end (index) a view says started the conversation, -1 for none.
func (e *endClass) vote(self int) int {
	switch {
	case e.initiator == SideUnknown || e.local == SideUnknown:
		return -1
	case e.initiator == e.local:
		return self
	}
	return 1 - self
}

// joinViews is the joint table. It is symmetric: swapping the views swaps at and ini
// and nothing else.
func joinViews(v *[2]endClass) jointCore {
	va, vb := v[0].vote(0), v[1].vote(1)
	ini := -1
	switch {
	case va == vb:
		ini = va
	case va < 0:
		ini = vb
	case vb < 0:
		ini = va
	case v[0].guessed && !v[1].guessed:
		ini = vb
	case v[1].guessed && !v[0].guessed:
		ini = va
	default:
		return jointCore{verdict: Unknown, at: -1, ini: -1, why: jointConflict}
	}
	if ini < 0 {
		return joinUndecided(v)
	}
	resp := 1 - ini
	// An end whose own judgement took the other direction (a guess the other end
	// overruled) has judged the wrong way round: its verdict is not used.
	iv, rv := v[ini].verdict, v[resp].verdict
	ib, rb := v[ini].blocked, v[resp].blocked
	if x := v[ini].vote(ini); x >= 0 && x != ini {
		iv, ib = Unknown, ""
	}
	if x := v[resp].vote(resp); x >= 0 && x != ini {
		rv, rb = Unknown, ""
	}
	jc := jointCore{at: -1, ini: ini}
	switch {
	case ib == BlockedRequest:
		jc.verdict, jc.blocked, jc.at, jc.why = iv, ib, ini, jointBlockedLeaving
	case rb == BlockedRequest:
		jc.verdict, jc.blocked, jc.at, jc.why = rv, rb, resp, jointBlockedArriving
	case rb == BlockedResponse:
		jc.verdict, jc.blocked, jc.at, jc.why = rv, rb, resp, jointReplyLeaving
	case ib == BlockedResponse:
		jc.verdict, jc.blocked, jc.at, jc.why = iv, ib, ini, jointReplyArriving
	case iv == Accepted && rv == Accepted:
		jc.verdict, jc.why = Accepted, jointAccepted
	case iv == Accepted:
		jc.verdict, jc.why = Accepted, jointAcceptedOneEnd
	case rv == NoResponse:
		jc.verdict, jc.at, jc.why = NoResponse, resp, jointNotAnswered
	case iv == NoResponse && rv == Accepted:
		jc.verdict, jc.at, jc.why = NoResponse, ini, jointReplyLost
	case rv == Accepted:
		jc.verdict, jc.why = Accepted, jointAcceptedOneEnd
	case iv == NoResponse:
		jc.verdict, jc.at, jc.why = NoResponse, ini, jointNoReplyOneEnd
	default:
		jc.verdict, jc.why = Unknown, jointUnknown
	}
	return jc
}

// joinUndecided joins two ends neither of which tells who started the conversation
// (accepted pings): both accepted is accepted; otherwise the graver end's verdict
// stands, at its interface.
func joinUndecided(v *[2]endClass) jointCore {
	if v[0].verdict == Accepted && v[1].verdict == Accepted {
		return jointCore{verdict: Accepted, at: -1, ini: -1, why: jointUndecided}
	}
	w := 0
	s0, s1 := Severity(v[0].verdict), Severity(v[1].verdict)
	if s1 < s0 || s1 == s0 && v[1].ifc.String() < v[0].ifc.String() {
		w = 1
	}
	return jointCore{verdict: v[w].verdict, blocked: v[w].blocked, at: w, ini: -1, why: jointUndecided}
}

// groupNamer is what a Namer may add to name security groups (names.Lookup does).
type groupNamer interface {
	Group(id string) string
}

// jointNames names interfaces and groups in a joint sentence.
type jointNames struct{ n Namer }

func (jn jointNames) iface(b *sentenceBuf, ifc model.Sym) {
	id := ifc.String()
	if id == "" {
		id = "-"
	}
	b.WriteString(output.Sanitize(id))
	if jn.n != nil {
		if name := jn.n.Interface(id); name != "" {
			b.WriteString(" (")
			b.WriteString(output.Sanitize(name))
			b.WriteByte(')')
		}
	}
}

func (jn jointNames) group(b *sentenceBuf, id string) {
	b.WriteString(id)
	if g, ok := jn.n.(groupNamer); ok {
		if name := g.Group(id); name != "" {
			b.WriteString(" (")
			b.WriteString(output.Sanitize(name))
			b.WriteByte(')')
		}
	}
}

// rule writes a rule with the security groups it starts with named:
// "sg-0499 (shop-db): no inbound rule allows tcp/5432 from 10.0.10.14".
func (jn jointNames) rule(b *sentenceBuf, rule string) {
	ids, rest, ok := strings.Cut(rule, ": ")
	if !ok || !strings.HasPrefix(ids, "sg-") || strings.ContainsAny(ids, " ") {
		b.WriteString(rule)
		return
	}
	for i, id := range strings.Split(ids, ",") {
		if i > 0 {
			b.WriteString(", ")
		}
		jn.group(b, id)
	}
	b.WriteString(": ")
	b.WriteString(rest)
}

// sentence writes the joint explanation. Into a buffer of the caller's (buf not nil) it
// is written in place, and the string returned is valid until the buffer is written
// again (as explainer.sentence does).
func (jc *jointCore) sentence(v *[2]endView, rs *rules.Set, n Namer, buf *[]byte) string {
	var b sentenceBuf
	if buf != nil {
		b.b = (*buf)[:0]
	}
	jn := jointNames{n}
	switch jc.why {
	case jointConflict:
		b.WriteString("the two ends disagree on who started the conversation (")
		for i := range v {
			if i > 0 {
				b.WriteString(", ")
			}
			jn.iface(&b, v[i].key.Interface)
			b.WriteString(" says ")
			writeEndpoint(&b, v[i].key.Protocol, v[i].iniAP)
		}
		b.WriteString("), so their verdicts cannot be joined: read each end's")
	case jointUndecided:
		jc.undecided(&b, v, jn)
	default:
		jc.decided(&b, v, rs, jn)
	}
	if n := len(b.b); n > 0 && b.b[n-1] != '.' {
		b.b = append(b.b, '.')
	}
	if buf != nil {
		*buf = b.b
		return unsafe.String(unsafe.SliceData(b.b), len(b.b))
	}
	return string(b.b)
}

func (jc *jointCore) undecided(b *sentenceBuf, v *[2]endView, jn jointNames) {
	k := v[0].key
	if jc.verdict == Accepted {
		b.WriteString(protoName(k.Protocol))
		b.WriteString(" between ")
		writeEndpoint(b, k.Protocol, k.A())
		b.WriteString(" and ")
		writeEndpoint(b, k.Protocol, k.B())
		b.WriteString(" was accepted both ways at both ends, ")
		jn.iface(b, v[0].key.Interface)
		b.WriteString(" and ")
		jn.iface(b, v[1].key.Interface)
		b.WriteString("; which side started it cannot be told")
		return
	}
	w := &v[jc.at]
	o := &v[1-jc.at]
	b.WriteString(string(w.verdict))
	b.WriteString(" at ")
	jn.iface(b, w.key.Interface)
	if w.rule != "" {
		b.WriteString(" (")
		jn.rule(b, w.rule)
		b.WriteByte(')')
	}
	b.WriteString(", ")
	b.WriteString(string(o.verdict))
	b.WriteString(" at ")
	jn.iface(b, o.key.Interface)
	b.WriteString("; which side started it cannot be told, so neither where on the way it stopped")
}

// decided writes the sentence of a connection whose initiator is known.
func (jc *jointCore) decided(b *sentenceBuf, v *[2]endView, rs *rules.Set, jn jointNames) {
	I, R := &v[jc.ini], &v[1-jc.ini]
	// The request as the initiator's end saw it, or as the responder's did when the
	// initiator's end did not tell the direction.
	w := I
	if I.initiator == SideUnknown {
		w = R
	}
	proto := I.key.Protocol
	what := func() {
		b.WriteString(protoName(proto))
		if hasPorts(proto) {
			b.WriteByte('/')
			writeUint(b, uint64(w.respAP.Port()))
		}
		b.WriteString(" from ")
		writeAddr(b, w.iniAP.Addr())
		b.WriteString(" to ")
		writeAddr(b, w.respAP.Addr())
	}
	switch jc.why {
	case jointBlockedLeaving:
		what()
		b.WriteString(" was rejected at ")
		jn.iface(b, I.key.Interface)
		b.WriteString(" as it left,")
		jn.by(b, I, rules.Outbound)
		b.WriteString(", so it never reached ")
		jn.iface(b, R.key.Interface)
	case jointBlockedArriving:
		what()
		b.WriteString(" left ")
		jn.iface(b, I.key.Interface)
		b.WriteString(" and was rejected at ")
		jn.iface(b, R.key.Interface)
		jn.by(b, R, rules.Inbound)
		jc.sourceFix(b, I, w, rs, jn)
	case jointReplyLeaving:
		what()
		b.WriteString(" reached ")
		jn.iface(b, R.key.Interface)
		b.WriteString(", but the reply was rejected there as it left,")
		jn.by(b, R, rules.Outbound)
		b.WriteString(", so it never reached ")
		jn.iface(b, I.key.Interface)
	case jointReplyArriving:
		what()
		b.WriteString(" reached ")
		jn.iface(b, R.key.Interface)
		b.WriteString(" and was answered, but the reply was rejected coming in at ")
		jn.iface(b, I.key.Interface)
		jn.by(b, I, rules.Inbound)
	case jointAccepted:
		what()
		b.WriteString(" was accepted at both ends, ")
		jn.iface(b, I.key.Interface)
		b.WriteString(" and ")
		jn.iface(b, R.key.Interface)
		b.WriteString(", and so was the reply")
	case jointAcceptedOneEnd:
		sure, other := I, R
		if I.verdict != Accepted {
			sure, other = R, I
		}
		what()
		b.WriteString(" and its reply were accepted at ")
		jn.iface(b, sure.key.Interface)
		b.WriteString("; the records of ")
		jn.iface(b, other.key.Interface)
		b.WriteString(" tell no more (")
		b.WriteString(string(other.verdict))
		b.WriteByte(')')
	case jointNotAnswered:
		what()
		b.WriteString(" left ")
		jn.iface(b, I.key.Interface)
		b.WriteString(" and reached ")
		jn.iface(b, R.key.Interface)
		b.WriteString(", both accepting it, and nothing answered: the service did not answer (nothing listening, a host firewall); the network is not in the way")
	case jointReplyLost:
		what()
		b.WriteString(" reached ")
		jn.iface(b, R.key.Interface)
		b.WriteString(", whose reply left accepted, but no reply was recorded at ")
		jn.iface(b, I.key.Interface)
		b.WriteString(": it was lost on the way (routing, a firewall appliance), or its records are not in this input")
	case jointNoReplyOneEnd:
		what()
		b.WriteString(" left ")
		jn.iface(b, I.key.Interface)
		b.WriteString(" and no reply came back; the records of ")
		jn.iface(b, R.key.Interface)
		b.WriteString(" tell no more (")
		b.WriteString(string(R.verdict))
		b.WriteByte(')')
	default:
		jn.iface(b, I.key.Interface)
		b.WriteString(" (the initiator's end) says ")
		b.WriteString(string(I.verdict))
		b.WriteString(" and ")
		jn.iface(b, R.key.Interface)
		b.WriteString(" says ")
		b.WriteString(string(R.verdict))
		b.WriteString(": together they do not tell what happened")
	}
}

// by writes what rejected a packet at an end: the rule when the rules named it, else
// the layers the verdict allows.
func (jn jointNames) by(b *sentenceBuf, e *endView, way rules.Direction) {
	if e.rule != "" {
		b.WriteString(" by ")
		jn.rule(b, e.rule)
		return
	}
	switch e.verdict {
	case SG:
		b.WriteString(" by its security groups (")
	case NACL:
		b.WriteString(" by its subnet's network ACL (")
	case SGOrNACL:
		b.WriteString(" by its security groups or its subnet's network ACL (")
		b.WriteString(way.String())
		b.WriteString(" rules; the records cannot tell which)")
		return
	case BPA:
		b.WriteString(" by VPC Block Public Access (reject-reason BPA)")
		return
	default:
		return
	}
	b.WriteString(way.String())
	b.WriteString(" rules)")
}

// sourceFix says, for a request a security group rejected on its way in, which source
// to allow: one of the initiator's interface's groups, when the rules list them, else
// its address.
func (jc *jointCore) sourceFix(b *sentenceBuf, I, w *endView, rs *rules.Set, jn jointNames) {
	if jc.verdict != SG || w.iniAP.Addr() == (netip.Addr{}) {
		return
	}
	proto := I.key.Protocol
	service := func() {
		b.WriteString(protoName(proto))
		if hasPorts(proto) {
			b.WriteByte('/')
			writeUint(b, uint64(w.respAP.Port()))
		}
	}
	if ifc, ok := rs.Interface(I.key.Interface.String()); ok && len(ifc.Groups) > 0 {
		b.WriteString("; if it should pass, add ")
		if len(ifc.Groups) > 1 {
			b.WriteString("one of ")
		}
		for i, g := range ifc.Groups {
			if i > 0 {
				b.WriteString(", ")
			}
			jn.group(b, g)
		}
		b.WriteString(" as a source of an inbound rule for ")
		service()
		return
	}
	b.WriteString("; if it should pass, add an inbound rule allowing ")
	service()
	b.WriteString(" from ")
	writeAddr(b, w.iniAP.Addr())
}
