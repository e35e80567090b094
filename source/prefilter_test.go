package source

import (
	"bytes"
	"context"
	"fmt"
	"math/rand"
	"strings"
	"testing"

	"github.com/flowlens/flowlens/internal/sim"
	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/filter"
)

// scanned is messy input with what a prefilter must get right: the action in every
// case, the needle in garbage and in other columns, CRLF line ends, header lines
// indented or written with ${...}, and headers that switch to formats that lack the
// action or start with a string column.
func scanned(n int) []byte {
	rng := rand.New(rand.NewSource(7))
	var b bytes.Buffer
	headers := []string{
		model.DefaultFormat.Header(),
		"  version srcaddr dstaddr srcport dstport protocol packets bytes start end action tcp-flags flow-direction log-status",
		"${interface-id} ${srcaddr} ${dstaddr} ${action} ${log-status}",
		"\tversion srcaddr dstaddr protocol log-status",
		"end start srcaddr dstaddr action",
	}
	format := 0
	for i := 0; i < n; i++ {
		action := []string{"ACCEPT", "ACCEPT", "ACCEPT", "REJECT", "reject", "Reject", "accept"}[rng.Intn(7)]
		switch k := rng.Intn(2000); {
		case k < 3:
			format = rng.Intn(len(headers))
			b.WriteString(headers[format] + "\n")
			continue
		case k < 6:
			b.WriteString("garbage REJECT line\n")
			continue
		case k < 8:
			b.WriteString("\n")
			continue
		case k < 9:
			b.WriteString("  \t \n")
			continue
		}
		end := "\n"
		if rng.Intn(50) == 0 {
			end = "\r\n"
		}
		switch format {
		case 0:
			fmt.Fprintf(&b, "2 123456789010 eni-%05d 10.0.%d.%d 172.31.0.9 %d 22 6 %d %d 1700000000 1700000060 %s OK%s", rng.Intn(50), rng.Intn(256), rng.Intn(256), 1024+rng.Intn(60000), rng.Intn(100), rng.Intn(100000), action, end)
		case 1:
			fmt.Fprintf(&b, "5 10.0.%d.%d 10.1.0.1 %d 443 6 %d %d 1700000000 1700000060 %s %d egress OK%s", rng.Intn(256), rng.Intn(256), 1024+rng.Intn(60000), rng.Intn(100), rng.Intn(100000), action, rng.Intn(20), end)
		case 2:
			fmt.Fprintf(&b, "eni-rejected%d 10.0.0.%d 10.1.0.1 %s OK%s", rng.Intn(9), rng.Intn(256), action, end)
		case 3:
			fmt.Fprintf(&b, "5 10.0.0.%d 10.1.0.1 6 OK%s", rng.Intn(256), end)
		case 4:
			fmt.Fprintf(&b, "1700000060 1700000000 10.0.0.%d 10.1.0.1 %s%s", rng.Intn(256), action, end)
		}
	}
	return b.Bytes()
}

