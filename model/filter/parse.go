// Package filter owns the filter language people type to narrow the records: terms such
// as `action=REJECT dstport=22`, CIDRs, port ranges, protocol and flag names, boolean
// operators and bare words. An expression is parsed once into a tree and compiled into a
// predicate; the explorer and the headless commands use the same compiled form.
package filter

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Node is a parsed expression.
type Node interface {
	// Pos is the 1-based column of the node's first character, for messages.
	Pos() int
}

// And, Or and Not combine expressions.
type (
	And struct{ L, R Node }
	Or  struct{ L, R Node }
	Not struct {
		X   Node
		pos int
	}
)

// Term is `field op value`.
type Term struct {
	Field    string // as typed
	Op       Op
	Value    string
	FieldPos int // 1-based columns
	ValuePos int
}

// Word is a bare word or a quoted string.
type Word struct {
	Text   string
	Quoted bool
	At     int
}

func (n *And) Pos() int  { return n.L.Pos() }
func (n *Or) Pos() int   { return n.L.Pos() }
func (n *Not) Pos() int  { return n.pos }
func (n *Term) Pos() int { return n.FieldPos }
func (n *Word) Pos() int { return n.At }

// Op is a comparison operator.
type Op uint8

const (
	OpEq Op = iota
	OpNe
	OpLt
	OpLe
	OpGt
	OpGe
)

func (o Op) String() string { return [...]string{"=", "!=", "<", "<=", ">", ">="}[o] }

// Error is a mistake in an expression, with the column where it was found.
type Error struct {
	Pos  int    // 1-based column
	Msg  string // what is wrong, e.g. "unknown field 'dsport'"
	Hint string // what to do, e.g. "did you mean 'dstport'?"; may be empty
}

func (e *Error) Error() string {
	if e.Hint == "" {
		return fmt.Sprintf("%s at %d", e.Msg, e.Pos)
	}
	return fmt.Sprintf("%s at %d, %s", e.Msg, e.Pos, e.Hint)
}

// Lines is the error as lines of at most width columns, for a bar or a terminal too
// narrow for Error() on one line: the message with its column first, then the hint, each
// broken at spaces (a word longer than width is cut). width < 1 gives one line for the
// message and one for the hint. Columns are runes: the text is the expression's, which
// the caller has cleaned of control sequences.
func (e *Error) Lines(width int) []string {
	lines := wrapText(fmt.Sprintf("%s at %d", e.Msg, e.Pos), width)
	if e.Hint != "" {
		lines = append(lines, wrapText(e.Hint, width)...)
	}
	return lines
}

// wrapText breaks s at spaces into lines of at most width runes.
func wrapText(s string, width int) []string {
	if width < 1 {
		return []string{s}
	}
	var lines []string
	line := ""
	for _, word := range strings.Fields(s) {
		for utf8.RuneCountInString(word) > width {
			if line != "" {
				lines = append(lines, line)
				line = ""
			}
			r := []rune(word)
			lines = append(lines, string(r[:width]))
			word = string(r[width:])
		}
		switch {
		case line == "":
			line = word
		case utf8.RuneCountInString(line)+1+utf8.RuneCountInString(word) <= width:
			line += " " + word
		default:
			lines = append(lines, line)
			line = word
		}
	}
	if line != "" || len(lines) == 0 {
		lines = append(lines, line)
	}
	return lines
}

func errorf(pos int, format string, args ...any) *Error {
	return &Error{Pos: pos, Msg: fmt.Sprintf(format, args...)}
}

// token kinds
type tokKind uint8

const (
	tEOF tokKind = iota
	tWord
	tString
	tOp
	tNot // ! (alone)
	tLParen
	tRParen
)

type token struct {
	kind tokKind
	text string
	op   Op
	pos  int // 1-based column
}

// maxExpr bounds what is parsed, so a pasted megabyte cannot stall a keystroke.
const maxExpr = 4096

