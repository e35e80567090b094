package model

import (
	"strings"
	"unicode/utf8"
)

// Untrusted text is cleaned where it enters, so that nothing downstream (a pane, a text
// table, a CSV cell) has to remember: the parser cleans the text fields of records, and
// the sources clean what AWS or the file system says (names, tags, error messages) with
// CleanText. A terminal obeys escape sequences and control characters in what it is
// sent (OSC 52 writes the clipboard, a CSI moves the cursor), in their 7-bit form
// (ESC [) and their 8-bit one (U+009B, or a raw 0x9B byte, which some terminals read as
// CSI too); invalid UTF-8 garbles a line and breaks the alignment of columns.

// replacement is U+FFFD, which marks where text was damaged, one cell wide.
const replacement = "\uFFFD"

// cleanToken returns tok, or a cleaned copy (appendCleanToken) when it holds anything
// but valid printable UTF-8; changed says which. A copy is made only then: the fast path
// never comes here.
func cleanToken(tok []byte) (clean []byte, changed bool) {
	if utf8.Valid(tok) && !hasC1(tok) {
		return tok, false
	}
	return appendCleanToken(make([]byte, 0, len(tok)+8), tok), true
}

// hasC1 reports a C1 control (U+0080-U+009F, encoded C2 80 to C2 9F) in valid UTF-8.
func hasC1(b []byte) bool {
	for i := 0; i+1 < len(b); i++ {
		if b[i] == 0xc2 && b[i+1] < 0xa0 {
			return true
		}
	}
	return false
}

// appendCleanToken appends tok with every byte that is not part of valid, printable
// UTF-8 (a C0 or C1 control, DEL, an invalid or truncated sequence) replaced by U+FFFD.
// It is the parser's slow path, taken only for tokens with a byte >= 0x80: flow log
// fields are ASCII, so one that is not was damaged or crafted, and its damage is shown,
// not hidden.
func appendCleanToken(dst, tok []byte) []byte {
	for len(tok) > 0 {
		r, size := utf8.DecodeRune(tok)
		if r == utf8.RuneError && size <= 1 || isControl(r) {
			dst = append(dst, replacement...)
		} else {
			dst = append(dst, tok[:size]...)
		}
		tok = tok[size:]
	}
	return dst
}

// isControl reports a C0 or C1 control character or DEL.
func isControl(r rune) bool { return r < 0x20 || r >= 0x7f && r < 0xa0 }

// CleanText makes text from outside (a log stream's name, a security group's
// description, an AWS error message, a file name) safe to draw and to write as text:
// escape sequences are removed whole (CSI, OSC, DCS, SOS, PM, APC, in 7-bit and 8-bit
// form, and two-character escapes), line breaks and tabs become spaces, other control
// characters are dropped, and invalid UTF-8 becomes U+FFFD. Clean text is returned as
// it is, without allocating.
func CleanText(s string) string {
	if isCleanText(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		next := i + size
		switch {
		case r == utf8.RuneError && size <= 1:
			b.WriteString(replacement)
		case r == 0x1b && next < len(s) && s[next] == '[', r == 0x9b:
			if r == 0x1b {
				next++
			}
			next = skipCSI(s, next)
		case r == 0x1b && next < len(s) && strings.IndexByte("]PX^_", s[next]) >= 0, r == 0x90, r == 0x98, r == 0x9d, r == 0x9e, r == 0x9f:
			if r == 0x1b {
				next++
			}
			next = skipString(s, next)
		case r == 0x1b:
			// a two-character escape (ESC c resets the terminal): the next one goes too
			if next < len(s) && s[next] < utf8.RuneSelf {
				next++
			}
		case r == '\t' || r == '\n' || r == '\r':
			b.WriteByte(' ')
		case isControl(r):
			// dropped
		default:
			b.WriteString(s[i:next])
		}
		i = next
	}
	return b.String()
}

// isCleanText reports text with nothing for CleanText to do: valid UTF-8 without
// control characters. ASCII, by far the most common, is checked a byte at a time.
func isCleanText(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			if !utf8.ValidString(s[i:]) {
				return false
			}
			for _, r := range s[i:] {
				if isControl(r) {
					return false
				}
			}
			return true
		}
		if c < 0x20 || c == 0x7f {
			return false
		}
	}
	return true
}

// skipCSI returns the index after the final byte (0x40-0x7e) of a control sequence whose
// parameters start at i.
func skipCSI(s string, i int) int {
	for i < len(s) {
		c := s[i]
		i++
		if c >= 0x40 && c <= 0x7e {
			break
		}
	}
	return i
}

// skipString returns the index after a control string starting at i, which ends at BEL
// or ST (ESC \ or U+009C).
func skipString(s string, i int) int {
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == 0x07 || r == 0x9c:
			return i
		case r == 0x1b && i < len(s) && s[i] == '\\':
			return i + 1
		}
	}
	return i
}
