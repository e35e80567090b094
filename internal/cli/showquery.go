package cli

import (
	"fmt"
	"hash/fnv"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/filter"
	"github.com/flowlens/flowlens/model/pushdown"
	"github.com/flowlens/flowlens/model/stats"
)

// shownQuery is what --show-query writes, in each form AWS can run: the Logs Insights
// query, the CloudWatch filter pattern, Athena SQL, and the commands that make the
// filter an alarm. print and pairs write it for their filter; stats for its filter and
// grouping; the explorer's key for the view's filter.
type shownQuery struct {
	// Expr is the filter as typed, for the header and the alarm's description.
	Expr string
	// Filter is what the forms say: the parsed filter, or the part a command pushes
	// (pairs: the part that keeps both directions). nil: every record.
	Filter filter.Node
	// Formats are the log's record formats (nil: the default format). Several formats
	// in one log group rule out a positional pattern and a parse in Insights.
	Formats []*model.Format
	// Grouping makes the Insights query and the SQL count instead of list (stats).
	Grouping *pushdown.Grouping
	// Rank, with Grouping, orders and cuts the groups as stats does (setGrouping).
	Rank *groupRank
	// LogGroups are named in the alarm commands; none writes a placeholder group.
	LogGroups []string
	// Table is the Athena table (--athena-table; default pushdown.DefaultAthenaTable).
	Table string
	// Since and Until, when set, keep the SQL to records whose start lies in [Since,
	// Until).
	Since, Until time.Time
	// Note is said first: what part of the filter the command pushes, and why.
	Note string
}

// Alarm defaults: the "HighRejectedTraffic" recipe counts matching records in a metric
// filter (each matching event adds 1) and alarms when their sum over five minutes
// reaches a threshold. The numbers are a start: a person adjusts them.
const (
	alarmNamespace = "flowlens"
	alarmPeriod    = 300
	alarmThreshold = 100
	// placeholderGroup stands for the log group when none was named.
	placeholderGroup = "/vpc/flow-logs"
)

// writeShownQuery writes every form of q, each marked exact (it keeps exactly the
// records flowlens keeps) or looser (it may keep more; flowlens filters what comes
// back, but a count or an alarm over it would be too high).
func writeShownQuery(w io.Writer, q shownQuery) error {
	formats := q.Formats
	if len(formats) == 0 {
		formats = []*model.Format{model.DefaultFormat}
	}
	table := q.Table
	if table == "" {
		table = pushdown.DefaultAthenaTable
	}
	var b strings.Builder
	if strings.TrimSpace(q.Expr) == "" {
		b.WriteString("# flowlens --show-query: no filter, every record\n")
	} else {
		fmt.Fprintf(&b, "# flowlens --show-query for the filter %s\n", q.Expr)
	}
	if q.Note != "" {
		fmt.Fprintf(&b, "# %s\n", q.Note)
	}
	if q.Rank != nil {
		b.WriteString("# " + q.Rank.describe() + "\n")
	}
	b.WriteString("# exact: keeps exactly the records flowlens keeps; looser: may keep more (flowlens filters what comes back)\n")

	ins, err := pushdown.InsightsForFormats(q.Filter, formats, pushdown.InsightsOptions{Grouping: q.Grouping})
	section(&b, "Logs Insights query", ins, err)
	if err == nil {
		b.WriteString(q.Rank.insights(ins.Text, formats[0]) + "\n")
	}

	pat, err := pushdown.PatternForFormats(q.Filter, formats)
	section(&b, "CloudWatch Logs filter pattern (FilterLogEvents, Live Tail, metric filters)", pat, err)
	switch {
	case err != nil:
	case pat.Never:
		b.WriteString("# the filter can match no record of this format: no pattern is needed\n")
	case pat.Text == "":
		b.WriteString("# no pattern: every event\n")
	default:
		b.WriteString(pat.Text + "\n")
	}

	opts := pushdown.SQLOptions{Table: table, Grouping: q.Grouping}
	if !q.Since.IsZero() {
		opts.Since = q.Since.Unix()
	}
	if !q.Until.IsZero() {
		opts.Until = q.Until.Unix()
	}
	sql, err := pushdown.SQL(q.Filter, opts)
	section(&b, "Athena SQL over "+table+" (AWS's flow-logs table)", sql, err)
	if err == nil {
		b.WriteString(q.Rank.sql(sql.Text, q.Grouping) + ";\n")
	}

	writeAlarm(&b, q, pat)
	_, werr := io.WriteString(w, b.String())
	return werr
}

