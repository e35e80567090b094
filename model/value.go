package model

import (
	"net/netip"
	"strconv"
)

// AppendValue appends the field's value as the flow log writes it (`-` when absent), so
// that a record can be written back out as it came in.
func (r *Flow) AppendValue(dst []byte, f Field) []byte {
	if !r.Has(f) {
		return append(dst, '-')
	}
	switch f.Info().Kind {
	case KindAddr:
		a, _ := r.Addr(f)
		return appendAddr(dst, a)
	case KindString:
		return append(dst, r.Text(f)...)
	case KindAction:
		return append(dst, r.Action.String()...)
	case KindLogStatus:
		return append(dst, r.Status.String()...)
	case KindDirection:
		return append(dst, r.Direction.String()...)
	}
	v, _ := r.Uint(f)
	return strconv.AppendUint(dst, v, 10)
}

// Value returns AppendValue as a string.
func (r *Flow) Value(f Field) string { return string(r.AppendValue(nil, f)) }

// AppendRecord writes the record as one line of its format, without a newline: the text
// a substring filter searches and the raw view shows.
func (r *Flow) AppendRecord(dst []byte) []byte {
	for i, f := range r.FormatOf().Fields {
		if i > 0 {
			dst = append(dst, ' ')
		}
		dst = r.AppendValue(dst, f)
	}
	return dst
}

// appendAddr writes an IPv4 address without the netip machinery, which matters when a
// million records are written out.
func appendAddr(dst []byte, a netip.Addr) []byte {
	if !a.Is4() {
		return a.AppendTo(dst)
	}
	b := a.As4()
	for i, octet := range b {
		if i > 0 {
			dst = append(dst, '.')
		}
		dst = strconv.AppendUint(dst, uint64(octet), 10)
	}
	return dst
}
