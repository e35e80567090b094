package stats

import (
	"cmp"
	"encoding/binary"
	"net/netip"
	"strings"

	"github.com/flowlens/flowlens/model"
)

// A group key is the raw typed values of the group fields packed into a fixed number of
// bytes: a presence bitmap, then one slot per field (an address in 16 bytes, a port in
// 2, an interned ID as its 4-byte Sym, ...). Building it costs no allocation and no
// formatting, and two records are in the same group exactly when their keys are equal
// byte for byte: absent fields leave their slot zero and their presence bit clear.

// slotKind says how a field's value is packed.
type slotKind uint8

const (
	slotAddr      slotKind = iota // 16 bytes, IPv4 as IPv4-mapped IPv6
	slotUint                      // big-endian, 1 to 8 bytes
	slotSym                       // an interned string's Sym, 4 bytes
	slotText                      // a text field's number in the grouper's own dictionary, 4 bytes
	slotAction                    // model.Action, 1 byte
	slotStatus                    // model.LogStatus, 1 byte
	slotDirection                 // model.Direction, 1 byte
	slotBin                       // start / bin seconds, 4 bytes
)

type slot struct {
	field model.Field
	kind  slotKind
	bit   int // presence bit
	off   int // offset in the key
	width int
}

// layout is the packing of one key.
type layout struct {
	slots []slot
	width int
	bin   uint32 // seconds, for slotBin
}

// uintWidth is the width of each numeric field: what its value can hold.
func uintWidth(f model.Field) int {
	switch f {
	case model.FSrcPort, model.FDstPort:
		return 2
	case model.FVersion, model.FProtocol, model.FTCPFlags, model.FTrafficPath, model.FEncryptionStatus:
		return 1
	case model.FStart, model.FEnd:
		return 4
	}
	return 8
}

func slotFor(f model.Field) slot {
	kind := f.Info().Kind
	switch {
	case kind == model.KindAddr:
		return slot{field: f, kind: slotAddr, width: 16}
	case kind == model.KindAction:
		return slot{field: f, kind: slotAction, width: 1}
	case kind == model.KindLogStatus:
		return slot{field: f, kind: slotStatus, width: 1}
	case kind == model.KindDirection:
		return slot{field: f, kind: slotDirection, width: 1}
	case kind == model.KindString && model.Interned(f):
		return slot{field: f, kind: slotSym, width: 4}
	case kind == model.KindString:
		return slot{field: f, kind: slotText, width: 4}
	}
	return slot{field: f, kind: slotUint, width: uintWidth(f)}
}

// newLayout packs a bin (when bin > 0 seconds) and then the fields, in that order, so
// that comparing keys slot by slot puts time first.
func newLayout(bin uint32, fields []model.Field) *layout {
	l := &layout{bin: bin}
	var slots []slot
	if bin > 0 {
		slots = append(slots, slot{field: model.FStart, kind: slotBin, width: 4})
	}
	for _, f := range fields {
		slots = append(slots, slotFor(f))
	}
	off := (len(slots) + 7) / 8
	for i := range slots {
		slots[i].bit = i
		slots[i].off = off
		off += slots[i].width
	}
	l.slots, l.width = slots, off
	return l
}

func putUint(b []byte, v uint64) {
	switch len(b) {
	case 1:
		b[0] = byte(v)
	case 2:
		binary.BigEndian.PutUint16(b, uint16(v))
	case 4:
		binary.BigEndian.PutUint32(b, uint32(v))
	default:
		binary.BigEndian.PutUint64(b, v)
	}
}

func getUint(b []byte) uint64 {
	switch len(b) {
	case 1:
		return uint64(b[0])
	case 2:
		return uint64(binary.BigEndian.Uint16(b))
	case 4:
		return uint64(binary.BigEndian.Uint32(b))
	}
	return binary.BigEndian.Uint64(b)
}

// texts numbers the values of text fields (ECS task IDs, custom columns), which are not
// interned, so that a key holds 4 bytes instead of a string. A value gets its number
// only when a group or pair holding it is admitted (see pending), so refused groups do
// not grow it.
type texts struct {
	ids   map[string]uint32
	names []string // names[id-1]
	// pending are the values met while packing the current key that have no number
	// yet; they are numbered len(names)+1, +2, ... and kept by commit.
	pending []string
}

func (t *texts) id(s string) uint32 {
	if id, ok := t.ids[s]; ok {
		return id
	}
	for i, p := range t.pending {
		if p == s {
			return uint32(len(t.names) + i + 1)
		}
	}
	t.pending = append(t.pending, s)
	return uint32(len(t.names) + len(t.pending))
}