// section writes a form's heading with its exactness.
func section(b *strings.Builder, title string, r pushdown.Result, err error) {
	switch {
	case err != nil:
		fmt.Fprintf(b, "\n## %s: none (%v)\n", title, err)
	case r.Exact:
		fmt.Fprintf(b, "\n## %s (exact)\n", title)
	default:
		fmt.Fprintf(b, "\n## %s (looser: %s)\n", title, strings.Join(r.Notes, "; "))
	}
}

// writeAlarm writes the aws CLI commands that count the matching records in a metric
// filter and alarm on their sum, when the pattern is exact: a looser pattern would
// count records the filter drops, and the alarm would fire falsely.
func writeAlarm(b *strings.Builder, q shownQuery, pat pushdown.Result) {
	b.WriteString("\n## Alarm: a metric filter counting the matching records, and an alarm on their sum (the HighRejectedTraffic recipe)\n")
	switch {
	case strings.TrimSpace(q.Expr) == "" || q.Filter == nil:
		b.WriteString("# none: without a filter the metric would count every record\n")
		return
	case pat.Never:
		b.WriteString("# none: the filter can match no record of this format\n")
		return
	case !pat.Exact || pat.Text == "":
		why := strings.Join(pat.Notes, "; ")
		if why == "" {
			why = "no filter pattern can say it"
		}
		fmt.Fprintf(b, "# none: the filter pattern is not exact (%s), so a metric filter would count records the filter drops and the alarm would fire falsely\n", why)
		return
	}
	name := alarmName(q.Expr, pat.Text)
	groups := q.LogGroups
	if len(groups) == 0 {
		groups = []string{placeholderGroup}
		fmt.Fprintf(b, "# replace %s with the flow log's log group\n", placeholderGroup)
	}
	for _, g := range groups {
		b.WriteString(shellCommand([][]string{
			{"aws", "logs", "put-metric-filter"},
			{"--log-group-name", g},
			{"--filter-name", name},
			{"--filter-pattern", pat.Text},
			{"--metric-transformations", fmt.Sprintf("metricName=%s,metricNamespace=%s,metricValue=1,defaultValue=0", name, alarmNamespace)},
		}))
	}
	fmt.Fprintf(b, "# adjust the threshold (matching records per %d seconds) and add --alarm-actions with an SNS topic's ARN to be told\n", alarmPeriod)
	b.WriteString(shellCommand([][]string{
		{"aws", "cloudwatch", "put-metric-alarm"},
		{"--alarm-name", name},
		{"--alarm-description", "flowlens filter: " + q.Expr},
		{"--namespace", alarmNamespace},
		{"--metric-name", name},
		{"--statistic", "Sum"},
		{"--period", fmt.Sprint(alarmPeriod)},
		{"--evaluation-periods", "1"},
		{"--threshold", fmt.Sprint(alarmThreshold)},
		{"--comparison-operator", "GreaterThanOrEqualToThreshold"},
		{"--treat-missing-data", "notBreaching"},
	}))
}

