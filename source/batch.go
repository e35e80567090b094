package source

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/flowlens/flowlens/feed"
	"github.com/flowlens/flowlens/model"
)

// Feed is a running source, as the commands hold it. The explorer declares the same
// methods as the interface it consumes (ui.Feed), so it never imports this package.
type Feed interface {
	// Batches delivers batches until one with Done; then it is closed.
	Batches() <-chan feed.Batch
	// Pause stops reading (and, for CloudWatch, closes the billed Live Tail session)
	// until Resume.
	Pause()
	Resume()
	// Close stops the source and releases what it holds.
	Close()
}

// Batching parameters: the screen redraws at most every ~50 ms anyway, and a batch of a
// few thousand records is appended and filtered in well under a millisecond.
const (
	flushEvery = 50 * time.Millisecond
	maxBatch   = 8192
)

// batcher collects records from a source's goroutine and hands them to the screen in
// batches. A live source (CloudWatch, a followed file) must not block on a slow screen, so
// with drop set a batch that cannot be delivered is counted as dropped instead; a file
// waits, because its records are all wanted and the reader can simply pause.
type batcher struct {
	out  chan feed.Batch
	drop atomic.Bool // set while the source is live; a followed file sets it after its history
	ctx  context.Context

	// sendMu keeps batches in order when the reader and the ticker both flush
	sendMu  sync.Mutex
	mu      sync.Mutex
	pending feed.Batch
	dirty   bool // the status changed since the last batch
	closed  bool
	kick    chan struct{}
	done    chan struct{}
}

func newBatcher(ctx context.Context, drop bool) *batcher {
	b := &batcher{out: make(chan feed.Batch, 4), ctx: ctx, kick: make(chan struct{}, 1), done: make(chan struct{})}
	b.drop.Store(drop)
	go b.loop()
	return b
}

func (b *batcher) loop() {
	defer close(b.done)
	defer close(b.out)
	t := time.NewTicker(flushEvery)
	defer t.Stop()
	for {
		select {
		case <-b.ctx.Done():
			b.flush(true)
			return
		case <-t.C:
		case <-b.kick:
		}
		if b.flush(false) {
			return
		}
	}
}

// flush sends what is pending; it reports whether the last batch went out.
func (b *batcher) flush(final bool) bool {
	b.sendMu.Lock()
	defer b.sendMu.Unlock()
	b.mu.Lock()
	if !b.dirty && len(b.pending.Records) == 0 && b.pending.Stats.Lines == 0 && b.pending.Err == nil && !b.closed && !final {
		b.mu.Unlock()
		return false
	}
	batch := b.pending
	batch.Done = b.closed || final
	b.pending = feed.Batch{Status: batch.Status}
	b.dirty = false
	b.mu.Unlock()

	if b.drop.Load() && !batch.Done {
		select {
		case b.out <- batch:
		default:
			// The screen is behind: keep the counts and the status, drop the records.
			b.mu.Lock()
			b.pending.Dropped += batch.Dropped + uint64(len(batch.Records))
			b.pending.Stats.Add(&batch.Stats)
			if b.pending.Err == nil {
				b.pending.Err = batch.Err
			}
			b.dirty = true
			b.mu.Unlock()
		}
		return false
	}
	if batch.Done {
		// The last batch must arrive even if the screen is slow; a cancelled context means
		// nobody is listening any more.
		select {
		case b.out <- batch:
		case <-b.ctx.Done():
		}
		return true
	}
	select {
	case b.out <- batch:
	case <-b.ctx.Done():
	}
	return false
}

// add queues records (copied) and parse counts; it blocks a file source while a full
// batch waits for the screen.
func (b *batcher) add(recs []model.Flow, st *model.Stats) {
	b.mu.Lock()
	b.pending.Records = append(b.pending.Records, recs...)
	if st != nil {
		b.pending.Stats.Add(st)
	}
	full := len(b.pending.Records) >= maxBatch
	b.mu.Unlock()
	if full {
		if b.drop.Load() {
			b.nudge()
			return
		}
		b.flush(false)
	}
}

func (b *batcher) setStatus(st feed.Status) {
	cleanStatus(&st)
	b.mu.Lock()
	b.pending.Status = st
	b.dirty = true
	b.mu.Unlock()
}

func (b *batcher) status() feed.Status {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.pending.Status
}

func (b *batcher) updateStatus(fn func(*feed.Status)) {
	b.mu.Lock()
	fn(&b.pending.Status)
	cleanStatus(&b.pending.Status)
	b.dirty = true
	b.mu.Unlock()
}

func (b *batcher) fail(err error) {
	err = cleanError(err)
	b.mu.Lock()
	if b.pending.Err == nil {
		b.pending.Err = err
	}
	b.dirty = true
	b.mu.Unlock()
	b.nudge()
}

func (b *batcher) nudge() {
	select {
	case b.kick <- struct{}{}:
	default:
	}
}

// close sends the last batch, marked Done, and waits for it to go out.
func (b *batcher) close() {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
	b.nudge()
	<-b.done
}

// cleanStatus makes every text of a status clean, as the feed contract promises the
// screen: the one place the sources' words pass before they leave (a file name, a
// stream name, an AWS message). Clean text is kept as it is, without allocating.
func cleanStatus(st *feed.Status) {
	st.Source = model.CleanText(st.Source)
	st.Note = model.CleanText(st.Note)
	st.LastError = model.CleanText(st.LastError)
	for i, f := range st.Fields {
		if l, v := model.CleanText(f.Label), model.CleanText(f.Value); l != f.Label || v != f.Value {
			st.Fields = slices.Clone(st.Fields) // copies handed out keep theirs
			st.Fields[i] = feed.Field{Label: l, Value: v}
		}
	}
}

// cleanError is an error whose message is clean; the error it wraps stays reachable
// for errors.Is and errors.As.
func cleanError(err error) error {
	if err == nil {
		return nil
	}
	msg := model.CleanText(err.Error())
	if msg == err.Error() {
		return err
	}
	return &cleanedError{msg: msg, err: err}
}

type cleanedError struct {
	msg string
	err error
}

func (e *cleanedError) Error() string { return e.msg }
func (e *cleanedError) Unwrap() error { return e.err }
