package awsclient_test

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/flowlens/flowlens/internal/fakeaws"
	"github.com/flowlens/flowlens/source/awsclient"
)

// hostRecorder is an HTTP client that notes the host of every request and
// sends nothing, to see where the SDK would have gone.
type hostRecorder struct {
	mu    sync.Mutex
	hosts []string
}

func (h *hostRecorder) Do(req *http.Request) (*http.Response, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.hosts = append(h.hosts, req.URL.Host)
	return nil, errors.New("not sent")
}

func (h *hostRecorder) last() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.hosts[len(h.hosts)-1]
}

func recordHosts(cfg aws.Config) (aws.Config, *hostRecorder) {
	rec := &hostRecorder{}
	cfg.HTTPClient = rec
	cfg.Retryer = func() aws.Retryer { return aws.NopRetryer{} }
	return cfg, rec
}

var tailInput = &cloudwatchlogs.StartLiveTailInput{LogGroupIdentifiers: []string{fakeaws.LogGroupARN("g")}}

// The SDK really does prefix custom endpoints: this is the trap NewLogs
// exists to avoid.
func TestPlainSDKClientPrefixesCustomEndpoint(t *testing.T) {
	srv := fakeaws.Serve(t)
	cfg, rec := recordHosts(srv.AWSConfig())
	_, _ = cloudwatchlogs.NewFromConfig(cfg).StartLiveTail(testContext(t), tailInput)
	if want := "stream-" + srv.URL()[len("http://"):]; rec.last() != want {
		t.Errorf("plain client host = %q, want %q; if the SDK stopped prefixing, the workaround in NewLogs can go", rec.last(), want)
	}
	_, _ = awsclient.NewLogs(cfg).StartLiveTail(testContext(t), tailInput)
	if want := srv.URL()[len("http://"):]; rec.last() != want {
		t.Errorf("NewLogs host = %q, want %q", rec.last(), want)
	}
}

// Against AWS itself the prefix must stay: StartLiveTail is served by
// stream-logs.<region>.amazonaws.com only.
func TestNewLogsKeepsHostPrefixForAWS(t *testing.T) {
	cfg, rec := recordHosts(aws.Config{
		Region:      "eu-west-1",
		Credentials: credentials.NewStaticCredentialsProvider(exampleKeyID, exampleSecret, ""),
	})
	logs := awsclient.NewLogs(cfg)
	_, _ = logs.StartLiveTail(testContext(t), tailInput)
	if rec.last() != "stream-logs.eu-west-1.amazonaws.com" {
		t.Errorf("StartLiveTail host = %q", rec.last())
	}
	_, _ = logs.FilterLogEvents(testContext(t), &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("g")})
	if rec.last() != "logs.eu-west-1.amazonaws.com" {
		t.Errorf("FilterLogEvents host = %q", rec.last())
	}
}

func callOutcomes(srv *fakeaws.Server, op string) []string {
	var out []string
	for _, c := range srv.CallsTo(op) {
		out = append(out, c.Error)
	}
	return out
}

func TestNewLogsReturnsThrottlingAtOnce(t *testing.T) {
	srv := fakeaws.Serve(t)
	srv.AddLogGroup("g")
	logs := awsclient.NewLogs(srv.AWSConfig())
	in := &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("g")}

	srv.FailNext("FilterLogEvents", 1, "ThrottlingException")
	_, err := logs.FilterLogEvents(testContext(t), in)
	var throttled *types.ThrottlingException
	if !errors.As(err, &throttled) || !awsclient.IsThrottle(err) {
		t.Fatalf("err = %v, want ThrottlingException recognised by IsThrottle", err)
	}
	if got := callOutcomes(srv, "FilterLogEvents"); !slices.Equal(got, []string{"ThrottlingException"}) {
		t.Errorf("attempts = %q, want exactly one: the caller owns the back-off", got)
	}

	// Server-side failures are still retried by the SDK.
	srv.ResetCalls()
	srv.FailNext("FilterLogEvents", 1, "ServiceUnavailableException")
	if _, err := logs.FilterLogEvents(testContext(t), in); err != nil {
		t.Fatalf("a single 500 should be retried: %v", err)
	}
	if got := callOutcomes(srv, "FilterLogEvents"); !slices.Equal(got, []string{"ServiceUnavailableException", ""}) {
		t.Errorf("attempts = %q, want a retry after the 500", got)
	}

	// Too many Live Tail sessions is a quota, not a rate: no retry, and not
	// reported as throttling either.
	srv.FailNext("StartLiveTail", 1, "LimitExceededException")
	_, err = logs.StartLiveTail(testContext(t), tailInput)
	var limit *types.LimitExceededException
	if !errors.As(err, &limit) || awsclient.IsThrottle(err) {
		t.Errorf("err = %v, want LimitExceededException not classed as throttling", err)
	}
	if got := len(srv.CallsTo("StartLiveTail")); got != 1 {
		t.Errorf("StartLiveTail attempts = %d, want 1", got)
	}
}

func TestNewLogsKeepsCallerRetrySettings(t *testing.T) {
	srv := fakeaws.Serve(t)
	srv.AddLogGroup("g")
	logs := awsclient.NewLogs(srv.AWSConfig(), func(o *cloudwatchlogs.Options) { o.RetryMaxAttempts = 5 })
	srv.FailNext("FilterLogEvents", 4, "ServiceUnavailableException")
	if _, err := logs.FilterLogEvents(testContext(t), &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("g")}); err != nil {
		t.Fatalf("5 attempts should outlast 4 failures: %v", err)
	}
	srv.FailNext("FilterLogEvents", 1, "ThrottlingException")
	_, err := logs.FilterLogEvents(testContext(t), &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("g")})
	if !awsclient.IsThrottle(err) {
		t.Errorf("err = %v, want throttling surfaced despite the caller's retryer", err)
	}
}

func TestNewEC2RetriesThrottling(t *testing.T) {
	srv := fakeaws.Serve(t)
	srv.FailNext("DescribeNetworkInterfaces", 2, "RequestLimitExceeded")
	if _, err := awsclient.NewEC2(srv.AWSConfig()).DescribeNetworkInterfaces(testContext(t), &ec2.DescribeNetworkInterfacesInput{}); err != nil {
		t.Fatalf("start-up describe calls should ride out throttling: %v", err)
	}
	if got := callOutcomes(srv, "DescribeNetworkInterfaces"); !slices.Equal(got, []string{"RequestLimitExceeded", "RequestLimitExceeded", ""}) {
		t.Errorf("attempts = %q", got)
	}
}

func TestIsThrottle(t *testing.T) {
	status := func(code int) error {
		return &smithy.OperationError{ServiceID: "S3", OperationName: "GetObject", Err: &awshttp.ResponseError{
			ResponseError: &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: &http.Response{StatusCode: code}}, Err: errors.New("x")},
		}}
	}
	cases := []struct {
		err  error
		want bool
	}{
		{&smithy.GenericAPIError{Code: "ThrottlingException"}, true},
		{fmt.Errorf("poll: %w", &smithy.GenericAPIError{Code: "RequestLimitExceeded"}), true},
		{&smithy.GenericAPIError{Code: "LimitExceededException"}, false},
		{&smithy.GenericAPIError{Code: "AccessDeniedException"}, false},
		{status(429), true},
		{status(503), false},
		{errors.New("Rate exceeded"), false},
	}
	for _, tc := range cases {
		if got := awsclient.IsThrottle(tc.err); got != tc.want {
			t.Errorf("IsThrottle(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}
