package source

import (
	"bytes"
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/flowlens/flowlens/feed"
	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/filter"
)

// Chunk is a run of whole lines of one input, parsed. Chunks reach the sink in input
// order, whatever order the workers finish them in.
type Chunk struct {
	Input    string
	Records  []model.Flow
	Stats    model.Stats // what parsing this chunk counted (malformed lines with their samples)
	Err      error       // reading the input failed after these lines; the input ends here
	Progress Progress
	// Note is something a person should be told about the input, once: the format
	// inferred for a file without a header line, or why none could be.
	Note string
	// Inferred names the layout inferred for an input without a header line ("all
	// fields of version 5"), on the chunk whose Note says so; "" when the Note says why
	// none fits (then it is an error the person must act on: pass --format).
	Inferred string
	// Out and Matched are scratch for a stage: the print command filters and formats on
	// the worker goroutines and writes Out in order.
	Out     []byte
	Matched int64

	data   []byte        // the raw lines
	format *model.Format // in effect at the first line (a guess until the sink checks it)
	// formatGiven: format is known, not guessed (inferred from the chunk's own first
	// record line), so the sink does not check it against the chunk before.
	formatGiven bool
	endFormat   *model.Format // in effect after the last line
	line        int64         // number of the line before the first
	// split is what the producer counted itself (lines too long, cut off): parsing
	// adds it to Stats.
	split  model.Stats
	stream *stream // the stream the chunk was cut from, nil for chunks without one
	ready  chan struct{}
	// live: a followed file's chunk read after what the file held when it was opened
	// (its history); the sink stops waiting for the screen from the first one on.
	live bool
}

// stream is what the chunks of one input share: the format they start in and the
// format the latest chunk checked ended in. A splitter cuts chunks without reading their
// lines, so it cannot see a header line in the middle of a stream: the format of a new
// chunk is the last one known, and the sink, which sees the chunks in order, parses a
// chunk again when the one before it ended in another format. Headers in mid-stream are
// rare (files joined with cat), so that costs a few chunks each.
type stream struct {
	initial *model.Format
	known   atomic.Pointer[model.Format]
}

func newStream(f *model.Format) *stream {
	if f == nil {
		f = model.DefaultFormat
	}
	s := &stream{initial: f}
	s.known.Store(f)
	return s
}

// Format is the format in effect after the chunk's last line (nil for a chunk without
// lines): what a header row of the output should say when no record matched.
func (c *Chunk) Format() *model.Format {
	if c.endFormat != nil {
		return c.endFormat
	}
	return c.format
}

// Progress tells how far reading has come.
type Progress struct {
	Input      string
	Index      int   // of the input, from 0
	Inputs     int   // how many inputs there are
	Read       int64 // bytes of the file consumed (compressed bytes for gzip)
	Total      int64 // the file's size; 0 when unknown (stdin)
	InputDone  bool  // the last chunk of this input
	Following  bool  // the input is followed for new lines
	Truncated  bool  // a followed file was truncated or replaced
	LinesTotal int64 // lines read from this input so far
}

// feed is the progress as the screen shows it: bytes of the current input.
func (p Progress) feed() feed.Progress {
	return feed.Progress{Done: p.Read, Total: p.Total, Unit: feed.Bytes}
}

// producer emits chunks holding raw lines; the pipeline parses them.
type producer func(ctx context.Context, emit func(*Chunk) bool)

// Stage is what a worker does with a parsed chunk before the sink sees it. Each worker
// gets its own from a factory, so a stage may keep state (a compiled filter, a buffer).
type Stage func(*Chunk)

// pipeline runs a producer, parses its chunks on workers in parallel and hands them to
// sink in order. It returns when the producer is done and every chunk was sunk, when
// sink returns false, or when ctx ends. With needles, lines without them are skipped
// unparsed (see chunkParser).
func pipeline(ctx context.Context, produce producer, workers int, needles filter.Needles, newStage func() Stage, sink func(*Chunk) bool) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	jobs := make(chan *Chunk, workers)
	order := make(chan *Chunk, 2*workers+2)
	var wg sync.WaitGroup
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := newChunkParser(needles, newStage)
			for c := range jobs {
				w.parse(c)
				close(c.ready)
			}
		}()
	}
	go func() {
		defer close(order)
		defer close(jobs)
		defer ReportPanic(func(err error) {
			c := &Chunk{Err: err, ready: make(chan struct{})}
			close(c.ready)
			select {
			case order <- c:
			case <-ctx.Done():
			}
		})
		produce(ctx, func(c *Chunk) bool {
			c.ready = make(chan struct{})
			select {
			case order <- c:
			case <-ctx.Done():
				return false
			}
			select {
			case jobs <- c:
				return true
			case <-ctx.Done():
				close(c.ready)
				return false
			}
		})
	}()
	// The sink's own parser, for the chunks whose format was guessed wrong.
	var again *chunkParser
	var last *stream
	var lastEnd *model.Format
	for {
		var c *Chunk
		select {
		case c = <-order:
		case <-ctx.Done():
			// Stopped (a signal, or the sink had enough): the producer may be blocked in a
			// read that nothing interrupts (a pipe on stdin whose writer lives on), so it
			// is not waited for; it and the workers wind down on their own.
			return
		}
		if c == nil {
			break // the producer is done
		}
		<-c.ready
		if ctx.Err() != nil {
			return
		}
		if st := c.stream; st != nil {
			want := st.initial
			if st == last {
				want = lastEnd
			}
			if c.format != want && !c.formatGiven {
				if again == nil {
					again = newChunkParser(needles, newStage)
				}
				c.format = want
				again.parse(c)
			}
			last, lastEnd = st, c.Format()
			st.known.Store(lastEnd)
		}
		if !sink(c) {
			cancel()
			return
		}
		recycle(c)
	}
	wg.Wait()
}

