package awsclient

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
)

const redacted = "[redacted]"

var (
	// Access key IDs: long-term (AKIA) and temporary (ASIA).
	accessKeyID = regexp.MustCompile(`\b(AKIA|ASIA)[A-Z0-9]{16}\b`)
	// key=value or key: value pairs that carry secrets, as they appear in
	// signed URLs, Authorization headers and config dumps.
	secretField = regexp.MustCompile(`(?i)\b(aws_secret_access_key|aws_session_token|secret_?access_?key|session_?token|x-amz-security-token|x-amz-signature|signature|credential)(\s*[=:]\s*)[^\s,&;"']+`)
	// Long base64 runs: secret keys are 40 characters, session tokens
	// hundreds.
	longToken = regexp.MustCompile(`[A-Za-z0-9+/=]{40,}`)
)

// Redact removes anything that looks like an AWS credential from text that
// is about to be shown or logged.
func Redact(s string) string {
	s = accessKeyID.ReplaceAllString(s, redacted)
	s = secretField.ReplaceAllString(s, "${1}${2}"+redacted)
	return longToken.ReplaceAllStringFunc(s, func(tok string) string {
		// Paths such as long log group names are runs of this alphabet too;
		// a secret mixes upper case, lower case and digits.
		if strings.ContainsAny(tok, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") &&
			strings.ContainsAny(tok, "abcdefghijklmnopqrstuvwxyz") &&
			strings.ContainsAny(tok, "0123456789") {
			return redacted
		}
		return tok
	})
}

// RedactedConfigSummary describes a configuration for --debug output and
// logs: Region, profile, where the credentials come from, endpoint. It never
// retrieves or prints the credentials themselves.
func RedactedConfigSummary(cfg aws.Config) string {
	region := cfg.Region
	if region == "" {
		region = "(none)"
	}
	parts := []string{"region " + region}
	for _, src := range cfg.ConfigSources {
		if sc, ok := src.(config.SharedConfig); ok && sc.Profile != "" {
			parts = append(parts, "profile "+sc.Profile)
			break
		}
	}
	parts = append(parts, "credentials from "+credentialSource(cfg.Credentials))
	if cfg.BaseEndpoint != nil {
		parts = append(parts, "endpoint "+Redact(*cfg.BaseEndpoint))
	}
	return strings.Join(parts, ", ")
}

// credentialSource names the provider behind the credentials without asking
// it for credentials (which could mean a network call or an SSO prompt).
func credentialSource(p aws.CredentialsProvider) string {
	if p == nil {
		return "nowhere (none configured)"
	}
	if s, ok := p.(interface{ ProviderSources() []aws.CredentialSource }); ok {
		if sources := s.ProviderSources(); len(sources) > 0 {
			names := make([]string, 0, len(sources))
			for _, src := range sources {
				names = append(names, sourceName(src))
			}
			return strings.Join(names, " via ")
		}
	}
	return fmt.Sprintf("%T", p)
}

func sourceName(src aws.CredentialSource) string {
	switch src {
	case aws.CredentialSourceCode:
		return "code"
	case aws.CredentialSourceEnvVars:
		return "environment variables"
	case aws.CredentialSourceEnvVarsSTSWebIDToken, aws.CredentialSourceSTSAssumeRoleWebID, aws.CredentialSourceProfileSTSWebIDToken:
		return "web identity"
	case aws.CredentialSourceSTSAssumeRole:
		return "assumed role"
	case aws.CredentialSourceProfile:
		return "shared config profile"
	case aws.CredentialSourceProfileSourceProfile:
		return "source profile"
	case aws.CredentialSourceProfileSSO, aws.CredentialSourceSSO, aws.CredentialSourceProfileSSOLegacy, aws.CredentialSourceSSOLegacy:
		return "SSO"
	case aws.CredentialSourceProfileProcess, aws.CredentialSourceProcess:
		return "credential process"
	case aws.CredentialSourceIMDS:
		return "EC2 instance metadata"
	case aws.CredentialSourceHTTP:
		return "container credentials endpoint"
	}
	return fmt.Sprintf("source %d", int(src))
}
