package fakeaws_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/smithy-go"

	"github.com/flowlens/flowlens/internal/fakeaws"
)

func TestDescribeLogGroupsPaginatesAndReportsBothARNForms(t *testing.T) {
	srv := fakeaws.Serve(t)
	for _, g := range []string{"/vpc/b", "/other", "/vpc/a"} {
		srv.AddLogGroup(g)
	}
	srv.PageSize(1)
	client := logsClient(srv)

	var names, arns, logGroupArns []string
	p := cloudwatchlogs.NewDescribeLogGroupsPaginator(client, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String("/vpc/")})
	for p.HasMorePages() {
		page, err := p.NextPage(testContext(t))
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range page.LogGroups {
			names = append(names, aws.ToString(g.LogGroupName))
			arns = append(arns, aws.ToString(g.Arn))
			logGroupArns = append(logGroupArns, aws.ToString(g.LogGroupArn))
		}
	}
	if want := []string{"/vpc/a", "/vpc/b"}; !slices.Equal(names, want) {
		t.Errorf("groups = %v, want %v in name order", names, want)
	}
	if got := len(srv.CallsTo("DescribeLogGroups")); got != 2 {
		t.Errorf("DescribeLogGroups calls = %d, want 2 (page size 1)", got)
	}
	if want := fakeaws.LogGroupARN("/vpc/a"); logGroupArns[0] != want || strings.HasSuffix(logGroupArns[0], ":*") {
		t.Errorf("LogGroupArn = %q, want %q without :*", logGroupArns[0], want)
	}
	if arns[0] != fakeaws.LogGroupARN("/vpc/a")+":*" {
		t.Errorf("Arn = %q, want the LogGroupArn plus :*", arns[0])
	}
}

