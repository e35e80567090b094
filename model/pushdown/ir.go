package pushdown

import (
	"net/netip"

	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/filter"
)

// Result is one compiled form.
type Result struct {
	// Text is the pattern, query or SQL. An empty pattern matches every event.
	Text string
	// Exact is true when Text keeps exactly the records the filter keeps (and, for a
	// grouping, computes exactly the groups a local count computes); otherwise Text is
	// looser: it may keep more records, never fewer.
	Exact bool
	// Never is true when the filter can match no record of the format (a term on a
	// field the format does not have): a caller need not ask AWS at all.
	Never bool
	// Notes say, one short sentence each, what was made looser and why.
	Notes []string
}

// condOp is a node of the lowered tree.
type condOp uint8

const (
	opTrue condOp = iota
	opFalse
	opAnd
	opOr
	opLeaf
)

// cond is an expression in negation normal form: negations sit only on atoms.
type cond struct {
	op   condOp
	kids []*cond
	atom *atom
	neg  bool
}

// atom is one test of one field (or of the whole record, for a substring). It is true
// only when the field has a value: a missing value (`-`) fails every atom, so the
// negation of an atom keeps the records without a value, as the filter does.
type atom struct {
	kind          filter.LeafKind
	field         model.Field // not used by LeafSubstring
	lo, hi        uint64
	prefix        netip.Prefix
	glob          string
	enum          string
	need, exclude uint8
	text          string
}

var (
	condTrue  = &cond{op: opTrue}
	condFalse = &cond{op: opFalse}
)

// lower turns a parsed expression into negation normal form for one format. Atoms on
// fields the format does not have are constant: no value, so false (true negated).
func lower(n filter.Node, f *model.Format, opts filter.Options, neg bool) (*cond, error) {
	switch n := n.(type) {
	case nil:
		if neg {
			return condFalse, nil
		}
		return condTrue, nil
	case *filter.And, *filter.Or:
		var l, r filter.Node
		isAnd := false
		if a, ok := n.(*filter.And); ok {
			l, r, isAnd = a.L, a.R, true
		} else {
			o := n.(*filter.Or)
			l, r = o.L, o.R
		}
		lc, err := lower(l, f, opts, neg)
		if err != nil {
			return nil, err
		}
		rc, err := lower(r, f, opts, neg)
		if err != nil {
			return nil, err
		}
		if isAnd != neg { // De Morgan
			return and(lc, rc), nil
		}
		return or(lc, rc), nil
	case *filter.Not:
		return lower(n.X, f, opts, !neg)
	}
	l, err := filter.ResolveLeaf(n, opts)
	if err != nil {
		return nil, err
	}
	neg = neg != l.Negated
	if l.Kind == filter.LeafSubstring {
		return leaf(&atom{kind: l.Kind, text: l.Text}, neg), nil
	}
	// Either side: "some field passes"; negated, "no field passes".
	var parts []*cond
	for _, fld := range l.Fields {
		a := &atom{kind: l.Kind, field: fld, lo: l.Lo, hi: l.Hi, prefix: l.Prefix, glob: l.Glob, enum: l.Enum, need: l.Need, exclude: l.Exclude}
		parts = append(parts, leaf(a, neg))
	}
	if neg {
		return and(parts...), nil
	}
	return or(parts...), nil
}

// leaf builds a (possibly negated) atom, folding the atoms that are constant.
func leaf(a *atom, neg bool) *cond {
	if a.never() {
		if neg {
			return condTrue
		}
		return condFalse
	}
	return &cond{op: opLeaf, atom: a, neg: neg}
}

// never reports whether no value passes the atom whatever the record.
func (a *atom) never() bool {
	switch a.kind {
	case filter.LeafNumber:
		return a.lo > a.hi
	case filter.LeafAddr:
		return !a.prefix.IsValid()
	}
	return false
}

func and(kids ...*cond) *cond { return join(opAnd, kids) }
func or(kids ...*cond) *cond  { return join(opOr, kids) }

// join flattens nested nodes of the same operator and folds constants.
func join(op condOp, kids []*cond) *cond {
	unit, zero := condTrue, condFalse
	if op == opOr {
		unit, zero = condFalse, condTrue
	}
	var out []*cond
	for _, k := range kids {
		switch {
		case k.op == unit.op:
			continue
		case k.op == zero.op:
			return zero
		case k.op == op:
			out = append(out, k.kids...)
		default:
			out = append(out, k)
		}
	}
	switch len(out) {
	case 0:
		return unit
	case 1:
		return out[0]
	}
	return &cond{op: op, kids: out}
}

// restrictToFormat replaces atoms on fields the format lacks by their constant value.
func restrictToFormat(c *cond, f *model.Format) *cond {
	switch c.op {
	case opAnd, opOr:
		kids := make([]*cond, len(c.kids))
		for i, k := range c.kids {
			kids[i] = restrictToFormat(k, f)
		}
		return join(c.op, kids)
	case opLeaf:
		if c.atom.kind != filter.LeafSubstring && f.Column(c.atom.field) < 0 {
			if c.neg {
				return condTrue
			}
			return condFalse
		}
	}
	return c
}

// compile parses nothing: it lowers an already parsed expression for one format.
func compile(n filter.Node, f *model.Format, opts filter.Options) (*cond, error) {
	if f == nil {
		f = model.DefaultFormat
	}
	if len(opts.Formats) == 0 {
		opts.Formats = []*model.Format{f}
	}
	c, err := lower(n, f, opts, false)
	if err != nil {
		return nil, err
	}
	return restrictToFormat(c, f), nil
}

// fieldsOf lists the fields the condition tests (substrings count as none).
func fieldsOf(c *cond, into map[model.Field]bool) map[model.Field]bool {
	if into == nil {
		into = map[model.Field]bool{}
	}
	switch c.op {
	case opAnd, opOr:
		for _, k := range c.kids {
			fieldsOf(k, into)
		}
	case opLeaf:
		if c.atom.kind == filter.LeafSubstring {
			into[substringField] = true
		} else {
			into[c.atom.field] = true
		}
	}
	return into
}

// substringField stands for "the whole record" in fieldsOf.
const substringField = model.Field(255)

// conjuncts returns the top-level parts of an And (or the node itself).
func conjuncts(c *cond) []*cond {
	if c.op == opAnd {
		return c.kids
	}
	return []*cond{c}
}