// lex splits src into tokens. Words run until white space, a parenthesis, a quote or an
// operator character, so `dstport=22` needs no spaces and IPv6 literals and CIDRs stay
// whole.
func lex(src string) ([]token, error) {
	var toks []token
	col := func(i int) int { return utf8.RuneCountInString(src[:i]) + 1 }
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(':
			toks = append(toks, token{kind: tLParen, text: "(", pos: col(i)})
			i++
		case c == ')':
			toks = append(toks, token{kind: tRParen, text: ")", pos: col(i)})
			i++
		case c == '"' || c == '\'':
			var b strings.Builder
			j := i + 1
			closed := false
			for j < len(src) {
				if src[j] == '\\' && j+1 < len(src) {
					b.WriteByte(src[j+1])
					j += 2
					continue
				}
				if src[j] == c {
					closed = true
					break
				}
				b.WriteByte(src[j])
				j++
			}
			if !closed {
				return nil, &Error{Pos: col(i), Msg: "unclosed quote", Hint: fmt.Sprintf("add a closing %c", c)}
			}
			toks = append(toks, token{kind: tString, text: b.String(), pos: col(i)})
			i = j + 1
		case c == '=' || c == '<' || c == '>' || c == '!':
			t := token{kind: tOp, pos: col(i)}
			next := byte(0)
			if i+1 < len(src) {
				next = src[i+1]
			}
			switch {
			case c == '=' && next == '=':
				t.op, t.text, i = OpEq, "==", i+2
			case c == '=':
				t.op, t.text, i = OpEq, "=", i+1
			case c == '!' && next == '=':
				t.op, t.text, i = OpNe, "!=", i+2
			case c == '!':
				t.kind, t.text, i = tNot, "!", i+1
			case c == '<' && next == '=':
				t.op, t.text, i = OpLe, "<=", i+2
			case c == '<':
				t.op, t.text, i = OpLt, "<", i+1
			case c == '>' && next == '=':
				t.op, t.text, i = OpGe, ">=", i+2
			default:
				t.op, t.text, i = OpGt, ">", i+1
			}
			toks = append(toks, t)
		case c == '&' && i+1 < len(src) && src[i+1] == '&':
			toks = append(toks, token{kind: tWord, text: "and", pos: col(i)})
			i += 2
		case c == '|' && i+1 < len(src) && src[i+1] == '|':
			toks = append(toks, token{kind: tWord, text: "or", pos: col(i)})
			i += 2
		default:
			j := i
			for j < len(src) && !strings.ContainsRune(" \t\r\n()\"'=<>!", rune(src[j])) {
				if src[j] == '&' && j+1 < len(src) && src[j+1] == '&' || src[j] == '|' && j+1 < len(src) && src[j+1] == '|' {
					break
				}
				j++
			}
			toks = append(toks, token{kind: tWord, text: src[i:j], pos: col(i)})
			i = j
		}
	}
	return append(toks, token{kind: tEOF, pos: utf8.RuneCountInString(src) + 1}), nil
}

// Parse reads an expression. An empty (or blank) expression gives a nil Node, which
// matches everything.
func Parse(src string) (Node, error) {
	if len(src) > maxExpr {
		return nil, &Error{Pos: maxExpr, Msg: "expression too long", Hint: fmt.Sprintf("keep it under %d characters", maxExpr)}
	}
	toks, err := lex(src)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	if p.peek().kind == tEOF {
		return nil, nil
	}
	n, err := p.or()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tEOF {
		if t.kind == tRParen {
			return nil, &Error{Pos: t.pos, Msg: "unmatched ')'", Hint: "remove it or add a '(' before"}
		}
		return nil, errorf(t.pos, "unexpected %q", t.text)
	}
	return n, nil
}

type parser struct {
	toks  []token
	i     int
	depth int
}

func (p *parser) peek() token { return p.toks[p.i] }
func (p *parser) next() token { t := p.toks[p.i]; p.i++; return t }

func isKeyword(t token, kw string) bool { return t.kind == tWord && strings.EqualFold(t.text, kw) }

func (p *parser) or() (Node, error) {
	l, err := p.and()
	if err != nil {
		return nil, err
	}
	for isKeyword(p.peek(), "or") {
		p.next()
		r, err := p.and()
		if err != nil {
			return nil, err
		}
		l = &Or{l, r}
	}
	return l, nil
}

