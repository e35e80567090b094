package sim

import (
	"fmt"
	"math/bits"
	"net/netip"
	"time"

	"github.com/flowlens/flowlens/model"
)

// side is one end of a segment: an interface of ours or a host outside.
type side struct {
	ifc  *Interface
	host *Host
	addr netip.Addr // the packet address
	port uint16
}

// segment is one hop of a conversation between two endpoints that filter or log it.
// A direct conversation has one segment; one through a NAT gateway has two: the
// initiator to the gateway (packets still addressed to the far host) and the gateway,
// from its own address and a port of its own, to the far host.
type segment struct {
	a, b     side // a sends this segment's requests, b its responses
	crossing bool // the packets cross a subnet edge, so network ACLs apply
}

// logEntry is one direction of one segment as an interface logs it.
type logEntry struct {
	seg      int
	ifc      *Interface
	egress   bool
	response bool
	d        decision
}

// rec is a record before it is written in a format: compact and free of pointers, so
// that millions of them cost the garbage collector nothing while they wait for their
// window.
type rec struct {
	src, dst       [16]byte // the packet's addresses (pkt-srcaddr, pkt-dstaddr), IPv4-mapped
	packets, bytes uint64
	start, end     uint32
	conv           int32 // index of the conversation's truth, or -1
	srcSvc, dstSvc model.Sym
	ifc            uint16 // index in Topology.Interfaces
	sport, dport   uint16
	proto          uint8
	flags          uint8
	path           uint8
	action         model.Action
	dir            model.Direction
	status         model.LogStatus
}

// engine turns conversations into records and truth. It keeps scratch space so that a
// stream of conversations allocates nothing per conversation.
type engine struct {
	t      *Topology
	window int64
	segs   [2]segment
	nseg   int
	logs   [8]logEntry
	nlog   int
	recs   []rec // the records of the last conversation, in time order per direction
	// strayAt is when the late RST of the last conversation arrived, or 0.
	strayAt    int64
	strayFirst int // index in recs of the stray record
	first      int64
	last       int64
	answered   bool
}

func newEngine(t *Topology) *engine {
	if t.byAddr == nil {
		t.index()
	}
	w := int64(t.Window / time.Second)
	if w <= 0 {
		w = int64(DefaultWindow / time.Second)
	}
	return &engine{t: t, window: w}
}

// plan resolves the endpoints of c into segments, choosing the ports.
func (e *engine) plan(c *Conversation) {
	if c.Initiator == nil || c.Responder == nil {
		panic("sim: a conversation needs an initiator and a responder")
	}
	if c.Protocol == ICMPv6 {
		c.IPv6 = true
	}
	c.defaults()
	ini, res := c.Initiator.endpoint(), c.Responder.endpoint()
	if ini.ifc != nil && ini.ifc == res.ifc {
		panic(fmt.Sprintf("sim: %s cannot talk to itself through the network", ini.ifc.Name))
	}
	src, dst := ini.address(c.IPv6), res.address(c.IPv6)
	sport, dport := c.SrcPort, c.Port
	if c.Protocol != TCP && c.Protocol != UDP {
		sport, dport = 0, 0 // ICMP and the rest have no ports; flow logs write 0
	} else if sport == 0 {
		sport = ini.ports().next(ini.os(), ini.name())
	}
	a := side{ifc: ini.ifc, host: ini.host, addr: src, port: sport}
	b := side{ifc: res.ifc, host: res.host, addr: dst, port: dport}
	if nat := natFor(ini.ifc, res.ifc, c.IPv6); nat != nil {
		natPort := nat.ports.next(NATGateway, nat.Name)
		e.segs[0] = segment{a: a, b: side{ifc: nat, addr: dst, port: dport}, crossing: ini.ifc.Subnet != nat.Subnet}
		e.segs[1] = segment{a: side{ifc: nat, addr: nat.IP, port: natPort}, b: b, crossing: true}
		e.nseg = 2
		return
	}
	e.segs[0] = segment{a: a, b: b, crossing: a.ifc == nil || b.ifc == nil || a.ifc.Subnet != b.ifc.Subnet}
	e.nseg = 1
}

// natFor returns the NAT gateway an IPv4 conversation from ini to a host outside the
// VPC goes through, or nil.
func natFor(ini, res *Interface, v6 bool) *Interface {
	if ini == nil || res != nil || v6 || ini.Subnet.NAT == nil || ini.Subnet.NAT == ini {
		return nil
	}
	return ini.Subnet.NAT
}

func (s *segment) request(proto uint8) packet {
	return packet{proto: proto, src: s.a.addr, dst: s.b.addr, sport: s.a.port, dport: s.b.port}
}

func (e *engine) log(seg int, ifc *Interface, egress, response bool, d decision) {
	e.logs[e.nlog] = logEntry{seg: seg, ifc: ifc, egress: egress, response: response, d: d}
	e.nlog++
}

