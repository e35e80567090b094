package s3_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/flowlens/flowlens/internal/fakeaws"
	"github.com/flowlens/flowlens/source/awsclient"
	s3src "github.com/flowlens/flowlens/source/s3"
)

// The "done when": --since 2h on the default layout opens only the objects of
// those two hours plus the delivery margin, and shows exactly the records in range.
func TestSinceTwoHoursOpensOnlyThoseObjects(t *testing.T) {
	srv := fakeaws.Serve(t)
	fx := newFixture(t, srv, "flow-logs")
	main := fakeaws.FlowLogLocation{FlowLogID: "fl-0123456789abcdef0"}
	// Three days of deliveries every 5 minutes, the window in the middle of the last.
	fx.deliverEvery(main, t0.Add(-50*time.Hour), t0.Add(2*time.Hour), 3)
	// Neighbours the listing must not walk into: another service's logs and a second
	// flow log in the same folders.
	srv.PutObject("flow-logs", "AWSLogs/123456789012/CloudTrail/us-east-1/2025/03/01/trail.json.gz", gzipBytes("{}"))
	other := fakeaws.FlowLogLocation{FlowLogID: "fl-0fedcba9876543210"}
	fx.deliverEvery(other, t0.Add(-3*time.Hour), t0.Add(time.Hour), 1)

	since, until := t0.Add(-2*time.Hour), t0
	src := newSource(t, srv, s3src.Config{URL: "s3://flow-logs/", Since: since, Until: until})
	srv.ResetCalls()
	res := run(t, testContext(t), src)
	if res.err != nil || len(res.errs) > 0 {
		t.Fatalf("run: %v %v", res.err, res.errs)
	}

	wantKeys := fx.keysNamedIn(since, until.Add(s3src.DefaultDeliveryMargin), nil)
	if got := opened(srv); !slices.Equal(got, wantKeys) {
		t.Fatalf("opened %d objects, want %d:\n got %v\nwant %v", len(got), len(wantKeys), got, wantKeys)
	}
	if len(wantKeys) != 2*(24+4) {
		t.Fatalf("fixture: %d objects in the window", len(wantKeys))
	}
	want := fx.want(since, until, nil)
	got := slices.Clone(res.records)
	slices.Sort(got)
	slices.Sort(want)
	if lines(got) != lines(want) {
		t.Fatalf("%d records, want %d", len(got), len(want))
	}

	// Objects come in name-time order, and so do the records of one flow log.
	var ends []string
	for _, in := range res.inputs {
		ends = append(ends, in[strings.LastIndex(in, "_2025")+1:strings.LastIndex(in, "Z_")])
	}
	if !slices.IsSorted(ends) {
		t.Fatalf("objects out of name-time order: %v", ends)
	}
	// Records come object by object, in the objects' order.
	keyOf := map[string]string{}
	for _, r := range fx.records {
		keyOf[r.line] = r.key
	}
	var last time.Time
	for _, r := range res.records {
		end := fx.ends[keyOf[r]]
		if end.Before(last) {
			t.Fatalf("record of an object named %s after one of an object named %s", end, last)
		}
		last = end
	}

	// Pruning by folder: no listing under another day or under CloudTrail.
	for _, c := range srv.CallsTo("ListObjectsV2") {
		p := c.String("Prefix")
		if strings.Contains(p, "CloudTrail") || strings.Contains(p, "/2025/02/27/") || strings.Contains(p, "/2025/02/28/") {
			t.Errorf("listed %s", p)
		}
	}
	if n := len(srv.CallsTo("ListObjectsV2")); n > 15 {
		t.Errorf("%d ListObjectsV2 requests for two hours of two flow logs", n)
	}
	p := res.last
	if p.Objects != len(wantKeys) || p.ObjectsDone != len(wantKeys) || p.BytesDone != p.Bytes || p.Bytes == 0 || p.Listing || p.OutOfWindow == 0 {
		t.Fatalf("progress %+v", p)
	}
}

