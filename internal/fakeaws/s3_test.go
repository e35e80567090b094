package fakeaws_test

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/flowlens/flowlens/internal/fakeaws"
)

// s3Client is a real S3 client aimed at srv with path-style addressing, as
// flowlens builds it for an endpoint URL.
func s3Client(srv *fakeaws.Server, optFns ...func(*s3.Options)) *s3.Client {
	base := func(o *s3.Options) {
		o.UsePathStyle = true
		o.DisableLogOutputChecksumValidationSkipped = true
	}
	return s3.NewFromConfig(srv.AWSConfig(), append([]func(*s3.Options){base}, optFns...)...)
}

func s3NoRetry(o *s3.Options) { o.Retryer = aws.NopRetryer{} }

func errCode(err error) string {
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

func fillBucket(srv *fakeaws.Server, keys ...string) {
	for _, k := range keys {
		srv.PutObject("logs", k, []byte("data of "+k))
	}
}

type listing struct {
	keys     []string
	prefixes []string
	pages    int
}

func listAll(t *testing.T, c *s3.Client, in *s3.ListObjectsV2Input) listing {
	t.Helper()
	var out listing
	p := s3.NewListObjectsV2Paginator(c, in)
	for p.HasMorePages() {
		page, err := p.NextPage(testContext(t))
		if err != nil {
			t.Fatalf("ListObjectsV2: %v", err)
		}
		out.pages++
		for _, o := range page.Contents {
			out.keys = append(out.keys, aws.ToString(o.Key))
		}
		for _, cp := range page.CommonPrefixes {
			out.prefixes = append(out.prefixes, aws.ToString(cp.Prefix))
		}
	}
	return out
}

func TestListObjectsV2PrefixDelimiterAndPages(t *testing.T) {
	srv := fakeaws.Serve(t)
	fillBucket(srv, "a/1", "a/2", "a/3/x", "a/3/y", "a/4/z", "b/1", "top")
	c := s3Client(srv)

	got := listAll(t, c, &s3.ListObjectsV2Input{Bucket: aws.String("logs"), Prefix: aws.String("a/"), Delimiter: aws.String("/")})
	if !slices.Equal(got.keys, []string{"a/1", "a/2"}) || !slices.Equal(got.prefixes, []string{"a/3/", "a/4/"}) {
		t.Fatalf("keys %v prefixes %v", got.keys, got.prefixes)
	}

	// One entry per page: a common prefix counts once, and the page after it
	// does not repeat the keys rolled into it.
	got = listAll(t, c, &s3.ListObjectsV2Input{Bucket: aws.String("logs"), Delimiter: aws.String("/"), MaxKeys: aws.Int32(1)})
	if !slices.Equal(got.prefixes, []string{"a/", "b/"}) || !slices.Equal(got.keys, []string{"top"}) || got.pages != 3 {
		t.Fatalf("keys %v prefixes %v in %d pages", got.keys, got.prefixes, got.pages)
	}

	got = listAll(t, c, &s3.ListObjectsV2Input{Bucket: aws.String("logs"), MaxKeys: aws.Int32(2)})
	if len(got.keys) != 7 || got.pages != 4 || !slices.IsSorted(got.keys) {
		t.Fatalf("keys %v in %d pages", got.keys, got.pages)
	}

	got = listAll(t, c, &s3.ListObjectsV2Input{Bucket: aws.String("logs"), StartAfter: aws.String("a/3/y")})
	if !slices.Equal(got.keys, []string{"a/4/z", "b/1", "top"}) {
		t.Fatalf("start-after: %v", got.keys)
	}

	// The server's page size caps what the client asked for.
	srv.PageSize(3)
	got = listAll(t, c, &s3.ListObjectsV2Input{Bucket: aws.String("logs")})
	if len(got.keys) != 7 || got.pages != 3 {
		t.Fatalf("PageSize(3): %d keys in %d pages", len(got.keys), got.pages)
	}

	calls := srv.CallsTo("ListObjectsV2")
	if len(calls) == 0 || calls[0].String("Prefix") != "a/" || calls[0].String("Delimiter") != "/" || calls[0].Service != "s3" {
		t.Fatalf("call log: %+v", calls)
	}
}

func TestListObjectsV2RefusesForeignToken(t *testing.T) {
	srv := fakeaws.Serve(t)
	fillBucket(srv, "a")
	_, err := s3Client(srv, s3NoRetry).ListObjectsV2(testContext(t), &s3.ListObjectsV2Input{Bucket: aws.String("logs"), ContinuationToken: aws.String("not-a-token")})
	if errCode(err) != "InvalidArgument" {
		t.Fatalf("err = %v", err)
	}
}

func TestGetObjectWholeAndRanges(t *testing.T) {
	srv := fakeaws.Serve(t)
	data := []byte("0123456789")
	srv.PutObject("logs", "k/obj.log.gz", data)
	c := s3Client(srv)
	ctx := testContext(t)

	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("logs"), Key: aws.String("k/obj.log.gz")})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(out.Body)
	out.Body.Close()
	if !bytes.Equal(body, data) || aws.ToInt64(out.ContentLength) != 10 || aws.ToString(out.ETag) != `"781e5e245d69b566979b86e28d23f2c7"` {
		t.Fatalf("body %q length %d etag %s", body, aws.ToInt64(out.ContentLength), aws.ToString(out.ETag))
	}
	etag := aws.ToString(out.ETag)

	for _, tc := range []struct{ rng, want, contentRange string }{
		{"bytes=2-5", "2345", "bytes 2-5/10"},
		{"bytes=7-", "789", "bytes 7-9/10"},
		{"bytes=-3", "789", "bytes 7-9/10"},
		{"bytes=8-100", "89", "bytes 8-9/10"},
	} {
		out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("logs"), Key: aws.String("k/obj.log.gz"), Range: aws.String(tc.rng), IfMatch: aws.String(etag)})
		if err != nil {
			t.Fatalf("%s: %v", tc.rng, err)
		}
		body, _ := io.ReadAll(out.Body)
		out.Body.Close()
		if string(body) != tc.want || aws.ToString(out.ContentRange) != tc.contentRange || aws.ToInt64(out.ContentLength) != int64(len(tc.want)) {
			t.Errorf("%s: body %q range %q length %d", tc.rng, body, aws.ToString(out.ContentRange), aws.ToInt64(out.ContentLength))
		}
	}
	if got := srv.CallsTo("GetObject")[1].String("Range"); got != "bytes=2-5" {
		t.Errorf("recorded Range %q", got)
	}

	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("logs"), Key: aws.String("k/obj.log.gz"), Range: aws.String("bytes=10-")})
	if errCode(err) != "InvalidRange" || httpStatus(err) != 416 {
		t.Errorf("range past the end: %v", err)
	}
	// An object replaced between two ranged reads is noticed.
	srv.PutObject("logs", "k/obj.log.gz", []byte("changed"))
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("logs"), Key: aws.String("k/obj.log.gz"), Range: aws.String("bytes=0-1"), IfMatch: aws.String(etag)})
	if errCode(err) != "PreconditionFailed" || httpStatus(err) != 412 {
		t.Errorf("If-Match after a change: %v", err)
	}
}

