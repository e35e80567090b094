package decode

import (
	"testing"
)

// The name lookups take raw input from the filter prompt. FuzzNameLookups checks, for
// any string, that they do not panic, that they ignore ASCII case as documented (the
// same answer for the string, its upper case and its lower case), and that what they
// find is consistent with the tables it came from. Seeds: testdata/fuzz/FuzzNameLookups.
func FuzzNameLookups(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		variants := []string{s, asciiUpper(s), asciiLower(s)}
		first := lookups(s)
		for _, v := range variants[1:] {
			if got := lookups(v); got != first {
				t.Fatalf("the lookups of %q and %q differ:\n%+v\n%+v", s, v, first, got)
			}
		}
		if first.protoOK {
			if n, ok := ProtocolByName(ProtocolLabel(first.proto)); !ok || n != first.proto {
				t.Errorf("ProtocolByName(%q) = %d, but its label %q reads back as %d, %v", s, first.proto, ProtocolLabel(first.proto), n, ok)
			}
		}
		if first.portOK && !inServiceTable(first.port) {
			t.Errorf("PortByService(%q) = %d, a port of no service in the table", s, first.port)
		}
		if first.flagOK && first.flag != FlagFIN && first.flag != FlagSYN && first.flag != FlagRST && first.flag != FlagSYNACK {
			t.Errorf("TCPFlagByName(%q) = %d, not a flag flow logs record", s, first.flag)
		}
		if d, ok := AWSService(s); ok && d == "" || !ok && d != s {
			t.Errorf("AWSService(%q) = %q, %v: want a description, or the name as it is", s, d, ok)
		}
	})
}

// lookupResults are the answers of every name lookup for one string, with the lookups
// that return their input when they do not know it reduced to whether they knew it.
type lookupResults struct {
	proto                            uint8
	protoOK                          bool
	port                             uint16
	portOK                           bool
	flag                             uint8
	flagOK                           bool
	service                          string
	serviceOK                        bool
	ifaceType, rejectReason          string // "" when the value was returned as it is
	logStatus, action, flowDirection string
}

func lookups(s string) lookupResults {
	var r lookupResults
	r.proto, r.protoOK = ProtocolByName(s)
	r.port, r.portOK = PortByService(s)
	r.flag, r.flagOK = TCPFlagByName(s)
	if d, ok := AWSService(s); ok {
		r.service, r.serviceOK = d, true
	}
	if d := InterfaceType(s); d != s {
		r.ifaceType = d
	}
	if d := RejectReason(s); d != s {
		r.rejectReason = d
	}
	r.logStatus, r.action, r.flowDirection = LogStatusMeaning(s), ActionMeaning(s), DirectionMeaning(s)
	return r
}

func asciiUpper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c - ('a' - 'A')
		}
	}
	return string(b)
}

func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + ('a' - 'A')
		}
	}
	return string(b)
}

// Case folding happens on the stack: a lookup that needs it must not allocate.
func TestNameLookupsNoAllocs(t *testing.T) {
	checks := map[string]func(){
		"ProtocolByName":        func() { _, _ = ProtocolByName("ICMPv6") },
		"ProtocolByName number": func() { _, _ = ProtocolByName("47") },
		"ProtocolByName miss":   func() { _, _ = ProtocolByName("NoSuchProtocol") },
		"PortByService":         func() { _, _ = PortByService("PostgreSQL") },
		"TCPFlagByName":         func() { _, _ = TCPFlagByName("Syn-Ack") },
		"AWSService":            func() { _, _ = AWSService("dynamodb") },
		"InterfaceType":         func() { _ = InterfaceType("natGateway") },
		"Service":               func() { _, _ = Service(6, 443) },
		"IsEphemeral":           func() { _ = IsEphemeral(43416) },
	}
	for name, f := range checks {
		if allocs := testing.AllocsPerRun(100, f); allocs != 0 {
			t.Errorf("%s: %v allocations per call, want 0", name, allocs)
		}
	}
}
