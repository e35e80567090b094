package awsclient

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"slices"
	"strings"
	"syscall"

	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/ssocreds"
	"github.com/aws/smithy-go"

	"github.com/flowlens/flowlens/model"
)

// Explain turns an error from Load or from an SDK call into one sentence a
// person can act on: what failed, why, and what to do. profile is the
// profile flowlens was asked to use ("" for the default chain); it only
// shapes the advice. The result never contains access keys, secrets or
// session tokens, even when AWS's own message would, nor anything a terminal
// would obey (AWS messages quote names anyone can choose): it is clean text
// (model.CleanText).
func Explain(err error, profile string) string {
	return model.CleanText(explain(err, profile))
}

func explain(err error, profile string) string {
	if err == nil {
		return ""
	}
	var noRegion *NoRegionError
	var missingProfile config.SharedConfigProfileNotExistError
	switch {
	case errors.As(err, &noRegion):
		return noRegion.Error()
	case errors.As(err, &missingProfile):
		return fmt.Sprintf("AWS profile %s not found in the shared config or credentials file: check --profile and AWS_PROFILE, or create it with `aws configure --profile %s`", missingProfile.Profile, missingProfile.Profile)
	case errors.Is(err, context.Canceled):
		return "cancelled"
	}
	if msg, ok := explainCredentials(err, profile); ok {
		return msg
	}
	if msg, ok := explainAPIError(err, profile); ok {
		return msg
	}
	if msg, ok := explainNetwork(err); ok {
		return msg
	}
	var quota ratelimit.QuotaExceededError
	if errors.As(err, &quota) {
		return "too many AWS requests failed in a row, so the SDK stopped retrying: check the network and the service health, then try again"
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "timed out waiting for AWS: check the network, or try again"
	}
	return Redact(err.Error())
}

// explainCredentials recognises failures to obtain credentials. The SDK
// reports them from the signing step as plain wrapped errors ("get identity:
// get credentials: failed to refresh cached credentials, ..."), typed only for
// the legacy SSO provider, so the text is what there is to go on.
func explainCredentials(err error, profile string) (string, bool) {
	text := err.Error()
	if !strings.Contains(text, "get identity") && !strings.Contains(text, "failed to refresh cached credentials") &&
		!strings.Contains(text, "failed to retrieve credentials") {
		return "", false
	}
	var invalidToken *ssocreds.InvalidTokenError
	if errors.As(err, &invalidToken) || strings.Contains(text, "SSO token") || strings.Contains(text, "SSO session") {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Sprintf("there is no SSO session for %s yet: run `%s`", subject(profile), ssoLogin(profile)), true
		}
		return fmt.Sprintf("the SSO session for %s has expired: run `%s`", subject(profile), ssoLogin(profile)), true
	}
	// A role that could not be assumed, or a token exchange refused: the
	// inner API error is the cause.
	if op, ok := innermostOperation(err); ok && op.ServiceID != "ec2imds" {
		var apiErr smithy.APIError
		if errors.As(op.Err, &apiErr) {
			return fmt.Sprintf("could not get credentials for %s: %s %s failed with %s: %s", subject(profile), op.ServiceID, op.OperationName, apiErr.ErrorCode(), Redact(apiErr.ErrorMessage())), true
		}
	}
	return fmt.Sprintf("no AWS credentials found: run `aws configure`, set AWS_PROFILE, or `%s`", ssoLogin(profileOr(profile, "NAME"))), true
}

// Error codes grouped by what the person has to do about them.
var (
	expiredCodes = []string{"ExpiredToken", "ExpiredTokenException", "RequestExpired", "TokenRefreshRequired"}
	badCredCodes = []string{"UnrecognizedClientException", "InvalidClientTokenId", "AuthFailure",
		"SignatureDoesNotMatch", "InvalidSignatureException", "IncompleteSignature", "MissingAuthenticationToken"}
	deniedCodes      = []string{"AccessDeniedException", "AccessDenied", "UnauthorizedOperation", "UnauthorizedException"}
	badRequestCodes  = []string{"InvalidParameterException", "InvalidParameterValue", "ValidationException", "InvalidParameterCombination", "MissingParameter"}
	unavailableCodes = []string{"ServiceUnavailableException", "ServiceUnavailable", "Unavailable", "InternalFailure", "InternalError", "InternalServerException"}
)

