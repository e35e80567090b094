package awsclient

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/athena"
)

// NewAthena returns an Athena client for flowlens. The SDK's defaults serve: its
// standard retries already back off on TooManyRequestsException, Athena's throttle.
func NewAthena(cfg aws.Config, optFns ...func(*athena.Options)) *athena.Client {
	return athena.NewFromConfig(cfg, optFns...)
}
