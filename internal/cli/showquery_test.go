package cli

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"mvdan.cc/sh/v3/expand"
	"mvdan.cc/sh/v3/syntax"

	"github.com/flowlens/flowlens/internal/fakeaws"
	"github.com/flowlens/flowlens/internal/pushdowntest"
	"github.com/flowlens/flowlens/internal/sqlcheck"
	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/filter"
	"github.com/flowlens/flowlens/model/pushdown"
	"github.com/flowlens/flowlens/source/awsclient"
)

// sections cuts --show-query's output into its forms, by the word that starts each
// heading: "Logs", "CloudWatch", "Athena", "Alarm". A heading's text follows in head.
func sections(t *testing.T, out string) (body, head map[string]string) {
	t.Helper()
	body, head = map[string]string{}, map[string]string{}
	var cur string
	for _, line := range strings.Split(out, "\n") {
		if h, ok := strings.CutPrefix(line, "## "); ok {
			cur = strings.TrimSuffix(strings.Fields(h)[0], ":")
			head[cur] = h
			continue
		}
		if cur != "" && line != "" && !strings.HasPrefix(line, "#") {
			body[cur] += line + "\n"
		}
	}
	return body, head
}

// The documented options of the two aws CLI commands (AWS CLI reference, logs
// put-metric-filter and cloudwatch put-metric-alarm), and the values some take.
var (
	metricFilterFlags = []string{"--log-group-name", "--filter-name", "--filter-pattern", "--metric-transformations",
		"--apply-on-transformed-logs", "--no-apply-on-transformed-logs", "--field-selection-criteria", "--emit-system-field-dimensions"}
	metricAlarmFlags = []string{"--alarm-name", "--alarm-description", "--actions-enabled", "--no-actions-enabled", "--ok-actions",
		"--alarm-actions", "--insufficient-data-actions", "--metric-name", "--namespace", "--statistic", "--extended-statistic",
		"--dimensions", "--period", "--unit", "--evaluation-periods", "--datapoints-to-alarm", "--threshold", "--comparison-operator",
		"--treat-missing-data", "--evaluate-low-sample-count-percentile", "--metrics", "--tags", "--threshold-metric-id"}
	transformKeys = []string{"metricName", "metricNamespace", "metricValue", "defaultValue", "dimensions", "unit"}
	statistics    = []string{"SampleCount", "Average", "Sum", "Minimum", "Maximum"}
	comparisons   = []string{"GreaterThanOrEqualToThreshold", "GreaterThanThreshold", "LessThanThreshold", "LessThanOrEqualToThreshold"}
	missingData   = []string{"breaching", "notBreaching", "ignore", "missing"}
)

// shellCommands parses shell text as a POSIX shell would and returns each command's
// words, quotes removed.
func shellCommands(t *testing.T, text string) [][]string {
	t.Helper()
	f, err := syntax.NewParser(syntax.Variant(syntax.LangPOSIX)).Parse(strings.NewReader(text), "show-query")
	if err != nil {
		t.Fatalf("the commands do not parse as shell: %v\n%s", err, text)
	}
	var out [][]string
	syntax.Walk(f, func(n syntax.Node) bool {
		call, ok := n.(*syntax.CallExpr)
		if !ok {
			return true
		}
		words, err := expand.Fields(&expand.Config{}, call.Args...)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, words)
		return false
	})
	return out
}

// flags reads "--name value" pairs after the command's first words.
func flags(t *testing.T, words []string, skip int, documented []string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for i := skip; i < len(words); i += 2 {
		if !slices.Contains(documented, words[i]) {
			t.Errorf("%s: %q is not an option of the command", strings.Join(words[:skip], " "), words[i])
		}
		if i+1 >= len(words) {
			t.Fatalf("%q has no value", words[i])
		}
		out[words[i]] = words[i+1]
	}
	return out
}

