package awsclient_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/smithy-go"

	"github.com/flowlens/flowlens/internal/fakeaws"
	"github.com/flowlens/flowlens/source/awsclient"
)

// assertSafe fails if a message carries any of the test's credentials.
func assertSafe(t *testing.T, msg string) {
	t.Helper()
	for _, secret := range []string{exampleKeyID, exampleSecret, "AKIDFAKEFAKEFAKEFAKE", "fake-secret", "cached-token"} {
		if strings.Contains(msg, secret) {
			t.Errorf("message leaks %q: %s", secret, msg)
		}
	}
}

func TestExplainAPIErrorsFromTheWire(t *testing.T) {
	srv := fakeaws.Serve(t)
	srv.AddLogGroup("/vpc/flow")
	cfg := srv.AWSConfig()
	// One attempt, so each case sees the error the server sent.
	cfg.Retryer = func() aws.Retryer { return aws.NopRetryer{} }
	logs, ec2c := awsclient.NewLogs(cfg), awsclient.NewEC2(cfg)
	filter := func(ctx context.Context) error {
		_, err := logs.FilterLogEvents(ctx, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("/vpc/flow")})
		return err
	}
	tail := func(ctx context.Context) error {
		_, err := logs.StartLiveTail(ctx, &cloudwatchlogs.StartLiveTailInput{LogGroupIdentifiers: []string{fakeaws.LogGroupARN("/vpc/flow")}})
		return err
	}
	flowLogs := func(ctx context.Context) error {
		_, err := ec2c.DescribeFlowLogs(ctx, &ec2.DescribeFlowLogsInput{})
		return err
	}
	enis := func(ctx context.Context) error {
		_, err := ec2c.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{})
		return err
	}
	cases := []struct {
		name     string
		op, code string
		call     func(context.Context) error
		want     string
	}{
		{"denied FilterLogEvents", "FilterLogEvents", "AccessDeniedException", filter,
			"access denied: profile prod is not allowed to call logs:FilterLogEvents; grant the IAM permission logs:FilterLogEvents or use another --profile"},
		{"denied StartLiveTail", "StartLiveTail", "AccessDeniedException", tail, "call logs:StartLiveTail"},
		{"denied DescribeFlowLogs", "DescribeFlowLogs", "UnauthorizedOperation", flowLogs, "call ec2:DescribeFlowLogs"},
		{"denied DescribeNetworkInterfaces", "DescribeNetworkInterfaces", "UnauthorizedOperation", enis, "call ec2:DescribeNetworkInterfaces"},
		{"expired token", "FilterLogEvents", "ExpiredTokenException", filter,
			"the AWS credentials of profile prod have expired (ExpiredTokenException): run `aws sso login --profile prod`"},
		{"unknown key", "FilterLogEvents", "UnrecognizedClientException", filter, "AWS does not accept the credentials of profile prod"},
		{"throttled", "FilterLogEvents", "ThrottlingException", filter, "AWS is throttling CloudWatch Logs FilterLogEvents (ThrottlingException)"},
		{"EC2 throttled", "DescribeFlowLogs", "RequestLimitExceeded", flowLogs, "AWS is throttling EC2 DescribeFlowLogs"},
		{"too many sessions", "StartLiveTail", "LimitExceededException", tail, "too many Live Tail sessions"},
		{"unavailable", "FilterLogEvents", "ServiceUnavailableException", filter, "CloudWatch Logs is unavailable right now"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv.FailNext(tc.op, 1, tc.code)
			err := tc.call(testContext(t))
			if err == nil {
				t.Fatal("call succeeded")
			}
			got := awsclient.Explain(err, "prod")
			if !strings.Contains(got, tc.want) {
				t.Errorf("Explain = %q\nwant it to contain %q", got, tc.want)
			}
			assertSafe(t, got)
		})
	}
}

func TestExplainUnknownLogGroup(t *testing.T) {
	srv := fakeaws.Serve(t)
	_, err := awsclient.NewLogs(srv.AWSConfig()).FilterLogEvents(testContext(t), &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("/vpc/typo")})
	got := awsclient.Explain(err, "")
	want := "CloudWatch Logs FilterLogEvents: The specified log group does not exist.: check --log-group, --region and --profile"
	if !strings.Contains(got, want) {
		t.Errorf("Explain = %q, want %q", got, want)
	}
}

