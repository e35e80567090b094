package model

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"math/bits"
	"net/netip"
	"strconv"
	"unicode/utf8"
	"unsafe"
)

// LineKind says what a line turned out to be.
type LineKind uint8

const (
	LineRecord    LineKind = iota // a record, written to the caller's Flow
	LineHeader                    // a header line; the format changed for the lines after it
	LineBlank                     // nothing but white space
	LineMalformed                 // counted with its reason; see Stats
)

// Reason classifies a malformed line.
type Reason uint8

const (
	ReasonFieldCount Reason = iota
	ReasonNumber
	ReasonRange
	ReasonAddress
	ReasonAction
	ReasonLogStatus
	ReasonDirection
	ReasonControl
	ReasonTooLong
	ReasonTruncated
	ReasonHeader
	NumReasons int = iota
)

var reasonText = [NumReasons]string{
	ReasonFieldCount: "wrong field count",
	ReasonNumber:     "bad number",
	ReasonRange:      "number out of range",
	ReasonAddress:    "bad address",
	ReasonAction:     "bad action",
	ReasonLogStatus:  "bad log-status",
	ReasonDirection:  "bad flow-direction",
	ReasonControl:    "binary or control characters",
	ReasonTooLong:    "line too long",
	ReasonTruncated:  "truncated line",
	ReasonHeader:     "bad header line",
}

func (r Reason) String() string {
	if int(r) < NumReasons {
		return reasonText[r]
	}
	return "malformed"
}

// Malformed is a sample of a line that was not a record: where it was, why, and (cleaned
// of control characters, shortened) what it said.
type Malformed struct {
	Source string
	Line   int64
	Reason Reason
	Detail string
	Text   string
}

func (m Malformed) String() string {
	loc := m.Source
	if loc == "" {
		loc = "line"
	}
	return fmt.Sprintf("%s:%d: %s: %s", loc, m.Line, m.Reason, m.Detail)
}

// MaxSamples is how many malformed lines are kept verbatim; the rest are only counted.
const MaxSamples = 10

// maxSampleText bounds the text kept of a malformed line.
const maxSampleText = 160

// Stats counts what a parser saw.
type Stats struct {
	Lines     int64
	Skipped   int64 // lines a prefilter passed over unparsed: they could not match (see Parser.Skip)
	Records   int64
	Headers   int64
	Blank     int64
	Malformed int64
	// Cleaned counts records whose text fields held control characters or invalid
	// UTF-8, replaced by U+FFFD (the record is kept: its addresses, ports and action
	// are sound).
	Cleaned  int64
	ByReason [NumReasons]int64
	Samples  []Malformed
}

// Add folds o into s, keeping the first MaxSamples samples.
func (s *Stats) Add(o *Stats) {
	s.Lines += o.Lines
	s.Skipped += o.Skipped
	s.Records += o.Records
	s.Headers += o.Headers
	s.Blank += o.Blank
	s.Malformed += o.Malformed
	s.Cleaned += o.Cleaned
	for i := range s.ByReason {
		s.ByReason[i] += o.ByReason[i]
	}
	for _, m := range o.Samples {
		if len(s.Samples) >= MaxSamples {
			break
		}
		s.Samples = append(s.Samples, m)
	}
}

// Parser turns lines into Flows. It holds the current format, which a header line
// switches, and counts what it saw. One Parser reads one stream; it is not safe for
// concurrent use.
type Parser struct {
	source string
	format *Format
	line   int64
	stats  Stats
	cache  symCache
	// the last value interned per column, see intern
	lastText [MaxColumns]string
	lastSym  [MaxColumns]Sym
	// ids caches the Syms of the IDs the default format's fast path reads (see fastID).
	ids [1 << idsBits]idEntry
	// Records of custom formats need an Ext; they are carved out of slabs so that
	// parsing stays free of per-record allocations.
	extSlab    []Ext
	textsSlab  []ExtTexts
	v6Slab     [][2]addr16 // where the IPv6 addresses of records go (Flow.more)
	customSlab []string
	// noFast turns the default format's fast path off, so tests can compare the two.
	noFast bool
}

