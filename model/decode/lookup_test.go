package decode

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// The name lookups take raw input from the filter prompt: any string must be answered,
// never panic.
func TestNameLookupsAcceptAnyString(t *testing.T) {
	inputs := []string{
		"", " ", "-", "\x00", "\xff\xfe", "ＴＣＰ", "İ", "tcp\x00",
		strings.Repeat("A", maxFoldLen), strings.Repeat("A", maxFoldLen+1), strings.Repeat("z", 10000),
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		b := make([]byte, rng.IntN(80))
		for i := range b {
			b[i] = byte(rng.IntN(256))
		}
		inputs = append(inputs, string(b))
	}
	for _, s := range inputs {
		_, _ = ProtocolByName(s)
		_, _ = PortByService(s)
		_, _ = TCPFlagByName(s)
		_, _ = AWSService(s)
		_ = InterfaceType(s)
		_ = LogStatusMeaning(s)
		_ = ActionMeaning(s)
		_ = RejectReason(s)
		_ = DirectionMeaning(s)
	}
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
