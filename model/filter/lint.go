package filter

import (
	"fmt"
	"sort"
	"strings"
)

// Lint returns the warnings of a parsed expression: bare words one edit (a letter added,
// dropped, changed, or two swapped) from a word the language knows. Such a word is a
// text search, as documented, but "rejct" or "icmpv7" match nothing in a flow log and
// would silently empty the view. It is a warning, not an error: the expression still
// does what the language says, a script that relied on it keeps working, and quoting
// the word ("rejct") is the way to search for the text without the warning.
func Lint(n Node) []*Error {
	var out []*Error
	var walk func(Node)
	walk = func(n Node) {
		switch n := n.(type) {
		case *And:
			walk(n.L)
			walk(n.R)
		case *Or:
			walk(n.L)
			walk(n.R)
		case *Not:
			walk(n.X)
		case *Word:
			if w := lintWord(n); w != nil {
				out = append(out, w)
			}
		}
	}
	walk(n)
	return out
}

// lintWords are the words a bare word is compared with: the bare words that mean a
// term. Not the operators: "end", "any" and "nat" are one edit from "and" and "not" and
// are more likely meant as they are.
var lintWords = func() []string {
	words := make([]string, 0, len(bareWords))
	for w := range bareWords {
		words = append(words, w)
	}
	sort.Strings(words) // ties resolve the same way on every run
	return words
}()

func lintWord(w *Word) *Error {
	if w.Quoted || len(w.Text) < 3 {
		return nil // a quoted word is a search on purpose; two letters are too few to guess from
	}
	lower := strings.ToLower(w.Text)
	best := ""
	for _, c := range lintWords {
		if distance(lower, c) == 1 {
			best = c
			break
		}
	}
	if best == "" {
		return nil
	}
	return &Error{Pos: w.At, Msg: fmt.Sprintf("'%s' is searched for as text", w.Text),
		Hint: fmt.Sprintf("did you mean '%s'? (write \"%s\" in quotes to search for the text)", best, w.Text)}
}
