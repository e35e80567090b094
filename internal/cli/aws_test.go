package cli

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/flowlens/flowlens/internal/fakeaws"
)

// awsVariables are cleared for every test here, so that nothing of the machine's own AWS
// setup is read or reached.
var awsVariables = []string{
	"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE",
	"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN",
	"AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
	"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS", "AWS_ENDPOINT_URL_EC2",
	"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "AWS_RETRY_MODE", "AWS_MAX_ATTEMPTS",
}

// fakeAWS starts a fake CloudWatch Logs and EC2 and points the AWS environment at it:
// fake credentials and Region, empty config files in a temporary HOME, no IMDS.
func fakeAWS(t *testing.T) *fakeaws.Server {
	t.Helper()
	home := t.TempDir()
	for _, k := range awsVariables {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	t.Setenv("HOME", home)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	for _, f := range []string{"config", "credentials"} {
		if err := os.WriteFile(filepath.Join(home, f), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(home, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(home, "credentials"))
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDFAKEFAKEFAKEFAKE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "fake-secret")
	t.Setenv("AWS_REGION", fakeaws.Region)
	srv := fakeaws.Serve(t)
	t.Setenv("AWS_ENDPOINT_URL", srv.URL())
	return srv
}

const (
	testGroup = "/vpc/flows"
	testENI   = "eni-0a1b2c3d4e5f60718"
)

// flowLine is a default-format record whose source port identifies it.
func flowLine(port int, start time.Time) string {
	return fmt.Sprintf("2 123456789012 %s 10.0.0.1 10.0.0.2 %d 443 6 10 840 %d %d ACCEPT OK", testENI, port, start.Unix(), start.Unix()+60)
}

func TestGroupsListsFlowLogsDeliveringToCloudWatch(t *testing.T) {
	srv := fakeAWS(t)
	srv.AddFlowLogs(
		fakeaws.FlowLog{FlowLogID: "fl-0000000000000000b", LogGroupName: "/vpc/prod", ResourceID: "vpc-0123456789abcdef0", MaxAggregationInterval: 60},
		fakeaws.FlowLog{FlowLogID: "fl-0000000000000000a", LogGroupName: testGroup, ResourceID: testENI, TrafficType: "REJECT",
			LogFormat: "${version} ${interface-id} ${srcaddr} ${dstaddr} ${action} ${log-status}"},
		fakeaws.FlowLog{FlowLogID: "fl-0000000000000000c", ResourceID: "vpc-0123456789abcdef0", LogDestinationType: "s3"},
	)
	code, stdout, stderr := runForOutput(t, "groups")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	want := strings.Join([]string{
		"LOG GROUP   RESOURCE               TRAFFIC  INTERVAL  FLOW LOG              FORMAT",
		"/vpc/flows  " + testENI + "  REJECT   10m0s     fl-0000000000000000a  ${version} ${interface-id} ${srcaddr} ${dstaddr} ${action} ${log-status}",
		"/vpc/prod   vpc-0123456789abcdef0  ALL      1m0s      fl-0000000000000000b  default (version 2)",
		"",
	}, "\n")
	if stdout != want {
		t.Errorf("groups printed\n%s\nwant\n%s", stdout, want)
	}

	code, stdout, stderr = runForOutput(t, "groups", "-o", "jsonl")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines of JSON, want 2:\n%s", len(lines), stdout)
	}
	var first map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
		t.Fatal(err)
	}
	if first["log-group"] != testGroup || first["resource-id"] != testENI || first["traffic-type"] != "REJECT" ||
		first["max-aggregation-interval"] != float64(600) || !strings.HasPrefix(first["format"].(string), "${version}") {
		t.Errorf("first object = %v", first)
	}
}

func TestENIsListsStreamsMostRecentFirst(t *testing.T) {
	srv := fakeAWS(t)
	now := time.Now()
	srv.AddEvents(testGroup, "eni-0000000000000000a-all", fakeaws.Event{Timestamp: now.Add(-3 * time.Hour), Message: flowLine(1, now)})
	srv.AddEvents(testGroup, testENI+"-all", fakeaws.Event{Timestamp: now.Add(-5 * time.Minute), Message: flowLine(2, now)})
	srv.AddLogStream(testGroup, "eni-0000000000000000c-reject")
	code, stdout, stderr := runForOutput(t, "enis", "--log-group", testGroup)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "INTERFACE") {
		t.Fatalf("enis printed:\n%s", stdout)
	}
	for i, want := range []string{testENI + "  " + testENI + "-all", "eni-0000000000000000a  eni-0000000000000000a-all", "eni-0000000000000000c  eni-0000000000000000c-reject"} {
		if !strings.HasPrefix(lines[i+1], want) {
			t.Errorf("row %d = %q, want it to start with %q", i+1, lines[i+1], want)
		}
	}
	if !strings.HasSuffix(lines[1], "5m") || !strings.HasSuffix(lines[3], "-") {
		t.Errorf("ages: %q, %q", lines[1], lines[3])
	}

	code, stdout, _ = runForOutput(t, "enis", "--log-group", testGroup, "-o", "jsonl")
	var first map[string]any
	if code != 0 || json.Unmarshal([]byte(strings.Split(stdout, "\n")[0]), &first) != nil {
		t.Fatalf("exit %d:\n%s", code, stdout)
	}
	if first["interface-id"] != testENI || first["log-stream"] != testENI+"-all" || first["last-event"] == nil {
		t.Errorf("first object = %v", first)
	}
}

