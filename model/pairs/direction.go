package pairs

import (
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/flowlens/flowlens/model/decode"
	"github.com/flowlens/flowlens/model/rules"
)

// Signal is one piece of evidence about a conversation's direction and what it said,
// e.g. {"tcp-flags", "10.0.1.5:40000 sent a SYN (2): it opened the connection", true}.
// Decisive: the signal alone settles what it speaks to (who started the conversation,
// or which end is the interface).
type Signal struct {
	Name, Says string
	Decisive   bool
}

// Names of the signals, in the order they are weighed (strongest first). The first four
// tell which end of the conversation is the interface (inbound or outbound); the others
// who started it.
const (
	SignalTCPFlags       = "tcp-flags"
	SignalFlowDirection  = "flow-direction"
	SignalOwnAddress     = "own-address"
	SignalPrivateAddress = "private-address"
	SignalRejectLogic    = "reject-logic"
	SignalPrivilegedPort = "privileged-port"
	SignalOneWay         = "one-way"
	SignalListener       = "listener"
	SignalServicePort    = "service-port"
	SignalEarliestStart  = "earliest-start"
	SignalStray          = "stray-rejects"
	SignalUndecided      = "undecided"
)

// listenerMin is how many conversations an endpoint must take part in, against one for
// the other end, to count as a listening port: one client port can be reused towards a
// couple of servers, a server port serves many clients.
const listenerMin = 3

// inputs is everything outside the pair a judgement depends on; a cached judgement is
// reused while the pair and these are unchanged.
type inputs struct {
	rs             *rules.Set
	ownA, ownB     bool  // in every record of the interface (with two pairs or more there)
	listenA, listB int32 // conversations of each endpoint, capped at listenerMin
}

func (ix *Index) inputsOf(p *Pair, rs *rules.Set) inputs {
	return ix.evidence.inputs(&p.counts, familyOf(&p.Key), rs)
}

// act is a direction's action once stray rejects are set aside.
type act uint8

const (
	actNone   act = iota // no records
	actAccept            // every record with an action is ACCEPT
	actReject
	actMixed
	actBlank // records without an action (the format lacks it)
)

func effective(d *Dir, strays int) act {
	accepts, rejects := d.Accepts, int(d.Rejects)-strays
	switch {
	case d.Records == 0:
		return actNone
	case accepts > 0 && rejects > 0:
		return actMixed
	case accepts > 0:
		return actAccept
	case rejects > 0:
		return actReject
	}
	return actBlank
}

// strayRejects returns how many REJECT records of direction s are benign packets after
// the close, not a block (see docs/pairs.md, "Mixed directions"). They are when the
// direction was accepted before, every REJECT record came after its last ACCEPT record
// and started no earlier than the other direction's last packet (the conversation was
// over), none is a BPA reject, and they look like a teardown: FIN or RST without SYN by
// their tcp-flags, or, without flags, at most two packets a record.
func (p *Pair) strayRejects(s Side) int {
	d, o, x := &p.Dirs[s], &p.Dirs[s.Other()], p.run(s)
	if d.Accepts == 0 || d.Rejects == 0 || d.BPA > 0 || x.trail != d.Rejects || o.Records == 0 || o.Last == 0 {
		return 0
	}
	if x.trailStart < o.Last {
		return 0
	}
	switch {
	case x.trailFlagged == x.trail:
		if x.trailTeardown != x.trail {
			return 0
		}
	case x.trailFlagged == 0:
		if x.trailPackets > 2*uint64(x.trail) {
			return 0
		}
	default:
		return 0
	}
	return int(d.Rejects)
}

// direction is what the signals concluded.
type direction struct {
	initiator Side // the direction of the request; SideUnknown
	decidedBy string
	guess     bool // decided by a weak signal (ports, times)
	local     Side // the direction whose sender is the interface; SideUnknown
	localBy   string
	signals   []Signal
}

// decision is a direction in 16 bits, without the signals' texts: what a Batch keeps
// of a pair's classification to judge it again with its sentence.
type decision uint16

// signalNames numbers the signals a direction can be decided by.
var signalNames = [...]string{"", SignalTCPFlags, SignalFlowDirection, SignalOwnAddress, SignalPrivateAddress,
	SignalRejectLogic, SignalPrivilegedPort, SignalOneWay, SignalListener, SignalServicePort, SignalEarliestStart}