func TestDescribeLogStreamsOrdersByLastEventTime(t *testing.T) {
	srv := fakeaws.Serve(t)
	srv.AddEvents("g", "eni-a-all", fakeaws.Event{Timestamp: at(30), Message: "a"})
	srv.AddEvents("g", "eni-b-all", fakeaws.Event{Timestamp: at(10), Message: "b"}, fakeaws.Event{Timestamp: at(50), Message: "b2"})
	srv.AddEvents("g", "eni-c-all", fakeaws.Event{Timestamp: at(20), Message: "c"})
	client := logsClient(srv)

	out, err := client.DescribeLogStreams(testContext(t), &cloudwatchlogs.DescribeLogStreamsInput{
		LogGroupName: aws.String("g"),
		OrderBy:      types.OrderByLastEventTime,
		Descending:   aws.Bool(true),
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range out.LogStreams {
		got = append(got, aws.ToString(s.LogStreamName))
	}
	if want := []string{"eni-b-all", "eni-a-all", "eni-c-all"}; !slices.Equal(got, want) {
		t.Errorf("streams = %v, want %v (latest event first)", got, want)
	}
	b := out.LogStreams[0]
	if aws.ToInt64(b.FirstEventTimestamp) != ms(at(10)) || aws.ToInt64(b.LastEventTimestamp) != ms(at(50)) {
		t.Errorf("eni-b-all first/last = %d/%d, want %d/%d", aws.ToInt64(b.FirstEventTimestamp), aws.ToInt64(b.LastEventTimestamp), ms(at(10)), ms(at(50)))
	}

	_, err = client.DescribeLogStreams(testContext(t), &cloudwatchlogs.DescribeLogStreamsInput{
		LogGroupName:        aws.String("g"),
		LogStreamNamePrefix: aws.String("eni-"),
		OrderBy:             types.OrderByLastEventTime,
	})
	var invalid *types.InvalidParameterException
	if !errors.As(err, &invalid) {
		t.Errorf("prefix with LastEventTime: err = %v, want InvalidParameterException", err)
	}
}

func TestFilterLogEventsTimeBoundsOrderAndLateEvents(t *testing.T) {
	srv := fakeaws.Serve(t)
	srv.SetClock(func() time.Time { return at(1000) })
	srv.AddEvents("g", "s1", fakeaws.Event{Timestamp: at(10), Message: "t10"}, fakeaws.Event{Timestamp: at(30), Message: "t30"})
	srv.AddEvents("g", "s2", fakeaws.Event{Timestamp: at(20), Message: "t20"}, fakeaws.Event{Timestamp: at(40), Message: "t40"})
	// A late record: ingested after the others, timestamped in between.
	late := srv.AddEvents("g", "s2", fakeaws.Event{Timestamp: at(25), Message: "t25", IngestionTime: at(2000)})

	out, err := logsClient(srv).FilterLogEvents(testContext(t), &cloudwatchlogs.FilterLogEventsInput{
		LogGroupName: aws.String("g"),
		StartTime:    aws.Int64(ms(at(20))),
		EndTime:      aws.Int64(ms(at(30))),
	})
	if err != nil {
		t.Fatal(err)
	}
	var msgs []string
	ids := map[string]bool{}
	for _, e := range out.Events {
		msgs = append(msgs, aws.ToString(e.Message))
		ids[aws.ToString(e.EventId)] = true
	}
	// Both bounds are inclusive, as the API reference words them.
	if want := []string{"t20", "t25", "t30"}; !slices.Equal(msgs, want) {
		t.Errorf("messages = %v, want %v", msgs, want)
	}
	if len(ids) != 3 {
		t.Errorf("event IDs not distinct: %v", ids)
	}
	mid := out.Events[1]
	if aws.ToString(mid.EventId) != late[0].EventID || aws.ToString(mid.LogStreamName) != "s2" {
		t.Errorf("late event = %+v, want ID %s from s2", mid, late[0].EventID)
	}
	if aws.ToInt64(mid.IngestionTime) != ms(at(2000)) || aws.ToInt64(out.Events[0].IngestionTime) != ms(at(1000)) {
		t.Errorf("ingestion times = %d, %d; want the given one and the server clock", aws.ToInt64(mid.IngestionTime), aws.ToInt64(out.Events[0].IngestionTime))
	}
}

func TestFilterLogEventsPaginatorCrossesEmptyPages(t *testing.T) {
	for _, stopOnDup := range []bool{false, true} {
		t.Run(fmt.Sprintf("StopOnDuplicateToken=%v", stopOnDup), func(t *testing.T) {
			srv := fakeaws.Serve(t)
			for i := range 5 {
				srv.AddEvents("g", "s", fakeaws.Event{Timestamp: at(i), Message: fmt.Sprint(i)})
			}
			srv.EmptyPages(3)
			srv.PageSize(2)
			p := cloudwatchlogs.NewFilterLogEventsPaginator(logsClient(srv), &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("g")},
				func(o *cloudwatchlogs.FilterLogEventsPaginatorOptions) { o.StopOnDuplicateToken = stopOnDup })
			var got []string
			pages := 0
			for p.HasMorePages() {
				page, err := p.NextPage(testContext(t))
				if err != nil {
					t.Fatal(err)
				}
				pages++
				for _, e := range page.Events {
					got = append(got, aws.ToString(e.Message))
				}
			}
			if want := []string{"0", "1", "2", "3", "4"}; !slices.Equal(got, want) {
				t.Errorf("events = %v, want %v", got, want)
			}
			if pages != 6 {
				t.Errorf("pages = %d, want 3 empty + 3 with data", pages)
			}
			tokens := map[string]bool{}
			for _, c := range srv.CallsTo("FilterLogEvents")[1:] {
				tok := c.String("nextToken")
				if tok == "" || tokens[tok] {
					t.Errorf("token %q empty or repeated", tok)
				}
				tokens[tok] = true
			}
		})
	}
}

func TestFilterLogEventsNewestFirst(t *testing.T) {
	srv := fakeaws.Serve(t)
	for i := range 3 {
		srv.AddEvents("g", "s", fakeaws.Event{Timestamp: at(i), Message: fmt.Sprint(i)})
	}
	srv.PageSize(2)
	p := cloudwatchlogs.NewFilterLogEventsPaginator(logsClient(srv), &cloudwatchlogs.FilterLogEventsInput{
		LogGroupName:  aws.String("g"),
		StartTime:     aws.Int64(ms(at(0))),
		StartFromHead: aws.Bool(false),
	})
	var got []string
	for p.HasMorePages() {
		page, err := p.NextPage(testContext(t))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range page.Events {
			got = append(got, aws.ToString(e.Message))
		}
	}
	if want := []string{"2", "1", "0"}; !slices.Equal(got, want) {
		t.Errorf("events = %v, want %v", got, want)
	}
}

func TestFilterLogEventsSelectsStreamsAndPattern(t *testing.T) {
	srv := fakeaws.Serve(t)
	srv.AddEvents("g", "eni-1-all", fakeaws.Event{Timestamp: at(1), Message: "x ACCEPT OK"}, fakeaws.Event{Timestamp: at(2), Message: "x REJECT OK"})
	srv.AddEvents("g", "eni-2-all", fakeaws.Event{Timestamp: at(3), Message: "y REJECT OK"})
	srv.AddEvents("g", "other", fakeaws.Event{Timestamp: at(4), Message: "z REJECT OK"})
	client := logsClient(srv)

	cases := []struct {
		name string
		in   cloudwatchlogs.FilterLogEventsInput
		want []string
	}{
		{"prefix", cloudwatchlogs.FilterLogEventsInput{LogStreamNamePrefix: aws.String("eni-")}, []string{"x ACCEPT OK", "x REJECT OK", "y REJECT OK"}},
		{"names", cloudwatchlogs.FilterLogEventsInput{LogStreamNames: []string{"eni-2-all", "other"}}, []string{"y REJECT OK", "z REJECT OK"}},
		{"pattern", cloudwatchlogs.FilterLogEventsInput{FilterPattern: aws.String("REJECT -z")}, []string{"x REJECT OK", "y REJECT OK"}},
		{"identifier ARN", cloudwatchlogs.FilterLogEventsInput{LogGroupName: nil, LogGroupIdentifier: aws.String(fakeaws.LogGroupARN("g")), LogStreamNames: []string{"other"}}, []string{"z REJECT OK"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in
			if in.LogGroupIdentifier == nil {
				in.LogGroupName = aws.String("g")
			}
			out, err := client.FilterLogEvents(testContext(t), &in)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range out.Events {
				got = append(got, aws.ToString(e.Message))
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("events = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestFilterLogEventsRefusesWhatAWSRefuses(t *testing.T) {
	srv := fakeaws.Serve(t)
	srv.AddLogGroup("g")
	client := logsClient(srv, noRetry)
	cases := []struct {
		name string
		in   cloudwatchlogs.FilterLogEventsInput
		code string
	}{
		{"names and prefix", cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("g"), LogStreamNames: []string{"a"}, LogStreamNamePrefix: aws.String("a")}, "InvalidParameterException"},
		{"name and identifier", cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("g"), LogGroupIdentifier: aws.String("g")}, "InvalidParameterException"},
		{"ARN with :*", cloudwatchlogs.FilterLogEventsInput{LogGroupIdentifier: aws.String(fakeaws.LogGroupARN("g") + ":*")}, "InvalidParameterException"},
		{"unknown group", cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("nope")}, "ResourceNotFoundException"},
		{"bad token", cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("g"), NextToken: aws.String("garbage")}, "InvalidParameterException"},
		{"newest first before 2024", cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("g"), StartFromHead: aws.Bool(false), StartTime: aws.Int64(0)}, "InvalidParameterException"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := client.FilterLogEvents(testContext(t), &tc.in)
			var apiErr smithy.APIError
			if !errors.As(err, &apiErr) || apiErr.ErrorCode() != tc.code {
				t.Fatalf("err = %v, want %s", err, tc.code)
			}
		})
	}
	var notFound *types.ResourceNotFoundException
	_, err := client.FilterLogEvents(testContext(t), &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("nope")})
	if !errors.As(err, &notFound) {
		t.Errorf("unknown group: err = %T, want *types.ResourceNotFoundException", err)
	}
}

