package pushdown

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/filter"
)

// CloudWatch's limits on a filter pattern (FilterLogEvents filterPattern, StartLiveTail
// logEventFilterPattern): at most 1024 characters, and at most two regular expressions
// in a space-delimited pattern.
const (
	MaxPatternLen   = 1024
	maxPatternRegex = 2
)

// Pattern compiles a filter to a CloudWatch Logs space-delimited filter pattern for one
// format: `[version, account_id, ..., dstport=22, ..., log_status]`, every column of the
// format named in order. Within a column it uses the documented comparisons (=, !=, <,
// <=, >, >= on numbers; = and != with a leading or trailing * on text), && and || among
// the conditions of that one column, and at most two %regex% values. What it cannot say
// exactly (terms joining two columns with "or", addr= and port=, bare words, IPv6
// prefixes, case-insensitive text without a regex to spare) it leaves out, and the
// result is marked looser. An empty filter gives an empty pattern, which keeps every
// event.
func Pattern(n filter.Node, f *model.Format) (Result, error) {
	if f == nil {
		f = model.DefaultFormat
	}
	c, err := compile(n, f, filter.Options{})
	if err != nil {
		return Result{}, err
	}
	return renderPattern(c, f), nil
}

// PatternForFormats is Pattern for a log group whose streams may hold several formats:
// a positional pattern would drop every record of the other formats, so with more than
// one format (or none known) it gives no pattern, looser unless the filter is empty.
func PatternForFormats(n filter.Node, formats []*model.Format) (Result, error) {
	if len(formats) == 1 {
		return Pattern(n, formats[0])
	}
	r := Result{Exact: n == nil}
	if n != nil {
		r.Notes = append(r.Notes, "the group holds several formats (or an unknown one): no positional pattern")
	}
	return r, nil
}

// patternSlot is the condition of one column: comparisons joined by && (conj) or ||.
type patternSlot struct {
	comps []string
	disj  bool
	regex int
}

func renderPattern(c *cond, f *model.Format) Result {
	switch c.op {
	case opTrue:
		return Result{Exact: true}
	case opFalse:
		return Result{Exact: true, Never: true, Notes: []string{"the filter can match no record of this format"}}
	}
	r := Result{Exact: true}
	loose := func(why string) {
		r.Exact = false
		r.Notes = append(r.Notes, why)
	}
	// Group the top-level conjuncts by the one column they test.
	byField := map[model.Field][]*cond{}
	for _, k := range conjuncts(c) {
		fs := fieldsOf(k, nil)
		if len(fs) != 1 || fs[substringField] {
			loose("left out (joins columns or searches the whole line): " + describe(k, f))
			continue
		}
		for fld := range fs {
			byField[fld] = append(byField[fld], k)
		}
	}
	regexLeft := maxPatternRegex
	slots := map[int]patternSlot{}
	cols := make([]int, 0, len(byField))
	for fld := range byField {
		cols = append(cols, f.Column(fld))
	}
	sort.Ints(cols)
	for _, col := range cols {
		fld := f.Fields[col]
		name := patternName(f, col)
		slot, exact := slotFor(and(byField[fld]...), name, fld, &regexLeft)
		if !exact {
			loose("looser condition on " + f.Names[col])
		}
		if len(slot.comps) > 0 {
			slots[col] = slot
		}
	}
	text := func() string {
		var b strings.Builder
		b.WriteByte('[')
		for i := range f.Fields {
			if i > 0 {
				b.WriteString(", ")
			}
			name := patternName(f, i)
			s, ok := slots[i]
			if !ok {
				b.WriteString(name)
				continue
			}
			sep := " && "
			if s.disj {
				sep = " || "
			}
			b.WriteString(strings.Join(s.comps, sep))
		}
		b.WriteByte(']')
		return b.String()
	}
	out := text()
	for len(out) > MaxPatternLen && len(slots) > 0 {
		// Drop the longest condition until the pattern fits.
		worst, wl := -1, -1
		for col, s := range slots {
			if l := len(strings.Join(s.comps, " && ")); l > wl || l == wl && col > worst {
				worst, wl = col, l
			}
		}
		delete(slots, worst)
		loose(fmt.Sprintf("condition on %s left out: the pattern would exceed %d characters", f.Names[worst], MaxPatternLen))
		out = text()
	}
	if len(slots) == 0 {
		out = "" // nothing pushable: an empty pattern keeps every event
	}
	r.Text = out
	return r
}

// patternName is the name of a column in a space-delimited pattern: the AWS name with
// _ for - (names are identifiers there), unique within the format.
func patternName(f *model.Format, col int) string {
	name := identifier(f.Names[col])
	for i := 0; i < col; i++ {
		if identifier(f.Names[i]) == name {
			return name + "_" + strconv.Itoa(col+1)
		}
	}
	return name
}

