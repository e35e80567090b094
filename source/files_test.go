package source

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flowlens/flowlens/model"
)

// result is what reading produced, in a comparable form.
type result struct {
	records []string
	stats   model.Stats
	errs    []string
	last    Progress
}

func readAll(t *testing.T, inputs []Input, opts Options) result {
	t.Helper()
	var res result
	ReadFiles(context.Background(), inputs, opts, nil, func(c *Chunk) bool {
		for i := range c.Records {
			res.records = append(res.records, string(c.Records[i].AppendRecord(nil)))
		}
		res.stats.Add(&c.Stats)
		if c.Err != nil {
			res.errs = append(res.errs, c.Err.Error())
		}
		res.last = c.Progress
		return true
	})
	return res
}

// sequential parses the same bytes line by line with one parser: what the pipeline must
// reproduce exactly.
func sequential(name string, data []byte) result {
	var res result
	p := model.NewParser(name, nil)
	for _, line := range bytes.SplitAfter(data, []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		var r model.Flow
		if p.Parse(line, &r) == model.LineRecord {
			res.records = append(res.records, string(r.AppendRecord(nil)))
		}
	}
	res.stats = *p.Stats()
	return res
}

// messy makes a few megabytes of records with header lines, blank lines, garbage and
// binary scattered through, so chunk boundaries fall everywhere.
func messy(n int) []byte {
	rng := rand.New(rand.NewSource(1))
	var b bytes.Buffer
	custom := "version srcaddr dstaddr srcport dstport protocol packets bytes start end action tcp-flags flow-direction log-status"
	inCustom := false
	for i := 0; i < n; i++ {
		switch k := rng.Intn(1000); {
		case k < 2:
			if inCustom {
				b.WriteString(model.DefaultFormat.Header() + "\n")
			} else {
				b.WriteString(custom + "\n")
			}
			inCustom = !inCustom
		case k < 4:
			b.WriteString("garbage line here\n")
		case k < 5:
			b.WriteString("\n")
		case k < 6:
			b.WriteString("2 123 eni-1 \x00\x01\x02 bin\n")
		case inCustom:
			fmt.Fprintf(&b, "5 10.0.%d.%d 10.1.0.1 %d 443 6 %d %d 1700000000 1700000060 ACCEPT %d egress OK\n", rng.Intn(256), rng.Intn(256), 1024+rng.Intn(60000), rng.Intn(100), rng.Intn(100000), rng.Intn(20))
		default:
			fmt.Fprintf(&b, "2 123456789010 eni-%05d 10.0.%d.%d 172.31.0.9 %d 22 6 %d %d 1700000000 1700000060 %s OK\n", rng.Intn(50), rng.Intn(256), rng.Intn(256), 1024+rng.Intn(60000), rng.Intn(100), rng.Intn(100000), []string{"ACCEPT", "REJECT"}[rng.Intn(2)])
		}
	}
	return b.Bytes()
}

func write(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func gz(data []byte) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write(data)
	w.Close()
	return b.Bytes()
}

func same(t *testing.T, got, want result) {
	t.Helper()
	if len(got.records) != len(want.records) {
		t.Fatalf("%d records, want %d", len(got.records), len(want.records))
	}
	for i := range want.records {
		if got.records[i] != want.records[i] {
			t.Fatalf("record %d = %q, want %q", i, got.records[i], want.records[i])
		}
	}
	g, w := got.stats, want.stats
	if g.Lines != w.Lines || g.Records != w.Records || g.Headers != w.Headers || g.Blank != w.Blank || g.Malformed != w.Malformed || g.ByReason != w.ByReason {
		t.Fatalf("stats %+v\nwant  %+v", g, w)
	}
	for i := range w.Samples {
		if g.Samples[i].Line != w.Samples[i].Line || g.Samples[i].Reason != w.Samples[i].Reason {
			t.Fatalf("sample %d = %v, want %v", i, g.Samples[i], w.Samples[i])
		}
	}
}

func TestPipelineMatchesSequentialParse(t *testing.T) {
	data := messy(60000) // about 6 MB: several chunks
	dir := t.TempDir()
	plain := write(t, dir, "flows.log", data)
	zipped := write(t, dir, "renamed.txt", gz(data)) // gzip is found by content
	want := sequential("x", data)
	if want.stats.Headers < 50 || want.stats.Malformed < 100 {
		t.Fatalf("the generated input is not messy enough: %+v", want.stats)
	}
	for _, path := range []string{plain, zipped} {
		for _, workers := range []int{1, 2, 4} {
			got := readAll(t, []Input{{Name: path, Path: path}}, Options{Workers: workers})
			same(t, got, want)
			if len(got.errs) != 0 {
				t.Fatalf("errors %v", got.errs)
			}
		}
	}
}

