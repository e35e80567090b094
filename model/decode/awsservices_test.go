package decode

import (
	"slices"
	"testing"
)

func TestAWSService(t *testing.T) {
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{"S3", "Amazon S3", true},
		{"s3", "Amazon S3", true},
		{"DYNAMODB", "Amazon DynamoDB", true},
		{"AMAZON", "Amazon (any AWS address range)", true},
		{"ROUTE53_RESOLVER", "Amazon Route 53 Resolver", true},
		{"NEW_SERVICE", "NEW_SERVICE", false},
		{"-", "-", false},
		{"", "", false},
	}
	for _, tt := range tests {
		got, ok := AWSService(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("AWSService(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

// The ip-ranges.json service names flow logs may carry.
func TestAWSServiceKnowsIPRanges(t *testing.T) {
	names := []string{
		"AMAZON", "AMAZON_APPFLOW", "AMAZON_CONNECT", "API_GATEWAY", "AURORA_DSQL",
		"CHIME_MEETINGS", "CHIME_VOICECONNECTOR", "CLOUD9", "CLOUDFRONT",
		"CLOUDFRONT_ORIGIN_FACING", "CODEBUILD", "DYNAMODB", "EBS", "EC2",
		"EC2_INSTANCE_CONNECT", "GLOBALACCELERATOR", "IVS_LOW_LATENCY", "IVS_REALTIME",
		"KINESIS_VIDEO_STREAMS", "MEDIA_PACKAGE_V2", "ROUTE53", "ROUTE53_HEALTHCHECKS",
		"ROUTE53_HEALTHCHECKS_PUBLISHING", "ROUTE53_RESOLVER", "S3", "WORKSPACES_GATEWAYS",
	}
	for _, name := range names {
		if d, ok := AWSService(name); !ok || d == name || d == "" {
			t.Errorf("AWSService(%q) = %q, %v", name, d, ok)
		}
	}
	listed := AWSServiceNames()
	if !slices.IsSorted(listed) {
		t.Error("AWSServiceNames is not sorted")
	}
	for _, name := range names {
		if !slices.Contains(listed, name) {
			t.Errorf("AWSServiceNames lacks %q", name)
		}
	}
}
