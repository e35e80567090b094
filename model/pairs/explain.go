package pairs

import (
	"fmt"
	"net/netip"
	"strconv"
	"unsafe"

	"github.com/flowlens/flowlens/model/decode"
	"github.com/flowlens/flowlens/model/rules"
)

// explainer writes a judgement's sentence: what went where, what happened, what to
// check. It names the direction (inbound or outbound) only when the interface's side is
// known, and says when the direction is a guess or cannot be told.
type explainer struct {
	p     *Pair
	j     *Judgement
	dir   direction
	eff   [2]act
	table tableRow
	rules *ruling
}

func protoName(proto uint8) string {
	switch proto {
	case 1, 6, 17, 58:
		return rules.ProtocolName(proto)
	}
	return decode.ProtocolLabel(proto)
}

// what is "inbound tcp/22 from 203.0.113.7 to 10.0.1.5", without "inbound" when the
// interface's side is unknown.
func (e *explainer) what() string {
	var b sentenceBuf
	e.writeWhat(&b)
	return string(b.b)
}

// writeWhat writes what: the sentences of nearly every pair start with it, and writing
// it in place saves the strings that concatenating made.
func (e *explainer) writeWhat(b *sentenceBuf) {
	j := e.j
	if w := e.way(); w != "" {
		b.WriteString(w)
		b.WriteByte(' ')
	}
	proto := e.p.Key.Protocol
	b.WriteString(protoName(proto))
	if hasPorts(proto) {
		b.WriteByte('/')
		writeUint(b, uint64(j.ResponderAP.Port()))
	}
	b.WriteString(" from ")
	writeAddr(b, j.InitiatorAP.Addr())
	b.WriteString(" to ")
	writeAddr(b, j.ResponderAP.Addr())
}

func writeAddr(b *sentenceBuf, a netip.Addr) {
	var buf [64]byte
	b.Write(a.AppendTo(buf[:0]))
}

func writeUint(b *sentenceBuf, v uint64) {
	var buf [20]byte
	b.Write(strconv.AppendUint(buf[:0], v, 10))
}

// writeEndpoint writes endpointText.
func writeEndpoint(b *sentenceBuf, proto uint8, ap netip.AddrPort) {
	var buf [72]byte
	b.Write(appendEndpoint(buf[:0], proto, ap))
}

// way is "inbound", "outbound" or "".
func (e *explainer) way() string {
	switch {
	case e.j.RequestInbound == nil:
		return ""
	case *e.j.RequestInbound:
		return "inbound"
	}
	return "outbound"
}

// returnRule is what a network ACL must allow for the replies: "tcp 1024-65535" for
// protocols with ports (the initiator's port, wherever the client picked it), the
// protocol otherwise.
func (e *explainer) returnRule() string {
	proto := e.p.Key.Protocol
	if !hasPorts(proto) {
		return protoName(proto)
	}
	return protoName(proto) + " 1024-65535"
}

// sentence writes the explanation. Into a buffer of the caller's (buf not nil) it is
// written without allocating, and the string returned is valid until the buffer is
// written again: a command that formats each judgement at once needs no more.
func (e *explainer) sentence(buf *[]byte) string {
	var b sentenceBuf
	if buf != nil {
		b.b = (*buf)[:0]
	} else {
		b.b = make([]byte, 0, 240) // most sentences fit: one allocation
	}
	j := e.j
	switch j.Verdict {
	case Accepted:
		e.accepted(&b)
	case NoResponse:
		e.noResponse(&b)
	case BPA:
		fmt.Fprintf(&b, "%s was rejected by VPC Block Public Access (reject-reason BPA), not by a security group or network ACL: check the account's BPA mode and its exclusions for this VPC or subnet", e.what())
	case Unknown:
		e.unknown(&b)
	default:
		if j.Blocked == BlockedResponse {
			e.replyRejected(&b)
		} else {
			e.requestRejected(&b)
		}
	}
	e.notes(&b)
	if n := len(b.b); n > 0 && b.b[n-1] != '.' {
		b.b = append(b.b, '.')
	}
	if buf != nil {
		*buf = b.b
		return unsafe.String(unsafe.SliceData(b.b), len(b.b))
	}
	return string(b.b)
}

