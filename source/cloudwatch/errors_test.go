package cloudwatch

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/flowlens/flowlens/internal/fakeaws"
)

func TestUnknownLogGroupListsTheFlowLogGroups(t *testing.T) {
	r := newRig(t, true)
	r.srv.AddFlowLogs(fakeaws.FlowLog{LogGroupName: "/vpc/other", ResourceID: "subnet-0123456789abcdef0"})
	r.srv.AddFlowLogs(fakeaws.FlowLog{LogGroupName: "flows-s3", LogDestinationType: "s3"})
	r.cfg.LogGroups = []string{"/vpc/flwos"}
	_, err := New(testContext(t), r.cfg)
	want := `log group "/vpc/flwos" not found in us-east-1; flow logs deliver to: /vpc/flows, /vpc/other (flowlens groups lists them)`
	var unknown *UnknownGroupError
	if !errors.As(err, &unknown) || err.Error() != want {
		t.Fatalf("err = %v\nwant      %s", err, want)
	}
	calls := r.srv.CallsTo("DescribeFlowLogs")
	if len(calls) != 1 || calls[0].String("Filter.1.Name") != "log-destination-type" || calls[0].String("Filter.1.Value.1") != "cloud-watch-logs" {
		t.Errorf("DescribeFlowLogs asked %v, want the cloud-watch-logs destination", calls)
	}
}

func TestUnknownLogGroupWithoutEC2ListsLogGroups(t *testing.T) {
	r := newRig(t, true)
	r.srv.FailNext("DescribeFlowLogs", 1, "UnauthorizedOperation")
	r.cfg.LogGroups = []string{"/vpc/flows", "/nope"}
	_, err := New(testContext(t), r.cfg)
	want := `log group "/nope" not found in us-east-1; log groups that exist: /vpc/flows`
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v\nwant      %s", err, want)
	}
}

func TestNoFlowLogsAnywhereSaysSo(t *testing.T) {
	cfg := newRig(t, true).cfg
	cfg.Logs, cfg.EC2 = newRigClients(fakeaws.Serve(t)) // an empty account
	_, err := New(testContext(t), cfg)
	if err == nil || !strings.Contains(err.Error(), "no VPC flow log delivers to CloudWatch Logs in us-east-1") {
		t.Fatalf("err = %v", err)
	}
}

// Access denied names the IAM action to grant, wherever it happens.
func TestAccessDeniedNamesTheAction(t *testing.T) {
	t.Run("DescribeLogGroups", func(t *testing.T) {
		r := newRig(t, true)
		r.srv.FailNext("DescribeLogGroups", 1, "AccessDeniedException")
		_, err := New(testContext(t), r.cfg)
		if err == nil || !strings.Contains(err.Error(), "access denied") || !strings.Contains(err.Error(), "logs:DescribeLogGroups") {
			t.Fatalf("err = %v", err)
		}
	})
	for _, follow := range []bool{false, true} {
		name := "FilterLogEvents history"
		if follow {
			name = "FilterLogEvents follow"
		}
		t.Run(name, func(t *testing.T) {
			r := newRig(t, true)
			r.cfg.Follow = follow
			r.srv.FailNext("FilterLogEvents", 1, "AccessDeniedException")
			err := r.newSource().Run(testContext(t), newSink().take)
			if err == nil || !strings.Contains(err.Error(), "not allowed to call logs:FilterLogEvents") {
				t.Fatalf("err = %v", err)
			}
			if r.srv.LiveTailSessions() != 0 {
				// Closed asynchronously by the SDK; wait for it.
				r.awaitSessions(0)
			}
		})
	}
}

func TestExpiredCredentialsSayWhatToRun(t *testing.T) {
	r := newRig(t, true)
	r.cfg.Profile = "prod"
	r.srv.FailNext("DescribeLogGroups", 1, "ExpiredTokenException")
	_, err := New(testContext(t), r.cfg)
	if err == nil || !strings.Contains(err.Error(), "have expired") || !strings.Contains(err.Error(), "aws sso login --profile prod") {
		t.Fatalf("err = %v", err)
	}
}

func TestConfigMistakes(t *testing.T) {
	r := newRig(t, true)
	cases := []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"no group", func(c *Config) { c.LogGroups = nil }, "no log group"},
		{"eleven groups", func(c *Config) { c.LogGroups = make([]string, 11) }, "at most 10"},
		{"ARN", func(c *Config) { c.LogGroups = []string{fakeaws.LogGroupARN(group)} }, "not its ARN"},
		{"not an ENI", func(c *Config) { c.ENIs = []string{"i-0abc"} }, "--eni"},
		{"until before since", func(c *Config) { c.Since, c.Until = t0, t0.Add(-time.Hour) }, "before --since"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := r.cfg
			tc.edit(&cfg)
			if _, err := New(testContext(t), cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
}
