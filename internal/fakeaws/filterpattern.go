package fakeaws

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// filterPattern is the subset of the CloudWatch Logs filter pattern syntax the fake
// understands:
//
//   - terms that must all occur (case-sensitive, as AWS documents), "quoted phrases",
//     and -term exclusions;
//   - the space-delimited form, [name, name=value, ...], described at
//     spaceDelimited.
//
// JSON ({...}) and ?OR patterns are refused rather than matched wrongly, so a test
// never passes on a pattern the fake cannot judge.
type filterPattern struct {
	include []string
	exclude []string
	fields  *spaceDelimited
}

func parseFilterPattern(p string) (filterPattern, *apiError) {
	var f filterPattern
	p = strings.TrimSpace(p)
	if p == "" {
		return f, nil
	}
	if strings.HasPrefix(p, "[") {
		sd, err := parseSpaceDelimited(p)
		if err != nil {
			return f, invalidParameter("Invalid filter pattern: " + err.Error())
		}
		f.fields = sd
		return f, nil
	}
	if strings.HasPrefix(p, "{") || strings.HasPrefix(p, "?") || strings.Contains(p, " ?") || strings.Contains(p, "%") {
		return f, invalidParameter("fakeaws: only plain-term and space-delimited filter patterns are implemented, not " + p)
	}
	for _, tok := range splitTerms(p) {
		if rest, ok := strings.CutPrefix(tok, "-"); ok && rest != "" {
			f.exclude = append(f.exclude, rest)
			continue
		}
		f.include = append(f.include, tok)
	}
	return f, nil
}

// splitTerms splits on white space, keeping "quoted phrases" together.
func splitTerms(p string) []string {
	var out []string
	var cur strings.Builder
	quoted := false
	flush := func() {
		if cur.Len() > 0 {
			out = append(out, cur.String())
			cur.Reset()
		}
	}
	for _, r := range p {
		switch {
		case r == '"':
			quoted = !quoted
		case !quoted && (r == ' ' || r == '\t'):
			flush()
		default:
			cur.WriteRune(r)
		}
	}
	flush()
	return out
}

func (f filterPattern) match(msg string) bool {
	if f.fields != nil {
		return f.fields.match(msg)
	}
	for _, t := range f.include {
		if !strings.Contains(msg, t) {
			return false
		}
	}
	for _, t := range f.exclude {
		if strings.Contains(msg, t) {
			return false
		}
	}
	return true
}

// spaceDelimited is a pattern such as [ip, user, status_code=4* && status_code!=403,
// bytes>1000], following AWS's "Filter pattern syntax" page:
//
//   - The event is split into fields at runs of spaces; characters between [ and ] or
//     between double quotes form one field (without them). Without an ellipsis (...) the
//     event must have exactly as many fields as the pattern names; "..." stands for any
//     number of fields.
//   - A field's conditions are comparisons joined by && or || (not both: AWS does not
//     document how they mix, so the fake refuses it).
//   - <, <=, >, >= compare numbers, and so do = and != when the value is an unquoted
//     number. A field that is not a number (such as "-" in a NODATA record) fails every
//     numeric comparison, != included: the documentation does not say, and this is the
//     strict reading, the one a safe pattern must survive.
//   - = and != with any other value compare text, case-sensitively; an unquoted value
//     may start or end with *, which matches any run of characters. A * inside the value
//     is itself (the documentation's "Ev*ent only matches Ev*ent").
//   - %regex% values search the field with a regular expression (=, or != for its
//     negation), restricted as AWS restricts them: no parentheses, only letters, digits,
//     _ # = @ / ; , - and the operators ^ $ ? [ ] { } | \ * + . ; at most two in a
//     pattern.
type spaceDelimited struct {
	names []string // "..." for an ellipsis
	conds [][]fieldCond
	or    []bool
}

type fieldCond struct {
	name  string
	op    string
	num   float64
	isNum bool
	text  string
	re    *regexp.Regexp
}

// maxPatternRegex is AWS's limit of regular expressions in a delimited pattern.
const maxPatternRegex = 2