func TestHiveHourlyLayoutSkipsHoursOutsideTheWindow(t *testing.T) {
	srv := fakeaws.Serve(t)
	fx := newFixture(t, srv, "flow-logs")
	loc := fakeaws.FlowLogLocation{Prefix: "central/", Hive: true, Hourly: true, OrgID: "o-abcdef1234"}
	fx.deliverEvery(loc, t0.Add(-6*time.Hour), t0.Add(2*time.Hour), 2)
	since, until := t0.Add(-90*time.Minute), t0.Add(-30*time.Minute)
	src := newSource(t, srv, s3src.Config{URL: "s3://flow-logs/central/", Since: since, Until: until})
	srv.ResetCalls()
	res := run(t, testContext(t), src)
	if res.err != nil {
		t.Fatal(res.err)
	}
	if got, want := opened(srv), fx.keysNamedIn(since, until.Add(s3src.DefaultDeliveryMargin), nil); !slices.Equal(got, want) {
		t.Fatalf("opened %v\nwant %v", got, want)
	}
	if lines(res.records) != lines(fx.want(since, until, nil)) {
		t.Fatalf("records:\n%s\nwant\n%s", lines(res.records), lines(fx.want(since, until, nil)))
	}
	for _, c := range srv.CallsTo("ListObjectsV2") {
		p := c.String("Prefix")
		for _, h := range []string{"hour=06/", "hour=07/", "hour=08/", "hour=09/", "hour=12/", "hour=13/"} {
			if strings.HasSuffix(p, h) {
				t.Errorf("listed the hour folder %s outside the window", p)
			}
		}
	}
}

func TestAccountsAndRegionsNarrowThroughThePath(t *testing.T) {
	srv := fakeaws.Serve(t)
	fx := newFixture(t, srv, "org-logs")
	a := fakeaws.FlowLogLocation{Account: "111111111111"}
	b := fakeaws.FlowLogLocation{Account: "222222222222"}
	bEU := fakeaws.FlowLogLocation{Account: "222222222222", Region: "eu-west-1"}
	for _, l := range []fakeaws.FlowLogLocation{a, b, bEU} {
		fx.deliverEvery(l, t0.Add(-time.Hour), t0, 1)
	}
	src := newSource(t, srv, s3src.Config{URL: "s3://org-logs/AWSLogs/", Since: t0.Add(-time.Hour), Until: t0,
		Accounts: []string{"222222222222"}, Regions: []string{"us-east-1"}})
	srv.ResetCalls()
	res := run(t, testContext(t), src)
	if res.err != nil {
		t.Fatal(res.err)
	}
	for _, k := range opened(srv) {
		if !strings.HasPrefix(k, "AWSLogs/222222222222/vpcflowlogs/us-east-1/") {
			t.Errorf("opened %s", k)
		}
	}
	for _, c := range srv.CallsTo("ListObjectsV2") {
		if p := c.String("Prefix"); strings.Contains(p, "111111111111/") || strings.Contains(p, "eu-west-1/") {
			t.Errorf("listed %s", p)
		}
	}
	if len(res.records) == 0 || len(opened(srv)) == 0 {
		t.Fatal("read nothing")
	}
}

// A slow object does not hold the others' downloads back, and still comes first.
func TestSlowObjectOverlapsAndKeepsOrder(t *testing.T) {
	srv := fakeaws.Serve(t)
	fx := newFixture(t, srv, "flow-logs")
	loc := fakeaws.FlowLogLocation{}
	fx.deliverEvery(loc, t0.Add(-60*time.Minute), t0, 2)
	first := fx.keys[0]
	release := srv.HoldObject("flow-logs", first)
	defer release()
	src := newSource(t, srv, s3src.Config{URL: "s3://flow-logs/AWSLogs/", Since: t0.Add(-75 * time.Minute), Until: t0, Concurrency: 4})
	ctx := testContext(t)

	received := make(chan string, 100)
	done := make(chan error, 1)
	go func() {
		done <- src.Run(ctx, nil, func(c *s3src.Chunk) bool {
			if c.Chunk.Progress.InputDone {
				received <- c.Input
			}
			return true
		})
	}()
	// Wait until the objects after the held one have been asked for: they download
	// while the first one is stuck.
	for {
		got := opened(srv)
		if slices.Contains(got, fx.keys[1]) && slices.Contains(got, fx.keys[2]) && slices.Contains(got, fx.keys[3]) {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the downloads did not overlap: asked for %v", got)
		case <-time.After(time.Millisecond):
		}
	}
	select {
	case in := <-received:
		t.Fatalf("%s was handed on before the held first object", in)
	default:
	}
	release()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	close(received)
	var order []string
	for in := range received {
		order = append(order, strings.TrimPrefix(in, "s3://flow-logs/"))
	}
	if !slices.Equal(order, fx.keys) {
		t.Fatalf("order %v\nwant %v", order, fx.keys)
	}
}