// TestPrefilterMatchesFullParse: skipping the lines without the needle changes no
// answer. The records the filter keeps are those a full parse keeps, in order; every
// line is counted, as a record, a header, a blank, malformed or skipped; and the
// malformed lines reported are numbered as in the file.
func TestPrefilterMatchesFullParse(t *testing.T) {
	data := scanned(40000)
	dir := t.TempDir()
	plain := write(t, dir, "flows.log", data)
	zipped := write(t, dir, "flows.log.gz", gz(data))
	lines := strings.Split(string(data), "\n")
	for _, expr := range []string{"action=REJECT", "reject and srcaddr=10.0.0.0/24", "reject or egress", "eni=eni-rejected3"} {
		flt := filter.MustCompile(expr)
		if flt.Needles().None() {
			t.Fatalf("%q has no needle", expr)
		}
		full := sequential("x", data)
		var want []string
		p := model.NewParser("x", nil)
		for _, line := range bytes.SplitAfter(data, []byte("\n")) {
			var r model.Flow
			if len(line) > 0 && p.Parse(line, &r) == model.LineRecord && flt.Match(&r) {
				want = append(want, string(r.AppendRecord(nil)))
			}
		}
		for _, path := range []string{plain, zipped} {
			for _, workers := range []int{1, 3} {
				got := readMatching(t, path, flt, workers)
				if len(got.records) != len(want) || len(want) == 0 {
					t.Fatalf("%q, %d workers: %d records matched, want %d", expr, workers, len(got.records), len(want))
				}
				for i := range want {
					if got.records[i] != want[i] {
						t.Fatalf("%q: record %d = %q, want %q", expr, i, got.records[i], want[i])
					}
				}
				st := got.stats
				if st.Lines != full.stats.Lines || st.Skipped == 0 || st.Headers != full.stats.Headers || st.Blank != full.stats.Blank {
					t.Fatalf("%q: lines %d skipped %d headers %d blank %d, want lines %d headers %d blank %d",
						expr, st.Lines, st.Skipped, st.Headers, st.Blank, full.stats.Lines, full.stats.Headers, full.stats.Blank)
				}
				if sum := st.Records + st.Headers + st.Blank + st.Malformed + st.Skipped; sum != st.Lines {
					t.Fatalf("%q: %d lines counted as %d", expr, st.Lines, sum)
				}
				if st.Malformed > full.stats.Malformed || expr == "action=REJECT" && st.Malformed == 0 {
					t.Fatalf("%q: %d malformed of %d", expr, st.Malformed, full.stats.Malformed)
				}
				for _, m := range st.Samples {
					if l := strings.TrimRight(lines[m.Line-1], "\r"); !strings.HasPrefix(l, strings.TrimSuffix(m.Text, "…")) {
						t.Fatalf("%q: sample numbered %d says %q, the line is %q", expr, m.Line, m.Text, l)
					}
				}
			}
		}
	}
}

// readMatching reads a file with the filter's needles and keeps the records it matches,
// as print does.
func readMatching(t *testing.T, path string, flt *filter.Filter, workers int) result {
	t.Helper()
	var res result
	opts := Options{Workers: workers, Needles: flt.Needles()}
	ReadFiles(context.Background(), []Input{{Name: path, Path: path}}, opts, nil, func(c *Chunk) bool {
		for i := range c.Records {
			if flt.Match(&c.Records[i]) {
				res.records = append(res.records, string(c.Records[i].AppendRecord(nil)))
			}
		}
		res.stats.Add(&c.Stats)
		if c.Err != nil {
			t.Errorf("error %v", c.Err)
		}
		return true
	})
	return res
}

func TestFinder(t *testing.T) {
	pf := newPrefilter(filter.Needles{Any: []string{"reject", "egre"}})
	if pf == nil {
		t.Fatal("no prefilter for rare needles")
	}
	data := []byte("REJ REJECTED rEjEcT xEgReSs\nJJ rejec\nreject")
	for _, tc := range []struct{ from, want int }{{0, 4}, {4, 4}, {5, 13}, {13, 13}, {14, 21}, {21, 21}, {22, len(data) - 6}, {len(data) - 6, len(data) - 6}, {len(data) - 5, len(data)}} {
		for i := range pf.finders {
			pf.finders[i].reset()
		}
		if got := pf.next(data, tc.from); got != tc.want {
			t.Errorf("next(%d) = %d, want %d", tc.from, got, tc.want)
		}
	}
	// The search is not restarted for every line: moving forward reuses what was found.
	for i := range pf.finders {
		pf.finders[i].reset()
	}
	var starts []int
	for at := pf.next(data, 0); at < len(data); at = pf.next(data, at+1) {
		starts = append(starts, at)
	}
	if fmt.Sprint(starts) != fmt.Sprint([]int{4, 13, 21, len(data) - 6}) {
		t.Errorf("matches at %v", starts)
	}
	if newPrefilter(filter.Needles{Any: []string{"22"}}) != nil {
		t.Error("a needle of digits, in every line, was used")
	}
	if newPrefilter(filter.Needles{}) != nil {
		t.Error("a prefilter without needles")
	}
}

