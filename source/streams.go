package source

import (
	"context"
	"fmt"
	"io"

	"github.com/flowlens/flowlens/source/parquetlog"
)

// Stream is an input that is not on the local disk, such as an S3 object. It is read
// once, in its turn, through Open (plain text or gzip, told apart by the first bytes,
// as for files) or, when set, OpenAt (Parquet, which needs random access: a ranged
// reader over the object).
type Stream struct {
	Name   string // as shown to the user, e.g. s3://bucket/key
	Size   int64  // bytes, 0 when unknown
	Open   func(ctx context.Context) (io.ReadCloser, error)
	OpenAt func(ctx context.Context) (io.ReaderAt, error) // Size bytes of Parquet
}

// StreamOptions configures ReadStreams.
type StreamOptions struct {
	Options
	// Ahead is how many streams are read at once (downloads overlap); 0 means
	// DefaultAhead. Each one holds at most a few megabytes of text waiting for its turn.
	Ahead int
}

// DefaultAhead is how many streams ReadStreams reads at once by default: enough to hide
// a request's latency behind the parsing of the stream before it.
const DefaultAhead = 4

// streamBuffer is how many chunks a stream read ahead of its turn may hold; after that
// its reading waits (and its download with it).
const streamBuffer = 2

// ReadStreams reads the streams that arrive on streams until it is closed, several at
// once, and hands their chunks to sink in arrival order, each stream whole before the
// next, whatever order their downloads finish in. Each chunk's Progress.Index is the
// stream's position in arrival order. Parsing, stages and sink work as for ReadFiles.
// It returns when streams is closed and everything was read, when sink returns false,
// or when ctx ends.
func ReadStreams(ctx context.Context, streams <-chan Stream, opts StreamOptions, newStage func() Stage, sink func(*Chunk) bool) {
	pipeline(ctx, streamProducer(streams, opts), opts.Workers, opts.Needles, newStage, sink)
}

func streamProducer(streams <-chan Stream, opts StreamOptions) producer {
	ahead := opts.Ahead
	if ahead <= 0 {
		ahead = DefaultAhead
	}
	return func(ctx context.Context, emit func(*Chunk) bool) {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		// started holds the streams being read, in arrival order; reading is a slot of
		// running, given back when a stream's last chunk is queued, so at most ahead
		// streams download at once and at most ahead more wait with their chunks.
		started := make(chan chan *Chunk, ahead)
		running := make(chan struct{}, ahead)
		go func() {
			defer close(started)
			for idx := 0; ; idx++ {
				var st Stream
				var ok bool
				select {
				case st, ok = <-streams:
				case <-ctx.Done():
					return
				}
				if !ok {
					return
				}
				select {
				case running <- struct{}{}:
				case <-ctx.Done():
					return
				}
				chunks := make(chan *Chunk, streamBuffer)
				go func() {
					defer func() { <-running }()
					defer close(chunks)
					defer ReportPanic(func(err error) {
						c := newChunk(st.Name, opts.Format, 0)
						c.Err = fmt.Errorf("%s: %w", st.Name, err)
						c.Progress = Progress{Input: st.Name, Index: idx, Total: st.Size, InputDone: true}
						select {
						case chunks <- c:
						case <-ctx.Done():
						}
					})
					readStream(ctx, st, idx, opts.Options, chunks)
				}()
				select {
				case started <- chunks:
				case <-ctx.Done():
					return
				}
			}
		}()
		for chunks := range started {
			for c := range chunks {
				if !emit(c) {
					cancel()
					for range chunks {
					}
					for rest := range started {
						for range rest {
						}
					}
					return
				}
			}
		}
	}
}

// readStream reads one stream into chunks, as fileProducer reads one file.
func readStream(ctx context.Context, st Stream, idx int, opts Options, out chan<- *Chunk) {
	send := func(c *Chunk) bool {
		select {
		case out <- c:
			return true
		case <-ctx.Done():
			return false
		}
	}
	prog := Progress{Input: st.Name, Index: idx, Total: st.Size}
	o, err := openStream(ctx, st)
	if err != nil {
		c := newChunk(st.Name, opts.Format, 0)
		c.Err = err
		prog.InputDone = true
		c.Progress = prog
		send(c)
		return
	}
	defer o.Close()
	s := newSplitter(st.Name, opts.Format)
	for ctx.Err() == nil {
		c, err := s.read(o.r)
		prog.Read = o.pos.n
		prog.LinesTotal = s.line
		prog.InputDone = err != nil
		c.Progress = prog
		if !send(c) || err != nil {
			return
		}
	}
}

func openStream(ctx context.Context, st Stream) (*opened, error) {
	if st.OpenAt != nil {
		ra, err := st.OpenAt(ctx)
		if err != nil {
			return nil, err
		}
		pos := &countingReader{}
		r, err := parquetlog.NewReader(countingReaderAt{ra, pos, st.Size}, st.Size)
		if err != nil {
			closeIf(ra)
			return nil, fmt.Errorf("%s: %v", st.Name, err)
		}
		return &opened{r: r, pos: pos, closer: multiCloser{r, closerOf(ra)}}, nil
	}
	rc, err := st.Open(ctx)
	if err != nil {
		return nil, err
	}
	return decode(st.Name, rc, rc, func(*countingReader) (*opened, error) {
		rc.Close()
		return nil, fmt.Errorf("%s is a Parquet file under a name that does not say so; flowlens reads Parquet objects named *.parquet", st.Name)
	})
}

func closerOf(v any) io.Closer {
	if c, ok := v.(io.Closer); ok {
		return c
	}
	return io.NopCloser(nil)
}

func closeIf(v any) { closerOf(v).Close() }
