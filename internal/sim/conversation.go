package sim

import (
	"net/netip"
	"time"
)

// Conversation is one connection (TCP), exchange (UDP) or ping (ICMP) from an
// initiator to a responder. Zero fields take defaults for the protocol.
type Conversation struct {
	Label                string // what the traffic is, for people: "ssh brute force"
	Initiator, Responder Endpoint
	Protocol             uint8
	Port                 uint16 // the responder's port; 0 for ICMP
	// SrcPort is the initiator's port; 0 picks the next ephemeral port of the
	// initiator's OS. Protocols other than TCP and UDP have no ports (0).
	SrcPort uint16
	IPv6    bool // use the endpoints' IPv6 addresses (ICMP becomes ICMPv6)
	Start   time.Time
	// Duration is the time from the first to the last packet of an answered
	// conversation. Unanswered ones last as long as their retries.
	Duration time.Duration
	// Request and Response are the traffic each way of an answered conversation.
	Request, Response Volume
	// Attempts is how many SYNs (TCP) or datagrams (UDP) the initiator sends when no
	// answer comes back; default 3. ICMP sends Request.Packets echo requests regardless.
	Attempts int
	Reply    Reply
	// Stray adds a late RST from the responder after the close. It reaches an
	// initiator interface whose connection tracking has forgotten the flow, and is
	// logged there as a benign REJECT when no inbound rule allows it.
	Stray bool
}

// Volume is the packets and bytes sent one way.
type Volume struct {
	Packets, Bytes uint64
}

// Reply says how the responder answers a request that reaches it.
type Reply uint8

const (
	Answer Reply = iota // the service answers: a full TCP connection, a UDP reply, an echo reply
	Silent              // nothing answers (a host firewall drops it, a UDP port nobody reads)
	Reset               // TCP: the port is closed and the host resets the connection
)

// Fixed packet sizes (IPv4; IPv6 headers add 20 bytes).
const (
	synBytes   = 60 // SYN or SYN-ACK with options
	rstBytes   = 40
	pingBytes  = 84 // 56 bytes of data, ICMP and IP headers
	v6Overhead = 20
)

// DefaultStart is when a conversation with a zero Start begins in Converse, and when
// scenarios begin: 2025-03-14 09:00:00 UTC.
var DefaultStart = time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC)

// defaults fills the zero fields of c.
func (c *Conversation) defaults() {
	if c.Protocol == ICMP && c.IPv6 {
		c.Protocol = ICMPv6
	}
	if c.Start.IsZero() {
		c.Start = DefaultStart
	}
	if c.Attempts <= 0 {
		c.Attempts = 3
	}
	if c.Reply == Reset && c.Protocol != TCP {
		c.Reply = Silent // only TCP resets; UDP would get ICMP unreachable, which is its own flow
	}
	if c.Request.Packets == 0 {
		switch c.Protocol {
		case TCP:
			c.Request = Volume{10, 1400}
		case UDP:
			c.Request = Volume{1, 70}
		default:
			c.Request = Volume{4, 4 * pingBytes}
		}
	}
	if c.Response.Packets == 0 {
		switch c.Protocol {
		case TCP:
			c.Response = Volume{12, 9000}
		case UDP:
			c.Response = Volume{1, 140}
		default:
			c.Response = c.Request
		}
	}
	if c.Request.Bytes < c.Request.Packets*20 {
		c.Request.Bytes = c.Request.Packets * 40
	}
	if c.Response.Bytes < c.Response.Packets*20 {
		c.Response.Bytes = c.Response.Packets * 40
	}
}

// Verdict is the outcome of a conversation in the words of `flowlens pairs`.
type Verdict string

const (
	Accepted   Verdict = "accepted"
	BySG       Verdict = "sg"         // a security group dropped it
	ByNACL     Verdict = "nacl"       // a network ACL dropped it
	SGOrNACL   Verdict = "sg-or-nacl" // a rejected request, told from the records alone
	NoResponse Verdict = "no-response"
)

// What a drop blocked.
const (
	BlockedRequest  = "request"
	BlockedResponse = "response"
)

// Sides of a conversation an interface can be.
const (
	InitiatorSide = "initiator"
	ResponderSide = "responder"
)

// Truth is what really happened to one conversation.
type Truth struct {
	ID       int
	Label    string
	Protocol uint8
	// Initiator and Responder are the packet addresses and ports (port 0 for ICMP).
	Initiator, Responder netip.AddrPort
	Start, End           time.Time // first and last packet, the stray one included
	Reply                Reply
	Outcome              Outcome
	// Views is the conversation as each interface that logged it sees it, the
	// initiator's first. A conversation through a NAT gateway has two views on the
	// gateway's interface, one per side of the translation.
	Views []View
	// Complete is false when a Stream stopped before every record of the
	// conversation was written.
	Complete bool
}

// Outcome is what happened to a conversation across the whole network.
type Outcome struct {
	// Verdict is Accepted, NoResponse (the request got through and nothing answered),
	// BySG or ByNACL.
	Verdict Verdict
	Blocked string // BlockedRequest, BlockedResponse, or "" when nothing was dropped
	// Interface and Direction say where the packet was dropped: "eni-...", "ingress"
	// or "egress".
	Interface, Direction string
	Rule                 string // the dropping rule, as flowlens prints it
}

// View is a conversation as one interface's records show it: what `flowlens pairs`
// should report for that interface.
type View struct {
	Interface string
	Side      string // InitiatorSide or ResponderSide
	// Initiator and Responder as the records on this interface show them: the
	// interface's own side is its primary private IPv4.
	Initiator, Responder netip.AddrPort
	// Verdict is what can be said with the rules loaded (describe-* output):
	// Accepted, BySG or ByNACL with Blocked and Rule, or NoResponse when nothing came
	// back to this interface (also when the far side dropped it).
	Verdict Verdict
	Blocked string
	Rule    string
	// TableVerdict is what the records alone say (FLOWLOGS.md's table): SGOrNACL for
	// a rejected request, ByNACL for a rejected response.
	TableVerdict Verdict
	// StrayRejects counts the benign REJECT records of a late RST in the response
	// direction: the response is then ACCEPT and REJECT (MIXED) but the verdict stands.
	StrayRejects int
	// Request and Response say whether each direction was logged here, and how.
	Request, Response Logged
}

// Logged says whether one direction of a conversation was logged on an interface, and
// with which action.
type Logged uint8

const (
	NotLogged Logged = iota
	LoggedAccept
	LoggedReject
)

func (l Logged) String() string {
	switch l {
	case LoggedAccept:
		return "ACCEPT"
	case LoggedReject:
		return "REJECT"
	}
	return "-"
}