func signalNumber(name string) uint16 {
	for i, n := range signalNames {
		if n == name {
			return uint16(i)
		}
	}
	panic("pairs: no number for signal " + name)
}

func (d *direction) decision() decision {
	x := uint16(d.initiator) | uint16(d.local)<<2 | signalNumber(d.decidedBy)<<4 | signalNumber(d.localBy)<<8
	if d.guess {
		x |= 1 << 12
	}
	return decision(x)
}

func (x decision) direction() direction {
	return direction{initiator: Side(x & 3), local: Side(x >> 2 & 3), decidedBy: signalNames[x>>4&15],
		localBy: signalNames[x>>8&15], guess: x&(1<<12) != 0}
}

// opinion is one signal's view on a question: the side it points to (SideUnknown: it
// has nothing to say), and what it said.
type opinion struct {
	name     string
	side     Side
	speaks   bool   // the signal has something to say
	says     string // what, written only for a full judgement
	decisive bool
}

// say records that the signal speaks, and writes what it says when full: the sentences
// cost more than the whole decision, and sorting or filtering thousands of pairs needs
// only the decision.
func (o *opinion) say(full bool, text func() string) {
	o.speaks = true
	if full {
		o.says = text()
	}
}

// weigh lets the first signal with an opinion decide and records every signal, noting
// those that disagreed with the decision.
func weigh(ops []opinion, full bool) (decided Side, by string, sigs []Signal) {
	decided = SideUnknown
	for _, o := range ops {
		if !o.speaks {
			continue
		}
		says := o.says
		switch {
		case o.side == SideUnknown:
		case decided == SideUnknown:
			decided, by = o.side, o.name
		case o.side != decided:
			says += " (overruled by " + by + ")"
		}
		if !full {
			continue
		}
		sigs = append(sigs, Signal{Name: o.name, Says: says, Decisive: o.decisive && o.side != SideUnknown})
	}
	return decided, by, sigs
}

// endpointText is an endpoint as the sentences show it: without the port for protocols
// that have none.
func endpointText(proto uint8, ap netip.AddrPort) string {
	if !hasPorts(proto) {
		return ap.Addr().String()
	}
	return ap.String()
}

// arrow is a direction as the sentences show it: "203.0.113.7:51515 -> 10.0.1.5:22".
func arrow(k Key, s Side) string {
	return endpointText(k.Protocol, k.Sender(s)) + " -> " + endpointText(k.Protocol, k.Receiver(s))
}

// texts writes a pair's ends once per judgement: the sentences name them many times.
type texts struct {
	k          Key
	ends, addr [2]string // by Side: the sender of that direction
	ifc        string
}

func newTexts(k Key) *texts { return &texts{k: k} }

// end is the sender of direction s as the sentences show it (no port for protocols
// without ports).
func (t *texts) end(s Side) string {
	if t.ends[s] == "" {
		t.ends[s] = endpointText(t.k.Protocol, t.k.Sender(s))
	}
	return t.ends[s]
}

// address is the sender of direction s's address.
func (t *texts) address(s Side) string {
	if t.addr[s] == "" {
		t.addr[s] = t.k.Sender(s).Addr().String()
	}
	return t.addr[s]
}

func (t *texts) arrow(s Side) string { return t.end(s) + " -> " + t.end(s.Other()) }

func (t *texts) iface() string {
	if t.ifc == "" {
		t.ifc = t.k.Interface.String()
	}
	return t.ifc
}