// sentenceBuf is what a sentence is written into: a byte slice that fmt can write to.
type sentenceBuf struct{ b []byte }

func (s *sentenceBuf) Write(p []byte) (int, error) {
	s.b = append(s.b, p...)
	return len(p), nil
}

func (s *sentenceBuf) WriteString(x string) (int, error) {
	s.b = append(s.b, x...)
	return len(x), nil
}

func (s *sentenceBuf) WriteByte(c byte) error {
	s.b = append(s.b, c)
	return nil
}

func (e *explainer) accepted(b *sentenceBuf) {
	if e.j.Initiator == SideUnknown {
		k := e.p.Key
		b.WriteString(protoName(k.Protocol))
		b.WriteString(" between ")
		writeEndpoint(b, k.Protocol, k.A())
		b.WriteString(" and ")
		writeEndpoint(b, k.Protocol, k.B())
		b.WriteString(" was accepted both ways; which side started it cannot be told from these records")
		return
	}
	e.writeWhat(b)
	b.WriteString(" was accepted, and so was the reply")
	if resp := e.j.Response; resp != nil && e.p.Key.Protocol == decode.ProtoTCP && resp.Flags()&decode.FlagRST != 0 && resp.Flags()&decode.FlagSYNACK != decode.FlagSYNACK {
		b.WriteString(", a reset (RST) without a SYN-ACK: nothing listens on port ")
		writeUint(b, uint64(e.j.ResponderAP.Port()))
		b.WriteString(" there, the network is not in the way")
	}
	if r := e.rules; r != nil && r.outcome == rulesDisagree {
		fmt.Fprintf(b, ", but the loaded rules would drop the %s (%s): the rules may have changed since these records", legName(r.leg), r.leg.Rule)
	}
}

func (e *explainer) noResponse(b *sentenceBuf) {
	j := e.j
	e.writeWhat(b)
	switch e.way() {
	case "inbound":
		b.WriteString(" was accepted but no reply was recorded: the service did not answer (nothing listening, a host firewall); ACCEPT means the network let it in, not that anything answered")
	case "outbound":
		b.WriteString(" was accepted but no reply came back: ")
		writeAddr(b, j.ResponderAP.Addr())
		b.WriteString(" did not answer, or the request or its reply was dropped beyond this interface (the far side's security group or network ACL, a firewall, routing)")
	default:
		b.WriteString(" was accepted but no reply was recorded: the responder did not answer, or something beyond this interface dropped the request or the reply")
	}
	if r := e.rules; r != nil {
		switch {
		case r.outcome == rulesDisagree:
			fmt.Fprintf(b, "; the loaded rules would drop the request (%s): they may have changed since these records", r.leg.Rule)
		case r.replyWouldDrop != nil:
			fmt.Fprintf(b, "; note that the loaded rules would also drop a reply here (%s)", r.replyWouldDrop.Rule)
		}
	}
}