// NewParser reads lines of source (a name for messages) in format f; nil means the
// default format.
func NewParser(source string, f *Format) *Parser {
	if f == nil {
		f = DefaultFormat
	}
	return &Parser{source: source, format: f}
}

// Format is the format the next line is read in.
func (p *Parser) Format() *Format { return p.format }

// SetFormat changes the format, as a header line would.
func (p *Parser) SetFormat(f *Format) { p.format = f }

// Stats returns what the parser has counted so far.
func (p *Parser) Stats() *Stats { return &p.stats }

// Line is the number of the last line handed to Parse or Reject.
func (p *Parser) Line() int64 { return p.line }

// Reset points the parser at another piece of a stream: the source name, the format in
// effect there and the number of the line before it. Counts start again; the symbol
// cache is kept, which is why a reader reuses one parser for many chunks.
func (p *Parser) Reset(source string, f *Format, line int64) {
	if f == nil {
		f = DefaultFormat
	}
	p.source, p.format, p.line = source, f, line
	p.stats = Stats{}
}

// byte classes for the tokenizer
const (
	clsText = iota
	clsSpace
	clsControl
	clsHigh // not ASCII: the token takes the slow path that cleans it (see cleanToken)
)

var byteClass = func() (t [256]uint8) {
	for c := 0; c < 0x20; c++ {
		t[c] = clsControl
	}
	t[0x7f] = clsControl
	for c := 0x80; c < 0x100; c++ {
		t[c] = clsHigh
	}
	for _, c := range []byte{' ', '\t', '\r', '\n', '\v', '\f'} {
		t[c] = clsSpace
	}
	return t
}()

// Parse reads one line (with or without its newline) into out. For LineRecord, out holds
// the record; for the other kinds out is left in an unspecified state.
//
// Tokenizing and converting happen in one pass: this is the hot path of every command,
// and a second walk over the tokens cost a third of the time. The first bad field is
// remembered and reported only if the field count turns out right, because a wrong
// count explains a bad field better than the field itself does.
func (p *Parser) Parse(line []byte, out *Flow) LineKind {
	p.line++
	p.stats.Lines++
	if p.format == DefaultFormat && !p.noFast && p.parseDefault(line, out) {
		p.stats.Records++
		return LineRecord
	}

	i := skipSpace(line, 0)
	if i == len(line) {
		p.stats.Blank++
		return LineBlank
	}
	if c := line[i]; c >= 'a' && c <= 'z' || c == '$' {
		if kind, ok := p.header(line); ok {
			return kind
		}
	}
	f := p.format
	cols := f.cols
	*out = Flow{Format: f.ID}
	var ext *Ext
	if f.needsExt {
		ext = p.newExt(f)
		out.attachExt(ext)
	}
	n, control, cleaned := 0, false, false
	badCol, badReason, badDetail := -1, Reason(0), ""
	var badTok []byte
	for i < len(line) {
		start, high := i, false
		for i < len(line) {
			i = skipText(line, i)
			if i >= len(line) {
				break
			}
			cls := byteClass[line[i]]
			if cls == clsSpace {
				break
			}
			high = high || cls == clsHigh
			control = control || cls == clsControl
			i++
		}
		if n < len(cols) && badCol < 0 {
			tok := line[start:i]
			if high {
				var changed bool
				tok, changed = cleanToken(tok)
				cleaned = cleaned || changed
			}
			if reason, detail := p.setField(out, ext, n, cols[n], tok); detail != "" {
				badCol, badReason, badDetail, badTok = n, reason, detail, tok
			}
		}
		n++
		i = skipSpace(line, i)
	}
	switch {
	case control:
		return p.malformed(line, ReasonControl, "the line holds control characters or binary data")
	case n != len(cols):
		detail := fmt.Sprintf("%d fields, the format has %d", n, len(cols))
		if n > MaxColumns {
			detail = fmt.Sprintf("more than %d fields, the format has %d", MaxColumns, len(cols))
		}
		return p.malformed(line, ReasonFieldCount, detail)
	case badCol >= 0:
		return p.malformed(line, badReason, fmt.Sprintf("%s %q: %s", f.Names[badCol], truncate(badTok, 40), badDetail))
	}
	p.stats.Records++
	if cleaned {
		p.stats.Cleaned++
	}
	return LineRecord
}