func directionOf(p *Pair, in inputs, eff [2]act, full bool) direction {
	var dir direction
	k := p.Key
	t := newTexts(k)

	// Which end is the interface.
	local := [...]opinion{
		flowDirectionOpinion(p, t, full),
		ownAddressOpinion(k, t, in, full),
		privateAddressOpinion(k, t, full),
	}
	var sigsLocal []Signal
	dir.local, dir.localBy, sigsLocal = weigh(local[:], full)

	// Who started it.
	ports := portOpinions(k, t, in, full)
	// A port below 1024 against an unlisted high one outranks one-way: a lone
	// direction from such a server port is a reply whose request is older than the
	// records (a stream's later windows, a late RST), not a request.
	started := [...]opinion{
		tcpFlagsOpinion(p, t, full),
		rejectLogicOpinion(t, eff, full),
		ports[0],
		oneWayOpinion(p, t, full),
		ports[1], ports[2],
		earliestStartOpinion(p, t, full),
	}
	var sigsStarted []Signal
	dir.initiator, dir.decidedBy, sigsStarted = weigh(started[:], full)
	// A weak signal's decision is a guess unless a decisive one agrees with it.
	switch dir.decidedBy {
	case SignalListener, SignalServicePort, SignalEarliestStart, SignalPrivilegedPort:
		dir.guess = true
		for _, o := range started {
			if o.decisive && o.side == dir.initiator {
				dir.guess = false
			}
		}
	}

	// The documented order: tcp-flags, then the interface's side, then the rest.
	if len(sigsStarted) > 0 && sigsStarted[0].Name == SignalTCPFlags {
		dir.signals = append(dir.signals, sigsStarted[0])
		sigsStarted = sigsStarted[1:]
	}
	dir.signals = append(dir.signals, sigsLocal...)
	dir.signals = append(dir.signals, sigsStarted...)
	if full && dir.initiator == SideUnknown && p.Dirs[AtoB].Records > 0 && p.Dirs[BtoA].Records > 0 {
		dir.signals = append(dir.signals, Signal{Name: SignalUndecided,
			Says: "nothing tells whether " + t.end(AtoB) + " or " + t.end(BtoA) + " started it: both directions are alike"})
	}
	return dir
}

func tcpFlagsOpinion(p *Pair, t *texts, full bool) opinion {
	o := opinion{name: SignalTCPFlags, side: SideUnknown, decisive: true}
	if p.Key.Protocol != decode.ProtoTCP {
		return o
	}
	xa, xb := p.flagsOf(AtoB), p.flagsOf(BtoA)
	if xa.flagged == 0 && xb.flagged == 0 {
		o.say(full, func() string {
			return "not recorded: the format has no tcp-flags field, so the direction rests on weaker signals"
		})
		return o
	}
	facts := func() string {
		var f []string
		for _, s := range []Side{AtoB, BtoA} {
			if p.flagsOf(s).synOnly > 0 {
				f = append(f, t.end(s)+" sent a SYN (2)")
			}
		}
		for _, s := range []Side{AtoB, BtoA} {
			if p.flagsOf(s).synAck > 0 {
				f = append(f, t.end(s)+" answered with a SYN-ACK (18)")
			}
		}
		return joinFacts(f)
	}
	aOpened := xa.synOnly > 0 || xb.synAck > 0
	bOpened := xb.synOnly > 0 || xa.synAck > 0
	switch {
	case aOpened && bOpened:
		o.say(full, func() string {
			return facts() + ": both ends claim the opening (a simultaneous open, or the ports reused), so the flags cannot tell"
		})
	case aOpened:
		o.side = AtoB
		o.say(full, func() string { return facts() + ": " + t.end(AtoB) + " opened the connection" })
	case bOpened:
		o.side = BtoA
		o.say(full, func() string { return facts() + ": " + t.end(BtoA) + " opened the connection" })
	default:
		o.say(full, func() string { return "no SYN or SYN-ACK among the records: the connection opened before them" })
	}
	return o
}

func joinFacts(facts []string) string {
	switch len(facts) {
	case 0:
		return ""
	case 1:
		return facts[0]
	}
	return strings.Join(facts[:len(facts)-1], ", ") + " and " + facts[len(facts)-1]
}

// flowDirectionOpinion: an ingress record's receiver is the interface, an egress
// record's sender is. Its side is the direction whose sender is the interface.
func flowDirectionOpinion(p *Pair, t *texts, full bool) opinion {
	o := opinion{name: SignalFlowDirection, side: SideUnknown, decisive: true}
	wa, wb := p.ways(AtoB), p.ways(BtoA)
	aLocal := wa.egress + wb.ingress
	bLocal := wb.egress + wa.ingress
	switch {
	case aLocal == 0 && bLocal == 0:
		return o
	case aLocal > 0 && bLocal > 0:
		o.say(full, func() string {
			return "the records' ingress and egress contradict each other: both ends look like the interface"
		})
		return o
	case aLocal > 0:
		o.side = AtoB
	default:
		o.side = BtoA
	}
	o.say(full, func() string {
		if p.ways(o.side).egress > 0 {
			return t.arrow(o.side) + " is egress: " + t.address(o.side) + " is the interface's side"
		}
		return t.arrow(o.side.Other()) + " is ingress: " + t.address(o.side) + " is the interface's side"
	})
	return o
}