func (e *explainer) requestRejected(b *sentenceBuf) {
	j := e.j
	r := e.rules
	if r != nil {
		switch r.outcome {
		case rulesConfirm:
			fmt.Fprintf(b, "%s was rejected by %s: %s", e.what(), layerName(r.leg.Layer), legReason(r.leg))
			e.fix(b, r.leg)
			return
		case rulesEliminate:
			fmt.Fprintf(b, "%s was rejected, and the loaded rules let it through the other layer, so %s rejected it; their rules could not be checked fully: %s",
				e.what(), layerName(r.leg.Layer), clause(r.leg.Explanation))
			return
		case rulesDisagree:
			fmt.Fprintf(b, "%s was rejected, but the loaded rules allow it (%s): the rules may have changed since these records were written (check their history), or the records come from another interface or time",
				e.what(), r.leg.Rule)
			return
		}
	}
	e.writeWhat(b)
	switch e.way() {
	case "inbound":
		b.WriteString(" was rejected: check the security groups' inbound rules and the subnet's network ACL inbound rules; no reply was sent because the request never arrived")
	case "outbound":
		b.WriteString(" was rejected as it left: check the security groups' outbound rules and the subnet's network ACL outbound rules")
	default:
		b.WriteString(" was rejected on ")
		b.WriteString(e.p.Key.Interface.String())
		b.WriteString(": check its security groups and its subnet's network ACL (inbound rules if ")
		writeAddr(b, j.ResponderAP.Addr())
		b.WriteString(" is the interface, outbound rules if ")
		writeAddr(b, j.InitiatorAP.Addr())
		b.WriteString(" is)")
	}
	if j.Initiator == SideUnknown {
		b.WriteString("; both directions were rejected and which side started it cannot be told")
	}
	if r != nil && r.outcome == rulesUnknown {
		fmt.Fprintf(b, "; the loaded rules cannot narrow it: %s", clause(r.leg.Explanation))
	}
	if r != nil && r.outcome == rulesSkipped {
		b.WriteString("; the rules were not checked because the direction is unknown")
	}
}

func (e *explainer) replyRejected(b *sentenceBuf) {
	j := e.j
	r := e.rules
	back := endpointText(e.p.Key.Protocol, j.InitiatorAP)
	if r != nil && r.outcome == rulesConfirm {
		fmt.Fprintf(b, "%s was accepted, but the reply to %s was rejected by %s: %s", e.what(), back, layerName(r.leg.Layer), legReason(r.leg))
		e.fix(b, r.leg)
		return
	}
	if r != nil && r.outcome == rulesDisagree {
		fmt.Fprintf(b, "%s was accepted and the reply to %s rejected, but the loaded rules allow the reply (%s): the rules may have changed since these records were written (check their history)",
			e.what(), back, r.leg.Rule)
		return
	}
	switch e.way() {
	case "inbound":
		fmt.Fprintf(b, "%s was accepted, but the reply to %s was rejected: the subnet's network ACL outbound rules (security groups never drop a reply); allow %s outbound to %s",
			e.what(), back, e.returnRule(), j.InitiatorAP.Addr())
	case "outbound":
		fmt.Fprintf(b, "%s was accepted, but the reply from %s was rejected coming in: the subnet's network ACL inbound rules (security groups never drop a reply); allow %s inbound from %s",
			e.what(), endpointText(e.p.Key.Protocol, j.ResponderAP), e.returnRule(), j.ResponderAP.Addr())
	default:
		fmt.Fprintf(b, "%s was accepted, but the reply to %s was rejected: a network ACL rule of the subnet (security groups never drop a reply); it must allow %s back",
			e.what(), back, e.returnRule())
	}
	if p := j.InitiatorAP.Port(); hasPorts(e.p.Key.Protocol) && p >= 1024 && p < 32768 {
		fmt.Fprintf(b, " (the client's port %d is below 32768: a return rule for Linux's 32768-60999 misses it)", p)
	}
	if r != nil && r.outcome == rulesUnknown {
		fmt.Fprintf(b, "; the loaded rules cannot name the entry: %s", clause(r.leg.Explanation))
	}
}

// fix says what to change once the rules named the dropping rule. A blocked reply
// should pass (its request did); a blocked request may be blocked on purpose (a scan, a
// blocklist entry), so the advice is conditional.
func (e *explainer) fix(b *sentenceBuf, leg rules.Leg) {
	switch leg.Layer {
	case rules.LayerSG:
		fmt.Fprintf(b, "; if it should pass, add an %s rule allowing it to one of the groups", leg.Direction)
	case rules.LayerNACL:
		n := leg.NACL
		final := n.Deciding >= 0 && n.Deciding < len(n.Entries) &&
			(n.Entries[n.Deciding].Number == rules.FinalRuleIPv4 || n.Entries[n.Deciding].Number == rules.FinalRuleIPv6)
		switch {
		case !final:
			b.WriteString("; if it should pass, narrow that entry or allow it in an entry with a lower number")
		case e.j.Blocked == BlockedResponse:
			fmt.Fprintf(b, "; add an %s entry allowing %s to %s", aclWord(leg.Direction), e.returnRule(), e.j.InitiatorAP.Addr())
		default:
			fmt.Fprintf(b, "; if it should pass, add an %s entry allowing it", aclWord(leg.Direction))
		}
	}
}

