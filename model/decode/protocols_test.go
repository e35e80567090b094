package decode

import (
	"strconv"
	"strings"
	"testing"
)

func TestProtocol(t *testing.T) {
	tests := []struct {
		n       uint8
		keyword string
		name    string
		ok      bool
	}{
		{0, "hopopt", "IPv6 Hop-by-Hop Option", true},
		{1, "icmp", "Internet Control Message Protocol", true},
		{2, "igmp", "Internet Group Management Protocol", true},
		{4, "ipv4", "IPv4 encapsulation (IP in IP)", true},
		{6, "tcp", "Transmission Control Protocol", true},
		{17, "udp", "User Datagram Protocol", true},
		{41, "ipv6", "IPv6 encapsulation (6in4)", true},
		{47, "gre", "Generic Routing Encapsulation", true},
		{50, "esp", "Encapsulating Security Payload (IPsec)", true},
		{51, "ah", "Authentication Header (IPsec)", true},
		{58, "ipv6-icmp", "Internet Control Message Protocol for IPv6", true},
		{61, "any-host-internal", "any host internal protocol", true},
		{89, "ospfigp", "Open Shortest Path First", true},
		{94, "ipip", "IP-within-IP Encapsulation Protocol", true},
		{103, "pim", "Protocol Independent Multicast", true},
		{112, "vrrp", "Virtual Router Redundancy Protocol", true},
		{115, "l2tp", "Layer Two Tunneling Protocol version 3", true},
		{132, "sctp", "Stream Control Transmission Protocol", true},
		{136, "udplite", "Lightweight User Datagram Protocol (UDP-Lite)", true},
		{143, "ethernet", "Ethernet (SRv6 payload)", true},
		{145, "nsh", "Network Service Header", true},
		{146, "", "", false},
		{200, "", "", false},
		{252, "", "", false},
		{253, "experimental-253", "use for experimentation and testing (RFC 3692)", true},
		{254, "experimental-254", "use for experimentation and testing (RFC 3692)", true},
		{255, "reserved", "Reserved", true},
	}
	for _, tt := range tests {
		keyword, name, ok := Protocol(tt.n)
		if keyword != tt.keyword || name != tt.name || ok != tt.ok {
			t.Errorf("Protocol(%d) = %q, %q, %v; want %q, %q, %v", tt.n, keyword, name, ok, tt.keyword, tt.name, tt.ok)
		}
	}
}

// Every number is either assigned (0-145, 253-255) with a keyword and a name, or
// unassigned with neither: the table has no holes and no stray rows.
func TestProtocolTableComplete(t *testing.T) {
	seen := map[string]int{}
	for n := range 256 {
		keyword, name, ok := Protocol(uint8(n))
		wantOK := n <= 145 || n >= 253
		if ok != wantOK {
			t.Errorf("Protocol(%d): ok = %v, want %v", n, ok, wantOK)
		}
		if !ok {
			if keyword != "" || name != "" {
				t.Errorf("Protocol(%d): unassigned but keyword %q, name %q", n, keyword, name)
			}
			continue
		}
		if keyword == "" || name == "" {
			t.Errorf("Protocol(%d): assigned but keyword %q, name %q", n, keyword, name)
		}
		if keyword != strings.ToLower(keyword) || strings.ContainsAny(keyword, " \t=()") {
			t.Errorf("Protocol(%d): keyword %q is not one lower-case filter token", n, keyword)
		}
		if prev, dup := seen[keyword]; dup {
			t.Errorf("keyword %q used by %d and %d", keyword, prev, n)
		}
		seen[keyword] = n
	}
}

func TestProtocolLabel(t *testing.T) {
	tests := []struct {
		n    uint8
		want string
	}{
		{6, "tcp"}, {17, "udp"}, {1, "icmp"}, {58, "ipv6-icmp"}, {146, "146"}, {200, "200"}, {252, "252"},
	}
	for _, tt := range tests {
		if got := ProtocolLabel(tt.n); got != tt.want {
			t.Errorf("ProtocolLabel(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
	if allocs := testing.AllocsPerRun(100, func() { _ = ProtocolLabel(200) }); allocs != 0 {
		t.Errorf("ProtocolLabel allocates %v times", allocs)
	}
}

// Whatever a table shows must be typeable back into a filter. The one exception is
// deliberate: "ipip" means protocol 4 to people, not IANA's protocol 94.
func TestProtocolLabelRoundTrip(t *testing.T) {
	shadowed := map[string]uint8{"ipip": 4}
	for n := range 256 {
		label := ProtocolLabel(uint8(n))
		got, ok := ProtocolByName(label)
		want := uint8(n)
		if to, isShadowed := shadowed[label]; isShadowed {
			want = to
		}
		if !ok || got != want {
			t.Errorf("ProtocolByName(ProtocolLabel(%d) = %q) = %d, %v; want %d", n, label, got, ok, want)
		}
		if up, ok := ProtocolByName(strings.ToUpper(label)); !ok || up != want {
			t.Errorf("ProtocolByName(%q) = %d, %v; want %d", strings.ToUpper(label), up, ok, want)
		}
	}
}

func TestProtocolByName(t *testing.T) {
	tests := []struct {
		in   string
		want uint8
		ok   bool
	}{
		{"tcp", 6, true},
		{"TCP", 6, true},
		{"Udp", 17, true},
		{"icmp", 1, true},
		{"icmpv6", 58, true},
		{"ICMPv6", 58, true},
		{"icmp6", 58, true},
		{"ipv6-icmp", 58, true},
		{"IPv6-ICMP", 58, true},
		{"ip-in-ip", 4, true},
		{"ipip", 4, true},
		{"IPIP", 4, true},
		{"ipv4", 4, true},
		{"gre", 47, true},
		{"ESP", 50, true},
		{"ah", 51, true},
		{"sctp", 132, true},
		{"ospf", 89, true},
		{"ospfigp", 89, true},
		{"OSPFIGP", 89, true},
		{"vrrp", 112, true},
		{"pim", 103, true},
		{"igmp", 2, true},
		{"l2tp", 115, true},
		{"udp-lite", 136, true},
		{"udplite", 136, true},
		{"isis", 124, true},
		{"iptm", 84, true},
		{"ttp", 84, true},
		{"tp++", 39, true},
		{"a/n", 107, true},
		{"ax.25", 93, true},
		{"0", 0, true},
		{"6", 6, true},
		{"047", 47, true},
		{"255", 255, true},
		{"256", 0, false},
		{"1000", 0, false},
		{"-1", 0, false},
		{"+6", 0, false},
		{"", 0, false},
		{"tcp ", 0, false},
		{" tcp", 0, false},
		{"tcpx", 0, false},
		{"http", 0, false},
		{"ＴＣＰ", 0, false},
	}
	for _, tt := range tests {
		got, ok := ProtocolByName(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ProtocolByName(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestProtocolAliasesAssigned(t *testing.T) {
	for alias, n := range protocolAliases {
		if _, _, ok := Protocol(n); !ok {
			t.Errorf("alias %q points at unassigned protocol %d", alias, n)
		}
		if alias != strings.ToLower(alias) {
			t.Errorf("alias %q is not lower case", alias)
		}
		if _, err := strconv.Atoi(alias); err == nil && alias != "6in4" {
			t.Errorf("alias %q is a number", alias)
		}
	}
}

func BenchmarkProtocolByName(b *testing.B) {
	for b.Loop() {
		_, _ = ProtocolByName("ICMPv6")
	}
}
