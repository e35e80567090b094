package model

import "bytes"

// Skip counts n lines that a prefilter passed over without parsing them, because they
// cannot hold a record the reader wants (they lack the text every wanted record has):
// they are numbered and counted as lines and as skipped, never as records or as
// malformed, so that a summary can say what was not looked at.
func (p *Parser) Skip(n int) {
	p.line += int64(n)
	p.stats.Lines += int64(n)
	p.stats.Skipped += int64(n)
}

// MustParse reports whether a line has to be handed to Parse even by a prefilter that
// finds nothing in it that it wants: a blank line, counted as such, or a line Parse may
// read as a header line, which switches the format of the lines after it. It is the
// test Parse makes before ParseHeaderLine, and the first-token test of ParseHeaderLine:
// a line it refuses is never a header.
func MustParse(line []byte) bool {
	i := skipSpace(line, 0)
	if i == len(line) {
		return true
	}
	switch c := line[i]; {
	case c == '$':
		return true
	case c < 'a' || c > 'z':
		return false
	}
	first := line[i:]
	if j := bytes.IndexAny(first, " \t\r\n"); j >= 0 {
		first = first[:j]
	}
	_, ok := fieldByNameBytes(first)
	return ok
}
