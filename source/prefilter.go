package source

import (
	"bytes"

	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/filter"
)

// prefilter finds, in a chunk's raw lines, those that hold one of a filter's needles,
// as grep finds its pattern: it looks for the needle's rarest byte with bytes.IndexByte
// (vector instructions) over the whole chunk, not line by line, and checks the needle
// around each hit. Lines without a needle are passed over unparsed; the filter stays
// the final word on the rest.
type prefilter struct {
	finders []finder
}

// maxNeedleCost is how common (occurrences per ten thousand bytes of flow logs) the
// rarest byte of a needle may be for the prefilter to pay: beyond about one a line,
// nearly every line is a candidate and skipping saves nothing.
const maxNeedleCost = 50

// newPrefilter returns the prefilter of needles, or nil when they do not help.
func newPrefilter(n filter.Needles) *prefilter {
	if n.None() {
		return nil
	}
	pf := &prefilter{}
	for _, s := range n.Any {
		at, cost := filter.RarestByte(s)
		if cost > maxNeedleCost {
			return nil
		}
		f := finder{needle: []byte(s), at: at, lower: s[at], upper: s[at]}
		if c := s[at]; c >= 'a' && c <= 'z' {
			f.upper = c - 'a' + 'A'
		}
		pf.finders = append(pf.finders, f)
	}
	return pf
}

// sparse is the share of candidate lines above which a chunk is parsed whole: the
// needle turned out common in this input (a filter on ACCEPT), and looking for it costs
// more than it saves.
const (
	sparseLines = 2048 // lines seen before judging
	sparseShare = 4    // parse whole once one line in sparseShare is a candidate
)

// scan walks the lines of data (whole lines, each ending in a newline), calling parse
// for every line that holds a needle or that the parser must see anyway (a header, a
// blank line), and skip with the number of lines passed over before each parsed one and
// at the end.
func (pf *prefilter) scan(data []byte, parse func(line []byte), skip func(n int)) {
	for i := range pf.finders {
		pf.finders[i].reset()
	}
	next := pf.next(data, 0)
	skipped, lines, parsed := 0, 0, 0
	for pos := 0; pos < len(data); {
		end := bytes.IndexByte(data[pos:], '\n')
		if end < 0 {
			end = len(data)
		} else {
			end += pos
		}
		line := data[pos:end]
		lines++
		switch {
		case next < end:
			next = pf.next(data, end+1)
			fallthrough
		case model.MustParse(line):
			if skipped > 0 {
				skip(skipped)
				skipped = 0
			}
			parse(line)
			parsed++
		default:
			skipped++
		}
		pos = end + 1
		if lines == sparseLines && parsed*sparseShare > lines {
			// Parse the rest whole.
			if skipped > 0 {
				skip(skipped)
				skipped = 0
			}
			for rest := data[pos:]; len(rest) > 0; {
				var l []byte
				l, rest = cutLine(rest)
				parse(l)
			}
			return
		}
	}
	if skipped > 0 {
		skip(skipped)
	}
}

// next returns where the first needle at or after from starts, or len(data).
func (pf *prefilter) next(data []byte, from int) int {
	first := len(data)
	for i := range pf.finders {
		first = min(first, pf.finders[i].next(data, from))
	}
	return first
}

// finder finds one needle, ignoring ASCII case, by one of its bytes.
type finder struct {
	needle       []byte // lower case
	at           int    // the byte looked for: needle[at]
	lower, upper byte   // that byte in both cases (the same when it is no letter)
	// where each case of the byte occurs next, at or after where the last search
	// started (-1: not searched yet): a search is not repeated for every line.
	nextLower, nextUpper int
}

func (f *finder) reset() { f.nextLower, f.nextUpper = -1, -1 }

// next returns where the first occurrence of the needle at or after from starts, or
// len(data).
func (f *finder) next(data []byte, from int) int {
	for {
		hit := f.byteAt(data, from+f.at)
		if hit >= len(data) {
			return len(data)
		}
		start := hit - f.at
		if start+len(f.needle) <= len(data) && equalFoldLower(data[start:start+len(f.needle)], f.needle) {
			return start
		}
		from = start + 1
	}
}

// byteAt returns the first position at or after from that holds the byte looked for,
// in either case, or len(data).
func (f *finder) byteAt(data []byte, from int) int {
	if from >= len(data) {
		return len(data)
	}
	if f.nextLower < from {
		f.nextLower = indexFrom(data, from, f.lower)
	}
	if f.upper == f.lower {
		return f.nextLower
	}
	if f.nextUpper < from {
		f.nextUpper = indexFrom(data, from, f.upper)
	}
	return min(f.nextLower, f.nextUpper)
}

func indexFrom(data []byte, from int, c byte) int {
	if i := bytes.IndexByte(data[from:], c); i >= 0 {
		return from + i
	}
	return len(data)
}

// equalFoldLower reports whether b equals the lower-case needle, ignoring ASCII case.
func equalFoldLower(b, needle []byte) bool {
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != needle[i] {
			return false
		}
	}
	return true
}
