package awsclient_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/flowlens/flowlens/internal/fakeaws"
	"github.com/flowlens/flowlens/source/awsclient"
)

func TestLoadTakesRegionFromProfileUnlessFlagged(t *testing.T) {
	env := newAWSEnv(t)
	env.write("config", `[profile dev]
	region = eu-west-2
	`)
	env.write("credentials", `[dev]
	aws_access_key_id = `+exampleKeyID+`
	aws_secret_access_key = `+exampleSecret+`
	`)
	cfg, err := awsclient.Load(testContext(t), awsclient.Options{Profile: "dev"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Region != "eu-west-2" {
		t.Errorf("region = %q, want the profile's eu-west-2", cfg.Region)
	}
	cfg, err = awsclient.Load(testContext(t), awsclient.Options{Profile: "dev", Region: "us-west-1"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Region != "us-west-1" {
		t.Errorf("region = %q, want the flag's us-west-1", cfg.Region)
	}
}

func TestLoadWithoutRegionSaysWhereToSetIt(t *testing.T) {
	env := newAWSEnv(t)
	env.write("config", "[profile dev]\noutput = json\n")
	cases := []struct {
		name, profile, envProfile, want string
	}{
		{"flag", "dev", "", "no AWS region: pass --region or set AWS_REGION, or set region in profile dev"},
		{"AWS_PROFILE", "", "dev", "set region in profile dev"},
		{"default", "", "", "set region in profile default"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.envProfile != "" {
				t.Setenv("AWS_PROFILE", tc.envProfile)
			}
			_, err := awsclient.Load(testContext(t), awsclient.Options{Profile: tc.profile})
			var noRegion *awsclient.NoRegionError
			if !errors.As(err, &noRegion) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want NoRegionError saying %q", err, tc.want)
			}
			if got := awsclient.Explain(err, tc.profile); got != err.Error() {
				t.Errorf("Explain = %q, want the error's own text", got)
			}
		})
	}
}

func TestLoadRejectsMalformedEndpoint(t *testing.T) {
	newAWSEnv(t)
	for _, bad := range []string{"127.0.0.1:4566", "ftp://x", "http://"} {
		if _, err := awsclient.Load(testContext(t), awsclient.Options{Region: "us-east-1", EndpointURL: bad}); err == nil || !strings.Contains(err.Error(), "invalid endpoint URL") {
			t.Errorf("EndpointURL %q: err = %v", bad, err)
		}
	}
}

// useEverything drives every kind of call flowlens makes through clients
// built from cfg, the Live Tail stream included, and fails the test if any
// of them does not reach the fake.
func useEverything(t *testing.T, srv *fakeaws.Server, cfg aws.Config) {
	t.Helper()
	srv.LiveTailUpdateInterval(0)
	srv.AddEvents("/vpc/flow", "eni-1-all", fakeaws.Event{Message: "m"})
	srv.AddFlowLogs(fakeaws.FlowLog{LogGroupName: "/vpc/flow", ResourceID: "eni-1"})
	logs, ec2c := awsclient.NewLogs(cfg), awsclient.NewEC2(cfg)

	out, err := logs.FilterLogEvents(testContext(t), &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("/vpc/flow")})
	if err != nil || len(out.Events) != 1 {
		t.Fatalf("FilterLogEvents: %v", err)
	}
	fl, err := ec2c.DescribeFlowLogs(testContext(t), &ec2.DescribeFlowLogsInput{})
	if err != nil || len(fl.FlowLogs) != 1 {
		t.Fatalf("DescribeFlowLogs: %v", err)
	}
	tail, err := logs.StartLiveTail(testContext(t), &cloudwatchlogs.StartLiveTailInput{LogGroupIdentifiers: []string{fakeaws.LogGroupARN("/vpc/flow")}})
	if err != nil {
		t.Fatalf("StartLiveTail: %v", err)
	}
	stream := tail.GetStream()
	defer stream.Close()
	select {
	case ev := <-stream.Events():
		if _, ok := ev.(*types.StartLiveTailResponseStreamMemberSessionStart); !ok {
			t.Errorf("first Live Tail event = %T, want sessionStart", ev)
		}
	case <-testContext(t).Done():
		t.Fatal("no Live Tail event")
	}
	for _, c := range srv.Calls() {
		if c.Region != "us-east-1" {
			t.Errorf("%s signed for region %q", c.Op, c.Region)
		}
	}
}

func TestEndpointURLServesBothServices(t *testing.T) {
	env := newAWSEnv(t)
	env.envCredentials()
	srv := fakeaws.Serve(t)
	cfg, err := awsclient.Load(testContext(t), awsclient.Options{Region: "us-east-1", EndpointURL: srv.URL()})
	if err != nil {
		t.Fatal(err)
	}
	useEverything(t, srv, cfg)
}

func TestEndpointFromEnvironment(t *testing.T) {
	for _, variable := range []string{"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS"} {
		t.Run(variable, func(t *testing.T) {
			env := newAWSEnv(t)
			env.envCredentials()
			srv := fakeaws.Serve(t)
			t.Setenv(variable, srv.URL())
			if variable != "AWS_ENDPOINT_URL" {
				t.Setenv("AWS_ENDPOINT_URL_EC2", srv.URL())
			}
			cfg, err := awsclient.Load(testContext(t), awsclient.Options{Region: "us-east-1"})
			if err != nil {
				t.Fatal(err)
			}
			useEverything(t, srv, cfg)
		})
	}
}

func TestEndpointFlagWinsOverServiceVariable(t *testing.T) {
	env := newAWSEnv(t)
	env.envCredentials()
	srv := fakeaws.Serve(t)
	t.Setenv("AWS_ENDPOINT_URL_CLOUDWATCH_LOGS", "http://127.0.0.1:9")
	t.Setenv("AWS_ENDPOINT_URL_EC2", "http://127.0.0.1:9")
	cfg, err := awsclient.Load(testContext(t), awsclient.Options{Region: "us-east-1", EndpointURL: srv.URL()})
	if err != nil {
		t.Fatal(err)
	}
	useEverything(t, srv, cfg)
}
