package fakeaws_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"

	"github.com/flowlens/flowlens/internal/fakeaws"
	"github.com/flowlens/flowlens/internal/pushdowntest"
	"github.com/flowlens/flowlens/model"
	flfilter "github.com/flowlens/flowlens/model/filter"
	"github.com/flowlens/flowlens/model/pushdown"
	"github.com/flowlens/flowlens/source/awsclient"
)

// These tests send what the push-down compilers write through the real SDK client,
// as flowlens will, and compare what comes back with flowlens's own filter.

type storedRecords struct {
	format *model.Format
	group  string
	lines  []string
	recs   []model.Flow
}

// fillGroups stores n random records of every test format, one log group per format
// (a positional pattern fits one format), spread over two streams.
func fillGroups(t *testing.T, srv *fakeaws.Server, rng *rand.Rand, n int) []storedRecords {
	t.Helper()
	var out []storedRecords
	for i, f := range pushdowntest.Formats() {
		s := storedRecords{format: f, group: fmt.Sprintf("/vpc/format-%d", i)}
		var events [2][]fakeaws.Event
		for j := 0; j < n; j++ {
			line, r := pushdowntest.Record(rng, f)
			start, ok := r.Uint(model.FStart)
			if !ok {
				start = 1700000000
			}
			s.lines, s.recs = append(s.lines, line), append(s.recs, r)
			events[j%2] = append(events[j%2], fakeaws.Event{Timestamp: time.Unix(int64(start), 0), Message: line})
		}
		srv.AddEvents(s.group, "eni-a-all", events[0]...)
		srv.AddEvents(s.group, "eni-b-all", events[1]...)
		out = append(out, s)
	}
	return out
}

func TestFilterLogEventsWithPushedPatternThroughTheSDK(t *testing.T) {
	srv := fakeaws.Serve(t)
	rng := rand.New(rand.NewPCG(14, 10))
	groups := fillGroups(t, srv, rng, 150)
	srv.PageSize(40) // several pages per search
	client := awsclient.NewLogs(srv.AWSConfig())
	exact := 0
	for _, g := range groups {
		for k := 0; k < 15; {
			expr := pushdowntest.Filter(rng, g.format, 2)
			flt, err := flfilter.Compile(expr, flfilter.Options{Formats: []*model.Format{g.format}})
			if err != nil {
				continue
			}
			k++
			node, _ := flfilter.Parse(expr)
			res, err := pushdown.Pattern(node, g.format)
			if err != nil {
				t.Fatal(err)
			}
			if res.Never {
				continue
			}
			in := &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String(g.group)}
			if res.Text != "" {
				in.FilterPattern = aws.String(res.Text)
			}
			got := map[string]int{}
			p := cloudwatchlogs.NewFilterLogEventsPaginator(client, in)
			for p.HasMorePages() {
				page, err := p.NextPage(testContext(t))
				if err != nil {
					t.Fatalf("%q: pattern %q: %v", expr, res.Text, err)
				}
				for _, e := range page.Events {
					got[aws.ToString(e.Message)]++
				}
			}
			if res.Exact {
				exact++
			}
			for i, line := range g.lines {
				keep := flt.Match(&g.recs[i])
				if keep && got[line] == 0 {
					t.Fatalf("%q: pattern %s dropped %q", expr, res.Text, line)
				}
				if res.Exact && !keep && got[line] > 0 {
					t.Fatalf("%q: exact pattern %s kept %q", expr, res.Text, line)
				}
			}
		}
	}
	if exact == 0 {
		t.Error("no exact pattern was sent")
	}
}

// runQuery starts a query and polls it to completion, as flowlens will.
func runQuery(t *testing.T, client *cloudwatchlogs.Client, in *cloudwatchlogs.StartQueryInput) *cloudwatchlogs.GetQueryResultsOutput {
	t.Helper()
	ctx := testContext(t)
	start, err := client.StartQuery(ctx, in)
	if err != nil {
		t.Fatalf("StartQuery: %v\n%s", err, aws.ToString(in.QueryString))
	}
	for polls := 0; ; polls++ {
		out, err := client.GetQueryResults(ctx, &cloudwatchlogs.GetQueryResultsInput{QueryId: start.QueryId})
		if err != nil {
			t.Fatalf("GetQueryResults: %v", err)
		}
		switch out.Status {
		case types.QueryStatusComplete:
			return out
		case types.QueryStatusScheduled, types.QueryStatusRunning:
			if polls > 20 {
				t.Fatal("the query never completed")
			}
			continue
		}
		t.Fatalf("status %s", out.Status)
	}
}