// --show-query's output pastes and runs: its Insights query runs on the fake through the
// SDK, its pattern filters FilterLogEvents, its SQL runs on DuckDB, and its aws commands
// parse as shell with documented options; each form keeps exactly the records flowlens
// keeps when marked exact, and at least those when looser. No alarm on a looser pattern.
func TestShowQueryOutputRunsWhereItIsPasted(t *testing.T) {
	srv := fakeAWS(t)
	srv.AddFlowLogs(fakeaws.FlowLog{LogGroupName: testGroup, ResourceID: "vpc-0123456789abcdef0"})
	rng := rand.New(rand.NewPCG(14, 3))
	var lines []string
	var recs []model.Flow
	for i := 0; i < 400; i++ {
		line, r := pushdowntest.Record(rng, model.DefaultFormat)
		start, ok := r.Uint(model.FStart)
		if !ok {
			continue
		}
		lines, recs = append(lines, line), append(recs, r)
		srv.AddEvents(testGroup, fmt.Sprintf("eni-%d-all", i%3), fakeaws.Event{Timestamp: time.Unix(int64(start), 0), Message: line})
	}
	logs := awsclient.NewLogs(srv.AWSConfig())
	runner, runnerErr := sqlcheck.Runner()
	if runnerErr != nil && os.Getenv("CI") == "true" {
		t.Fatalf("CI must run the SQL on DuckDB: %v", runnerErr)
	}
	alarms := 0
	for _, expr := range []string{
		"action=REJECT dstport=22",
		"reject addr=10.0.3.0/24",
		"src=172.16.0.0/12 not proto=icmp",
		"(dport=22 or dport=3389) action=ACCEPT",
		"eni=eni-0abc* tcp",
		`reject "OK"`,
	} {
		t.Run(expr, func(t *testing.T) {
			code, stdout, stderr := runForOutput(t, "print", "--show-query", "--log-group", testGroup, "--filter", expr,
				"--since", "2023-11-14T00:00:00Z", "--until", "2023-11-16T00:00:00Z", "--athena-table", "flows")
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			body, head := sections(t, stdout)
			flt := filter.MustCompile(expr)
			var want []string
			for i := range recs {
				if flt.Match(&recs[i]) {
					want = append(want, lines[i])
				}
			}
			sort.Strings(want)
			check := func(form string, got []string) {
				t.Helper()
				sort.Strings(got)
				exact := strings.Contains(head[form], "(exact)")
				switch {
				case exact && !slices.Equal(got, want):
					t.Errorf("%s (exact) keeps %d records, flowlens %d", form, len(got), len(want))
				case !exact && !isSubset(want, got):
					t.Errorf("%s (looser) lost records flowlens keeps", form)
				}
			}

			// Logs Insights, through the SDK on the fake.
			check("Logs", runInsights(t, logs, body["Logs"]))

			// The filter pattern, on FilterLogEvents.
			pattern := strings.TrimSpace(body["CloudWatch"])
			check("CloudWatch", filterLogEvents(t, logs, pattern))

			// The SQL, on DuckDB.
			if runnerErr == nil {
				sql := strings.TrimSuffix(strings.TrimSpace(body["Athena"]), ";")
				res, err := sqlcheck.Run(context.Background(), runner, []sqlcheck.Table{
					sqlcheck.TableOf("flows", pushdown.AthenaColumns, recs, sqlcheck.Text, func(i int) []any { return []any{lines[i]} },
						sqlcheck.Column{Name: "line", Type: "string"}),
				}, []string{strings.Replace(sql, "SELECT *", "SELECT line", 1)})
				if err != nil || res[0].Error != "" {
					t.Fatalf("DuckDB: %v %s\n%s", err, res[0].Error, sql)
				}
				var got []string
				for _, row := range res[0].Rows {
					got = append(got, *row[0])
				}
				check("Athena", got)
			}

			// The alarm: only on an exact pattern, as commands a shell runs.
			patternExact := strings.Contains(head["CloudWatch"], "(exact)") && pattern != ""
			alarm := body["Alarm"]
			if !patternExact {
				if alarm != "" || !strings.Contains(stdout, "# none: the filter pattern is not exact") {
					t.Errorf("an alarm on a looser pattern:\n%s", stdout)
				}
				return
			}
			alarms++
			cmds := shellCommands(t, alarm)
			if len(cmds) != 2 || strings.Join(cmds[0][:3], " ") != "aws logs put-metric-filter" || strings.Join(cmds[1][:3], " ") != "aws cloudwatch put-metric-alarm" {
				t.Fatalf("commands %q", cmds)
			}
			mf := flags(t, cmds[0], 3, metricFilterFlags)
			ma := flags(t, cmds[1], 3, metricAlarmFlags)
			if mf["--log-group-name"] != testGroup || mf["--filter-pattern"] != pattern || mf["--filter-name"] == "" {
				t.Errorf("put-metric-filter %v", mf)
			}
			transform := map[string]string{}
			for _, kv := range strings.Split(mf["--metric-transformations"], ",") {
				k, v, _ := strings.Cut(kv, "=")
				if !slices.Contains(transformKeys, k) {
					t.Errorf("metric transformation key %q", k)
				}
				transform[k] = v
			}
			if transform["metricName"] != ma["--metric-name"] || transform["metricNamespace"] != ma["--namespace"] || transform["metricValue"] != "1" {
				t.Errorf("the alarm watches %s/%s, the filter writes %v", ma["--namespace"], ma["--metric-name"], transform)
			}
			if !slices.Contains(statistics, ma["--statistic"]) || !slices.Contains(comparisons, ma["--comparison-operator"]) ||
				!slices.Contains(missingData, ma["--treat-missing-data"]) || ma["--alarm-name"] == "" || ma["--evaluation-periods"] == "" ||
				ma["--alarm-description"] != "flowlens filter: "+expr {
				t.Errorf("put-metric-alarm %v", ma)
			}
			// The metric filter counts what FilterLogEvents finds with its pattern.
			check("CloudWatch", filterLogEvents(t, logs, mf["--filter-pattern"]))
		})
	}
	if alarms < 2 {
		t.Errorf("%d filters had an alarm; the cases should have exact patterns", alarms)
	}
	if runnerErr != nil {
		msg := fmt.Sprintf("SKIPPED the SQL part of %s: %v", t.Name(), runnerErr)
		fmt.Fprintln(os.Stderr, msg)
	}
}

