package model

import (
	"net/netip"
	"unsafe"
)

// Action is the record's verdict field.
type Action uint8

const (
	ActionNone Action = iota // `-`, as in NODATA records
	Accept
	Reject
)

func (a Action) String() string {
	switch a {
	case Accept:
		return "ACCEPT"
	case Reject:
		return "REJECT"
	}
	return "-"
}

// LogStatus is the record's log-status field.
type LogStatus uint8

const (
	StatusNone LogStatus = iota
	StatusOK
	StatusNoData
	StatusSkipData
)

func (s LogStatus) String() string {
	switch s {
	case StatusOK:
		return "OK"
	case StatusNoData:
		return "NODATA"
	case StatusSkipData:
		return "SKIPDATA"
	}
	return "-"
}

// Direction is the v5 flow-direction field, relative to the interface.
type Direction uint8

const (
	DirNone Direction = iota
	Ingress
	Egress
)

func (d Direction) String() string {
	switch d {
	case Ingress:
		return "ingress"
	case Egress:
		return "egress"
	}
	return "-"
}

// addr16 stores an address in 16 bytes, IPv4 as IPv4-mapped IPv6. A netip.Addr is 24
// bytes because of its zone handle; flow logs carry no zones.
type addr16 [16]byte

func packAddr(a netip.Addr) addr16 { return a.As16() }

func (a addr16) addr() netip.Addr { return netip.AddrFrom16(a).Unmap() }

// is4 reports whether a holds an IPv4 address, IPv4-mapped.
func (a *addr16) is4() bool {
	return a[10] == 0xff && a[11] == 0xff && a[0]|a[1]|a[2]|a[3]|a[4]|a[5]|a[6]|a[7]|a[8]|a[9] == 0
}

// Flow is one flow-log record. The fields every format uses are stored inline and
// compactly (64 bytes); the rarer ones of versions 3-11 and unknown columns live in an
// Ext (see Flow.Ext), which records of the default format do not have. A field absent
// from the format or written `-` is absent: Has reports false and the stored value is
// zero.
//
// srcaddr and dstaddr are stored inline as IPv4 (4 bytes each), which nearly every
// record holds; an IPv6 one lives out of line in a [2]addr16, allocated for the records
// that have one (bits srcV6 and dstV6 of present say which). Two 16-byte addresses
// inline were a third of a record, and the explorer holds a million records.
//
// What lives out of line is reached through one pointer, more, which is nil, a
// *[2]addr16 (a record with no Ext and an IPv6 address) or an *Ext (bit hasExt of
// present; the Ext then holds the IPv6 array). A pointer each was 8 bytes more on every
// record, a ninth of a default-format one; the two kinds of pointee keep their sizes
// (32 bytes for IPv6 addresses alone, not an Ext's 176).
type Flow struct {
	src4, dst4 [4]byte
	Packets    uint64
	Bytes      uint64
	Start      uint32 // Unix seconds (millisecond inputs are normalised)
	End        uint32
	Account    Sym
	Interface  Sym
	SrcPort    uint16
	DstPort    uint16
	present    uint32 // bit i set: inline field i has a value; and srcV6, dstV6, hasExt
	// more is nil, a *[2]addr16 or an *Ext, as hasExt says: see Flow. A [2]addr16 is
	// never written once a record points to it, because copies of the record share it.
	more      unsafe.Pointer
	Format    FormatID
	Version   uint8
	Protocol  uint8
	TCPFlags  uint8
	Action    Action
	Status    LogStatus
	Direction Direction
}

// present's bits above the inline fields': the address is in the IPv6 array; more is
// an *Ext.
const (
	hasExt uint32 = 1 << 29
	srcV6  uint32 = 1 << 30
	dstV6  uint32 = 1 << 31
)

// Ext returns the record's fields beyond the default format; nil when it has none.
// Copies of a record share it. It is for reading: the record's IPv6 addresses live in
// it, so it must not be overwritten whole (the setters change a field).
func (r *Flow) Ext() *Ext {
	if r.present&hasExt == 0 {
		return nil
	}
	return (*Ext)(r.more)
}

// SetExt gives the record a copy of e (nil: none), for a record built by hand (the
// simulator). A copy, because the record keeps its IPv6 addresses in its Ext: an Ext
// given to two records, or changed by its caller, must not move the addresses of
// either.
func (r *Flow) SetExt(e *Ext) {
	if e != nil {
		c := *e
		e = &c
	}
	r.attachExt(e)
}

