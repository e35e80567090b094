package output

import (
	"bufio"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/decode"
)

// jsonWriter writes one object per record. Keys are the AWS field names of the record's
// format, in its order; numbers are JSON numbers and `-` is null, as DESIGN.md fixes it.
// Decoded values go under "decoded", a key no AWS field has, so they can never shadow
// one. It is written by hand: encoding/json through a map was ten times slower.
type jsonWriter struct {
	w   *bufio.Writer
	buf []byte
}

func (j *jsonWriter) Write(r *model.Flow) error {
	j.buf = AppendJSON(j.buf[:0], r)
	j.buf = append(j.buf, '\n')
	_, err := j.w.Write(j.buf)
	return err
}

func (j *jsonWriter) Flush() error { return j.w.Flush() }

// AppendJSON writes one record as a JSON object.
func AppendJSON(b []byte, r *model.Flow) []byte {
	f := r.FormatOf()
	b = append(b, '{')
	for i, fld := range f.Fields {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, f.Names[i])
		b = append(b, ':')
		switch {
		case !r.Has(fld):
			b = append(b, "null"...)
		case fld.Numeric():
			v, _ := r.Uint(fld)
			b = strconv.AppendUint(b, v, 10)
		default:
			b = appendJSONString(b, r.Value(fld))
		}
	}
	return appendDecoded(b, r, len(f.Fields) > 0)
}

func appendDecoded(b []byte, r *model.Flow, comma bool) []byte {
	if comma {
		b = append(b, ',')
	}
	b = append(b, `"decoded":{`...)
	n := 0
	field := func(key string) {
		if n > 0 {
			b = append(b, ',')
		}
		n++
		b = appendJSONString(b, key)
		b = append(b, ':')
	}
	if r.Has(model.FProtocol) {
		field("protocol")
		b = appendJSONString(b, decode.ProtocolLabel(r.Protocol))
	}
	for _, p := range []model.Field{model.FSrcPort, model.FDstPort} {
		if v, ok := r.Uint(p); ok && r.Has(model.FProtocol) {
			if s, ok := decode.Service(r.Protocol, uint16(v)); ok {
				field(p.Name())
				b = appendJSONString(b, s)
			}
		}
	}
	if r.Has(model.FTCPFlags) {
		field("tcp-flags")
		b = append(b, '[')
		for i, name := range decode.TCPFlagNames(r.TCPFlags) {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, name)
		}
		b = append(b, ']')
	}
	for _, t := range []model.Field{model.FStart, model.FEnd} {
		if v, ok := r.Uint(t); ok {
			field(t.Name())
			b = append(b, '"')
			b = time.Unix(int64(v), 0).UTC().AppendFormat(b, time.RFC3339)
			b = append(b, '"')
		}
	}
	if path, ok := r.TrafficPath(); ok {
		if s, ok := decode.TrafficPath(path); ok {
			field("traffic-path")
			b = appendJSONString(b, s)
		}
	}
	return append(b, '}', '}')
}

const hexDigits = "0123456789abcdef"

// appendJSONString writes s as a JSON string, escaping what JSON requires and replacing
// invalid UTF-8.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, `\ufffd`...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}
