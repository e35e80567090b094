package decode

import "strconv"

// protocolInfo is one row of IANA's "Assigned Internet Protocol Numbers".
type protocolInfo struct {
	keyword string // lower case; what a table shows and a filter accepts
	name    string // the full name for the detail pane; empty means unassigned
}

// protocols is the whole IANA registry as of RFC 9491 (145 NSH): 0-145 assigned, 146-252
// unassigned, 253-255 reserved for experiments and IANA.
//
// Keywords are IANA's, lower-cased, with these deliberate departures so that every keyword
// is one filter token and unique:
//   - IANA leaves 61, 63, 68, 99 and 114 without a keyword (they stand for "any ..."
//     classes); they get readable ones (any-host-internal, any-local-network,
//     any-distributed-fs, any-private-encryption, any-0-hop) so a table shows what they are.
//   - 253 and 254 share one meaning (RFC 3692 experiments); their keywords carry the number
//     (experimental-253, experimental-254) so each still names one protocol.
//   - 255 is IANA's "Reserved" row, kept as keyword reserved.
//   - 124 "ISIS over IPv4" and 135 "Mobility Header" contain spaces in IANA's table and
//     become isis-over-ipv4 and mobility-header; "(deprecated)" suffixes on 13, 53, 95
//     and 122 move from the keyword into the name.
//   - 84 is listed twice by IANA (TTP and IPTM); the keyword is ttp, iptm is an alias.
//
// Names are IANA's descriptions, spelled out where IANA abbreviates ("Transmission
// Control" becomes "Transmission Control Protocol") or leaves the column blank.
var protocols = [256]protocolInfo{
	0:   {"hopopt", "IPv6 Hop-by-Hop Option"},
	1:   {"icmp", "Internet Control Message Protocol"},
	2:   {"igmp", "Internet Group Management Protocol"},
	3:   {"ggp", "Gateway-to-Gateway Protocol"},
	4:   {"ipv4", "IPv4 encapsulation (IP in IP)"},
	5:   {"st", "Internet Stream Protocol"},
	6:   {"tcp", "Transmission Control Protocol"},
	7:   {"cbt", "Core Based Trees"},
	8:   {"egp", "Exterior Gateway Protocol"},
	9:   {"igp", "any private interior gateway (used by Cisco for their IGRP)"},
	10:  {"bbn-rcc-mon", "BBN RCC Monitoring"},
	11:  {"nvp-ii", "Network Voice Protocol"},
	12:  {"pup", "PARC Universal Packet"},
	13:  {"argus", "ARGUS (deprecated)"},
	14:  {"emcon", "EMCON"},
	15:  {"xnet", "Cross Net Debugger"},
	16:  {"chaos", "Chaos"},
	17:  {"udp", "User Datagram Protocol"},
	18:  {"mux", "Multiplexing"},
	19:  {"dcn-meas", "DCN Measurement Subsystems"},
	20:  {"hmp", "Host Monitoring Protocol"},
	21:  {"prm", "Packet Radio Measurement"},
	22:  {"xns-idp", "XEROX NS IDP"},
	23:  {"trunk-1", "Trunk-1"},
	24:  {"trunk-2", "Trunk-2"},
	25:  {"leaf-1", "Leaf-1"},
	26:  {"leaf-2", "Leaf-2"},
	27:  {"rdp", "Reliable Data Protocol"},
	28:  {"irtp", "Internet Reliable Transaction Protocol"},
	29:  {"iso-tp4", "ISO Transport Protocol Class 4"},
	30:  {"netblt", "Bulk Data Transfer Protocol"},
	31:  {"mfe-nsp", "MFE Network Services Protocol"},
	32:  {"merit-inp", "MERIT Internodal Protocol"},
	33:  {"dccp", "Datagram Congestion Control Protocol"},
	34:  {"3pc", "Third Party Connect Protocol"},
	35:  {"idpr", "Inter-Domain Policy Routing Protocol"},
	36:  {"xtp", "Xpress Transport Protocol"},
	37:  {"ddp", "Datagram Delivery Protocol"},
	38:  {"idpr-cmtp", "IDPR Control Message Transport Protocol"},
	39:  {"tp++", "TP++ Transport Protocol"},
	40:  {"il", "IL Transport Protocol"},
	41:  {"ipv6", "IPv6 encapsulation (6in4)"},
	42:  {"sdrp", "Source Demand Routing Protocol"},
	43:  {"ipv6-route", "Routing Header for IPv6"},
	44:  {"ipv6-frag", "Fragment Header for IPv6"},
	45:  {"idrp", "Inter-Domain Routing Protocol"},
	46:  {"rsvp", "Resource Reservation Protocol"},
	47:  {"gre", "Generic Routing Encapsulation"},
	48:  {"dsr", "Dynamic Source Routing Protocol"},
	49:  {"bna", "BNA"},
	50:  {"esp", "Encapsulating Security Payload (IPsec)"},
	51:  {"ah", "Authentication Header (IPsec)"},
	52:  {"i-nlsp", "Integrated Net Layer Security Protocol (TUBA)"},
	53:  {"swipe", "IP with Encryption (deprecated)"},
	54:  {"narp", "NBMA Address Resolution Protocol"},
	55:  {"min-ipv4", "Minimal IPv4 Encapsulation"},
	56:  {"tlsp", "Transport Layer Security Protocol using Kryptonet key management"},
	57:  {"skip", "SKIP"},
	58:  {"ipv6-icmp", "Internet Control Message Protocol for IPv6"},
	59:  {"ipv6-nonxt", "No Next Header for IPv6"},
	60:  {"ipv6-opts", "Destination Options for IPv6"},
	61:  {"any-host-internal", "any host internal protocol"},
	62:  {"cftp", "CFTP"},
	63:  {"any-local-network", "any local network"},
	64:  {"sat-expak", "SATNET and Backroom EXPAK"},
	65:  {"kryptolan", "Kryptolan"},
	66:  {"rvd", "MIT Remote Virtual Disk Protocol"},
	67:  {"ippc", "Internet Pluribus Packet Core"},
	68:  {"any-distributed-fs", "any distributed file system"},
	69:  {"sat-mon", "SATNET Monitoring"},
	70:  {"visa", "VISA Protocol"},
	71:  {"ipcv", "Internet Packet Core Utility"},
	72:  {"cpnx", "Computer Protocol Network Executive"},
	73:  {"cphb", "Computer Protocol Heart Beat"},
	74:  {"wsn", "Wang Span Network"},
	75:  {"pvp", "Packet Video Protocol"},
	76:  {"br-sat-mon", "Backroom SATNET Monitoring"},
	77:  {"sun-nd", "SUN ND PROTOCOL-Temporary"},
	78:  {"wb-mon", "WIDEBAND Monitoring"},
	79:  {"wb-expak", "WIDEBAND EXPAK"},
	80:  {"iso-ip", "ISO Internet Protocol"},
	81:  {"vmtp", "Versatile Message Transaction Protocol"},
	82:  {"secure-vmtp", "Secure VMTP"},
	83:  {"vines", "VINES"},
	84:  {"ttp", "TTP, also Internet Protocol Traffic Manager (IPTM)"},
	85:  {"nsfnet-igp", "NSFNET-IGP"},
	86:  {"dgp", "Dissimilar Gateway Protocol"},
	87:  {"tcf", "TCF"},
	88:  {"eigrp", "Enhanced Interior Gateway Routing Protocol"},
	89:  {"ospfigp", "Open Shortest Path First"},
	90:  {"sprite-rpc", "Sprite RPC Protocol"},
	91:  {"larp", "Locus Address Resolution Protocol"},
	92:  {"mtp", "Multicast Transport Protocol"},
	93:  {"ax.25", "AX.25 Frames"},
	94:  {"ipip", "IP-within-IP Encapsulation Protocol"},
	95:  {"micp", "Mobile Internetworking Control Protocol (deprecated)"},
	96:  {"scc-sp", "Semaphore Communications Security Protocol"},
	97:  {"etherip", "Ethernet-within-IP Encapsulation"},
	98:  {"encap", "Encapsulation Header"},
	99:  {"any-private-encryption", "any private encryption scheme"},
	100: {"gmtp", "GMTP"},
	101: {"ifmp", "Ipsilon Flow Management Protocol"},
	102: {"pnni", "PNNI over IP"},
	103: {"pim", "Protocol Independent Multicast"},
	104: {"aris", "ARIS"},
	105: {"scps", "Space Communications Protocol Standards"},
	106: {"qnx", "QNX"},
	107: {"a/n", "Active Networks"},
	108: {"ipcomp", "IP Payload Compression Protocol"},
	109: {"snp", "Sitara Networks Protocol"},
	110: {"compaq-peer", "Compaq Peer Protocol"},
	111: {"ipx-in-ip", "IPX in IP"},
	112: {"vrrp", "Virtual Router Redundancy Protocol"},
	113: {"pgm", "PGM Reliable Transport Protocol"},
	114: {"any-0-hop", "any 0-hop protocol"},
	115: {"l2tp", "Layer Two Tunneling Protocol version 3"},
	116: {"ddx", "D-II Data Exchange (DDX)"},
	117: {"iatp", "Interactive Agent Transfer Protocol"},
	118: {"stp", "Schedule Transfer Protocol"},
	119: {"srp", "SpectraLink Radio Protocol"},
	120: {"uti", "UTI"},
	121: {"smp", "Simple Message Protocol"},
	122: {"sm", "Simple Multicast Protocol (deprecated)"},
	123: {"ptp", "Performance Transparency Protocol"},
	124: {"isis-over-ipv4", "IS-IS over IPv4"},
	125: {"fire", "FIRE"},
	126: {"crtp", "Combat Radio Transport Protocol"},
	127: {"crudp", "Combat Radio User Datagram"},
	128: {"sscopmce", "SSCOPMCE"},
	129: {"iplt", "IPLT"},
	130: {"sps", "Secure Packet Shield"},
	131: {"pipe", "Private IP Encapsulation within IP"},
	132: {"sctp", "Stream Control Transmission Protocol"},
	133: {"fc", "Fibre Channel"},
	134: {"rsvp-e2e-ignore", "RSVP-E2E-IGNORE (aggregated RSVP)"},
	135: {"mobility-header", "Mobility Header (Mobile IPv6)"},
	136: {"udplite", "Lightweight User Datagram Protocol (UDP-Lite)"},
	137: {"mpls-in-ip", "MPLS in IP"},
	138: {"manet", "MANET Protocols"},
	139: {"hip", "Host Identity Protocol"},
	140: {"shim6", "Shim6 Protocol"},
	141: {"wesp", "Wrapped Encapsulating Security Payload"},
	142: {"rohc", "Robust Header Compression"},
	143: {"ethernet", "Ethernet (SRv6 payload)"},
	144: {"aggfrag", "AGGFRAG encapsulation payload for ESP"},
	145: {"nsh", "Network Service Header"},
	253: {"experimental-253", "use for experimentation and testing (RFC 3692)"},
	254: {"experimental-254", "use for experimentation and testing (RFC 3692)"},
	255: {"reserved", "Reserved"},
}

