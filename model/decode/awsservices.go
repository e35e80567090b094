package decode

import "slices"

// awsServices describe the pkt-src-aws-service and pkt-dst-aws-service values (version 5).
// Flow logs use the service names of AWS's published ip-ranges.json; when an address lies
// in several ranges the record names only one of them, and AMAZON covers every AWS range,
// so it is the least specific answer. The list follows ip-ranges.json as of late 2025 and
// is open: AWS adds names.
var awsServices = map[string]string{
	"AMAZON":                          "Amazon (any AWS address range)",
	"AMAZON_APPFLOW":                  "Amazon AppFlow",
	"AMAZON_CONNECT":                  "Amazon Connect",
	"API_GATEWAY":                     "Amazon API Gateway",
	"AURORA_DSQL":                     "Amazon Aurora DSQL",
	"CHIME_MEETINGS":                  "Amazon Chime meetings",
	"CHIME_VOICECONNECTOR":            "Amazon Chime Voice Connector",
	"CLOUD9":                          "AWS Cloud9",
	"CLOUDFRONT":                      "Amazon CloudFront",
	"CLOUDFRONT_ORIGIN_FACING":        "Amazon CloudFront (origin-facing servers)",
	"CODEBUILD":                       "AWS CodeBuild",
	"DYNAMODB":                        "Amazon DynamoDB",
	"EBS":                             "Amazon EBS",
	"EC2":                             "Amazon EC2 (public addresses)",
	"EC2_INSTANCE_CONNECT":            "EC2 Instance Connect",
	"GLOBALACCELERATOR":               "AWS Global Accelerator",
	"IVS_LOW_LATENCY":                 "Amazon IVS (low-latency streaming)",
	"IVS_REALTIME":                    "Amazon IVS (real-time streaming)",
	"KINESIS_VIDEO_STREAMS":           "Amazon Kinesis Video Streams",
	"MEDIA_PACKAGE_V2":                "AWS Elemental MediaPackage v2",
	"ROUTE53":                         "Amazon Route 53",
	"ROUTE53_HEALTHCHECKS":            "Amazon Route 53 health checkers",
	"ROUTE53_HEALTHCHECKS_PUBLISHING": "Amazon Route 53 health check publishing",
	"ROUTE53_RESOLVER":                "Amazon Route 53 Resolver",
	"S3":                              "Amazon S3",
	"WORKSPACES_GATEWAYS":             "Amazon WorkSpaces gateways",
}

// AWSService describes a pkt-src-aws-service or pkt-dst-aws-service value, ignoring case:
// "S3" gives "Amazon S3". The set is open: an unknown name is returned as it is with ok
// false. It does not allocate.
func AWSService(name string) (string, bool) {
	if d, ok := lookupFold(awsServices, name, true); ok {
		return d, true
	}
	return name, false
}

// AWSServiceNames lists the service names AWSService knows, for documentation and
// completion, sorted.
func AWSServiceNames() []string {
	names := make([]string, 0, len(awsServices))
	for name := range awsServices {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}
