package pairs

import (
	"bufio"
	"cmp"
	"encoding/csv"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/flowlens/flowlens/model/output"
	"github.com/flowlens/flowlens/model/rules"
)

// Row is a pair with its judgement, as the writers take it.
type Row struct {
	Pair      *Pair
	Judgement Judgement
}

// orderKey is what rows are sorted by: verdict severity, then interface, protocol and
// endpoints, so that output is the same on every run. The interface's text is looked up
// once per row, not once per comparison.
type orderKey struct {
	sev       int
	ifc       string
	proto     uint8
	ini, resp netip.AddrPort
}

func keyOf(p *Pair, j *Judgement) orderKey {
	return orderKey{Severity(j.Verdict), p.Key.Interface.String(), p.Key.Protocol, j.InitiatorAP, j.ResponderAP}
}

func compareKeys(x, y orderKey) int {
	if c := cmp.Compare(x.sev, y.sev); c != 0 {
		return c
	}
	if c := cmp.Compare(x.ifc, y.ifc); c != 0 {
		return c
	}
	if c := cmp.Compare(x.proto, y.proto); c != 0 {
		return c
	}
	if c := x.ini.Compare(y.ini); c != 0 {
		return c
	}
	return x.resp.Compare(y.resp)
}

// SortRows orders rows by verdict severity (Verdicts), then by interface, protocol and
// endpoints. The order is total (a pair is one interface, protocol and two ends), so an
// unstable sort gives the same output every run.
func SortRows(rows []Row) {
	keys := make([]orderKey, len(rows))
	idx := make([]int, len(rows))
	for i := range rows {
		keys[i], idx[i] = keyOf(rows[i].Pair, &rows[i].Judgement), i
	}
	slices.SortFunc(idx, func(a, b int) int { return compareKeys(keys[a], keys[b]) })
	sorted := make([]Row, len(rows))
	for i, j := range idx {
		sorted[i] = rows[j]
	}
	copy(rows, sorted)
}

// Ordered classifies every pair (the verdict without its sentences), keeps those match
// accepts (all when match is nil) and returns them in output order. A command then
// judges each in turn and forgets the judgement once written, so memory holds the index
// and not a judgement per pair. The judgement match is given carries the JointVerdict
// of the pair and its peer (with rs), for the filter's joint-verdict term.
func (ix *Index) Ordered(rs *rules.Set, match func(*Pair, *Judgement) bool) []*Pair {
	type entry struct {
		p   *Pair
		key orderKey
	}
	var entries []entry
	all := ix.All()
	var joint []Verdict
	if match != nil {
		// Before any judgement is forgotten: linking classifies the other ends.
		joint = make([]Verdict, len(all))
		for i, p := range all {
			joint[i] = ix.JointVerdict(p, rs)
		}
	}
	for i, p := range all {
		c := ix.Classify(p, rs)
		ix.Forget(p) // the key is all that is kept; a cached judgement per pair is not
		if match != nil {
			c.JointVerdict = joint[i]
			if !match(p, &c) {
				continue
			}
		}
		entries = append(entries, entry{p, keyOf(p, &c)})
	}
	slices.SortFunc(entries, func(a, b entry) int { return compareKeys(a.key, b.key) })
	out := make([]*Pair, len(entries))
	for i, e := range entries {
		out[i] = e.p
	}
	return out
}

// Forget drops the judgement cached in a pair; the next Judge computes it again.
func (ix *Index) Forget(p *Pair) {
	if p.extra != nil {
		p.extra.cache = nil
		p.tidy()
	}
}

// Writer writes judged pairs; Flush must be called at the end.
type Writer interface {
	Write(p *Pair, j *Judgement) error
	Flush() error
}

// NewWriter returns a writer of an output kind: "text" (an aligned table, sorted by
// severity when flushed), "jsonl" (DESIGN.md's schema, one object a line) or "csv"
// (with a header row).
func NewWriter(kind string, w io.Writer) (Writer, error) {
	bw := bufio.NewWriterSize(w, 256<<10)
	switch kind {
	case "text", "":
		return &textWriter{w: bw}, nil
	case "jsonl", "json":
		return &jsonWriter{w: bw}, nil
	case "csv":
		return &csvWriter{w: bw, c: csv.NewWriter(bw)}, nil
	}
	return nil, fmt.Errorf("unknown output %q: want text, jsonl or csv", kind)
}

type jsonWriter struct {
	w     *bufio.Writer
	buf   []byte
	names *namer // NewNamedWriter: the name keys are added
}

func (j *jsonWriter) Write(p *Pair, jd *Judgement) error { return j.WriteLinked(p, jd, nil) }