func (t *texts) commit() {
	for _, s := range t.pending {
		if t.ids == nil {
			t.ids = map[string]uint32{}
		}
		t.names = append(t.names, s)
		t.ids[s] = uint32(len(t.names))
	}
	t.pending = t.pending[:0]
}

func (t *texts) name(id uint32) string { return t.names[id-1] }

// pack writes r's key into dst (len(dst) == l.width). The caller commits or discards
// t.pending afterwards.
func (l *layout) pack(dst []byte, r *model.Flow, t *texts) {
	clear(dst)
	for i := range l.slots {
		s := &l.slots[i]
		if !r.Has(s.field) {
			continue
		}
		dst[s.bit>>3] |= 1 << (s.bit & 7)
		packValue(dst[s.off:s.off+s.width], s, r, t, l.bin)
	}
}

// packValue writes the value of s.field, which r has, into b.
func packValue(b []byte, s *slot, r *model.Flow, t *texts, bin uint32) {
	switch s.kind {
	case slotAddr:
		a, _ := r.Addr(s.field)
		a16 := a.As16()
		copy(b, a16[:])
	case slotUint:
		v, _ := r.Uint(s.field)
		putUint(b, v)
	case slotSym:
		putUint(b, uint64(r.Sym(s.field)))
	case slotText:
		putUint(b, uint64(t.id(r.Text(s.field))))
	case slotAction:
		b[0] = byte(r.Action)
	case slotStatus:
		b[0] = byte(r.Status)
	case slotDirection:
		b[0] = byte(r.Direction)
	case slotBin:
		putUint(b, uint64(r.Start/bin))
	}
}

func (l *layout) present(key []byte, s *slot) bool { return key[s.bit>>3]&(1<<(s.bit&7)) != 0 }

// compare orders two keys slot by slot: values ascending, an absent value after every
// present one. Addresses compare as netip does (IPv4 before IPv6), interned and text
// values by their text, enumerations by the text they print as: the order a person
// reading the output would expect, and the same from run to run.
func (l *layout) compare(a, b []byte, t *texts) int {
	for i := range l.slots {
		s := &l.slots[i]
		pa, pb := l.present(a, s), l.present(b, s)
		switch {
		case !pa && !pb:
			continue
		case !pa:
			return 1
		case !pb:
			return -1
		}
		va, vb := a[s.off:s.off+s.width], b[s.off:s.off+s.width]
		if c := compareSlot(s, va, vb, t); c != 0 {
			return c
		}
	}
	return 0
}

func compareSlot(s *slot, a, b []byte, t *texts) int {
	switch s.kind {
	case slotAddr:
		return netip.AddrFrom16([16]byte(a)).Unmap().Compare(netip.AddrFrom16([16]byte(b)).Unmap())
	case slotUint, slotBin:
		return cmp.Compare(getUint(a), getUint(b))
	case slotSym:
		x, y := model.Sym(getUint(a)), model.Sym(getUint(b))
		if x == y {
			return 0
		}
		return strings.Compare(x.String(), y.String())
	case slotText:
		x, y := uint32(getUint(a)), uint32(getUint(b))
		if x == y {
			return 0
		}
		return strings.Compare(t.name(x), t.name(y))
	}
	return strings.Compare(enumText(s.kind, a[0]), enumText(s.kind, b[0]))
}

func enumText(k slotKind, v byte) string {
	switch k {
	case slotAction:
		return model.Action(v).String()
	case slotStatus:
		return model.LogStatus(v).String()
	}
	return model.Direction(v).String()
}

// value decodes one slot of a key.
func (l *layout) value(key []byte, s *slot, t *texts) Value {
	if !l.present(key, s) {
		return Value{}
	}
	b := key[s.off : s.off+s.width]
	switch s.kind {
	case slotAddr:
		return Value{Kind: KindAddr, Addr: netip.AddrFrom16([16]byte(b)).Unmap()}
	case slotUint:
		return Value{Kind: KindNumber, Num: getUint(b)}
	case slotBin:
		return Value{Kind: KindNumber, Num: getUint(b) * uint64(l.bin)}
	case slotSym:
		return Value{Kind: KindText, Text: model.Sym(getUint(b)).String()}
	case slotText:
		return Value{Kind: KindText, Text: t.name(uint32(getUint(b)))}
	}
	return Value{Kind: KindText, Text: enumText(s.kind, b[0])}
}