// evaluate sends the request through every segment, and the response back, until a
// filter drops one; it logs each check point an interface of ours sees. It reports
// whether the response reached the initiator.
func (e *engine) evaluate(c *Conversation) bool {
	t := e.t
	e.nlog = 0
	for s := 0; s < e.nseg; s++ {
		seg := &e.segs[s]
		p := seg.request(c.Protocol)
		if seg.a.ifc != nil {
			d := t.leave(seg.a.ifc, p, true, seg.crossing)
			e.log(s, seg.a.ifc, true, false, d)
			if !d.pass {
				return false
			}
		}
		if seg.b.ifc != nil {
			d := t.arrive(seg.b.ifc, p, true, seg.crossing)
			e.log(s, seg.b.ifc, false, false, d)
			if !d.pass {
				return false
			}
		}
	}
	if c.Reply == Silent {
		return false
	}
	for s := e.nseg - 1; s >= 0; s-- {
		seg := &e.segs[s]
		p := seg.request(c.Protocol).reverse()
		if seg.b.ifc != nil {
			d := t.leave(seg.b.ifc, p, false, seg.crossing)
			e.log(s, seg.b.ifc, true, true, d)
			if !d.pass {
				return false
			}
		}
		if seg.a.ifc != nil {
			d := t.arrive(seg.a.ifc, p, false, seg.crossing)
			e.log(s, seg.a.ifc, false, true, d)
			if !d.pass {
				return false
			}
		}
	}
	return true
}

// timeline is when one direction's packets were sent: evenly over a span, or as TCP
// retransmissions (at 0, 1, 3, 7, ... seconds).
type timeline struct {
	first int64
	span  int64
	n     uint64
	bytes uint64
	retry bool
}

// at is the time of packet i.
func (tl *timeline) at(i uint64) int64 {
	switch {
	case tl.retry:
		return tl.first + int64(1)<<min(i, 30) - 1
	case tl.n <= 1:
		return tl.first
	}
	return tl.first + tl.span*int64(i)/int64(tl.n-1)
}

func (tl *timeline) lastAt() int64 { return tl.at(tl.n - 1) }

// before counts the packets sent before x.
func (tl *timeline) before(x int64) uint64 {
	if x <= tl.first {
		return 0
	}
	if tl.retry {
		var k uint64
		for k < tl.n && tl.at(k) < x {
			k++
		}
		return k
	}
	d := x - tl.first
	if tl.n <= 1 || tl.span <= 0 || d > tl.span {
		return tl.n
	}
	// at(i) < x  <=>  span*i < d*(n-1)
	k := uint64((d*int64(tl.n-1) + tl.span - 1) / tl.span)
	return min(k, tl.n)
}

// share is the bytes of the first k of n packets, rounded so that shares add up.
func share(bytes, k, n uint64) uint64 {
	hi, lo := bits.Mul64(bytes, k)
	q, _ := bits.Div64(hi, lo, n)
	return q
}

// flagSpec is the tcp-flags of one direction: on every record, on the first one, on
// the last one.
type flagSpec struct{ all, first, last uint8 }

// The TCP flags flow logs record.
const (
	flagFIN    = 1
	flagSYN    = 2
	flagRST    = 4
	flagSYNACK = 18
)

// directions works out the packets of the request and the response directions.
func (e *engine) directions(c *Conversation, answered bool) (req, resp timeline, reqFlags, respFlags flagSpec) {
	start := c.Start.Unix()
	fixed := func(size uint64) uint64 {
		if c.IPv6 {
			return size + v6Overhead
		}
		return size
	}
	tcp := c.Protocol == TCP
	switch {
	case answered && c.Reply == Reset:
		req = timeline{first: start, n: 1, bytes: fixed(synBytes)}
		resp = timeline{first: start, n: 1, bytes: fixed(rstBytes)}
		reqFlags, respFlags = flagSpec{all: flagSYN}, flagSpec{all: flagRST}
	case answered:
		span := int64(c.Duration / time.Second)
		if span == 0 && !tcp && c.Protocol != UDP {
			span = int64(c.Request.Packets) - 1 // a ping a second
		}
		req = timeline{first: start, span: span, n: c.Request.Packets, bytes: c.Request.Bytes}
		resp = timeline{first: start, span: span, n: c.Response.Packets, bytes: c.Response.Bytes}
		if tcp {
			reqFlags, respFlags = flagSpec{first: flagSYN, last: flagFIN}, flagSpec{first: flagSYNACK, last: flagFIN}
		}
	case tcp:
		n := uint64(min(c.Attempts, 8))
		req = timeline{first: start, n: n, bytes: n * fixed(synBytes), retry: true}
		resp = req
		reqFlags, respFlags = flagSpec{all: flagSYN}, flagSpec{all: flagSYNACK}
		if c.Reply == Reset {
			resp.bytes = n * fixed(rstBytes)
			respFlags = flagSpec{all: flagRST}
		}
	case c.Protocol == UDP:
		n := uint64(c.Attempts)
		req = timeline{first: start, span: 5 * int64(n-1), n: n, bytes: n * (c.Request.Bytes / c.Request.Packets)}
		resp = req
		resp.bytes = n * (c.Response.Bytes / c.Response.Packets)
	default: // ICMP: the pings go out whether or not replies come back
		n := c.Request.Packets
		req = timeline{first: start, span: int64(n) - 1, n: n, bytes: c.Request.Bytes}
		resp = req
		resp.bytes = c.Response.Bytes * n / max(c.Response.Packets, 1)
	}
	return
}