// identifier spells a column name with letters, digits and _ only.
func identifier(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9' && b.Len() > 0, r == '_':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	return b.String()
}

// slotFor renders the condition on one column. exact is false when the slot keeps more
// than the condition.
func slotFor(c *cond, name string, fld model.Field, regexLeft *int) (patternSlot, bool) {
	if set, absent, ok := numericSet(c); ok {
		return numericSlot(set, absent, name)
	}
	var leaves []*cond
	disj := false
	switch c.op {
	case opLeaf:
		leaves = []*cond{c}
	case opAnd, opOr:
		for _, k := range c.kids {
			if k.op != opLeaf {
				return patternSlot{}, false // nested and/or within one column
			}
		}
		leaves, disj = c.kids, c.op == opOr
	default:
		return patternSlot{}, false
	}
	var s patternSlot
	s.disj = disj
	exact := true
	for _, l := range leaves {
		comps, regex, ok := leafComps(l, name, *regexLeft-s.regex)
		if !ok {
			exact = false
		}
		if disj && (len(comps) != 1 || !ok) {
			// One member of an "or" that cannot be said (or only as several ANDed
			// conditions) makes the whole "or" unsayable.
			return patternSlot{}, false
		}
		s.comps = append(s.comps, comps...)
		s.regex += regex
	}
	if len(s.comps) == 1 {
		s.disj = false
	}
	*regexLeft -= s.regex
	return s, exact
}

// numericSlot writes a set of numbers (and whether `-` passes) as one column's
// condition. Mixing && and || in one column is not documented, so a set that needs both
// is widened: to its hull when `-` need not pass, to no condition when it must.
func numericSlot(set valueSet, absent bool, name string) (patternSlot, bool) {
	dash := name + `="-"`
	num := func(op string, v uint64) string { return name + op + strconv.FormatUint(v, 10) }
	switch {
	case len(set) == 0 && !absent:
		// Nothing passes: cannot happen after simplification, but say it safely.
		return patternSlot{comps: []string{dash, name + `!="-"`}}, true
	case len(set) == 0:
		return patternSlot{comps: []string{dash}}, true
	case len(set) == 1 && set[0].lo == 0 && set[0].hi == math.MaxUint64:
		if absent {
			return patternSlot{}, true
		}
		return patternSlot{comps: []string{name + `!="-"`}}, true
	}
	if set.points() {
		var comps []string
		for _, sp := range set {
			comps = append(comps, num("=", sp.lo))
		}
		if absent {
			comps = append(comps, dash)
		}
		return patternSlot{comps: comps, disj: len(comps) > 1}, true
	}
	// One range, possibly open at one end.
	if len(set) == 1 {
		sp := set[0]
		var comps []string
		if sp.lo > 0 {
			comps = append(comps, num(">=", sp.lo))
		}
		if sp.hi != math.MaxUint64 {
			comps = append(comps, num("<=", sp.hi))
		}
		if !absent {
			return patternSlot{comps: comps}, true
		}
		if len(comps) == 1 {
			return patternSlot{comps: append(comps, dash), disj: true}, true
		}
		return patternSlot{}, false
	}
	// The complement of one range: below it or above it.
	if len(set) == 2 && set[0].lo == 0 && set[1].hi == math.MaxUint64 {
		comps := []string{num("<", set[0].hi+1), num(">", set[1].lo-1)}
		if absent {
			comps = append(comps, dash)
		}
		return patternSlot{comps: comps, disj: true}, true
	}
	if absent {
		return patternSlot{}, false
	}
	// Several ranges: their hull.
	lo, hi := set[0].lo, set[len(set)-1].hi
	var comps []string
	if lo > 0 {
		comps = append(comps, num(">=", lo))
	}
	if hi != math.MaxUint64 {
		comps = append(comps, num("<=", hi))
	}
	return patternSlot{comps: comps}, false
}

// leafComps writes one atom (or its negation) as comparisons ANDed together. ok is false
// when they keep more than the atom; no comparisons means no condition at all.
func leafComps(l *cond, name string, regexLeft int) (comps []string, regex int, ok bool) {
	a := l.atom
	switch a.kind {
	case filter.LeafEnum:
		op := "="
		if l.neg {
			op = "!="
		}
		return []string{name + op + a.enum}, 0, true
	case filter.LeafAddr:
		p := a.prefix
		if !p.Addr().Is4() {
			if l.neg {
				return nil, 0, false
			}
			return []string{name + "=*:*"}, 0, false // an IPv6 address has a colon
		}
		if g, exact := globIPv4(p); exact {
			op := "="
			if l.neg {
				op = "!="
			}
			return []string{name + op + g}, 0, true
		}
		if l.neg {
			return nil, 0, false
		}
		if regexLeft > 0 {
			return []string{name + "=%" + regexIPv4(p) + "%"}, 1, true
		}
		g, _ := globIPv4(coverIPv4(p))
		return []string{name + "=" + g}, 0, false
	case filter.LeafString:
		return stringComps(a.glob, l.neg, name, regexLeft)
	}
	return nil, 0, false
}