func TestHeadObjectAndKMS(t *testing.T) {
	srv := fakeaws.Serve(t)
	key := "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	srv.PutS3Object("logs", fakeaws.S3Object{Key: "secret.log.gz", Data: []byte("abc"), KMSKeyID: key,
		LastModified: time.Date(2025, 3, 1, 12, 5, 0, 0, time.UTC)})
	srv.PutObject("logs", "plain.log.gz", []byte("abcd"))
	srv.DenyS3("logs", "kms:Decrypt")
	c := s3Client(srv, s3NoRetry)
	ctx := testContext(t)

	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("logs"), Key: aws.String("secret.log.gz")})
	if err != nil {
		t.Fatalf("HeadObject of an SSE-KMS object needs no kms:Decrypt: %v", err)
	}
	if aws.ToInt64(head.ContentLength) != 3 || head.ServerSideEncryption != types.ServerSideEncryptionAwsKms || aws.ToString(head.SSEKMSKeyId) != key ||
		!aws.ToTime(head.LastModified).Equal(time.Date(2025, 3, 1, 12, 5, 0, 0, time.UTC)) {
		t.Fatalf("head: %d %s %s %v", aws.ToInt64(head.ContentLength), head.ServerSideEncryption, aws.ToString(head.SSEKMSKeyId), head.LastModified)
	}
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("logs"), Key: aws.String("secret.log.gz")})
	if errCode(err) != "AccessDenied" || httpStatus(err) != 403 {
		t.Fatalf("GetObject without kms:Decrypt: %v", err)
	}
	if _, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("logs"), Key: aws.String("plain.log.gz")}); err != nil {
		t.Fatalf("an object without SSE-KMS needs no kms:Decrypt: %v", err)
	}
}