func TestLastLineWithoutNewline(t *testing.T) {
	line := "2 123456789010 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 1 1 ACCEPT OK"
	res := readAll(t, []Input{{Name: StdinName}}, Options{Stdin: strings.NewReader(line + "\n" + line)})
	if len(res.records) != 2 || res.stats.Malformed != 0 {
		t.Fatalf("records %d malformed %d", len(res.records), res.stats.Malformed)
	}
}

func TestTruncatedGzipKeepsWhatWasRead(t *testing.T) {
	data := messy(30000)
	full := gz(data)
	cut := full[:len(full)*2/3]
	path := write(t, t.TempDir(), "cut.log.gz", cut)
	res := readAll(t, []Input{{Name: path, Path: path}}, Options{})
	if len(res.errs) != 1 || !strings.Contains(res.errs[0], "ends early") {
		t.Fatalf("errors %v", res.errs)
	}
	all := sequential("x", data)
	if len(res.records) < len(all.records)/3 || len(res.records) >= len(all.records) {
		t.Fatalf("kept %d of %d records", len(res.records), len(all.records))
	}
	for i, r := range res.records { // what was kept is a prefix of the whole
		if r != all.records[i] {
			t.Fatalf("record %d differs", i)
		}
	}
	if res.stats.ByReason[model.ReasonTruncated] != 1 {
		t.Errorf("the cut-off last line was not counted as truncated: %+v", res.stats)
	}
}

func TestConcatenatedGzipMembers(t *testing.T) {
	a := "srcaddr dstaddr action\n10.0.0.1 10.0.0.2 ACCEPT\n"
	b := "srcaddr dstaddr action\n10.0.0.3 10.0.0.4 REJECT\n"
	path := write(t, t.TempDir(), "cat.gz", append(gz([]byte(a)), gz([]byte(b))...))
	res := readAll(t, []Input{{Name: path, Path: path}}, Options{})
	if len(res.records) != 2 || res.stats.Headers != 2 || len(res.errs) != 0 {
		t.Fatalf("%+v", res)
	}
}

func TestHugeLineIsSkipped(t *testing.T) {
	good := "2 123456789010 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 1 1 ACCEPT OK\n"
	huge := strings.Repeat("A", 3*blockSize+17)
	input := good + huge + "\n" + good + huge // the last one ends the stream, unterminated
	res := readAll(t, []Input{{Name: StdinName}}, Options{Stdin: strings.NewReader(input)})
	if len(res.records) != 2 || res.stats.ByReason[model.ReasonTooLong] != 2 || res.stats.Lines != 4 {
		t.Fatalf("records %d stats %+v", len(res.records), res.stats)
	}
	if s := res.stats.Samples[0]; s.Line != 2 || len(s.Text) > 200 {
		t.Errorf("sample %+v", s)
	}
}

