package filter

import (
	"strconv"
	"strings"

	"github.com/flowlens/flowlens/model"
)

// Needles is what the text of every line a filter matches must contain, for a scan
// that looks at raw lines before parsing them, as grep does: at least one of the
// alternatives, ignoring ASCII case. With no alternatives nothing is required, and
// every line has to be parsed.
//
// A needle is sound by construction: it is derived only from terms whose match forces
// some text into the line (action=REJECT puts "reject", in some case, in the action
// column), never from negations, and it avoids the letters that Unicode folds onto
// ASCII ones (k and s fold with the Kelvin sign and the long s, and the dotted capital I
// lowers to i), so that comparing ASCII case-insensitively cannot miss a line the
// parser would accept. The filter stays the final word on every line that has one.
type Needles struct {
	Any []string // lower case; empty: no needle
}

// None reports whether nothing is required.
func (n Needles) None() bool { return len(n.Any) == 0 }

// Needles returns what every line matched by the filter must contain.
func (f *Filter) Needles() Needles {
	if f == nil {
		return Needles{}
	}
	return f.needles
}

// needlesOf derives the needles of a parsed expression; a part it cannot read gives
// none (every line may match it).
func (c *compiler) needlesOf(n Node) Needles {
	switch n := n.(type) {
	case *And:
		// Both sides must match: either side's needles will do, so take the rarer.
		l, r := c.needlesOf(n.L), c.needlesOf(n.R)
		if l.None() || !r.None() && r.cost() < l.cost() {
			return r
		}
		return l
	case *Or:
		// One side matches: the line holds one of either side's needles.
		l, r := c.needlesOf(n.L), c.needlesOf(n.R)
		if l.None() || r.None() {
			return Needles{}
		}
		return Needles{Any: union(l.Any, r.Any)}
	case *Term:
		return c.termNeedles(n)
	case *Word:
		return c.wordNeedles(n)
	}
	// `not`, and anything unknown: a line without any text may match.
	return Needles{}
}

func union(a, b []string) []string {
	out := append([]string(nil), a...)
	for _, s := range b {
		dup := false
		for _, x := range out {
			if x == s {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, s)
		}
	}
	return out
}

// termNeedles reads `field=value`: only = can force text into a line, and only where
// the parser's reading of the column is known.
func (c *compiler) termNeedles(t *Term) Needles {
	if t.Op != OpEq {
		return Needles{}
	}
	f, pseudo, err := c.resolveField(t.Field, t.FieldPos)
	if err != nil {
		return Needles{}
	}
	switch pseudo {
	case pseudoAddr:
		return Needles{} // addresses have many spellings (::ffff:a00:1 is 10.0.0.1)
	case pseudoPort:
		f = model.FDstPort // srcport or dstport: the same number either way
	}
	name := strings.ToLower(t.Field)
	switch kind := f.Info().Kind; kind {
	case model.KindAddr, model.KindTCPFlags:
		// Addresses have many spellings; flag names stand for several numbers.
		return Needles{}
	case model.KindAction:
		if i, err := enumValue(t, name, []string{"ACCEPT", "REJECT"}); err == nil {
			return needle([]string{"accept", "reject"}[i])
		}
	case model.KindLogStatus:
		if i, err := enumValue(t, name, []string{"OK", "NODATA", "SKIPDATA"}); err == nil {
			return needle([]string{"ok", "nodata", "skipdata"}[i])
		}
	case model.KindDirection:
		switch strings.ToLower(t.Value) {
		case "ingress", "in":
			return needle("ingress")
		case "egress", "out":
			return needle("egress")
		}
	case model.KindString:
		// Compared case-insensitively, with * and ? wildcards: a run of the pattern
		// without them is in the column.
		best := ""
		for _, part := range strings.FieldsFunc(strings.ToLower(t.Value), func(r rune) bool { return r == '*' || r == '?' }) {
			if p := safeRun(part); len(p) > len(best) {
				best = p
			}
		}
		if best != "" {
			return Needles{Any: []string{best}}
		}
	default:
		// A number: the column holds its digits, perhaps after leading zeros (and a
		// time in milliseconds holds the seconds' digits first).
		iv, err := c.numericValue(t, f, kind, name)
		if err == nil && iv.lo == iv.hi {
			return Needles{Any: []string{strconv.FormatUint(iv.lo, 10)}}
		}
	}
	return Needles{}
}

// wordNeedles reads a bare word: a meaning of its own, or a substring of the record
// as written.
func (c *compiler) wordNeedles(w *Word) Needles {
	if !w.Quoted {
		if meaning, ok := bareWords[strings.ToLower(w.Text)]; ok {
			field, value, _ := strings.Cut(meaning, "=")
			return c.termNeedles(&Term{Field: field, Op: OpEq, Value: value, FieldPos: w.At, ValuePos: w.At})
		}
	}
	word := strings.ToLower(w.Text)
	// A word with a space may span columns that the record's text joins with one space
	// where the line had tabs or several; a word made only of what addresses and
	// numbers are written with may match a value the line spells otherwise (an address
	// in IPv6 form, a number with leading zeros).
	if word == "" || strings.ContainsAny(word, " \t") || strings.Trim(word, "0123456789abcdef.:") == "" {
		return Needles{}
	}
	if p := safeRun(word); p != "" {
		return Needles{Any: []string{p}}
	}
	return Needles{}
}

// needle is one required text, cut to its longest safe run.
func needle(s string) Needles {
	if p := safeRun(s); p != "" {
		return Needles{Any: []string{p}}
	}
	return Needles{}
}

// safeRun is the longest run of s that an ASCII case-insensitive search finds in every
// line whose text the parser or the filter would read as s: no letters that Unicode
// folds onto ASCII ones from outside it (k, s, i) and nothing that is not ASCII.
func safeRun(s string) string {
	best, start := "", 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] >= 0x80 || s[i] == 'k' || s[i] == 's' || s[i] == 'i' || s[i] < 0x20 {
			if i-start > len(best) {
				best = s[start:i]
			}
			start = i + 1
		}
	}
	return best
}

// cost estimates how often the needles' rarest bytes turn up in flow-log text, to
// choose between two sides of an `and`: lower is rarer.
func (n Needles) cost() int {
	total := 0
	for _, s := range n.Any {
		_, c := RarestByte(s)
		total += c
	}
	return total
}

// RarestByte returns the index in a needle of the byte (either case) that flow-log
// text holds least often, and how often, in occurrences per ten thousand bytes of a
// typical default-format file: a scan looks for that byte first.
func RarestByte(needle string) (int, int) {
	best, bestCost := 0, 1<<30
	for i := 0; i < len(needle); i++ {
		c := needle[i]
		cost := int(byteCost[c])
		if c >= 'a' && c <= 'z' {
			cost += int(byteCost[c-'a'+'A'])
		}
		if cost < bestCost {
			best, bestCost = i, cost
		}
	}
	return best, bestCost
}

// byteCost is how often a byte occurs in ten thousand bytes of default-format flow
// logs, roughly: digits, spaces and dots make most of a line, interface IDs bring
// hex digits, "eni-", and every line has ACCEPT or REJECT and OK. Unlisted bytes are
// rare (1).
var byteCost = func() (t [256]uint16) {
	for i := range t {
		t[i] = 1
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = 600
	}
	t[' '], t['.'], t[':'], t['-'] = 1100, 650, 20, 90
	for _, c := range "abcdf" {
		t[c] = 60
	}
	t['e'], t['n'], t['i'] = 150, 95, 95
	for _, c := range "ACEPTOK" {
		t[c] = 80
	}
	t['C'] = 160
	return t
}()
