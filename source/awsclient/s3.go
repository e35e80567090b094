package awsclient

import (
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// NewS3 returns an S3 client for flowlens. On top of the SDK's defaults (and
// after optFns, so that it sees their choices):
//
//   - With a custom endpoint (--endpoint-url, AWS_ENDPOINT_URL,
//     AWS_ENDPOINT_URL_S3), addressing is path-style (http://host/bucket/key),
//     as the AWS CLI's users expect of a local stand-in, MinIO or LocalStack:
//     the virtual-hosted form, bucket.127.0.0.1, does not resolve.
//   - The SDK's "Response has no supported checksum" warning is not logged:
//     flow log objects are uploaded without checksums and ranged reads never
//     carry one, so it would print for every object, onto the explorer's
//     screen.
//
// Throttling (SlowDown) keeps the SDK's standard retries with back-off: S3
// throttles per prefix, briefly, and a retry a moment later usually passes.
func NewS3(cfg aws.Config, optFns ...func(*s3.Options)) *s3.Client {
	fns := append(slices.Clip(optFns), func(o *s3.Options) {
		if o.BaseEndpoint != nil {
			o.UsePathStyle = true
		}
		o.DisableLogOutputChecksumValidationSkipped = true
	})
	return s3.NewFromConfig(cfg, fns...)
}