func ownAddressOpinion(k Key, t *texts, in inputs, full bool) opinion {
	o := opinion{name: SignalOwnAddress, side: SideUnknown}
	if in.rs != nil {
		if loaded, ok := in.rs.Interface(t.iface()); ok {
			aOwn := slices.Contains(loaded.PrivateIPs, k.A().Addr())
			bOwn := slices.Contains(loaded.PrivateIPs, k.B().Addr())
			o.decisive = true
			switch {
			case aOwn && !bOwn:
				o.side = AtoB
			case bOwn && !aOwn:
				o.side = BtoA
			}
			o.say(full, func() string {
				switch {
				case o.side != SideUnknown:
					return t.address(o.side) + " is a private address of " + t.iface() + " in the loaded rules"
				case aOwn:
					return "both " + t.address(AtoB) + " and " + t.address(BtoA) + " are addresses of " + t.iface() + " in the loaded rules"
				}
				return "neither " + t.address(AtoB) + " nor " + t.address(BtoA) + " is an address of " + t.iface() + " in the loaded rules"
			})
			return o
		}
	}
	switch {
	case in.ownA && !in.ownB:
		o.side = AtoB
	case in.ownB && !in.ownA:
		o.side = BtoA
	default:
		return o
	}
	o.say(full, func() string {
		return t.address(o.side) + " is in every record of " + t.iface() + ": the interface's own address (inferred)"
	})
	return o
}

// private4 reports whether an IPv4 address is private (RFC 1918, as netip's IsPrivate)
// or in RFC 6598's shared space 100.64.0.0/10, which AWS allows as a VPC CIDR. It reads
// the bytes a Key keeps: classifying every pair asks it twice.
func private4(a [4]byte) bool {
	return a[0] == 10 || a[0] == 172 && a[1]&0xf0 == 16 || a[0] == 192 && a[1] == 168 || a[0] == 100 && a[1]&0xc0 == 64
}

// privateAddressOpinion: flow logs show an interface's side as its primary private IPv4,
// so of a private and a public IPv4 address the private one is likely the interface. A
// guess: VPCs may use public ranges, and IPv6 addresses in a VPC are public.
func privateAddressOpinion(k Key, t *texts, full bool) opinion {
	o := opinion{name: SignalPrivateAddress, side: SideUnknown}
	if !isMapped(&k.a) || !isMapped(&k.b) {
		return o
	}
	pa, pb := private4([4]byte(k.a[12:])), private4([4]byte(k.b[12:]))
	if pa == pb {
		return o
	}
	o.side = AtoB
	if pb {
		o.side = BtoA
	}
	o.say(full, func() string {
		return t.address(o.side) + " is private and " + t.address(o.side.Other()) + " public: the interface is likely " +
			t.address(o.side) + " (flow logs show its private address)"
	})
	return o
}

// rejectLogicOpinion: a rejected request has no reply, so when one direction is all
// ACCEPT and the other all REJECT, the REJECT side is the reply.
func rejectLogicOpinion(t *texts, eff [2]act, full bool) opinion {
	o := opinion{name: SignalRejectLogic, side: SideUnknown, decisive: true}
	switch {
	case eff[AtoB] == actAccept && eff[BtoA] == actReject:
		o.side = AtoB
	case eff[BtoA] == actAccept && eff[AtoB] == actReject:
		o.side = BtoA
	default:
		return o
	}
	o.say(full, func() string {
		return t.arrow(o.side.Other()) + " was rejected and " + t.arrow(o.side) +
			" accepted: a rejected request has no reply, so the rejected side is the reply"
	})
	return o
}

// oneWayOpinion: a reply never comes without its request, which passes the same
// interface, so a lone direction is the request.
func oneWayOpinion(p *Pair, t *texts, full bool) opinion {
	o := opinion{name: SignalOneWay, side: SideUnknown, decisive: true}
	switch {
	case p.Dirs[AtoB].Records > 0 && p.Dirs[BtoA].Records == 0:
		o.side = AtoB
	case p.Dirs[BtoA].Records > 0 && p.Dirs[AtoB].Records == 0:
		o.side = BtoA
	default:
		return o
	}
	o.say(full, func() string {
		return "only " + t.arrow(o.side) + " was recorded: a reply never comes without its request, so it is the request"
	})
	return o
}

func serviceName(proto uint8, port uint16) string {
	if name, ok := decode.Service(proto, port); ok {
		return " (" + name + ")"
	}
	return ""
}

func portText(p uint16) string { return strconv.Itoa(int(p)) }