func explainAPIError(err error, profile string) (string, bool) {
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		return "", false
	}
	code, service, op := apiErr.ErrorCode(), "AWS", "the request"
	if oe, ok := outermostOperation(err); ok {
		service, op = oe.ServiceID, oe.OperationName
	}
	call := strings.TrimSpace(service + " " + op)
	switch {
	case slices.Contains(expiredCodes, code):
		return fmt.Sprintf("the AWS credentials of %s have expired (%s): run `%s`, or refresh the session credentials", subject(profile), code, ssoLogin(profile)), true
	case slices.Contains(badCredCodes, code):
		return fmt.Sprintf("AWS does not accept the credentials of %s (%s): check the access key in your AWS configuration, or run `%s`", subject(profile), code, ssoLogin(profile)), true
	case slices.Contains(deniedCodes, code):
		action := iamAction(service, op)
		return fmt.Sprintf("access denied: %s is not allowed to call %s; grant the IAM permission %s or use another --profile", subject(profile), action, action), true
	case code == "ResourceNotFoundException" && service == "CloudWatch Logs":
		return fmt.Sprintf("CloudWatch Logs %s: %s: check --log-group, --region and --profile (a log group exists in one account and Region only)", op, Redact(apiErr.ErrorMessage())), true
	case IsThrottle(err):
		return fmt.Sprintf("AWS is throttling %s (%s): the quota is shared by everything reading this account and Region (FilterLogEvents allows about 5 requests per second); flowlens backs off, and narrowing --since or stopping other readers helps", call, code), true
	case code == "LimitExceededException" && op == "StartLiveTail":
		return "too many Live Tail sessions are open in this account and Region (the default quota is 15): close other sessions (console tabs, other flowlens windows) and try again", true
	case code == "LimitExceededException":
		return fmt.Sprintf("%s hit an AWS quota: %s", call, Redact(apiErr.ErrorMessage())), true
	case code == "SessionTimeoutException":
		return "the Live Tail session reached AWS's 3-hour limit and was closed", true
	case code == "SessionStreamingException":
		return "the Live Tail stream failed on AWS's side; starting a new session usually works", true
	case slices.Contains(badRequestCodes, code):
		return fmt.Sprintf("%s rejected the request (%s): %s", call, code, Redact(apiErr.ErrorMessage())), true
	case slices.Contains(unavailableCodes, code) || apiErr.ErrorFault() == smithy.FaultServer:
		return fmt.Sprintf("%s is unavailable right now (%s): try again in a moment", service, code), true
	}
	return fmt.Sprintf("%s failed: %s: %s", call, code, Redact(apiErr.ErrorMessage())), true
}

func explainNetwork(err error) (string, bool) {
	endpoint := "the AWS endpoint"
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		if u, perr := url.Parse(urlErr.URL); perr == nil && u.Host != "" {
			endpoint = u.Scheme + "://" + u.Host
		}
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		msg := fmt.Sprintf("cannot resolve %s: check --region, --endpoint-url and the network", dnsErr.Name)
		if strings.HasPrefix(dnsErr.Name, "stream-") {
			msg += " (the SDK prefixed the Live Tail host with stream-; build the client with awsclient.NewLogs)"
		}
		return msg, true
	}
	if errors.Is(err, syscall.ECONNREFUSED) {
		return fmt.Sprintf("cannot connect to %s: connection refused; if it is a local endpoint (--endpoint-url or AWS_ENDPOINT_URL), start it or fix the address", endpoint), true
	}
	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() {
		return fmt.Sprintf("timed out talking to %s: check the network, proxy settings and --endpoint-url", endpoint), true
	}
	return "", false
}

// iamActions maps the operations flowlens calls to the IAM action that
// allows them, where the name differs or is worth stating.
var iamActions = map[string]string{
	"CloudWatch Logs/FilterLogEvents":    "logs:FilterLogEvents",
	"CloudWatch Logs/StartLiveTail":      "logs:StartLiveTail",
	"CloudWatch Logs/DescribeLogGroups":  "logs:DescribeLogGroups",
	"CloudWatch Logs/DescribeLogStreams": "logs:DescribeLogStreams",
	"CloudWatch Logs/GetLogEvents":       "logs:GetLogEvents",
	"EC2/DescribeFlowLogs":               "ec2:DescribeFlowLogs",
	"EC2/DescribeSecurityGroups":         "ec2:DescribeSecurityGroups",
	"EC2/DescribeNetworkAcls":            "ec2:DescribeNetworkAcls",
	"EC2/DescribeNetworkInterfaces":      "ec2:DescribeNetworkInterfaces",
	"S3/ListObjectsV2":                   "s3:ListBucket",
	"S3/GetObject":                       "s3:GetObject",
	"S3/HeadObject":                      "s3:GetObject",
}

// servicePrefixes are the IAM prefixes of SDK service IDs, for operations
// whose action is simply prefix:Operation.
var servicePrefixes = map[string]string{
	"CloudWatch Logs": "logs",
	"EC2":             "ec2",
	"S3":              "s3",
	"STS":             "sts",
}

func iamAction(service, op string) string {
	if a, ok := iamActions[service+"/"+op]; ok {
		return a
	}
	if p, ok := servicePrefixes[service]; ok && op != "" {
		return p + ":" + op
	}
	if op == "" || op == "the request" {
		return "the requested action"
	}
	return op
}

func outermostOperation(err error) (*smithy.OperationError, bool) {
	var oe *smithy.OperationError
	ok := errors.As(err, &oe)
	return oe, ok
}

// innermostOperation finds the deepest OperationError, the call that
// actually failed when one SDK call wraps another (credentials resolution).
func innermostOperation(err error) (*smithy.OperationError, bool) {
	var found *smithy.OperationError
	for e := err; e != nil; {
		if oe, ok := e.(*smithy.OperationError); ok {
			found = oe
		}
		switch u := e.(type) {
		case interface{ Unwrap() error }:
			e = u.Unwrap()
		case interface{ Unwrap() []error }:
			if errs := u.Unwrap(); len(errs) > 0 {
				e = errs[0]
			} else {
				e = nil
			}
		default:
			e = nil
		}
	}
	return found, found != nil
}

func subject(profile string) string {
	if profile == "" {
		return "the default AWS credentials"
	}
	return "profile " + profile
}

func ssoLogin(profile string) string {
	if profile == "" {
		return "aws sso login"
	}
	return "aws sso login --profile " + profile
}

func profileOr(profile, fallback string) string {
	if profile == "" {
		return fallback
	}
	return profile
}
