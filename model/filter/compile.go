package filter

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/flowlens/flowlens/model"
)

// Pred is a compiled expression over some subject: records for the table, pairs for the
// pairs view.
type Pred[T any] func(T) bool

// Build compiles a tree with leaf compiling its terms and words; the boolean structure is
// the same for every subject, which is why the pairs view can reuse the language.
func Build[T any](n Node, leaf func(Node) (Pred[T], error)) (Pred[T], error) {
	switch n := n.(type) {
	case nil:
		return func(T) bool { return true }, nil
	case *And:
		l, err := Build(n.L, leaf)
		if err != nil {
			return nil, err
		}
		r, err := Build(n.R, leaf)
		if err != nil {
			return nil, err
		}
		return func(x T) bool { return l(x) && r(x) }, nil
	case *Or:
		l, err := Build(n.L, leaf)
		if err != nil {
			return nil, err
		}
		r, err := Build(n.R, leaf)
		if err != nil {
			return nil, err
		}
		return func(x T) bool { return l(x) || r(x) }, nil
	case *Not:
		x, err := Build(n.X, leaf)
		if err != nil {
			return nil, err
		}
		return func(v T) bool { return !x(v) }, nil
	}
	return leaf(n)
}

// Options adjusts compilation.
type Options struct {
	// Formats whose unknown columns may be named in terms (e.g. a column of a newer
	// flow-log version that flowlens does not know yet).
	Formats []*model.Format
	// Now is the moment the expression is applied: `start>=15m` is 15 minutes before
	// it, `start>=09:10` is 09:10 on its day. Relative times are resolved once, at
	// compile, so a filter does not drift while records arrive. Zero: the time of the
	// call.
	Now time.Time
	// Location is the time zone of times written without an offset (09:10,
	// 2024-05-01T10:30, 2024-05-01): the zone the times are shown in. nil is UTC.
	Location *time.Location
}

// Filter is a compiled expression over records. A Filter keeps small caches, so it is
// not safe for concurrent use: compile one per goroutine.
type Filter struct {
	src      string
	match    Pred[*model.Flow]
	all      bool
	warnings []*Error
	needles  Needles
}

// Compile parses and compiles src. An empty expression gives a Filter that matches
// everything.
func Compile(src string, opts Options) (*Filter, error) {
	n, err := Parse(src)
	if err != nil {
		return nil, err
	}
	c := newCompiler(opts)
	match, err := Build(n, c.leaf)
	if err != nil {
		return nil, err
	}
	return &Filter{src: src, match: match, all: n == nil, warnings: Lint(n), needles: c.needlesOf(n)}, nil
}

// Warnings are what in the expression compiled but probably does not say what was
// meant, such as a bare word one letter from a keyword ("rejct" is a text search that
// matches nothing). The explorer shows them beside the filter; the commands print them
// on stderr and go on.
func (f *Filter) Warnings() []*Error {
	if f == nil {
		return nil
	}
	return f.warnings
}

// MustCompile is Compile for expressions written in the code.
func MustCompile(src string) *Filter {
	f, err := Compile(src, Options{})
	if err != nil {
		panic(err)
	}
	return f
}

// Match reports whether the record matches.
func (f *Filter) Match(r *model.Flow) bool { return f.match(r) }

// All reports whether the filter matches every record (the expression was empty), so a
// caller can skip calling it.
func (f *Filter) All() bool { return f == nil || f.all }

// String is the expression as typed.
func (f *Filter) String() string { return f.src }

// FlowLeaf compiles one term or word of the record language; the pairs view calls it for
// the terms that are about records.
func FlowLeaf(n Node, opts Options) (Pred[*model.Flow], error) {
	c := newCompiler(opts)
	return c.leaf(n)
}

type compiler struct {
	opts Options
	now  time.Time // opts.Now, or the time of the compile: one instant for every term
}

func newCompiler(opts Options) *compiler {
	c := &compiler{opts: opts, now: opts.Now}
	if c.now.IsZero() {
		c.now = time.Now()
	}
	return c
}

func (c *compiler) leaf(n Node) (Pred[*model.Flow], error) {
	switch n := n.(type) {
	case *Term:
		return c.term(n)
	case *Word:
		return c.word(n)
	}
	return nil, errorf(n.Pos(), "unexpected expression")
}

// Bare words with a meaning of their own; any other word is a substring of the record.
var bareWords = map[string]string{
	"accept":   "action=ACCEPT",
	"reject":   "action=REJECT",
	"ingress":  "flow-direction=ingress",
	"egress":   "flow-direction=egress",
	"nodata":   "log-status=NODATA",
	"skipdata": "log-status=SKIPDATA",
	"tcp":      "protocol=6",
	"udp":      "protocol=17",
	"icmp":     "protocol=1",
	"icmpv6":   "protocol=58",
}

func (c *compiler) word(w *Word) (Pred[*model.Flow], error) {
	if !w.Quoted {
		if meaning, ok := bareWords[strings.ToLower(w.Text)]; ok {
			field, value, _ := strings.Cut(meaning, "=")
			return c.term(&Term{Field: field, Op: OpEq, Value: value, FieldPos: w.At, ValuePos: w.At})
		}
	}
	if w.Text == "" {
		return nil, errorf(w.At, "empty string")
	}
	return substring(w.Text), nil
}