func fieldsOf(row []types.ResultField) map[string]string {
	m := map[string]string{}
	for _, f := range row {
		m[aws.ToString(f.Field)] = aws.ToString(f.Value)
	}
	return m
}

func TestInsightsQueriesThroughTheSDK(t *testing.T) {
	srv := fakeaws.Serve(t)
	srv.InsightsPolls(2)
	rng := rand.New(rand.NewPCG(14, 11))
	groups := fillGroups(t, srv, rng, 150)
	client := awsclient.NewLogs(srv.AWSConfig())
	for _, g := range groups {
		for k := 0; k < 8; {
			expr := pushdowntest.Filter(rng, g.format, 2)
			flt, err := flfilter.Compile(expr, flfilter.Options{Formats: []*model.Format{g.format}})
			if err != nil {
				continue
			}
			k++
			node, _ := flfilter.Parse(expr)
			res, err := pushdown.Insights(node, g.format, pushdown.InsightsOptions{})
			if err != nil {
				t.Fatal(err)
			}
			out := runQuery(t, client, &cloudwatchlogs.StartQueryInput{
				LogGroupName: aws.String(g.group),
				StartTime:    aws.Int64(1690000000),
				EndTime:      aws.Int64(1710000000),
				QueryString:  aws.String(res.Text),
			})
			got := map[string]bool{}
			for _, row := range out.Results {
				got[fieldsOf(row)["@message"]] = true
			}
			want := 0
			for i, line := range g.lines {
				keep := flt.Match(&g.recs[i])
				if keep {
					want++
				}
				if keep && !got[line] || res.Exact && !keep && got[line] {
					t.Fatalf("%q (exact %v): the query and the filter disagree on %q\n%s", expr, res.Exact, line, res.Text)
				}
			}
			if res.Exact && out.Statistics.RecordsMatched != float64(want) {
				t.Errorf("%q: recordsMatched = %v, want %d", expr, out.Statistics.RecordsMatched, want)
			}
			if out.Statistics.RecordsScanned != float64(len(g.lines)) || out.Statistics.BytesScanned <= 0 {
				t.Errorf("statistics %+v: want every event scanned and bytes counted", *out.Statistics)
			}
		}
	}
}

func TestInsightsStatsBySrcaddrThroughTheSDK(t *testing.T) {
	srv := fakeaws.Serve(t)
	rng := rand.New(rand.NewPCG(14, 12))
	g := fillGroups(t, srv, rng, 400)[0]
	client := awsclient.NewLogs(srv.AWSConfig())
	node, _ := flfilter.Parse("dport=22 or reject")
	flt := flfilter.MustCompile("dport=22 or reject")
	grouping := &pushdown.Grouping{By: []model.Field{model.FSrcAddr}, Bin: time.Hour}
	res, err := pushdown.Insights(node, g.format, pushdown.InsightsOptions{Grouping: grouping})
	if err != nil || !res.Exact {
		t.Fatalf("Insights: %v, exact %v", err, res.Exact)
	}
	out := runQuery(t, client, &cloudwatchlogs.StartQueryInput{
		LogGroupName: aws.String(g.group), StartTime: aws.Int64(1690000000), EndTime: aws.Int64(1710000000),
		QueryString: aws.String(res.Text),
	})
	type key struct{ src, bin string }
	want := map[key][2]uint64{}
	for i := range g.recs {
		r := &g.recs[i]
		if !flt.Match(r) {
			continue
		}
		start, _ := r.Uint(model.FStart)
		k := key{r.Value(model.FSrcAddr), time.Unix(int64(start/3600*3600), 0).UTC().Format("2006-01-02 15:04:05.000")}
		w := want[k]
		b, _ := r.Uint(model.FBytes)
		w[0]++
		w[1] += b
		want[k] = w
	}
	if len(out.Results) != len(want) || len(want) < 10 {
		t.Fatalf("%d groups, want %d (and at least 10 for a meaningful test)", len(out.Results), len(want))
	}
	for _, row := range out.Results {
		m := fieldsOf(row)
		w, ok := want[key{m["srcaddr"], m["bin(1h)"]}]
		if !ok || m[pushdown.ColFlows] != fmt.Sprint(w[0]) || m[pushdown.ColBytes] != fmt.Sprint(w[1]) {
			t.Errorf("group %v: got flows %s bytes %s, want %v", m, m[pushdown.ColFlows], m[pushdown.ColBytes], w)
		}
	}
}

