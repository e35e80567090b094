package fakeaws

import (
	"fmt"
	"math"
	"net/netip"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The subset of the Logs Insights query language (Logs Insights QL) the fake runs:
//
//	parse FIELD /regex with (?<name>...) groups/     parse FIELD "glob * text" as a, b
//	filter EXPR          fields F [as NAME], ...       display F, ...
//	stats AGG [as NAME], ... [by FIELD | bin(PERIOD), ...]
//	sort F [asc|desc], ...                              limit N
//
// EXPR has and, or, not, parentheses, = != < <= > >=, in [...], like /re/ or "text",
// =~ /re/, not like, + - * / %, and the functions ispresent, isIpv4InSubnet,
// isIpv6InSubnet, isIpInSubnet, floor, ceil, abs, strlen, tolower, toupper. AGG is
// count(*), count(), count(F), sum, avg, min, max, count_distinct (exact here; AWS
// estimates it for high cardinalities).
//
// Values are text (every parsed field is), numbers or missing. A comparison of two
// values that both read as numbers compares numbers; a number with text that does not
// read as one (a NODATA record's "-") is false for every operator; otherwise texts
// compare. A missing field fails every comparison. Where AWS does not document a case,
// this is the strict reading: a query that is right under it is right under a laxer one.

type value struct {
	s       string
	n       float64
	isNum   bool // a number literal or arithmetic result
	missing bool
}

func textValue(s string) value { return value{s: s} }
func numValue(n float64) value { return value{n: n, isNum: true} }

var missingValue = value{missing: true}

// number reads a value as a number.
func (v value) number() (float64, bool) {
	if v.missing {
		return 0, false
	}
	if v.isNum {
		return v.n, true
	}
	n, err := strconv.ParseFloat(strings.TrimSpace(v.s), 64)
	return n, err == nil
}

func (v value) text() string {
	if v.isNum {
		return formatNumber(v.n)
	}
	return v.s
}

func formatNumber(n float64) string {
	if n == math.Trunc(n) && math.Abs(n) < 1e15 {
		return strconv.FormatInt(int64(n), 10)
	}
	return strconv.FormatFloat(n, 'f', -1, 64)
}

// record is one event as a query sees it.
type record map[string]value

// --- lexer ---

type itok struct {
	kind byte // 'w' word, 'n' number, 's' string, 'r' regex, 'o' operator/punct, 0 end
	text string
}

func lexInsights(q string) ([]itok, error) {
	var out []itok
	prevValue := false // whether a / here would be division
	for i := 0; i < len(q); {
		c := q[i]
		switch {
		case c == '#':
			for i < len(q) && q[i] != '\n' {
				i++
			}
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '"' || c == '\'':
			j := i + 1
			var b strings.Builder
			for j < len(q) && q[j] != c {
				if q[j] == '\\' && j+1 < len(q) {
					j++
				}
				b.WriteByte(q[j])
				j++
			}
			if j >= len(q) {
				return nil, fmt.Errorf("unterminated string at %d", i)
			}
			out = append(out, itok{'s', b.String()})
			i = j + 1
			prevValue = true
		case c == '/' && (!prevValue || regexAfter(out)):
			j := i + 1
			var b strings.Builder
			for j < len(q) && q[j] != '/' {
				if q[j] == '\\' && j+1 < len(q) {
					if q[j+1] == '/' {
						b.WriteByte('/')
						j += 2
						continue
					}
					b.WriteByte('\\')
					j++
				}
				b.WriteByte(q[j])
				j++
			}
			if j >= len(q) {
				return nil, fmt.Errorf("unterminated regex at %d", i)
			}
			out = append(out, itok{'r', b.String()})
			i = j + 1
			prevValue = true
		case c == '`':
			j := strings.IndexByte(q[i+1:], '`')
			if j < 0 {
				return nil, fmt.Errorf("unterminated backtick at %d", i)
			}
			out = append(out, itok{'w', q[i+1 : i+1+j]})
			i += j + 2
			prevValue = true
		case c >= '0' && c <= '9':
			j := i
			for j < len(q) && (q[j] >= '0' && q[j] <= '9' || q[j] == '.') {
				j++
			}
			// a duration such as 5m directly after the number
			k := j
			for k < len(q) && (q[k] >= 'a' && q[k] <= 'z') {
				k++
			}
			if k > j {
				out = append(out, itok{'w', q[i:k]})
			} else {
				out = append(out, itok{'n', q[i:j]})
			}
			i = k
			prevValue = true
		case isWordByte(c) || c == '@':
			j := i + 1
			for j < len(q) && (isWordByte(q[j]) || q[j] == '.' || q[j] == '@') {
				j++
			}
			out = append(out, itok{'w', q[i:j]})
			i = j
			prevValue = true
		default:
			op := string(c)
			if i+1 < len(q) {
				switch two := q[i : i+2]; two {
				case "!=", "<=", ">=", "=~":
					op = two
				}
			}
			out = append(out, itok{'o', op})
			i += len(op)
			prevValue = op == ")" || op == "]"
		}
	}
	return append(out, itok{}), nil
}

// regexAfter reports whether a / after these tokens starts a regex although a value
// precedes it: the pattern of `parse FIELD /re/` and of `like /re/`.
func regexAfter(out []itok) bool {
	n := len(out)
	if n >= 1 && out[n-1].kind == 'w' && strings.EqualFold(out[n-1].text, "like") {
		return true
	}
	return n >= 2 && out[n-2].kind == 'w' && strings.EqualFold(out[n-2].text, "parse") && out[n-1].kind == 'w'
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '$'
}

// --- commands ---

type icommand interface{}

type parseCmd struct {
	field string
	re    *regexp.Regexp
	names []string // for a glob parse: the names of the captures in order
}

type filterCmd struct{ e iexpr }

type fieldsCmd struct {
	exprs []iexpr
	names []string
}

type statsCmd struct {
	aggs    []aggSpec
	by      []iexpr
	byNames []string
}

type aggSpec struct {
	fn   string
	arg  iexpr // nil for count(*)
	name string
}

type sortCmd struct {
	keys []string
	desc []bool
}

type limitCmd struct{ n int }

type insightsQuery struct {
	cmds []icommand
}

type iparser struct {
	toks []itok
	i    int
}

func (p *iparser) peek() itok { return p.toks[p.i] }
func (p *iparser) next() itok { t := p.toks[p.i]; p.i++; return t }
func (p *iparser) isOp(s string) bool {
	t := p.peek()
	return t.kind == 'o' && t.text == s
}
func (p *iparser) isWord(s string) bool {
	t := p.peek()
	return t.kind == 'w' && strings.EqualFold(t.text, s)
}
func (p *iparser) expectOp(s string) error {
	if !p.isOp(s) {
		return fmt.Errorf("expected %q, found %q", s, p.peek().text)
	}
	p.next()
	return nil
}

func parseInsights(q string) (*insightsQuery, error) {
	toks, err := lexInsights(q)
	if err != nil {
		return nil, err
	}
	p := &iparser{toks: toks}
	out := &insightsQuery{}
	for {
		if p.peek().kind == 0 {
			break
		}
		cmd, err := p.command()
		if err != nil {
			return nil, err
		}
		out.cmds = append(out.cmds, cmd)
		if p.peek().kind == 0 {
			break
		}
		if err := p.expectOp("|"); err != nil {
			return nil, err
		}
	}
	if len(out.cmds) == 0 {
		return nil, fmt.Errorf("empty query")
	}
	return out, nil
}

func (p *iparser) command() (icommand, error) {
	t := p.next()
	if t.kind != 'w' {
		return nil, fmt.Errorf("expected a command, found %q", t.text)
	}
	switch strings.ToLower(t.text) {
	case "parse":
		f := p.next()
		if f.kind != 'w' {
			return nil, fmt.Errorf("parse needs a field")
		}
		pat := p.next()
		switch pat.kind {
		case 'r':
			re, err := regexp.Compile(pat.text)
			if err != nil {
				return nil, fmt.Errorf("bad regex in parse: %v", err)
			}
			return &parseCmd{field: f.text, re: re}, nil
		case 's':
			if !p.isWord("as") {
				return nil, fmt.Errorf("a glob parse needs 'as'")
			}
			p.next()
			names, err := p.nameList()
			if err != nil {
				return nil, err
			}
			parts := strings.Split(pat.text, "*")
			if len(parts)-1 != len(names) {
				return nil, fmt.Errorf("parse has %d wildcards and %d names", len(parts)-1, len(names))
			}
			var b strings.Builder
			b.WriteString("(?s)")
			for i, part := range parts {
				b.WriteString(regexp.QuoteMeta(part))
				if i < len(parts)-1 {
					if i == len(parts)-2 && parts[len(parts)-1] == "" {
						b.WriteString("(.*)")
					} else {
						b.WriteString("(.*?)")
					}
				}
			}
			return &parseCmd{field: f.text, re: regexp.MustCompile(b.String()), names: names}, nil
		}
		return nil, fmt.Errorf("parse needs a regex or a glob string")
	case "filter":
		e, err := p.expr()
		if err != nil {
			return nil, err
		}
		return &filterCmd{e}, nil
	case "fields", "display":
		var c fieldsCmd
		for {
			e, err := p.expr()
			if err != nil {
				return nil, err
			}
			name := exprName(e)
			if p.isWord("as") {
				p.next()
				name = p.next().text
			}
			c.exprs, c.names = append(c.exprs, e), append(c.names, name)
			if !p.isOp(",") {
				break
			}
			p.next()
		}
		return &c, nil
	case "stats":
		var c statsCmd
		for {
			a, err := p.agg()
			if err != nil {
				return nil, err
			}
			c.aggs = append(c.aggs, a)
			if !p.isOp(",") {
				break
			}
			p.next()
		}
		if p.isWord("by") {
			p.next()
			for {
				e, err := p.expr()
				if err != nil {
					return nil, err
				}
				c.by, c.byNames = append(c.by, e), append(c.byNames, exprName(e))
				if !p.isOp(",") {
					break
				}
				p.next()
			}
		}
		return &c, nil
	case "sort":
		var c sortCmd
		for {
			f := p.next()
			if f.kind != 'w' {
				return nil, fmt.Errorf("sort needs a field")
			}
			desc := false
			if p.isWord("asc") || p.isWord("desc") {
				desc = strings.EqualFold(p.next().text, "desc")
			}
			c.keys, c.desc = append(c.keys, f.text), append(c.desc, desc)
			if !p.isOp(",") {
				break
			}
			p.next()
		}
		return &c, nil
	case "limit":
		n := p.next()
		v, err := strconv.Atoi(n.text)
		if n.kind != 'n' || err != nil || v < 1 {
			return nil, fmt.Errorf("limit needs a positive number")
		}
		return &limitCmd{v}, nil
	}
	return nil, fmt.Errorf("unknown command %q", t.text)
}

func (p *iparser) nameList() ([]string, error) {
	var names []string
	for {
		t := p.next()
		if t.kind != 'w' {
			return nil, fmt.Errorf("expected a name")
		}
		names = append(names, t.text)
		if !p.isOp(",") {
			return names, nil
		}
		p.next()
	}
}

func (p *iparser) agg() (aggSpec, error) {
	t := p.next()
	fn := strings.ToLower(t.text)
	switch fn {
	case "count", "sum", "avg", "min", "max", "count_distinct":
	default:
		return aggSpec{}, fmt.Errorf("unknown aggregate %q", t.text)
	}
	if err := p.expectOp("("); err != nil {
		return aggSpec{}, err
	}
	a := aggSpec{fn: fn}
	text := fn + "("
	switch {
	case p.isOp("*"):
		p.next()
		text += "*"
	case p.isOp(")"):
	default:
		e, err := p.expr()
		if err != nil {
			return aggSpec{}, err
		}
		a.arg = e
		text += exprName(e)
	}
	if err := p.expectOp(")"); err != nil {
		return aggSpec{}, err
	}
	if a.arg == nil && fn != "count" {
		return aggSpec{}, fmt.Errorf("%s needs a field", fn)
	}
	a.name = text + ")"
	if p.isWord("as") {
		p.next()
		a.name = p.next().text
	}
	return a, nil
}

// --- expressions ---

type iexpr interface {
	eval(r record) value
}

type fieldRef struct{ name string }
type literal struct{ v value }
type regexLit struct{ re *regexp.Regexp }
type notExpr struct{ x iexpr }
type boolExpr struct {
	and  bool
	l, r iexpr
}
type cmpExpr struct {
	op   string
	l, r iexpr
}
type inExpr struct {
	x    iexpr
	list []iexpr
}
type likeExpr struct {
	x   iexpr
	pat iexpr // regexLit or a string literal
}
type arithExpr struct {
	op   byte
	l, r iexpr
}
type callExpr struct {
	fn   string
	args []iexpr
	text string
}

var truth = numValue(1)
var falsity = numValue(0)

func boolValue(b bool) value {
	if b {
		return truth
	}
	return falsity
}

func (v value) truthy() bool {
	if v.missing {
		return false
	}
	if v.isNum {
		return v.n != 0
	}
	return v.s != ""
}

func exprName(e iexpr) string {
	switch e := e.(type) {
	case *fieldRef:
		return e.name
	case *callExpr:
		return e.text
	}
	return fmt.Sprintf("%v", e)
}

func (p *iparser) expr() (iexpr, error) { return p.orExpr() }

func (p *iparser) orExpr() (iexpr, error) {
	l, err := p.andExpr()
	if err != nil {
		return nil, err
	}
	for p.isWord("or") {
		p.next()
		r, err := p.andExpr()
		if err != nil {
			return nil, err
		}
		l = &boolExpr{false, l, r}
	}
	return l, nil
}

func (p *iparser) andExpr() (iexpr, error) {
	l, err := p.notExpr()
	if err != nil {
		return nil, err
	}
	for p.isWord("and") {
		p.next()
		r, err := p.notExpr()
		if err != nil {
			return nil, err
		}
		l = &boolExpr{true, l, r}
	}
	return l, nil
}

func (p *iparser) notExpr() (iexpr, error) {
	if p.isWord("not") {
		p.next()
		x, err := p.notExpr()
		if err != nil {
			return nil, err
		}
		return &notExpr{x}, nil
	}
	return p.cmp()
}

func (p *iparser) cmp() (iexpr, error) {
	l, err := p.arith()
	if err != nil {
		return nil, err
	}
	t := p.peek()
	switch {
	case t.kind == 'o' && (t.text == "=" || t.text == "!=" || t.text == "<" || t.text == "<=" || t.text == ">" || t.text == ">="):
		p.next()
		r, err := p.arith()
		if err != nil {
			return nil, err
		}
		return &cmpExpr{t.text, l, r}, nil
	case t.kind == 'o' && t.text == "=~":
		p.next()
		r, err := p.primary()
		if err != nil {
			return nil, err
		}
		return &likeExpr{l, r}, nil
	case p.isWord("like"):
		p.next()
		r, err := p.primary()
		if err != nil {
			return nil, err
		}
		return &likeExpr{l, r}, nil
	case p.isWord("not") && p.toks[p.i+1].kind == 'w' && strings.EqualFold(p.toks[p.i+1].text, "like"):
		p.i += 2
		r, err := p.primary()
		if err != nil {
			return nil, err
		}
		return &notExpr{&likeExpr{l, r}}, nil
	case p.isWord("in"):
		p.next()
		if err := p.expectOp("["); err != nil {
			return nil, err
		}
		var list []iexpr
		for !p.isOp("]") {
			e, err := p.arith()
			if err != nil {
				return nil, err
			}
			list = append(list, e)
			if p.isOp(",") {
				p.next()
			} else if !p.isOp("]") {
				return nil, fmt.Errorf("expected , or ] in a list")
			}
		}
		p.next()
		return &inExpr{l, list}, nil
	}
	return l, nil
}

func (p *iparser) arith() (iexpr, error) {
	l, err := p.term()
	if err != nil {
		return nil, err
	}
	for p.isOp("+") || p.isOp("-") {
		op := p.next().text[0]
		r, err := p.term()
		if err != nil {
			return nil, err
		}
		l = &arithExpr{op, l, r}
	}
	return l, nil
}

func (p *iparser) term() (iexpr, error) {
	l, err := p.primary()
	if err != nil {
		return nil, err
	}
	for p.isOp("*") || p.isOp("/") || p.isOp("%") {
		op := p.next().text[0]
		r, err := p.primary()
		if err != nil {
			return nil, err
		}
		l = &arithExpr{op, l, r}
	}
	return l, nil
}

func (p *iparser) primary() (iexpr, error) {
	t := p.next()
	switch t.kind {
	case 'n':
		n, err := strconv.ParseFloat(t.text, 64)
		if err != nil {
			return nil, fmt.Errorf("bad number %q", t.text)
		}
		return &literal{numValue(n)}, nil
	case 's':
		return &literal{textValue(t.text)}, nil
	case 'r':
		re, err := regexp.Compile(t.text)
		if err != nil {
			return nil, fmt.Errorf("bad regex /%s/: %v", t.text, err)
		}
		return &regexLit{re}, nil
	case 'o':
		if t.text == "(" {
			e, err := p.expr()
			if err != nil {
				return nil, err
			}
			return e, p.expectOp(")")
		}
		if t.text == "-" {
			x, err := p.primary()
			if err != nil {
				return nil, err
			}
			return &arithExpr{'-', &literal{numValue(0)}, x}, nil
		}
	case 'w':
		if p.isOp("(") {
			p.next()
			c := &callExpr{fn: strings.ToLower(t.text)}
			var texts []string
			for !p.isOp(")") {
				e, err := p.expr()
				if err != nil {
					return nil, err
				}
				c.args = append(c.args, e)
				texts = append(texts, exprName(e))
				if p.isOp(",") {
					p.next()
				} else if !p.isOp(")") {
					return nil, fmt.Errorf("expected , or ) in a call of %s", t.text)
				}
			}
			p.next()
			c.text = t.text + "(" + strings.Join(texts, ", ") + ")"
			switch c.fn {
			case "ispresent", "isipv4insubnet", "isipv6insubnet", "isipinsubnet", "floor", "ceil", "abs", "strlen", "tolower", "toupper", "bin":
			default:
				return nil, fmt.Errorf("unknown function %s", t.text)
			}
			return c, nil
		}
		return &fieldRef{t.text}, nil
	}
	return nil, fmt.Errorf("unexpected %q", t.text)
}

func (e *fieldRef) eval(r record) value {
	if v, ok := r[e.name]; ok {
		return v
	}
	return missingValue
}
func (e *literal) eval(record) value  { return e.v }
func (e *regexLit) eval(record) value { return textValue(e.re.String()) }
func (e *notExpr) eval(r record) value {
	return boolValue(!e.x.eval(r).truthy())
}
func (e *boolExpr) eval(r record) value {
	l := e.l.eval(r).truthy()
	if e.and {
		return boolValue(l && e.r.eval(r).truthy())
	}
	return boolValue(l || e.r.eval(r).truthy())
}

func compareValues(op string, a, b value) bool {
	if a.missing || b.missing {
		return false
	}
	an, aok := a.number()
	bn, bok := b.number()
	if a.isNum || b.isNum {
		if !aok || !bok {
			return false // a number against text that is not one
		}
	} else if !aok || !bok {
		as, bs := a.text(), b.text()
		switch op {
		case "=":
			return as == bs
		case "!=":
			return as != bs
		case "<":
			return as < bs
		case "<=":
			return as <= bs
		case ">":
			return as > bs
		}
		return as >= bs
	}
	switch op {
	case "=":
		return an == bn
	case "!=":
		return an != bn
	case "<":
		return an < bn
	case "<=":
		return an <= bn
	case ">":
		return an > bn
	}
	return an >= bn
}

func (e *cmpExpr) eval(r record) value {
	return boolValue(compareValues(e.op, e.l.eval(r), e.r.eval(r)))
}

func (e *inExpr) eval(r record) value {
	x := e.x.eval(r)
	for _, item := range e.list {
		if compareValues("=", x, item.eval(r)) {
			return truth
		}
	}
	return falsity
}

func (e *likeExpr) eval(r record) value {
	x := e.x.eval(r)
	if x.missing {
		return falsity
	}
	if re, ok := e.pat.(*regexLit); ok {
		return boolValue(re.re.MatchString(x.text()))
	}
	return boolValue(strings.Contains(x.text(), e.pat.eval(r).text()))
}

func (e *arithExpr) eval(r record) value {
	a, aok := e.l.eval(r).number()
	b, bok := e.r.eval(r).number()
	if !aok || !bok {
		return missingValue
	}
	switch e.op {
	case '+':
		return numValue(a + b)
	case '-':
		return numValue(a - b)
	case '*':
		return numValue(a * b)
	case '/':
		if b == 0 {
			return missingValue
		}
		return numValue(a / b)
	}
	if b == 0 {
		return missingValue
	}
	return numValue(math.Mod(a, b))
}

func (e *callExpr) eval(r record) value {
	arg := func(i int) value {
		if i < len(e.args) {
			return e.args[i].eval(r)
		}
		return missingValue
	}
	switch e.fn {
	case "ispresent":
		return boolValue(!arg(0).missing)
	case "isipv4insubnet", "isipv6insubnet", "isipinsubnet":
		a, err := netip.ParseAddr(arg(0).text())
		if arg(0).missing || err != nil || a.Zone() != "" {
			return falsity
		}
		p, err := netip.ParsePrefix(arg(1).text())
		if err != nil {
			return falsity
		}
		switch {
		case e.fn == "isipv4insubnet" && !(a.Is4() && p.Addr().Is4()):
			return falsity
		case e.fn == "isipv6insubnet" && !(a.Is6() && !a.Is4In6() && p.Addr().Is6()):
			return falsity
		}
		return boolValue(p.Contains(a))
	case "floor", "ceil", "abs":
		n, ok := arg(0).number()
		if !ok {
			return missingValue
		}
		switch e.fn {
		case "floor":
			return numValue(math.Floor(n))
		case "ceil":
			return numValue(math.Ceil(n))
		}
		return numValue(math.Abs(n))
	case "strlen":
		if arg(0).missing {
			return missingValue
		}
		return numValue(float64(len([]rune(arg(0).text()))))
	case "tolower", "toupper":
		if arg(0).missing {
			return missingValue
		}
		if e.fn == "tolower" {
			return textValue(strings.ToLower(arg(0).text()))
		}
		return textValue(strings.ToUpper(arg(0).text()))
	case "bin":
		ts, ok := r["@timestamp"].number()
		d, err := parsePeriod(exprName(e.args[0]))
		if !ok || err != nil {
			return missingValue
		}
		ms := float64(d.Milliseconds())
		return textValue(formatTimestamp(int64(math.Floor(ts/ms) * ms)))
	}
	return missingValue
}

// parsePeriod reads bin()'s argument: a number and a unit (ms, s, m, h, d, w).
func parsePeriod(s string) (time.Duration, error) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	n, err := strconv.Atoi(s[:i])
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("bad period %q", s)
	}
	unit := map[string]time.Duration{"ms": time.Millisecond, "s": time.Second, "m": time.Minute, "h": time.Hour, "d": 24 * time.Hour, "w": 7 * 24 * time.Hour}[s[i:]]
	if unit == 0 {
		return 0, fmt.Errorf("bad period unit in %q", s)
	}
	return time.Duration(n) * unit, nil
}

