// Package output writes records for people and scripts: an aligned, decoded text table,
// JSON Lines keyed by the AWS field names, or CSV with a header row. `flowlens print` and
// the explorer's export use the same writers, so a script sees what the screen shows.
package output

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/rivo/uniseg"

	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/decode"
)

// Writer writes records one at a time; Flush must be called at the end.
type Writer interface {
	Write(r *model.Flow) error
	Flush() error
}

// Kinds lists the output kinds, for flags and completion.
var Kinds = []string{"text", "jsonl", "csv"}

// New returns a writer of the given kind ("text", "jsonl" or "csv").
func New(kind string, w io.Writer) (Writer, error) {
	bw := bufio.NewWriterSize(w, 256<<10)
	switch kind {
	case "text", "":
		return &textWriter{w: bw}, nil
	case "jsonl", "json":
		return &jsonWriter{w: bw}, nil
	case "csv":
		return &csvWriter{w: bw}, nil
	}
	return nil, fmt.Errorf("unknown output %q: want text, jsonl or csv", kind)
}

// textWriter writes a fixed-width table, so it can stream without seeing every record
// first; long IPv6 addresses widen their own row only.
type textWriter struct {
	w      *bufio.Writer
	header bool
	buf    []byte
}

// TextHeader is the title row of the text table.
const TextHeader = "START                INTERFACE               SOURCE                   DESTINATION              PROTO  SERVICE     ACTION   PACKETS      BYTES  FLAGS       DIR"

func (t *textWriter) Write(r *model.Flow) error {
	if !t.header {
		t.header = true
		t.w.WriteString(TextHeader)
		t.w.WriteByte('\n')
	}
	t.buf = AppendTextRow(t.buf[:0], r)
	t.buf = append(t.buf, '\n')
	_, err := t.w.Write(t.buf)
	return err
}

func (t *textWriter) Flush() error { return t.w.Flush() }

// AppendTextRow writes one record as a row of the text table, without a newline.
func AppendTextRow(b []byte, r *model.Flow) []byte {
	b = pad(AppendTime(b, r.Start, r.Has(model.FStart)), len(b), 21)
	start := len(b)
	b = append(b, r.Interface.String()...) // clean: the parser cleans text fields
	if !r.Has(model.FInterfaceID) {
		b = append(b, '-')
	}
	// Padded by cells, not bytes: a damaged ID holds U+FFFD (three bytes, one cell), a
	// hostile one characters two cells wide.
	extra := len(b) - start - Width(string(b[start:]))
	b = pad(b, start+extra, 24)
	if !r.IsData() {
		b = append(b, r.Status.String()...)
		b = append(b, ": "...)
		return append(b, decode.LogStatusMeaning(r.Status.String())...)
	}
	start = len(b)
	b = AppendEndpoint(b, r, model.FSrcAddr, model.FSrcPort)
	b = pad(b, start, 25)
	start = len(b)
	b = AppendEndpoint(b, r, model.FDstAddr, model.FDstPort)
	b = pad(b, start, 25)
	start = len(b)
	if r.Has(model.FProtocol) {
		b = append(b, decode.ProtocolLabel(r.Protocol)...)
	} else {
		b = append(b, '-')
	}
	b = pad(b, start, 7)
	start = len(b)
	b = append(b, ServiceOf(r)...)
	b = pad(b, start, 12)
	start = len(b)
	b = append(b, r.Action.String()...)
	b = pad(b, start, 7)
	b = padLeft(b, r.Packets, r.Has(model.FPackets), 9, false)
	b = padLeft(b, r.Bytes, r.Has(model.FBytes), 11, true)
	b = append(b, "  "...)
	start = len(b)
	if r.Has(model.FTCPFlags) {
		b = decode.AppendTCPFlags(b, r.TCPFlags)
	} else {
		b = append(b, '-')
	}
	b = pad(b, start, 12) // SYN-ACK+FIN is 11
	if r.Has(model.FFlowDirection) {
		b = append(b, r.Direction.String()...)
	}
	return trimRight(b)
}

// ServiceOf names the service of the record's server-looking port, e.g. "ssh" for a
// flow to or from port 22; "" when neither port is well known.
func ServiceOf(r *model.Flow) string {
	if !r.Has(model.FProtocol) {
		return ""
	}
	sp, dp := r.SrcPort, r.DstPort
	if decode.ServicePortRank(r.Protocol, sp) < decode.ServicePortRank(r.Protocol, dp) {
		dp = sp
	}
	s, _ := decode.Service(r.Protocol, dp)
	return s
}

// AppendEndpoint writes addr:port (IPv6 as [addr]:port), or "-".
func AppendEndpoint(b []byte, r *model.Flow, addr, port model.Field) []byte {
	a, ok := r.Addr(addr)
	if !ok {
		return append(b, '-')
	}
	if a.Is6() {
		b = append(b, '[')
		b = a.AppendTo(b)
		b = append(b, ']')
	} else {
		b = r.AppendValue(b, addr)
	}
	if p, ok := r.Uint(port); ok {
		b = append(b, ':')
		b = strconv.AppendUint(b, p, 10)
	}
	return b
}

// AppendTime writes Unix seconds as a UTC time, "-" when absent.
func AppendTime(b []byte, sec uint32, ok bool) []byte {
	if !ok {
		return append(b, '-')
	}
	return time.Unix(int64(sec), 0).UTC().AppendFormat(b, "2006-01-02 15:04:05")
}

// HumanBytes writes a byte count in binary units: 4.1 KiB, 12 MiB.
func HumanBytes(b []byte, n uint64) []byte {
	if n < 1024 {
		b = strconv.AppendUint(b, n, 10)
		return append(b, " B"...)
	}
	units := "KMGTPE"
	v := float64(n) / 1024
	i := 0
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	if v < 10 {
		b = strconv.AppendFloat(b, v, 'f', 1, 64)
	} else {
		b = strconv.AppendFloat(b, v, 'f', 0, 64)
	}
	b = append(b, ' ', units[i], 'i', 'B')
	return b
}

func pad(b []byte, start, width int) []byte {
	n := len(b) - start
	if n >= width {
		return append(b, ' ')
	}
	for ; n < width; n++ {
		b = append(b, ' ')
	}
	return b
}

func padLeft(b []byte, v uint64, ok bool, width int, human bool) []byte {
	var tmp [32]byte
	s := tmp[:0]
	switch {
	case !ok:
		s = append(s, '-')
	case human:
		s = HumanBytes(s, v)
	default:
		s = strconv.AppendUint(s, v, 10)
	}
	for i := len(s); i < width; i++ {
		b = append(b, ' ')
	}
	return append(b, s...)
}

func trimRight(b []byte) []byte {
	for len(b) > 0 && b[len(b)-1] == ' ' {
		b = b[:len(b)-1]
	}
	return b
}

// Sanitize makes untrusted text safe for a terminal: it is model.CleanText, for the
// commands that print what the sources and the parser have not seen (file names from
// the command line, messages of the operating system).
func Sanitize(s string) string { return model.CleanText(s) }

// Width is the number of terminal cells s takes: what text columns are padded by, so
// that they stay in line whatever characters the records bring.
func Width(s string) int { return uniseg.StringWidth(s) }

// Thousands writes 1234567 as 1,234,567: counts on the status bar and in summaries.
func Thousands(n int64) string {
	if n < 0 {
		return "-" + Thousands(-n)
	}
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