// portOpinions reads the ports: a port below 1024 against one that is neither below
// 1024 nor a known service (clients do not bind privileged ports, except NFS clients
// talking to 2049, which the second condition lets through); then a listening port (an
// endpoint in many conversations against one in a single one), which catches servers on
// unlisted high ports talking to clients whose ephemeral port happens to be a known
// service (old Windows picks 1025-5000); then the service table's ranks. Each opinion's
// side is the request's direction: the one towards the server.
func portOpinions(k Key, t *texts, in inputs, full bool) [3]opinion {
	priv := opinion{name: SignalPrivilegedPort, side: SideUnknown}
	listen := opinion{name: SignalListener, side: SideUnknown}
	rank := opinion{name: SignalServicePort, side: SideUnknown}
	if !hasPorts(k.Protocol) || k.aPort == 0 || k.bPort == 0 {
		return [3]opinion{priv, listen, rank}
	}
	port := [2]uint16{k.aPort, k.bPort} // by Side: the sender's port
	_, svcA := decode.Service(k.Protocol, port[AtoB])
	_, svcB := decode.Service(k.Protocol, port[BtoA])
	// server is the end (by the Side it sends) that serves; the request goes to it.
	server := SideUnknown
	switch {
	case port[AtoB] < 1024 && port[BtoA] >= 1024 && !svcB:
		server = AtoB
	case port[BtoA] < 1024 && port[AtoB] >= 1024 && !svcA:
		server = BtoA
	}
	if server != SideUnknown {
		priv.side = server.Other()
		priv.say(full, func() string {
			return "port " + portText(port[server]) + serviceName(k.Protocol, port[server]) + " is below 1024 and " +
				portText(port[server.Other()]) + " is not a known service: clients do not bind ports below 1024, so " +
				t.end(server) + " is the server"
		})
	}
	server = SideUnknown
	switch {
	case in.listenA >= listenerMin && in.listB == 1:
		server = AtoB
	case in.listB >= listenerMin && in.listenA == 1:
		server = BtoA
	}
	if server != SideUnknown {
		listen.side = server.Other()
		listen.say(full, func() string {
			return t.end(server) + " takes part in " + strconv.Itoa(listenerMin) + " or more conversations on " + t.iface() +
				" and " + t.end(server.Other()) + " in one: " + t.end(server) + " is a listening port"
		})
	}
	rk := [2]int{decode.ServicePortRank(k.Protocol, port[AtoB]), decode.ServicePortRank(k.Protocol, port[BtoA])}
	server = SideUnknown
	switch {
	case rk[AtoB] < rk[BtoA]:
		server = AtoB
	case rk[BtoA] < rk[AtoB]:
		server = BtoA
	}
	if server != SideUnknown {
		rank.side = server.Other()
		rank.say(full, func() string {
			c := server.Other()
			return "port " + portText(port[server]) + " is " + rankText(k.Protocol, port[server], rk[server]) + " and " +
				portText(port[c]) + " " + rankText(k.Protocol, port[c], rk[c]) + ": " + t.end(server) + " looks like the server"
		})
	}
	return [3]opinion{priv, listen, rank}
}

func rankText(proto uint8, port uint16, rank int) string {
	switch rank {
	case decode.RankWellKnownService:
		return "a well-known service port" + serviceName(proto, port)
	case decode.RankService:
		return "a known service port" + serviceName(proto, port)
	case decode.RankPrivileged:
		return "below 1024"
	case decode.RankRegistered:
		return "in 1024-32767"
	}
	return "in the ephemeral range 32768-65535"
}

func earliestStartOpinion(p *Pair, t *texts, full bool) opinion {
	o := opinion{name: SignalEarliestStart, side: SideUnknown}
	da, db := &p.Dirs[AtoB], &p.Dirs[BtoA]
	if da.First == 0 || db.First == 0 || da.First == db.First {
		return o
	}
	o.side = AtoB
	if db.First < da.First {
		o.side = BtoA
	}
	o.say(full, func() string {
		first, then := p.Dirs[o.side].First, p.Dirs[o.side.Other()].First
		return t.arrow(o.side) + " began at " + clock(first) + ", " + t.arrow(o.side.Other()) + " " +
			seconds(int64(then)-int64(first)) + " later"
	})
	return o
}

func clock(unix uint32) string { return time.Unix(int64(unix), 0).UTC().Format("15:04:05Z") }

func seconds(n int64) string {
	if n == 1 {
		return "1 second"
	}
	return strconv.FormatInt(n, 10) + " seconds"
}