// attachExt gives the record e itself (nil: none), which no other record may hold: the
// parser's fresh Ext, which it then fills in place. The record's IPv6 addresses move
// into it.
func (r *Flow) attachExt(e *Ext) {
	v := r.v6()
	if e == nil {
		r.present &^= hasExt
		r.more = unsafe.Pointer(v)
		return
	}
	e.v6 = v
	r.present |= hasExt
	r.more = unsafe.Pointer(e)
}

// v6 is the record's IPv6 array, nil when it has none.
func (r *Flow) v6() *[2]addr16 {
	if r.present&hasExt != 0 {
		return (*Ext)(r.more).v6
	}
	return (*[2]addr16)(r.more)
}

// setAddr stores srcaddr (i 0) or dstaddr (i 1) and marks it present. An IPv6 address
// goes to a new IPv6 array (copies of the record may share the old one), which the
// parser takes from its slab (from; nil: allocated alone). The parser passes ownExt:
// the record's Ext, if any, is the one it just made, which no copy shares; anyone else
// gets a copy of the Ext with the new array, so that a copy of the record keeps its
// addresses.
func (r *Flow) setAddr(i int, a *addr16, from *[][2]addr16, ownExt bool) {
	bit := srcV6 << uint(i)
	if a.is4() {
		if i == 0 {
			r.src4 = [4]byte(a[12:])
		} else {
			r.dst4 = [4]byte(a[12:])
		}
		r.present &^= bit
		if r.present&(srcV6|dstV6|hasExt) == 0 {
			r.more = nil
		}
	} else {
		var v *[2]addr16
		if from != nil {
			if len(*from) == 0 {
				*from = make([][2]addr16, 64)
			}
			v = &(*from)[0]
			*from = (*from)[1:]
		} else {
			v = new([2]addr16)
		}
		if old := r.v6(); old != nil {
			*v = *old
		}
		v[i] = *a
		if e := r.Ext(); e != nil {
			if !ownExt {
				c := *e
				e = &c
				r.more = unsafe.Pointer(e)
			}
			e.v6 = v
		} else {
			r.more = unsafe.Pointer(v)
		}
		r.present |= bit
	}
	if i == 0 {
		r.set(FSrcAddr)
	} else {
		r.set(FDstAddr)
	}
}

// addr is srcaddr (i 0) or dstaddr (i 1), present or not.
func (r *Flow) addr(i int) netip.Addr {
	if r.present&(srcV6<<uint(i)) != 0 {
		return r.v6()[i].addr()
	}
	if i == 0 {
		return netip.AddrFrom4(r.src4)
	}
	return netip.AddrFrom4(r.dst4)
}

// Ext holds the fields of versions 3-11 that are not inline, and unknown columns. It is
// 176 bytes, one per record of a format beyond the default: what is kept as text lives
// in Texts, which most formats (v3-v5 among them) never need.
type Ext struct {
	PktSrc, PktDst addr16
	Path           uint8 // traffic-path
	Encrypt        uint8 // encryption-status
	present        uint8 // the ext* bits below
	Str            [numExtStr]Sym
	Texts          *ExtTexts // nil when the format has no column kept as text
	// v6 is the record's IPv6 array (see Flow): a record has one pointer out of line,
	// and one with an Ext keeps the array here.
	v6 *[2]addr16
}

// ExtTexts holds a record's columns kept as text.
type ExtTexts struct {
	// Text holds the columns whose values rarely repeat (ECS task and container IDs):
	// interning them would grow the symbol table without end on a long stream.
	Text   [numExtText]string
	Custom []string // unknown columns, in the order the format names them (as text, for the same reason)
}

// presence bits of Ext's non-string fields
const (
	extPktSrc uint8 = 1 << iota
	extPktDst
	extPath
	extEncrypt
)

// inline is the bit of the presence mask for fields stored in Flow itself; -1 for the
// others. It is derived from the field table once.
var inline = func() (m [NumKnown]int8) {
	for i := range m {
		m[i] = -1
	}
	for bit, f := range []Field{FVersion, FAccountID, FInterfaceID, FSrcAddr, FDstAddr,
		FSrcPort, FDstPort, FProtocol, FPackets, FBytes, FStart, FEnd, FAction, FLogStatus,
		FTCPFlags, FFlowDirection} {
		m[f] = int8(bit)
	}
	return m
}()

// inlineBit is the presence bit of each Field value stored inline, 0 for the others; it
// is indexed by any Field (a uint8), so Has needs no bounds check and inlines.
var inlineBit = func() (m [256]uint32) {
	for f, b := range inline {
		if b >= 0 {
			m[f] = 1 << uint(b)
		}
	}
	return m
}()

// textFields are the string fields kept as text, not interned: their values are new with
// every task or container, so a table of them would only grow.
var textFields = map[Field]bool{FECSTaskARN: true, FECSTaskID: true, FECSContainerID: true, FECSSecondContainerID: true}

