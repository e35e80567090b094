package decode

import (
	"fmt"
	"strings"
)

// TCP flags as VPC flow logs record them (tcp-flags, version 3). Only FIN, SYN and RST are
// recorded, plus bit 16 (ACK) when it comes with SYN, so SYN-ACK reads 18; a packet with
// only ACK or PSH contributes 0. The value is the OR of every packet's flags over the
// aggregation window: 3 is SYN+FIN (a short connection seen from its client), 19 is
// SYN-ACK+FIN (the same seen from its server).
const (
	FlagFIN    = 1
	FlagSYN    = 2
	FlagRST    = 4
	FlagSYNACK = 18

	// flagACK is the ACK bit, which flow logs record only as part of SYN-ACK.
	flagACK = 16
	// knownFlags are the bits flow logs record; others are shown as hex.
	knownFlags = FlagFIN | FlagSYN | FlagRST | flagACK
)

// Role is what a record's TCP flags say about which side started the connection.
type Role uint8

// Roles of the sending side of a record.
const (
	RoleUnknown   Role = iota // no SYN in the window: a continuing, closing or reset connection
	RoleInitiator             // SYN without ACK: this side asked for the connection
	RoleResponder             // SYN-ACK: this side accepted a connection request
)

// String returns "unknown", "initiator" or "responder".
func (r Role) String() string {
	switch r {
	case RoleInitiator:
		return "initiator"
	case RoleResponder:
		return "responder"
	default:
		return "unknown"
	}
}

var (
	// tcpFlagLabels, tcpFlagMeanings and tcpFlagNames hold every one of the 256 values,
	// built once so that the per-record functions only index an array.
	tcpFlagLabels   [256]string
	tcpFlagMeanings [256]string
	tcpFlagNames    [256][]string
)

func init() {
	for v := range 256 {
		names := buildTCPFlagNames(uint8(v))
		tcpFlagNames[v] = names
		if len(names) == 0 {
			tcpFlagLabels[v] = "-"
		} else {
			tcpFlagLabels[v] = strings.Join(names, "+")
		}
		tcpFlagMeanings[v] = buildTCPFlagMeaning(uint8(v))
	}
}

// buildTCPFlagNames lists the flags of v in reading order: the opening flag (SYN or
// SYN-ACK), then FIN, then RST, then any bit flow logs do not record as "0x20".
func buildTCPFlagNames(v uint8) []string {
	var names []string
	switch {
	case v&FlagSYNACK == FlagSYNACK:
		names = append(names, "SYN-ACK")
	case v&FlagSYN != 0:
		names = append(names, "SYN")
	case v&flagACK != 0:
		names = append(names, "ACK")
	}
	if v&FlagFIN != 0 {
		names = append(names, "FIN")
	}
	if v&FlagRST != 0 {
		names = append(names, "RST")
	}
	for bit := 8; bit < 256; bit <<= 1 {
		if bit&knownFlags == 0 && int(v)&bit != 0 {
			names = append(names, fmt.Sprintf("0x%02x", bit))
		}
	}
	return names
}

// tcpFlagSentences explain the combinations of recorded bits; the keys cover every value
// of v&knownFlags.
var tcpFlagSentences = map[uint8]string{
	0:  "no SYN, FIN or RST in this window (ACK/PSH only, or a continuing connection)",
	1:  "FIN: the connection was closed",
	2:  "SYN: this side opened the connection (initiator)",
	3:  "SYN and FIN in one window: a short connection opened by this side",
	4:  "RST: the connection was reset",
	5:  "FIN and RST in one window: the connection was closed and reset",
	6:  "SYN and RST in one window: this side opened a connection that was then reset",
	7:  "SYN, FIN and RST in one window: a short connection opened by this side, then reset",
	16: "ACK without SYN: not a value flow logs normally record",
	17: "ACK without SYN, and FIN: not a value flow logs normally record",
	18: "SYN-ACK: this side answered a connection request (responder)",
	19: "SYN-ACK and FIN in one window: a short connection answered by this side",
	20: "ACK without SYN, and RST: not a value flow logs normally record",
	21: "ACK without SYN, FIN and RST: not a value flow logs normally record",
	22: "SYN-ACK and RST in one window: this side answered a connection request, then the connection was reset",
	23: "SYN-ACK, FIN and RST in one window: a short connection answered by this side, then reset",
}

func buildTCPFlagMeaning(v uint8) string {
	sentence := tcpFlagSentences[v&knownFlags]
	extra := v &^ knownFlags
	if extra == 0 {
		return sentence
	}
	if v&knownFlags == 0 {
		return fmt.Sprintf("flag bits 0x%02x: not ones flow logs record", extra)
	}
	return fmt.Sprintf("%s (also bits 0x%02x, which flow logs do not record)", sentence, extra)
}

// TCPFlagNames returns the names of the flags in v: nil for 0, ["SYN"] for 2, ["SYN-ACK"]
// for 18, ["SYN","FIN"] for 3, ["SYN-ACK","FIN"] for 19, ["SYN","RST"] for 6. Bit 16
// without SYN is "ACK"; bits flow logs never record (8, 32, 64, 128) are named in hex,
// "0x20". The slice is the caller's.
func TCPFlagNames(v uint8) []string {
	names := tcpFlagNames[v]
	if names == nil {
		return nil
	}
	return append([]string(nil), names...)
}

// TCPFlagsLabel returns the flag names joined by "+" ("SYN+FIN"), or "-" for 0, without
// allocating.
func TCPFlagsLabel(v uint8) string {
	return tcpFlagLabels[v]
}

// AppendTCPFlags appends TCPFlagsLabel(v) to dst; it allocates only when dst must grow.
func AppendTCPFlags(dst []byte, v uint8) []byte {
	return append(dst, tcpFlagLabels[v]...)
}

// TCPFlagRole says what the flags tell about who started the connection: RoleInitiator for
// SYN without ACK (this side sent the SYN), RoleResponder for SYN-ACK, RoleUnknown when
// there is no SYN (0, FIN only, RST only).
func TCPFlagRole(v uint8) Role {
	switch {
	case v&FlagSYNACK == FlagSYNACK:
		return RoleResponder
	case v&FlagSYN != 0:
		return RoleInitiator
	default:
		return RoleUnknown
	}
}

// TCPFlagsMeaning returns one sentence about v for the detail pane, such as
// "SYN: this side opened the connection (initiator)" for 2. It does not allocate.
func TCPFlagsMeaning(v uint8) string {
	return tcpFlagMeanings[v]
}

// tcpFlagsByName are the flag names a filter accepts.
var tcpFlagsByName = map[string]uint8{
	"fin":     FlagFIN,
	"syn":     FlagSYN,
	"rst":     FlagRST,
	"syn-ack": FlagSYNACK,
	"synack":  FlagSYNACK,
	"syn_ack": FlagSYNACK,
}

// TCPFlagByName returns the bit value of a flag name, case-insensitive: "fin" 1, "syn" 2,
// "rst" 4, "syn-ack" (also "synack") 18. It never panics and does not allocate.
func TCPFlagByName(s string) (uint8, bool) {
	return lookupFold(tcpFlagsByName, s, false)
}
