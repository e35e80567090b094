package source

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/flowlens/flowlens/feed"
	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/output"
)

// sourceFeed is the common body of the sources the explorer runs: a batcher for delivery, a
// pause gate the reading goroutine waits on, and cancellation.
type sourceFeed struct {
	*batcher
	cancel context.CancelFunc
	ctx    context.Context

	mu      sync.Mutex
	paused  bool
	resume  chan struct{} // closed on Resume
	onPause func(paused bool)
}

func newFeed(parent context.Context, drop bool) *sourceFeed {
	ctx, cancel := context.WithCancel(parent)
	return &sourceFeed{batcher: newBatcher(ctx, drop), ctx: ctx, cancel: cancel}
}

func (f *sourceFeed) Batches() <-chan feed.Batch { return f.out }

func (f *sourceFeed) Pause() {
	f.mu.Lock()
	if !f.paused {
		f.paused = true
		f.resume = make(chan struct{})
	}
	cb := f.onPause
	f.mu.Unlock()
	if cb != nil {
		cb(true)
	}
}

func (f *sourceFeed) Resume() {
	f.mu.Lock()
	if f.paused {
		f.paused = false
		close(f.resume)
	}
	cb := f.onPause
	f.mu.Unlock()
	if cb != nil {
		cb(false)
	}
}

func (f *sourceFeed) Close() { f.cancel() }

// wait blocks while the feed is paused; false when the feed was closed meanwhile.
func (f *sourceFeed) wait() bool {
	f.mu.Lock()
	paused, ch := f.paused, f.resume
	f.mu.Unlock()
	if !paused {
		return f.ctx.Err() == nil
	}
	prev := f.status().State
	f.updateStatus(func(s *feed.Status) { s.State = feed.StatePaused })
	f.nudge()
	select {
	case <-ch:
		f.updateStatus(func(s *feed.Status) { s.State = prev })
		return true
	case <-f.ctx.Done():
		return false
	}
}

// OpenFiles reads files, directories and stdin for the explorer. Every record is wanted,
// so a slow screen makes the reader wait rather than drop.
func OpenFiles(ctx context.Context, inputs []Input, opts Options) Feed {
	f := newFeed(ctx, false)
	name := describeInputs(inputs)
	f.setStatus(feed.Status{Source: name, State: feed.StateReading})
	go func() {
		defer f.close()
		defer ReportPanic(f.fail)
		failed := false
		ReadFiles(f.ctx, inputs, opts, nil, func(c *Chunk) bool {
			if !f.wait() {
				return false
			}
			f.add(c.Records, &c.Stats)
			f.updateStatus(func(s *feed.Status) {
				s.Progress = c.Progress.feed()
				if c.Progress.Inputs > 1 {
					s.Source = fmt.Sprintf("%s (%s of %s)", c.Progress.Input, output.Thousands(int64(c.Progress.Index+1)), output.Thousands(int64(c.Progress.Inputs)))
				}
			})
			if c.Err != nil {
				failed = true
				f.fail(c.Err)
			}
			if format, err := InferenceNote(c); format != "" {
				f.updateStatus(func(s *feed.Status) { s.SetField(FieldFormat, format); s.Note = c.Note })
			} else if err != nil {
				f.fail(err)
			}
			return true
		})
		f.updateStatus(func(s *feed.Status) {
			s.Source = name
			s.State = feed.StateDone
			if failed {
				s.State = feed.StateError
			}
		})
	}()
	return f
}

func describeInputs(inputs []Input) string {
	switch len(inputs) {
	case 0:
		return "nothing"
	case 1:
		return inputs[0].Name
	}
	return fmt.Sprintf("%s and %s more", inputs[0].Name, output.Thousands(int64(len(inputs)-1)))
}

// Writer is the producing side of a Feed, for sources that live in their own package
// (source/cloudwatch): records and status go in, and come out of the Feed with the same
// batching, and the same dropping and counting when the screen lags, as the feeds of this
// package. A Writer has no pause gate: a source with something to stop on Pause (a
// billed Live Tail session) wraps the Feed and handles Pause and Resume itself.
type Writer struct{ f *sourceFeed }

// NewWriter returns a Feed and the Writer that fills it. With drop, a batch the screen is
// not ready for is dropped and counted instead of waited for.
func NewWriter(ctx context.Context, drop bool) (Feed, *Writer) {
	f := newFeed(ctx, drop)
	return f, &Writer{f: f}
}

// Context is done once the Feed is closed.
func (w *Writer) Context() context.Context { return w.f.ctx }

// Add queues records (copied) and their parse counts for the next batch.
func (w *Writer) Add(recs []model.Flow, st *model.Stats) { w.f.add(recs, st) }

// SetStatus replaces the status the next batch carries.
func (w *Writer) SetStatus(st feed.Status) { w.f.setStatus(st) }

// Fail reports an error in the next batch.
func (w *Writer) Fail(err error) { w.f.fail(err) }

// Close sends the last batch, marked Done.
func (w *Writer) Close() { w.f.close() }

// FieldFormat labels the status field that names a format the source inferred for an
// input without a header line.
const FieldFormat = "format"

// InferenceNote reads what a chunk says about its input's format, as a feed shows it:
// the name of the layout inferred for a header-less input, for the FieldFormat status
// field (the Note says the rest), or, when no layout fits, the Note as an error, since
// the person must pass --format. Both are empty for a chunk without a Note.
func InferenceNote(c *Chunk) (format string, err error) {
	switch {
	case c.Note == "":
		return "", nil
	case c.Inferred != "":
		return c.Inferred + " (inferred)", nil
	}
	return "", errors.New(c.Note)
}
