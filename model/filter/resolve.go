package filter

import (
	"fmt"
	"math"
	"net/netip"
	"strings"

	"github.com/flowlens/flowlens/model"
)

// LeafKind says what kind of test a term or word is, once its field and value are
// resolved.
type LeafKind uint8

const (
	// LeafNumber: the field has a value in [Lo, Hi] (numbers, ports, protocols, times,
	// numeric tcp-flags). Lo > Hi is a test no value passes.
	LeafNumber LeafKind = iota
	// LeafAddr: the field holds an address inside Prefix.
	LeafAddr
	// LeafString: the field has a value matching Glob, case-insensitively.
	LeafString
	// LeafEnum: the field's value is Enum (action, log-status, flow-direction).
	LeafEnum
	// LeafFlags: tcp-flags has every bit of Need and none of Exclude.
	LeafFlags
	// LeafSubstring: the record, as the flow log wrote it, contains Text ignoring case.
	LeafSubstring
)

// Leaf is what one term or word of the record language tests, in a form another
// evaluator can translate: the push-down compilers say the same thing in CloudWatch
// filter patterns, Logs Insights and SQL. It is derived by the same code that builds
// the predicate, so the two cannot drift apart.
//
// The test of a Leaf is "some field of Fields passes", or, with Negated, "no field of
// Fields passes". A field without a value (written `-`, or not in the record's format)
// never passes, so a negated leaf keeps such records, as the filter does.
type Leaf struct {
	Kind LeafKind
	// Fields is one field, or two for the either-side names addr= and port=.
	Fields  []model.Field
	Negated bool

	Lo, Hi        uint64       // LeafNumber; Hi is math.MaxUint64 when there is no upper bound
	Prefix        netip.Prefix // LeafAddr (masked; a single address is a /32 or /128)
	Glob          string       // LeafString: lower case, with * (any run) and ? (one byte)
	Enum          string       // LeafEnum: the value as AWS writes it (REJECT, NODATA, ingress)
	Need, Exclude uint8        // LeafFlags
	Text          string       // LeafSubstring: lower case
}

// ResolveLeaf resolves one *Term or *Word of a parsed expression, with the same field
// names, aliases, value syntax and errors as Compile.
func ResolveLeaf(n Node, opts Options) (Leaf, error) {
	c := newCompiler(opts)
	switch n := n.(type) {
	case *Term:
		return c.resolveTerm(n)
	case *Word:
		if !n.Quoted {
			if meaning, ok := bareWords[strings.ToLower(n.Text)]; ok {
				field, value, _ := strings.Cut(meaning, "=")
				return c.resolveTerm(&Term{Field: field, Op: OpEq, Value: value, FieldPos: n.At, ValuePos: n.At})
			}
		}
		if n.Text == "" {
			return Leaf{}, errorf(n.At, "empty string")
		}
		return Leaf{Kind: LeafSubstring, Text: strings.ToLower(n.Text)}, nil
	}
	if n == nil {
		return Leaf{}, fmt.Errorf("filter: no leaf to resolve")
	}
	return Leaf{}, errorf(n.Pos(), "unexpected expression")
}

func (c *compiler) resolveTerm(t *Term) (Leaf, error) {
	// Compiling first gives every error exactly as the filter reports it.
	if _, err := c.term(t); err != nil {
		return Leaf{}, err
	}
	f, pseudo, _ := c.resolveField(t.Field, t.FieldPos)
	switch pseudo {
	case pseudoAddr, pseudoPort:
		a, b := model.FSrcAddr, model.FDstAddr
		if pseudo == pseudoPort {
			a, b = model.FSrcPort, model.FDstPort
		}
		eq := *t
		eq.Op = OpEq
		l, err := c.resolveFieldLeaf(&eq, a)
		if err != nil {
			return Leaf{}, err
		}
		l.Fields = []model.Field{a, b}
		l.Negated = t.Op == OpNe
		return l, nil
	}
	return c.resolveFieldLeaf(t, f)
}

// resolveFieldLeaf mirrors fieldPred.
func (c *compiler) resolveFieldLeaf(t *Term, f model.Field) (Leaf, error) {
	kind := f.Info().Kind
	name := strings.ToLower(t.Field)
	if f.Known() {
		name = f.Name()
	}
	l := Leaf{Fields: []model.Field{f}, Negated: t.Op == OpNe}
	switch kind {
	case model.KindAddr:
		var p netip.Prefix
		if strings.Contains(t.Value, "/") {
			p, _ = netip.ParsePrefix(t.Value)
			p = p.Masked()
		} else {
			a, _ := netip.ParseAddr(t.Value)
			p = netip.PrefixFrom(a, a.BitLen())
		}
		l.Kind, l.Prefix = LeafAddr, p
		return l, nil
	case model.KindString:
		l.Kind, l.Glob = LeafString, strings.ToLower(t.Value)
		return l, nil
	case model.KindAction, model.KindLogStatus, model.KindDirection:
		values := map[model.Kind][]string{
			model.KindAction:    {"ACCEPT", "REJECT"},
			model.KindLogStatus: {"OK", "NODATA", "SKIPDATA"},
			model.KindDirection: {"ingress", "egress"},
		}[kind]
		tt := *t
		if kind == model.KindDirection {
			switch strings.ToLower(tt.Value) {
			case "in":
				tt.Value = "ingress"
			case "out":
				tt.Value = "egress"
			}
		}
		i, err := enumValue(&tt, name, values)
		if err != nil {
			return Leaf{}, err
		}
		l.Kind, l.Enum = LeafEnum, values[i]
		return l, nil
	case model.KindTCPFlags:
		if need, exclude, ok := flagNames(t.Value); ok {
			l.Kind, l.Need, l.Exclude = LeafFlags, need, exclude
			return l, nil
		}
	}
	iv, err := c.numericValue(t, f, kind, name)
	if err != nil {
		return Leaf{}, err
	}
	l.Kind, l.Lo, l.Hi = LeafNumber, iv.lo, iv.hi
	switch t.Op {
	case OpLt:
		l.Lo, l.Hi = 0, iv.lo-1
		if iv.lo == 0 {
			l.Lo, l.Hi = 1, 0 // nothing is below zero
		}
	case OpLe:
		l.Lo = 0
	case OpGt:
		l.Lo, l.Hi = iv.hi+1, math.MaxUint64
		if iv.hi == math.MaxUint64 {
			l.Lo, l.Hi = 1, 0
		}
	case OpGe:
		l.Hi = math.MaxUint64
	}
	return l, nil
}

// flagNames reads flag names (syn+fin) as flagNamesPred does; ok is false for a number.
func flagNames(v string) (need, exclude uint8, ok bool) {
	t := &Term{Op: OpEq, Value: v}
	p, isNames, err := flagNamesPred(t, "tcp-flags")
	if !isNames || err != nil || p == nil {
		return 0, 0, false
	}
	// Recover the bits the predicate tests: need is what every passing value has, exclude
	// what none has. flagNamesPred tests exactly `v&need == need && v&exclude == 0`.
	var r model.Flow
	need, exclude = 0xff, 0xff
	for v := 0; v < 256; v++ {
		r.SetUint(model.FTCPFlags, uint64(v))
		if p(&r) {
			need &= uint8(v)
			exclude &^= uint8(v)
		}
	}
	return need, exclude, true
}
