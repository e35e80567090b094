package pairs

import (
	"cmp"
	"encoding/csv"
	"fmt"
	"io"
	"net/netip"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/output"
	"github.com/flowlens/flowlens/model/rules"
)

// WriteOptions say what Batch.Write writes.
type WriteOptions struct {
	Kind  string     // text, jsonl or csv (NewWriter's kinds)
	Rules *rules.Set // nil: the records alone
	// NewMatch makes the filter of the pairs to write (CompileFilter with the batch's
	// Newest); nil writes every pair. It is called once per worker, as a compiled
	// filter keeps caches.
	NewMatch func() func(*Pair, *Judgement) bool
	Workers  int // 0: one per CPU
	// Named writes what NewNamedWriter writes: the names (the JSON keys and CSV columns
	// of NameColumns, names beside the cells of the text table), from Names, which may
	// be nil: the keys and columns are there all the same; and each pair's other end
	// and the joint verdict (the keys peer, joint-verdict and joint-explanation, the
	// LinkColumns, a note in the text table), as Index.Link finds them.
	Named bool
	Names Namer
}

// Summary is what Batch.Write judged.
type Summary struct {
	Pairs    int             // conversations in the batch
	Shown    int             // of them, those the filter kept
	Verdicts map[Verdict]int // the verdicts of those shown
}

