package s3_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/flowlens/flowlens/internal/fakeaws"
	"github.com/flowlens/flowlens/source/awsclient"
	s3src "github.com/flowlens/flowlens/source/s3"
)

func asError(t *testing.T, err error) *s3src.Error {
	t.Helper()
	var e *s3src.Error
	if !errors.As(err, &e) {
		t.Fatalf("not an *s3.Error: %v", err)
	}
	return e
}

func TestListingDeniedNamesTheBucketAndPermission(t *testing.T) {
	srv := fakeaws.Serve(t)
	srv.CreateBucket("locked-logs", "")
	srv.DenyS3("locked-logs", "s3:ListBucket")
	_, err := s3src.New(testContext(t), s3src.Config{Client: awsclient.NewS3(srv.AWSConfig()), URL: "s3://locked-logs/AWSLogs/", Profile: "audit"})
	e := asError(t, err)
	if e.Permission != "s3:ListBucket" || e.Bucket != "locked-logs" ||
		!strings.Contains(e.Msg, "profile audit needs s3:ListBucket on arn:aws:s3:::locked-logs") {
		t.Fatalf("%+v", e)
	}
}

func TestGetObjectDenialsNameTheKeyAndPermission(t *testing.T) {
	srv := fakeaws.Serve(t)
	fx := newFixture(t, srv, "flow-logs")
	fx.deliver(fakeaws.FlowLogLocation{}, t0.Add(-20*time.Minute), 2)
	kmsKey := "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	secretKey := fakeaws.FlowLogLocation{}.Key(t0.Add(-10*time.Minute), 0)
	srv.PutS3Object("flow-logs", fakeaws.S3Object{Key: secretKey, KMSKeyID: kmsKey,
		Data: gzipBytes("2 123456789012 eni-0a1b2c3d4e5f60718 10.0.0.5 10.0.1.9 1 443 6 10 840 1740830000 1740830060 ACCEPT OK\n")})
	srv.DenyS3("flow-logs", "kms:Decrypt")

	src := newSource(t, srv, s3src.Config{URL: "s3://flow-logs/", Since: t0.Add(-time.Hour), Until: t0})
	res := run(t, testContext(t), src)
	if res.err != nil || len(res.errs) != 1 || len(res.records) != 2 {
		t.Fatalf("%v, errors %v, %d records: the plain object must still be read", res.err, res.errs, len(res.records))
	}
	e := asError(t, res.errs[0])
	if e.Permission != "kms:Decrypt" || e.Key != secretKey || !strings.Contains(e.Msg, kmsKey) || !strings.Contains(e.Msg, "SSE-KMS") {
		t.Fatalf("KMS denial: %+v", e)
	}
	if res.last.Failed != 1 || res.last.ObjectsDone != 2 {
		t.Fatalf("progress %+v", res.last)
	}

	// Without s3:GetObject, every object fails the same way; after MaxFailures in a row
	// reading stops with the last error.
	srv.DenyS3("flow-logs", "s3:GetObject")
	fx.deliverEvery(fakeaws.FlowLogLocation{}, t0.Add(-55*time.Minute), t0.Add(-25*time.Minute), 1)
	src = newSource(t, srv, s3src.Config{URL: "s3://flow-logs/", Since: t0.Add(-time.Hour), Until: t0, MaxFailures: 3})
	res = run(t, testContext(t), src)
	e = asError(t, res.errs[0])
	if e.Permission != "s3:GetObject" || !strings.Contains(e.Msg, "needs s3:GetObject on arn:aws:s3:::flow-logs/AWSLogs/") {
		t.Fatalf("GetObject denial: %+v", e)
	}
	if res.err == nil || !strings.Contains(res.err.Error(), "3 objects in a row") || len(res.errs) != 3 {
		t.Fatalf("run: %v after %d errors", res.err, len(res.errs))
	}
}

