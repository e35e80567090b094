package rules_test

import (
	"bytes"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/flowlens/flowlens/model/rules"
)

// FuzzLoad feeds arbitrary bytes to the loader and, when they load, evaluates packets
// against everything loaded: neither may panic, and results must be consistent.
func FuzzLoad(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.json")
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		set, err := rules.Load(bytes.NewReader(data), "fuzz.json")
		if err != nil {
			if set != nil {
				t.Fatal("a set returned with an error")
			}
			return
		}
		remotes := []netip.Addr{netip.MustParseAddr("203.0.113.7"), netip.MustParseAddr("10.0.0.99"), netip.MustParseAddr("2001:db8::7"), {}}
		for _, ifc := range set.Interfaces() {
			for _, local := range slices.Concat(ifc.PrivateIPs, []netip.Addr{{}}) {
				for _, remote := range remotes {
					for _, proto := range []uint8{rules.ProtoTCP, rules.ProtoUDP, rules.ProtoICMP, rules.ProtoICMPv6, 47} {
						for _, side := range []rules.Side{rules.SideUnknown, rules.InitiatorSide, rules.ResponderSide} {
							a := set.Evaluate(rules.Conversation{Interface: ifc.ID, Protocol: proto, Side: side,
								Initiator: netip.AddrPortFrom(remote, 40000), Responder: netip.AddrPortFrom(local, 443)})
							checkLeg(t, a.Request)
							checkLeg(t, a.Reply)
						}
					}
				}
			}
		}
		for _, acl := range set.NetworkACLs() {
			for _, subnet := range acl.Subnets {
				for _, remote := range remotes {
					for _, dir := range []rules.Direction{rules.Inbound, rules.Outbound} {
						p := rules.Packet{Protocol: rules.ProtoTCP, Src: remote, Dst: remote, SrcPort: 40000, DstPort: 22}
						r := set.NACLAllows(subnet, p, dir)
						if (r.Decision == rules.Unknown) != (r.Deciding < 0) {
							t.Fatalf("NACL decision %s with deciding entry %d", r.Decision, r.Deciding)
						}
						r.Neighbours(2)
					}
				}
			}
		}
	})
}

func checkLeg(t *testing.T, l rules.Leg) {
	t.Helper()
	switch {
	case l.Decision == rules.Allowed && l.Layer != 0:
		t.Fatalf("allowed leg names layer %s", l.Layer)
	case l.Decision != rules.Allowed && l.Layer == 0:
		t.Fatalf("%s leg names no layer: %s", l.Decision, l.Explanation)
	case l.Explanation == "":
		t.Fatal("leg without explanation")
	}
}
