package output

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"sort"

	"github.com/flowlens/flowlens/model"
)

// csvWriter writes a header row of the first record's field names, then one row per
// record with absent values empty. CSV has one header, so a record of another format
// (a header line switched it mid-stream) fills the columns it shares with the first
// format; the columns it has beyond them are reported by Warnings.
type csvWriter struct {
	w        *bufio.Writer
	fallback *model.Format // the header when no record was written
	cw       *csv.Writer
	format   *model.Format
	row      []string
	mapping  map[model.FormatID][]int // for each format, the header column of each of its columns (-1: none)
	dropped  map[string]bool
}

func (c *csvWriter) Write(r *model.Flow) error {
	if c.cw == nil {
		c.start(r.FormatOf())
	}
	return c.write(r)
}

// start writes the header row of format f.
func (c *csvWriter) start(f *model.Format) {
	c.cw = csv.NewWriter(c.w)
	c.format = f
	c.row = make([]string, len(c.format.Names))
	c.mapping = map[model.FormatID][]int{}
	c.dropped = map[string]bool{}
	c.cw.Write(c.format.Names) // an error sticks in cw and comes back from Flush
}

func (c *csvWriter) write(r *model.Flow) error {
	f := r.FormatOf()
	cols, ok := c.mapping[f.ID]
	if !ok {
		cols = ColumnsIn(f, c.format.Names)
		for i, name := range f.Names {
			if cols[i] < 0 {
				c.dropped[name] = true
			}
		}
		c.mapping[f.ID] = cols
	}
	for i := range c.row {
		c.row[i] = ""
	}
	for i, fld := range f.Fields {
		if cols[i] >= 0 && r.Has(fld) {
			c.row[cols[i]] = r.Value(fld)
		}
	}
	return c.cw.Write(c.row)
}

func (c *csvWriter) Flush() error {
	if c.cw == nil && c.fallback != nil {
		c.start(c.fallback) // no record matched: the header row still says what the columns are
	}
	if c.cw != nil {
		c.cw.Flush()
		if err := c.cw.Error(); err != nil {
			return err
		}
	}
	return c.w.Flush()
}

// Warnings reports what a writer could not represent.
func (c *csvWriter) Warnings() []string {
	if len(c.dropped) == 0 {
		return nil
	}
	var names []string
	for n := range c.dropped {
		names = append(names, n)
	}
	sort.Strings(names)
	return []string{fmt.Sprintf("csv: columns %v of a later format are not in the header row and were left out", names)}
}

// Warnings returns what the writer could not represent, if it tracks that.
func Warnings(w Writer) []string {
	if x, ok := w.(interface{ Warnings() []string }); ok {
		return x.Warnings()
	}
	return nil
}

// SetHeaderFormat gives a CSV writer the header to write when no record reaches it; other
// writers ignore it.
func SetHeaderFormat(w Writer, f *model.Format) {
	if c, ok := w.(*csvWriter); ok && f != nil {
		c.fallback = f
	}
}

// ColumnsIn is where each of f's columns stands in header (the columns of the first
// format written), -1 where header lacks it: a record of another format fills the
// columns the two share.
func ColumnsIn(f *model.Format, header []string) []int {
	cols := make([]int, len(f.Names))
	for i, name := range f.Names {
		cols[i] = -1
		for j, h := range header {
			if h == name {
				cols[i] = j
			}
		}
	}
	return cols
}
