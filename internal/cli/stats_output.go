package cli

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/flowlens/flowlens/model/output"
	"github.com/flowlens/flowlens/model/stats"
)

// statsWriter writes the rows of a stats result as text, JSON Lines or CSV. The rows are
// decoded one at a time from the result (a million groups are never all built at once);
// the text table reads them twice, to align the columns and then to write them.
type statsWriter struct {
	kind string
	w    io.Writer
}

func newStatsWriter(kind string, w io.Writer) (*statsWriter, error) {
	switch kind {
	case "", "text":
		kind = "text"
	case "jsonl", "json":
		kind = "jsonl"
	case "csv":
	default:
		return nil, usagef("unknown --output %q: want text, jsonl or csv", kind)
	}
	return &statsWriter{kind: kind, w: w}, nil
}

func (s *statsWriter) write(res *stats.Result) error {
	out := bufio.NewWriterSize(s.w, 256<<10)
	var err error
	switch s.kind {
	case "jsonl":
		err = writeStatsJSON(out, res)
	case "csv":
		err = writeStatsCSV(out, res)
	default:
		err = writeStatsText(out, res)
	}
	if ferr := out.Flush(); ferr != nil && err == nil {
		err = ferr
	}
	return err
}

// statsHeader names the columns: the bin, the group fields under their AWS names, then
// the metrics.
func statsHeader(res *stats.Result) []string {
	var h []string
	if res.Bin > 0 {
		h = append(h, "bin")
	}
	for _, c := range res.Columns {
		h = append(h, c.Name)
	}
	h = append(h, "flows", "packets", "bytes", "rejects")
	if res.Distinct != nil {
		h = append(h, "distinct")
	}
	return h
}

// binText is a bin's start as RFC 3339 in UTC; empty for the null bin.
func binText(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// writeStatsJSON writes one object per row: the bin (RFC 3339, UTC), the group fields
// (numbers as numbers, addresses and IDs as strings, null where the records lack the
// field), then the metrics, and the marks of a distinct count that is not exact.
func writeStatsJSON(w *bufio.Writer, res *stats.Result) error {
	var b []byte
	for i := 0; i < res.Len(); i++ {
		row := res.Row(i)
		b = append(b[:0], '{')
		if res.Bin > 0 {
			b = append(b, `"bin":`...)
			if row.Bin.IsZero() {
				b = append(b, "null"...)
			} else {
				b = strconv.AppendQuote(b, binText(row.Bin)) // digits, -, :, T and Z only
			}
			b = append(b, ',')
		}
		for j, c := range res.Columns {
			b = appendJSONString(b, c.Name)
			b = append(b, ':')
			v := row.Values[j]
			switch v.Kind {
			case stats.KindNull:
				b = append(b, "null"...)
			case stats.KindNumber:
				b = strconv.AppendUint(b, v.Num, 10)
			default:
				b = appendJSONString(b, v.String())
			}
			b = append(b, ',')
		}
		b = append(b, `"flows":`...)
		b = strconv.AppendUint(b, row.Flows, 10)
		b = append(b, `,"packets":`...)
		b = strconv.AppendUint(b, row.Packets, 10)
		b = append(b, `,"bytes":`...)
		b = strconv.AppendUint(b, row.Bytes, 10)
		b = append(b, `,"rejects":`...)
		b = strconv.AppendUint(b, row.Rejects, 10)
		if res.Distinct != nil {
			b = append(b, `,"distinct":`...)
			b = strconv.AppendUint(b, row.Distinct, 10)
			if row.DistinctPartial {
				b = append(b, `,"distinct-partial":true`...)
			}
			if row.DistinctEstimated {
				b = append(b, `,"distinct-estimated":true`...)
			}
		}
		b = append(b, "}\n"...)
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	return nil
}

// appendJSONString appends s as a JSON string.
func appendJSONString(b []byte, s string) []byte {
	q, _ := json.Marshal(s) // a string always marshals
	return append(b, q...)
}

// writeStatsCSV writes a header row and one row per group; null is an empty cell.
func writeStatsCSV(w *bufio.Writer, res *stats.Result) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(statsHeader(res)); err != nil {
		return err
	}
	rec := make([]string, 0, len(res.Columns)+6)
	for i := 0; i < res.Len(); i++ {
		row := res.Row(i)
		rec = rec[:0]
		if res.Bin > 0 {
			rec = append(rec, binText(row.Bin))
		}
		for _, v := range row.Values {
			if v.IsNull() {
				rec = append(rec, "")
			} else {
				rec = append(rec, v.String())
			}
		}
		rec = append(rec, strconv.FormatUint(row.Flows, 10), strconv.FormatUint(row.Packets, 10),
			strconv.FormatUint(row.Bytes, 10), strconv.FormatUint(row.Rejects, 10))
		if res.Distinct != nil {
			rec = append(rec, strconv.FormatUint(row.Distinct, 10))
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// writeStatsText writes an aligned table: a header row of the column names in capitals,
// the group values left-aligned (- for null), the counts right-aligned with thousands
// separators and the bytes in binary units. A distinct count that is a lower bound ends
// in +; one that is an estimate (Logs Insights') begins with ~.
func writeStatsText(w *bufio.Writer, res *stats.Result) error {
	header := statsHeader(res)
	if res.Distinct != nil {
		header[len(header)-1] = "distinct " + res.Distinct.Name
	}
	for i := range header {
		header[i] = strings.ToUpper(header[i])
	}
	groupCols := len(header) - 4
	if res.Distinct != nil {
		groupCols--
	}
	widths := make([]int, len(header))
	for i, h := range header {
		widths[i] = ansi.StringWidth(h)
	}
	cells := make([]string, len(header))
	fill := func(i int) {
		row := res.Row(i)
		k := 0
		if res.Bin > 0 {
			cells[k] = "-"
			if !row.Bin.IsZero() {
				cells[k] = row.Bin.UTC().Format("2006-01-02 15:04:05")
			}
			k++
		}
		for _, v := range row.Values {
			cells[k] = v.String()
			k++
		}
		cells[k] = output.Thousands(int64(row.Flows))
		cells[k+1] = output.Thousands(int64(row.Packets))
		cells[k+2] = string(output.HumanBytes(nil, row.Bytes))
		cells[k+3] = output.Thousands(int64(row.Rejects))
		if res.Distinct != nil {
			cells[k+4] = output.Thousands(int64(row.Distinct))
			if row.DistinctEstimated {
				cells[k+4] = "~" + cells[k+4]
			}
			if row.DistinctPartial {
				cells[k+4] += "+"
			}
		}
	}
	for i := 0; i < res.Len(); i++ {
		fill(i)
		for j, c := range cells {
			widths[j] = max(widths[j], ansi.StringWidth(c))
		}
	}
	var b []byte
	line := func(cells []string) error {
		b = b[:0]
		for j, c := range cells {
			pad := widths[j] - ansi.StringWidth(c)
			last := j == len(cells)-1
			if j >= groupCols { // counts: right-aligned
				b = append(b, strings.Repeat(" ", pad)...)
				b = append(b, c...)
			} else {
				b = append(b, c...)
				if !last {
					b = append(b, strings.Repeat(" ", pad)...)
				}
			}
			if !last {
				b = append(b, "  "...)
			}
		}
		b = append(b, '\n')
		_, err := w.Write(b)
		return err
	}
	if err := line(header); err != nil {
		return err
	}
	for i := 0; i < res.Len(); i++ {
		fill(i)
		if err := line(cells); err != nil {
			return err
		}
	}
	return nil
}
