package s3_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flowlens/flowlens/internal/fakeaws"
	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/source/awsclient"
	s3src "github.com/flowlens/flowlens/source/s3"
)

// deadline bounds every wait; it is a safety net, never a measurement.
const deadline = 20 * time.Second

func testContext(t testing.TB) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	t.Cleanup(cancel)
	return ctx
}

// t0 is the fixed "now" of the tests.
var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// record is one generated flow log record and where it was delivered.
type record struct {
	line  string
	start time.Time
	key   string
}

// bucketFixture fills a fake bucket with flow log files as AWS lays them out and keeps
// the ground truth: which record went into which object.
type bucketFixture struct {
	srv     *fakeaws.Server
	bucket  string
	records []record
	keys    []string // every object put, in the order put
	ends    map[string]time.Time
	port    int
}

func newFixture(t testing.TB, srv *fakeaws.Server, bucket string) *bucketFixture {
	srv.CreateBucket(bucket, "")
	return &bucketFixture{srv: srv, bucket: bucket, ends: map[string]time.Time{}, port: 1024}
}

// deliver puts the file of loc's batch ending at end, with n records whose starts lie
// between 15 and 1 minutes before end, as flow logs' records do (an aggregation window
// of up to 10 minutes, then the 5-minute batch). The file starts with its header line.
func (f *bucketFixture) deliver(loc fakeaws.FlowLogLocation, end time.Time, n int) string {
	key := loc.Key(end, 0)
	account := loc.Account
	if account == "" {
		account = fakeaws.AccountID
	}
	var text strings.Builder
	text.WriteString(model.DefaultFormat.Header() + "\n")
	for i := 0; i < n; i++ {
		start := end.Add(-15*time.Minute + time.Duration(i)*14*time.Minute/time.Duration(max(n, 1)))
		f.port++
		line := fmt.Sprintf("2 %s eni-0a1b2c3d4e5f60718 10.0.0.5 10.0.1.9 %d 443 6 10 840 %d %d ACCEPT OK", account, f.port, start.Unix(), start.Unix()+60)
		text.WriteString(line + "\n")
		f.records = append(f.records, record{line: line, start: start, key: key})
	}
	f.srv.PutObject(f.bucket, key, gzipBytes(text.String()))
	f.keys = append(f.keys, key)
	f.ends[key] = end
	return key
}

// deliverEvery delivers a file every 5 minutes in [from, to).
func (f *bucketFixture) deliverEvery(loc fakeaws.FlowLogLocation, from, to time.Time, n int) {
	for end := from; end.Before(to); end = end.Add(5 * time.Minute) {
		f.deliver(loc, end, n)
	}
}

// want returns the records whose start lies in [since, until), in file order.
func (f *bucketFixture) want(since, until time.Time, keep func(record) bool) []string {
	var out []string
	for _, r := range f.records {
		if !r.start.Before(since) && r.start.Before(until) && (keep == nil || keep(r)) {
			out = append(out, r.line)
		}
	}
	return out
}

// keysNamedIn returns the objects whose name time lies in [from, to), sorted.
func (f *bucketFixture) keysNamedIn(from, to time.Time, keep func(key string) bool) []string {
	var out []string
	for _, k := range f.keys {
		if e := f.ends[k]; !e.Before(from) && e.Before(to) && (keep == nil || keep(k)) {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

func gzipBytes(s string) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.Bytes()
}

// result is what a Run delivered.
type result struct {
	records []string
	inputs  []string // objects in the order their last chunk arrived
	errs    []error
	notes   []string
	last    s3src.Progress
	err     error
}

func run(t testing.TB, ctx context.Context, src *s3src.Source) result {
	t.Helper()
	var res result
	res.err = src.Run(ctx, nil, func(c *s3src.Chunk) bool {
		for i := range c.Records {
			res.records = append(res.records, string(c.Records[i].AppendRecord(nil)))
		}
		if c.Err != nil {
			res.errs = append(res.errs, c.Err)
		}
		if c.Note != "" {
			res.notes = append(res.notes, c.Note)
		}
		if c.Chunk.Progress.InputDone {
			res.inputs = append(res.inputs, c.Input)
		}
		res.last = c.Overall
		return true
	})
	return res
}

func newSource(t testing.TB, srv *fakeaws.Server, cfg s3src.Config) *s3src.Source {
	t.Helper()
	if cfg.Client == nil {
		cfg.Client = awsclient.NewS3(srv.AWSConfig())
	}
	if cfg.Clock == nil {
		cfg.Clock = &testClock{now: t0}
	}
	src, err := s3src.New(testContext(t), cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return src
}

// opened returns the keys the server was asked for with GetObject, sorted, once each.
func opened(srv *fakeaws.Server) []string {
	var out []string
	for _, c := range srv.CallsTo("GetObject") {
		out = append(out, c.String("Key"))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// testClock is a clock the test moves: Sleep advances it and runs the test's hook
// (which adds objects between polls), without waiting.
type testClock struct {
	mu     sync.Mutex
	now    time.Time
	onPoll func(now time.Time)
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	c.now = c.now.Add(d)
	now, hook := c.now, c.onPoll
	c.mu.Unlock()
	if hook != nil {
		hook(now)
	}
	return ctx.Err()
}

func lines(recs []string) string { return strings.Join(recs, "\n") }

func contextWithCancel(ctx context.Context) (context.Context, func()) {
	return context.WithCancel(ctx)
}
