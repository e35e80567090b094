package athena

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/aws/smithy-go"

	"github.com/flowlens/flowlens/source/awsclient"
)

// Error is an Athena failure explained for a person: what failed, and the permission
// or setting to change.
type Error struct {
	Msg string
	// Permission is the IAM action that was refused (athena:StartQueryExecution,
	// glue:GetTable, s3:PutObject, ...), "" when the failure is not a denial.
	Permission string
	// QueryID is the query's, "" when none was started; Reason is Athena's own
	// StateChangeReason for a query that failed.
	QueryID, Reason string
	Err             error
}

func (e *Error) Error() string { return e.Msg }
func (e *Error) Unwrap() error { return e.Err }

func who(profile string) string {
	if profile == "" {
		return "the credentials in use"
	}
	return "profile " + profile
}

var notAuthorized = regexp.MustCompile(`not authorized to perform: ([a-z0-9-]+:[A-Za-z0-9]+)(?: on resource: (\S+))?`)

// explain turns an API error into an *Error.
func explain(err error, cfg *Config, queryID string) error {
	var done *Error
	if err == nil || errors.As(err, &done) {
		return err
	}
	e := &Error{QueryID: queryID, Err: err}
	var api smithy.APIError
	code, msg := "", err.Error()
	if errors.As(err, &api) {
		code, msg = api.ErrorCode(), api.ErrorMessage()
	}
	switch {
	case notAuthorized.MatchString(msg):
		m := notAuthorized.FindStringSubmatch(msg)
		e.Permission = m[1]
		e.Msg = fmt.Sprintf("access denied: %s needs %s", who(cfg.Profile), m[1])
		if m[2] != "" {
			e.Msg += " on " + strings.TrimRight(m[2], ".,")
		}
		e.Msg += athenaPermissionHint(m[1])
	case code == "AccessDeniedException":
		e.Msg = fmt.Sprintf("access denied by Athena: %s (see docs/iam.md for what flowlens needs)", msg)
	case strings.Contains(msg, "No output location provided"):
		e.Msg = fmt.Sprintf("workgroup %s has no query result location: pass --athena-output s3://BUCKET/PREFIX/ (Athena writes every query's result there; flowlens needs s3:PutObject, s3:GetObject, s3:ListBucket and s3:GetBucketLocation on it)", cfg.WorkGroup)
	case strings.Contains(msg, "WorkGroup") && strings.Contains(msg, "not found"):
		e.Msg = fmt.Sprintf("workgroup %s does not exist in this account and Region: check --athena-workgroup and --region", cfg.WorkGroup)
	case code == "InvalidRequestException":
		e.Msg = "Athena refused the request: " + msg
	default:
		e.Msg = "Athena: " + awsclient.Explain(err, cfg.Profile)
	}
	return e
}

// athenaPermissionHint says what an action is needed for.
func athenaPermissionHint(action string) string {
	switch {
	case strings.HasPrefix(action, "glue:"):
		return " (Athena reads the table's definition from the Glue Data Catalog with the caller's permissions)"
	case action == "athena:StartQueryExecution":
		return " (to run a query in the workgroup)"
	}
	return ""
}

// failed explains a query that ended FAILED or CANCELLED.
func failed(q *Execution) error {
	reason := q.stats.Reason
	e := &Error{QueryID: q.ID, Reason: reason}
	state := strings.ToLower(string(q.stats.State))
	e.Msg = fmt.Sprintf("Athena query %s %s", q.ID, state)
	if reason != "" {
		e.Msg += ": " + reason
	}
	switch {
	case notAuthorized.MatchString(reason):
		m := notAuthorized.FindStringSubmatch(reason)
		e.Permission = m[1]
		e.Msg += fmt.Sprintf(" (%s needs %s%s)", who(q.cfg.Profile), m[1], athenaPermissionHint(m[1]))
	case strings.Contains(reason, "Access denied when writing output"):
		e.Permission = "s3:PutObject"
		e.Msg += fmt.Sprintf(" (%s needs s3:PutObject on the output location: Athena writes the result there)", who(q.cfg.Profile))
	case strings.Contains(reason, "Unable to verify/create output bucket"):
		e.Msg += " (the bucket of the output location does not exist, or s3:GetBucketLocation is refused on it: check --athena-output)"
	case strings.HasPrefix(reason, "TABLE_NOT_FOUND"):
		e.Msg += fmt.Sprintf(" (check --athena-table and --athena-database %s; `flowlens athena-ddl s3://BUCKET/PREFIX` prints a table definition for a bucket of flow logs)", q.cfg.Database)
	case strings.HasPrefix(reason, "SCHEMA_NOT_FOUND"):
		e.Msg += " (check --athena-database)"
	case strings.HasPrefix(reason, "COLUMN_NOT_FOUND"):
		e.Msg += " (the table lacks a column the filter names: a table made from the log's own header has only the log's fields)"
	}
	return e
}