var (
	patternName  = regexp.MustCompile(`^[A-Za-z_$][A-Za-z0-9_$]*$`)
	regexAllowed = regexp.MustCompile(`^[A-Za-z0-9_#=@/;,\-^$?\[\]{}|\\*+.]*$`)
)

func parseSpaceDelimited(p string) (*spaceDelimited, error) {
	if !strings.HasSuffix(p, "]") {
		return nil, fmt.Errorf("a space-delimited pattern ends with ]")
	}
	body := p[1 : len(p)-1]
	sd := &spaceDelimited{}
	regexes := 0
	for _, part := range splitFields(body) {
		part = strings.TrimSpace(part)
		if part == "" {
			return nil, fmt.Errorf("empty field in %s", p)
		}
		if part == "..." {
			sd.names = append(sd.names, "...")
			sd.conds = append(sd.conds, nil)
			sd.or = append(sd.or, false)
			continue
		}
		hasAnd, hasOr := strings.Contains(part, "&&"), strings.Contains(part, "||")
		if hasAnd && hasOr {
			return nil, fmt.Errorf("fakeaws: && and || mixed in one field: %s", part)
		}
		sep := "&&"
		if hasOr {
			sep = "||"
		}
		var conds []fieldCond
		name := ""
		for _, c := range strings.Split(part, sep) {
			fc, err := parseFieldCond(strings.TrimSpace(c))
			if err != nil {
				return nil, err
			}
			if fc.re != nil {
				regexes++
			}
			if name == "" {
				name = fc.name
			}
			if fc.op != "" {
				conds = append(conds, fc)
			}
		}
		sd.names = append(sd.names, name)
		sd.conds = append(sd.conds, conds)
		sd.or = append(sd.or, hasOr)
	}
	if regexes > maxPatternRegex {
		return nil, fmt.Errorf("at most %d regular expressions are allowed in a filter pattern", maxPatternRegex)
	}
	for _, conds := range sd.conds {
		for _, c := range conds {
			if sd.index(c.name) < 0 {
				return nil, fmt.Errorf("condition on %s, which the pattern does not name", c.name)
			}
		}
	}
	return sd, nil
}

