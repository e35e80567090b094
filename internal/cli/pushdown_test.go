package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"

	"github.com/flowlens/flowlens/internal/fakeaws"
	"github.com/flowlens/flowlens/source/awsclient"
)

// busyLine is a record of a busy interface: every tenth is a reject; the source port
// identifies it.
func busyLine(i int, at time.Time) string {
	action := "ACCEPT"
	if i%10 == 0 {
		action = "REJECT"
	}
	return fmt.Sprintf("2 123456789012 %s 10.0.%d.%d 10.0.9.9 %d 22 6 1 60 %d %d %s OK", testENI, i/250%250, i%250, 1024+i%60000, at.Unix(), at.Unix()+60, action)
}

// The "done when": a busy group, thousands of events a second with the rejects
// under Live Tail's 500 a second, tailed by print --follow --filter action=REJECT shows
// every reject. The filter goes to Live Tail as its pattern, which AWS applies before it
// samples; an unfiltered session of the same group, open at the same time, is sampled
// and loses rejects.
func TestPrintFollowShowsEveryRejectOfABusyGroup(t *testing.T) {
	srv := fakeAWS(t)
	srv.LiveTailUpdateInterval(0) // one update per flush: 3,000 events in one second
	srv.AddFlowLogs(fakeaws.FlowLog{LogGroupName: testGroup, ResourceID: testENI})
	srv.AddLogStream(testGroup, testENI+"-all")

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	// An unfiltered session: what tailing the whole group would get.
	logs := awsclient.LiveTailClient(awsclient.NewLogs(srv.AWSConfig()))
	raw, err := logs.StartLiveTail(ctx, &cloudwatchlogs.StartLiveTailInput{LogGroupIdentifiers: []string{fakeaws.LogGroupARN(testGroup)}})
	if err != nil {
		t.Fatal(err)
	}
	rawStream := raw.GetStream()
	defer rawStream.Close()
	if err := srv.AwaitLiveTailSessions(ctx, 1); err != nil {
		t.Fatal(err)
	}

	runCtx, stop := context.WithCancel(ctx)
	var stdout, stderr syncBuffer
	code := make(chan int, 1)
	go func() {
		code <- Run(runCtx, []string{"print", "--log-group", testGroup, "--follow", "--filter", "action=REJECT", "-o", "jsonl"},
			strings.NewReader(""), &stdout, &stderr)
	}()
	if err := srv.AwaitLiveTailSessions(ctx, 2); err != nil {
		t.Fatal(err)
	}
	const rounds, perRound = 5, 3000
	for r := 0; r < rounds; r++ {
		now := time.Now()
		events := make([]fakeaws.Event, perRound)
		for i := range events {
			n := r*perRound + i
			events[i] = fakeaws.Event{Timestamp: now, Message: busyLine(n, now)}
		}
		srv.AddEvents(testGroup, testENI+"-all", events...)
		srv.FlushLiveTail()
	}
	want := rounds * perRound / 10
	for strings.Count(stdout.String(), "\n") < want {
		select {
		case <-ctx.Done():
			t.Fatalf("%d rejects printed, want %d; stderr:\n%s", strings.Count(stdout.String(), "\n"), want, stderr.String())
		case <-time.After(5 * time.Millisecond):
		}
	}
	stop()
	if c := <-code; c != 130 {
		t.Errorf("exit %d after the interrupt; stderr:\n%s", c, stderr.String())
	}

	seen := map[float64]int{}
	for _, line := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("bad JSON %q", line)
		}
		if rec["action"] != "REJECT" {
			t.Errorf("printed %v", rec)
		}
		seen[rec["srcport"].(float64)*1e6+rec["start"].(float64)]++
	}
	if len(seen) != want {
		t.Errorf("%d distinct rejects printed, want every one of %d", len(seen), want)
	}
	starts := srv.CallsTo("StartLiveTail")
	if p := starts[len(starts)-1].String("logEventFilterPattern"); !strings.Contains(p, "action=REJECT") {
		t.Errorf("the session's pattern is %q", p)
	}

	// The unfiltered session, fed the same updates, was sampled and lost rejects.
	rejects, sampled := 0, false
	for updates := 0; updates < rounds; {
		select {
		case ev := <-rawStream.Events():
			up, ok := ev.(*types.StartLiveTailResponseStreamMemberSessionUpdate)
			if !ok {
				continue
			}
			updates++
			sampled = sampled || (up.Value.SessionMetadata != nil && up.Value.SessionMetadata.Sampled)
			for _, e := range up.Value.SessionResults {
				if strings.HasSuffix(aws.ToString(e.Message), "REJECT OK") {
					rejects++
				}
			}
		case <-ctx.Done():
			t.Fatal("the unfiltered session's updates did not come")
		}
	}
	if !sampled || rejects >= want {
		t.Errorf("the unfiltered session: sampled %v, %d rejects of %d: the test does not load Live Tail past its rate", sampled, rejects, want)
	}
}