func TestS3Errors(t *testing.T) {
	srv := fakeaws.Serve(t)
	srv.PutObject("logs", "here", []byte("x"))
	srv.PutObject("locked", "here", []byte("x"))
	srv.DenyS3("locked", "s3:ListBucket")
	c := s3Client(srv, s3NoRetry)
	ctx := testContext(t)

	_, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("nope")})
	var noBucket *types.NoSuchBucket
	if !errors.As(err, &noBucket) || httpStatus(err) != 404 {
		t.Errorf("missing bucket: %v", err)
	}
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("logs"), Key: aws.String("gone")})
	var noKey *types.NoSuchKey
	if !errors.As(err, &noKey) {
		t.Errorf("missing key: %v", err)
	}
	_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("logs"), Key: aws.String("gone")})
	var notFound *types.NotFound
	if !errors.As(err, &notFound) {
		t.Errorf("HeadObject of a missing key: %v", err)
	}

	_, err = c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("locked")})
	if errCode(err) != "AccessDenied" {
		t.Errorf("list without s3:ListBucket: %v", err)
	}
	// Without s3:ListBucket a missing key is a 403, not a 404.
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("locked"), Key: aws.String("gone")})
	if errCode(err) != "AccessDenied" || httpStatus(err) != 403 {
		t.Errorf("missing key without s3:ListBucket: %v", err)
	}
	if _, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("locked"), Key: aws.String("here")}); err != nil {
		t.Errorf("an existing key needs only s3:GetObject: %v", err)
	}
	srv.DenyS3("locked", "s3:GetObject")
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("locked"), Key: aws.String("here")})
	if errCode(err) != "AccessDenied" {
		t.Errorf("without s3:GetObject: %v", err)
	}
	var failed []string
	for _, call := range srv.Calls() {
		if call.Error != "" {
			failed = append(failed, call.Op+":"+call.Error)
		}
	}
	want := []string{"ListObjectsV2:NoSuchBucket", "GetObject:NoSuchKey", "HeadObject:NoSuchKey", "ListObjectsV2:AccessDenied", "GetObject:AccessDenied", "GetObject:AccessDenied"}
	if !slices.Equal(failed, want) {
		t.Errorf("call errors %v, want %v", failed, want)
	}
}

func TestS3WrongRegionRedirects(t *testing.T) {
	srv := fakeaws.Serve(t)
	srv.CreateBucket("eu-logs", "eu-west-1")
	srv.PutObject("eu-logs", "k", []byte("x"))
	ctx := testContext(t)

	for name, call := range map[string]func(*s3.Client) error{
		"ListObjectsV2": func(c *s3.Client) error {
			_, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("eu-logs")})
			return err
		},
		"HeadObject": func(c *s3.Client) error {
			_, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("eu-logs"), Key: aws.String("k")})
			return err
		},
	} {
		err := call(s3Client(srv, s3NoRetry))
		var re *awshttp.ResponseError
		if !errors.As(err, &re) || re.HTTPStatusCode() != http.StatusMovedPermanently || re.Response.Header.Get("X-Amz-Bucket-Region") != "eu-west-1" {
			t.Fatalf("%s in us-east-1 for an eu-west-1 bucket: %v", name, err)
		}
		if err := call(s3Client(srv, s3NoRetry, func(o *s3.Options) { o.Region = "eu-west-1" })); err != nil {
			t.Fatalf("%s in the bucket's Region: %v", name, err)
		}
	}
	if calls := srv.CallsTo("ListObjectsV2"); calls[0].Region != "us-east-1" || calls[0].Error != "PermanentRedirect" || calls[1].Region != "eu-west-1" {
		t.Fatalf("call log: %+v", calls)
	}
}