func TestDirectoryAndErrors(t *testing.T) {
	dir := t.TempDir()
	line := "2 123456789010 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 1 1 ACCEPT OK\n"
	write(t, dir, "b/2.log", []byte(line))
	write(t, dir, "a/1.log.gz", gz([]byte(line+line)))
	write(t, dir, ".hidden/skip.log", []byte("should not be read\n"))
	write(t, dir, "a/.DS_Store", []byte("\x00\x00\x00\x01Bud1"))
	inputs, err := Expand([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	if len(inputs) != 2 || !strings.HasSuffix(inputs[0].Path, "a/1.log.gz") || !strings.HasSuffix(inputs[1].Path, "b/2.log") {
		t.Fatalf("inputs %+v", inputs)
	}
	res := readAll(t, inputs, Options{})
	if len(res.records) != 3 || !res.last.InputDone || res.last.Index != 1 || res.last.Inputs != 2 {
		t.Fatalf("%+v", res)
	}

	if _, err := Expand([]string{filepath.Join(dir, "nope.log")}); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("missing file: %v", err)
	}
	empty := t.TempDir()
	if _, err := Expand([]string{empty}); err == nil || !strings.Contains(err.Error(), "holds no files") {
		t.Errorf("empty dir: %v", err)
	}
	pq := write(t, dir, "x.parquet", []byte("PAR1\x15\x04"))
	res = readAll(t, []Input{{Name: pq, Path: pq}}, Options{})
	if len(res.errs) != 1 || !strings.Contains(res.errs[0], "Parquet") {
		t.Errorf("parquet: %v", res.errs)
	}
}

func TestFormatOptionAndBinaryInput(t *testing.T) {
	f := model.MustParseFormat("${srcaddr} ${dstaddr} ${action}")
	in := "10.0.0.1 10.0.0.2 REJECT\n\x7fELF\x02\x01\x01\x00\x00\x00\n10.0.0.3 10.0.0.4 ACCEPT\n"
	res := readAll(t, []Input{{Name: StdinName}}, Options{Format: f, Stdin: strings.NewReader(in)})
	if len(res.records) != 2 || res.stats.ByReason[model.ReasonControl] != 1 {
		t.Fatalf("%+v", res)
	}
}

func TestSinkCanStop(t *testing.T) {
	data := messy(40000)
	path := write(t, t.TempDir(), "f.log", data)
	chunks := 0
	ReadFiles(context.Background(), []Input{{Name: path, Path: path}}, Options{}, nil, func(c *Chunk) bool {
		chunks++
		return false
	})
	if chunks != 1 {
		t.Fatalf("sink called %d times after asking to stop", chunks)
	}
}

// A panic while a chunk is parsed or staged becomes that chunk's error: the reading goes
// on, and the explorer keeps its terminal.
func TestPanicInAStageIsReported(t *testing.T) {
	var b strings.Builder
	for i := 0; i < 3; i++ {
		b.WriteString("2 123456789010 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 1 1 ACCEPT OK\n")
	}
	var errs []string
	ReadFiles(context.Background(), []Input{{Name: StdinName}}, Options{Stdin: strings.NewReader(b.String())},
		func() Stage {
			return func(c *Chunk) {
				if len(c.Records) > 0 {
					panic("boom")
				}
			}
		},
		func(c *Chunk) bool {
			if c.Err != nil {
				errs = append(errs, c.Err.Error())
			}
			return true
		})
	if len(errs) != 1 || !strings.Contains(errs[0], "internal error, please report it: boom") {
		t.Fatalf("errors %v", errs)
	}
}

// A missing file among several is reported, and the others are read; a link to a file
// in a directory is read.
func TestMissingInputAmongOthersAndLinks(t *testing.T) {
	dir := t.TempDir()
	line := "2 123456789010 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 1 1 ACCEPT OK\n"
	real := write(t, dir, "real/a.log", []byte(line+line))
	if err := os.Symlink(real, filepath.Join(dir, "real", "b.log")); err != nil {
		t.Fatal(err)
	}
	inputs, err := Expand([]string{filepath.Join(dir, "real"), filepath.Join(dir, "nope.log")})
	if err != nil || len(inputs) != 3 || inputs[2].Err == nil {
		t.Fatalf("inputs %+v, err %v", inputs, err)
	}
	res := readAll(t, inputs, Options{})
	if len(res.records) != 4 || len(res.errs) != 1 || !strings.Contains(res.errs[0], "nope.log: no such file") {
		t.Fatalf("records %d, errors %v", len(res.records), res.errs)
	}
}

// A byte-order mark before an S3 header line does not hide the header.
func TestByteOrderMark(t *testing.T) {
	in := "\xef\xbb\xbfsrcaddr dstaddr action\n10.0.0.1 10.0.0.2 REJECT\n"
	res := readAll(t, []Input{{Name: StdinName}}, Options{Stdin: strings.NewReader(in)})
	if len(res.records) != 1 || res.stats.Headers != 1 || res.stats.Malformed != 0 {
		t.Fatalf("%+v", res)
	}
}

// TestReleaseSpareBuffers: the free lists hold what chunks gave back until the explorer,
// idle, asks for it to be let go; then they hold nothing for the collector to keep.
func TestReleaseSpareBuffers(t *testing.T) {
	ReleaseSpareBuffers()
	for range 3 {
		recycle(&Chunk{data: make([]byte, 0, blockSize), Records: make([]model.Flow, 0, 8)})
	}
	if len(freeBlocks) != 3 || len(freeRecords) != 3 {
		t.Fatalf("recycled: %d blocks, %d record slices kept", len(freeBlocks), len(freeRecords))
	}
	ReleaseSpareBuffers()
	if len(freeBlocks) != 0 || len(freeRecords) != 0 {
		t.Fatalf("released: %d blocks, %d record slices still kept", len(freeBlocks), len(freeRecords))
	}
}
