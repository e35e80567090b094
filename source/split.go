package source

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	gzip "github.com/klauspost/compress/gzip"

	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/filter"
)

// splitter cuts a stream into chunks of whole lines. It numbers the lines (counting
// newlines, which is fast) so that workers can parse chunks in parallel and still number
// lines as a single reader would; the format a chunk starts in is the last one known
// (see stream), which the sink checks. A line longer than a block is counted as
// malformed and skipped, however long.
type splitter struct {
	input  string
	stream *stream
	line   int64
	carry  []byte // the start of a line whose end has not been read yet
	// discarding is set while skipping the rest of an over-long line
	discarding bool
	longLine   int64
	longStart  []byte
	rejects    *model.Parser
	// live streams (stdin, followed files) hand over lines as soon as they arrive
	// instead of waiting to fill a block.
	live bool
	// follow: the end of the data is not the end of the stream, so a partial last line
	// waits for its newline instead of being taken as the last record.
	follow bool
	// started is set once the stream's first bytes were looked at for a byte-order mark.
	started bool
}

// bom is the UTF-8 byte-order mark some Windows tools put at the start of a text file; an
// S3 header line behind one would not be recognised.
var bom = []byte{0xef, 0xbb, 0xbf}

func newSplitter(input string, f *model.Format) *splitter {
	if f == nil {
		f = model.DefaultFormat
	}
	return &splitter{input: input, stream: newStream(f), rejects: model.NewParser(input, f)}
}

// format is the format the next chunk is taken to start in.
func (s *splitter) format() *model.Format { return s.stream.known.Load() }

// chunk starts the next chunk.
func (s *splitter) chunk() *Chunk {
	c := newChunk(s.input, s.format(), s.line)
	c.stream = s.stream
	return c
}

// read fills one chunk from r. It returns the chunk (nil when there was nothing to hand
// over) and the read error that ended it, if any (io.EOF at the end).
func (s *splitter) read(r io.Reader) (*Chunk, error) {
	c := s.chunk()
	buf := append(getBlock(), s.carry...)
	s.carry = s.carry[:0]
	var err error
	for len(buf) < cap(buf) && err == nil {
		var n int
		n, err = r.Read(buf[len(buf):min(cap(buf), len(buf)+chunkSize)])
		buf = buf[:len(buf)+n]
		if n > 0 && (s.live || len(buf) >= chunkSize) && bytes.IndexByte(buf[len(buf)-n:], '\n') >= 0 {
			break // enough for a chunk; do not wait on a slow stream to fill it
		}
		if n == 0 && err == nil {
			break
		}
	}
	if !s.started && len(buf) >= len(bom) || err != nil && !s.started {
		s.started = true
		if bytes.HasPrefix(buf, bom) {
			buf = append(buf[:0], buf[len(bom):]...)
		}
	}
	if s.discarding {
		i := bytes.IndexByte(buf, '\n')
		if i < 0 {
			c.data = buf[:0]
			return s.finish(c, err)
		}
		s.discarding = false
		s.reject(c, s.longLine, model.ReasonTooLong, fmt.Sprintf("longer than %d bytes", blockSize), s.longStart)
		buf = append(buf[:0], buf[i+1:]...)
	}
	last := bytes.LastIndexByte(buf, '\n')
	switch {
	case last >= 0:
		s.carry = append(s.carry, buf[last+1:]...)
		buf = buf[:last+1]
	case len(buf) == cap(buf):
		// A full block without a newline: the start of an over-long line.
		s.line++
		s.discarding, s.longLine = true, s.line
		s.longStart = append(s.longStart[:0], buf[:min(len(buf), 200)]...)
		buf = buf[:0]
	default:
		s.carry = append(s.carry, buf...)
		buf = buf[:0]
	}
	c.data = buf
	s.scan(buf)
	return s.finish(c, err)
}

