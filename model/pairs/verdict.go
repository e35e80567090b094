package pairs

import (
	"fmt"
	"net/netip"

	"github.com/flowlens/flowlens/model/rules"
)

// Verdict is what happened to a conversation, in the words of `flowlens pairs`.
type Verdict string

const (
	Accepted   Verdict = "accepted"    // the request and its reply passed
	SGOrNACL   Verdict = "sg-or-nacl"  // the request was rejected: a security group or a network ACL
	NACL       Verdict = "nacl"        // a network ACL dropped it (with rules: the request too)
	SG         Verdict = "sg"          // a security group dropped the request (needs rules)
	NoResponse Verdict = "no-response" // the request passed and no reply was recorded
	BPA        Verdict = "bpa"         // VPC Block Public Access rejected it (reject-reason BPA)
	Unknown    Verdict = "unknown"     // the records cannot tell
)

// Verdicts lists every verdict from the most to the least severe: the order of the
// text output and of the pairs view.
var Verdicts = []Verdict{NACL, SG, SGOrNACL, BPA, NoResponse, Unknown, Accepted}

// Severity ranks a verdict for sorting: 0 is the most severe.
func Severity(v Verdict) int {
	for i, x := range Verdicts {
		if x == v {
			return i
		}
	}
	return len(Verdicts)
}

// What a drop blocked.
const (
	BlockedRequest  = "request"
	BlockedResponse = "response"
)

// Judgement is the verdict on a pair with its reasons.
type Judgement struct {
	Verdict                  Verdict
	Blocked                  string // BlockedRequest, BlockedResponse or ""
	Initiator                Side   // the direction of the request; SideUnknown when it cannot be decided
	InitiatorAP, ResponderAP netip.AddrPort
	// Request and Response point into the pair (they change with it); nil when that
	// direction has no records. When the direction is unknown (Initiator is
	// SideUnknown) they, and InitiatorAP and ResponderAP, are in address order: A's
	// direction first.
	Request, Response *Dir
	RequestInbound    *bool    // whether the request entered the interface (nil: unknown)
	Signals           []Signal // every signal used, strongest first, with what it said
	Rule              string   // the deciding rule (DESIGN.md's text) or ""
	RuleContext       []string // with rules: the deciding rule and its neighbours, lines for display
	Explanation       string   // one sentence a person can act on
	Mixed             bool     // a direction holds both ACCEPT and REJECT
	RulesDisagree     bool     // the loaded rules contradict the records (changed since?)

	// Local is the direction whose sender is the interface: AtoB when Key.A is the
	// interface's own end; SideUnknown when no signal tells (see docs/pairs.md). It is
	// known more often than RequestInbound, which also needs the initiator. Linking the
	// two ends of a connection (Index.Peer) rests on it.
	Local Side

	// Guessed: the direction was decided by a weak signal (ports, start times) and may
	// be wrong; the explanation says so.
	Guessed bool
	// StrayRejects counts the REJECT records set aside as packets after the close
	// (benign): they make a direction MIXED without changing the verdict.
	StrayRejects int

	// JointVerdict is the verdict of the connection's two ends together (Joint), set
	// by a caller that linked the pair to its other end before filtering (Ordered with
	// a filter, a Batch with a filter): the pair filter's joint-verdict term reads it.
	// Judge and Classify leave it empty, as does a pair without a peer.
	JointVerdict Verdict
}

// judged is a pair's cached judgement (Judge's, with its sentences) and what beyond the
// pair it was made from; a change of the pair drops it (bump). Only the pairs shown in
// full (the verdict pane, an export) have one.
// Classifications are not cached: the pairs view classifies every pair, and even a
// compact cache cost 96 bytes a pair (43 MB for the 450,000 conversations of a million
// records) to save a sixth of a rebuild that runs off the screen's loop anyway.
type judged struct {
	in   inputs
	full Judgement
}

// blockedCode is Judgement.Blocked in a byte, for what keeps many of them.
type blockedCode uint8

var blockedTexts = [...]string{"", BlockedRequest, BlockedResponse}

