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
	// explicit: the format was given (--format), so a line that does not fit it is
	// malformed rather than a reason to infer another.
	explicit bool
	// checked is set once the first line that is not blank was looked at: a header line,
	// or a record whose field count decides whether the format must be inferred.
	checked bool
	// inferred, note and layout carry an inference over to the chunk that holds its
	// line.
	inferred *model.Format
	note     string
	layout   string
}

// bom is the UTF-8 byte-order mark some Windows tools put at the start of a text file; an
// S3 header line behind one would not be recognised.
var bom = []byte{0xef, 0xbb, 0xbf}

func newSplitter(input string, f *model.Format) *splitter {
	explicit := f != nil
	if f == nil {
		f = model.DefaultFormat
	}
	return &splitter{input: input, stream: newStream(f), rejects: model.NewParser(input, f), explicit: explicit}
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
	s.takeInference(c)
	return s.finish(c, err)
}

// takeInference hands an inference made while scanning c's lines over to c. The
// inferred line is the stream's first that is not blank, so it is in c and no record
// line comes before it: the whole chunk is read in the inferred format, and the sink
// takes the chunk's format as given instead of checking it against the chunk before.
func (s *splitter) takeInference(c *Chunk) {
	if s.inferred != nil {
		c.format, c.formatGiven, s.inferred = s.inferred, true, nil
	}
	if s.note != "" {
		c.Note, s.note = s.note, ""
		c.Inferred, s.layout = s.layout, ""
	}
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
			s.takeInference(c)
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
// first that is not blank: header lines are the workers' to find, but an S3 file starts
// with one, and knowing its format at once saves parsing the file's first chunks twice;
// and a file without one may be of another of AWS's layouts, to be inferred (check).
func (s *splitter) scan(data []byte) {
	for rest, n := data, int64(0); !s.checked && len(rest) > 0; {
		var line []byte
		line, rest = cutLine(rest)
		n++
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		s.checked = true
		if model.MustParse(line) {
			if f, ok, err := model.ParseHeaderLine(line); ok {
				if err == nil {
					s.stream.known.Store(f)
				}
				break
			}
		}
		s.check(line, s.line+n)
	}
	s.line += int64(bytes.Count(data, newline))
}

// check looks at the stream's first record line. Without --format and without a header
// line, a line whose field count is not the format's is probably a header-less file of
// another of AWS's layouts (a v5 file copied out of a console): its format is inferred,
// and the chunk says so. When nothing fits, the note says what --format to pass.
func (s *splitter) check(line []byte, number int64) {
	n := len(bytes.Fields(line))
	if s.explicit || n == len(s.format().Fields) {
		return
	}
	l, err := model.InferFormat(line)
	if err != nil {
		s.note = fmt.Sprintf("%s:%d: %v", s.input, number, err)
		return
	}
	s.inferred, s.layout = l.Format, l.Name
	s.stream.known.Store(l.Format)
	s.note = fmt.Sprintf("%s has no header line; its %d fields are read as %s", s.input, n, l.Name)
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