// chunkParser parses chunks, and runs the stage on them: one per worker, and one in the
// sink for a chunk parsed again.
type chunkParser struct {
	p         *model.Parser
	stage     Stage
	newStage  func() Stage
	needles   filter.Needles
	prefilter *prefilter // nil: every line is parsed
}

func newChunkParser(needles filter.Needles, newStage func() Stage) *chunkParser {
	w := &chunkParser{p: model.NewParser("", nil), newStage: newStage, needles: needles, prefilter: newPrefilter(needles)}
	if newStage != nil {
		w.stage = newStage()
	}
	return w
}

// parse parses c (from its start: a chunk may be parsed again) and runs the stage on it.
func (w *chunkParser) parse(c *Chunk) {
	defer ReportPanic(func(err error) {
		c.Err = fmt.Errorf("%s: %w", c.Input, err)
		// Its state is unknown after a panic.
		w.p, w.prefilter = model.NewParser("", nil), newPrefilter(w.needles)
		if w.newStage != nil {
			w.stage = w.newStage()
		}
	})
	c.Records, c.Out, c.Matched = c.Records[:0], c.Out[:0], 0
	c.endFormat = nil
	c.Stats = model.Stats{}
	if len(c.data) > 0 {
		parseLines(w.p, w.prefilter, c)
	}
	c.Stats.Add(&c.split) // lines the producer rejected (too long, truncated) come after
	if w.stage != nil {
		w.stage(c)
	}
}

// parseLines parses the lines of a chunk into its Records and Stats. With a prefilter,
// a line that holds none of its needles is counted as skipped instead, unless Parse
// must see it (a header line, a blank one).
func parseLines(p *model.Parser, pf *prefilter, c *Chunk) {
	p.Reset(c.Input, c.format, c.line)
	if c.Records == nil {
		c.Records = make([]model.Flow, 0, len(c.data)/100+16)
	}
	data := c.data
	var r model.Flow
	if pf == nil {
		for len(data) > 0 {
			var line []byte
			line, data = cutLine(data)
			if p.Parse(line, &r) == model.LineRecord {
				c.Records = append(c.Records, r)
			}
		}
	} else {
		pf.scan(data, func(line []byte) {
			if p.Parse(line, &r) == model.LineRecord {
				c.Records = append(c.Records, r)
			}
		}, p.Skip)
	}
	c.endFormat = p.Format()
	c.Stats = *p.Stats()
}

// Chunks' buffers are recycled through small free lists: a 2 GB file is read through a
// few megabytes.
var (
	freeBlocks  = make(chan []byte, 16)
	freeRecords = make(chan []model.Flow, 16)
)

// blockSize is the most raw data a chunk holds: the longest line kept; a longer one is
// counted as malformed and skipped.
const blockSize = 1 << 20

// chunkSize is how much a chunk holds when its lines are short. A quarter of a block:
// the worker then parses what the read has just copied while it is still in the CPU's
// cache (a scan that skips most lines spent a third less CPU than with full blocks).
const chunkSize = 256 << 10

// ReleaseSpareBuffers empties the free lists, so that a collection can return their
// memory (up to 16 blocks of a megabyte and as many record slices): the explorer calls
// it when its heap has been idle, as after a file is read to its end. A source that reads
// again refills them within a few chunks.
func ReleaseSpareBuffers() {
	for {
		select {
		case <-freeBlocks:
		case <-freeRecords:
		default:
			return
		}
	}
}

func recycle(c *Chunk) {
	if cap(c.data) == blockSize {
		select {
		case freeBlocks <- c.data[:0]:
		default:
		}
	}
	if c.Records != nil {
		select {
		case freeRecords <- c.Records[:0]:
		default:
		}
	}
	c.data, c.Records = nil, nil
}

func getBlock() []byte {
	select {
	case b := <-freeBlocks:
		return b
	default:
		return make([]byte, 0, blockSize)
	}
}

func newChunk(input string, f *model.Format, line int64) *Chunk {
	c := &Chunk{Input: input, format: f, line: line}
	select {
	case c.Records = <-freeRecords:
	default:
	}
	return c
}

// cutLine splits off the first line of data (without its newline) and returns the rest.
func cutLine(data []byte) (line, rest []byte) {
	if i := bytes.IndexByte(data, '\n'); i >= 0 {
		return data[:i], data[i+1:]
	}
	return data, nil
}
