package cloudwatch

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/flowlens/flowlens/feed"
	"github.com/flowlens/flowlens/internal/fakeaws"
	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/source/awsclient"
)

// deadline bounds every wait in these tests; it is a safety net, never a measurement.
const deadline = 10 * time.Second

const (
	group = "/vpc/flows"
	eni   = "eni-0a1b2c3d4e5f60718"
)

// t0 is the test clock's start; events are placed relative to it.
var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	t.Cleanup(cancel)
	return ctx
}

// testClock is the source's clock in tests. In auto mode a Sleep advances the time at
// once; otherwise a Sleep waits until the test calls step, so that the test can act while
// the source waits (add records during an outage, between two polls).
type testClock struct {
	mu     sync.Mutex
	now    time.Time
	auto   bool
	sleeps chan sleepRequest
}

type sleepRequest struct {
	d    time.Duration
	wake chan struct{}
}

func newTestClock(auto bool) *testClock {
	return &testClock{now: t0, auto: auto, sleeps: make(chan sleepRequest)}
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func (c *testClock) Sleep(ctx context.Context, d time.Duration) error {
	if c.auto {
		c.advance(d)
		return ctx.Err()
	}
	req := sleepRequest{d: d, wake: make(chan struct{})}
	select {
	case c.sleeps <- req:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-req.wake:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// awaitSleep waits until the source sleeps and returns the request, still asleep.
func (c *testClock) awaitSleep(t *testing.T) sleepRequest {
	t.Helper()
	select {
	case req := <-c.sleeps:
		return req
	case <-time.After(deadline):
		t.Fatal("the source did not sleep before the deadline")
	}
	return sleepRequest{}
}

// wake ends a sleep, advancing the clock by its duration.
func (c *testClock) wake(req sleepRequest) {
	c.advance(req.d)
	close(req.wake)
}

// step waits for the next sleep and ends it.
func (c *testClock) step(t *testing.T) time.Duration {
	t.Helper()
	req := c.awaitSleep(t)
	c.wake(req)
	return req.d
}

// record is a default-format flow log line whose source port identifies it.
func record(port int, start time.Time) string {
	return fmt.Sprintf("2 123456789012 %s 10.0.0.1 10.0.0.2 %d 443 6 10 840 %d %d ACCEPT OK", eni, port, start.Unix(), start.Unix()+60)
}

// events builds fake events for ports, all at ts.
func events(ts time.Time, ports ...int) []fakeaws.Event {
	out := make([]fakeaws.Event, len(ports))
	for i, p := range ports {
		out[i] = fakeaws.Event{Timestamp: ts, Message: record(p, ts)}
	}
	return out
}

// rig is a fake AWS, a test clock and a configuration aimed at both.
type rig struct {
	t     *testing.T
	srv   *fakeaws.Server
	clock *testClock
	cfg   Config
}

func newRig(t *testing.T, auto bool) *rig {
	t.Helper()
	srv := fakeaws.Serve(t)
	srv.LiveTailUpdateInterval(0) // updates only when the test flushes
	clock := newTestClock(auto)
	srv.SetClock(clock.Now)
	srv.AddLogStream(group, eni+"-all")
	srv.AddFlowLogs(fakeaws.FlowLog{LogGroupName: group, ResourceID: "vpc-0123456789abcdef0"})
	awsCfg := srv.AWSConfig()
	return &rig{t: t, srv: srv, clock: clock, cfg: Config{
		Logs:      awsclient.NewLogs(awsCfg),
		EC2:       awsclient.NewEC2(awsCfg),
		Region:    fakeaws.Region,
		LogGroups: []string{group},
		ENIs:      []string{eni},
		Follow:    true,
		Timing:    Timing{Clock: clock, Jitter: func() float64 { return 0.5 }},
	}}
}

// add stores records in the interface's stream.
func (r *rig) add(ts time.Time, ports ...int) {
	r.srv.AddEvents(group, eni+"-all", events(ts, ports...)...)
}

func (r *rig) awaitSessions(n int) {
	r.t.Helper()
	if err := r.srv.AwaitLiveTailSessions(testContext(r.t), n); err != nil {
		r.t.Fatal(err)
	}
}

// sink collects what a running source delivers.
type sink struct {
	ports  chan int
	mu     sync.Mutex
	all    []int
	status []feed.Status
	stats  model.Stats
	done   chan error
}

func newSink() *sink {
	return &sink{ports: make(chan int, 1<<16), done: make(chan error, 1)}
}

func (k *sink) take(c *Chunk) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, r := range c.Records {
		k.all = append(k.all, int(r.SrcPort))
		k.ports <- int(r.SrcPort)
	}
	k.status = append(k.status, c.Status)
	k.stats.Add(&c.Stats)
	return nil
}

// run starts s.Run in the background; the run ends with the test.
func (r *rig) run(s *Source) *sink {
	r.t.Helper()
	k := newSink()
	ctx, cancel := context.WithCancel(context.Background())
	go func() { k.done <- s.Run(ctx, k.take) }()
	r.t.Cleanup(func() {
		cancel()
		select {
		case <-k.done:
		case <-time.After(deadline):
			r.t.Error("the source did not stop")
		}
	})
	return k
}

func (r *rig) newSource() *Source {
	r.t.Helper()
	s, err := New(testContext(r.t), r.cfg)
	if err != nil {
		r.t.Fatal(err)
	}
	return s
}

// expect waits for exactly these ports, in any order, and fails on anything else
// (a repeat, or a record not asked for) arriving meanwhile.
func (k *sink) expect(t *testing.T, ports ...int) {
	t.Helper()
	want := slices.Clone(ports)
	for len(want) > 0 {
		select {
		case p := <-k.ports:
			i := slices.Index(want, p)
			if i < 0 {
				t.Fatalf("record %d delivered, want one of %v (all so far: %v)", p, want, k.delivered())
			}
			want = slices.Delete(want, i, i+1)
		case <-time.After(deadline):
			t.Fatalf("records %v not delivered (all so far: %v)", want, k.delivered())
		}
	}
}

func (k *sink) delivered() []int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return slices.Clone(k.all)
}

func (k *sink) lastStatus() feed.Status {
	k.mu.Lock()
	defer k.mu.Unlock()
	if len(k.status) == 0 {
		return feed.Status{}
	}
	return k.status[len(k.status)-1]
}

// awaitStatus waits for a status that satisfies ok.
func (k *sink) awaitStatus(t *testing.T, what string, ok func(feed.Status) bool) feed.Status {
	t.Helper()
	limit := time.Now().Add(deadline)
	for time.Now().Before(limit) {
		k.mu.Lock()
		for _, st := range k.status {
			if ok(st) {
				k.mu.Unlock()
				return st
			}
		}
		k.mu.Unlock()
		time.Sleep(time.Millisecond)
	}
	t.Fatalf("no status with %s; last: %+v", what, k.lastStatus())
	return feed.Status{}
}

// assertOnce fails unless every port was delivered exactly once and nothing else.
func (k *sink) assertOnce(t *testing.T, ports ...int) {
	t.Helper()
	got := k.delivered()
	slices.Sort(got)
	want := slices.Clone(ports)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("delivered %v, want each of %v exactly once", got, want)
	}
}

func seq(from, to int) []int {
	var out []int
	for i := from; i < to; i++ {
		out = append(out, i)
	}
	return out
}

// newRigClients builds clients for another fake server.
func newRigClients(srv *fakeaws.Server) (*cloudwatchlogs.Client, *ec2.Client) {
	cfg := srv.AWSConfig()
	return awsclient.NewLogs(cfg), awsclient.NewEC2(cfg)
}