func TestGetLogEventsTokensRepeatAtTheEnd(t *testing.T) {
	srv := fakeaws.Serve(t)
	for i := range 5 {
		srv.AddEvents("g", "s", fakeaws.Event{Timestamp: at(i), Message: fmt.Sprint(i)})
	}
	client := logsClient(srv)

	newest, err := client.GetLogEvents(testContext(t), &cloudwatchlogs.GetLogEventsInput{
		LogGroupName: aws.String("g"), LogStreamName: aws.String("s"), Limit: aws.Int32(2),
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := len(newest.Events); got != 2 || aws.ToString(newest.Events[1].Message) != "4" {
		t.Errorf("without startFromHead: %d events ending %q, want the newest 2 ending \"4\"", got, aws.ToString(newest.Events[len(newest.Events)-1].Message))
	}

	p := cloudwatchlogs.NewGetLogEventsPaginator(client, &cloudwatchlogs.GetLogEventsInput{
		LogGroupName: aws.String("g"), LogStreamName: aws.String("s"), StartFromHead: aws.Bool(true), Limit: aws.Int32(2),
	}, func(o *cloudwatchlogs.GetLogEventsPaginatorOptions) { o.StopOnDuplicateToken = true })
	var got []string
	for p.HasMorePages() {
		page, err := p.NextPage(testContext(t))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range page.Events {
			got = append(got, aws.ToString(e.Message))
		}
	}
	if want := []string{"0", "1", "2", "3", "4"}; !slices.Equal(got, want) {
		t.Errorf("events = %v, want %v", got, want)
	}
	calls := srv.CallsTo("GetLogEvents")
	last, prev := calls[len(calls)-1], calls[len(calls)-2]
	if last.String("nextToken") == "" || last.String("nextToken") == prev.String("nextToken") {
		t.Errorf("final request token %q should be the previous page's forward token", last.String("nextToken"))
	}

	// At the end of the stream the same forward token comes back: the
	// paginator without StopOnDuplicateToken would never stop.
	tok := last.String("nextToken")
	again, err := client.GetLogEvents(testContext(t), &cloudwatchlogs.GetLogEventsInput{
		LogGroupName: aws.String("g"), LogStreamName: aws.String("s"), NextToken: aws.String(tok),
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(again.Events) != 0 || aws.ToString(again.NextForwardToken) != tok {
		t.Errorf("at the end: %d events, token %q; want 0 events and the same token", len(again.Events), aws.ToString(again.NextForwardToken))
	}
}

func TestFailNextDecodesToTheSDKsTypedErrors(t *testing.T) {
	srv := fakeaws.Serve(t)
	srv.AddLogGroup("g")
	client := logsClient(srv, noRetry)
	cases := []struct {
		code   string
		status int
		is     func(error) bool
	}{
		{"ThrottlingException", 400, func(err error) bool { var e *types.ThrottlingException; return errors.As(err, &e) }},
		{"AccessDeniedException", 400, func(err error) bool { var e *types.AccessDeniedException; return errors.As(err, &e) }},
		{"ResourceNotFoundException", 400, func(err error) bool { var e *types.ResourceNotFoundException; return errors.As(err, &e) }},
		{"LimitExceededException", 400, func(err error) bool { var e *types.LimitExceededException; return errors.As(err, &e) }},
		{"UnrecognizedClientException", 400, func(err error) bool { var e *types.UnrecognizedClientException; return errors.As(err, &e) }},
		{"ServiceUnavailableException", 500, func(err error) bool { var e *types.ServiceUnavailableException; return errors.As(err, &e) }},
		// Not modelled by CloudWatch Logs: the SDK gives a generic APIError.
		{"ExpiredTokenException", 400, func(err error) bool { var e *smithy.GenericAPIError; return errors.As(err, &e) }},
	}
	for _, tc := range cases {
		t.Run(tc.code, func(t *testing.T) {
			srv.FailNext("FilterLogEvents", 1, tc.code)
			_, err := client.FilterLogEvents(testContext(t), &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("g")})
			if !tc.is(err) {
				t.Fatalf("err = %T %v, want the typed %s", err, err, tc.code)
			}
			var apiErr smithy.APIError
			if !errors.As(err, &apiErr) || apiErr.ErrorCode() != tc.code {
				t.Errorf("code = %v, want %s", err, tc.code)
			}
			var respErr *awshttp.ResponseError
			if !errors.As(err, &respErr) || respErr.HTTPStatusCode() != tc.status {
				t.Errorf("status = %v, want %d", err, tc.status)
			}
			// The fault is used up: the next call succeeds.
			if _, err := client.FilterLogEvents(testContext(t), &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("g")}); err != nil {
				t.Errorf("second call: %v", err)
			}
		})
	}
}

func TestSDKRetriesUseUpInjectedFaults(t *testing.T) {
	srv := fakeaws.Serve(t)
	srv.AddEvents("g", "s", fakeaws.Event{Timestamp: at(0), Message: "m"})
	srv.FailNext("FilterLogEvents", 2, "ThrottlingException")
	out, err := logsClient(srv).FilterLogEvents(testContext(t), &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("g")})
	if err != nil {
		t.Fatalf("standard retryer with 3 attempts should ride out 2 throttles: %v", err)
	}
	if len(out.Events) != 1 {
		t.Errorf("events = %d, want 1", len(out.Events))
	}
	var outcomes []string
	for _, c := range srv.CallsTo("FilterLogEvents") {
		outcomes = append(outcomes, c.Error)
	}
	if want := []string{"ThrottlingException", "ThrottlingException", ""}; !slices.Equal(outcomes, want) {
		t.Errorf("call outcomes = %q, want %q", outcomes, want)
	}
	if c := srv.CallsTo("FilterLogEvents")[0]; c.Region != fakeaws.Region || c.String("logGroupName") != "g" {
		t.Errorf("call log = %+v, want region %s and logGroupName g", c, fakeaws.Region)
	}
}

func TestFailNextWildcardAndQueueOrder(t *testing.T) {
	srv := fakeaws.Serve(t)
	srv.AddLogGroup("g")
	srv.FailNext("*", 1, "AccessDeniedException")
	srv.FailNext("DescribeLogGroups", 1, "ThrottlingException")
	client := logsClient(srv, noRetry)
	_, err := client.DescribeLogGroups(testContext(t), &cloudwatchlogs.DescribeLogGroupsInput{})
	var denied *types.AccessDeniedException
	if !errors.As(err, &denied) || !strings.Contains(denied.ErrorMessage(), "logs:DescribeLogGroups") {
		t.Errorf("first: %v, want AccessDeniedException naming logs:DescribeLogGroups", err)
	}
	_, err = client.DescribeLogGroups(testContext(t), &cloudwatchlogs.DescribeLogGroupsInput{})
	var throttled *types.ThrottlingException
	if !errors.As(err, &throttled) {
		t.Errorf("second: %v, want ThrottlingException", err)
	}
	if _, err = client.DescribeLogGroups(testContext(t), &cloudwatchlogs.DescribeLogGroupsInput{}); err != nil {
		t.Errorf("third: %v, want success", err)
	}
}
