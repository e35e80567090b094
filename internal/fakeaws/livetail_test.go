package fakeaws_test

import (
	"errors"
	"fmt"
	"github.com/flowlens/flowlens/source/awsclient"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/eventstream"

	"github.com/flowlens/flowlens/internal/fakeaws"
)

// openTail starts a Live Tail session on the fake and waits until the server
// has registered it, so that events added afterwards belong to it.
func openTail(t *testing.T, srv *fakeaws.Server, in *cloudwatchlogs.StartLiveTailInput) *cloudwatchlogs.StartLiveTailEventStream {
	t.Helper()
	out, err := awsclient.LiveTailClient(logsClient(srv, noRetry)).StartLiveTail(testContext(t), in)
	if err != nil {
		t.Fatalf("StartLiveTail: %v", err)
	}
	stream := out.GetStream()
	t.Cleanup(func() { stream.Close() })
	if err := srv.AwaitLiveTailSessions(testContext(t), 1); err != nil {
		t.Fatal(err)
	}
	return stream
}

// next reads one event from the stream, failing the test if the stream ends
// or nothing arrives before the deadline.
func next(t *testing.T, stream *cloudwatchlogs.StartLiveTailEventStream) types.StartLiveTailResponseStream {
	t.Helper()
	select {
	case ev, ok := <-stream.Events():
		if !ok {
			t.Fatalf("stream ended early: Err = %v", stream.Err())
		}
		return ev
	case <-time.After(deadline):
		t.Fatal("no event before the deadline")
	}
	return nil
}

func nextUpdate(t *testing.T, stream *cloudwatchlogs.StartLiveTailEventStream) types.LiveTailSessionUpdate {
	t.Helper()
	ev := next(t, stream)
	up, ok := ev.(*types.StartLiveTailResponseStreamMemberSessionUpdate)
	if !ok {
		t.Fatalf("event = %T, want sessionUpdate", ev)
	}
	return up.Value
}

// waitEnd waits for the events channel to close and returns the stream's
// error.
func waitEnd(t *testing.T, stream *cloudwatchlogs.StartLiveTailEventStream) error {
	t.Helper()
	timeout := time.After(deadline)
	for {
		select {
		case _, ok := <-stream.Events():
			if !ok {
				return stream.Err()
			}
		case <-timeout:
			t.Fatal("stream did not end before the deadline")
		}
	}
}

func messages(up types.LiveTailSessionUpdate) []string {
	var out []string
	for _, e := range up.SessionResults {
		out = append(out, aws.ToString(e.Message))
	}
	return out
}

func TestLiveTailStartsThenPushesIngestedEvents(t *testing.T) {
	srv := fakeaws.Serve(t)
	srv.LiveTailUpdateInterval(0)
	srv.AddLogStream("/vpc/flow", "eni-1-all")
	arn := fakeaws.LogGroupARN("/vpc/flow")
	stream := openTail(t, srv, &cloudwatchlogs.StartLiveTailInput{
		LogGroupIdentifiers: []string{arn},
		LogStreamNames:      []string{"eni-1-all"},
	})

	start, ok := next(t, stream).(*types.StartLiveTailResponseStreamMemberSessionStart)
	if !ok {
		t.Fatal("first event is not sessionStart")
	}
	if aws.ToString(start.Value.SessionId) == "" || aws.ToString(start.Value.RequestId) == "" {
		t.Errorf("sessionStart = %+v, want session and request IDs", start.Value)
	}
	if !slices.Equal(start.Value.LogGroupIdentifiers, []string{arn}) || !slices.Equal(start.Value.LogStreamNames, []string{"eni-1-all"}) {
		t.Errorf("sessionStart echoes %v %v", start.Value.LogGroupIdentifiers, start.Value.LogStreamNames)
	}

	srv.SetClock(func() time.Time { return at(600) })
	srv.AddEvents("/vpc/flow", "eni-1-all", fakeaws.Event{Timestamp: at(500), Message: "now"})
	srv.AddEvents("/vpc/flow", "eni-2-all", fakeaws.Event{Timestamp: at(500), Message: "other stream"})
	// A record from ten minutes ago arrives late: Live Tail still pushes it.
	srv.AddEvents("/vpc/flow", "eni-1-all", fakeaws.Event{Timestamp: at(-100), Message: "late"})
	srv.FlushLiveTail()

	up := nextUpdate(t, stream)
	if got, want := messages(up), []string{"now", "late"}; !slices.Equal(got, want) {
		t.Errorf("update = %v, want %v (ingestion order, selected stream only)", got, want)
	}
	if up.SessionMetadata.Sampled {
		t.Error("sampled = true, want false")
	}
	late := up.SessionResults[1]
	if aws.ToInt64(late.Timestamp) != ms(at(-100)) || aws.ToInt64(late.IngestionTime) != ms(at(600)) || aws.ToString(late.LogStreamName) != "eni-1-all" {
		t.Errorf("late event = %+v", late)
	}
	if aws.ToString(late.LogGroupIdentifier) == "" {
		t.Error("logGroupIdentifier empty")
	}

	srv.LiveTailSampled(true)
	srv.FlushLiveTail()
	up = nextUpdate(t, stream)
	if len(up.SessionResults) != 0 || !up.SessionMetadata.Sampled {
		t.Errorf("second update = %v sampled=%v, want empty and sampled", messages(up), up.SessionMetadata.Sampled)
	}

	stream.Close()
	if err := srv.AwaitLiveTailSessions(testContext(t), 0); err != nil {
		t.Errorf("closing the client stream should end the session: %v", err)
	}
}