func blockedCodeOf(b string) blockedCode {
	switch b {
	case BlockedRequest:
		return 1
	case BlockedResponse:
		return 2
	}
	return 0
}

// placeEnds sets the ends and directions of a judgement from its Initiator. Undecided,
// they are given in address order (A first), so that nothing recorded is hidden;
// Initiator says they are not known to be the request.
func placeEnds(p *Pair, j *Judgement) {
	req := reqSide(j.Initiator)
	j.InitiatorAP, j.ResponderAP = p.Key.Sender(req), p.Key.Receiver(req)
	if p.Dirs[req].Records > 0 {
		j.Request = &p.Dirs[req]
	}
	if p.Dirs[req.Other()].Records > 0 {
		j.Response = &p.Dirs[req.Other()]
	}
}

// reqSide is the direction given as the request: the initiator's, or A's when it is
// unknown.
func reqSide(initiator Side) Side {
	if initiator == SideUnknown {
		return AtoB
	}
	return initiator
}

// Judge decides what happened to a pair, from its records and, when rs is not nil, the
// security groups and network ACLs. p is one of ix's pairs: the evidence it shares
// with its interface is counted in ix. The result is cached in the pair until the pair,
// the rules or the interface's evidence changes. The Signals and RuleContext slices are
// shared with the cache: do not modify them.
func (ix *Index) Judge(p *Pair, rs *rules.Set) Judgement { return ix.judgeCached(p, rs, true) }

// Classify is Judge without the sentences: Signals, RuleContext and Explanation are
// left empty, and with rules only blocked verdicts are checked against them (narrowed
// to sg or nacl with their rule), so RulesDisagree is not set on pairs that passed.
// Verdict, Blocked and the direction are Judge's. It costs a fraction of Judge, for
// sorting and filtering many pairs (CompileFilter needs nothing else); Judge the few
// shown. When a full judgement is cached, Classify returns it; it caches nothing.
func (ix *Index) Classify(p *Pair, rs *rules.Set) Judgement { return ix.judgeCached(p, rs, false) }

func (ix *Index) judgeCached(p *Pair, rs *rules.Set, full bool) Judgement {
	in := ix.inputsOf(p, rs)
	if e := p.extra; e != nil && e.cache != nil && e.cache.in == in {
		return e.cache.full
	}
	if !full {
		return judge(p, in, depthVerdict)
	}
	j := judge(p, in, depthFull)
	e := p.extraState()
	if e.cache == nil {
		e.cache = &judged{}
	}
	e.cache.in, e.cache.full = in, j
	return j
}

// boolPtr points at a shared true or false: no judgement writes through its
// RequestInbound, and sharing spares an allocation per judgement.
func boolPtr(b bool) *bool {
	if b {
		return &boolTrue
	}
	return &boolFalse
}

var boolTrue, boolFalse = true, false

// depth is how much of a judgement is written out.
type depth uint8

const (
	depthVerdict  depth = iota // the verdict, the direction and the rule (Classify)
	depthSentence              // and the explanation: what flowlens pairs prints
	depthFull                  // and the signals and the rules' context (Judge)
)

// judge decides what happened to p, given what lies beyond it (in), written to depth d.
func judge(p *Pair, in inputs, d depth) Judgement { return judgeInto(p, in, d, nil, nil) }

// decided carries a pair's direction from one judgement to the next, so that judging
// it again (with its sentence, say) does not infer it again.
type decided struct {
	dir   direction
	known bool
}