func TestInsightsTimeRangeIsWholeSecondsBothEndsInclusive(t *testing.T) {
	srv := fakeaws.Serve(t)
	base := time.Unix(1700000000, 0)
	for _, ms := range []int{-1, 0, 999, 1000, 1999, 2000} {
		srv.AddEvents("g", "s", fakeaws.Event{Timestamp: base.Add(time.Duration(ms) * time.Millisecond), Message: fmt.Sprintf("at %d", ms)})
	}
	client := awsclient.NewLogs(srv.AWSConfig())
	count := func(from, to int64) []string {
		out := runQuery(t, client, &cloudwatchlogs.StartQueryInput{
			LogGroupName: aws.String("g"), StartTime: aws.Int64(1700000000 + from), EndTime: aws.Int64(1700000000 + to),
			QueryString: aws.String("fields @message | sort @timestamp asc"),
		})
		var msgs []string
		for _, row := range out.Results {
			msgs = append(msgs, fieldsOf(row)["@message"])
		}
		return msgs
	}
	if got := strings.Join(count(0, 1), ","); got != "at 0,at 999,at 1000,at 1999" {
		t.Errorf("[0, 1] = %s, want the events of seconds 0 and 1, all of second 1 included", got)
	}
	// Adjacent ranges that do not share a second split the events without overlap.
	a, b := count(0, 0), count(1, 1)
	if strings.Join(a, ",") != "at 0,at 999" || strings.Join(b, ",") != "at 1000,at 1999" {
		t.Errorf("[0,0] = %v and [1,1] = %v, want each second's own events", a, b)
	}
}

func TestInsightsConcurrencyQuotaAndStopQuery(t *testing.T) {
	srv := fakeaws.Serve(t)
	srv.AddEvents("g", "s", fakeaws.Event{Timestamp: time.Unix(1700000000, 0), Message: "x"})
	srv.InsightsPolls(5)
	srv.InsightsConcurrencyLimit(3)
	client := awsclient.NewLogs(srv.AWSConfig(), noRetry)
	ctx := testContext(t)
	in := &cloudwatchlogs.StartQueryInput{LogGroupName: aws.String("g"), StartTime: aws.Int64(1), EndTime: aws.Int64(1800000000), QueryString: aws.String("fields @message")}
	var ids []*string
	for i := 0; i < 3; i++ {
		out, err := client.StartQuery(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, out.QueryId)
	}
	_, err := client.StartQuery(ctx, in)
	var limit *types.LimitExceededException
	if !errors.As(err, &limit) {
		t.Fatalf("4th query: err = %v, want LimitExceededException", err)
	}
	if _, err := client.StopQuery(ctx, &cloudwatchlogs.StopQueryInput{QueryId: ids[0]}); err != nil {
		t.Fatal(err)
	}
	if got := srv.RunningQueries(); got != 2 {
		t.Errorf("running = %d after StopQuery, want 2", got)
	}
	out, err := client.GetQueryResults(ctx, &cloudwatchlogs.GetQueryResultsInput{QueryId: ids[0]})
	if err != nil || out.Status != types.QueryStatusCancelled {
		t.Errorf("stopped query: %v, status %s, want Cancelled", err, out.Status)
	}
	if _, err := client.StartQuery(ctx, in); err != nil {
		t.Errorf("after a stop there is room again: %v", err)
	}
	if _, err := client.StopQuery(ctx, &cloudwatchlogs.StopQueryInput{QueryId: aws.String("nope")}); err == nil {
		t.Error("StopQuery of an unknown query succeeded")
	}
}

