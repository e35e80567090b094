package sim

import (
	"net/netip"
	"time"
)

// truth describes the conversation the engine ran last.
func (e *engine) truth(c *Conversation, id int) Truth {
	seg0 := &e.segs[0]
	last := &e.segs[e.nseg-1]
	tr := Truth{ID: id, Label: c.Label, Protocol: c.Protocol, Reply: c.Reply,
		Initiator: netip.AddrPortFrom(seg0.a.addr, seg0.a.port),
		Responder: netip.AddrPortFrom(last.b.addr, last.b.port),
		Start:     time.Unix(e.first, 0).UTC(), End: time.Unix(e.last, 0).UTC(),
	}
	tr.Outcome.Verdict = NoResponse
	if e.answered {
		tr.Outcome.Verdict = Accepted
	}
	if e.nlog > 0 {
		if l := &e.logs[e.nlog-1]; !l.d.pass {
			tr.Outcome = Outcome{Verdict: layerVerdict(l.d.layer), Blocked: blocked(l.response),
				Interface: l.ifc.ID, Direction: direction(l.egress), Rule: l.d.rule()}
		}
	}
	// One view per segment and interface of ours, in the order the request met them.
	for s := range e.nseg {
		for _, sd := range [2]*side{&e.segs[s].a, &e.segs[s].b} {
			if sd.ifc == nil {
				continue
			}
			if v, ok := e.view(s, sd.ifc); ok {
				tr.Views = append(tr.Views, v)
			}
		}
	}
	return tr
}

// view is segment s as interface ifc logged it; false when it logged nothing.
func (e *engine) view(s int, ifc *Interface) (View, bool) {
	seg := &e.segs[s]
	v := View{Interface: ifc.ID, Side: ResponderSide,
		Initiator: netip.AddrPortFrom(seg.a.addr, seg.a.port), Responder: netip.AddrPortFrom(seg.b.addr, seg.b.port)}
	if seg.a.ifc == ifc {
		v.Side = InitiatorSide
		v.Initiator = netip.AddrPortFrom(ownAddr(ifc, seg.a.addr), seg.a.port)
	} else {
		v.Responder = netip.AddrPortFrom(ownAddr(ifc, seg.b.addr), seg.b.port)
	}
	var req, resp *logEntry
	for i := range e.logs[:e.nlog] {
		l := &e.logs[i]
		if l.seg != s || l.ifc != ifc {
			continue
		}
		if l.response {
			resp = l
		} else {
			req = l
		}
	}
	if req == nil {
		return v, false
	}
	v.Request, v.Response = logged(req), logged(resp)
	switch {
	case !req.d.pass:
		v.Verdict, v.Blocked, v.Rule, v.TableVerdict = layerVerdict(req.d.layer), BlockedRequest, req.d.rule(), SGOrNACL
	case resp == nil:
		v.Verdict, v.TableVerdict = NoResponse, NoResponse
	case !resp.d.pass:
		v.Verdict, v.Blocked, v.Rule, v.TableVerdict = layerVerdict(resp.d.layer), BlockedResponse, resp.d.rule(), ByNACL
	default:
		v.Verdict, v.TableVerdict = Accepted, Accepted
	}
	if e.strayAt != 0 && s == 0 && v.Side == InitiatorSide {
		v.StrayRejects = len(e.recs) - e.strayFirst
	}
	return v, true
}

func logged(l *logEntry) Logged {
	switch {
	case l == nil:
		return NotLogged
	case l.d.pass:
		return LoggedAccept
	}
	return LoggedReject
}

// ownAddr is how an interface's records show its own side: its primary private IPv4
// for IPv4 traffic, the packet's address for IPv6.
func ownAddr(ifc *Interface, a netip.Addr) netip.Addr {
	if a.Is4() {
		return ifc.IP
	}
	return a
}

func layerVerdict(l layer) Verdict {
	if l == layerSG {
		return BySG
	}
	return ByNACL
}

func blocked(response bool) string {
	if response {
		return BlockedResponse
	}
	return BlockedRequest
}

func direction(egress bool) string {
	if egress {
		return "egress"
	}
	return "ingress"
}
