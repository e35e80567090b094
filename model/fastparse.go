package model

import (
	"encoding/binary"
	"math"
	"math/bits"
)

// parseDefault is the fast path for the default (version 2) format, which nearly every
// flow log uses and which the DESIGN budget is about: it reads the fourteen fields in
// their fixed order in a single pass, converting while it scans (the usual tail of four
// fields is read from the line's end, see fastTail). It accepts only the
// common shape: single spaces, IPv4 addresses, numbers and no `-`. Anything else (a
// NODATA record, IPv6, a tab, a bad value) returns false with out in an unspecified
// state, and the general path reads the line instead, so the two always agree; the fuzz
// test checks that they do.
func (p *Parser) parseDefault(line []byte, out *Flow) bool {
	// Drop the line end, which the general path treats as white space.
	n := len(line)
	for n > 0 && (line[n-1] == '\n' || line[n-1] == '\r') {
		n--
	}
	line = line[:n]
	*out = Flow{Format: DefaultFormat.ID}
	pos := 0
	var ok bool
	// The last four fields nearly always have one shape, which is read where the line
	// ends, without waiting for the fields before it to be found.
	tail, tailOK := fastTail(line)

	var v uint64
	if v, pos, ok = fastSmallUint(line, pos); !ok || v > math.MaxUint8 {
		return false
	}
	out.Version = uint8(v)

	if out.Account, pos, ok = p.fastID(line, pos, 1); !ok {
		return false
	}
	if out.Interface, pos, ok = p.fastID(line, pos, 2); !ok {
		return false
	}

	if pos, ok = fastIPv4(line, pos, &out.src4); !ok {
		return false
	}
	if pos, ok = fastIPv4(line, pos, &out.dst4); !ok {
		return false
	}
	if v, pos, ok = fastSmallUint(line, pos); !ok || v > math.MaxUint16 {
		return false
	}
	out.SrcPort = uint16(v)
	if v, pos, ok = fastSmallUint(line, pos); !ok || v > math.MaxUint16 {
		return false
	}
	out.DstPort = uint16(v)
	if v, pos, ok = fastSmallUint(line, pos); !ok || v > math.MaxUint8 {
		return false
	}
	out.Protocol = uint8(v)
	if out.Packets, pos, ok = fastUint(line, pos); !ok {
		return false
	}
	if out.Bytes, pos, ok = fastUint(line, pos); !ok {
		return false
	}
	if tailOK && pos == len(line)-tailLen+1 { // bytes ended where the tail begins
		out.Start, out.End, out.Action, out.Status = tail.start, tail.end, tail.action, StatusOK
		out.present = defaultPresent
		return true
	}
	var start, end uint64
	if start, pos, ok = fastUint(line, pos); !ok {
		return false
	}
	if end, pos, ok = fastUint(line, pos); !ok {
		return false
	}
	if start > 1e11 {
		start /= 1000
	}
	if end > 1e11 {
		end /= 1000
	}
	if start > math.MaxUint32 || end > math.MaxUint32 {
		return false
	}
	out.Start, out.End = uint32(start), uint32(end)

	switch {
	case pos+7 <= len(line) && string(line[pos:pos+7]) == "ACCEPT ":
		out.Action = Accept
	case pos+7 <= len(line) && string(line[pos:pos+7]) == "REJECT ":
		out.Action = Reject
	default:
		return false
	}
	pos += 7
	switch string(line[pos:]) {
	case "OK":
		out.Status = StatusOK
	case "NODATA":
		out.Status = StatusNoData
	case "SKIPDATA":
		out.Status = StatusSkipData
	default:
		return false
	}
	// Every field is present: the fourteen presence bits of the default format.
	out.present = defaultPresent
	return true
}

// tailLen is the length of a default-format line's usual tail: a space, ten-digit start
// and end, ACCEPT or REJECT, and OK.
const tailLen = len(" 1418530010 1418530070 ACCEPT OK")

type defaultTail struct {
	start, end uint32
	action     Action
}

