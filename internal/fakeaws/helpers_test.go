package fakeaws_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/flowlens/flowlens/internal/fakeaws"
)

// deadline bounds every wait in these tests; it is a safety net, never a
// measurement.
const deadline = 10 * time.Second

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	t.Cleanup(cancel)
	return ctx
}

// logsClient is a real CloudWatch Logs client aimed at srv. The package
// cannot use awsclient (which tests against this package), so it repeats the
// one thing that makes StartLiveTail reach 127.0.0.1: switching off the
// "stream-" host prefix.
func logsClient(srv *fakeaws.Server, optFns ...func(*cloudwatchlogs.Options)) *cloudwatchlogs.Client {
	noPrefix := func(o *cloudwatchlogs.Options) {
		o.APIOptions = append(o.APIOptions, func(stack *middleware.Stack) error {
			return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("testNoHostPrefix",
				func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
					return next.HandleInitialize(smithyhttp.DisableEndpointHostPrefix(ctx, true), in)
				}), middleware.Before)
		})
	}
	return cloudwatchlogs.NewFromConfig(srv.AWSConfig(), append([]func(*cloudwatchlogs.Options){noPrefix}, optFns...)...)
}

// noRetry makes a client surface the first error, so a test sees exactly
// the error the server sent.
func noRetry(o *cloudwatchlogs.Options) { o.Retryer = aws.NopRetryer{} }

func ec2Client(srv *fakeaws.Server, optFns ...func(*ec2.Options)) *ec2.Client {
	return ec2.NewFromConfig(srv.AWSConfig(), optFns...)
}

func ms(t time.Time) int64 { return t.UnixMilli() }

// at is a fixed instant plus an offset in seconds, so tests never read the
// wall clock.
func at(sec int) time.Time {
	return time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC).Add(time.Duration(sec) * time.Second)
}