func TestENIsOfAnUnknownGroupListsTheRealOnes(t *testing.T) {
	srv := fakeAWS(t)
	srv.AddFlowLogs(fakeaws.FlowLog{LogGroupName: testGroup, ResourceID: testENI})
	code, _, stderr := runForOutput(t, "enis", "--log-group", "/vpc/flwos")
	want := `flowlens: log group "/vpc/flwos" not found in us-east-1; flow logs deliver to: /vpc/flows (flowlens groups lists them)`
	if code != 1 || strings.TrimSpace(stderr) != want {
		t.Errorf("exit %d, stderr %q\nwant %q", code, stderr, want)
	}
}

// print --log-group reads the history to now and exits, through the real clients, the
// endpoint set by AWS_ENDPOINT_URL, and the learned format.
func TestPrintReadsALogGroup(t *testing.T) {
	srv := fakeAWS(t)
	srv.AddFlowLogs(fakeaws.FlowLog{LogGroupName: testGroup, ResourceID: testENI})
	now := time.Now()
	srv.PageSize(2)
	srv.EmptyPages(1)
	srv.FailNext("FilterLogEvents", 1, "ThrottlingException")
	for i := 1; i <= 5; i++ {
		srv.AddEvents(testGroup, testENI+"-all", fakeaws.Event{Timestamp: now.Add(-time.Duration(10+i) * time.Minute), Message: flowLine(i, now)})
	}
	srv.AddEvents(testGroup, "eni-0000000000000000a-all", fakeaws.Event{Timestamp: now.Add(-time.Minute), Message: flowLine(9, now)})
	srv.AddEvents(testGroup, testENI+"-all", fakeaws.Event{Timestamp: now.Add(-2 * time.Hour), Message: flowLine(8, now)})

	code, stdout, stderr := runForOutput(t, "print", "--log-group", testGroup, "--eni", testENI, "--since", "1h", "-o", "jsonl", "--filter", "srcport<5")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var ports []float64
	for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("bad JSON %q: %v", line, err)
		}
		ports = append(ports, rec["srcport"].(float64))
	}
	if fmt.Sprint(ports) != "[4 3 2 1]" {
		t.Errorf("ports = %v, want 4 3 2 1 (oldest first; the other interface, the filtered and the too old left out)", ports)
	}
	// The filter is pushed down as a filter pattern: the fifth record is never read.
	if !strings.Contains(stderr, "4 records read from 1 source, 4 matched") || !strings.Contains(stderr, "throttling") {
		t.Errorf("stderr = %q, want the summary and the throttle", stderr)
	}

	code, stdout, _ = runForOutput(t, "print", "--log-group", testGroup, "--count", "--since", "3h", "-q")
	if code != 0 || stdout != "7\n" {
		t.Errorf("--count: exit %d, %q; want 7", code, stdout)
	}
}