// and reads juxtaposed terms; an explicit "and" between them is optional.
func (p *parser) and() (Node, error) {
	l, err := p.unary()
	if err != nil {
		return nil, err
	}
	for {
		t := p.peek()
		if t.kind == tEOF || t.kind == tRParen || isKeyword(t, "or") {
			return l, nil
		}
		if isKeyword(t, "and") {
			p.next()
		}
		r, err := p.unary()
		if err != nil {
			return nil, err
		}
		l = &And{l, r}
	}
}

// maxDepth bounds nesting so that a pathological expression cannot exhaust the stack.
const maxDepth = 100

func (p *parser) unary() (Node, error) {
	t := p.peek()
	if t.kind == tNot || isKeyword(t, "not") {
		p.next()
		p.depth++
		defer func() { p.depth-- }()
		if p.depth > maxDepth {
			return nil, errorf(t.pos, "expression nested too deeply")
		}
		x, err := p.unary()
		if err != nil {
			return nil, err
		}
		return &Not{X: x, pos: t.pos}, nil
	}
	return p.primary()
}

func (p *parser) primary() (Node, error) {
	t := p.next()
	switch t.kind {
	case tLParen:
		p.depth++
		defer func() { p.depth-- }()
		if p.depth > maxDepth {
			return nil, errorf(t.pos, "expression nested too deeply")
		}
		if p.peek().kind == tRParen {
			return nil, errorf(t.pos, "empty parentheses")
		}
		n, err := p.or()
		if err != nil {
			return nil, err
		}
		if c := p.next(); c.kind != tRParen {
			return nil, &Error{Pos: t.pos, Msg: "unclosed '('", Hint: "add a ')'"}
		}
		return n, nil
	case tWord:
		if kw := strings.ToLower(t.text); kw == "and" || kw == "or" {
			return nil, &Error{Pos: t.pos, Msg: fmt.Sprintf("%q needs an expression before it", t.text)}
		}
		if op := p.peek(); op.kind == tOp {
			p.next()
			v := p.next()
			if v.kind != tWord && v.kind != tString {
				return nil, &Error{Pos: op.pos, Msg: fmt.Sprintf("missing value after '%s%s'", t.text, op.text)}
			}
			return &Term{Field: t.text, Op: op.op, Value: v.text, FieldPos: t.pos, ValuePos: v.pos}, nil
		}
		return &Word{Text: t.text, At: t.pos}, nil
	case tString:
		return &Word{Text: t.text, Quoted: true, At: t.pos}, nil
	case tOp:
		return nil, &Error{Pos: t.pos, Msg: fmt.Sprintf("missing field name before '%s'", t.text), Hint: "write it as field" + t.text + "value"}
	case tRParen:
		return nil, &Error{Pos: t.pos, Msg: "unmatched ')'"}
	case tEOF:
		return nil, &Error{Pos: t.pos, Msg: "expression ends too early"}
	}
	return nil, errorf(t.pos, "unexpected %q", t.text)
}

// String writes the tree back as an expression with explicit operators and parentheses;
// tests use it to check precedence.
func String(n Node) string {
	switch n := n.(type) {
	case nil:
		return ""
	case *And:
		return "(" + String(n.L) + " and " + String(n.R) + ")"
	case *Or:
		return "(" + String(n.L) + " or " + String(n.R) + ")"
	case *Not:
		return "not " + String(n.X)
	case *Term:
		return n.Field + n.Op.String() + quoteIfNeeded(n.Value)
	case *Word:
		if n.Quoted {
			return quote(n.Text)
		}
		return n.Text
	}
	return "?"
}

func quoteIfNeeded(s string) string {
	if s == "" || strings.ContainsAny(s, " \t\r\n()\"'=<>!&|\\") {
		return quote(s)
	}
	return s
}

// quote writes s as the lexer reads quoted strings: a backslash takes the next byte
// literally.
func quote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	return `"` + r.Replace(s) + `"`
}