// extStr is the index in Ext.Str of each interned string field that is not inline, and
// extText the index in Ext.Texts.Text of each text field.
var extStr, extText, numExtStrCheck, numExtTextCheck = func() (str, text [NumKnown]int8, ns, nt int) {
	for i := range str {
		str[i], text[i] = -1, -1
		if inline[i] >= 0 || fieldInfo[i].Kind != KindString {
			continue
		}
		if textFields[Field(i)] {
			text[i] = int8(nt)
			nt++
		} else {
			str[i] = int8(ns)
			ns++
		}
	}
	return str, text, ns, nt
}()

// numExtStr and numExtText size Ext's arrays; init checks them against the field table.
const (
	numExtStr  = 30
	numExtText = 4
)

func init() {
	if numExtStrCheck != numExtStr || numExtTextCheck != numExtText {
		panic("model: numExtStr or numExtText does not match the field table")
	}
}

// Has reports whether the record carries a value for f. It is on every filter's hot
// path, so the common case is a table lookup that the compiler inlines.
func (r *Flow) Has(f Field) bool {
	if b := inlineBit[f]; b != 0 {
		return r.present&b != 0
	}
	return r.hasOther(f)
}

func (r *Flow) hasOther(f Field) bool {
	if !f.Known() {
		i := int(f - CustomBase)
		e := r.Ext()
		return e != nil && e.Texts != nil && i < len(e.Texts.Custom) && e.Texts.Custom[i] != ""
	}
	if b := inline[f]; b >= 0 {
		return r.present&(1<<uint(b)) != 0
	}
	e := r.Ext()
	if e == nil {
		return false
	}
	switch f {
	case FPktSrcAddr:
		return e.present&extPktSrc != 0
	case FPktDstAddr:
		return e.present&extPktDst != 0
	case FTrafficPath:
		return e.present&extPath != 0
	case FEncryptionStatus:
		return e.present&extEncrypt != 0
	}
	if i := extStr[f]; i >= 0 {
		return e.Str[i] != 0
	}
	if i := extText[f]; i >= 0 {
		return e.Texts != nil && e.Texts.Text[i] != ""
	}
	return false
}

func (r *Flow) set(f Field) { r.present |= 1 << uint(inline[f]) }

// Src is srcaddr; the zero Addr when absent.
func (r *Flow) Src() netip.Addr {
	if !r.Has(FSrcAddr) {
		return netip.Addr{}
	}
	return r.addr(0)
}

// Dst is dstaddr; the zero Addr when absent.
func (r *Flow) Dst() netip.Addr {
	if !r.Has(FDstAddr) {
		return netip.Addr{}
	}
	return r.addr(1)
}

// SetSrc and SetDst set the addresses; generators and tests build records with them.
func (r *Flow) SetSrc(a netip.Addr) { a16 := packAddr(a); r.setAddr(0, &a16, nil, false) }
func (r *Flow) SetDst(a netip.Addr) { a16 := packAddr(a); r.setAddr(1, &a16, nil, false) }

// Addr returns an address field (srcaddr, dstaddr, pkt-srcaddr, pkt-dstaddr).
func (r *Flow) Addr(f Field) (netip.Addr, bool) {
	if !r.Has(f) {
		return netip.Addr{}, false
	}
	switch f {
	case FSrcAddr:
		return r.addr(0), true
	case FDstAddr:
		return r.addr(1), true
	case FPktSrcAddr:
		return r.Ext().PktSrc.addr(), true
	case FPktDstAddr:
		return r.Ext().PktDst.addr(), true
	}
	return netip.Addr{}, false
}

// Uint returns a numeric field (every Kind the JSON output writes as a number).
func (r *Flow) Uint(f Field) (uint64, bool) {
	if !r.Has(f) {
		return 0, false
	}
	switch f {
	case FVersion:
		return uint64(r.Version), true
	case FSrcPort:
		return uint64(r.SrcPort), true
	case FDstPort:
		return uint64(r.DstPort), true
	case FProtocol:
		return uint64(r.Protocol), true
	case FPackets:
		return r.Packets, true
	case FBytes:
		return r.Bytes, true
	case FStart:
		return uint64(r.Start), true
	case FEnd:
		return uint64(r.End), true
	case FTCPFlags:
		return uint64(r.TCPFlags), true
	case FTrafficPath:
		return uint64(r.Ext().Path), true
	case FEncryptionStatus:
		return uint64(r.Ext().Encrypt), true
	}
	return 0, false
}

// TrafficPath returns the v5 traffic-path code.
func (r *Flow) TrafficPath() (uint8, bool) {
	v, ok := r.Uint(FTrafficPath)
	return uint8(v), ok
}

