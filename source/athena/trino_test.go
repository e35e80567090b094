package athena

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/flowlens/flowlens/internal/pushdowntest"
	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/filter"
	"github.com/flowlens/flowlens/model/pushdown"
)

// The fake Athena runs the SQL on DuckDB, which accepts more than Trino (Athena engine
// version 3) does. This test holds the SQL flowlens sends to Trino's documented syntax:
// every function it calls and every keyword it uses is in the list below, each with the
// page of Trino's documentation that defines it, and nothing DuckDB-only (`::` casts,
// ILIKE, backtick identifiers, double-quoted strings) appears.
var trinoFunctions = map[string]string{
	"lower":       "https://trino.io/docs/current/functions/string.html (lower)",
	"strpos":      "https://trino.io/docs/current/functions/string.html (strpos)",
	"contains":    "https://trino.io/docs/current/functions/ipaddress.html (contains(network, address))",
	"bitwise_and": "https://trino.io/docs/current/functions/bitwise.html (bitwise_and)",
	"coalesce":    "https://trino.io/docs/current/functions/conditional.html (coalesce)",
	"nullif":      "https://trino.io/docs/current/functions/conditional.html (nullif)",
	"cast":        "https://trino.io/docs/current/functions/conversion.html (cast)",
	"try_cast":    "https://trino.io/docs/current/functions/conversion.html (try_cast)",
	"count":       "https://trino.io/docs/current/functions/aggregate.html (count, count(DISTINCT x))",
	"sum":         "https://trino.io/docs/current/functions/aggregate.html (sum)",
}

var trinoKeywords = map[string]string{
	"select": "sql/select.html", "from": "sql/select.html", "where": "sql/select.html", "group": "sql/select.html",
	"by": "sql/select.html", "having": "sql/select.html", "order": "sql/select.html", "limit": "sql/select.html",
	"as": "sql/select.html", "distinct": "functions/aggregate.html", "and": "functions/logical.html", "or": "functions/logical.html",
	"not": "functions/logical.html", "is": "functions/comparison.html", "null": "functions/comparison.html",
	"like": "functions/comparison.html (LIKE ... ESCAPE)", "escape": "functions/comparison.html", "between": "functions/comparison.html",
	"case": "functions/conditional.html", "when": "functions/conditional.html", "then": "functions/conditional.html",
	"else": "functions/conditional.html", "end": "functions/conditional.html", "true": "language/types.html (boolean)",
	"false": "language/types.html (boolean)", "date": "language/types.html (DATE literal)",
	// the targets of CAST and TRY_CAST
	"varchar": "language/types.html", "ipaddress": "language/types.html (IPADDRESS)",
}

// checkTrino says what in sql is not documented Trino; "" when nothing.
func checkTrino(sql string, cols *model.Format) string {
	// Outside literals, `::`, backticks and `~` are unexpected characters, ILIKE an
	// unknown word.
	s := sql
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '\'': // a string literal, '' inside
			j := i + 1
			for ; j < len(s); j++ {
				if s[j] == '\'' {
					if j+1 < len(s) && s[j+1] == '\'' {
						j++
						continue
					}
					break
				}
			}
			if j >= len(s) {
				return fmt.Sprintf("unclosed string literal:\n%s", sql)
			}
			i = j + 1
		case c == '"': // a quoted identifier
			j := strings.IndexByte(s[i+1:], '"')
			if j < 0 {
				return fmt.Sprintf("unclosed identifier:\n%s", sql)
			}
			i += j + 2
		case unicode.IsLetter(rune(c)) || c == '_':
			j := i
			for j < len(s) && (unicode.IsLetter(rune(s[j])) || unicode.IsDigit(rune(s[j])) || s[j] == '_') {
				j++
			}
			word := strings.ToLower(s[i:j])
			k := j
			for k < len(s) && s[k] == ' ' {
				k++
			}
			call := k < len(s) && s[k] == '('
			switch {
			case trinoFunctions[word] != "" && call:
			case trinoKeywords[word] != "":
			case call:
				return fmt.Sprintf("function %s is not in Trino's documented functions the SQL may use:\n%s", word, sql)
			case isColumn(word, cols):
			default:
				return fmt.Sprintf("%q is neither a documented keyword nor a column:\n%s", word, sql)
			}
			i = j
		case strings.ContainsRune("0123456789 \n\t(),.=<>%|*+-/", rune(c)):
			i++
		default:
			return fmt.Sprintf("unexpected %q in:\n%s", c, sql)
		}
	}
	return ""
}

func isColumn(w string, cols *model.Format) bool {
	if w == "end" {
		return false // reserved: the column must be quoted
	}
	if strings.HasPrefix(w, "sum_") || strings.HasPrefix(w, "distinct_") || w == "flows" || w == "rejects" {
		return true
	}
	for _, f := range model.KnownFields() {
		if strings.ReplaceAll(f.Name(), "-", "_") == w {
			return true
		}
	}
	for i := range cols.Fields {
		if pushdown.ColumnName(cols, cols.Fields[i]) == w {
			return true
		}
	}
	return false
}

func TestSQLUsesOnlyDocumentedTrino(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 3))
	since, until := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC), time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	parts := [][]Partition{
		nil,
		{{Name: "date", Type: "date"}},
		{{Name: "aws_account", Type: "string", Projection: "enum"}, {Name: "day", Type: "string", Projection: "date", Format: "yyyy/MM/dd"}},
		{{Name: "hour", Type: "string", Projection: "date", Format: "'year='yyyy/'month='MM/'day='dd/'hour='HH"}},
	}
	n := 0
	for _, f := range pushdowntest.Formats() {
		for i := 0; i < 150; i++ {
			expr := pushdowntest.Filter(rng, f, 3)
			node, err := filter.Parse(expr)
			if err != nil {
				continue
			}
			o := pushdown.SQLOptions{Columns: f, Since: since.Unix(), Until: until.Unix(), Where: PartitionPredicates(parts[i%len(parts)], since, until, DeliveryMargin)}
			if i%3 == 0 {
				o.Grouping = &pushdown.Grouping{By: []model.Field{model.FSrcAddr}, Bin: 5 * time.Minute}
				if f.Column(model.FDstPort) >= 0 {
					o.Grouping.Distinct, o.Grouping.HasDistinct = model.FDstPort, true
				}
			}
			res, err := pushdown.SQL(node, o)
			if err != nil {
				continue
			}
			// The bin column is named after Insights' bin(): a quoted identifier.
			if msg := checkTrino(res.Text, f); msg != "" {
				t.Fatal(msg)
			}
			n++
		}
	}
	if n < 300 {
		t.Fatalf("only %d queries checked", n)
	}
	// The checker itself refuses what Trino does not document.
	for _, bad := range []string{"SELECT srcaddr::varchar FROM t", "SELECT * FROM t WHERE srcaddr ILIKE 'x'", "SELECT list_contains(a, 1) FROM t", "SELECT end FROM t"} {
		if checkTrino(bad, model.DefaultFormat) == "" {
			t.Errorf("the checker let %q through", bad)
		}
	}
}
