package source

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flowlens/flowlens/feed"
	"github.com/flowlens/flowlens/model"
)

func init() { pollEvery = 10 * time.Millisecond }

func recordLine(i int) string {
	return fmt.Sprintf("2 123456789010 eni-1 10.0.0.1 10.0.0.2 %d 22 6 1 1 1700000000 1700000060 ACCEPT OK\n", 1000+i)
}

// collector drains a feed in the background, as the explorer does.
type collector struct {
	ports   chan int
	done    chan struct{}
	dropped uint64
	errs    []string
	last    feed.Status
}

func collect(f Feed) *collector {
	c := &collector{ports: make(chan int, 1<<20), done: make(chan struct{})}
	go func() {
		defer close(c.done)
		for b := range f.Batches() {
			for _, r := range b.Records {
				c.ports <- int(r.SrcPort) - 1000
			}
			c.dropped += b.Dropped
			if b.Err != nil {
				c.errs = append(c.errs, b.Err.Error())
			}
			c.last = b.Status
		}
	}()
	return c
}

// expect waits until the records numbered from..to-1 arrived, in order.
func (c *collector) expect(t *testing.T, from, to int) {
	t.Helper()
	for want := from; want < to; want++ {
		select {
		case got := <-c.ports:
			if got != want {
				t.Fatalf("record %d arrived where %d was expected", got, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("record %d did not arrive", want)
		}
	}
}

func (c *collector) quiet(t *testing.T) {
	t.Helper()
	select {
	case got := <-c.ports:
		t.Fatalf("unexpected record %d", got)
	case <-time.After(100 * time.Millisecond):
	}
}

func TestOpenFilesDeliversEverythingInOrder(t *testing.T) {
	dir := t.TempDir()
	var a, b strings.Builder
	for i := 0; i < 30000; i++ {
		a.WriteString(recordLine(i))
	}
	for i := 30000; i < 30100; i++ {
		b.WriteString(recordLine(i))
	}
	pa := write(t, dir, "a.log", []byte(a.String()))
	pb := write(t, dir, "b.log.gz", gz([]byte(b.String())))
	f := OpenFiles(context.Background(), []Input{{Name: pa, Path: pa}, {Name: pb, Path: pb}}, Options{})
	c := collect(f)
	c.expect(t, 0, 30100)
	<-c.done
	if c.last.State != feed.StateDone || c.dropped != 0 || len(c.errs) != 0 {
		t.Fatalf("status %+v dropped %d errs %v", c.last, c.dropped, c.errs)
	}
}

func TestOpenFilesPauseHoldsReading(t *testing.T) {
	var b strings.Builder
	for i := 0; i < 50000; i++ {
		b.WriteString(recordLine(i % 60000))
	}
	f := OpenFiles(context.Background(), []Input{{Name: StdinName}}, Options{Stdin: slowReader(b.String())})
	f.Pause()
	batches := f.Batches()
	deadline := time.After(300 * time.Millisecond)
	got := 0
wait:
	for {
		select {
		case bt := <-batches:
			got += len(bt.Records)
		case <-deadline:
			break wait
		}
	}
	if got > maxBatch+blockSize/80 {
		t.Fatalf("%d records arrived while paused", got)
	}
	f.Resume()
	for bt := range batches {
		got += len(bt.Records)
	}
	if got != 50000 {
		t.Fatalf("%d records after resume", got)
	}
}

// slowReader hands out data a little at a time, like a pipe.
func slowReader(s string) *chunkedReader { return &chunkedReader{s: s} }

type chunkedReader struct{ s string }

func (r *chunkedReader) Read(p []byte) (int, error) {
	if r.s == "" {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), 4096)], r.s)
	r.s = r.s[n:]
	return n, nil
}

func TestFollowAppendRotateTruncate(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "flows.log")
	f := FollowFile(context.Background(), path, Options{})
	defer f.Close()
	c := collect(f)
	c.quiet(t) // the file does not exist yet

	appendTo(t, path, recordLine(0)+recordLine(1))
	c.expect(t, 0, 2)

	// A partial line is held until its newline arrives.
	line := recordLine(2)
	appendTo(t, path, line[:30])
	c.quiet(t)
	appendTo(t, path, line[30:]+recordLine(3))
	c.expect(t, 2, 4)

	// Rotation: rename, then a new file at the path.
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	appendTo(t, path+".1", recordLine(4)) // late writes to the old file before the switch
	time.Sleep(50 * time.Millisecond)
	appendTo(t, path, recordLine(5))
	c.expect(t, 4, 6)

	// Truncation (copytruncate): emptied in place, then written again. Like tail, a
	// rewrite that is not shorter than what was read cannot be told from an append.
	if err := os.Truncate(path, 0); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	appendTo(t, path, recordLine(6))
	c.expect(t, 6, 7)
	c.quiet(t)
	f.Close()
	<-c.done
	if c.dropped != 0 {
		t.Fatalf("dropped %d", c.dropped)
	}
}