// skipText returns the index of the first byte at or after i that is white space, a
// control byte (<= 0x20 or 0x7f) or not ASCII (>= 0x80), or len(line). It looks at eight
// bytes at a time: tokens are 10-40 bytes long, and a byte loop was a third of the parse
// time.
func skipText(line []byte, i int) int {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	for i+8 <= len(line) {
		x := binary.LittleEndian.Uint64(line[i:])
		// a byte < 0x21, a byte equal to 0x7f, or a byte with its high bit set; borrows
		// only run upwards, so the lowest flagged byte is exact.
		y := x ^ (0x7f * ones)
		m := ((x-0x21*ones)&^x | (y-ones)&^y | x) & highs
		if m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
		i += 8
	}
	for i < len(line) {
		if c := line[i]; c-'!' > '~'-'!' { // below '!', or above '~'
			return i
		}
		i++
	}
	return i
}

func skipSpace(line []byte, i int) int {
	for i < len(line) && byteClass[line[i]] == clsSpace {
		i++
	}
	return i
}

// header handles a line that may be an S3 header line.
func (p *Parser) header(line []byte) (LineKind, bool) {
	f, ok, err := ParseHeaderLine(line)
	if !ok {
		return 0, false
	}
	if err != nil {
		return p.malformed(line, ReasonHeader, err.Error()), true
	}
	p.format = f
	p.stats.Headers++
	return LineHeader, true
}

// ParseHeaderLine recognises an S3 header line: every token a column name (or ${name})
// and the first one a known field, which a data value never is. ok says whether the
// line is a header at all; err says what is wrong with one that is.
func ParseHeaderLine(line []byte) (f *Format, ok bool, err error) {
	i := skipSpace(line, 0)
	if i == len(line) {
		return nil, false, nil
	}
	if c := line[i]; !(c >= 'a' && c <= 'z' || c == '$') {
		return nil, false, nil
	}
	// The first token decides for nearly every line, without splitting the line: a data
	// line of a format that starts with a string column gets here on every line.
	first := line[i:]
	if j := bytes.IndexAny(first, " \t\r\n"); j >= 0 {
		first = first[:j]
	}
	if first[0] != '$' {
		if _, ok := fieldByNameBytes(first); !ok {
			return nil, false, nil
		}
	}
	n := 0
	for _, t := range bytes.Fields(line) {
		if t[0] == '$' {
			if len(t) < 4 || t[1] != '{' || t[len(t)-1] != '}' {
				return nil, false, nil
			}
			t = t[2 : len(t)-1]
		} else if n == 0 {
			if _, ok := fieldByNameBytes(t); !ok {
				return nil, false, nil
			}
		}
		if !validColumnName(string(t)) {
			return nil, false, nil
		}
		n++
	}
	if n > MaxColumns {
		return nil, true, fmt.Errorf("a header with more than %d columns", MaxColumns)
	}
	f, err = ParseFormat(string(line))
	return f, true, err
}