func TestExplainLiveTailTimeout(t *testing.T) {
	srv := fakeaws.Serve(t)
	srv.LiveTailUpdateInterval(0)
	srv.AddLogGroup("g")
	out, err := awsclient.LiveTailClient(awsclient.NewLogs(srv.AWSConfig())).StartLiveTail(testContext(t), tailInput)
	if err != nil {
		t.Fatal(err)
	}
	stream := out.GetStream()
	defer stream.Close()
	if err := srv.AwaitLiveTailSessions(testContext(t), 1); err != nil {
		t.Fatal(err)
	}
	srv.EndLiveTail("SessionTimeoutException")
	for range stream.Events() {
	}
	if got := awsclient.Explain(stream.Err(), ""); !strings.Contains(got, "3-hour limit") {
		t.Errorf("Explain = %q", got)
	}
}

// The credential cases fail before any request is sent, inside the SDK's
// signing step; they run against a sandboxed HOME and config file.
func TestExplainCredentialProblems(t *testing.T) {
	const profiles = `[profile legacy]
	sso_start_url = https://example.awsapps.com/start
	sso_region = us-east-1
	sso_account_id = 123456789012
	sso_role_name = Reader
	region = us-east-1

	[profile fresh]
	sso_start_url = https://fresh.awsapps.com/start
	sso_region = us-east-1
	sso_account_id = 123456789012
	sso_role_name = Reader
	region = us-east-1

	[profile modern]
	sso_session = corp
	sso_account_id = 123456789012
	sso_role_name = Reader
	region = us-east-1

	[profile never]
	sso_session = other
	sso_account_id = 123456789012
	sso_role_name = Reader
	region = us-east-1

	[sso-session corp]
	sso_start_url = https://example.awsapps.com/start
	sso_region = us-east-1

	[sso-session other]
	sso_start_url = https://other.awsapps.com/start
	sso_region = us-east-1
	`
	expired := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		name, profile, want string
	}{
		{"no credentials", "", "no AWS credentials found: run `aws configure`, set AWS_PROFILE, or `aws sso login --profile NAME`"},
		{"legacy SSO expired", "legacy", "the SSO session for profile legacy has expired: run `aws sso login --profile legacy`"},
		{"sso-session expired", "modern", "the SSO session for profile modern has expired: run `aws sso login --profile modern`"},
		{"legacy never logged in", "fresh", "there is no SSO session for profile fresh yet: run `aws sso login --profile fresh`"},
		{"sso-session never logged in", "never", "there is no SSO session for profile never yet: run `aws sso login --profile never`"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := newAWSEnv(t)
			env.write("config", profiles)
			env.ssoCache("https://example.awsapps.com/start", expired)
			env.ssoCache("corp", expired)
			srv := fakeaws.Serve(t)
			cfg, err := awsclient.Load(testContext(t), awsclient.Options{Profile: tc.profile, Region: "us-east-1", EndpointURL: srv.URL()})
			if err != nil {
				t.Fatal(err)
			}
			_, err = awsclient.NewLogs(cfg).DescribeLogGroups(testContext(t), &cloudwatchlogs.DescribeLogGroupsInput{})
			if err == nil {
				t.Fatal("call succeeded without credentials")
			}
			if got := awsclient.Explain(err, tc.profile); got != tc.want {
				t.Errorf("Explain = %q\nwant      %q", got, tc.want)
			}
			assertSafe(t, awsclient.Explain(err, tc.profile))
			if n := len(srv.Calls()); n != 0 {
				t.Errorf("%d requests reached the server; credentials fail before sending", n)
			}
		})
	}
}

func TestExplainMissingProfile(t *testing.T) {
	newAWSEnv(t)
	_, err := awsclient.Load(testContext(t), awsclient.Options{Profile: "ghost", Region: "us-east-1"})
	want := "AWS profile ghost not found in the shared config or credentials file: check --profile and AWS_PROFILE, or create it with `aws configure --profile ghost`"
	if got := awsclient.Explain(err, "ghost"); got != want {
		t.Errorf("Explain = %q", got)
	}
}