// formatTimestamp writes an event time as Insights shows @timestamp and bins.
func formatTimestamp(ms int64) string {
	return time.UnixMilli(ms).UTC().Format("2006-01-02 15:04:05.000")
}

// --- running a query ---

// runInsights runs a parsed query over events, which are in timestamp order.
// maxRows caps the rows a query returns without a limit command.
func runInsights(q *insightsQuery, events []*storedEvent, maxRows int) (rows [][]resultField, matched int) {
	recs := make([]record, 0, len(events))
	for _, e := range events {
		recs = append(recs, record{
			"@timestamp":     numValue(float64(e.key.TS)),
			"@message":       textValue(e.msg),
			"@logStream":     textValue(e.stream),
			"@log":           textValue(AccountID + ":" + e.group),
			"@ingestionTime": numValue(float64(e.key.Ingest)),
			"@ptr":           textValue(e.id),
		})
	}
	var display []string
	aggregated := false
	limit := maxRows
	sorted := false
	for _, cmd := range q.cmds {
		switch c := cmd.(type) {
		case *parseCmd:
			names := c.names
			if names == nil {
				names = c.re.SubexpNames()[1:]
			}
			for _, r := range recs {
				src := r[c.field]
				if src.missing {
					continue
				}
				m := c.re.FindStringSubmatch(src.text())
				if m == nil {
					continue
				}
				for i, name := range names {
					if name != "" && m[i+1] != "" {
						r[name] = textValue(m[i+1])
					}
				}
			}
		case *filterCmd:
			kept := recs[:0]
			for _, r := range recs {
				if c.e.eval(r).truthy() {
					kept = append(kept, r)
				}
			}
			recs = kept
		case *fieldsCmd:
			for _, r := range recs {
				for i, e := range c.exprs {
					if _, isField := e.(*fieldRef); !isField || c.names[i] != exprName(e) {
						r[c.names[i]] = e.eval(r)
					}
				}
			}
			display = c.names
		case *statsCmd:
			matched = len(recs)
			recs = runStats(c, recs)
			display = append(append([]string{}, c.byNames...), aggNames(c)...)
			aggregated = true
		case *sortCmd:
			sortRecords(recs, c)
			sorted = true
		case *limitCmd:
			limit = c.n
		}
	}
	if !aggregated {
		matched = len(recs)
		if !sorted {
			sortRecords(recs, &sortCmd{keys: []string{"@timestamp"}, desc: []bool{true}})
		}
		if display == nil {
			display = []string{"@timestamp", "@message"}
		}
		display = append(display, "@ptr")
	}
	if len(recs) > limit {
		recs = recs[:limit]
	}
	for _, r := range recs {
		var row []resultField
		for _, name := range display {
			v, ok := r[name]
			if !ok || v.missing {
				continue
			}
			text := v.text()
			if name == "@timestamp" || name == "@ingestionTime" {
				n, _ := v.number()
				text = formatTimestamp(int64(n))
			}
			row = append(row, resultField{Field: name, Value: text})
		}
		rows = append(rows, row)
	}
	return rows, matched
}

