// Package awsclient owns how flowlens talks to AWS: it loads the SDK
// configuration (profiles, SSO, environment, roles, endpoint overrides),
// builds the CloudWatch Logs and EC2 clients with the settings flowlens needs
// (no "stream-" host prefix on custom endpoints, throttling surfaced to the
// caller), and turns SDK errors into sentences a person can act on without
// ever printing a credential.
package awsclient

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"reflect"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
)

// Options are the command-line choices that shape the SDK configuration.
// Empty fields leave the decision to the SDK's usual sources (environment,
// shared config files).
type Options struct {
	Profile     string
	Region      string
	EndpointURL string
}

// NoRegionError reports that neither the flags, the environment nor the
// profile named a Region. The SDK itself would only fail at the first call,
// with a message that does not say where to set it.
type NoRegionError struct {
	Profile string
}

func (e *NoRegionError) Error() string {
	return fmt.Sprintf("no AWS region: pass --region or set AWS_REGION, or set region in profile %s", e.Profile)
}

// Load builds the SDK configuration the way the AWS CLI would for the same
// profile and environment. EndpointURL, when set, becomes the base endpoint of
// every client built from the configuration, and wins over the
// AWS_ENDPOINT_URL* variables, as a command-line flag should.
func Load(ctx context.Context, opts Options) (aws.Config, error) {
	var loadOpts []func(*config.LoadOptions) error
	if opts.Profile != "" {
		loadOpts = append(loadOpts, config.WithSharedConfigProfile(opts.Profile))
	}
	if opts.Region != "" {
		loadOpts = append(loadOpts, config.WithRegion(opts.Region))
	}
	if opts.EndpointURL != "" {
		if err := checkEndpointURL(opts.EndpointURL); err != nil {
			return aws.Config{}, err
		}
	}
	cfg, err := config.LoadDefaultConfig(ctx, loadOpts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("load AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		return aws.Config{}, &NoRegionError{Profile: activeProfile(cfg, opts.Profile)}
	}
	if opts.EndpointURL != "" {
		// Set after loading, not through config.WithBaseEndpoint, so the
		// STS and SSO clients that resolve credentials keep talking to AWS.
		cfg.BaseEndpoint = aws.String(opts.EndpointURL)
		cfg.ServiceOptions = append(cfg.ServiceOptions, pinBaseEndpoint(opts.EndpointURL))
	}
	return cfg, nil
}

func checkEndpointURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("invalid endpoint URL %q: want http://host:port or https://host", raw)
	}
	return nil
}

// pinBaseEndpoint sets BaseEndpoint on any service client's options. Service
// clients apply AWS_ENDPOINT_URL_<SERVICE> over cfg.BaseEndpoint; a
// ServiceOptions hook runs after that, so the flag keeps the last word. Every
// generated client's Options has a BaseEndpoint *string field, which is what
// the reflection relies on.
func pinBaseEndpoint(endpoint string) func(string, any) {
	return func(_ string, opts any) {
		v := reflect.ValueOf(opts)
		if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
			return
		}
		f := v.Elem().FieldByName("BaseEndpoint")
		if f.IsValid() && f.CanSet() && f.Type() == reflect.TypeFor[*string]() {
			f.Set(reflect.ValueOf(aws.String(endpoint)))
		}
	}
}

// activeProfile names the shared-config profile the SDK used: the flag, then
// AWS_PROFILE, then "default".
func activeProfile(cfg aws.Config, flag string) string {
	for _, src := range cfg.ConfigSources {
		if sc, ok := src.(config.SharedConfig); ok && sc.Profile != "" {
			return sc.Profile
		}
	}
	if flag != "" {
		return flag
	}
	if p := os.Getenv("AWS_PROFILE"); p != "" {
		return p
	}
	return "default"
}