// TestPrefilterGivesUpOnCommonNeedles: when the needle turns out to be in many lines,
// the rest of the chunk is parsed whole rather than searched line by line.
func TestPrefilterGivesUpOnCommonNeedles(t *testing.T) {
	var b bytes.Buffer
	for i := 0; i < 10000; i++ {
		action := "ACCEPT"
		if i%3 == 0 {
			action = "REJECT"
		}
		fmt.Fprintf(&b, "2 123456789010 eni-1 10.0.0.1 10.0.0.2 1 22 6 1 40 1700000000 1700000060 %s OK\n", action)
	}
	pf := newPrefilter(filter.MustCompile("reject").Needles())
	parsed, skipped := 0, 0
	pf.scan(b.Bytes(), func([]byte) { parsed++ }, func(n int) { skipped += n })
	if parsed+skipped != 10000 || skipped == 0 || skipped >= sparseLines {
		t.Errorf("parsed %d skipped %d: want the lines after the first %d parsed whole", parsed, skipped, sparseLines)
	}
}

// TestFileAndStreamAgree: a file is cut into full blocks, a stream (stdin) into
// whatever has arrived; the two must agree on every record, count and line number,
// wherever the chunks' edges fall: on a newline, just before or after one, inside a line
// longer than a block, at the end of a file without a final newline, after a
// byte-order mark.
func TestFileAndStreamAgree(t *testing.T) {
	const rangeSize = blockSize / 2
	line := func(i int) string {
		return fmt.Sprintf("2 123456789010 eni-%d 10.0.0.1 10.0.0.2 %d 22 6 1 40 1700000000 1700000060 REJECT OK\n", i%7, 1000+i)
	}
	fill := func(size int) []byte {
		var b bytes.Buffer
		for i := 0; b.Len() < size; i++ {
			b.WriteString(line(i))
		}
		return b.Bytes()[:size]
	}
	huge := bytes.Repeat([]byte("x"), blockSize+10)
	cases := map[string][]byte{
		"empty":              nil,
		"one newline":        []byte("\n"),
		"no final newline":   []byte(strings.TrimSuffix(line(1), "\n")),
		"one range":          fill(rangeSize),
		"a range and a byte": fill(rangeSize + 1),
		"a byte short":       fill(2*rangeSize - 1),
		"several ranges":     fill(5*rangeSize + 77),
		"huge line inside":   append(append(fill(rangeSize+5), append(huge, '\n')...), fill(3*rangeSize)...),
		"huge line at end":   append(fill(rangeSize-3), huge...),
		"bom and header":     append(append(append([]byte{}, bom...), model.DefaultFormat.Header()+"\n"...), fill(2*rangeSize)...),
		"a line of a block":  []byte(line(0) + strings.Repeat("x", blockSize) + "\n" + line(1)),
		"a byte shorter":     []byte(line(0) + strings.Repeat("x", blockSize-1) + "\n" + line(1)),
	}
	// Newlines on the last byte of a range and on the first of the next: lines cut to
	// end there.
	for off := 0; off <= 1; off++ {
		var edges bytes.Buffer
		for edges.Len() < 4*rangeSize {
			next := (edges.Len()/rangeSize + 1) * rangeSize
			l := line(edges.Len())
			if gap := next - edges.Len(); gap < len(l)-off && gap > 40 {
				l = l[:gap-1+off] + "\n"
			}
			edges.WriteString(l)
		}
		cases[fmt.Sprintf("newlines on the edges %d", off)] = edges.Bytes()
	}
	dir := t.TempDir()
	for name, data := range cases {
		path := write(t, dir, strings.ReplaceAll(name, " ", "-")+".log", data)
		for _, workers := range []int{1, 3} {
			for _, expr := range []string{"", "reject"} {
				flt := filter.MustCompile(expr)
				stream := readAllWith(t, []Input{{Name: path}}, Options{Workers: workers, Stdin: bytes.NewReader(data), Needles: flt.Needles()}, flt)
				file := readAllWith(t, []Input{{Name: path, Path: path}}, Options{Workers: workers, Needles: flt.Needles()}, flt)
				if fmt.Sprint(file.records) != fmt.Sprint(stream.records) {
					t.Fatalf("%s: %d records from the file, %d from the stream", name, len(file.records), len(stream.records))
				}
				g, w := file.stats, stream.stats
				if g.Lines != w.Lines || g.Headers != w.Headers || g.Records+g.Headers+g.Blank+g.Malformed+g.Skipped != g.Lines {
					t.Fatalf("%s: file %+v\nstream %+v", name, g, w)
				}
				// Which lines without the needle get parsed anyway depends on where
				// chunks begin (a chunk where the needle is common is parsed whole):
				// without needles, everything must agree.
				if expr == "" && (g.Records != w.Records || g.Malformed != w.Malformed || g.ByReason != w.ByReason || g.Skipped != 0) {
					t.Fatalf("%s: file %+v\nstream %+v", name, g, w)
				}
				for i, m := range g.Samples {
					if expr == "" && (m.Line != w.Samples[i].Line || m.Text != w.Samples[i].Text) {
						t.Fatalf("%s: sample %v, want %v", name, m, w.Samples[i])
					}
					if l := strings.Split(string(bytes.TrimPrefix(data, bom)), "\n")[m.Line-1]; !strings.HasPrefix(l, strings.TrimSuffix(m.Text, "…")) {
						t.Fatalf("%s: sample %v is not line %d: %.60q", name, m, m.Line, l)
					}
				}
				if file.last.LinesTotal != w.Lines || !file.last.InputDone {
					t.Fatalf("%s: last progress %+v, %d lines", name, file.last, w.Lines)
				}
			}
		}
	}
}