func TestInsightsRowLimitAndResultPages(t *testing.T) {
	srv := fakeaws.Serve(t)
	for i := 0; i < 30; i++ {
		srv.AddEvents("g", "s", fakeaws.Event{Timestamp: time.Unix(1700000000+int64(i), 0), Message: fmt.Sprintf("event %02d", i)})
	}
	srv.InsightsMaxRows(25)
	client := awsclient.NewLogs(srv.AWSConfig())
	ctx := testContext(t)
	run := func(q string) []string {
		start, err := client.StartQuery(ctx, &cloudwatchlogs.StartQueryInput{LogGroupName: aws.String("g"), StartTime: aws.Int64(1), EndTime: aws.Int64(1800000000), QueryString: aws.String(q)})
		if err != nil {
			t.Fatal(err)
		}
		var msgs []string
		var token *string
		for {
			out, err := client.GetQueryResults(ctx, &cloudwatchlogs.GetQueryResultsInput{QueryId: start.QueryId, MaxItems: aws.Int32(7), NextToken: token})
			if err != nil {
				t.Fatal(err)
			}
			for _, row := range out.Results {
				msgs = append(msgs, fieldsOf(row)["@message"])
			}
			if token = out.NextToken; token == nil {
				return msgs
			}
		}
	}
	if got := run("fields @message | sort @timestamp asc"); len(got) != 25 || got[24] != "event 24" {
		t.Errorf("without limit: %d rows ending %q, want the row limit of 25", len(got), got[len(got)-1])
	}
	if got := run("fields @message | sort @timestamp desc | limit 4"); strings.Join(got, ",") != "event 29,event 28,event 27,event 26" {
		t.Errorf("limit 4 = %v", got)
	}
	_, err := client.StartQuery(ctx, &cloudwatchlogs.StartQueryInput{LogGroupName: aws.String("g"), StartTime: aws.Int64(1), EndTime: aws.Int64(2), QueryString: aws.String("filter (")})
	var malformed *types.MalformedQueryException
	if !errors.As(err, &malformed) {
		t.Errorf("bad query: err = %v, want MalformedQueryException", err)
	}
}

// A busy group: 3,000 events in one update, 150 of them rejects. Unfiltered, Live Tail
// samples the update down to 500 events and loses rejects; with the pattern compiled
// from action=REJECT pushed down, the 150 matches are under the rate and all arrive.
func TestLiveTailWithPushedPatternKeepsEveryRejectThatSamplingLoses(t *testing.T) {
	srv := fakeaws.Serve(t)
	srv.LiveTailUpdateInterval(0)
	srv.AddLogGroup("/vpc/busy")
	node, _ := flfilter.Parse("action=REJECT")
	res, err := pushdown.Pattern(node, model.DefaultFormat)
	if err != nil || !res.Exact || res.Text == "" {
		t.Fatalf("pattern %q exact %v: %v", res.Text, res.Exact, err)
	}
	client := awsclient.LiveTailClient(logsClient(srv, noRetry))
	open := func(pattern *string, sessions int) *cloudwatchlogs.StartLiveTailEventStream {
		out, err := client.StartLiveTail(testContext(t), &cloudwatchlogs.StartLiveTailInput{
			LogGroupIdentifiers:   []string{fakeaws.LogGroupARN("/vpc/busy")},
			LogEventFilterPattern: pattern,
		})
		if err != nil {
			t.Fatal(err)
		}
		stream := out.GetStream()
		t.Cleanup(func() { stream.Close() })
		if err := srv.AwaitLiveTailSessions(testContext(t), sessions); err != nil {
			t.Fatal(err)
		}
		if _, ok := next(t, stream).(*types.StartLiveTailResponseStreamMemberSessionStart); !ok {
			t.Fatal("first event is not sessionStart")
		}
		return stream
	}
	all := open(nil, 1)
	pushed := open(aws.String(res.Text), 2)

	var events []fakeaws.Event
	for i := 0; i < 3000; i++ {
		action := "ACCEPT"
		if i%20 == 0 {
			action = "REJECT"
		}
		events = append(events, fakeaws.Event{Timestamp: time.Unix(1700000000, 0), Message: fmt.Sprintf("2 123456789012 eni-0abc 10.0.0.%d 10.0.1.5 %d 22 6 1 60 1700000000 1700000060 %s OK", i%250, 1024+i, action)})
	}
	srv.AddEvents("/vpc/busy", "eni-0abc-all", events...)
	srv.FlushLiveTail()
	rejects := func(up types.LiveTailSessionUpdate) int {
		n := 0
		for _, e := range up.SessionResults {
			if strings.Contains(aws.ToString(e.Message), " REJECT ") {
				n++
			}
		}
		return n
	}
	u := nextUpdate(t, all)
	if !u.SessionMetadata.Sampled || len(u.SessionResults) != 500 || rejects(u) >= 150 {
		t.Errorf("unfiltered: sampled %v, %d events, %d rejects; want sampled, 500 events, rejects lost", u.SessionMetadata.Sampled, len(u.SessionResults), rejects(u))
	}
	p := nextUpdate(t, pushed)
	if p.SessionMetadata.Sampled || len(p.SessionResults) != 150 || rejects(p) != 150 {
		t.Errorf("pushed %q: sampled %v, %d events, %d rejects; want every one of the 150 rejects, unsampled", res.Text, p.SessionMetadata.Sampled, len(p.SessionResults), rejects(p))
	}
}