// fastTail reads the last four fields of a default-format line when they have their
// usual shape (tailLen). Their place is known from the line's length, so reading them
// does not wait for the fields before them to be found, and eight digits are converted
// at once; parseDefault checks that those end where the tail begins, and otherwise reads
// the four fields itself.
func fastTail(line []byte) (defaultTail, bool) {
	if len(line) < tailLen+8 {
		return defaultTail{}, false
	}
	t := (*[tailLen]byte)(line[len(line)-tailLen:])
	x := binary.LittleEndian.Uint64(t[1:9])
	y := binary.LittleEndian.Uint64(t[12:20])
	if t[0] != ' ' || !eightDigits(x) || t[9]-'0' > 9 || t[10]-'0' > 9 || t[11] != ' ' ||
		!eightDigits(y) || t[20]-'0' > 9 || t[21]-'0' > 9 || t[22] != ' ' ||
		string(t[29:]) != " OK" {
		return defaultTail{}, false
	}
	var tail defaultTail
	switch string(t[23:29]) {
	case "ACCEPT":
		tail.action = Accept
	case "REJECT":
		tail.action = Reject
	default:
		return defaultTail{}, false
	}
	start := swar8(x)*100 + uint64(t[9]-'0')*10 + uint64(t[10]-'0')
	end := swar8(y)*100 + uint64(t[20]-'0')*10 + uint64(t[21]-'0')
	if start > math.MaxUint32 || end > math.MaxUint32 { // ten digits are not milliseconds
		return defaultTail{}, false
	}
	tail.start, tail.end = uint32(start), uint32(end)
	return tail, true
}

// defaultPresent has the presence bits of every default-format field set.
var defaultPresent = func() (m uint32) {
	for _, f := range DefaultFormat.Fields {
		m |= inlineBit[f]
	}
	return m
}()

// fastUint reads decimal digits up to a single space (or the end of the line, for the
// last field); anything else is a refusal.
func fastUint(line []byte, pos int) (uint64, int, bool) {
	var v uint64
	start := pos
	// Timestamps and byte counts are long: take eight digits at a time when there are.
	if pos+8 <= len(line) {
		x := binary.LittleEndian.Uint64(line[pos:])
		if eightDigits(x) {
			v = swar8(x)
			pos += 8
		}
	}
	for pos < len(line) {
		d := line[pos] - '0'
		if d > 9 {
			break
		}
		v = v*10 + uint64(d)
		pos++
	}
	// Nineteen digits cannot overflow 64 bits; longer numbers are rare enough to leave to
	// the general path, which checks every step.
	if pos == start || pos-start > 19 {
		return 0, pos, false
	}
	if pos < len(line) {
		if line[pos] != ' ' {
			return 0, pos, false
		}
		pos++
	}
	return v, pos, true
}

// fastSmallUint is fastUint for the fields that hold a few digits (the version, ports,
// the protocol): no look for eight digits at once, which they never have. More than
// five digits are refused; the general path reads them (a port above 65535 is out of
// range there too).
func fastSmallUint(line []byte, pos int) (uint64, int, bool) {
	var v uint64
	start := pos
	for pos < len(line) {
		d := line[pos] - '0'
		if d > 9 {
			break
		}
		v = v*10 + uint64(d)
		pos++
	}
	if pos == start || pos-start > 5 || pos >= len(line) || line[pos] != ' ' {
		return 0, pos, false
	}
	return v, pos + 1, true
}

// eightDigits reports whether the eight bytes of x are all ASCII digits.
func eightDigits(x uint64) bool {
	return x&0xF0F0F0F0F0F0F0F0 == 0x3030303030303030 &&
		(x+0x0606060606060606)&0xF0F0F0F0F0F0F0F0 == 0x3030303030303030
}

// swar8 converts eight ASCII digits (the first in the lowest byte, as they lie in
// memory) to their value, pairing digits, then pairs of pairs, then halves.
func swar8(x uint64) uint64 {
	x &= 0x0F0F0F0F0F0F0F0F
	x = (x * (10<<8 + 1)) >> 8 & 0x00FF00FF00FF00FF
	x = (x * (100<<16 + 1)) >> 16 & 0x0000FFFF0000FFFF
	return (x * (10000<<32 + 1)) >> 32
}

// fastToken reads a token up to a single space; "-", control bytes and bytes of 0x80
// and above are refusals (the general path reads those lines). Eight bytes are looked
// at a time for the first that ends the token.
func fastToken(line []byte, pos int) ([]byte, int, bool) {
	start := pos
	for pos+8 <= len(line) {
		if m := tokenEnds(binary.LittleEndian.Uint64(line[pos:])); m != 0 {
			pos += bits.TrailingZeros64(m) >> 3
			goto end
		}
		pos += 8
	}
	for pos < len(line) {
		if c := line[pos]; c <= ' ' || c >= 0x7f {
			break
		}
		pos++
	}
end:
	if pos == start || pos >= len(line) || line[pos] != ' ' || pos-start == 1 && line[start] == '-' {
		return nil, pos, false
	}
	return line[start:pos], pos + 1, true
}

