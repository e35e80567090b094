package fakeaws

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// The account and Region every resource of the fake lives in.
const (
	Region    = "us-east-1"
	AccountID = "123456789012"
)

// Server is a fake CloudWatch Logs and EC2 endpoint. All methods are safe for
// concurrent use, also while clients are talking to the server.
type Server struct {
	mu  sync.Mutex
	ts  *httptest.Server
	now func() time.Time

	logs     logsState
	ec2      ec2State
	s3       s3State
	athena   athenaState
	faults   faultState
	calls    []Call
	callSeq  int64
	reqSeq   int64
	tokenSeq int64

	live liveState

	// closing is closed by Close so that open Live Tail sessions end before
	// httptest waits for in-flight requests.
	closing   chan struct{}
	closeOnce sync.Once
}

// New returns a Server that is not yet listening; call Start.
func New() *Server {
	s := &Server{
		now:     time.Now,
		closing: make(chan struct{}),
	}
	s.logs.init()
	s.s3.init()
	s.athena.init()
	s.live.init()
	return s
}

// Serve starts a Server for a test and closes it when the test ends.
func Serve(t testing.TB) *Server {
	t.Helper()
	s := New()
	s.Start()
	t.Cleanup(s.Close)
	return s
}

// Start starts listening on 127.0.0.1 on a free port.
func (s *Server) Start() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ts != nil {
		return
	}
	s.ts = httptest.NewUnstartedServer(s)
	s.ts.Start()
}

// URL is the base endpoint of the server, such as http://127.0.0.1:41234.
func (s *Server) URL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ts == nil {
		return ""
	}
	return s.ts.URL
}

// Close ends open Live Tail sessions and stops the server.
func (s *Server) Close() {
	s.closeOnce.Do(func() { close(s.closing) })
	s.mu.Lock()
	ts := s.ts
	s.mu.Unlock()
	if ts != nil {
		ts.Close()
	}
}

// SetClock replaces the clock that stamps ingestion times and creation
// times, so that tests can be independent of the wall clock.
func (s *Server) SetClock(now func() time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.now = now
}

// AWSConfig returns an SDK configuration aimed at the server: Region
// us-east-1, static fake credentials, BaseEndpoint set to URL. Retries keep
// the SDK's standard policy (3 attempts, same retryable errors) with a 1 ms
// back-off so that fault-injection tests stay fast.
//
// It deliberately does not disable the StartLiveTail host prefix: build the
// CloudWatch Logs client with awsclient.NewLogs, as flowlens does.
func (s *Server) AWSConfig() aws.Config {
	return aws.Config{
		Region:       Region,
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDFAKEFAKEFAKEFAKE", "fake-secret", ""),
		BaseEndpoint: aws.String(s.URL()),
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) {
					return time.Millisecond, nil
				})
			})
		},
	}
}

// nextRequestID returns a request ID shaped like AWS's (a UUID). Callers hold
// s.mu.
func (s *Server) nextRequestID() string {
	s.reqSeq++
	return fmt.Sprintf("00000000-0000-4000-8000-%012d", s.reqSeq)
}

// ServeHTTP routes a request to S3, CloudWatch Logs or EC2 the way AWS's
// protocols tell them apart: S3 is REST (GET, HEAD and PUT on /bucket/key),
// awsJson carries the operation in X-Amz-Target, ec2query in the form field
// Action.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// Reading the whole body lets net/http notice when the client hangs up,
	// which is how a Live Tail session learns that the client closed it.
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, "read body: "+err.Error(), http.StatusBadRequest)
		return
	}
	if isS3Request(r) {
		s.serveS3(w, r, body)
		return
	}
	if r.Method != http.MethodPost {
		http.Error(w, "fakeaws: only POST is served", http.StatusMethodNotAllowed)
		return
	}
	if target := r.Header.Get("X-Amz-Target"); strings.HasPrefix(target, athenaTargetPrefix) {
		s.serveAthena(w, r, target, body)
		return
	} else if target != "" {
		s.serveLogs(w, r, target, body)
		return
	}
	form, err := url.ParseQuery(string(body))
	if err == nil && form.Get("Action") != "" {
		s.serveEC2(w, r, form)
		return
	}
	http.Error(w, "fakeaws: neither X-Amz-Target nor Action in the request", http.StatusBadRequest)
}

// credentialRegion extracts the Region from the SigV4 credential scope of a
// request, so the call log can show where the client thought it was talking.
// The access key itself is never kept.
func credentialRegion(r *http.Request) string {
	auth := r.Header.Get("Authorization")
	_, scope, ok := strings.Cut(auth, "Credential=")
	if !ok {
		return ""
	}
	scope, _, _ = strings.Cut(scope, ",")
	parts := strings.Split(scope, "/")
	if len(parts) < 5 {
		return ""
	}
	return parts[2]
}