// EncryptionStatus returns the v10 encryption-status code.
func (r *Flow) EncryptionStatus() (uint8, bool) {
	v, ok := r.Uint(FEncryptionStatus)
	return uint8(v), ok
}

// Sym returns an interned string field as its symbol (Sym 0 when absent, not a string
// field, or a field kept as text: see Interned).
func (r *Flow) Sym(f Field) Sym {
	switch {
	case f == FAccountID:
		return r.Account
	case f == FInterfaceID:
		return r.Interface
	case f.Known() && extStr[f] >= 0 && r.Ext() != nil:
		return r.Ext().Str[extStr[f]]
	}
	return 0
}

// Interned reports whether a string field's values are interned (Sym works for it) or
// kept as text (Text only): custom columns and the ECS task and container IDs are text.
func Interned(f Field) bool {
	return f == FAccountID || f == FInterfaceID || f.Known() && extStr[f] >= 0
}

// Text returns a string field's value, interned or not ("" when absent).
func (r *Flow) Text(f Field) string {
	if Interned(f) {
		return r.Sym(f).String()
	}
	e := r.Ext()
	if e == nil || e.Texts == nil {
		return ""
	}
	t := e.Texts
	if !f.Known() {
		if i := int(f - CustomBase); i < len(t.Custom) {
			return t.Custom[i]
		}
		return ""
	}
	if i := extText[f]; i >= 0 {
		return t.Text[i]
	}
	return ""
}

// SetSym sets a string field; it allocates Ext when the field lives there.
func (r *Flow) SetSym(f Field, s Sym) {
	switch {
	case f == FAccountID:
		r.Account = s
		r.setIf(f, s != 0)
	case f == FInterfaceID:
		r.Interface = s
		r.setIf(f, s != 0)
	case f.Known() && extStr[f] >= 0:
		r.extForWrite().Str[extStr[f]] = s
	case f.Known() && extText[f] >= 0:
		e := r.extForWrite()
		if e.Texts == nil {
			e.Texts = &ExtTexts{}
		}
		e.Texts.Text[extText[f]] = s.String()
	}
}

func (r *Flow) setIf(f Field, ok bool) {
	if ok {
		r.set(f)
	} else {
		r.present &^= 1 << uint(inline[f])
	}
}

// extForWrite returns the record's Ext, giving it one if it has none. Its fields are
// written in place, so copies of the record sharing it see them (the addresses aside:
// see setAddr).
func (r *Flow) extForWrite() *Ext {
	if e := r.Ext(); e != nil {
		return e
	}
	e := &Ext{}
	r.attachExt(e)
	return e
}

// SetUint sets a numeric inline field, truncating to its width; the generator uses it.
func (r *Flow) SetUint(f Field, v uint64) {
	switch f {
	case FVersion:
		r.Version = uint8(v)
	case FSrcPort:
		r.SrcPort = uint16(v)
	case FDstPort:
		r.DstPort = uint16(v)
	case FProtocol:
		r.Protocol = uint8(v)
	case FPackets:
		r.Packets = v
	case FBytes:
		r.Bytes = v
	case FStart:
		r.Start = uint32(v)
	case FEnd:
		r.End = uint32(v)
	case FTCPFlags:
		r.TCPFlags = uint8(v)
	case FTrafficPath:
		e := r.extForWrite()
		e.Path = uint8(v)
		e.present |= extPath
		return
	case FEncryptionStatus:
		e := r.extForWrite()
		e.Encrypt = uint8(v)
		e.present |= extEncrypt
		return
	default:
		return
	}
	r.set(f)
}

// SetAction, SetStatus and SetDirection set the enumerated inline fields.
func (r *Flow) SetAction(a Action)       { r.Action = a; r.setIf(FAction, a != ActionNone) }
func (r *Flow) SetStatus(s LogStatus)    { r.Status = s; r.setIf(FLogStatus, s != StatusNone) }
func (r *Flow) SetDirection(d Direction) { r.Direction = d; r.setIf(FFlowDirection, d != DirNone) }

// SrcAddrPort and DstAddrPort join address and port as netip prints them.
func (r *Flow) SrcAddrPort() netip.AddrPort { return netip.AddrPortFrom(r.Src(), r.SrcPort) }
func (r *Flow) DstAddrPort() netip.AddrPort { return netip.AddrPortFrom(r.Dst(), r.DstPort) }

// IsData reports whether the record describes traffic, as opposed to a NODATA or
// SKIPDATA marker.
func (r *Flow) IsData() bool { return r.Status != StatusNoData && r.Status != StatusSkipData }