// alarmName names the metric filter, the metric and the alarm after the filter: its
// letters and digits, and a hash of the pattern so that two filters that read alike
// do not share a metric.
func alarmName(expr, pattern string) string {
	var b strings.Builder
	dash := false
	for _, r := range expr {
		ok := r < 128 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
		switch {
		case ok:
			b.WriteRune(r)
			dash = false
		case !dash && b.Len() > 0:
			b.WriteByte('-')
			dash = true
		}
		if b.Len() >= 48 {
			break
		}
	}
	slug := strings.Trim(b.String(), "-")
	h := fnv.New32a()
	h.Write([]byte(pattern))
	return fmt.Sprintf("flowlens-%s-%08x", slug, h.Sum32())
}

// shellCommand writes a command, one flag and its value a line, each word quoted for a
// POSIX shell.
func shellCommand(parts [][]string) string {
	lines := make([]string, len(parts))
	for i, p := range parts {
		words := make([]string, len(p))
		for j, word := range p {
			words[j] = shellQuote(word)
		}
		lines[i] = strings.Join(words, " ")
	}
	return strings.Join(lines, " \\\n  ") + "\n"
}

// shellQuote quotes a word for a POSIX shell: as it is when it holds only characters no
// shell treats specially, else in single quotes (inside which nothing is special); a
// single quote in s closes the quotes, is escaped with a backslash, and opens them again.
func shellQuote(s string) string {
	if s == "" {
		return "''"
	}
	plain := true
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:,=+@%", r)) {
			plain = false
			break
		}
	}
	if plain {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// showQueriesOf writes --show-query for a command's filter: print's whole filter, or
// (conversations) the part pairs and the explorer push, which keeps both directions.
func showQueriesOf(w io.Writer, expr string, formats []*model.Format, groups []string, table string, conversations bool) error {
	q, err := shownQueryOf(expr, formats, groups, table, conversations)
	if err != nil {
		return err
	}
	return writeShownQuery(w, q)
}

// shownQueryOf builds the shownQuery of a filter as a command pushes it.
func shownQueryOf(expr string, formats []*model.Format, groups []string, table string, conversations bool) (shownQuery, error) {
	node, err := filter.Parse(expr)
	if err != nil {
		return shownQuery{}, filterUsageError(expr, err)
	}
	q := shownQuery{Expr: expr, Filter: node, Formats: formats, LogGroups: groups, Table: table}
	if conversations && node != nil {
		both := pushdown.BothDirections(node)
		q.Filter = both.Node
		switch {
		case both.Whole:
		case both.Node == nil:
			q.Note = "verdicts need both directions of a conversation: none of this filter can be pushed (only interface, protocol, addr= and port= terms can), so the forms below read every record"
		default:
			q.Note = "verdicts need both directions of a conversation: the forms below say only " + strings.Join(both.Terms, " ") + "; flowlens applies the rest to what comes back"
		}
	}
	return q, nil
}

// showQueryWithoutAWS is --show-query without --log-group: the format is --format's, or
// the default one.
func showQueryWithoutAWS(w io.Writer, read readOptions, qo queryOptions, conversations bool) error {
	format, err := read.parsedFormat()
	if err != nil {
		return err
	}
	if _, err := compileFilter(read.filter, format); err != nil && !conversations {
		return err
	}
	var formats []*model.Format
	if format != nil {
		formats = []*model.Format{format}
	}
	return showQueriesOf(w, read.filter, formats, nil, qo.athenaTable(), conversations)
}

// groupRank is how stats orders and cuts its groups, written into the queries
// --show-query prints so that they answer with the rows stats writes: the metric
// descending (or time order), the groups whose metric is at least min, the first top.
type groupRank struct {
	metric    stats.Metric
	timeOrder bool
	top       int
	min       uint64
	by        int  // group-by fields, which come first in the SQL's columns
	bin       bool // then the time bin
	distinct  model.Field
	// hasDistinct: the forms count distinct values (the SQL exactly, Insights not).
	hasDistinct bool
}

// setGrouping makes the forms count the groups of spec, ranked as stats ranks them.
func (q *shownQuery) setGrouping(spec stats.Spec) {
	g := groupingOf(spec)
	q.Grouping = &g
	metric, timeOrder, top := spec.Ranking()
	q.Rank = &groupRank{metric: metric, timeOrder: timeOrder, top: top, min: spec.Min,
		by: len(g.By), bin: g.Bin > 0, distinct: g.Distinct, hasDistinct: g.HasDistinct}
}

// column names the ranked metric's column in f's query; "" when f has no column for it.
func (r *groupRank) column(f *model.Format) string {
	need, col := model.FAction, pushdown.ColFlows
	needs := false
	switch r.metric {
	case stats.Packets:
		need, col, needs = model.FPackets, pushdown.ColPackets, true
	case stats.Bytes:
		need, col, needs = model.FBytes, pushdown.ColBytes, true
	case stats.Rejects:
		need, col, needs = model.FAction, pushdown.ColRejects, true
	case stats.Distinct:
		need, col, needs = r.distinct, pushdown.DistinctColumn(f, r.distinct), true
	}
	if needs && f.Column(need) < 0 {
		return ""
	}
	return col
}

// describe says, for the header, how the rows are ranked.
func (r *groupRank) describe() string {
	var b strings.Builder
	if r.timeOrder {
		b.WriteString("stats writes the groups in time order")
	} else {
		fmt.Fprintf(&b, "stats writes the groups by %s, descending", r.metric)
	}
	if r.min > 0 {
		fmt.Fprintf(&b, ", those with %s at least %d", r.metric, r.min)
	}
	if r.top > 0 {
		fmt.Fprintf(&b, ", the first %d", r.top)
	}
	b.WriteString("; the queries below do the same (ties may be ordered differently: SQL and Insights order addresses as text)")
	if r.timeOrder && r.top > 0 {
		b.WriteString("; the Insights query returns every bin, as it has no order of bins to cut by")
	}
	if r.hasDistinct {
		b.WriteString("; Insights' count_distinct is an estimate for high cardinalities, the SQL's count(DISTINCT) is exact")
	}
	return b.String()
}

// insights appends the ranking to a grouped Insights query: filter, sort and limit
// after stats. Without a grouping (r nil) the text is returned as it is.
func (r *groupRank) insights(text string, f *model.Format) string {
	if r == nil || !strings.Contains(text, "\n| stats ") {
		return text
	}
	col := r.column(f)
	if col == "" {
		return text
	}
	if r.min > 0 {
		text += fmt.Sprintf("\n| filter %s >= %d", col, r.min)
	}
	if !r.timeOrder {
		text += "\n| sort " + col + " desc"
		if r.top > 0 {
			text += "\n| limit " + strconv.Itoa(r.top)
		}
	}
	return text
}

// sql wraps a grouped query in the ranking: WHERE on the metric, ORDER BY it (then the
// bin and the group values, as stats breaks ties, by their positions among the
// columns), LIMIT.
func (r *groupRank) sql(text string, g *pushdown.Grouping) string {
	if r == nil || g == nil {
		return text
	}
	col := r.column(pushdown.AthenaColumns)
	if col == "" {
		return text
	}
	var order []string
	if !r.timeOrder {
		order = append(order, col+" DESC")
	}
	if r.bin {
		order = append(order, strconv.Itoa(r.by+1)+" ASC NULLS LAST")
	}
	for i := 1; i <= r.by; i++ {
		order = append(order, strconv.Itoa(i)+" ASC NULLS LAST")
	}
	out := "SELECT *\nFROM (\n" + text + "\n) AS grouped"
	if r.min > 0 {
		out += fmt.Sprintf("\nWHERE %s >= %d", col, r.min)
	}
	if len(order) > 0 {
		out += "\nORDER BY " + strings.Join(order, ", ")
	}
	if r.top > 0 {
		out += "\nLIMIT " + strconv.Itoa(r.top)
	}
	return out
}
