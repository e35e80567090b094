package decode

import (
	"slices"
	"testing"
)

func TestTCPFlags(t *testing.T) {
	tests := []struct {
		v       uint8
		names   []string
		label   string
		role    Role
		meaning string
	}{
		{0, nil, "-", RoleUnknown, "no SYN, FIN or RST in this window (ACK/PSH only, or a continuing connection)"},
		{1, []string{"FIN"}, "FIN", RoleUnknown, "FIN: the connection was closed"},
		{2, []string{"SYN"}, "SYN", RoleInitiator, "SYN: this side opened the connection (initiator)"},
		{3, []string{"SYN", "FIN"}, "SYN+FIN", RoleInitiator, "SYN and FIN in one window: a short connection opened by this side"},
		{4, []string{"RST"}, "RST", RoleUnknown, "RST: the connection was reset"},
		{6, []string{"SYN", "RST"}, "SYN+RST", RoleInitiator, "SYN and RST in one window: this side opened a connection that was then reset"},
		{18, []string{"SYN-ACK"}, "SYN-ACK", RoleResponder, "SYN-ACK: this side answered a connection request (responder)"},
		{19, []string{"SYN-ACK", "FIN"}, "SYN-ACK+FIN", RoleResponder, "SYN-ACK and FIN in one window: a short connection answered by this side"},
		{5, []string{"FIN", "RST"}, "FIN+RST", RoleUnknown, "FIN and RST in one window: the connection was closed and reset"},
		{7, []string{"SYN", "FIN", "RST"}, "SYN+FIN+RST", RoleInitiator, "SYN, FIN and RST in one window: a short connection opened by this side, then reset"},
		{22, []string{"SYN-ACK", "RST"}, "SYN-ACK+RST", RoleResponder, "SYN-ACK and RST in one window: this side answered a connection request, then the connection was reset"},
		{23, []string{"SYN-ACK", "FIN", "RST"}, "SYN-ACK+FIN+RST", RoleResponder, "SYN-ACK, FIN and RST in one window: a short connection answered by this side, then reset"},
		{16, []string{"ACK"}, "ACK", RoleUnknown, "ACK without SYN: not a value flow logs normally record"},
		{32, []string{"0x20"}, "0x20", RoleUnknown, "flag bits 0x20: not ones flow logs record"},
		{8, []string{"0x08"}, "0x08", RoleUnknown, "flag bits 0x08: not ones flow logs record"},
		{34, []string{"SYN", "0x20"}, "SYN+0x20", RoleInitiator, "SYN: this side opened the connection (initiator) (also bits 0x20, which flow logs do not record)"},
		{255, []string{"SYN-ACK", "FIN", "RST", "0x08", "0x20", "0x40", "0x80"}, "SYN-ACK+FIN+RST+0x08+0x20+0x40+0x80", RoleResponder,
			"SYN-ACK, FIN and RST in one window: a short connection answered by this side, then reset (also bits 0xe8, which flow logs do not record)"},
	}
	for _, tt := range tests {
		if got := TCPFlagNames(tt.v); !slices.Equal(got, tt.names) || (tt.names == nil) != (got == nil) {
			t.Errorf("TCPFlagNames(%d) = %q, want %q", tt.v, got, tt.names)
		}
		if got := TCPFlagsLabel(tt.v); got != tt.label {
			t.Errorf("TCPFlagsLabel(%d) = %q, want %q", tt.v, got, tt.label)
		}
		if got := string(AppendTCPFlags([]byte("flags="), tt.v)); got != "flags="+tt.label {
			t.Errorf("AppendTCPFlags(%d) = %q, want %q", tt.v, got, "flags="+tt.label)
		}
		if got := TCPFlagRole(tt.v); got != tt.role {
			t.Errorf("TCPFlagRole(%d) = %v, want %v", tt.v, got, tt.role)
		}
		if got := TCPFlagsMeaning(tt.v); got != tt.meaning {
			t.Errorf("TCPFlagsMeaning(%d) = %q, want %q", tt.v, got, tt.meaning)
		}
	}
}

// Every value has a label and a sentence, and the names are the caller's to change.
func TestTCPFlagsAllValues(t *testing.T) {
	for v := range 256 {
		if TCPFlagsLabel(uint8(v)) == "" {
			t.Errorf("TCPFlagsLabel(%d) is empty", v)
		}
		if TCPFlagsMeaning(uint8(v)) == "" {
			t.Errorf("TCPFlagsMeaning(%d) is empty", v)
		}
	}
	names := TCPFlagNames(3)
	names[0] = "changed"
	if TCPFlagNames(3)[0] != "SYN" {
		t.Error("TCPFlagNames returns a shared slice")
	}
}

func TestRoleString(t *testing.T) {
	for r, want := range map[Role]string{RoleUnknown: "unknown", RoleInitiator: "initiator", RoleResponder: "responder", Role(9): "unknown"} {
		if got := r.String(); got != want {
			t.Errorf("Role(%d).String() = %q, want %q", r, got, want)
		}
	}
}

func TestTCPFlagByName(t *testing.T) {
	tests := []struct {
		in   string
		want uint8
		ok   bool
	}{
		{"syn", 2, true}, {"SYN", 2, true}, {"fin", 1, true}, {"Fin", 1, true}, {"rst", 4, true},
		{"syn-ack", 18, true}, {"SYN-ACK", 18, true}, {"synack", 18, true}, {"SynAck", 18, true},
		{"ack", 0, false}, {"psh", 0, false}, {"", 0, false}, {"syn+fin", 0, false}, {"2", 0, false},
	}
	for _, tt := range tests {
		got, ok := TCPFlagByName(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("TCPFlagByName(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestTCPFlagsNoAllocs(t *testing.T) {
	buf := make([]byte, 0, 64)
	for _, v := range []uint8{0, 2, 3, 18, 19, 255} {
		allocs := testing.AllocsPerRun(100, func() {
			buf = AppendTCPFlags(buf[:0], v)
			_ = TCPFlagsLabel(v)
			_ = TCPFlagsMeaning(v)
			_ = TCPFlagRole(v)
		})
		if allocs != 0 {
			t.Errorf("flags %d: %v allocations per call, want 0", v, allocs)
		}
	}
}

func BenchmarkAppendTCPFlags(b *testing.B) {
	buf := make([]byte, 0, 64)
	b.ReportAllocs()
	v := uint8(0)
	for b.Loop() {
		buf = AppendTCPFlags(buf[:0], v)
		v++ // every value in turn, so the benchmark is not one cached label
	}
}