func TestExplainConnectionRefused(t *testing.T) {
	env := newAWSEnv(t)
	env.envCredentials()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	endpoint := "http://" + ln.Addr().String()
	ln.Close() // nothing listens there any more
	cfg, err := awsclient.Load(testContext(t), awsclient.Options{Region: "us-east-1", EndpointURL: endpoint})
	if err != nil {
		t.Fatal(err)
	}
	_, err = awsclient.NewLogs(cfg, func(o *cloudwatchlogs.Options) { o.Retryer = aws.NopRetryer{} }).
		FilterLogEvents(testContext(t), &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("g")})
	want := "cannot connect to " + endpoint + ": connection refused"
	got := awsclient.Explain(err, "")
	if !strings.Contains(got, want) {
		t.Errorf("Explain = %q, want %q", got, want)
	}
	assertSafe(t, got)
}

// Errors that are impractical to provoke on the wire, built from the SDK's
// own types.
func TestExplainBuiltErrors(t *testing.T) {
	assumeRole := &smithy.OperationError{
		ServiceID: "CloudWatch Logs", OperationName: "FilterLogEvents",
		Err: fmt.Errorf("get identity: get credentials: failed to refresh cached credentials, %w", &smithy.OperationError{
			ServiceID: "STS", OperationName: "AssumeRole",
			Err: &smithy.GenericAPIError{Code: "AccessDenied", Message: "User " + exampleKeyID + " is not authorized to perform: sts:AssumeRole"},
		}),
	}
	dns := &smithy.OperationError{ServiceID: "CloudWatch Logs", OperationName: "StartLiveTail",
		Err: &url.Error{Op: "Post", URL: "http://stream-127.0.0.1:4566/", Err: &net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Name: "stream-127.0.0.1", Err: "no such host", IsNotFound: true}}}}
	leaky := errors.New("request failed: Authorization: AWS4-HMAC-SHA256 Credential=" + exampleKeyID + "/20250101/us-east-1/logs/aws4_request, Signature=" +
		strings.Repeat("ab12", 16) + " X-Amz-Security-Token=IQoJb3JpZ2luX2VjEOr//////////wEaCXVzLWVhc3QtMSJHMEUCIQD secret " + exampleSecret)
	cases := []struct {
		name string
		err  error
		want string
	}{
		{"assume role refused", assumeRole, "could not get credentials for profile ops: STS AssumeRole failed with AccessDenied"},
		{"stream- host", dns, "cannot resolve stream-127.0.0.1"},
		{"nil", nil, ""},
		{"cancelled", fmt.Errorf("poll: %w", context.Canceled), "cancelled"},
		{"leaky text", leaky, "request failed"},
		{"a message that would drive the terminal", &smithy.OperationError{ServiceID: "CloudWatch Logs", OperationName: "FilterLogEvents",
			Err: &smithy.GenericAPIError{Code: "InvalidParameterException", Message: "group \x1b]52;c;aGk=\x07x\u009b2J\x9b31m is bad"}},
			"rejected the request (InvalidParameterException): group x\uFFFD31m is bad"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := awsclient.Explain(tc.err, "ops")
			if !strings.Contains(got, tc.want) || (tc.want == "" && got != "") {
				t.Errorf("Explain = %q, want it to contain %q", got, tc.want)
			}
			assertSafe(t, got)
			if strings.ContainsFunc(got, func(r rune) bool { return r < 0x20 || r >= 0x7f && r < 0xa0 }) || !utf8.ValidString(got) {
				t.Errorf("Explain = %q holds control characters or invalid UTF-8", got)
			}
			if strings.Contains(got, "IQoJb3JpZ2lu") || strings.Contains(got, strings.Repeat("ab12", 16)) {
				t.Errorf("token or signature leaked: %s", got)
			}
		})
	}
}

func TestRedactKeepsOrdinaryText(t *testing.T) {
	in := "log group /aws/vpc/flowlogs/production/eu-west-1/all-interfaces-of-the-core-vpc not found for arn:aws:logs:us-east-1:123456789012:log-group:x"
	if got := awsclient.Redact(in); got != in {
		t.Errorf("Redact changed harmless text:\n%s\n%s", in, got)
	}
}
