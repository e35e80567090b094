package pushdown

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/filter"
)

// InsightsOptions shape a Logs Insights query.
type InsightsOptions struct {
	// Grouping, when set, makes the query count (stats ... by ...) instead of returning
	// records.
	Grouping *Grouping
	// Limit adds `limit N` (Insights returns at most 10,000 rows without it).
	Limit int
	// Streams, when set, keeps only the events of log streams whose name starts with
	// one of these prefixes (the interfaces of --eni): StartQuery selects log groups,
	// not streams, so the query itself narrows them, before parsing.
	Streams []string
	// Fields are returned with @timestamp and @message by a query without a grouping:
	// @logStream, so that a reader can tell the same record arriving from another API.
	Fields []string
}

// Insights compiles a filter (and a grouping) to a CloudWatch Logs Insights query in
// the classic query language. The query parses @message by the format's own column
// order with a regular expression (so custom formats work, and runs of spaces do not
// shift the columns), keeps only the lines that parsed, and filters with comparisons,
// `in`, isIpv4InSubnet/isIpv6InSubnet and case-insensitive `like` regexes. Records come
// back as @timestamp and @message, oldest first; a grouping comes back as one row per
// group with the columns ColFlows, ColPackets, ColBytes, ColRejects (and the
// DistinctColumn), rejects counted as the records whose action parses as REJECT.
func Insights(n filter.Node, f *model.Format, opts InsightsOptions) (Result, error) {
	if f == nil {
		f = model.DefaultFormat
	}
	if err := checkGrouping(opts.Grouping, f); err != nil {
		return Result{}, err
	}
	c, err := compile(n, f, filter.Options{})
	if err != nil {
		return Result{}, err
	}
	r := Result{Exact: true}
	w := &insightsWriter{f: f, r: &r}
	cond := w.cond(c)
	if c.op == opFalse {
		r.Never = true
	}
	first := ColumnName(f, f.Fields[0])
	var q []string
	if sf := streamFilter(opts.Streams); sf != "" {
		q = append(q, sf)
	}
	q = append(q, "parse @message /"+parseRegex(f)+"/")
	if cond == "" || c.op == opTrue {
		q = append(q, "filter ispresent("+first+")")
	} else {
		q = append(q, "filter ispresent("+first+") and "+cond)
	}
	if g := opts.Grouping; g != nil {
		q = append(q, w.stats(g)...)
	} else {
		q = append(q, recordFields(opts.Fields), "sort @timestamp asc")
	}
	if opts.Limit > 0 {
		q = append(q, "limit "+strconv.Itoa(opts.Limit))
	}
	r.Text = strings.Join(q, "\n| ")
	return r, nil
}

// recordFields is the fields command of a query that returns records.
func recordFields(extra []string) string {
	return "fields " + strings.Join(append([]string{"@timestamp", "@message"}, extra...), ", ")
}

// streamFilter keeps the events of the streams whose names start with a prefix; ""
// without prefixes. Each prefix is a regex of its literal text.
func streamFilter(prefixes []string) string {
	var alts []string
	for _, p := range prefixes {
		if p != "" {
			alts = append(alts, "@logStream like /^"+strings.ReplaceAll(regexp.QuoteMeta(p), "/", `\/`)+"/")
		}
	}
	if len(alts) == 0 {
		return ""
	}
	return "filter " + strings.Join(alts, " or ")
}

// InsightsForFormats is Insights for a log group whose streams may hold several
// formats: with more than one, no single parse fits, so the query returns every
// record (looser) and cannot group.
func InsightsForFormats(n filter.Node, formats []*model.Format, opts InsightsOptions) (Result, error) {
	if len(formats) == 1 {
		return Insights(n, formats[0], opts)
	}
	if opts.Grouping != nil {
		return Result{}, fmt.Errorf("cannot group in Insights: the group holds several formats")
	}
	q := recordFields(opts.Fields) + "\n| sort @timestamp asc"
	if sf := streamFilter(opts.Streams); sf != "" {
		q = sf + "\n| " + q
	}
	if opts.Limit > 0 {
		q += "\n| limit " + strconv.Itoa(opts.Limit)
	}
	r := Result{Text: q, Exact: n == nil}
	if n != nil {
		r.Notes = append(r.Notes, "the group holds several formats: the query returns every record")
	}
	return r, nil
}

// parseRegex is the regex that splits a line into the format's columns.
func parseRegex(f *model.Format) string {
	var b strings.Builder
	b.WriteString("^")
	for i := range f.Fields {
		if i > 0 {
			b.WriteString(`\s+`)
		}
		b.WriteString("(?<" + patternName(f, i) + `>\S+)`)
	}
	b.WriteString(`\s*$`)
	return b.String()
}

type insightsWriter struct {
	f *model.Format
	r *Result
}

func (w *insightsWriter) loose(why string) {
	w.r.Exact = false
	w.r.Notes = append(w.r.Notes, why)
}

// cond renders a condition; "" means no condition (true).
func (w *insightsWriter) cond(c *cond) string {
	switch c.op {
	case opTrue:
		return ""
	case opFalse:
		return "ispresent(@flowlensNever)" // no event has this field
	case opAnd, opOr:
		var parts []string
		for _, k := range c.kids {
			s := w.cond(k)
			if s == "" {
				if c.op == opOr {
					return "" // one member always true: the whole "or" is
				}
				continue
			}
			parts = append(parts, s)
		}
		if len(parts) == 0 {
			return ""
		}
		if len(parts) == 1 {
			return parts[0]
		}
		sep := " and "
		if c.op == opOr {
			sep = " or "
		}
		return "(" + strings.Join(parts, sep) + ")"
	}
	return w.leaf(c)
}