// Aliases are the short names people type; they are listed in docs/filter.md.
var Aliases = map[string]string{
	"src":       "srcaddr",
	"dst":       "dstaddr",
	"sport":     "srcport",
	"dport":     "dstport",
	"proto":     "protocol",
	"eni":       "interface-id",
	"interface": "interface-id",
	"account":   "account-id",
	"flags":     "tcp-flags",
	"status":    "log-status",
	"dir":       "flow-direction",
	"direction": "flow-direction",
	"vpc":       "vpc-id",
	"subnet":    "subnet-id",
	"instance":  "instance-id",
	"path":      "traffic-path",
	"pkts":      "packets",
}

// conversationFields are the terms of the pairs filter (model/pairs), which judge a
// conversation rather than a record: named in a record filter, they get a pointer to
// where they work instead of a guess at a record field.
var conversationFields = map[string]bool{"verdict": true, "blocked": true, "initiator": true, "responder": true,
	"joint-verdict": true, "peer": true}

// pseudo fields that test both sides of a record
const (
	pseudoAddr = "addr"
	pseudoPort = "port"
)

// ResolveField maps a field name as the filter language reads it (an AWS name, an alias,
// `_` for `-`, any case, a custom column of opts.Formats) to its field, so that flags
// naming fields (stats --by) accept the same names as --filter. The either-side names
// addr and port are not one field: they give either = true and no field. An unknown name
// gives an *Error (its Pos is 1) with a suggestion.
func ResolveField(name string, opts Options) (f model.Field, either bool, err error) {
	c := newCompiler(opts)
	f, pseudo, err := c.resolveField(name, 1)
	return f, pseudo != "", err
}

// resolveField maps a typed name to a field: AWS names, aliases, `_` for `-`, any case.
func (c *compiler) resolveField(name string, pos int) (model.Field, string, error) {
	norm := strings.ToLower(strings.ReplaceAll(name, "_", "-"))
	if full, ok := Aliases[norm]; ok {
		norm = full
	}
	if norm == pseudoAddr || norm == pseudoPort {
		return 0, norm, nil
	}
	if f, ok := model.FieldByName(norm); ok {
		return f, "", nil
	}
	for _, fm := range c.opts.Formats {
		if f, ok := fm.Custom(norm); ok {
			return f, "", nil
		}
	}
	e := &Error{Pos: pos, Msg: fmt.Sprintf("unknown field '%s'", name)}
	if conversationFields[norm] {
		// A term of the pairs language typed where records are filtered.
		e.Hint = fmt.Sprintf("%s is about conversations, not records: use it with flowlens pairs, or in the explorer's conversations view", norm)
	} else if s := suggest(norm, fieldNames(c.opts)); s != "" {
		e.Hint = fmt.Sprintf("did you mean '%s'?", s)
	} else {
		e.Hint = "see docs/filter.md for the field names"
	}
	return 0, "", e
}

func fieldNames(opts Options) []string {
	var names []string
	for _, f := range model.KnownFields() {
		names = append(names, f.Name())
	}
	aliases := make([]string, 0, len(Aliases))
	for a := range Aliases {
		aliases = append(aliases, a)
	}
	sort.Strings(aliases) // a deterministic order, so ties in suggest are stable
	names = append(names, aliases...)
	names = append(names, pseudoAddr, pseudoPort)
	for _, fm := range opts.Formats {
		for i, f := range fm.Fields {
			if !f.Known() {
				names = append(names, fm.Names[i])
			}
		}
	}
	return names
}

func (c *compiler) term(t *Term) (Pred[*model.Flow], error) {
	f, pseudo, err := c.resolveField(t.Field, t.FieldPos)
	if err != nil {
		return nil, err
	}
	switch pseudo {
	case pseudoAddr:
		return c.eitherSide(t, model.FSrcAddr, model.FDstAddr)
	case pseudoPort:
		return c.eitherSide(t, model.FSrcPort, model.FDstPort)
	}
	return c.fieldPred(t, f)
}

// eitherSide builds `addr=X` as "srcaddr=X or dstaddr=X", and `addr!=X` as its negation:
// neither side is X, which is what a person means by it.
func (c *compiler) eitherSide(t *Term, a, b model.Field) (Pred[*model.Flow], error) {
	if t.Op != OpEq && t.Op != OpNe {
		return nil, &Error{Pos: t.ValuePos, Msg: fmt.Sprintf("'%s' compares only with = or !=", t.Field)}
	}
	eq := *t
	eq.Op = OpEq
	pa, err := c.fieldPred(&eq, a)
	if err != nil {
		return nil, err
	}
	pb, err := c.fieldPred(&eq, b)
	if err != nil {
		return nil, err
	}
	if t.Op == OpNe {
		return func(r *model.Flow) bool { return !pa(r) && !pb(r) }, nil
	}
	return func(r *model.Flow) bool { return pa(r) || pb(r) }, nil
}
