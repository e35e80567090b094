package filter

import (
	"strings"

	"github.com/flowlens/flowlens/model"
)

// substring matches a bare word anywhere in the record as the flow log wrote it, ignoring
// case. The ring does not keep the raw lines (that would triple its size), so the text is
// rebuilt, but only where it could match: a word without spaces can only fall inside one
// column, string columns are answered from a per-symbol cache, and numbers and addresses
// are written out only when the word has nothing but the characters they are made of.
func substring(word string) Pred[*model.Flow] {
	needle := strings.ToLower(word)
	if strings.ContainsAny(needle, " \t") {
		var buf []byte
		return func(r *model.Flow) bool {
			buf = r.AppendRecord(buf[:0])
			return containsFold(buf, needle)
		}
	}
	digitsOnly := strings.Trim(needle, "0123456789") == ""
	addrChars := strings.Trim(needle, "0123456789abcdef.:") == ""
	syms := &symCache{test: func(s string) bool { return strings.Contains(strings.ToLower(s), needle) }}
	hit := func(s string) bool { return strings.Contains(strings.ToLower(s), needle) }
	absentHit := hit("-")
	var actionHit [3]bool
	for _, a := range []model.Action{model.ActionNone, model.Accept, model.Reject} {
		actionHit[a] = hit(a.String())
	}
	var statusHit [4]bool
	for _, st := range []model.LogStatus{model.StatusNone, model.StatusOK, model.StatusNoData, model.StatusSkipData} {
		statusHit[st] = hit(st.String())
	}
	var dirHit [3]bool
	for _, d := range []model.Direction{model.DirNone, model.Ingress, model.Egress} {
		dirHit[d] = hit(d.String())
	}
	var buf []byte
	return func(r *model.Flow) bool {
		for _, f := range r.FormatOf().Fields {
			if !r.Has(f) {
				if absentHit {
					return true
				}
				continue
			}
			switch f.Info().Kind {
			case model.KindString:
				if model.Interned(f) {
					if syms.match(r.Sym(f)) {
						return true
					}
				} else if containsFold([]byte(r.Text(f)), needle) {
					return true
				}
			case model.KindAction:
				if actionHit[r.Action] {
					return true
				}
			case model.KindLogStatus:
				if statusHit[r.Status] {
					return true
				}
			case model.KindDirection:
				if dirHit[r.Direction] {
					return true
				}
			case model.KindAddr:
				if addrChars {
					buf = r.AppendValue(buf[:0], f)
					if containsFold(buf, needle) {
						return true
					}
				}
			default:
				if digitsOnly {
					buf = r.AppendValue(buf[:0], f)
					if containsFold(buf, needle) {
						return true
					}
				}
			}
		}
		return false
	}
}

// containsFold reports whether lower-case needle occurs in b, ignoring ASCII case.
func containsFold(b []byte, needle string) bool {
	n := len(needle)
	for i := 0; i+n <= len(b); i++ {
		j := 0
		for j < n {
			c := b[i+j]
			if c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != needle[j] {
				break
			}
			j++
		}
		if j == n {
			return true
		}
	}
	return false
}