func TestS3Faults(t *testing.T) {
	srv := fakeaws.Serve(t)
	srv.PutObject("logs", "a", []byte(strings.Repeat("a", 1000)))
	srv.PutObject("logs", "b", []byte("b"))
	ctx := testContext(t)

	// Throttling: the SDK retries SlowDown and succeeds on the third attempt.
	srv.FailNext("GetObject", 2, "SlowDown")
	if _, err := s3Client(srv).GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("logs"), Key: aws.String("b")}); err != nil {
		t.Fatalf("after two SlowDown: %v", err)
	}
	if n := len(srv.CallsTo("GetObject")); n != 3 {
		t.Fatalf("%d attempts, want 3", n)
	}
	srv.FailNext("GetObject", 1, "SlowDown")
	_, err := s3Client(srv, s3NoRetry).GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("logs"), Key: aws.String("b")})
	if errCode(err) != "SlowDown" || httpStatus(err) != 503 {
		t.Fatalf("SlowDown: %v", err)
	}

	// A failing object fails every time; the others do not.
	srv.FailObject("logs", "a", -1, "InternalError")
	_, err = s3Client(srv, s3NoRetry).GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("logs"), Key: aws.String("a")})
	if errCode(err) != "InternalError" || httpStatus(err) != 500 {
		t.Fatalf("failing object: %v", err)
	}
	srv.FailObject("logs", "a", 0, "")

	// A download cut half way: the body ends early.
	srv.CutObject("logs", "a", 1, 100)
	out, err := s3Client(srv).GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("logs"), Key: aws.String("a")})
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(out.Body)
	out.Body.Close()
	if err == nil || len(body) != 100 {
		t.Fatalf("cut download: %d bytes, err %v", len(body), err)
	}

	// A held object answers only once released.
	release := srv.HoldObject("logs", "b")
	done := make(chan error, 1)
	srv.ResetCalls()
	go func() {
		out, err := s3Client(srv).GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("logs"), Key: aws.String("b")})
		if err == nil {
			out.Body.Close()
		}
		done <- err
	}()
	for len(srv.CallsTo("GetObject")) == 0 {
		select {
		case <-ctx.Done():
			t.Fatal("the request never arrived")
		case <-time.After(time.Millisecond):
		}
	}
	select {
	case err := <-done:
		t.Fatalf("a held object answered before its release (%v)", err)
	default:
	}
	release()
	if err := <-done; err != nil {
		t.Fatalf("after release: %v", err)
	}
	release()
}

func TestPutObjectOverTheWire(t *testing.T) {
	srv := fakeaws.Serve(t)
	srv.CreateBucket("out", "")
	c := s3Client(srv)
	ctx := testContext(t)
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("out"), Key: aws.String("r/1.csv"), Body: strings.NewReader("a,b\n")}); err != nil {
		t.Fatal(err)
	}
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("out"), Key: aws.String("r/1.csv")})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(out.Body)
	out.Body.Close()
	if string(body) != "a,b\n" {
		t.Fatalf("body %q", body)
	}
}

func TestFlowLogLocationKeys(t *testing.T) {
	end := time.Date(2025, 3, 1, 16, 20, 0, 0, time.UTC)
	for _, tc := range []struct {
		loc  fakeaws.FlowLogLocation
		want string
	}{
		{fakeaws.FlowLogLocation{FlowLogID: "fl-1234abcd"},
			"AWSLogs/123456789012/vpcflowlogs/us-east-1/2025/03/01/123456789012_vpcflowlogs_us-east-1_fl-1234abcd_20250301T1620Z_"},
		{fakeaws.FlowLogLocation{Prefix: "team/", OrgID: "o-abcdef1234", Account: "111122223333", Region: "eu-west-1", FlowLogID: "fl-1", Hourly: true},
			"team/AWSLogs/o-abcdef1234/111122223333/vpcflowlogs/eu-west-1/2025/03/01/16/111122223333_vpcflowlogs_eu-west-1_fl-1_20250301T1620Z_"},
		{fakeaws.FlowLogLocation{FlowLogID: "fl-1", Hive: true, Hourly: true, Parquet: true},
			"AWSLogs/aws-account-id=123456789012/aws-service=vpcflowlogs/aws-region=us-east-1/year=2025/month=03/day=01/hour=16/123456789012_vpcflowlogs_us-east-1_fl-1_20250301T1620Z_"},
	} {
		key := tc.loc.Key(end, 0)
		if !strings.HasPrefix(key, tc.want) {
			t.Errorf("key %s, want it to start with %s", key, tc.want)
		}
		wantExt := ".log.gz"
		if tc.loc.Parquet {
			wantExt = ".log.parquet"
		}
		if hash := strings.TrimSuffix(key[len(tc.want):], wantExt); len(hash) != 8 || !strings.HasSuffix(key, wantExt) {
			t.Errorf("key %s: hash %q", key, hash)
		}
	}
	loc := fakeaws.FlowLogLocation{}
	if loc.Key(end, 0) == loc.Key(end, 1) {
		t.Error("two files of one batch got the same key")
	}
}
