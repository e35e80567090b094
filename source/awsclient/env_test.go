package awsclient_test

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Well-known example credentials from AWS's documentation: tests assert they
// never leak into messages.
const (
	exampleKeyID  = "AKIAIOSFODNN7EXAMPLE"
	exampleSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
)

const deadline = 10 * time.Second

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	t.Cleanup(cancel)
	return ctx
}

// awsEnv is a sandboxed AWS environment: its own HOME, config and
// credentials files, no AWS_* variables from the machine running the tests,
// and IMDS off so that a missing credential fails at once instead of probing
// 169.254.169.254.
type awsEnv struct {
	t    *testing.T
	home string
}

var awsVariables = []string{
	"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE",
	"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN",
	"AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
	"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS", "AWS_ENDPOINT_URL_EC2",
	"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "AWS_RETRY_MODE", "AWS_MAX_ATTEMPTS",
}

func newAWSEnv(t *testing.T) *awsEnv {
	t.Helper()
	home := t.TempDir()
	for _, k := range awsVariables {
		t.Setenv(k, "") // registers the restore
		os.Unsetenv(k)
	}
	t.Setenv("HOME", home)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(home, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(home, "credentials"))
	e := &awsEnv{t: t, home: home}
	e.write("config", "")
	e.write("credentials", "")
	return e
}

func (e *awsEnv) write(name, content string) {
	e.t.Helper()
	content = strings.ReplaceAll(content, "\t", "")
	if err := os.WriteFile(filepath.Join(e.home, name), []byte(content), 0o600); err != nil {
		e.t.Fatal(err)
	}
}

// envCredentials puts the example static credentials in the environment.
func (e *awsEnv) envCredentials() {
	e.t.Setenv("AWS_ACCESS_KEY_ID", exampleKeyID)
	e.t.Setenv("AWS_SECRET_ACCESS_KEY", exampleSecret)
}

// ssoCache writes an SSO token cache entry under the name the SDK derives
// from key (the start URL for legacy profiles, the session name otherwise).
func (e *awsEnv) ssoCache(key string, expires time.Time) {
	e.t.Helper()
	dir := filepath.Join(e.home, ".aws", "sso", "cache")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		e.t.Fatal(err)
	}
	sum := sha1.Sum([]byte(key))
	body := `{"accessToken":"cached-token","expiresAt":"` + expires.UTC().Format(time.RFC3339) + `","region":"us-east-1","startUrl":"https://example.awsapps.com/start"}`
	if err := os.WriteFile(filepath.Join(dir, hex.EncodeToString(sum[:])+".json"), []byte(body), 0o600); err != nil {
		e.t.Fatal(err)
	}
}
