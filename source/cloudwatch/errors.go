package cloudwatch

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/smithy-go"

	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/source/awsclient"
)

// Error is an AWS failure explained for a person (awsclient.Explain), with the SDK error
// kept underneath for errors.As.
type Error struct {
	Msg string
	Err error
}

func (e *Error) Error() string { return e.Msg }
func (e *Error) Unwrap() error { return e.Err }

// explain wraps err in an Error; nil stays nil and an Error is not wrapped twice.
func explain(err error, profile string) error {
	var done *Error
	if err == nil || errors.As(err, &done) {
		return err
	}
	return &Error{Msg: awsclient.Explain(err, profile), Err: err}
}

// UnknownGroupError reports log groups that do not exist, with the groups flow logs do
// deliver to, so that the person can pick the right one.
type UnknownGroupError struct {
	Missing []string
	Region  string
	// FlowLogGroups are the groups that VPC flow logs deliver to (DescribeFlowLogs).
	FlowLogGroups []string
	// OtherGroups are log groups that exist, listed when EC2 could not be asked.
	OtherGroups []string
	// More is set when the lists were cut short.
	More bool
}

// Error names the groups, cleaned: the missing ones come from the command line, the
// others from AWS, and anyone may name a log group.
func (e *UnknownGroupError) Error() string { return model.CleanText(e.text()) }

func (e *UnknownGroupError) text() string {
	var b strings.Builder
	quoted := make([]string, len(e.Missing))
	for i, m := range e.Missing {
		quoted[i] = fmt.Sprintf("%q", m)
	}
	noun := "log group"
	if len(e.Missing) > 1 {
		noun = "log groups"
	}
	where := ""
	if e.Region != "" {
		where = " in " + e.Region
	}
	fmt.Fprintf(&b, "%s %s not found%s", noun, strings.Join(quoted, ", "), where)
	more := ""
	if e.More {
		more = ", ..."
	}
	switch {
	case len(e.FlowLogGroups) > 0:
		fmt.Fprintf(&b, "; flow logs deliver to: %s%s (flowlens groups lists them)", strings.Join(e.FlowLogGroups, ", "), more)
	case len(e.OtherGroups) > 0:
		fmt.Fprintf(&b, "; log groups that exist: %s%s", strings.Join(e.OtherGroups, ", "), more)
	default:
		fmt.Fprintf(&b, "; no VPC flow log delivers to CloudWatch Logs%s: check --region and --profile", where)
	}
	return b.String()
}

// errorCode is the AWS error code of err, or "".
func errorCode(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode()
	}
	return ""
}

var deniedCodes = []string{"AccessDeniedException", "AccessDenied", "UnauthorizedOperation", "UnauthorizedException"}

func isAccessDenied(err error) bool { return slices.Contains(deniedCodes, errorCode(err)) }

func isNotFound(err error) bool { return errorCode(err) == "ResourceNotFoundException" }

// liveTailUnavailable reports a StartLiveTail failure that waiting does not cure: no
// permission, or the account's quota of concurrent sessions used up. LimitExceeded is a
// quota here, not a throttle, so it is not retried with back-off.
func liveTailUnavailable(err error) bool {
	return isAccessDenied(err) || errorCode(err) == "LimitExceededException"
}

// permanent reports an error that retrying will not cure without the person doing
// something: permissions, a missing group, credentials, a bad request.
func permanent(err error) bool {
	if errors.Is(err, context.Canceled) {
		return true
	}
	var unknown *UnknownGroupError
	if errors.As(err, &unknown) {
		return true
	}
	switch errorCode(err) {
	case "":
		// Credentials fail inside the SDK before a request is sent; awsclient.Explain
		// recognises them by their text, and so does this.
		text := err.Error()
		return strings.Contains(text, "get identity") || strings.Contains(text, "failed to refresh cached credentials") ||
			strings.Contains(text, "failed to retrieve credentials")
	case "ResourceNotFoundException", "InvalidParameterException", "ValidationException", "SerializationException",
		"ExpiredToken", "ExpiredTokenException", "UnrecognizedClientException", "InvalidClientTokenId",
		"InvalidSignatureException", "SignatureDoesNotMatch", "AuthFailure", "MissingAuthenticationToken":
		return true
	}
	return isAccessDenied(err)
}