// fastID reads an ID (account-id, column 1, or interface-id, column 2) as fastToken
// does and interns it. An ID of up to 23 bytes is read as three words, the bytes after
// it zeroed (a token holds no zero byte, so the words are the ID), and looked up in
// Parser.ids, a small table in front of Parser.intern: comparing three words costs less
// than hashing or comparing the bytes, and a stream repeats a few dozen IDs.
func (p *Parser) fastID(line []byte, pos, col int) (Sym, int, bool) {
	if pos+24 > len(line) {
		return p.tokenID(line, pos, col)
	}
	b := line[pos : pos+24 : pos+24]
	w0, w1, w2 := binary.LittleEndian.Uint64(b), binary.LittleEndian.Uint64(b[8:]), binary.LittleEndian.Uint64(b[16:])
	var n int
	if m := tokenEnds(w0); m != 0 {
		n = bits.TrailingZeros64(m) >> 3
		w0 &= lowBytes(n)
		w1, w2 = 0, 0
	} else if m := tokenEnds(w1); m != 0 {
		n = 8 + bits.TrailingZeros64(m)>>3
		w1 &= lowBytes(n - 8)
		w2 = 0
	} else if m := tokenEnds(w2); m != 0 {
		n = 16 + bits.TrailingZeros64(m)>>3
		w2 &= lowBytes(n - 16)
	} else {
		return p.tokenID(line, pos, col) // a long ID
	}
	if n == 0 || b[n] != ' ' || n == 1 && b[0] == '-' {
		return 0, pos, false
	}
	e := &p.ids[(w0^w1^w2)*0x9E3779B97F4A7C15>>(64-idsBits)]
	if e.sym == 0 || e.w != [3]uint64{w0, w1, w2} {
		*e = idEntry{w: [3]uint64{w0, w1, w2}, sym: p.intern(col, b[:n])}
	}
	return e.sym, pos + n + 1, true
}

// tokenID is fastID for an ID that is not read as three words: near the end of the
// line, or longer than 23 bytes.
func (p *Parser) tokenID(line []byte, pos, col int) (Sym, int, bool) {
	tok, next, ok := fastToken(line, pos)
	if !ok {
		return 0, pos, false
	}
	return p.intern(col, tok), next, true
}

// idEntry is an ID of up to 23 bytes as three words, and its Sym (0: the entry is
// empty; no ID the fast path reads is Sym 0).
type idEntry struct {
	w   [3]uint64
	sym Sym
}

// idsBits sizes Parser.ids: 64 entries, 2 KB, enough for the interfaces of a busy
// account's log group.
const idsBits = 6

// lowBytes is the mask of the low n (0-7) bytes of a word.
func lowBytes(n int) uint64 { return 1<<(8*uint(n)) - 1 }

// tokenEnds flags (the high bit of) each byte of x that cannot be inside a token of the
// fast path: white space and control bytes (0x20 and below), DEL, and bytes of 0x80 and
// above. Borrows only run towards later bytes, so the lowest flag is exact.
func tokenEnds(x uint64) uint64 {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	y := x ^ (0x7f * ones)
	return ((x-0x21*ones)&^x | (y-ones)&^y | x) & highs
}

// fastIPv4 reads a dotted IPv4 address followed by a single space: at most three
// digits an octet, no leading zero, each octet's digits read without a loop.
func fastIPv4(line []byte, pos int, out *[4]byte) (int, bool) {
	if pos+16 > len(line) {
		return slowIPv4(line, pos, out)
	}
	b := line[pos : pos+16 : pos+16]
	i := 0
	for part := 0; part < 4; part++ {
		v := uint(b[i] - '0')
		if v > 9 {
			return pos, false
		}
		i++
		if d := uint(b[i] - '0'); d <= 9 {
			if v == 0 { // a leading zero: the general path refuses it too
				return pos, false
			}
			v = v*10 + d
			i++
			if d := uint(b[i] - '0'); d <= 9 {
				v = v*10 + d
				i++
			}
		}
		if v > 255 {
			return pos, false
		}
		out[part] = byte(v)
		want := byte('.')
		if part == 3 {
			want = ' '
		}
		if b[i] != want {
			return pos, false
		}
		i++
	}
	return pos + i, true
}

// slowIPv4 is fastIPv4 near the end of a line, byte by byte.
func slowIPv4(line []byte, pos int, out *[4]byte) (int, bool) {
	for part := 0; part < 4; part++ {
		v, digits := 0, 0
		for pos < len(line) {
			d := line[pos] - '0'
			if d > 9 {
				break
			}
			if digits > 0 && v == 0 { // a leading zero: the general path refuses it too
				return pos, false
			}
			v = v*10 + int(d)
			digits++
			pos++
		}
		if digits == 0 || digits > 3 || v > 255 || pos >= len(line) {
			return pos, false
		}
		out[part] = byte(v)
		want := byte('.')
		if part == 3 {
			want = ' '
		}
		if line[pos] != want {
			return pos, false
		}
		pos++
	}
	return pos, true
}