func TestLiveTailUpdatesArriveOnTheirOwn(t *testing.T) {
	srv := fakeaws.Serve(t)
	srv.LiveTailUpdateInterval(5 * time.Millisecond)
	srv.AddLogGroup("g")
	stream := openTail(t, srv, &cloudwatchlogs.StartLiveTailInput{LogGroupIdentifiers: []string{fakeaws.LogGroupARN("g")}})
	next(t, stream) // sessionStart
	srv.AddEvents("g", "s", fakeaws.Event{Timestamp: at(0), Message: "tick"})
	for {
		if got := messages(nextUpdate(t, stream)); len(got) > 0 {
			if !slices.Equal(got, []string{"tick"}) {
				t.Errorf("update = %v, want [tick]", got)
			}
			return
		}
	}
}

func TestLiveTailDuplicatesComeInTheFollowingUpdate(t *testing.T) {
	srv := fakeaws.Serve(t)
	srv.LiveTailUpdateInterval(0)
	srv.AddLogGroup("g")
	stream := openTail(t, srv, &cloudwatchlogs.StartLiveTailInput{LogGroupIdentifiers: []string{fakeaws.LogGroupARN("g")}})
	next(t, stream)
	srv.DuplicateLiveTailEvents(1)
	srv.AddEvents("g", "s", fakeaws.Event{Timestamp: at(0), Message: "a"}, fakeaws.Event{Timestamp: at(1), Message: "b"})
	srv.FlushLiveTail()
	if got := messages(nextUpdate(t, stream)); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("first update = %v, want [a b]", got)
	}
	srv.AddEvents("g", "s", fakeaws.Event{Timestamp: at(2), Message: "c"})
	srv.FlushLiveTail()
	if got := messages(nextUpdate(t, stream)); !slices.Equal(got, []string{"a", "c"}) {
		t.Errorf("second update = %v, want [a c]: a again, then the new event", got)
	}
	srv.FlushLiveTail()
	if got := messages(nextUpdate(t, stream)); len(got) != 0 {
		t.Errorf("third update = %v, want empty: only one duplicate was asked for", got)
	}
}

func TestEndLiveTailSurfacesTheTypedException(t *testing.T) {
	for _, code := range []string{"SessionTimeoutException", "SessionStreamingException"} {
		t.Run(code, func(t *testing.T) {
			srv := fakeaws.Serve(t)
			srv.LiveTailUpdateInterval(0)
			srv.AddLogGroup("g")
			stream := openTail(t, srv, &cloudwatchlogs.StartLiveTailInput{LogGroupIdentifiers: []string{fakeaws.LogGroupARN("g")}})
			next(t, stream)
			srv.EndLiveTail(code)
			err := waitEnd(t, stream)
			var ok bool
			switch code {
			case "SessionTimeoutException":
				var e *types.SessionTimeoutException
				ok = errors.As(err, &e)
			default:
				var e *types.SessionStreamingException
				ok = errors.As(err, &e)
			}
			if !ok {
				t.Errorf("Err = %T %v, want *types.%s", err, err, code)
			}
			if n := srv.LiveTailSessions(); n != 0 {
				t.Errorf("sessions = %d after EndLiveTail, want 0", n)
			}
		})
	}
}

// A cut connection is indistinguishable from a clean end for the SDK: the
// event stream decoder maps io.ErrUnexpectedEOF to io.EOF, so the events
// channel closes and Err stays nil. A client must treat an end it did not
// ask for as a disconnect and reconnect.
func TestDropConnectionsLooksLikeACleanEndToTheSDK(t *testing.T) {
	srv := fakeaws.Serve(t)
	srv.LiveTailUpdateInterval(0)
	srv.AddLogGroup("g")
	stream := openTail(t, srv, &cloudwatchlogs.StartLiveTailInput{LogGroupIdentifiers: []string{fakeaws.LogGroupARN("g")}})
	next(t, stream)
	srv.AddEvents("g", "s", fakeaws.Event{Timestamp: at(0), Message: "lost in the cut"})
	srv.DropConnections()
	timeout := time.After(deadline)
	for open := true; open; {
		select {
		case ev, ok := <-stream.Events():
			if up, isUpdate := ev.(*types.StartLiveTailResponseStreamMemberSessionUpdate); isUpdate {
				t.Errorf("half-sent update decoded: %v", messages(up.Value))
			}
			open = ok
		case <-timeout:
			t.Fatal("stream did not end before the deadline")
		}
	}
	if err := stream.Err(); err != nil {
		t.Errorf("Err = %v; the SDK used to report a cut stream as a clean end, update the notes if this changed", err)
	}
	if srv.LiveTailSessions() != 0 {
		t.Error("session still open after DropConnections")
	}
}