// setField stores one token of column col (in ext, out's Ext, for the columns that live
// there); it returns a non-empty detail when the token is bad.
func (p *Parser) setField(out *Flow, ext *Ext, col int, c column, tok []byte) (Reason, string) {
	if len(tok) == 1 && tok[0] == '-' {
		return 0, ""
	}
	switch c.op {
	case opCustom:
		ext.Texts.Custom[c.idx] = p.text(col, tok)
		return 0, ""
	case opExtText:
		ext.Texts.Text[c.idx] = p.text(col, tok)
		return 0, ""
	case opExtStr:
		ext.Str[c.idx] = p.intern(col, tok)
		return 0, ""
	case opAccount:
		out.Account = p.intern(col, tok)
	case opInterface:
		out.Interface = p.intern(col, tok)
	case opAddr:
		a, ok := parseAddr(tok)
		if !ok {
			return ReasonAddress, "not an IP address"
		}
		switch c.field {
		case FSrcAddr:
			out.setAddr(0, &a, &p.v6Slab, true)
			return 0, ""
		case FDstAddr:
			out.setAddr(1, &a, &p.v6Slab, true)
			return 0, ""
		case FPktSrcAddr:
			ext.PktSrc = a
			ext.present |= extPktSrc
			return 0, ""
		case FPktDstAddr:
			ext.PktDst = a
			ext.present |= extPktDst
			return 0, ""
		}
	case opAction:
		switch {
		case string(tok) == "ACCEPT" || bytes.EqualFold(tok, []byte("accept")):
			out.Action = Accept
		case string(tok) == "REJECT" || bytes.EqualFold(tok, []byte("reject")):
			out.Action = Reject
		default:
			return ReasonAction, "want ACCEPT or REJECT"
		}
	case opLogStatus:
		switch {
		case string(tok) == "OK" || bytes.EqualFold(tok, []byte("ok")):
			out.Status = StatusOK
		case bytes.EqualFold(tok, []byte("NODATA")):
			out.Status = StatusNoData
		case bytes.EqualFold(tok, []byte("SKIPDATA")):
			out.Status = StatusSkipData
		default:
			return ReasonLogStatus, "want OK, NODATA or SKIPDATA"
		}
	case opDirection:
		switch {
		case bytes.EqualFold(tok, []byte("ingress")):
			out.Direction = Ingress
		case bytes.EqualFold(tok, []byte("egress")):
			out.Direction = Egress
		default:
			return ReasonDirection, "want ingress or egress"
		}
	case opTime:
		v, ok := parseUint(tok)
		if !ok {
			return ReasonNumber, "not a number"
		}
		if v > 1e11 { // milliseconds, as some third-party files carry
			v /= 1000
		}
		if v > math.MaxUint32 {
			return ReasonRange, "above " + strconv.FormatUint(math.MaxUint32, 10)
		}
		if c.field == FStart {
			out.Start = uint32(v)
		} else {
			out.End = uint32(v)
		}
	case opPort:
		v, ok := parseUint(tok)
		if !ok {
			return ReasonNumber, "not a number"
		}
		if v > math.MaxUint16 {
			return ReasonRange, "above 65535"
		}
		if c.field == FSrcPort {
			out.SrcPort = uint16(v)
		} else {
			out.DstPort = uint16(v)
		}
	case opCount:
		v, ok := parseUint(tok)
		if !ok {
			return ReasonNumber, "not a number"
		}
		if c.field == FPackets {
			out.Packets = v
		} else {
			out.Bytes = v
		}
	case opSmall:
		v, ok := parseUint(tok)
		if !ok {
			return ReasonNumber, "not a number"
		}
		if v > math.MaxUint8 {
			return ReasonRange, "above 255"
		}
		switch c.field {
		case FVersion:
			out.Version = uint8(v)
		case FProtocol:
			out.Protocol = uint8(v)
		case FTCPFlags:
			out.TCPFlags = uint8(v)
		case FTrafficPath:
			ext.Path = uint8(v)
			ext.present |= extPath
			return 0, ""
		case FEncryptionStatus:
			ext.Encrypt = uint8(v)
			ext.present |= extEncrypt
			return 0, ""
		}
	}
	out.set(c.field)
	return 0, ""
}

// text returns a column's value as a string, reusing the last one when it repeats, so
// that only new values allocate.
func (p *Parser) text(col int, tok []byte) string {
	if string(tok) == p.lastText[col] {
		return p.lastText[col]
	}
	s := string(tok)
	p.lastText[col], p.lastSym[col] = s, 0
	return s
}

// intern remembers the last value of each column: account and interface IDs repeat from
// line to line, and comparing against the last one is cheaper than hashing.
func (p *Parser) intern(col int, tok []byte) Sym {
	if string(tok) == p.lastText[col] && p.lastSym[col] != 0 {
		return p.lastSym[col]
	}
	sym, text := p.cache.intern(tok)
	p.lastText[col], p.lastSym[col] = text, sym
	return sym
}