// readAllWith is readAll keeping the records flt matches.
func readAllWith(t *testing.T, inputs []Input, opts Options, flt *filter.Filter) result {
	t.Helper()
	var res result
	ReadFiles(context.Background(), inputs, opts, nil, func(c *Chunk) bool {
		for i := range c.Records {
			if flt.All() || flt.Match(&c.Records[i]) {
				res.records = append(res.records, string(c.Records[i].AppendRecord(nil)))
			}
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

// BenchmarkScan measures the workers' side of `print --count --filter action=REJECT`
// over the realistic scenario's default-format text, in chunks as the splitter cuts
// them: the lines without the needle skipped, against every line parsed.
func BenchmarkScan(b *testing.B) {
	var text bytes.Buffer
	if err := sim.Realistic(1).WriteText(&text, model.DefaultFormat, 300_000, false); err != nil {
		b.Fatal(err)
	}
	data := text.Bytes()
	lines := bytes.Count(data, []byte{'\n'})
	for _, bc := range []struct {
		name    string
		needles filter.Needles
	}{{"prefiltered", filter.MustCompile("action=REJECT").Needles()}, {"parsed", filter.Needles{}}} {
		b.Run(bc.name, func(b *testing.B) {
			w := newChunkParser(bc.needles, nil)
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				for rest := data; len(rest) > 0; {
					n := min(len(rest), chunkSize)
					if i := bytes.LastIndexByte(rest[:n], '\n'); i >= 0 {
						n = i + 1
					}
					c := &Chunk{data: rest[:n], format: model.DefaultFormat}
					w.parse(c)
					rest = rest[n:]
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*lines), "ns/line")
		})
	}
}
