package ui

import "net/netip"

// Names names what the records only number: an address as its interface's or instance's
// Name tag ("db-1"), an interface as its Name tag or description ("ELB app/web", "NAT
// gateway"). It is the part of model/names' Lookup the explorer uses, with the same
// method names, so a *names.Lookup satisfies it; "" means unknown. A nil Names, in
// Options, means no names are shown.
type Names interface {
	Addr(a netip.Addr) string
	Interface(id string) string
}
