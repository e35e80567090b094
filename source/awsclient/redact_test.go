package awsclient_test

import (
	"strings"
	"testing"
	"time"

	"github.com/flowlens/flowlens/source/awsclient"
)

func TestRedactedConfigSummary(t *testing.T) {
	cases := []struct {
		name  string
		setup func(*awsEnv)
		opts  awsclient.Options
		want  []string
	}{
		{
			name:  "environment",
			setup: func(e *awsEnv) { e.envCredentials() },
			opts:  awsclient.Options{Region: "us-east-1", EndpointURL: "http://127.0.0.1:4566"},
			want:  []string{"region us-east-1", "credentials from environment variables", "endpoint http://127.0.0.1:4566"},
		},
		{
			name: "static profile",
			setup: func(e *awsEnv) {
				e.write("config", "[profile dev]\nregion = eu-west-2\n")
				e.write("credentials", "[dev]\naws_access_key_id = "+exampleKeyID+"\naws_secret_access_key = "+exampleSecret+"\n")
			},
			opts: awsclient.Options{Profile: "dev"},
			want: []string{"region eu-west-2", "profile dev", "credentials from shared config profile"},
		},
		{
			name: "SSO profile, not logged in",
			setup: func(e *awsEnv) {
				e.write("config", "[profile sso]\nsso_start_url = https://example.awsapps.com/start\nsso_region = us-east-1\nsso_account_id = 123456789012\nsso_role_name = Reader\nregion = us-east-1\n")
				e.ssoCache("https://example.awsapps.com/start", time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC))
			},
			opts: awsclient.Options{Profile: "sso"},
			want: []string{"profile sso", "credentials from SSO"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := newAWSEnv(t)
			tc.setup(env)
			cfg, err := awsclient.Load(testContext(t), tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			got := awsclient.RedactedConfigSummary(cfg)
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("summary %q lacks %q", got, w)
				}
			}
			assertSafe(t, got)
		})
	}
}