// splitFields splits at commas outside quotes and %regex% values.
func splitFields(s string) []string {
	var out []string
	start, quoted, regex := 0, false, false
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '"':
			if !regex {
				quoted = !quoted
			}
		case '%':
			if !quoted {
				regex = !regex
			}
		case ',':
			if !quoted && !regex {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

func parseFieldCond(s string) (fieldCond, error) {
	i := strings.IndexAny(s, "=!<>")
	if i < 0 {
		if !patternName.MatchString(s) {
			return fieldCond{}, fmt.Errorf("bad field name %q", s)
		}
		return fieldCond{name: s}, nil
	}
	fc := fieldCond{name: strings.TrimSpace(s[:i])}
	if !patternName.MatchString(fc.name) {
		return fieldCond{}, fmt.Errorf("bad field name %q", fc.name)
	}
	rest := s[i:]
	for _, op := range []string{"!=", "<=", ">=", "=", "<", ">"} {
		if strings.HasPrefix(rest, op) {
			fc.op, rest = op, strings.TrimSpace(rest[len(op):])
			break
		}
	}
	if fc.op == "" || rest == "" {
		return fieldCond{}, fmt.Errorf("bad condition %q", s)
	}
	switch {
	case len(rest) >= 2 && rest[0] == '%' && rest[len(rest)-1] == '%':
		expr := rest[1 : len(rest)-1]
		if fc.op != "=" && fc.op != "!=" {
			return fieldCond{}, fmt.Errorf("a regex compares only with = or !=: %q", s)
		}
		if strings.ContainsAny(expr, "()") || !regexAllowed.MatchString(expr) {
			return fieldCond{}, fmt.Errorf("unsupported regex %q", expr)
		}
		re, err := regexp.Compile(expr)
		if err != nil {
			return fieldCond{}, fmt.Errorf("bad regex %q: %v", expr, err)
		}
		fc.re = re
	case len(rest) >= 2 && rest[0] == '"' && rest[len(rest)-1] == '"':
		fc.text = rest[1 : len(rest)-1]
		if fc.op != "=" && fc.op != "!=" {
			return fieldCond{}, fmt.Errorf("text compares only with = or !=: %q", s)
		}
	default:
		if n, err := strconv.ParseFloat(rest, 64); err == nil {
			fc.num, fc.isNum = n, true
		} else if fc.op != "=" && fc.op != "!=" {
			return fieldCond{}, fmt.Errorf("%s needs a number: %q", fc.op, s)
		} else {
			fc.text = rest
			fc.op += "*" // an unquoted text value: wildcards at its ends
		}
	}
	return fc, nil
}

func (sd *spaceDelimited) index(name string) int {
	for i, n := range sd.names {
		if n == name {
			return i
		}
	}
	return -1
}

// tokens splits an event into fields the way the space-delimited form does.
func tokens(msg string) []string {
	var out []string
	for i := 0; i < len(msg); {
		switch c := msg[i]; {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '"' || c == '[':
			end := byte('"')
			if c == '[' {
				end = ']'
			}
			j := strings.IndexByte(msg[i+1:], end)
			if j < 0 {
				out = append(out, msg[i:])
				return out
			}
			out = append(out, msg[i+1:i+1+j])
			i += j + 2
		default:
			j := i
			for j < len(msg) && msg[j] != ' ' && msg[j] != '\t' && msg[j] != '\n' && msg[j] != '\r' {
				j++
			}
			out = append(out, msg[i:j])
			i = j
		}
	}
	return out
}

func (sd *spaceDelimited) match(msg string) bool {
	toks := tokens(msg)
	values, ok := sd.bind(toks)
	if !ok {
		return false
	}
	for i, conds := range sd.conds {
		if len(conds) == 0 {
			continue
		}
		pass := !sd.or[i]
		for _, c := range conds {
			v := c.eval(values[c.name])
			if sd.or[i] {
				pass = pass || v
			} else {
				pass = pass && v
			}
		}
		if !pass {
			return false
		}
	}
	return true
}

// bind assigns tokens to the named fields; an ellipsis takes as many as it must.
func (sd *spaceDelimited) bind(toks []string) (map[string]string, bool) {
	ellipses := 0
	for _, n := range sd.names {
		if n == "..." {
			ellipses++
		}
	}
	named := len(sd.names) - ellipses
	if ellipses == 0 && len(toks) != named || len(toks) < named {
		return nil, false
	}
	// Ellipses share the extra tokens; the first takes them all (AWS's examples use one).
	extra := len(toks) - named
	values := map[string]string{}
	t := 0
	for _, n := range sd.names {
		if n == "..." {
			t += extra
			extra = 0
			continue
		}
		values[n] = toks[t]
		t++
	}
	return values, true
}

func (c fieldCond) eval(v string) bool {
	if c.re != nil {
		return c.re.MatchString(v) == (c.op == "=")
	}
	if c.isNum {
		n, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return false
		}
		switch c.op {
		case "=":
			return n == c.num
		case "!=":
			return n != c.num
		case "<":
			return n < c.num
		case "<=":
			return n <= c.num
		case ">":
			return n > c.num
		}
		return n >= c.num
	}
	switch c.op {
	case "=":
		return v == c.text
	case "!=":
		return v != c.text
	case "=*":
		return edgeWildcard(c.text, v)
	}
	return !edgeWildcard(c.text, v) // "!=*"
}

// edgeWildcard matches a value with * allowed only at its start and end.
func edgeWildcard(pattern, v string) bool {
	lead := strings.HasPrefix(pattern, "*")
	trail := len(pattern) > 1 && strings.HasSuffix(pattern, "*") || pattern == "*" && !lead
	core := pattern
	if lead {
		core = core[1:]
	}
	if trail && core != "" {
		core = core[:len(core)-1]
	}
	switch {
	case pattern == "*":
		return true
	case lead && trail:
		return strings.Contains(v, core)
	case lead:
		return strings.HasSuffix(v, core)
	case trail:
		return strings.HasPrefix(v, core)
	}
	return v == core
}
