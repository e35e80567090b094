package s3

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/flowlens/flowlens/feed"
	"github.com/flowlens/flowlens/model/output"
	"github.com/flowlens/flowlens/source"
)

// The labels of the status fields an S3 feed reports (feed.Status.Fields), most
// important first.
const (
	FieldObjects = "objects" // "12 of 40", "12 of 40+" while the listing goes on
	FieldBytes   = "bytes"   // "3.1 MiB of 12 MiB"
	FieldPolled  = "polled"  // following: the time of the last listing, UTC
	FieldSkipped = "outside" // records read but outside --since/--until
)

// statusEvery is how often the feed refreshes its status between chunks: while the
// listing walks folders, and while following between polls, no chunk says anything.
const statusEvery = time.Second

// Start runs the source for the explorer and returns its feed. Every record is wanted,
// so a slow screen makes the reading wait rather than drop. The status tells the
// objects and bytes read of those chosen so far (Progress in objects), the format
// inferred for objects without a header line, the last poll when following; one
// object's failure is reported in a batch and reading goes on, a failure of the
// listing ends the feed with the state error. Pause holds the reading (downloads stop
// once the read-ahead is full) until Resume.
func (s *Source) Start(ctx context.Context) source.Feed {
	out, w := source.NewWriter(ctx, false)
	f := &s3Feed{Feed: out, w: w, src: s, resume: make(chan struct{})}
	close(f.resume)
	f.st = feed.Status{Source: s.loc.String(), State: feed.StateConnecting, Note: strings.Join(s.warnings, "; ")}
	go f.run()
	return f
}

// s3Feed is the explorer's side of a Source: the Writer it fills and a pause gate the
// sink waits on.
type s3Feed struct {
	source.Feed
	w   *source.Writer
	src *Source

	mu     sync.Mutex
	st     feed.Status // the status being built; its Progress and fields come from the source
	paused bool
	resume chan struct{} // closed while not paused
	failed bool
}

func (f *s3Feed) Pause() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.paused {
		f.paused = true
		f.resume = make(chan struct{})
	}
}

func (f *s3Feed) Resume() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.paused {
		f.paused = false
		close(f.resume)
	}
}

// wait blocks while paused; false when the feed was closed meanwhile.
func (f *s3Feed) wait(ctx context.Context) bool {
	f.mu.Lock()
	ch := f.resume
	f.mu.Unlock()
	select {
	case <-ch:
		return ctx.Err() == nil
	case <-ctx.Done():
		return false
	}
}

func (f *s3Feed) run() {
	defer f.w.Close()
	defer source.ReportPanic(f.w.Fail)
	ctx := f.w.Context()
	f.publish(f.src.Progress())

	tick := time.NewTicker(statusEvery)
	defer tick.Stop()
	stopTick := make(chan struct{})
	ticked := make(chan struct{})
	go func() {
		defer close(ticked)
		for {
			select {
			case <-tick.C:
				f.publish(f.src.Progress())
			case <-stopTick:
				return
			case <-ctx.Done():
				return
			}
		}
	}()

	err := f.src.Run(ctx, nil, func(c *Chunk) bool {
		if !f.wait(ctx) {
			return false
		}
		f.w.Add(c.Records, &c.Stats)
		if c.Err != nil {
			f.w.Fail(c.Err)
		}
		format, noteErr := source.InferenceNote(c.Chunk)
		if noteErr != nil {
			f.w.Fail(noteErr)
		}
		f.mu.Lock()
		if format != "" {
			f.st.SetField(source.FieldFormat, format)
			f.st.Note = c.Note
		}
		f.mu.Unlock()
		f.publish(c.Overall)
		return true
	})
	close(stopTick)
	<-ticked
	f.mu.Lock()
	f.failed = err != nil
	f.mu.Unlock()
	if err != nil {
		f.mu.Lock()
		f.st.LastError, f.st.LastErrorAt = err.Error(), time.Now()
		f.mu.Unlock()
		f.w.Fail(err)
	}
	f.publish(f.src.Progress())
}

// publish sets the status from the source's progress.
func (f *s3Feed) publish(p Progress) {
	f.mu.Lock()
	defer f.mu.Unlock()
	st := &f.st
	switch {
	case f.failed:
		st.State = feed.StateError
	case p.Following && p.ObjectsDone == p.Objects && (p.Polls > 0 || p.Objects > 0):
		st.State = feed.StateFollowing
	case p.Listing || p.ObjectsDone < p.Objects:
		st.State = feed.StateReading
	default:
		st.State = feed.StateDone
	}
	st.Progress = feed.Progress{Done: int64(p.ObjectsDone), Total: int64(p.Objects), Unit: feed.Objects}
	more := ""
	if p.Listing && !p.Following {
		more = "+"
	}
	st.SetField(FieldObjects, fmt.Sprintf("%s of %s%s", output.Thousands(int64(p.ObjectsDone)), output.Thousands(int64(p.Objects)), more))
	st.SetField(FieldBytes, fmt.Sprintf("%s of %s", humanBytes(p.BytesDone), humanBytes(p.Bytes)))
	if !p.LastPoll.IsZero() {
		st.SetField(FieldPolled, p.LastPoll.UTC().Format("15:04:05"))
	}
	if p.OutOfWindow > 0 {
		st.SetField(FieldSkipped, output.Thousands(p.OutOfWindow))
	}
	if p.LastError != "" {
		st.LastError = p.LastError
		st.LastErrorAt = p.LastPoll
	}
	f.w.SetStatus(*st)
}

func humanBytes(n int64) string { return string(output.HumanBytes(nil, uint64(max(n, 0)))) }