func TestFollowReadsEachNewObjectOnce(t *testing.T) {
	srv := fakeaws.Serve(t)
	fx := newFixture(t, srv, "flow-logs")
	loc := fakeaws.FlowLogLocation{Hourly: true}
	fx.deliverEvery(loc, t0.Add(-40*time.Minute), t0.Add(time.Minute), 1)
	clock := &testClock{now: t0}
	polls := 0
	var src *s3src.Source
	ctx := testContext(t)
	var cancel func()
	ctx, cancel = contextWithCancel(ctx)
	defer cancel()
	clock.onPoll = func(now time.Time) {
		polls++
		switch polls {
		case 1, 2, 3, 4, 5:
			// A new batch every poll (the clock moves a minute a poll here), crossing
			// into the next hour's folder, and one late delivery named inside the
			// look-back that the previous polls could not have seen.
			fx.deliver(loc, now.Truncate(time.Minute), 1)
			if polls == 3 {
				fx.deliver(loc, now.Add(-7*time.Minute).Truncate(time.Minute).Add(30*time.Second), 1)
			}
		default:
			// Stop once everything listed was read.
			for p := src.Progress(); p.ObjectsDone < p.Objects && ctx.Err() == nil; p = src.Progress() {
				time.Sleep(time.Millisecond)
			}
			cancel()
		}
	}
	src = newSource(t, srv, s3src.Config{URL: "s3://flow-logs/", Since: t0.Add(-30 * time.Minute), Follow: true, Clock: clock})
	res := run(t, ctx, src)
	if res.err != nil {
		t.Fatal(res.err)
	}
	gets := map[string]int{}
	for _, c := range srv.CallsTo("GetObject") {
		gets[c.String("Key")]++
	}
	for k, n := range gets {
		if n != 1 {
			t.Errorf("%s read %d times", k, n)
		}
	}
	want := fx.keysNamedIn(t0.Add(-30*time.Minute), t0.Add(24*time.Hour), nil)
	if len(gets) != len(want) {
		for _, k := range want {
			if gets[k] == 0 {
				t.Logf("missing %s", k)
			}
		}
		t.Fatalf("read %d objects, want %d", len(gets), len(want))
	}
	if got, w := lines(sorted(res.records)), lines(sorted(fx.want(t0.Add(-30*time.Minute), t0.Add(24*time.Hour), nil))); got != w {
		t.Fatalf("records:\n%s\nwant\n%s", got, w)
	}
	if !res.last.Following || res.last.Polls < 5 {
		t.Fatalf("progress %+v", res.last)
	}
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

func TestWrongRegionIsFollowed(t *testing.T) {
	srv := fakeaws.Serve(t)
	srv.CreateBucket("eu-logs", "eu-west-1")
	fx := newFixture(t, srv, "eu-logs")
	fx.deliverEvery(fakeaws.FlowLogLocation{Region: "eu-west-1"}, t0.Add(-30*time.Minute), t0, 1)
	src := newSource(t, srv, s3src.Config{URL: "s3://eu-logs/", Since: t0.Add(-time.Hour), Until: t0})
	if w := strings.Join(src.Warnings(), "; "); !strings.Contains(w, "eu-west-1") {
		t.Fatalf("warnings %q", w)
	}
	res := run(t, testContext(t), src)
	if res.err != nil || len(res.records) != len(fx.records) || res.last.Region != "eu-west-1" {
		t.Fatalf("%v: %d records, region %s", res.err, len(res.records), res.last.Region)
	}
	redirects := 0
	for _, c := range srv.Calls() {
		if c.Error == "PermanentRedirect" {
			redirects++
		} else if c.Region != "eu-west-1" {
			t.Errorf("%s sent to %s", c.Op, c.Region)
		}
	}
	if redirects != 1 {
		t.Errorf("%d redirects, want the first request only", redirects)
	}
}

func TestBrokenDownloadResumes(t *testing.T) {
	srv := fakeaws.Serve(t)
	fx := newFixture(t, srv, "flow-logs")
	key := fx.deliver(fakeaws.FlowLogLocation{}, t0.Add(-10*time.Minute), 200)
	srv.CutObject("flow-logs", key, 1, 100)
	srv.FailNext("ListObjectsV2", 1, "SlowDown")
	src := newSource(t, srv, s3src.Config{URL: "s3://flow-logs/", Since: t0.Add(-time.Hour), Until: t0})
	srv.FailNext("GetObject", 2, "SlowDown")
	res := run(t, testContext(t), src)
	if res.err != nil || len(res.errs) > 0 || len(res.records) != 200 {
		t.Fatalf("%v %v: %d records", res.err, res.errs, len(res.records))
	}
	var ranges []string
	for _, c := range srv.CallsTo("GetObject") {
		ranges = append(ranges, c.String("Range"))
	}
	if !slices.Contains(ranges, "bytes=100-") {
		t.Fatalf("no resumed request: %q", ranges)
	}
}

func TestHeaderlessObjectsAreInferred(t *testing.T) {
	srv := fakeaws.Serve(t)
	key := fakeaws.FlowLogLocation{}.Key(t0.Add(-5*time.Minute), 0)
	v5 := "5 123456789012 eni-1235b8ca123456789 10.0.0.71 52.95.128.179 34210 80 6 7 471 " +
		"1740829800 1740829860 ACCEPT OK vpc-abcdefab012345678 subnet-aaaaaaaa012345678 i-0c50d5961bcb2d47b 3 IPv4 10.0.0.71 52.95.128.179 ap-southeast-2 apse2-az3 - - - S3 egress 8\n"
	srv.PutObject("flow-logs", key, gzipBytes(v5))
	src := newSource(t, srv, s3src.Config{URL: "s3://flow-logs/", Since: t0.Add(-time.Hour), Until: t0})
	res := run(t, testContext(t), src)
	if len(res.records) != 1 || len(res.notes) != 1 || !strings.Contains(res.notes[0], "version 5") {
		t.Fatalf("%d records, notes %q", len(res.records), res.notes)
	}
}

func TestNewRefusesContradictions(t *testing.T) {
	srv := fakeaws.Serve(t)
	srv.CreateBucket("b-logs", "")
	c := awsclient.NewS3(srv.AWSConfig())
	for _, cfg := range []s3src.Config{
		{Client: c, URL: "s3://b-logs/", Follow: true, Until: t0},
		{Client: c, URL: "s3://b-logs/", Since: t0, Until: t0.Add(-time.Hour)},
		{Client: c, URL: "b-logs/x"},
		{Client: c, URL: "s3://b-logs/", Accounts: []string{"12"}},
	} {
		cfg.Clock = &testClock{now: t0}
		if _, err := s3src.New(testContext(t), cfg); err == nil {
			t.Errorf("%+v: accepted", cfg)
		}
	}
	var e *s3src.Error
	if _, err := s3src.New(testContext(t), s3src.Config{Client: c, URL: "s3://no-such-bucket/"}); !errors.As(err, &e) || !strings.Contains(err.Error(), "bucket no-such-bucket does not exist") {
		t.Errorf("missing bucket: %v", err)
	}
}
