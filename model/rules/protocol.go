package rules

import (
	"fmt"
	"strconv"
	"strings"
)

// IANA protocol numbers that the rule semantics single out.
const (
	ProtoICMP   uint8 = 1
	ProtoTCP    uint8 = 6
	ProtoUDP    uint8 = 17
	ProtoICMPv6 uint8 = 58
)

// Protocol is a rule's protocol: an IANA number, or AllProtocols. Security groups
// name protocols ("tcp", "icmpv6") and network ACLs number them ("6", "58"); both are
// normalised to numbers at load time so that matching never compares strings.
type Protocol int16

// AllProtocols is the API's "-1": the rule applies to every protocol and ignores ports.
const AllProtocols Protocol = -1

// Matches reports whether a rule with protocol r applies to a packet of protocol p.
func (r Protocol) Matches(p uint8) bool { return r == AllProtocols || r == Protocol(p) }

// hasPorts reports whether the rule's port range means something. AWS ignores port
// ranges for every protocol except TCP and UDP (ICMP uses the fields for type and code).
func (r Protocol) hasPorts() bool { return r == Protocol(ProtoTCP) || r == Protocol(ProtoUDP) }

// isICMP reports whether the rule's port fields hold an ICMP type and code.
func (r Protocol) isICMP() bool { return r == Protocol(ProtoICMP) || r == Protocol(ProtoICMPv6) }

// String names the protocol as the AWS console does: "all", "tcp", "udp", "icmp",
// "icmpv6", or "proto 47".
func (r Protocol) String() string {
	if r == AllProtocols {
		return "all"
	}
	return ProtocolName(uint8(r))
}

// ProtocolName names a packet's protocol: tcp, udp, icmp, icmpv6, or "proto N".
func ProtocolName(p uint8) string {
	switch p {
	case ProtoTCP:
		return "tcp"
	case ProtoUDP:
		return "udp"
	case ProtoICMP:
		return "icmp"
	case ProtoICMPv6:
		return "icmpv6"
	}
	return "proto " + strconv.Itoa(int(p))
}

// ParseProtocol reads the protocol of a security-group permission or a network-ACL
// entry: "-1" (all), a name the EC2 API uses (tcp, udp, icmp, icmpv6, case-insensitive)
// or a number 0-255 written as a string.
func ParseProtocol(s string) (Protocol, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "-1", "all":
		return AllProtocols, nil
	case "tcp":
		return Protocol(ProtoTCP), nil
	case "udp":
		return Protocol(ProtoUDP), nil
	case "icmp":
		return Protocol(ProtoICMP), nil
	case "icmpv6":
		return Protocol(ProtoICMPv6), nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 0 || n > 255 {
		return 0, fmt.Errorf("protocol %q is not tcp, udp, icmp, icmpv6, -1 or a number 0-255", s)
	}
	return Protocol(n), nil
}
