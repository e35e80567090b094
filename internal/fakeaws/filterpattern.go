package fakeaws

import (
	"strings"
)

// filterPattern is the subset of the CloudWatch Logs filter pattern syntax
// the fake understands: terms that must all occur (case-sensitive, as AWS
// documents), "quoted phrases", and -term exclusions. JSON ({...}),
// space-delimited ([...]) and ?OR patterns are refused rather than matched
// wrongly, so a test never passes on a pattern the fake cannot judge.
type filterPattern struct {
	include []string
	exclude []string
}

func parseFilterPattern(p string) (filterPattern, *apiError) {
	var f filterPattern
	p = strings.TrimSpace(p)
	if p == "" {
		return f, nil
	}
	if strings.HasPrefix(p, "{") || strings.HasPrefix(p, "[") || strings.HasPrefix(p, "?") || strings.Contains(p, " ?") {
		return f, invalidParameter("fakeaws: only plain-term filter patterns are implemented, not " + p)
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
