// Package parquetlog reads the VPC flow log files AWS writes as Parquet
// (*.log.parquet) and hands their records on as the text of an S3 flow log file: a
// header line naming the file's columns, then one line per row. The text goes through
// the same splitter and parser as every other input, so a Parquet record becomes exactly
// the model.Flow the same values give as text, with the same rules for `-`, unknown
// columns and bad values.
//
// Columns are taken by name from the file's own schema (`account_id` is account-id),
// in the file's order, never by position in a fixed list; integers are accepted in
// either width AWS writes (INT32 where its Athena DDL says bigint, INT64), signed or
// unsigned; strings are BYTE_ARRAY. Reading needs random access (io.ReaderAt), as the
// Parquet footer comes last: from S3 that is a ranged reader over the object.
package parquetlog

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"

	"github.com/flowlens/flowlens/model"
)

// Magic is how a Parquet file starts (and ends).
var Magic = []byte("PAR1")

// Reader renders a Parquet flow log file as text lines. It reads one row group at a
// time, a batch of rows at a time, so its memory does not grow with the file.
type Reader struct {
	file   *parquet.File
	format *model.Format
	cols   []column

	group  int
	rows   parquet.Rows
	batch  []parquet.Row
	byCol  []parquet.Value
	out    []byte // rendered text not yet handed out
	off    int
	err    error
	header bool
}

// column is how one leaf column is written as a token.
type column struct {
	name     string
	kind     parquet.Kind
	unsigned bool
}

// batchRows is how many rows are rendered at once: a few hundred kilobytes of text.
const batchRows = 1024

// NewReader opens the Parquet file r of size bytes and checks that its schema can be
// read as flow log columns (flat, one column per field).
func NewReader(r io.ReaderAt, size int64) (rd *Reader, err error) {
	defer recoverAs(&err)
	f, err := parquet.OpenFile(r, size, parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true),
		parquet.ReadBufferSize(64<<10))
	if err != nil {
		return nil, fmt.Errorf("not a readable Parquet file: %w", err)
	}
	rd = &Reader{file: f}
	var names []string
	for _, field := range f.Schema().Fields() {
		if !field.Leaf() || field.Repeated() {
			return nil, fmt.Errorf("column %q is nested or repeated: not a flow log schema", field.Name())
		}
		c := column{name: columnName(field.Name()), kind: field.Type().Kind()}
		if lt := field.Type().LogicalType(); lt != nil {
			if it, ok := lt.Value.(*format.IntType); ok && !it.IsSigned {
				c.unsigned = true
			}
		}
		rd.cols = append(rd.cols, c)
		names = append(names, "${"+c.name+"}")
	}
	if len(names) == 0 {
		return nil, errors.New("the Parquet file has no columns")
	}
	if rd.format, err = model.ParseFormat(strings.Join(names, " ")); err != nil {
		return nil, fmt.Errorf("the Parquet columns are not a flow log format: %w", err)
	}
	return rd, nil
}

// Format is the record format the file's columns make.
func (r *Reader) Format() *model.Format { return r.format }

// NumRows is the number of records in the file.
func (r *Reader) NumRows() int64 { return r.file.NumRows() }

// columnName turns a Parquet column name into a flow log field name: lower case, `-`
// for `_` (account_id is account-id), and any other character a field name cannot have
// replaced, so that an odd column is kept as a text column instead of failing the file.
func columnName(name string) string {
	b := []byte(strings.ToLower(name))
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			b[i] = '-'
		}
	}
	s := string(b)
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		s = "c-" + s
	}
	return s
}

// Read hands out the text: the header line first, then the records.
func (r *Reader) Read(p []byte) (int, error) {
	for r.off == len(r.out) {
		if r.err != nil {
			return 0, r.err
		}
		r.out, r.off = r.out[:0], 0
		r.fill()
	}
	n := copy(p, r.out[r.off:])
	r.off += n
	return n, nil
}