func appendTo(t *testing.T, path, s string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(s); err != nil {
		t.Fatal(err)
	}
	f.Close()
}

func TestBatcherDropsWhenTheScreenLags(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	b := newBatcher(ctx, true)
	recs := make([]model.Flow, 1000)
	for i := 0; i < 200; i++ { // nobody reads: the channel fills and the rest is dropped
		b.add(recs, nil)
		time.Sleep(time.Millisecond)
	}
	time.Sleep(3 * flushEvery)
	var delivered, dropped uint64
	go b.close()
	for bt := range b.out {
		delivered += uint64(len(bt.Records))
		dropped += bt.Dropped
	}
	if delivered+dropped != 200*1000 || dropped == 0 {
		t.Fatalf("delivered %d dropped %d: every record must be delivered or counted", delivered, dropped)
	}
}

// The records a followed file already holds are all read, however slow the screen:
// only records that arrive later may be dropped.
func TestFollowReadsTheHistoryWhole(t *testing.T) {
	path := filepath.Join(t.TempDir(), "big.log")
	var b strings.Builder
	for i := 0; i < 60000; i++ {
		b.WriteString(recordLine(i % 60000))
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	f := FollowFile(context.Background(), path, Options{})
	got, dropped := 0, uint64(0)
	for got+int(dropped) < 60000 {
		select {
		case bt := <-f.Batches():
			got += len(bt.Records)
			dropped += bt.Dropped
			time.Sleep(5 * time.Millisecond) // a slow screen
		case <-time.After(10 * time.Second):
			t.Fatalf("%d records after 10 s", got)
		}
	}
	f.Close()
	if got != 60000 || dropped != 0 {
		t.Fatalf("got %d, dropped %d", got, dropped)
	}
}

// Lines written to the old file after it was renamed, its last unterminated line too,
// come before the new file's.
func TestFollowRotationKeepsLateWritesToTheOldFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "flows.log")
	appendTo(t, path, recordLine(0))
	f := FollowFile(context.Background(), path, Options{})
	defer f.Close()
	c := collect(f)
	c.expect(t, 0, 1)
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	appendTo(t, path+".1", recordLine(1)+recordLine(2)+strings.TrimSuffix(recordLine(3), "\n"))
	appendTo(t, path, recordLine(4))
	c.expect(t, 1, 5)
	c.quiet(t)
}

// A file truncated and written again within one poll, longer than before, is read from
// its start.
func TestFollowNoticesARewriteThatGrew(t *testing.T) {
	path := filepath.Join(t.TempDir(), "flows.log")
	appendTo(t, path, recordLine(0)+recordLine(1))
	f := FollowFile(context.Background(), path, Options{})
	defer f.Close()
	c := collect(f)
	c.expect(t, 0, 2)
	var b strings.Builder
	for i := 10; i < 15; i++ {
		b.WriteString(recordLine(i))
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	c.expect(t, 10, 15)
	c.quiet(t)
}

// A followed path that becomes a directory is said once (not on every poll, which
// filled the log eight lines a second), shown in the status, and followed again when a
// file is back.
func TestFollowAPathThatBecomesADirectory(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "flows.log")
	appendTo(t, path, recordLine(0))
	f := FollowFile(context.Background(), path, Options{})
	defer f.Close()
	c := collect(f)
	c.expect(t, 0, 1)

	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(path, 0o755); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * pollEvery) // a hundred polls' worth
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	appendTo(t, path, recordLine(1))
	c.expect(t, 1, 2)
	f.Close()
	<-c.done
	said := 0
	for _, e := range c.errs {
		if strings.Contains(e, "is a directory") {
			said++
		}
	}
	if said != 1 {
		t.Fatalf("the directory was reported %d times, want once: %q", said, c.errs)
	}
}

// Counts people read have thousands separators, like every other count on screen.
func TestDescribeInputsSeparatesThousands(t *testing.T) {
	if got := describeInputs(make([]Input, 10_000)); !strings.HasSuffix(got, " and 9,999 more") {
		t.Fatalf("%q", got)
	}
}
