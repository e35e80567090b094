package pushdown

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/filter"
)

// DefaultAthenaTable is the table name of AWS's Athena guide for VPC flow logs.
const DefaultAthenaTable = "vpc_flow_logs"

// AthenaColumns are the columns of AWS's Athena DDL for VPC flow logs (versions 2 to 5,
// in AWS's order), the table `--athena-table` names by default.
var AthenaColumns = model.MustParseFormat("version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status vpc-id subnet-id instance-id tcp-flags type pkt-srcaddr pkt-dstaddr region az-id sublocation-type sublocation-id pkt-src-aws-service pkt-dst-aws-service flow-direction traffic-path")

// SQLOptions shape an Athena query.
type SQLOptions struct {
	// Table is the table name, DefaultAthenaTable when empty. It may be qualified by a
	// database (db.table); each part is quoted.
	Table string
	// Columns is the table's columns in order: AthenaColumns when nil, or the format a
	// table made by `flowlens athena-ddl` has (text tables map columns by position).
	Columns *model.Format
	// Since and Until, when not zero, keep records whose start lies in [Since, Until)
	// (Unix seconds), the window every source uses.
	Since, Until int64
	// Where are conditions ANDed to the filter's as they are: the partition predicates
	// that let Athena skip the partitions outside the time window.
	Where    []string
	Grouping *Grouping
	Limit    int
}

// SQLType is the column type of a field in AWS's Athena DDL: int, bigint or string.
func SQLType(fld model.Field) string {
	switch fld {
	case model.FProtocol, model.FPackets, model.FBytes, model.FStart, model.FEnd:
		return "bigint"
	}
	if fld.Known() && fld.Numeric() {
		return "int"
	}
	return "string"
}

// SQL compiles a filter (and a grouping) to Athena SQL (Trino), over a table with AWS's
// column names and types. A text table reads `-` as NULL in a number column and as the
// string '-' in a string column (Parquet has NULL in both), so every test treats both as
// a missing value. Addresses are tested with contains(CIDR, TRY_CAST(col AS IPADDRESS)),
// text with lower(col) LIKE, TCP flag names with bitwise_and, bare words with strpos over
// the columns joined back into the line.
func SQL(n filter.Node, opts SQLOptions) (Result, error) {
	cols := opts.Columns
	if cols == nil {
		cols = AthenaColumns
	}
	if err := checkGrouping(opts.Grouping, cols); err != nil {
		return Result{}, err
	}
	c, err := compile(n, cols, filter.Options{})
	if err != nil {
		return Result{}, err
	}
	r := Result{Exact: true, Never: c.op == opFalse}
	w := &sqlWriter{f: cols, r: &r, lineExact: opts.Columns != nil}
	where := w.cond(c)
	var conds []string
	if where != "" {
		conds = append(conds, where)
	}
	if cols.Column(model.FStart) >= 0 {
		if opts.Since != 0 {
			conds = append(conds, fmt.Sprintf("start >= %d", opts.Since))
		}
		if opts.Until != 0 {
			conds = append(conds, fmt.Sprintf("start < %d", opts.Until))
		}
	}
	conds = append(conds, opts.Where...)
	var b strings.Builder
	table := sqlTable(opts.Table)
	g := opts.Grouping
	if g == nil {
		b.WriteString("SELECT *\nFROM " + table)
	} else {
		var sel, groupBy []string
		for _, fld := range g.By {
			col := sqlColumn(cols, fld)
			sel = append(sel, col)
			groupBy = append(groupBy, col)
		}
		if g.Bin > 0 {
			secs := int64(g.Bin.Seconds())
			expr := fmt.Sprintf("start - start %% %d", secs)
			sel = append(sel, expr+" AS "+quoteIdent(BinColumn(g.Bin)))
			groupBy = append(groupBy, expr)
		}
		sel = append(sel, "count(*) AS "+ColFlows)
		for _, m := range []struct {
			fld model.Field
			col string
		}{{model.FPackets, ColPackets}, {model.FBytes, ColBytes}} {
			if cols.Column(m.fld) >= 0 {
				sel = append(sel, "coalesce(sum("+sqlColumn(cols, m.fld)+"), 0) AS "+m.col)
			}
		}
		if cols.Column(model.FAction) >= 0 {
			sel = append(sel, "sum(CASE WHEN action = 'REJECT' THEN 1 ELSE 0 END) AS "+ColRejects)
		}
		if g.HasDistinct {
			col := sqlColumn(cols, g.Distinct)
			// '-' in a text table's string column is a missing value, not a value.
			sel = append(sel, fmt.Sprintf("count(DISTINCT nullif(CAST(%s AS varchar), '-')) AS %s", col, DistinctColumn(cols, g.Distinct)))
		}
		b.WriteString("SELECT " + strings.Join(sel, ", ") + "\nFROM " + table)
		if len(conds) > 0 {
			b.WriteString("\nWHERE " + strings.Join(conds, "\n  AND "))
			conds = nil
		}
		if len(groupBy) > 0 {
			b.WriteString("\nGROUP BY " + strings.Join(groupBy, ", "))
		} else {
			// One group of everything: none at all when nothing matched, as a local
			// count (and Insights) has it, not a row of zeros.
			b.WriteString("\nHAVING count(*) > 0")
		}
	}
	if len(conds) > 0 {
		b.WriteString("\nWHERE " + strings.Join(conds, "\n  AND "))
	}
	if g == nil && cols.Column(model.FStart) >= 0 {
		b.WriteString("\nORDER BY start")
	}
	if opts.Limit > 0 {
		b.WriteString("\nLIMIT " + strconv.Itoa(opts.Limit))
	}
	r.Text = b.String()
	return r, nil
}