func (e *explainer) unknown(b *sentenceBuf) {
	k := e.p.Key
	switch e.table.why {
	case onlyReply:
		why := "the tcp-flags mark it as the reply"
		if e.dir.decidedBy == SignalPrivilegedPort {
			why = "it comes from a port below 1024 to one that is no service, so it looks like the reply"
		}
		fmt.Fprintf(b, "only %s was recorded, and %s: its request is not in these records (read earlier records, or they were dropped), so what happened cannot be told",
			arrow(k, e.j.Initiator.Other()), why)
	case noAction:
		b.WriteString("the records carry no action (the format lacks the action field), so whether anything was rejected cannot be told")
	default:
		fmt.Fprintf(b, "%s %s and %s %s, and which side started the conversation cannot be told, so neither which one was the request: check both directions",
			arrow(k, AtoB), actWord(e.eff[AtoB]), arrow(k, BtoA), actWord(e.eff[BtoA]))
	}
}

func actWord(a act) string {
	switch a {
	case actAccept:
		return "was accepted"
	case actReject:
		return "was rejected"
	case actMixed:
		return "was both accepted and rejected"
	}
	return "has no action"
}

// notes adds what qualifies the verdict: a guessed direction, MIXED directions, stray
// rejects, a lone REJECT of teardown packets.
func (e *explainer) notes(b *sentenceBuf) {
	j := e.j
	p := e.p
	if j.Initiator != SideUnknown && j.Verdict != Unknown {
		req, resp := e.eff[j.Initiator], e.eff[j.Initiator.Other()]
		switch {
		case req == actMixed:
			b.WriteString("; some request records were accepted and others rejected: a rule probably changed while the flow ran")
		case resp == actMixed:
			b.WriteString("; some replies passed and others were rejected: a network ACL rule probably changed while the flow ran")
		case req == actReject && resp != actNone:
			b.WriteString("; yet a reply was recorded, which a rejected request cannot have: the rules changed while it ran, or two conversations share these ports")
		}
		if req == actReject {
			if x := p.flagsOf(j.Initiator); x.flagged > 0 && x.synOnly == 0 && x.flagCount[0]+x.flagCount[2] > 0 {
				b.WriteString("; the rejected packets carry FIN or RST but no SYN, so they may be packets after a close (benign) rather than a blocked connection")
			}
		}
	}
	if j.StrayRejects > 0 {
		fmt.Fprintf(b, "; %d late REJECT record(s) after the close were set aside: packets that arrive after connection tracking forgot the flow are rejected, which is benign", j.StrayRejects)
	}
	if j.Guessed && j.Verdict != Unknown {
		b.WriteString("; who started it is inferred from the ")
		b.WriteString(guessSource(e.dir.decidedBy))
		b.WriteString(", as the records carry no flags or rejects that tell")
	}
}

func guessSource(signal string) string {
	if signal == SignalEarliestStart {
		return "start times"
	}
	return "ports"
}

func layerName(l rules.Layer) string {
	switch l {
	case rules.LayerSG:
		return "the security groups"
	case rules.LayerNACL:
		return "the network ACL"
	}
	return "a security group or the network ACL"
}

func legName(l rules.Leg) string {
	if l.Direction == rules.Inbound {
		return "inbound packet"
	}
	return "outbound packet"
}

// legReason is the reason of the layer that dropped the packet, as a clause.
func legReason(l rules.Leg) string {
	switch l.Layer {
	case rules.LayerSG:
		return clause(l.SG.Reason)
	case rules.LayerNACL:
		return clause(l.NACL.Reason)
	}
	return clause(l.Explanation)
}