// WriteLinked writes a pair with its link (nil: no peer); the link keys are written by
// a named writer only.
func (j *jsonWriter) WriteLinked(p *Pair, jd *Judgement, l *Link) error {
	j.buf = AppendJSON(j.buf[:0], p, jd)
	if j.names != nil {
		j.buf = j.names.appendJSON(j.buf, p, jd)
		lr := linkRowFrom(l)
		j.buf = j.names.appendLinkJSON(j.buf, jd.Verdict, &lr)
	}
	j.buf = append(j.buf, '\n')
	_, err := j.w.Write(j.buf)
	return err
}

func (j *jsonWriter) Flush() error { return j.w.Flush() }

// AppendJSON writes a judged pair as one JSON object, with the keys DESIGN.md fixes:
// interface-id, protocol, initiator, responder, request, response, verdict, blocked,
// rule, explanation. Absent values are null.
func AppendJSON(b []byte, p *Pair, j *Judgement) []byte {
	b = append(b, `{"interface-id":`...)
	b = appendNullable(b, p.Key.Interface.String())
	b = append(b, `,"protocol":`...)
	b = strconv.AppendUint(b, uint64(p.Key.Protocol), 10)
	b = append(b, `,"initiator":`...)
	b = appendAddrPort(b, j.InitiatorAP)
	b = append(b, `,"responder":`...)
	b = appendAddrPort(b, j.ResponderAP)
	b = append(b, `,"request":`...)
	b = appendDir(b, j.Request)
	b = append(b, `,"response":`...)
	b = appendDir(b, j.Response)
	b = append(b, `,"verdict":`...)
	b = appendJSONString(b, string(j.Verdict))
	b = append(b, `,"blocked":`...)
	b = appendNullable(b, j.Blocked)
	b = append(b, `,"rule":`...)
	b = appendNullable(b, j.Rule)
	b = append(b, `,"explanation":`...)
	b = appendJSONString(b, j.Explanation)
	return append(b, '}')
}

func appendDir(b []byte, d *Dir) []byte {
	if d == nil {
		return append(b, "null"...)
	}
	b = append(b, `{"action":`...)
	b = appendNullable(b, d.Action())
	b = append(b, `,"records":`...)
	b = strconv.AppendInt(b, int64(d.Records), 10)
	b = append(b, `,"packets":`...)
	b = strconv.AppendUint(b, d.Packets, 10)
	b = append(b, `,"bytes":`...)
	b = strconv.AppendUint(b, d.Bytes, 10)
	b = append(b, `,"first":`...)
	b = appendTime(b, d.First)
	b = append(b, `,"last":`...)
	b = appendTime(b, d.Last)
	return append(b, '}')
}

func appendTime(b []byte, t uint32) []byte {
	if t == 0 {
		return append(b, "null"...)
	}
	return strconv.AppendUint(b, uint64(t), 10)
}

func appendNullable(b []byte, s string) []byte {
	if s == "" {
		return append(b, "null"...)
	}
	return appendJSONString(b, s)
}

// appendJSONString writes s as a JSON string. strconv.AppendQuote would write Go
// escapes (\x00) that JSON lacks, and interface ids come from the records, which may
// hold anything; invalid UTF-8 becomes U+FFFD. Runs of plain text are copied whole.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != 0x7f {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = utf8.AppendRune(b, utf8.RuneError)
			start = i + size
		case r == 0x2028 || r == 0x2029:
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', hex[r>>12&0xf], hex[r>>8&0xf], hex[r>>4&0xf], hex[r&0xf])
			start = i + size
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// appendAddrPort writes an endpoint as a JSON string: its text needs no escaping.
func appendAddrPort(b []byte, ap netip.AddrPort) []byte {
	b = append(b, '"')
	b = ap.AppendTo(b)
	return append(b, '"')
}

// CSVHeader is the header row of the csv output.
var CSVHeader = []string{"interface-id", "protocol", "initiator", "responder",
	"request-action", "request-records", "request-packets", "request-bytes", "request-first", "request-last",
	"response-action", "response-records", "response-packets", "response-bytes", "response-first", "response-last",
	"verdict", "blocked", "rule", "explanation"}

type csvWriter struct {
	w      *bufio.Writer
	c      *csv.Writer
	header bool
	names  *namer // NewNamedWriter: NameColumns are appended
}

// writeHeader writes the header row, with the name columns when names are written.
func (c *csvWriter) writeHeader() error {
	c.header = true
	if c.names != nil {
		return c.c.Write(append(append(append([]string{}, CSVHeader...), NameColumns...), LinkColumns...))
	}
	return c.c.Write(CSVHeader)
}

func (c *csvWriter) Write(p *Pair, j *Judgement) error { return c.WriteLinked(p, j, nil) }