// protocolAliases are the other names people type for a protocol. They win over the table's
// keywords: "ipip" means protocol 4 to anyone configuring a Linux or Cisco tunnel, although
// IANA gives that keyword to the long-dead protocol 94 (which stays reachable as "94").
var protocolAliases = map[string]uint8{
	"icmpv6":      58,
	"icmp6":       58,
	"ip-in-ip":    4,
	"ipip":        4,
	"ipencap":     4,
	"ip-encap":    4,
	"6in4":        41,
	"ospf":        89,
	"iptm":        84,
	"isis":        124,
	"mobility":    135,
	"mh":          135,
	"udp-lite":    136,
	"carp":        112, // OpenBSD's CARP reuses VRRP's number
	"l2tpv3":      115,
	"ipsec-esp":   50,
	"ipsec-ah":    51,
	"hop-by-hop":  0,
	"ipv6-hopopt": 0,
}

var (
	// protocolLabels holds what a table shows for each number, built once so that
	// ProtocolLabel never formats a number per record.
	protocolLabels [256]string
	// protocolByName maps every keyword and alias to its number.
	protocolByName map[string]uint8
)

func init() {
	protocolByName = make(map[string]uint8, 256+len(protocolAliases))
	for n, p := range protocols {
		if p.keyword != "" {
			protocolLabels[n] = p.keyword
			protocolByName[p.keyword] = uint8(n)
		} else {
			protocolLabels[n] = strconv.Itoa(n)
		}
	}
	for alias, n := range protocolAliases {
		protocolByName[alias] = n
	}
}