func aggNames(c *statsCmd) []string {
	out := make([]string, len(c.aggs))
	for i, a := range c.aggs {
		out[i] = a.name
	}
	return out
}

func runStats(c *statsCmd, recs []record) []record {
	type group struct {
		key      []value
		count    []int
		sum      []float64
		min, max []float64
		seen     []map[string]bool
		any      []bool
	}
	groups := map[string]*group{}
	var order []string
	for _, r := range recs {
		key := make([]value, len(c.by))
		var kb strings.Builder
		skip := false
		for i, e := range c.by {
			key[i] = e.eval(r)
			if key[i].missing {
				skip = true // Insights leaves out events without a group-by field
			}
			kb.WriteString(key[i].text())
			kb.WriteByte(0)
		}
		if skip {
			continue
		}
		g, ok := groups[kb.String()]
		if !ok {
			n := len(c.aggs)
			g = &group{key: key, count: make([]int, n), sum: make([]float64, n), min: make([]float64, n), max: make([]float64, n), seen: make([]map[string]bool, n), any: make([]bool, n)}
			groups[kb.String()] = g
			order = append(order, kb.String())
		}
		for i, a := range c.aggs {
			if a.arg == nil {
				g.count[i]++
				continue
			}
			v := a.arg.eval(r)
			if v.missing {
				continue
			}
			switch a.fn {
			case "count":
				g.count[i]++
			case "count_distinct":
				if g.seen[i] == nil {
					g.seen[i] = map[string]bool{}
				}
				g.seen[i][v.text()] = true
			default:
				n, ok := v.number()
				if !ok {
					continue // text that is not a number is left out of sums
				}
				g.count[i]++
				g.sum[i] += n
				if !g.any[i] || n < g.min[i] {
					g.min[i] = n
				}
				if !g.any[i] || n > g.max[i] {
					g.max[i] = n
				}
				g.any[i] = true
			}
		}
	}
	out := make([]record, 0, len(groups))
	for _, k := range order {
		g := groups[k]
		r := record{}
		for i, name := range c.byNames {
			r[name] = g.key[i]
		}
		for i, a := range c.aggs {
			switch a.fn {
			case "count":
				r[a.name] = numValue(float64(g.count[i]))
			case "count_distinct":
				r[a.name] = numValue(float64(len(g.seen[i])))
			case "sum":
				r[a.name] = numValue(g.sum[i])
			case "avg":
				if g.count[i] > 0 {
					r[a.name] = numValue(g.sum[i] / float64(g.count[i]))
				}
			case "min":
				if g.any[i] {
					r[a.name] = numValue(g.min[i])
				}
			case "max":
				if g.any[i] {
					r[a.name] = numValue(g.max[i])
				}
			}
		}
		out = append(out, r)
	}
	return out
}

func sortRecords(recs []record, c *sortCmd) {
	sort.SliceStable(recs, func(i, j int) bool {
		for k, key := range c.keys {
			a, b := recs[i][key], recs[j][key]
			if compareValues("=", a, b) || a.missing && b.missing {
				continue
			}
			less := compareValues("<", a, b) || a.missing && !b.missing
			if c.desc[k] {
				return !less
			}
			return less
		}
		return false
	})
}
