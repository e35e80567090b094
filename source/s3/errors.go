package s3

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/flowlens/flowlens/source/awsclient"
)

// Error is an S3 failure explained for a person: it names the bucket, the key (for an
// object) and, for a denial, the IAM permission that is missing.
type Error struct {
	Msg        string
	Bucket     string
	Key        string // "" for a listing
	Permission string // s3:ListBucket, s3:GetObject or kms:Decrypt; "" when not a denial
	// Gone is set for an object deleted between its listing and its download (a
	// lifecycle rule): reading goes on without it.
	Gone bool
	Err  error
	// fatal: retrying cannot help (no such bucket, a permission missing).
	fatal bool
}

func (e *Error) Error() string { return e.Msg }
func (e *Error) Unwrap() error { return e.Err }

func errorCode(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode()
	}
	return ""
}

func httpStatus(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

// isDenied recognises a refusal: AccessDenied with a body, Forbidden for a HEAD
// (which has none, so the SDK names the error after the status).
func isDenied(err error) bool {
	switch errorCode(err) {
	case "AccessDenied", "Forbidden", "AllAccessDisabled":
		return true
	}
	return httpStatus(err) == 403 && !strings.HasPrefix(errorCode(err), "KMS.")
}

func who(profile string) string {
	if profile == "" {
		return "the credentials in use"
	}
	return "profile " + profile
}

// explainList explains a failed ListObjectsV2 of a prefix.
func explainList(err error, loc Location, region, profile string) error {
	var done *Error
	if err == nil || errors.As(err, &done) {
		return err
	}
	e := &Error{Bucket: loc.Bucket, Err: err, fatal: true}
	var noBucket *types.NoSuchBucket
	switch {
	case errors.As(err, &noBucket) || errorCode(err) == "NoSuchBucket":
		e.Msg = fmt.Sprintf("bucket %s does not exist: check the name in %s (bucket names are global, so a typo is not a Region problem)", loc.Bucket, loc)
	case isDenied(err):
		e.Permission = "s3:ListBucket"
		e.Msg = fmt.Sprintf("access denied listing %s: %s needs s3:ListBucket on arn:aws:s3:::%s (flowlens lists the objects to choose the ones of --since/--until)",
			loc, who(profile), loc.Bucket)
	case httpStatus(err) == 301 || errorCode(err) == "PermanentRedirect" || errorCode(err) == "AuthorizationHeaderMalformed":
		e.Msg = fmt.Sprintf("bucket %s is not in %s and S3 did not say where it is: pass the bucket's Region with --region", loc.Bucket, region)
	default:
		e.fatal = false
		e.Msg = fmt.Sprintf("listing %s: %s", loc, awsclient.Explain(err, profile))
	}
	return e
}

// explainGet explains a failed GetObject. S3 answers 403 AccessDenied both when
// s3:GetObject is missing and when the object is encrypted with SSE-KMS and kms:Decrypt
// on its key is; HeadObject needs no kms:Decrypt, so asking it tells the two apart (and
// names the key).
func explainGet(ctx context.Context, cl *client, err error, loc Location, key, profile string) error {
	var done *Error
	if err == nil || errors.As(err, &done) || ctx.Err() != nil {
		return err
	}
	name := "s3://" + loc.Bucket + "/" + key
	e := &Error{Bucket: loc.Bucket, Key: key, Err: err}
	var noKey *types.NoSuchKey
	code := errorCode(err)
	switch {
	case errors.As(err, &noKey) || code == "NoSuchKey":
		e.Gone = true
		e.Msg = fmt.Sprintf("%s was deleted after it was listed (a lifecycle rule?): skipped", name)
	case strings.HasPrefix(code, "KMS."):
		e.Permission = "kms:Decrypt"
		e.Msg = fmt.Sprintf("cannot read %s: its KMS key refused (%s): the object is encrypted with SSE-KMS, and the key must be enabled and allow kms:Decrypt to %s", name, code, who(profile))
	case isDenied(err):
		e.Permission, e.Msg = "s3:GetObject", fmt.Sprintf("access denied reading %s: %s needs s3:GetObject on arn:aws:s3:::%s/%s", name, who(profile), loc.Bucket, key)
		var head *awss3.HeadObjectOutput
		herr := cl.do(ctx, func(c *awss3.Client) error {
			var err error
			head, err = c.HeadObject(ctx, &awss3.HeadObjectInput{Bucket: aws.String(loc.Bucket), Key: aws.String(key)})
			return err
		})
		if herr == nil && head.ServerSideEncryption == types.ServerSideEncryptionAwsKms || herr == nil && head.ServerSideEncryption == types.ServerSideEncryptionAwsKmsDsse {
			e.Permission = "kms:Decrypt"
			e.Msg = fmt.Sprintf("access denied reading %s: it is encrypted with SSE-KMS under %s, and %s needs kms:Decrypt on that key (in the key policy or an IAM policy)",
				name, aws.ToString(head.SSEKMSKeyId), who(profile))
		}
	default:
		e.Msg = fmt.Sprintf("reading %s: %s", name, awsclient.Explain(err, profile))
	}
	return e
}

// explainUnlistedGet explains a failed GetObject of a key that could not be listed
// (s3:ListBucket is missing): without that permission S3 answers 403, not 404, for a
// key that does not exist, so a denial says either.
func explainUnlistedGet(ctx context.Context, cl *client, err error, loc Location, key, profile string) error {
	err = explainGet(ctx, cl, err, loc, key, profile)
	var e *Error
	if errors.As(err, &e) && e.Permission == "s3:GetObject" {
		e.Msg = fmt.Sprintf("access denied reading s3://%s/%s: either the object does not exist or %s lacks s3:GetObject on it; without s3:ListBucket on arn:aws:s3:::%s S3 answers 403, not 404, for a missing key",
			loc.Bucket, key, who(profile), loc.Bucket)
	}
	return err
}