// Write writes the conversations as NewWriter's writers would, sorted as Ordered sorts
// them: classified (in parallel) to filter and sort, then judged in full and formatted
// on every CPU, and written in order. Memory holds the batch, a 32-byte sort entry per
// pair written and the output of a few blocks in flight; no judgement outlives its row.
func (b *Batch) Write(w io.Writer, o WriteOptions) (Summary, error) {
	switch o.Kind {
	case "", "text", "jsonl", "json", "csv":
	default:
		return Summary{}, fmt.Errorf("unknown output %q: want text, jsonl or csv", o.Kind)
	}
	text := o.Kind == "" || o.Kind == "text"
	workers := o.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	b.finish(workers)
	ranks := b.interfaceRanks()

	// Classify every pair: the filter, the sort key and, for text, the widths of the
	// columns, which depend only on the classification. Each conversation's entry has
	// its place, so the workers need no growing slices. Linking needs every pair's
	// classification (a pair's peer may be filtered out), so a filter, which may ask
	// for the joint verdict, then waits for a second pass after the links are made.
	linked := o.Named
	var class []classCode
	if linked {
		class = make([]classCode, b.n)
	}
	entries := make([]sortEntry, b.n)
	const dropped = ^uint32(0)
	widths := make([][len(textWidthColumns)]int, workers)
	var peers []uint32
	pass := func(second bool) {
		var next atomic.Int64
		var wg sync.WaitGroup
		const block = 4096
		for wi := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				j := b.newJudger(&o, class)
				var match func(*Pair, *Judgement) bool
				if o.NewMatch != nil && (second || !linked) {
					match = o.NewMatch()
				}
				var scratch []byte
				for {
					lo := int(next.Add(block)) - block
					if lo >= b.n {
						return
					}
					for n := lo; n < min(lo+block, b.n); n++ {
						var dec decided
						if second {
							dec = decided{class[n].direction(), true}
						}
						p, jd := j.judge(uint32(n), depthVerdict, &dec)
						if !second && linked {
							class[n] = classCodeOf(jd, dec.dir.decision())
							if o.NewMatch != nil {
								continue // filtered in the second pass
							}
						}
						if match != nil {
							if linked {
								jd.JointVerdict = j.jointVerdictOf(p, jd, peers[n])
							}
							if !match(p, jd) {
								entries[n].n = dropped
								continue
							}
						}
						entries[n] = b.sortEntryOf(uint32(n), p, jd, dec.dir.decision(), ranks)
						if text {
							var ends [textCells]int
							scratch = j.appendTextCells(scratch[:0], p, jd, &ends, false)
							for i := range widths[wi] {
								widths[wi][i] = max(widths[wi][i], utf8.RuneCount(cell(scratch, &ends, i)))
							}
						}
					}
				}
			}()
		}
		wg.Wait()
	}
	pass(false)
	if linked {
		peers = b.link(class, o.Rules, workers)
		if o.NewMatch != nil {
			pass(true)
		}
	}
	if o.NewMatch != nil {
		kept := entries[:0]
		for _, e := range entries {
			if e.n != dropped {
				kept = append(kept, e)
			}
		}
		entries = kept
	}
	var width [len(textWidthColumns)]int
	for i, t := range textWidthColumns {
		width[i] = utf8.RuneCountInString(t)
		for wi := range widths {
			width[i] = max(width[i], widths[wi][i])
		}
	}
	b.sortEntries(entries, workers)

	// Judge in full and format in blocks on every CPU; write the blocks in order.
	var head []byte
	switch {
	case text:
		head = appendTextHeader(nil, &width)
	case o.Kind == "csv":
		var sw sliceWriter
		cw := csv.NewWriter(&sw)
		header := CSVHeader
		if o.Named {
			header = append(append(slices.Clip(header), NameColumns...), LinkColumns...)
		}
		_ = cw.Write(header)
		cw.Flush()
		head = sw.b
	}
	if _, err := w.Write(head); err != nil {
		return Summary{Pairs: b.n, Shown: len(entries)}, err
	}
	counts := make([][]int, workers)
	others := make([]map[Verdict]int, workers)
	judgers := make([]*judger, workers)
	for i := range judgers {
		counts[i] = make([]int, len(Verdicts))
		judgers[i] = b.newJudger(&o, class)
		if o.Kind == "csv" {
			judgers[i].csv = csv.NewWriter(&judgers[i].csvOut)
		}
	}
	err := inOrder(len(entries), 1024, workers, func(wi, lo, hi int, out []byte) []byte {
		jg := judgers[wi]
		for i, e := range entries[lo:hi] {
			if i%touchAhead == 0 {
				b.touch(entries[lo+i:min(hi, lo+i+touchAhead)], peers, class, &jg.touched)
			}
			dec := decided{e.decision().direction(), true}
			p, jd := jg.judge(e.n, depthSentence, &dec)
			var lr linkRow
			if linked {
				lr = jg.linkRowOf(p, jd, peers[e.n])
			}
			if s := Severity(jd.Verdict); s < len(Verdicts) {
				counts[wi][s]++
			} else {
				if others[wi] == nil {
					others[wi] = map[Verdict]int{}
				}
				others[wi][jd.Verdict]++
			}
			switch {
			case text:
				out = jg.appendTextRow(out, p, jd, &width, &lr)
			case o.Kind == "csv":
				out = jg.appendCSVRow(out, p, jd, &lr)
			default:
				out = AppendJSON(out, p, jd)
				if jg.names != nil {
					out = jg.names.appendJSON(out, p, jd)
					out = jg.names.appendLinkJSON(out, jd.Verdict, &lr)
				}
				out = append(out, '\n')
			}
		}
		return out
	}, func(out []byte) error {
		_, err := w.Write(out)
		return err
	})
	sum := Summary{Pairs: b.n, Shown: len(entries), Verdicts: map[Verdict]int{}}
	for wi := range counts {
		for s, c := range counts[wi] {
			if c > 0 {
				sum.Verdicts[Verdicts[s]] += c
			}
		}
		for v, c := range others[wi] {
			sum.Verdicts[v] += c
		}
	}
	return sum, err
}

// namer is the names the options ask for; nil when none are written.
func (o *WriteOptions) namer() *namer {
	if !o.Named {
		return nil
	}
	return &namer{n: o.Names}
}

// judger judges a batch's conversations, one at a time, into space it reuses.
type judger struct {
	names *namer // WriteOptions.Named: names are written beside the IDs and addresses
	// With links (WriteOptions.Named): every conversation's classification, and a
	// second judger for the other ends' rules, which must not overwrite p and jd.
	class    []classCode
	scratch  *judger
	jointBuf []byte
	b        *Batch
	rs       *rules.Set
	p        Pair
	jd       Judgement
	// sentence holds jd's Explanation, which is formatted before the next judgement.
	sentence []byte
	touched  int32 // what reading ahead read, kept so that the reads are not dropped
	ifcCells map[model.Sym]string
	out      pairScratch // the Pair's out-of-line state
	cells    []byte
	csv      *csv.Writer
	csvOut   sliceWriter
	row      []string
}

func (j *judger) init(b *Batch, rs *rules.Set) { j.b, j.rs = b, rs }

