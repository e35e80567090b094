package ui

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"io"
	"net/netip"
	"strings"
	"time"

	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/decode"
	"github.com/flowlens/flowlens/model/output"
	"github.com/flowlens/flowlens/model/pairs"
)

// The explorer's own export formats, beside the writers of `flowlens print` and
// `flowlens pairs`: the raw flow-log text a colleague opens with `flowlens FILE`, and
// CSV that a spreadsheet reads without decoding (ISO times and protocol names, added
// after the columns of print's and pairs' CSV, whose order scripts rely on).

// rawWriter writes records as the flow log has them: one line per record in its
// format, `-` for absent values, after an S3-style header line of the format's field
// names; a record of another format is preceded by its own header line, as
// concatenated S3 objects repeat theirs. The parser reads it back to the same records
// (TestRawExportRoundTrip).
type rawWriter struct {
	w      *bufio.Writer
	format *model.Format
	buf    []byte
}

func newRawWriter(w io.Writer) *rawWriter { return &rawWriter{w: bufio.NewWriterSize(w, 256<<10)} }

func (x *rawWriter) Write(r *model.Flow) error {
	if f := r.FormatOf(); f != x.format {
		x.format = f
		x.w.WriteString(strings.Join(f.Names, " "))
		x.w.WriteByte('\n')
	}
	x.buf = r.AppendRecord(x.buf[:0])
	x.buf = append(x.buf, '\n')
	_, err := x.w.Write(x.buf)
	return err
}

func (x *rawWriter) Flush() error { return x.w.Flush() }

// csvTimeColumns are the columns the explorer's CSV export of records adds at the end.
var csvTimeColumns = []string{"start-time", "end-time", "protocol-name"}

// csvExport writes print's CSV (the header of the first record's format; a record of
// another format fills the columns it shares with it) with csvTimeColumns after:
// start and end in RFC 3339, UTC, and the protocol's name.
type csvExport struct {
	w       *bufio.Writer
	cw      *csv.Writer
	format  *model.Format
	mapping map[model.FormatID][]int // each format's columns in the header (-1: none)
	row     []string
}

func newCSVExport(w io.Writer) *csvExport {
	bw := bufio.NewWriterSize(w, 256<<10)
	return &csvExport{w: bw, cw: csv.NewWriter(bw), mapping: map[model.FormatID][]int{}}
}

func (x *csvExport) Write(r *model.Flow) error {
	f := r.FormatOf()
	if x.format == nil {
		x.format = f
		x.row = make([]string, len(f.Names)+len(csvTimeColumns))
		x.cw.Write(append(append([]string{}, f.Names...), csvTimeColumns...))
	}
	cols, ok := x.mapping[f.ID]
	if !ok {
		cols = output.ColumnsIn(f, x.format.Names)
		x.mapping[f.ID] = cols
	}
	clear(x.row)
	for i, fld := range f.Fields {
		if cols[i] >= 0 && r.Has(fld) {
			x.row[cols[i]] = r.Value(fld)
		}
	}
	extra := x.row[len(x.format.Names):]
	extra[0] = isoTime(r.Start, r.Has(model.FStart))
	extra[1] = isoTime(r.End, r.Has(model.FEnd))
	if r.Has(model.FProtocol) {
		extra[2] = decode.ProtocolLabel(r.Protocol)
	}
	return x.cw.Write(x.row)
}

func (x *csvExport) Flush() error {
	x.cw.Flush()
	if err := x.cw.Error(); err != nil {
		return err
	}
	return x.w.Flush()
}

// isoTime writes Unix seconds in RFC 3339, UTC; "" when absent.
func isoTime(sec uint32, ok bool) string {
	if !ok || sec == 0 {
		return ""
	}
	return time.Unix(int64(sec), 0).UTC().Format(time.RFC3339)
}

