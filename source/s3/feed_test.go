package s3_test

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/flowlens/flowlens/feed"
	"github.com/flowlens/flowlens/internal/fakeaws"
	s3src "github.com/flowlens/flowlens/source/s3"
)

// The explorer's feed while following: every record of the window and of the objects
// delivered later, the progress in objects, the objects and bytes fields, and the state
// following with the time of the last poll once everything listed was read.
func TestFeedFollows(t *testing.T) {
	srv := fakeaws.Serve(t)
	fx := newFixture(t, srv, "flow-logs")
	loc := fakeaws.FlowLogLocation{}
	fx.deliverEvery(loc, t0.Add(-40*time.Minute), t0.Add(time.Minute), 2)
	clock := &testClock{now: t0}
	var polls atomic.Int32
	var src *s3src.Source
	done := make(chan struct{})
	clock.onPoll = func(now time.Time) {
		switch polls.Add(1) {
		case 1, 2:
			fx.deliver(loc, now.Truncate(time.Minute), 2) // a new object each poll
		default:
			<-done // the test has seen what it waits for; the feed is being closed
		}
	}
	// the window's records, and the two of each object the first two polls find
	want := len(fx.want(t0.Add(-30*time.Minute), t0.Add(24*time.Hour), nil)) + 2*2
	src = newSource(t, srv, s3src.Config{URL: "s3://flow-logs/", Since: t0.Add(-30 * time.Minute), Follow: true, Clock: clock})
	fd := src.Start(testContext(t))
	got := 0
	var last feed.Status
	timeout := time.After(deadline)
	for got < want || last.State != feed.StateFollowing {
		select {
		case b, ok := <-fd.Batches():
			if !ok {
				t.Fatalf("the feed ended: %d of %d records, last status %+v", got, want, last)
			}
			if b.Err != nil {
				t.Fatal(b.Err)
			}
			got += len(b.Records)
			last = b.Status
		case <-timeout:
			t.Fatalf("%d of %d records, last status %+v", got, want, last)
		}
	}
	close(done)
	fd.Close()
	for range fd.Batches() {
	}
	if got != want {
		t.Fatalf("%d records, want %d", got, want)
	}
	polled, _ := last.Field(s3src.FieldPolled)
	objects, _ := last.Field(s3src.FieldObjects)
	if polled == "" || objects == "" || last.Progress.Unit != feed.Objects || last.Progress.Done != last.Progress.Total {
		t.Fatalf("status %+v", last)
	}
}