// Reject counts a line that the reader could not hand over whole (too long, cut off by
// the end of a truncated file).
func (p *Parser) Reject(reason Reason, detail string, text []byte) {
	p.line++
	p.stats.Lines++
	p.malformed(text, reason, detail)
}

func (p *Parser) malformed(line []byte, reason Reason, detail string) LineKind {
	p.stats.Malformed++
	p.stats.ByReason[reason]++
	if len(p.stats.Samples) < MaxSamples {
		p.stats.Samples = append(p.stats.Samples, Malformed{
			Source: p.source, Line: p.line, Reason: reason, Detail: detail,
			Text: string(truncate(line, maxSampleText)),
		})
	}
	return LineMalformed
}

// truncate shortens b to at most n bytes of printable text: control bytes become '?',
// invalid UTF-8 is replaced, and a cut is marked with an ellipsis.
func truncate(b []byte, n int) []byte {
	b = bytes.TrimRight(b, "\r\n")
	cut := len(b) > n
	if cut {
		b = b[:n]
	}
	out := make([]byte, 0, len(b)+3)
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		switch {
		case r == utf8.RuneError && size <= 1:
			out = append(out, '?')
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			out = append(out, '?')
		default:
			out = append(out, b[:size]...)
		}
		b = b[size:]
	}
	if cut {
		out = append(out, "…"...)
	}
	return out
}

func (p *Parser) newExt(f *Format) *Ext {
	if len(p.extSlab) == 0 {
		p.extSlab = make([]Ext, 256)
	}
	e := &p.extSlab[0]
	p.extSlab = p.extSlab[1:]
	if f.needsTexts {
		if len(p.textsSlab) == 0 {
			p.textsSlab = make([]ExtTexts, 64)
		}
		e.Texts = &p.textsSlab[0]
		p.textsSlab = p.textsSlab[1:]
		if n := len(f.Fields) - countKnown(f); n > 0 {
			if len(p.customSlab) < n {
				p.customSlab = make([]string, max(1024, n))
			}
			e.Texts.Custom = p.customSlab[:n:n]
			p.customSlab = p.customSlab[n:]
		}
	}
	return e
}

func countKnown(f *Format) int {
	n := 0
	for _, x := range f.Fields {
		if x.Known() {
			n++
		}
	}
	return n
}

// parseUint reads a decimal number without allocating; false on anything else or on
// overflow of 64 bits.
func parseUint(b []byte) (uint64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	var v uint64
	for i, c := range b {
		d := c - '0'
		if d > 9 {
			return 0, false
		}
		// Only a twentieth digit can overflow; a division per digit was the costliest
		// part of reading numbers.
		if i == 19 && v > (math.MaxUint64-uint64(d))/10 {
			return 0, false
		}
		v = v*10 + uint64(d)
	}
	return v, true
}

// parseAddr reads an IPv4 address by hand (the common case, and netip would need a
// string) and leaves IPv6 to netip.
func parseAddr(b []byte) (addr16, bool) {
	if a, ok := parseIPv4(b); ok {
		return a, true
	}
	if bytes.IndexByte(b, ':') < 0 || bytes.IndexByte(b, '%') >= 0 {
		return addr16{}, false
	}
	// The string does not outlive the call: ParseAddr keeps nothing of it for an address
	// without a zone, and its error is discarded.
	a, err := netip.ParseAddr(unsafe.String(unsafe.SliceData(b), len(b)))
	if err != nil {
		return addr16{}, false
	}
	return packAddr(a), true
}

func parseIPv4(b []byte) (addr16, bool) {
	var out addr16
	out[10], out[11] = 0xff, 0xff
	part, digits, octet := 0, 0, 0
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9':
			if digits > 0 && octet == 0 { // leading zero: netip refuses it, and so do we
				return out, false
			}
			octet = octet*10 + int(c-'0')
			digits++
			if octet > 255 {
				return out, false
			}
		case c == '.':
			if digits == 0 || part == 3 {
				return out, false
			}
			out[12+part] = byte(octet)
			part++
			digits, octet = 0, 0
		default:
			return out, false
		}
	}
	if part != 3 || digits == 0 {
		return out, false
	}
	out[15] = byte(octet)
	return out, true
}