// newJudger makes a judger for Write's workers.
func (b *Batch) newJudger(o *WriteOptions, class []classCode) *judger {
	j := &judger{names: o.namer(), class: class}
	j.init(b, o.Rules)
	if class != nil {
		j.scratch = &judger{}
		j.scratch.init(b, o.Rules)
	}
	return j
}

// judge judges conversation n to depth d, in the direction dec (when it is known: the
// classification's, see sortEntry), and leaves the direction in dec. The Pair and
// Judgement returned are the judger's and live until the next call.
func (j *judger) judge(n uint32, d depth, dec *decided) (*Pair, *Judgement) {
	j.b.pairOf(n, &j.p, &j.out)
	j.jd = judgeInto(&j.p, j.b.inputs(j.b.conv(n), j.rs), d, &j.sentence, dec)
	return &j.p, &j.jd
}

// touchAhead is how many conversations are fetched into the cache at once.
const touchAhead = 32

// touch reads a little of each conversation of es, in a loop of nothing else. They come
// in output order, scattered over the slabs: a cache miss each, which the judging of
// one row after another would wait for one at a time, and which a loop of independent
// reads lets the CPU wait for together.
//
// With links, the other end's classification and conversation are read too.
func (b *Batch) touch(es []sortEntry, peers []uint32, class []classCode, sink *int32) {
	var sum int32
	for i := range es {
		c := b.conv(es[i].n)
		sum += int32(c.key.a) + c.dirs[1].records
	}
	if peers != nil {
		for i := range es {
			if m := peers[es[i].n] &^ peerInferred; m != 0 {
				sum += int32(class[m-1]) + int32(b.conv(m-1).key.a)
			}
		}
	}
	*sink += sum
}

// sortEntry is a pair's place in the output order (orderKey) in 32 bytes, with the
// direction its classification decided. An IPv4 endpoint fits a word whole; an IPv6
// one keeps a prefix, and ties are settled by reading the conversation.
type sortEntry struct {
	w0        uint64 // severity<<56 | interface rank<<24 | protocol<<16 | decision
	ini, resp uint64 // IPv4: address<<16 | port; IPv6: 1<<63 | the first 63 bits
	n         uint32 // the conversation
}

func (e *sortEntry) decision() decision { return decision(e.w0) }

func (b *Batch) sortEntryOf(n uint32, p *Pair, j *Judgement, dec decision, ranks map[model.Sym]uint32) sortEntry {
	return sortEntry{
		w0:   uint64(Severity(j.Verdict))<<56 | uint64(ranks[p.Key.Interface])<<24 | uint64(p.Key.Protocol)<<16 | uint64(dec),
		ini:  endWord(j.InitiatorAP.Addr().As16(), j.InitiatorAP.Port()),
		resp: endWord(j.ResponderAP.Addr().As16(), j.ResponderAP.Port()),
		n:    n,
	}
}

// endWord orders endpoints as netip.AddrPort.Compare does (IPv4 before IPv6) as far as
// a word can: exactly for IPv4, by a prefix for IPv6.
func endWord(a [16]byte, port uint16) uint64 {
	if isMapped(&a) {
		return uint64(a[12])<<40 | uint64(a[13])<<32 | uint64(a[14])<<24 | uint64(a[15])<<16 | uint64(port)
	}
	hi := uint64(a[0])<<56 | uint64(a[1])<<48 | uint64(a[2])<<40 | uint64(a[3])<<32 |
		uint64(a[4])<<24 | uint64(a[5])<<16 | uint64(a[6])<<8 | uint64(a[7])
	return 1<<63 | hi>>1
}

// compareEntries is compareKeys over sort entries.
func (b *Batch) compareEntries(x, y *sortEntry) int {
	if c := cmp.Compare(x.w0>>16, y.w0>>16); c != 0 {
		return c
	}
	if x.ini != y.ini {
		return cmp.Compare(x.ini, y.ini)
	}
	if x.ini>>63 != 0 {
		if c := b.end(x, true).Compare(b.end(y, true)); c != 0 {
			return c
		}
	}
	if x.resp != y.resp {
		return cmp.Compare(x.resp, y.resp)
	}
	if x.resp>>63 != 0 {
		return b.end(x, false).Compare(b.end(y, false))
	}
	return 0
}

// end is an entry's initiator (or responder) as the judgement placed it.
func (b *Batch) end(e *sortEntry, initiator bool) (ap netip.AddrPort) {
	k := b.keyOf(&b.conv(e.n).key)
	req := reqSide(e.decision().direction().initiator)
	if initiator {
		return k.Sender(req)
	}
	return k.Receiver(req)
}