// judgeInto is judge writing the explanation into buf when buf is not nil (see
// explainer.sentence): the Explanation is then valid until buf is written again. With
// dec not nil, a known direction is used as it is (except at depthFull, which writes
// what each signal said), and an unknown one is kept there once inferred.
func judgeInto(p *Pair, in inputs, d depth, buf *[]byte, dec *decided) Judgement {
	full := d == depthFull
	var j Judgement
	var strays [2]int
	for _, s := range []Side{AtoB, BtoA} {
		strays[s] = p.strayRejects(s)
		if p.Dirs[s].Accepts > 0 && p.Dirs[s].Rejects > 0 {
			j.Mixed = true
		}
	}
	j.StrayRejects = strays[AtoB] + strays[BtoA]
	eff := [2]act{effective(&p.Dirs[AtoB], strays[AtoB]), effective(&p.Dirs[BtoA], strays[BtoA])}

	var dir direction
	if dec != nil && dec.known && !full {
		dir = dec.dir
	} else {
		dir = directionOf(p, in, eff, full)
		if dec != nil {
			*dec = decided{dir, true}
		}
	}
	j.Signals = dir.signals
	for _, s := range []Side{AtoB, BtoA} {
		if full && strays[s] > 0 {
			what := "carry only FIN or RST"
			if p.run(s).trailFlagged == 0 {
				what = "hold one or two packets each"
			}
			j.Signals = append(j.Signals, Signal{Name: SignalStray, Says: fmt.Sprintf(
				"%d REJECT record(s) of %s came after the conversation ended and %s: set aside as packets after the close",
				strays[s], arrow(p.Key, s), what)})
		}
	}
	j.Initiator, j.Guessed, j.Local = dir.initiator, dir.guess, dir.local
	placeEnds(p, &j)
	if j.Initiator != SideUnknown && dir.local != SideUnknown {
		j.RequestInbound = boolPtr(dir.local != j.Initiator)
	}

	tv := tableVerdict(p, j.Initiator, eff)
	j.Verdict, j.Blocked = tv.verdict, tv.blocked
	var ruled *ruling
	// The rules narrow a blocked verdict; on a conversation that passed they can only
	// disagree, which the sentences report: Classify leaves that to Judge, as evaluating
	// the rules costs more than the rest of a classification.
	if in.rs != nil && (d >= depthSentence || j.Blocked != "") {
		ruled = narrow(p, &j, in.rs, dir, full)
	}
	if d >= depthSentence {
		e := explainer{p: p, j: &j, dir: dir, eff: eff, table: tv, rules: ruled}
		j.Explanation = e.sentence(buf)
	}
	return j
}

// tableRow is the verdict FLOWLOGS.md's table gives, with why when it is unknown.
type tableRow struct {
	verdict Verdict
	blocked string
	why     unknownWhy
}

type unknownWhy uint8

const (
	knownVerdict   unknownWhy = iota
	onlyReply                 // the request direction has no records
	noAction                  // the records carry no action
	undecidedMixed            // the direction is unknown and the actions differ
)

// tableVerdict reads the verdict from the records' actions, the request's first.
func tableVerdict(p *Pair, init Side, eff [2]act) tableRow {
	if p.Dirs[AtoB].BPA > 0 || p.Dirs[BtoA].BPA > 0 {
		blocked := BlockedRequest
		if init != SideUnknown && p.Dirs[init].BPA == 0 {
			blocked = BlockedResponse
		}
		return tableRow{verdict: BPA, blocked: blocked}
	}
	if init == SideUnknown {
		// Both directions have records (one alone would be the request). The verdict
		// does not need the direction when both agree.
		switch {
		case eff[AtoB] == actAccept && eff[BtoA] == actAccept:
			return tableRow{verdict: Accepted}
		case eff[AtoB] == actReject && eff[BtoA] == actReject:
			return tableRow{verdict: SGOrNACL, blocked: BlockedRequest}
		}
		return tableRow{verdict: Unknown, why: undecidedMixed}
	}
	req, resp := eff[init], eff[init.Other()]
	switch req {
	case actNone:
		return tableRow{verdict: Unknown, why: onlyReply}
	case actBlank:
		return tableRow{verdict: Unknown, why: noAction}
	case actReject, actMixed:
		return tableRow{verdict: SGOrNACL, blocked: BlockedRequest}
	}
	switch resp {
	case actNone:
		return tableRow{verdict: NoResponse}
	case actAccept:
		return tableRow{verdict: Accepted}
	case actReject, actMixed:
		return tableRow{verdict: NACL, blocked: BlockedResponse}
	}
	return tableRow{verdict: Unknown, why: noAction}
}