func (w *insightsWriter) leaf(c *cond) string {
	a := c.atom
	name := ""
	if a.kind != filter.LeafSubstring {
		name = ColumnName(w.f, a.field)
	}
	dash := name + ` = "-"`
	negate := func(pos string) string {
		// A missing value fails every positive test; its negation must keep it, whatever
		// Insights makes of comparing "-" with a number.
		return "(" + notOf(pos) + " or " + dash + ")"
	}
	switch a.kind {
	case filter.LeafNumber:
		pos := numberCond(name, a.lo, a.hi)
		if c.neg {
			return negate(pos)
		}
		return pos
	case filter.LeafFlags:
		var parts []string
		for bit := 0; bit < 8; bit++ {
			m := uint8(1) << bit
			switch {
			case a.need&m != 0:
				parts = append(parts, fmt.Sprintf("floor(%s / %d) %% 2 = 1", name, m))
			case a.exclude&m != 0:
				parts = append(parts, fmt.Sprintf("floor(%s / %d) %% 2 = 0", name, m))
			}
		}
		pos := "(" + strings.Join(parts, " and ") + ")"
		if len(parts) == 0 {
			pos = "(" + name + ` != "-")`
		}
		if c.neg {
			return negate(pos)
		}
		return pos
	case filter.LeafAddr:
		fn := "isIpv4InSubnet"
		if !a.prefix.Addr().Is4() {
			fn = "isIpv6InSubnet"
		}
		pos := fmt.Sprintf("%s(%s, %q)", fn, name, a.prefix.String())
		if c.neg {
			return notOf(pos)
		}
		return pos
	case filter.LeafEnum:
		op := "="
		if c.neg {
			op = "!="
		}
		return fmt.Sprintf("%s %s %q", name, op, a.enum)
	case filter.LeafString:
		re, exact := globRegex(a.glob)
		if !exact {
			w.loose("looser test of " + name + "=" + a.glob + " (? or non-ASCII)")
			if c.neg {
				return ""
			}
		}
		pos := name + " like /(?i)" + re + "/"
		if filter.GlobMatch(a.glob, "-") {
			pos = "(" + pos + " and " + name + ` != "-")`
			if c.neg {
				return negate(pos)
			}
		}
		if c.neg {
			return notOf(pos)
		}
		return pos
	}
	// A substring of the line, ignoring case.
	re := regexp.QuoteMeta(a.text)
	exact := isASCII(a.text)
	re = strings.ReplaceAll(re, "/", `\/`)
	if !exact {
		w.loose("looser search for the non-ASCII word " + strconv.Quote(a.text))
		if c.neg {
			return ""
		}
	}
	pos := "@message like /(?i)" + re + "/"
	if c.neg {
		return notOf(pos)
	}
	return pos
}

// notOf negates a test, in parentheses so that `not` cannot bind to its first operand.
func notOf(pos string) string {
	if strings.HasPrefix(pos, "(") && strings.HasSuffix(pos, ")") {
		return "not " + pos
	}
	return "not (" + pos + ")"
}

// numberCond tests a value in [lo, hi].
func numberCond(name string, lo, hi uint64) string {
	switch {
	case lo == hi:
		return fmt.Sprintf("%s = %d", name, lo)
	case hi == math.MaxUint64:
		return fmt.Sprintf("%s >= %d", name, lo)
	case lo == 0:
		return fmt.Sprintf("%s <= %d", name, hi)
	}
	return fmt.Sprintf("(%s >= %d and %s <= %d)", name, lo, name, hi)
}

// globRegex writes a lower-case glob as an anchored regex for a case-insensitive match;
// exact is false where the regex's notion of a character (a rune, folded by Unicode)
// may differ from the filter's (a byte, folded in ASCII).
func globRegex(g string) (string, bool) {
	var b strings.Builder
	b.WriteByte('^')
	exact := isASCII(g)
	for _, r := range g {
		switch r {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteByte('.')
			exact = false
		case '/':
			b.WriteString(`\/`)
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteByte('$')
	return b.String(), exact
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// stats writes the aggregation commands.
func (w *insightsWriter) stats(g *Grouping) []string {
	var cmds []string
	metrics := []string{"count(*) as " + ColFlows}
	for _, m := range []struct {
		fld model.Field
		col string
	}{{model.FPackets, ColPackets}, {model.FBytes, ColBytes}} {
		if w.f.Column(m.fld) >= 0 {
			metrics = append(metrics, "sum("+ColumnName(w.f, m.fld)+") as "+m.col)
		}
	}
	if w.f.Column(model.FAction) >= 0 {
		// Insights has no conditional count; a field that exists only on rejects does it:
		// count(field) counts the records that have it.
		cmds = append(cmds, "parse "+ColumnName(w.f, model.FAction)+" /^(?<flowlens_reject>REJECT)$/")
		metrics = append(metrics, "count(flowlens_reject) as "+ColRejects)
	}
	if g.HasDistinct {
		// "-" is a missing value, not a value: count only the fields that are not "-".
		cmds = append(cmds, "parse "+ColumnName(w.f, g.Distinct)+" /^(?<flowlens_distinct>[^-].*|-.+)$/")
		metrics = append(metrics, "count_distinct(flowlens_distinct) as "+DistinctColumn(w.f, g.Distinct))
		w.r.Notes = append(w.r.Notes, "Insights' count_distinct is an estimate for high cardinalities")
	}
	var by []string
	for _, fld := range g.By {
		by = append(by, ColumnName(w.f, fld))
	}
	if g.Bin > 0 {
		by = append(by, "bin("+insightsPeriod(g.Bin)+")")
	}
	s := "stats " + strings.Join(metrics, ", ")
	if len(by) > 0 {
		s += " by " + strings.Join(by, ", ")
	}
	return append(cmds, s)
}
