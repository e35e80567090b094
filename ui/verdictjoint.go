package ui

import (
	"net/netip"

	"github.com/flowlens/flowlens/model/pairs"
	"github.com/flowlens/flowlens/model/rules"
)

// addJoint adds to the verdict pane what the other end of the conversation says, when
// its interface is in the data too (docs/pairs.md, "Both ends"): where the connection
// died, judged along the packets' path from both ends' records, the other interface
// with its own verdict, and whether the link was made from the tuple alone.
func (v *verdictPane) addJoint(ix *pairs.Index, p *pairs.Pair, rs *rules.Set, add func(string, verdictStyle, bool)) {
	peer, _ := ix.Peer(p, rs)
	if peer == nil {
		return
	}
	jt := ix.JudgeJoint(p, peer, rs, namerOf(v.names))
	own := ix.Classify(peer, rs)
	v.joint = jt.Verdict
	add("", vsText, false)
	add(v.jointHeadline(jt), vsJoint, true)
	if jt.Explanation != "" {
		add("  "+jt.Explanation, vsText, true)
	}
	id := peer.Key.Interface.String()
	add("  the other end: "+withName(id, ifaceName(v.names, id))+", its own verdict "+string(own.Verdict), vsMuted, true)
	if jt.Inferred {
		add("  inferred link: matched by the tuple and the times alone; the rules do not list both interfaces' addresses", vsMuted, true)
	} else {
		add("  linked by the interfaces' addresses in the rules", vsMuted, true)
	}
}

// jointHeadline is the joint verdict in words, with where it happened.
func (v *verdictPane) jointHeadline(jt pairs.Joint) string {
	at := ""
	if jt.At != 0 {
		id := jt.At.String()
		at = " at " + withName(id, ifaceName(v.names, id))
	}
	head := "BOTH ENDS: "
	if jt.Inferred {
		head = "BOTH ENDS (inferred link): "
	}
	switch jt.Verdict {
	case pairs.Accepted:
		return head + "accepted"
	case pairs.NoResponse:
		return head + "no response, ended" + at
	case pairs.Unknown, "":
		return head + "cannot tell"
	}
	what := "the request"
	if jt.Blocked == pairs.BlockedResponse {
		what = "the reply"
	}
	return head + string(jt.Verdict) + ", " + what + " rejected" + at
}

// endpoint is endpointLabel with the host's name.
func (v *verdictPane) endpoint(proto uint8, ap netip.AddrPort) string {
	label := endpointLabel(proto, ap)
	if name := addrName(v.names, ap.Addr()); name != "" {
		label += " " + name
	}
	return label
}