// sortEntries sorts on two CPUs: the entries are split in place around a sampled
// median, and each side sorted on its own.
func (b *Batch) sortEntries(es []sortEntry, workers int) {
	cmpFn := func(x, y sortEntry) int { return b.compareEntries(&x, &y) }
	if workers < 2 || len(es) < 1<<14 {
		slices.SortFunc(es, cmpFn)
		return
	}
	sample := make([]sortEntry, 255)
	for i := range sample {
		sample[i] = es[i*(len(es)/len(sample))]
	}
	slices.SortFunc(sample, cmpFn)
	pivot := sample[len(sample)/2]
	mid := 0
	for i := range es {
		if b.compareEntries(&es[i], &pivot) < 0 {
			es[i], es[mid] = es[mid], es[i]
			mid++
		}
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		slices.SortFunc(es[:mid], cmpFn)
	}()
	slices.SortFunc(es[mid:], cmpFn)
	wg.Wait()
}

// interfaceRanks numbers the interfaces in the order of their text, which is how the
// output sorts them.
func (b *Batch) interfaceRanks() map[model.Sym]uint32 {
	ifcs := b.Interfaces()
	slices.SortFunc(ifcs, func(x, y model.Sym) int { return cmp.Compare(x.String(), y.String()) })
	ranks := make(map[model.Sym]uint32, len(ifcs))
	for i, s := range ifcs {
		ranks[s] = uint32(i)
	}
	return ranks
}

// The text table's cells, as TextCells makes them: the last (the explanation) is not
// padded, so only the others have widths.
const textCells = 8

var textWidthColumns = [textCells - 1]string(TextColumns[:textCells-1])

// appendTextCells appends a row's cells (TextCells) one after another and records where
// each ends; with explain false the explanation is left out (its width is not needed).
func (jg *judger) appendTextCells(b []byte, p *Pair, j *Judgement, ends *[textCells]int, explain bool) []byte {
	var names [3]string
	if jg.names != nil {
		names = jg.names.names(p, j)
	}
	b = append(b, j.Verdict...)
	ends[0] = len(b)
	b = appendNameCell(append(b, jg.interfaceCell(p.Key.Interface)...), names[0])
	ends[1] = len(b)
	b = append(b, protoName(p.Key.Protocol)...)
	ends[2] = len(b)
	if j.Initiator == SideUnknown {
		b = append(b, "? "...)
	}
	b = appendNameCell(appendEndpoint(b, p.Key.Protocol, j.InitiatorAP), names[1])
	ends[3] = len(b)
	b = appendNameCell(appendEndpoint(b, p.Key.Protocol, j.ResponderAP), names[2])
	ends[4] = len(b)
	b = appendDirCell(b, j.Request)
	ends[5] = len(b)
	b = appendDirCell(b, j.Response)
	ends[6] = len(b)
	if explain {
		b = append(b, output.Sanitize(j.Explanation)...)
	}
	ends[7] = len(b)
	return b
}

// appendNameCell is nameCell appended: the name, if any, after the cell it names.
func appendNameCell(b []byte, name string) []byte {
	if name == "" {
		return b
	}
	b = append(b, " ("...)
	b = append(b, name...)
	return append(b, ')')
}

// cell is the i-th cell appended by appendTextCells.
func cell(b []byte, ends *[textCells]int, i int) []byte {
	start := 0
	if i > 0 {
		start = ends[i-1]
	}
	return b[start:ends[i]]
}

// interfaceCell is the text column of an interface, sanitized once per interface.
func (jg *judger) interfaceCell(ifc model.Sym) string {
	if text, ok := jg.ifcCells[ifc]; ok {
		return text
	}
	text := "-"
	if s := ifc.String(); s != "" {
		text = output.Sanitize(s)
	}
	if jg.ifcCells == nil {
		jg.ifcCells = map[model.Sym]string{}
	}
	jg.ifcCells[ifc] = text
	return text
}

// appendEndpoint is endpointText appended.
func appendEndpoint(b []byte, proto uint8, ap netip.AddrPort) []byte {
	if !hasPorts(proto) {
		return ap.Addr().AppendTo(b)
	}
	return ap.AppendTo(b)
}

