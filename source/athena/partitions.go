package athena

import (
	"fmt"
	"strings"
	"time"
)

// PartitionPredicates are the SQL conditions that keep only the partitions whose
// delivery times can hold records with start in [since, until) (zero: no bound): for
// each partition key projected as a date (the tables `flowlens athena-ddl` writes), the
// values from since's day (or hour) to until plus margin, compared as the strings the
// projection's format makes; for a key of type date (AWS's `date` partition), the same
// days as DATE literals. Partition folders hold files by delivery time, later than the
// records in them, so only the upper bound is widened. Other keys are left alone.
func PartitionPredicates(parts []Partition, since, until time.Time, margin time.Duration) []string {
	var conds []string
	hi := time.Time{}
	if !until.IsZero() {
		hi = until.Add(margin)
	}
	for _, p := range parts {
		col := quoteIdent(p.Name)
		var lo, up string
		switch {
		case p.Projection == "date" && p.Format != "":
			layout, ok := goLayout(p.Format)
			if !ok {
				continue
			}
			if !since.IsZero() {
				lo = sqlString(since.UTC().Format(layout))
			}
			if !hi.IsZero() {
				up = sqlString(hi.UTC().Format(layout))
			}
		case p.Type == "date":
			if !since.IsZero() {
				lo = "DATE " + sqlString(since.UTC().Format(time.DateOnly))
			}
			if !hi.IsZero() {
				up = "DATE " + sqlString(hi.UTC().Format(time.DateOnly))
			}
		default:
			continue
		}
		if lo != "" {
			conds = append(conds, fmt.Sprintf("%s >= %s", col, lo))
		}
		if up != "" {
			conds = append(conds, fmt.Sprintf("%s <= %s", col, up))
		}
	}
	return conds
}

// goLayout turns a Java date pattern (SimpleDateFormat, as partition projection
// takes) into a Go time layout: yyyy, MM, dd, HH and mm, and 'quoted' literal text
// ('year='yyyy/'month='MM for Hive-style folders). ok is false for a pattern with
// letters it does not know.
func goLayout(java string) (string, bool) {
	var b strings.Builder
	for i := 0; i < len(java); {
		switch {
		case java[i] == '\'':
			j := strings.IndexByte(java[i+1:], '\'')
			if j < 0 {
				return "", false
			}
			lit := java[i+1 : i+1+j]
			if strings.ContainsAny(lit, "0123456789") {
				return "", false // digits in a literal would read as a Go layout element
			}
			b.WriteString(lit)
			i += j + 2
		case strings.HasPrefix(java[i:], "yyyy"):
			b.WriteString("2006")
			i += 4
		case strings.HasPrefix(java[i:], "MM"):
			b.WriteString("01")
			i += 2
		case strings.HasPrefix(java[i:], "dd"):
			b.WriteString("02")
			i += 2
		case strings.HasPrefix(java[i:], "HH"):
			b.WriteString("15")
			i += 2
		case strings.HasPrefix(java[i:], "mm"):
			b.WriteString("04")
			i += 2
		case java[i] >= 'a' && java[i] <= 'z' || java[i] >= 'A' && java[i] <= 'Z' || java[i] >= '0' && java[i] <= '9':
			return "", false
		default:
			b.WriteByte(java[i])
			i++
		}
	}
	return b.String(), true
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

func sqlString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