// finish deals with the end of the stream: a last line without a newline is a record
// when the stream ended cleanly, and a cut-off one when it did not.
func (s *splitter) finish(c *Chunk, err error) (*Chunk, error) {
	if err == nil || s.follow && err == io.EOF {
		return c, err
	}
	if s.discarding {
		s.discarding = false
		s.reject(c, s.longLine, model.ReasonTooLong, fmt.Sprintf("longer than %d bytes", blockSize), s.longStart)
	}
	if len(s.carry) > 0 {
		if err == io.EOF {
			c.data = append(c.data, s.carry...)
			c.data = append(c.data, '\n')
			s.scan(c.data[len(c.data)-len(s.carry)-1:])
		} else {
			s.line++
			s.reject(c, s.line, model.ReasonTruncated, "the input ended in the middle of this line", s.carry)
		}
		s.carry = s.carry[:0]
	}
	if err != io.EOF {
		c.Err = s.describe(err)
	}
	return c, err
}

// scan counts the lines of a block of whole lines. It reads no line but the stream's
// first: header lines are the workers' to find, but an S3 file starts with one, and
// knowing its format at once saves parsing the file's first chunks twice.
func (s *splitter) scan(data []byte) {
	if s.line == 0 && len(data) > 0 {
		if line, _ := cutLine(data); model.MustParse(line) {
			if f, ok, err := model.ParseHeaderLine(line); ok && err == nil {
				s.stream.known.Store(f)
			}
		}
	}
	s.line += int64(bytes.Count(data, newline))
}

var newline = []byte{'\n'}

func (s *splitter) reject(c *Chunk, line int64, reason model.Reason, detail string, text []byte) {
	s.rejects.Reset(s.input, s.format(), line-1)
	s.rejects.Reject(reason, detail, text)
	c.split.Add(s.rejects.Stats())
}

func (s *splitter) describe(err error) error {
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("%s: the data ends early (a truncated gzip file?): the records before that point were read", s.input)
	case errors.Is(err, gzip.ErrChecksum):
		return fmt.Errorf("%s: gzip checksum mismatch: the file is corrupt; the records before the damage were read", s.input)
	case errors.Is(err, gzip.ErrHeader):
		return fmt.Errorf("%s: bad gzip data after a good member: the records before it were read", s.input)
	}
	return fmt.Errorf("%s: %v", s.input, err)
}

// fileProducer reads inputs one after another.
func fileProducer(inputs []Input, opts Options) producer {
	return func(ctx context.Context, emit func(*Chunk) bool) {
		for idx, in := range inputs {
			prog := Progress{Input: in.Name, Index: idx, Inputs: len(inputs), Total: in.Size}
			o, err := (*opened)(nil), in.Err
			if err == nil {
				o, err = open(in, opts.stdin())
			}
			if err != nil {
				c := newChunk(in.Name, opts.Format, 0)
				c.Err = err
				prog.InputDone = true
				c.Progress = prog
				if !emit(c) {
					return
				}
				continue
			}
			s := newSplitter(in.Name, opts.Format)
			s.live = in.Path == ""
			for {
				if ctx.Err() != nil {
					o.Close()
					return
				}
				c, err := s.read(o.r)
				prog.Read = o.pos.n
				prog.LinesTotal = s.line
				prog.InputDone = err != nil
				c.Progress = prog
				if !emit(c) {
					o.Close()
					return
				}
				if err != nil {
					break
				}
			}
			o.Close()
		}
	}
}

// Options configures reading.
type Options struct {
	Format  *model.Format // nil: the default format until a header line says otherwise
	Workers int           // parsing goroutines; 0: one per CPU
	Stdin   io.Reader     // nil: os.Stdin
	// Needles, when given, let the workers skip unparsed the lines that hold none of
	// them (filter.Filter.Needles: no record such a line holds could match). The
	// Stats count those lines as skipped.
	Needles filter.Needles
}

func (o Options) stdin() io.Reader {
	if o.Stdin != nil {
		return o.Stdin
	}
	return os.Stdin
}

// ReadFiles reads inputs in order, parses them on workers (each applying a stage made by
// newStage, which may be nil) and calls sink with every chunk in input order; sink may
// not keep the chunk's Records after it returns. It returns when everything was read,
// sink returned false, or ctx ended.
func ReadFiles(ctx context.Context, inputs []Input, opts Options, newStage func() Stage, sink func(*Chunk) bool) {
	pipeline(ctx, fileProducer(inputs, opts), opts.Workers, opts.Needles, newStage, sink)
}