// run evaluates c and leaves its records in e.recs; conv is the index its records
// carry.
func (e *engine) run(c *Conversation, conv int32) {
	e.plan(c)
	e.answered = e.evaluate(c)
	req, resp, reqFlags, respFlags := e.directions(c, e.answered)
	e.recs = e.recs[:0]
	e.first, e.last = req.first, max(req.lastAt(), resp.lastAt())
	for i := range e.logs[:e.nlog] {
		l := &e.logs[i]
		seg := &e.segs[l.seg]
		p := seg.request(c.Protocol)
		tl, fl := &req, reqFlags
		if l.response {
			p, tl, fl = p.reverse(), &resp, respFlags
		}
		r := e.base(l.ifc, p, l.egress, l.d.pass, conv)
		e.split(r, tl, fl)
	}
	e.strayAt = 0
	if e.answered && c.Stray && c.Reply == Answer && c.Protocol == TCP && e.segs[0].a.ifc != nil {
		e.stray(c, resp.lastAt(), conv)
	}
}

// stray logs the late RST of a closed connection on the initiator's interface, if no
// inbound rule lets it in: connection tracking has forgotten the flow, so the security
// groups judge it as a new packet.
func (e *engine) stray(c *Conversation, lastResponse int64, conv int32) {
	seg := &e.segs[0]
	p := seg.request(c.Protocol).reverse()
	ifc := seg.a.ifc
	if !e.t.arrive(ifc, p, false, seg.crossing).pass || e.t.sgAllows(ifc, p, false) {
		return
	}
	at := lastResponse + 5 + int64(p.sport%30)
	r := e.base(ifc, p, false, false, conv)
	e.strayAt, e.strayFirst = at, len(e.recs)
	e.last = max(e.last, at)
	e.split(r, &timeline{first: at, n: 1, bytes: rstBytes}, flagSpec{all: flagRST})
}

// base fills the fields every record of one direction on one interface shares.
func (e *engine) base(ifc *Interface, p packet, egress, pass bool, conv int32) rec {
	r := rec{ifc: uint16(ifc.idx), src: p.src.As16(), dst: p.dst.As16(), sport: p.sport, dport: p.dport, proto: p.proto,
		action: model.Accept, dir: model.Ingress, status: model.StatusOK, conv: conv}
	if !pass {
		r.action = model.Reject
	}
	if egress {
		r.dir = model.Egress
		switch {
		case e.t.byAddr[p.dst] != nil || e.t.VPC.CIDR.Contains(p.dst) || e.t.VPC.IPv6.Contains(p.dst):
			r.path = 1 // same VPC
		case p.dst.Is4() && ifc.Subnet.NAT != nil && ifc.Subnet.NAT != ifc:
			r.path = 1 // through another resource in the VPC: the private subnet's NAT gateway
		default:
			r.path = 8 // internet gateway
		}
	}
	r.srcSvc, r.dstSvc = e.service(p.src), e.service(p.dst)
	return r
}

// service is the AWS service an outside address belongs to, as a symbol.
func (e *engine) service(a netip.Addr) model.Sym {
	for s := range e.nseg {
		for _, sd := range [2]*side{&e.segs[s].a, &e.segs[s].b} {
			if sd.host != nil && sd.addr == a {
				return sd.host.svc
			}
		}
	}
	return 0
}

// split cuts one direction into one record per aggregation window it has packets in.
func (e *engine) split(r rec, tl *timeline, fl flagSpec) {
	if tl.n == 0 {
		return
	}
	w := e.window
	last := tl.lastAt()
	ws := tl.first - mod(tl.first, w)
	for ; ws <= last; ws += w {
		k0, k1 := tl.before(ws), tl.before(ws+w)
		if k1 <= k0 {
			continue
		}
		x := r
		x.start, x.end = uint32(tl.at(k0)), uint32(tl.at(k1-1))
		x.packets = k1 - k0
		x.bytes = share(tl.bytes, k1, tl.n) - share(tl.bytes, k0, tl.n)
		if r.proto == TCP {
			x.flags = fl.all
			if k0 == 0 {
				x.flags |= fl.first
			}
			if k1 == tl.n {
				x.flags |= fl.last
			}
		}
		e.recs = append(e.recs, x)
	}
}

func mod(a, b int64) int64 {
	m := a % b
	if m < 0 {
		m += b
	}
	return m
}