// On the wire the cut is abrupt: the body ends inside an event stream
// message, without the chunked terminator.
func TestDropConnectionsCutsInsideAMessage(t *testing.T) {
	srv := fakeaws.Serve(t)
	srv.LiveTailUpdateInterval(0)
	srv.AddLogGroup("g")
	body := fmt.Sprintf(`{"logGroupIdentifiers":[%q]}`, fakeaws.LogGroupARN("g"))
	req, err := http.NewRequestWithContext(testContext(t), http.MethodPost, srv.URL(), strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Amz-Target", "Logs_20140328.StartLiveTail")
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "application/vnd.amazon.eventstream" {
		t.Errorf("Content-Type = %q", ct)
	}
	dec := eventstream.NewDecoder()
	var kinds []string
	for range 2 {
		msg, err := dec.Decode(resp.Body, nil)
		if err != nil {
			t.Fatal(err)
		}
		kinds = append(kinds, msg.Headers.Get(eventstream.MessageTypeHeader).String()+"/"+msg.Headers.Get(eventstream.EventTypeHeader).String())
	}
	if want := []string{"event/initial-response", "event/sessionStart"}; !slices.Equal(kinds, want) {
		t.Errorf("first messages = %v, want %v", kinds, want)
	}
	if err := srv.AwaitLiveTailSessions(testContext(t), 1); err != nil {
		t.Fatal(err)
	}
	srv.DropConnections()
	_, err = dec.Decode(resp.Body, nil)
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("after the drop: %v, want unexpected EOF (a message cut in half)", err)
	}
}

func TestStartLiveTailValidatesLikeAWS(t *testing.T) {
	srv := fakeaws.Serve(t)
	srv.AddLogGroup("a")
	srv.AddLogGroup("b")
	a, b := fakeaws.LogGroupARN("a"), fakeaws.LogGroupARN("b")
	eleven := make([]string, 11)
	for i := range eleven {
		eleven[i] = a
	}
	cases := []struct {
		name string
		in   cloudwatchlogs.StartLiveTailInput
		code string
	}{
		{"no groups", cloudwatchlogs.StartLiveTailInput{LogGroupIdentifiers: []string{}}, "InvalidParameterException"},
		{"eleven groups", cloudwatchlogs.StartLiveTailInput{LogGroupIdentifiers: eleven}, "InvalidParameterException"},
		{"ARN with :*", cloudwatchlogs.StartLiveTailInput{LogGroupIdentifiers: []string{a + ":*"}}, "InvalidParameterException"},
		{"name instead of ARN", cloudwatchlogs.StartLiveTailInput{LogGroupIdentifiers: []string{"a"}}, "InvalidParameterException"},
		{"names with two groups", cloudwatchlogs.StartLiveTailInput{LogGroupIdentifiers: []string{a, b}, LogStreamNames: []string{"s"}}, "InvalidParameterException"},
		{"names and prefixes", cloudwatchlogs.StartLiveTailInput{LogGroupIdentifiers: []string{a}, LogStreamNames: []string{"s"}, LogStreamNamePrefixes: []string{"s"}}, "InvalidParameterException"},
		{"unknown group", cloudwatchlogs.StartLiveTailInput{LogGroupIdentifiers: []string{fakeaws.LogGroupARN("nope")}}, "ResourceNotFoundException"},
	}
	client := logsClient(srv, noRetry)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := client.StartLiveTail(testContext(t), &tc.in)
			var apiErr smithy.APIError
			if !errors.As(err, &apiErr) || apiErr.ErrorCode() != tc.code {
				t.Fatalf("err = %v, want %s", err, tc.code)
			}
		})
	}
	if n := srv.LiveTailSessions(); n != 0 {
		t.Errorf("refused requests left %d sessions open", n)
	}
}

func TestStartLiveTailFailuresBeforeTheStream(t *testing.T) {
	srv := fakeaws.Serve(t)
	srv.AddLogGroup("g")
	in := &cloudwatchlogs.StartLiveTailInput{LogGroupIdentifiers: []string{fakeaws.LogGroupARN("g")}}
	client := logsClient(srv, noRetry)

	srv.FailNext("StartLiveTail", 1, "AccessDeniedException")
	_, err := client.StartLiveTail(testContext(t), in)
	var denied *types.AccessDeniedException
	if !errors.As(err, &denied) {
		t.Errorf("err = %v, want AccessDeniedException", err)
	}

	srv.LiveTailSessionLimit(1)
	openTail(t, srv, in)
	_, err = client.StartLiveTail(testContext(t), in)
	var limit *types.LimitExceededException
	if !errors.As(err, &limit) {
		t.Errorf("second session: err = %v, want LimitExceededException", err)
	}
}