// Protocol returns the IANA keyword (lower case, e.g. "tcp", "icmp", "ipv6-icmp") and the
// full name ("Transmission Control Protocol") of an IP protocol number. ok is false for
// unassigned numbers (146-252), whose keyword and name are empty.
func Protocol(n uint8) (keyword, name string, ok bool) {
	p := protocols[n]
	return p.keyword, p.name, p.name != ""
}

// ProtocolLabel returns what a table shows: the keyword when known ("tcp"), else the number
// as text ("200"). It does not allocate.
func ProtocolLabel(n uint8) string {
	return protocolLabels[n]
}

// ProtocolByName looks a protocol up by keyword, case-insensitive. It accepts the IANA
// keywords of the table above, common aliases ("icmpv6" and "ipv6-icmp" give 58,
// "ip-in-ip" and "ipip" give 4, "ospf" and "ospfigp" give 89, "udp-lite" gives 136, ...)
// and a decimal number 0-255, so that every ProtocolLabel reads back to its number. It
// never panics and does not allocate.
func ProtocolByName(s string) (uint8, bool) {
	if n, ok := parseUint8(s); ok {
		return n, true
	}
	return lookupFold(protocolByName, s, false)
}

// parseUint8 reads a plain decimal 0-255 ("6", "047"), without the error value, and so the
// allocation, that strconv returns for the many non-numeric names passed here.
func parseUint8(s string) (uint8, bool) {
	if len(s) == 0 || len(s) > 3 {
		return 0, false
	}
	v := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	if v > 255 {
		return 0, false
	}
	return uint8(v), true
}