// print --history insights reads the history with Logs Insights and says what it
// scanned; auto says which it chose and why.
func TestPrintHistoryFromInsightsSaysWhatItScanned(t *testing.T) {
	srv := fakeAWS(t)
	srv.AddFlowLogs(fakeaws.FlowLog{LogGroupName: testGroup, ResourceID: testENI})
	now := time.Now()
	for i := 0; i < 50; i++ {
		at := now.Add(-time.Duration(30+i) * time.Minute)
		srv.AddEvents(testGroup, testENI+"-all", fakeaws.Event{Timestamp: at, Message: busyLine(i, at)})
	}
	code, stdout, stderr := runForOutput(t, "print", "--log-group", testGroup, "--since", "2h", "--history", "insights", "--filter", "reject", "--count")
	if code != 0 || stdout != "5\n" {
		t.Fatalf("exit %d, %q; stderr:\n%s", code, stdout, stderr)
	}
	for _, want := range []string{"history from Logs Insights (--history insights)", "Logs Insights scanned", "1 query"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if q := srv.CallsTo("StartQuery"); len(q) != 1 || !strings.Contains(q[0].String("queryString"), `action = "REJECT"`) {
		t.Errorf("StartQuery calls: %v", q)
	}

	code, _, stderr = runForOutput(t, "print", "--log-group", testGroup, "--since", "2h", "--history", "auto", "--count", "-q")
	if code != 0 || !strings.Contains(stderr, "flowlens: --history auto chose FilterLogEvents") {
		t.Errorf("auto: exit %d, stderr:\n%s", code, stderr)
	}
	if code, _, stderr := runForOutput(t, "print", "--history", "insights"); code != 2 || !strings.Contains(stderr, "--history needs --log-group") {
		t.Errorf("--history without --log-group: exit %d, %s", code, stderr)
	}
	if code, _, stderr := runForOutput(t, "print", "--log-group", testGroup, "--history", "athena"); code != 2 || !strings.Contains(stderr, "want filter, insights or auto") {
		t.Errorf("--history athena: exit %d, %s", code, stderr)
	}
}

// pairs --log-group pushes only the part of its filter that keeps both directions: the
// replies of rejected requests' conversations still come, and the verdicts are made.
func TestPairsReadsALogGroupAndPushesOnlyBothDirections(t *testing.T) {
	srv := fakeAWS(t)
	srv.AddFlowLogs(fakeaws.FlowLog{LogGroupName: testGroup, ResourceID: testENI})
	now := time.Now().Add(-5 * time.Minute)
	add := func(line string) {
		srv.AddEvents(testGroup, testENI+"-all", fakeaws.Event{Timestamp: now, Message: line})
	}
	// A request accepted inbound and its reply rejected outbound: a NACL verdict that
	// needs both records, although only the reply matches action=REJECT.
	add(fmt.Sprintf("2 123456789012 %s 198.51.100.7 10.0.1.5 50000 22 6 3 180 %d %d ACCEPT OK", testENI, now.Unix(), now.Unix()+60))
	add(fmt.Sprintf("2 123456789012 %s 10.0.1.5 198.51.100.7 22 50000 6 3 180 %d %d REJECT OK", testENI, now.Unix(), now.Unix()+60))
	add(fmt.Sprintf("2 123456789012 %s 10.0.1.5 10.0.2.9 40000 53 17 1 80 %d %d ACCEPT OK", testENI, now.Unix(), now.Unix()+60))
	code, stdout, stderr := runForOutput(t, "pairs", "--log-group", testGroup, "--filter", "action=REJECT tcp", "-o", "jsonl")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var pair map[string]any
	if err := json.Unmarshal([]byte(strings.TrimSpace(stdout)), &pair); err != nil {
		t.Fatalf("%v: %q", err, stdout)
	}
	if pair["verdict"] != "nacl" || pair["blocked"] != "response" {
		t.Errorf("pair %v, want the NACL verdict on the reply", pair)
	}
	for _, c := range srv.CallsTo("FilterLogEvents") {
		if p := c.String("filterPattern"); !strings.Contains(p, "protocol=6") || strings.Contains(p, "action=") {
			t.Errorf("pattern %q: want protocol=6 and never action", p)
		}
	}
	if !strings.Contains(stderr, "pushed to CloudWatch: tcp") || !strings.Contains(stderr, "2 records read") {
		t.Errorf("stderr:\n%s", stderr)
	}
	if code, _, stderr := runForOutput(t, "pairs", "--log-group", testGroup, "--follow"); code != 2 || !strings.Contains(stderr, "--follow and --poll do not apply") {
		t.Errorf("pairs --follow: exit %d, %s", code, stderr)
	}
}
