package stats

import (
	"cmp"
	"net/netip"
	"strconv"
	"strings"
)

// ValueKind says which of a Value's fields holds it.
type ValueKind uint8

const (
	KindNull   ValueKind = iota // the records of the group lack the field
	KindNumber                  // Num: ports, protocol, times, flags, counts
	KindAddr                    // Addr
	KindText                    // Text: IDs, names, and action, log-status, flow-direction as they print
)

// Value is one group field's value in a row, typed so that a writer can emit a number
// as a JSON number, an address or an ID as a string, and an absent field as null.
type Value struct {
	Kind ValueKind
	Num  uint64
	Addr netip.Addr
	Text string
}

// IsNull reports whether the group's records lack the field.
func (v Value) IsNull() bool { return v.Kind == KindNull }

// String is the value as the flow log writes it: `-` for null.
func (v Value) String() string { return string(v.AppendText(nil)) }

// AppendText appends the value as the flow log writes it.
func (v Value) AppendText(b []byte) []byte {
	switch v.Kind {
	case KindNumber:
		return strconv.AppendUint(b, v.Num, 10)
	case KindAddr:
		return v.Addr.AppendTo(b)
	case KindText:
		return append(b, v.Text...)
	}
	return append(b, '-')
}

// Compare orders values as rows are ordered on ties: ascending, null last.
func (v Value) Compare(o Value) int {
	if v.Kind != o.Kind {
		if v.Kind == KindNull || o.Kind == KindNull {
			if v.Kind == KindNull {
				return 1
			}
			return -1
		}
		return cmp.Compare(v.Kind, o.Kind)
	}
	switch v.Kind {
	case KindNumber:
		return cmp.Compare(v.Num, o.Num)
	case KindAddr:
		return v.Addr.Compare(o.Addr)
	case KindText:
		return strings.Compare(v.Text, o.Text)
	}
	return 0
}