// appendDirCell is dirCell appended.
func appendDirCell(b []byte, d *Dir) []byte {
	if d == nil {
		return append(b, '-')
	}
	a := d.Action()
	if a == "" {
		a = "?"
	}
	b = append(b, a...)
	b = append(b, ' ')
	b = strconv.AppendUint(b, d.Packets, 10)
	return append(b, 'p')
}

// appendPadded appends a cell and the spaces that align the next column.
func appendPadded(b, c []byte, width int) []byte {
	b = append(b, c...)
	for range width - utf8.RuneCount(c) + 2 {
		b = append(b, ' ')
	}
	return b
}

func appendTextHeader(b []byte, widths *[textCells - 1]int) []byte {
	for i, t := range TextColumns {
		if i < len(widths) {
			b = appendPadded(b, []byte(t), widths[i])
		} else {
			b = append(b, t...)
		}
	}
	return append(b, '\n')
}

// appendTextRow appends a row of the text table, aligned to widths, with the joint
// note of its link (see jointNote).
func (j *judger) appendTextRow(b []byte, p *Pair, jd *Judgement, widths *[textCells - 1]int, lr *linkRow) []byte {
	var ends [textCells]int
	j.cells = j.appendTextCells(j.cells[:0], p, jd, &ends, true)
	for i := range widths {
		b = appendPadded(b, cell(j.cells, &ends, i), widths[i])
	}
	b = append(b, cell(j.cells, &ends, textCells-1)...)
	if note := jointNote(jd, lr); note != "" {
		b = append(b, output.Sanitize(note)...)
	}
	return append(b, '\n')
}

// appendCSVRow appends a row of the csv output, as csvWriter writes it.
func (j *judger) appendCSVRow(b []byte, p *Pair, jd *Judgement, lr *linkRow) []byte {
	j.row = append(j.row[:0], p.Key.Interface.String(), strconv.Itoa(int(p.Key.Protocol)), jd.InitiatorAP.String(), jd.ResponderAP.String())
	j.row = append(j.row, csvDir(jd.Request)...)
	j.row = append(j.row, csvDir(jd.Response)...)
	j.row = append(j.row, string(jd.Verdict), jd.Blocked, jd.Rule, jd.Explanation)
	if j.names != nil {
		names := j.names.names(p, jd)
		j.row = append(j.row, names[:]...)
		j.row = j.names.appendLinkCells(j.row, jd.Verdict, lr)
	}
	for i := range j.row {
		j.row[i] = output.Sanitize(j.row[i])
	}
	j.csvOut.b = b
	_ = j.csv.Write(j.row)
	j.csv.Flush()
	b = j.csvOut.b
	j.csvOut.b = nil
	return b
}

// sliceWriter is an io.Writer that appends to a slice.
type sliceWriter struct{ b []byte }

func (s *sliceWriter) Write(p []byte) (int, error) {
	s.b = append(s.b, p...)
	return len(p), nil
}

// inOrder runs produce over [0, n) in blocks of size on workers goroutines and hands
// each block's output to consume in block order, from the calling goroutine. At most
// two blocks per worker are in flight, and their buffers are reused. After consume
// fails, the remaining blocks are skipped and its error returned.
func inOrder(n, size, workers int, produce func(worker, lo, hi int, out []byte) []byte, consume func([]byte) error) error {
	blocks := (n + size - 1) / size
	if blocks == 0 {
		return nil
	}
	type result struct {
		out  []byte
		done chan struct{}
	}
	results := make([]result, blocks)
	for i := range results {
		results[i].done = make(chan struct{})
	}
	window := make(chan struct{}, 2*workers)
	free := make(chan []byte, 3*workers)
	var next atomic.Int64
	var stop atomic.Bool
	var wg sync.WaitGroup
	for wi := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				window <- struct{}{}
				k := int(next.Add(1)) - 1
				if k >= blocks {
					<-window
					return
				}
				if !stop.Load() {
					var buf []byte
					select {
					case buf = <-free:
					default:
					}
					results[k].out = produce(wi, k*size, min(n, (k+1)*size), buf[:0])
				}
				close(results[k].done)
			}
		}()
	}
	var err error
	for k := range results {
		<-results[k].done
		if err == nil {
			if err = consume(results[k].out); err != nil {
				stop.Store(true)
			}
		}
		select {
		case free <- results[k].out:
		default:
		}
		results[k].out = nil
		<-window
	}
	wg.Wait()
	return err
}