func TestPrintLogGroupProblems(t *testing.T) {
	expiredSSO := func(t *testing.T, srv *fakeaws.Server) {
		home := os.Getenv("HOME")
		config := "[profile legacy]\nsso_start_url = https://example.awsapps.com/start\nsso_region = us-east-1\nsso_account_id = 123456789012\nsso_role_name = Reader\nregion = us-east-1\n"
		if err := os.WriteFile(os.Getenv("AWS_CONFIG_FILE"), []byte(config), 0o600); err != nil {
			t.Fatal(err)
		}
		dir := filepath.Join(home, ".aws", "sso", "cache")
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		sum := sha1.Sum([]byte("https://example.awsapps.com/start"))
		token := `{"accessToken":"cached","expiresAt":"2020-01-01T00:00:00Z","region":"us-east-1","startUrl":"https://example.awsapps.com/start"}`
		if err := os.WriteFile(filepath.Join(dir, hex.EncodeToString(sum[:])+".json"), []byte(token), 0o600); err != nil {
			t.Fatal(err)
		}
		os.Unsetenv("AWS_ACCESS_KEY_ID")
		os.Unsetenv("AWS_SECRET_ACCESS_KEY")
	}
	cases := []struct {
		name  string
		setup func(*testing.T, *fakeaws.Server)
		args  []string
		code  int
		want  string
	}{
		{"no region", func(t *testing.T, _ *fakeaws.Server) { os.Unsetenv("AWS_REGION") }, nil, 1,
			"no AWS region: pass --region or set AWS_REGION, or set region in profile default"},
		{"no credentials", func(t *testing.T, _ *fakeaws.Server) {
			os.Unsetenv("AWS_ACCESS_KEY_ID")
			os.Unsetenv("AWS_SECRET_ACCESS_KEY")
		}, nil, 1, "no AWS credentials found: run `aws configure`"},
		{"expired SSO", expiredSSO, []string{"--profile", "legacy"}, 1,
			"the SSO session for profile legacy has expired: run `aws sso login --profile legacy`"},
		{"expired token", func(t *testing.T, srv *fakeaws.Server) { srv.FailNext("DescribeLogGroups", 1, "ExpiredTokenException") },
			nil, 1, "have expired (ExpiredTokenException): run `aws sso login`"},
		{"access denied", func(t *testing.T, srv *fakeaws.Server) { srv.FailNext("FilterLogEvents", 1, "AccessDeniedException") }, nil, 1,
			"access denied: the default AWS credentials is not allowed to call logs:FilterLogEvents; grant the IAM permission logs:FilterLogEvents"},
		{"unknown group", nil, []string{"--log-group", "/vpc/flwos"}, 1,
			`log group "/vpc/flwos" not found in us-east-1; flow logs deliver to: /vpc/flows`},
		{"EC2 denied", func(t *testing.T, srv *fakeaws.Server) { srv.FailNext("DescribeFlowLogs", 1, "UnauthorizedOperation") }, nil, 0,
			"flowlens: note: EC2 access denied (ec2:DescribeFlowLogs): reading the default format"},
		{"ENI without group", nil, []string{"--eni", testENI}, 2, "--eni needs --log-group"},
		{"until and follow", nil, []string{"--until", "5m", "--follow"}, 2, "use one of them"},
		{"files too", nil, []string{"flows.log"}, 2, "do not name files as well"},
		{"bad since", nil, []string{"--since", "yesterday"}, 2, "bad --since"},
		{"eleven groups", nil, []string{"--log-group", "a", "--log-group", "b", "--log-group", "c", "--log-group", "d", "--log-group", "e",
			"--log-group", "f", "--log-group", "g", "--log-group", "h", "--log-group", "i", "--log-group", "j"}, 2, "at most 10"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := fakeAWS(t)
			srv.AddFlowLogs(fakeaws.FlowLog{LogGroupName: testGroup, ResourceID: testENI})
			srv.AddEvents(testGroup, testENI+"-all", fakeaws.Event{Timestamp: time.Now().Add(-time.Minute), Message: flowLine(1, time.Now())})
			if tc.setup != nil {
				tc.setup(t, srv)
			}
			args := []string{"print"}
			if tc.name != "ENI without group" && tc.name != "unknown group" {
				args = append(args, "--log-group", testGroup)
			}
			code, _, stderr := runForOutput(t, append(args, tc.args...)...)
			if code != tc.code || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stderr:\n%s\nwant exit %d and %q", code, stderr, tc.code, tc.want)
			}
			if strings.Contains(stderr, "fake-secret") || strings.Contains(stderr, "AKIDFAKE") {
				t.Errorf("a credential leaked: %s", stderr)
			}
		})
	}
}

// syncBuffer is a buffer a running command writes to while the test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// print --follow shows the history, then records the server emits while it runs, until
// interrupted; the Live Tail session ends with it.
func TestPrintFollowShowsRecordsAsTheyArrive(t *testing.T) {
	srv := fakeAWS(t)
	srv.LiveTailUpdateInterval(0)
	srv.AddFlowLogs(fakeaws.FlowLog{LogGroupName: testGroup, ResourceID: testENI})
	now := time.Now()
	srv.AddEvents(testGroup, testENI+"-all", fakeaws.Event{Timestamp: now.Add(-time.Minute), Message: flowLine(1, now)})
	var stdout, stderr syncBuffer
	code := make(chan int, 1)
	go func() {
		code <- run([]string{"print", "--log-group", testGroup, "--eni", testENI, "--follow", "-o", "jsonl"}, strings.NewReader(""), &stdout, &stderr)
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.AwaitLiveTailSessions(ctx, 1); err != nil {
		t.Fatal(err)
	}
	awaitOutput := func(want string) {
		t.Helper()
		for !strings.Contains(stdout.String(), want) {
			select {
			case <-ctx.Done():
				t.Fatalf("%q never printed; stdout:\n%s\nstderr:\n%s", want, stdout.String(), stderr.String())
			case <-time.After(5 * time.Millisecond):
			}
		}
	}
	awaitOutput(`"srcport":1,`)
	srv.AddEvents(testGroup, testENI+"-all", fakeaws.Event{Timestamp: time.Now(), Message: flowLine(2, time.Now())})
	srv.FlushLiveTail()
	awaitOutput(`"srcport":2,`)

	if err := syscall.Kill(syscall.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case c := <-code:
		if c != 130 {
			t.Errorf("exit %d after an interrupt, want 130; stderr:\n%s", c, stderr.String())
		}
	case <-ctx.Done():
		t.Fatal("print --follow did not stop on SIGINT")
	}
	if err := srv.AwaitLiveTailSessions(ctx, 0); err != nil {
		t.Errorf("the Live Tail session outlived the command: %v", err)
	}
	if n := strings.Count(stdout.String(), "\n"); n != 2 {
		t.Errorf("%d records printed, want 2:\n%s", n, stdout.String())
	}
}
