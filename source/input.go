// Package source owns the producers of records: files and directories (plain, gzip or
// Parquet), stdin, followed files, CloudWatch Logs and the bundled demo. Each reads lines, learns
// the format, parses records with model.Parser and hands them on in chunks; none of them
// renders anything.
package source

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	gzip "github.com/klauspost/compress/gzip"

	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/source/parquetlog"
)

// Input is one stream of lines: a file or stdin.
type Input struct {
	// Name is as shown to the user (cleaned: a file name can hold escape sequences);
	// "stdin" for standard input.
	Name string
	Path string // "" for stdin
	Size int64  // bytes on disk, 0 when unknown
	// Err is why the input cannot be read (a missing file among several): reading it
	// reports the error, and the other inputs are read all the same.
	Err error
}

// StdinName is how standard input is named in messages.
const StdinName = "stdin"

// Expand turns command-line arguments into inputs: files as they are, directories read
// recursively in name order (hidden files and folders skipped, as a download from S3
// brings none and editors leave some; links to files followed), "-" for stdin. No
// arguments means stdin. An argument that cannot be read becomes an input with Err set,
// so the others are still read; when none can be read, Expand returns the first error.
func Expand(args []string) ([]Input, error) {
	inputs := expand(args)
	for _, in := range inputs {
		if in.Err == nil {
			return inputs, nil
		}
	}
	return nil, inputs[0].Err
}

func expand(args []string) []Input {
	if len(args) == 0 {
		return []Input{{Name: StdinName}}
	}
	var out []Input
	for _, a := range args {
		if a == "-" {
			out = append(out, Input{Name: StdinName})
			continue
		}
		name := model.CleanText(a)
		st, err := os.Stat(a)
		if err != nil {
			out = append(out, Input{Name: name, Path: a, Err: fmt.Errorf("cannot read %s: %w", name, describeOSError(err))})
			continue
		}
		if !st.IsDir() {
			out = append(out, Input{Name: name, Path: a, Size: st.Size()})
			continue
		}
		var files []Input
		err = filepath.WalkDir(a, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if path != a && strings.HasPrefix(d.Name(), ".") {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			if d.Type()&fs.ModeSymlink != 0 {
				// A link to a file is read (S3 downloads get linked into place); a link
				// to a directory is not followed, which keeps loops out.
				if info, err = os.Stat(path); err != nil || !info.Mode().IsRegular() {
					return nil
				}
			} else if !d.Type().IsRegular() {
				return nil
			}
			files = append(files, Input{Name: model.CleanText(path), Path: path, Size: info.Size()})
			return nil
		})
		if err != nil {
			out = append(out, Input{Name: name, Path: a, Err: fmt.Errorf("cannot read directory %s: %w", name, describeOSError(err))})
			continue
		}
		sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
		if len(files) == 0 {
			out = append(out, Input{Name: name, Path: a, Err: fmt.Errorf("directory %s holds no files", name)})
			continue
		}
		out = append(out, files...)
	}
	return out
}

// describeOSError says what went wrong without the path, which the message around it
// names already (cleaned).
func describeOSError(err error) error {
	var pe *fs.PathError
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return errors.New("no such file or directory")
	case errors.Is(err, fs.ErrPermission):
		return errors.New("permission denied")
	case errors.As(err, &pe):
		return pe.Err
	}
	return err
}

// opened is an input ready to read: the decompressed stream and a way to tell how far
// into the file (compressed bytes) the reading has come, for progress bars.
type opened struct {
	r      io.Reader
	pos    *countingReader
	closer io.Closer
	gzip   bool
}

var gzipMagic = []byte{0x1f, 0x8b}

// open opens an input and looks at its first bytes, not its name, to decide whether it
// is gzip: S3 downloads get renamed, and stdin has no name.
func open(in Input, stdin io.Reader) (*opened, error) {
	var raw io.Reader
	var closer io.Closer = io.NopCloser(nil)
	if in.Path == "" {
		raw = stdin
	} else {
		f, err := os.Open(in.Path)
		if err != nil {
			return nil, fmt.Errorf("cannot open %s: %w", in.Name, describeOSError(err))
		}
		raw, closer = f, f
	}
	return decode(in.Name, raw, closer, func(pos *countingReader) (*opened, error) {
		return openParquet(in, raw, pos, closer)
	})
}

// decode looks at the first bytes of a stream of bytes and reads it as what they say:
// gzip, plain text, or (through parquet, which gets random access its own way) Parquet.
func decode(name string, raw io.Reader, closer io.Closer, parquet func(pos *countingReader) (*opened, error)) (*opened, error) {
	pos := &countingReader{r: raw}
	br := bufio.NewReaderSize(pos, 256<<10)
	head, _ := br.Peek(4)
	switch {
	case bytes.HasPrefix(head, gzipMagic):
		gz, err := gzip.NewReader(br)
		if err != nil {
			closer.Close()
			return nil, fmt.Errorf("%s: not a readable gzip file: %v", name, err)
		}
		return &opened{r: gz, pos: pos, closer: closer, gzip: true}, nil
	case bytes.Equal(head, parquetlog.Magic):
		return parquet(pos)
	}
	return &opened{r: br, pos: pos, closer: closer}, nil
}

func (o *opened) Close() error { return o.closer.Close() }

// openParquet reads a Parquet flow log as the text of its records. Parquet keeps its
// schema at the end of the file, so it needs random access: a file, not a pipe.
func openParquet(in Input, raw io.Reader, pos *countingReader, closer io.Closer) (*opened, error) {
	f, ok := raw.(*os.File)
	var info os.FileInfo
	var err error
	if ok {
		info, err = f.Stat()
	}
	if !ok || err != nil || !info.Mode().IsRegular() {
		closer.Close()
		return nil, fmt.Errorf("%s is a Parquet file, which can only be read from a file or S3 (its schema is at its end): save it to a file first", in.Name)
	}
	r, err := parquetlog.NewReader(countingReaderAt{f, pos, info.Size()}, info.Size())
	if err != nil {
		closer.Close()
		return nil, fmt.Errorf("%s: %v", in.Name, err)
	}
	return &opened{r: r, pos: pos, closer: multiCloser{r, closer}}, nil
}

// countingReaderAt counts the bytes read at any offset into a countingReader, so that
// the progress of a Parquet file is measured like that of any other. Parquet reads its
// footer twice, so the count stops at the file's size.
type countingReaderAt struct {
	ra   io.ReaderAt
	c    *countingReader
	size int64
}

func (c countingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	n, err := c.ra.ReadAt(p, off)
	c.c.n = min(c.c.n+int64(n), c.size)
	return n, err
}

type multiCloser []io.Closer

func (m multiCloser) Close() error {
	var first error
	for _, c := range m {
		if err := c.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