// recoverAs turns a panic of the Parquet library on a damaged file into an error, so
// that one bad file is reported like any other and the others are still read.
func recoverAs(err *error) {
	if v := recover(); v != nil {
		*err = fmt.Errorf("damaged Parquet file: %v", v)
	}
}

// closeRows closes the row group being read; after a panic its state is unknown, so a
// second one is swallowed.
func (r *Reader) closeRows() error {
	defer func() { _ = recover() }()
	if r.rows == nil {
		return nil
	}
	rows := r.rows
	r.rows = nil
	return rows.Close()
}

// fill renders the next batch of rows into out, or sets err at the end.
func (r *Reader) fill() {
	defer func() {
		if v := recover(); v != nil {
			r.err = fmt.Errorf("damaged Parquet file: %v", v)
			r.closeRows()
		}
	}()
	if !r.header {
		r.header = true
		r.out = append(r.out, r.format.Spec()...)
		r.out = append(r.out, '\n')
		return
	}
	for r.rows == nil {
		groups := r.file.RowGroups()
		if r.group == len(groups) {
			r.err = io.EOF
			return
		}
		r.rows = groups[r.group].Rows()
		r.group++
	}
	if r.batch == nil {
		r.batch = make([]parquet.Row, batchRows)
	}
	n, err := r.rows.ReadRows(r.batch)
	for _, row := range r.batch[:n] {
		r.out = r.appendRow(r.out, row)
	}
	switch {
	case err == io.EOF:
		r.closeRows()
	case err != nil:
		r.closeRows()
		r.err = fmt.Errorf("reading Parquet row group %d: %w", r.group, err)
	}
}

// appendRow writes one row as a line, each value as the text format would have it.
func (r *Reader) appendRow(dst []byte, row parquet.Row) []byte {
	// A flat row holds one value per column, in column order; a column without a value
	// (the zero Value is null) is written `-`.
	if cap(r.byCol) < len(r.cols) {
		r.byCol = make([]parquet.Value, len(r.cols))
	}
	byCol := r.byCol[:len(r.cols)]
	clear(byCol)
	for _, v := range row {
		if c := v.Column(); c >= 0 && c < len(byCol) {
			byCol[c] = v
		}
	}
	for i, v := range byCol {
		if i > 0 {
			dst = append(dst, ' ')
		}
		dst = r.cols[i].appendValue(dst, v)
	}
	return append(dst, '\n')
}

// appendValue writes a value the way a text flow log would: `-` for null or empty, the
// decimal of an integer of either width, a string with any white space or control byte
// replaced (a space inside a value would split it into two fields).
func (c *column) appendValue(dst []byte, v parquet.Value) []byte {
	if v.IsNull() {
		return append(dst, '-')
	}
	switch v.Kind() {
	case parquet.Int32:
		if c.unsigned {
			return strconv.AppendUint(dst, uint64(uint32(v.Int32())), 10)
		}
		return strconv.AppendInt(dst, int64(v.Int32()), 10)
	case parquet.Int64:
		if c.unsigned {
			return strconv.AppendUint(dst, uint64(v.Int64()), 10)
		}
		return strconv.AppendInt(dst, v.Int64(), 10)
	case parquet.Boolean:
		return strconv.AppendBool(dst, v.Boolean())
	case parquet.Float:
		return strconv.AppendFloat(dst, float64(v.Float()), 'g', -1, 32)
	case parquet.Double:
		return strconv.AppendFloat(dst, v.Double(), 'g', -1, 64)
	case parquet.ByteArray, parquet.FixedLenByteArray:
		b := v.ByteArray()
		if len(b) == 0 {
			return append(dst, '-')
		}
		start := len(dst)
		dst = append(dst, b...)
		for i := start; i < len(dst); i++ {
			if c := dst[i]; c <= ' ' || c == 0x7f {
				dst[i] = '_'
			}
		}
		return dst
	}
	s := v.String()
	if s == "" {
		return append(dst, '-')
	}
	return append(dst, bytes.ReplaceAll([]byte(s), []byte(" "), []byte("_"))...)
}

// Close releases the row group being read.
func (r *Reader) Close() error { return r.closeRows() }