// pairsCSVTimeColumns are the columns the explorer's CSV export of conversations adds
// after those of `flowlens pairs -o csv` (names and links included).
var pairsCSVTimeColumns = []string{"protocol-name", "request-first-time", "request-last-time", "response-first-time", "response-last-time"}

// pairsCSVExport is `flowlens pairs -o csv`'s writer with pairsCSVTimeColumns after:
// each row is written by the pairs writer, read back and written again with the extra
// cells, so the columns before stay exactly what `pairs` writes.
type pairsCSVExport struct {
	buf    bytes.Buffer
	inner  pairs.LinkedWriter
	out    *bufio.Writer
	cw     *csv.Writer
	header bool
}

func newPairsCSVExport(w io.Writer, n pairs.Namer) *pairsCSVExport {
	x := &pairsCSVExport{out: bufio.NewWriterSize(w, 256<<10)}
	x.cw = csv.NewWriter(x.out)
	x.inner, _ = pairs.NewNamedWriter("csv", &x.buf, n) // "csv" is a kind it writes
	return x
}

func (x *pairsCSVExport) Write(p *pairs.Pair, j *pairs.Judgement) error {
	return x.WriteLinked(p, j, nil)
}

func (x *pairsCSVExport) WriteLinked(p *pairs.Pair, j *pairs.Judgement, l *pairs.Link) error {
	if err := x.inner.WriteLinked(p, j, l); err != nil {
		return err
	}
	if err := x.inner.Flush(); err != nil {
		return err
	}
	extra := []string{decode.ProtocolLabel(p.Key.Protocol), "", "", "", ""}
	if d := j.Request; d != nil && d.Records > 0 {
		extra[1], extra[2] = isoTime(d.First, true), isoTime(d.Last, true)
	}
	if d := j.Response; d != nil && d.Records > 0 {
		extra[3], extra[4] = isoTime(d.First, true), isoTime(d.Last, true)
	}
	return x.copyRows(extra)
}

// copyRows writes what the pairs writer wrote, each row with extra after it (the header
// with the names of the extra columns).
func (x *pairsCSVExport) copyRows(extra []string) error {
	r := csv.NewReader(&x.buf)
	r.FieldsPerRecord = -1
	rows, err := r.ReadAll()
	x.buf.Reset()
	if err != nil {
		return err
	}
	for _, row := range rows {
		if !x.header {
			x.header = true
			row = append(row, pairsCSVTimeColumns...)
		} else {
			row = append(row, extra...)
		}
		if err := x.cw.Write(row); err != nil {
			return err
		}
	}
	return nil
}

func (x *pairsCSVExport) Flush() error {
	if !x.header {
		// No row: the header still says what the columns are.
		if err := x.inner.Flush(); err != nil {
			return err
		}
		if err := x.copyRows(nil); err != nil {
			return err
		}
	}
	x.cw.Flush()
	if err := x.cw.Error(); err != nil {
		return err
	}
	return x.out.Flush()
}

// pairNamer lends the explorer's names to the pairs writers and the joint verdict's
// sentence; nil when the explorer has none.
func (m *Model) pairNamer() pairs.Namer {
	if m.opts.Names == nil {
		return nil
	}
	return namesForPairs{m.opts.Names}
}

// namesForPairs is Names as pairs.Namer wants it: with Service (and Group, for the
// joint verdict's sentence), answered when the lookup has them.
type namesForPairs struct{ Names }

func (n namesForPairs) Service(a netip.Addr) string {
	if sn, ok := n.Names.(serviceNamer); ok {
		return sn.Service(a)
	}
	return ""
}

func (n namesForPairs) Group(id string) string {
	if gn, ok := n.Names.(interface{ Group(string) string }); ok {
		return gn.Group(id)
	}
	return ""
}

var (
	_ output.Writer      = (*rawWriter)(nil)
	_ output.Writer      = (*csvExport)(nil)
	_ pairs.LinkedWriter = (*pairsCSVExport)(nil)
)