// stringComps writes a case-insensitive glob. Without letters case does not matter and
// a leading or trailing * is a pattern wildcard; otherwise a regex spells each letter
// in both cases.
func stringComps(glob string, neg bool, name string, regexLeft int) ([]string, int, bool) {
	matchesDash := filter.GlobMatch(glob, "-")
	if plainGlob(glob) {
		v := glob
		if !strings.Contains(glob, "*") {
			// Quoted, so that a value of digits compares as text, not as a number
			// (a number comparison would fail on "-", which != must keep).
			v = `"` + glob + `"`
		}
		if neg {
			if matchesDash {
				// != would drop "-" too, which the filter keeps: it is no value.
				return nil, 0, false
			}
			// "-" is not a value; != keeps it as the filter does.
			return []string{name + "!=" + v}, 0, true
		}
		comps := []string{name + "=" + v}
		if matchesDash {
			comps = append(comps, name+`!="-"`)
		}
		return comps, 0, true
	}
	if neg || regexLeft == 0 {
		return nil, 0, false
	}
	re, ok := patternRegex(glob)
	if !ok {
		return nil, 0, false
	}
	comps := []string{name + "=%" + re + "%"}
	if matchesDash {
		comps = append(comps, name+`!="-"`)
	}
	return comps, 1, true
}

// plainGlob reports whether a lower-case glob can be written as a pattern value as it
// is: no letters (so case does not matter), no ?, * only at the ends, and only
// characters that need no quoting.
func plainGlob(g string) bool {
	core := strings.TrimSuffix(strings.TrimPrefix(g, "*"), "*")
	if core == "" {
		return g != ""
	}
	if core[0] < '0' || core[0] > '9' {
		return false // a leading - or . could read as a sign or a number
	}
	for i := 0; i < len(core); i++ {
		c := core[i]
		if !(c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// patternRegex writes a glob as an anchored regex of the characters CloudWatch's
// filter-pattern regex accepts: letters in both cases, digits, _ # = @ / ; , - and
// escaped dots.
func patternRegex(g string) (string, bool) {
	var b strings.Builder
	b.WriteByte('^')
	for i := 0; i < len(g); i++ {
		c := g[i]
		switch {
		case c >= 'a' && c <= 'z':
			b.WriteString("[" + string(c) + string(c-'a'+'A') + "]")
		case c >= '0' && c <= '9', strings.IndexByte("_#=@/;,-", c) >= 0:
			b.WriteByte(c)
		case c == '.':
			b.WriteString(`\.`)
		case c == '*':
			b.WriteString(".*")
		case c == '?':
			b.WriteByte('.')
		default:
			return "", false
		}
	}
	b.WriteByte('$')
	return b.String(), true
}

// describe writes a condition back in the filter language, for notes.
func describe(c *cond, f *model.Format) string {
	switch c.op {
	case opTrue:
		return "true"
	case opFalse:
		return "false"
	case opAnd, opOr:
		sep := " and "
		if c.op == opOr {
			sep = " or "
		}
		parts := make([]string, len(c.kids))
		for i, k := range c.kids {
			parts[i] = describe(k, f)
		}
		return "(" + strings.Join(parts, sep) + ")"
	}
	a := c.atom
	not := ""
	if c.neg {
		not = "not "
	}
	name := ""
	if a.kind != filter.LeafSubstring {
		name = f.NameOf(a.field)
	}
	switch a.kind {
	case filter.LeafNumber:
		if a.hi == math.MaxUint64 {
			return fmt.Sprintf("%s%s>=%d", not, name, a.lo)
		}
		return fmt.Sprintf("%s%s=%d-%d", not, name, a.lo, a.hi)
	case filter.LeafAddr:
		return not + name + "=" + a.prefix.String()
	case filter.LeafString:
		return not + name + "=" + a.glob
	case filter.LeafEnum:
		return not + name + "=" + a.enum
	case filter.LeafFlags:
		return fmt.Sprintf("%s%s has %d not %d", not, name, a.need, a.exclude)
	}
	return not + strconv.Quote(a.text)
}