func TestOneObjectWithoutListBucket(t *testing.T) {
	srv := fakeaws.Serve(t)
	fx := newFixture(t, srv, "flow-logs")
	key := fx.deliver(fakeaws.FlowLogLocation{}, t0.Add(-72*time.Hour), 3)
	srv.DenyS3("flow-logs", "s3:ListBucket")
	c := awsclient.NewS3(srv.AWSConfig())

	// The object named is read whatever its name's time; its records are still filtered
	// by the window, here opened wide.
	src := newSource(t, srv, s3src.Config{Client: c, URL: "s3://flow-logs/" + key, Since: t0.Add(-100 * time.Hour), Until: t0})
	if w := strings.Join(src.Warnings(), "; "); !strings.Contains(w, "no s3:ListBucket") {
		t.Fatalf("warnings %q", w)
	}
	res := run(t, testContext(t), src)
	if res.err != nil || len(res.records) != 3 {
		t.Fatalf("%v: %d records", res.err, len(res.records))
	}

	// A key that does not exist answers 403 without s3:ListBucket, and the message says
	// it may be either.
	_, err := s3src.New(testContext(t), s3src.Config{Client: c, URL: "s3://flow-logs/AWSLogs/nope.log.gz", Clock: &testClock{now: t0}})
	e := asError(t, err)
	if e.Key != "AWSLogs/nope.log.gz" || !strings.Contains(e.Msg, "either the object does not exist") || !strings.Contains(e.Msg, "403, not 404") {
		t.Fatalf("%+v", e)
	}
}

func TestDeletedObjectIsSkipped(t *testing.T) {
	srv := fakeaws.Serve(t)
	fx := newFixture(t, srv, "flow-logs")
	fx.deliverEvery(fakeaws.FlowLogLocation{}, t0.Add(-30*time.Minute), t0, 1)
	srv.FailObject("flow-logs", fx.keys[1], -1, "NoSuchKey")
	src := newSource(t, srv, s3src.Config{URL: "s3://flow-logs/", Since: t0.Add(-time.Hour), Until: t0, MaxFailures: 1})
	res := run(t, testContext(t), src)
	if res.err != nil || len(res.errs) != 1 || !asError(t, res.errs[0]).Gone || len(res.records) != len(fx.keys)-1 || res.last.Failed != 0 {
		t.Fatalf("%v %v: %d records, progress %+v", res.err, res.errs, len(res.records), res.last)
	}
}

func TestFollowStopsWhenTheBucketGoes(t *testing.T) {
	srv := fakeaws.Serve(t)
	fx := newFixture(t, srv, "flow-logs")
	fx.deliver(fakeaws.FlowLogLocation{}, t0.Add(-5*time.Minute), 1)
	clock := &testClock{now: t0}
	polls := 0
	clock.onPoll = func(time.Time) {
		polls++
		switch polls {
		case 1:
			srv.FailNext("ListObjectsV2", 1, "InternalError") // retried by the SDK
		case 2:
			srv.FailNext("ListObjectsV2", 4, "InternalError") // outlasts the SDK's retries: the next poll tries again
		case 3:
			srv.DenyS3("flow-logs", "s3:ListBucket")
		}
	}
	src := newSource(t, srv, s3src.Config{URL: "s3://flow-logs/", Follow: true, Clock: clock})
	res := run(t, testContext(t), src)
	e := asError(t, res.err)
	if e.Permission != "s3:ListBucket" || polls != 3 || len(res.records) != 1 {
		t.Fatalf("%v after %d polls, %d records", res.err, polls, len(res.records))
	}
}

// A disabled or deleted KMS key comes back as KMS.* codes; the message says the key
// refused and names kms:Decrypt.
func TestKMSKeyErrorsNameTheKey(t *testing.T) {
	srv := fakeaws.Serve(t)
	fx := newFixture(t, srv, "flow-logs")
	key := fx.deliver(fakeaws.FlowLogLocation{}, t0.Add(-10*time.Minute), 1)
	srv.FailObject("flow-logs", key, -1, "KMS.DisabledException")
	src := newSource(t, srv, s3src.Config{URL: "s3://flow-logs/", Since: t0.Add(-time.Hour), Until: t0})
	res := run(t, testContext(t), src)
	if len(res.errs) != 1 {
		t.Fatalf("errors %v", res.errs)
	}
	if e := asError(t, res.errs[0]); e.Permission != "kms:Decrypt" || e.Key != key || !strings.Contains(e.Msg, "KMS.DisabledException") {
		t.Fatalf("%+v", e)
	}
}