func isSubset(small, big []string) bool {
	have := map[string]int{}
	for _, s := range big {
		have[s]++
	}
	for _, s := range small {
		if have[s] == 0 {
			return false
		}
		have[s]--
	}
	return true
}

func runInsights(t *testing.T, logs *cloudwatchlogs.Client, query string) []string {
	t.Helper()
	ctx := context.Background()
	out, err := logs.StartQuery(ctx, &cloudwatchlogs.StartQueryInput{
		LogGroupName: aws.String(testGroup), QueryString: aws.String(query),
		StartTime: aws.Int64(1690000000), EndTime: aws.Int64(1710000000),
	})
	if err != nil {
		t.Fatalf("StartQuery: %v\n%s", err, query)
	}
	for {
		res, err := logs.GetQueryResults(ctx, &cloudwatchlogs.GetQueryResultsInput{QueryId: out.QueryId})
		if err != nil {
			t.Fatal(err)
		}
		if res.Status != types.QueryStatusComplete {
			continue
		}
		var got []string
		for _, row := range res.Results {
			for _, f := range row {
				if aws.ToString(f.Field) == "@message" {
					got = append(got, aws.ToString(f.Value))
				}
			}
		}
		return got
	}
}

func filterLogEvents(t *testing.T, logs *cloudwatchlogs.Client, pattern string) []string {
	t.Helper()
	in := &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String(testGroup)}
	if pattern != "" {
		in.FilterPattern = aws.String(pattern)
	}
	var got []string
	pages := cloudwatchlogs.NewFilterLogEventsPaginator(logs, in)
	for pages.HasMorePages() {
		page, err := pages.NextPage(context.Background())
		if err != nil {
			t.Fatalf("FilterLogEvents %q: %v", pattern, err)
		}
		for _, e := range page.Events {
			got = append(got, aws.ToString(e.Message))
		}
	}
	return got
}

// shellQuote's words come back whole from a POSIX shell parser, whatever they hold.
func TestShellQuoteSurvivesAShell(t *testing.T) {
	words := []string{"", "plain", "a b", "it's", `"double"`, `$HOME`, "`date`", `back\slash`, "new\nline", "[a, b=1 || b=2]", "'", "%^10\\.0%", "!x", "*"}
	text := "echo"
	for _, w := range words {
		text += " " + shellQuote(w)
	}
	got := shellCommands(t, text)
	if len(got) != 1 || !slices.Equal(got[0][1:], words) {
		t.Errorf("the shell read %q, want %q", got, words)
	}
}

// pairs shows only what it pushes: the part of the filter that keeps both directions.
func TestPairsShowQuerySaysWhatItPushes(t *testing.T) {
	code, stdout, stderr := runForOutput(t, "pairs", "--show-query", "--filter", "action=REJECT tcp port=22")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	body, _ := sections(t, stdout)
	if !strings.Contains(stdout, "the forms below say only tcp port=22") || strings.Contains(body["Logs"], "REJECT") ||
		!strings.Contains(body["Logs"], "protocol = 6") {
		t.Errorf("pairs --show-query:\n%s", stdout)
	}
}
