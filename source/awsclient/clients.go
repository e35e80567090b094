package awsclient

import (
	"context"
	"errors"
	"net/http"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// NewLogs returns a CloudWatch Logs client for flowlens. On top of the SDK's
// defaults (and after optFns, so that it sees their choices):
//
//   - With a custom endpoint (BaseEndpoint from Load, AWS_ENDPOINT_URL,
//     AWS_ENDPOINT_URL_CLOUDWATCH_LOGS or a profile's endpoint_url), the
//     "stream-" host prefix of StartLiveTail is switched off: the SDK would
//     otherwise dial stream-127.0.0.1 or stream-localhost, which does not
//     resolve.
//   - Throttling errors are not retried by the SDK but returned at once
//     (IsThrottle tells them apart). FilterLogEvents has a quota of a few
//     requests per second per account and Region, shared with every other
//     reader; the SDK's three quick attempts would burn it and hide the
//     problem, while the CloudWatch source backs off over seconds and
//     reports the lag. Other transient failures (5xx, broken connections)
//     keep the SDK's standard retries.
func NewLogs(cfg aws.Config, optFns ...func(*cloudwatchlogs.Options)) *cloudwatchlogs.Client {
	fns := append(slices.Clip(optFns), func(o *cloudwatchlogs.Options) {
		if o.BaseEndpoint != nil {
			o.APIOptions = append(slices.Clip(o.APIOptions), disableHostPrefix)
		}
		if o.Retryer != nil {
			o.Retryer = surfaceThrottles(o.Retryer)
		}
	})
	return cloudwatchlogs.NewFromConfig(cfg, fns...)
}

// NewEC2 returns an EC2 client for flowlens. The describe calls it makes run
// once at start-up, so the SDK's standard retries, throttling included, are
// what a person wants there.
func NewEC2(cfg aws.Config, optFns ...func(*ec2.Options)) *ec2.Client {
	return ec2.NewFromConfig(cfg, optFns...)
}

// disableHostPrefix marks every operation's context so that the SDK's
// EndpointHostPrefix middleware leaves the host alone.
func disableHostPrefix(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("flowlens.DisableEndpointHostPrefix",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			return next.HandleInitialize(smithyhttp.DisableEndpointHostPrefix(ctx, true), in)
		}), middleware.Before)
}

// sdkThrottles is how the SDK's standard retryer recognises throttling; the
// same test decides what NewLogs stops retrying.
var sdkThrottles = retry.ThrottleErrorCode{Codes: retry.DefaultThrottleErrorCodes}

// surfaceThrottles wraps a retryer so that throttling errors end the call
// instead of being retried.
func surfaceThrottles(r aws.Retryer) aws.Retryer {
	v2, ok := r.(aws.RetryerV2)
	if !ok {
		v2 = retryerV2{r}
	}
	return throttleSurfacer{v2}
}

type throttleSurfacer struct{ aws.RetryerV2 }

func (r throttleSurfacer) IsErrorRetryable(err error) bool {
	if sdkThrottles.IsErrorThrottle(err) == aws.TrueTernary {
		return false
	}
	return r.RetryerV2.IsErrorRetryable(err)
}

// retryerV2 adapts a retryer written against the older interface.
type retryerV2 struct{ aws.Retryer }

func (r retryerV2) GetAttemptToken(context.Context) (func(error) error, error) {
	return r.GetInitialToken(), nil
}

// throttleCodes are the error codes AWS services use for "slow down". The
// SDK's list also holds LimitExceededException, which CloudWatch Logs uses
// for quotas that waiting a few seconds does not lift (too many Live Tail
// sessions), so it is left out here.
var throttleCodes = []string{
	"Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
	"TooManyRequestsException", "RequestLimitExceeded", "RequestThrottled", "SlowDown",
	"ProvisionedThroughputExceededException", "BandwidthLimitExceeded",
}

// IsThrottle reports whether err is AWS asking the caller to slow down, so
// that a source can back off and try again.
func IsThrottle(err error) bool {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) && slices.Contains(throttleCodes, apiErr.ErrorCode()) {
		return true
	}
	var status interface{ HTTPStatusCode() int }
	return errors.As(err, &status) && status.HTTPStatusCode() == http.StatusTooManyRequests
}