// reserved are the column names that Trino reserves and that must be quoted.
var reserved = map[string]bool{"end": true}

func sqlColumn(f *model.Format, fld model.Field) string {
	name := ColumnName(f, fld)
	if reserved[name] {
		return quoteIdent(name)
	}
	return name
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

func sqlTable(t string) string {
	if t == "" {
		t = DefaultAthenaTable
	}
	parts := strings.Split(t, ".")
	for i, p := range parts {
		parts[i] = quoteIdent(p)
	}
	return strings.Join(parts, ".")
}

func sqlString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

type sqlWriter struct {
	f         *model.Format
	r         *Result
	lineExact bool
}

func (w *sqlWriter) loose(why string) {
	w.r.Exact = false
	w.r.Notes = append(w.r.Notes, why)
}

func (w *sqlWriter) cond(c *cond) string {
	switch c.op {
	case opTrue:
		return ""
	case opFalse:
		return "false"
	case opAnd, opOr:
		var parts []string
		for _, k := range c.kids {
			s := w.cond(k)
			if s == "" {
				if c.op == opOr {
					return ""
				}
				continue
			}
			parts = append(parts, s)
		}
		switch len(parts) {
		case 0:
			return ""
		case 1:
			return parts[0]
		}
		sep := " AND "
		if c.op == opOr {
			sep = " OR "
		}
		return "(" + strings.Join(parts, sep) + ")"
	}
	return w.leaf(c)
}

// leaf renders an atom. In negation normal form a NULL from a positive test acts as
// false (AND and OR are monotone and WHERE keeps only true); a negated test spells out
// the missing value, which it must keep.
func (w *sqlWriter) leaf(c *cond) string {
	a := c.atom
	if a.kind == filter.LeafSubstring {
		return w.substring(a.text, c.neg)
	}
	col := sqlColumn(w.f, a.field)
	isString := SQLType(a.field) == "string"
	missing := col + " IS NULL"
	if isString {
		missing = "(" + col + " IS NULL OR " + col + " = '-')"
	}
	negate := func(pos string) string { return "(" + missing + " OR NOT (" + pos + "))" }
	var pos string
	switch a.kind {
	case filter.LeafNumber:
		if isString {
			// A custom column flowlens reads as a number cannot be one here.
			w.loose("no SQL test for the number column " + col)
			return ""
		}
		switch {
		case a.lo == a.hi:
			pos = fmt.Sprintf("%s = %d", col, a.lo)
		case a.hi == math.MaxUint64:
			pos = fmt.Sprintf("%s >= %d", col, a.lo)
		case a.lo == 0:
			pos = fmt.Sprintf("%s <= %d", col, a.hi)
		default:
			pos = fmt.Sprintf("%s BETWEEN %d AND %d", col, a.lo, a.hi)
		}
	case filter.LeafFlags:
		pos = fmt.Sprintf("bitwise_and(%s, %d) = %d", col, a.need|a.exclude, a.need)
	case filter.LeafAddr:
		pos = fmt.Sprintf("contains(%s, TRY_CAST(%s AS IPADDRESS))", sqlString(a.prefix.String()), col)
	case filter.LeafEnum:
		pos = col + " = " + sqlString(a.enum)
	case filter.LeafString:
		like, exact := likePattern(a.glob)
		if !exact {
			w.loose("looser test of " + col + " (non-ASCII)")
			if c.neg {
				return ""
			}
		}
		pos = "lower(" + col + ") LIKE " + sqlString(like) + ` ESCAPE '\'`
		if filter.GlobMatch(a.glob, "-") {
			pos = "(" + col + " <> '-' AND " + pos + ")"
		}
	}
	if c.neg {
		return negate(pos)
	}
	return pos
}

// likePattern writes a glob for LIKE: * is %, ? is _, and literal % _ \ escaped.
func likePattern(g string) (string, bool) {
	var b strings.Builder
	for i := 0; i < len(g); i++ {
		switch c := g[i]; c {
		case '*':
			b.WriteByte('%')
		case '?':
			b.WriteByte('_')
		case '%', '_', '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), isASCII(g)
}

// substring searches the line rebuilt from the columns (missing values written `-`).
func (w *sqlWriter) substring(text string, neg bool) string {
	if !w.lineExact {
		w.loose("a bare word searches the columns of AWS's table, which may be more than the log's format")
	}
	if !isASCII(text) {
		w.loose("looser search for a non-ASCII word")
		if neg {
			return ""
		}
	}
	var parts []string
	for i, fld := range w.f.Fields {
		if i > 0 {
			parts = append(parts, "' '")
		}
		parts = append(parts, "coalesce(CAST("+sqlColumn(w.f, fld)+" AS varchar), '-')")
	}
	pos := "strpos(lower(" + strings.Join(parts, " || ") + "), " + sqlString(text) + ") > 0"
	if neg {
		if !w.lineExact {
			return "" // a word found only in the extra columns would wrongly drop the record
		}
		return "NOT (" + pos + ")"
	}
	return pos
}
