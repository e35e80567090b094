package source

import (
	"bytes"
	"context"
	"fmt"
	"runtime"
	"sync"

	"github.com/flowlens/flowlens/feed"
	"github.com/flowlens/flowlens/model"
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
	// Out and Matched are scratch for a stage: the print command filters and formats on
	// the worker goroutines and writes Out in order.
	Out     []byte
	Matched int64

	data      []byte        // the raw lines
	format    *model.Format // in effect at the first line
	endFormat *model.Format // in effect after the last line
	line      int64         // number of the line before the first
	ready     chan struct{}
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
// sink returns false, or when ctx ends.
func pipeline(ctx context.Context, produce producer, workers int, newStage func() Stage, sink func(*Chunk) bool) {
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
			p := model.NewParser("", nil)
			var stage Stage
			if newStage != nil {
				stage = newStage()
			}
			for c := range jobs {
				func() {
					defer ReportPanic(func(err error) {
						c.Err = fmt.Errorf("%s: %w", c.Input, err)
						p = model.NewParser("", nil) // its state is unknown after a panic
					})
					parseChunk(p, c)
					if stage != nil {
						stage(c)
					}
				}()
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
		if !sink(c) {
			cancel()
			return
		}
		recycle(c)
	}
	wg.Wait()
}

func parseChunk(p *model.Parser, c *Chunk) {
	if len(c.data) == 0 {
		return
	}
	p.Reset(c.Input, c.format, c.line)
	if c.Records == nil {
		c.Records = make([]model.Flow, 0, len(c.data)/100+16)
	}
	data := c.data
	var r model.Flow
	for len(data) > 0 {
		var line []byte
		line, data = cutLine(data)
		if p.Parse(line, &r) == model.LineRecord {
			c.Records = append(c.Records, r)
		}
	}
	c.endFormat = p.Format()
	st := p.Stats()
	st.Add(&c.Stats) // lines the producer rejected (too long, truncated) come after
	c.Stats = *st
}

// Chunks' buffers are recycled through small free lists: a 2 GB file is read through a
// few megabytes.
var (
	freeBlocks  = make(chan []byte, 16)
	freeRecords = make(chan []model.Flow, 16)
)

// blockSize is the size of a chunk's raw data. It is also the longest line kept: a
// longer one is counted as malformed and skipped.
const blockSize = 1 << 20

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