// WriteLinked writes a pair with its link (nil: no peer); the link columns are written
// by a named writer only.
func (c *csvWriter) WriteLinked(p *Pair, j *Judgement, l *Link) error {
	if !c.header {
		if err := c.writeHeader(); err != nil {
			return err
		}
	}
	row := []string{p.Key.Interface.String(), strconv.Itoa(int(p.Key.Protocol)), j.InitiatorAP.String(), j.ResponderAP.String()}
	row = append(row, csvDir(j.Request)...)
	row = append(row, csvDir(j.Response)...)
	row = append(row, string(j.Verdict), j.Blocked, j.Rule, j.Explanation)
	if c.names != nil {
		names := c.names.names(p, j)
		row = append(row, names[:]...)
		lr := linkRowFrom(l)
		row = c.names.appendLinkCells(row, j.Verdict, &lr)
	}
	for i := range row {
		row[i] = output.Sanitize(row[i])
	}
	return c.c.Write(row)
}

func csvDir(d *Dir) []string {
	if d == nil {
		return make([]string, 6)
	}
	t := func(v uint32) string {
		if v == 0 {
			return ""
		}
		return strconv.FormatUint(uint64(v), 10)
	}
	return []string{d.Action(), strconv.Itoa(int(d.Records)), strconv.FormatUint(d.Packets, 10), strconv.FormatUint(d.Bytes, 10), t(d.First), t(d.Last)}
}

func (c *csvWriter) Flush() error {
	if !c.header {
		if err := c.writeHeader(); err != nil {
			return err
		}
	}
	c.c.Flush()
	if err := c.c.Error(); err != nil {
		return err
	}
	return c.w.Flush()
}

// textWriter collects the rows and writes them at Flush, sorted by severity and
// aligned: a table of pairs is read whole, so it need not stream.
// textWriter keeps each row's cells (the columns are aligned over all rows) and its
// sort key, not the judgement.
type textWriter struct {
	w     *bufio.Writer
	rows  []textRow
	names *namer // NewNamedWriter: names beside the interface and the ends
}

type textRow struct {
	key   orderKey
	cells []string
}

func (t *textWriter) Write(p *Pair, j *Judgement) error { return t.WriteLinked(p, j, nil) }

// WriteLinked writes a pair with its link (nil: no peer): a named writer adds what the
// two ends say together to the explanation when it differs from this end's verdict.
func (t *textWriter) WriteLinked(p *Pair, j *Judgement, l *Link) error {
	cells := TextCells(p, j)
	if t.names != nil {
		names := t.names.names(p, j)
		cells[1], cells[3], cells[4] = nameCell(cells[1], names[0]), nameCell(cells[3], names[1]), nameCell(cells[4], names[2])
		lr := linkRowFrom(l)
		if note := jointNote(j, &lr); note != "" {
			cells[7] += output.Sanitize(note)
		}
	}
	t.rows = append(t.rows, textRow{keyOf(p, j), cells})
	return nil
}

// TextColumns are the titles of the text table.
var TextColumns = []string{"VERDICT", "INTERFACE", "PROTO", "INITIATOR", "RESPONDER", "REQUEST", "RESPONSE", "EXPLANATION"}

// TextCells returns a row of the text table: the verdict, the interface, the protocol,
// the two ends (the initiator marked "?" when the direction is unknown), each
// direction's action and packets, and the explanation.
func TextCells(p *Pair, j *Judgement) []string {
	proto := protoName(p.Key.Protocol)
	ini := endpointText(p.Key.Protocol, j.InitiatorAP)
	if j.Initiator == SideUnknown {
		ini = "? " + ini
	}
	ifc := p.Key.Interface.String()
	if ifc == "" {
		ifc = "-"
	}
	return []string{string(j.Verdict), output.Sanitize(ifc), proto, ini, endpointText(p.Key.Protocol, j.ResponderAP),
		dirCell(j.Request), dirCell(j.Response), output.Sanitize(j.Explanation)}
}

func dirCell(d *Dir) string {
	if d == nil {
		return "-"
	}
	a := d.Action()
	if a == "" {
		a = "?"
	}
	return a + " " + strconv.FormatUint(d.Packets, 10) + "p"
}

func (t *textWriter) Flush() error {
	slices.SortFunc(t.rows, func(a, b textRow) int { return compareKeys(a.key, b.key) })
	cells := make([][]string, 0, len(t.rows)+1)
	cells = append(cells, TextColumns)
	for i := range t.rows {
		cells = append(cells, t.rows[i].cells)
	}
	width := make([]int, len(TextColumns))
	for _, row := range cells {
		for i, c := range row[:len(row)-1] {
			width[i] = max(width[i], output.Width(c))
		}
	}
	for _, row := range cells {
		var b strings.Builder
		for i, c := range row {
			b.WriteString(c)
			if i < len(row)-1 {
				b.WriteString(strings.Repeat(" ", width[i]-output.Width(c)+2))
			}
		}
		b.WriteByte('\n')
		if _, err := t.w.WriteString(b.String()); err != nil {
			return err
		}
	}
	t.rows = nil
	return t.w.Flush()
}
