package sim

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"time"

	"github.com/flowlens/flowlens/model"
)

// Scenario is traffic over a topology in time: kinds of conversations, each at a rate
// and over a period, replayed deterministically from a seed.
type Scenario struct {
	Name     string
	Topology *Topology
	Seed     int64
	Start    time.Time
	// Duration bounds the time conversations start in; 0 means no end (Stream then
	// stops after n records, or when its callback says so).
	Duration time.Duration
	// NoData is the chance that an interface without traffic in a window logs a
	// NODATA record for it; SkipData the chance that an interface logs a SKIPDATA
	// record in a window.
	NoData, SkipData float64
	// KeepTruth makes Stream keep a Truth per conversation for Conversations; it costs
	// memory, so benchmarks leave it off.
	KeepTruth bool

	traffic []Traffic
	truth   []Truth
}

// Traffic is one kind of conversation.
type Traffic struct {
	Name      string
	PerMinute float64 // conversations started per minute, on average
	// From and Until bound when they start, as offsets from the scenario's start;
	// Until 0 means until the end.
	From, Until time.Duration
	// Make describes the n-th conversation (g.N). The scenario sets its Start.
	Make func(g *Gen) Conversation
}

// Gen is what a Traffic's Make draws from: the run's random numbers, and how many
// conversations this Traffic made before in this run.
type Gen struct {
	*rand.Rand
	N    int
	Time time.Time // when the conversation will start
}

// Pick returns a random element of xs.
func Pick[T any](g *Gen, xs []T) T { return xs[g.IntN(len(xs))] }

// Between returns a random integer in [lo, hi].
func (g *Gen) Between(lo, hi int) int { return lo + g.IntN(hi-lo+1) }

// Chance reports true with probability p.
func (g *Gen) Chance(p float64) bool { return g.Float64() < p }

// NewScenario makes a scenario without traffic; add it with AddTraffic.
func NewScenario(name string, t *Topology, seed int64, start time.Time, duration time.Duration) *Scenario {
	if start.IsZero() {
		start = DefaultStart
	}
	return &Scenario{Name: name, Topology: t, Seed: seed, Start: start, Duration: duration}
}

// String names the scenario and its size, for logs.
func (s *Scenario) String() string {
	return fmt.Sprintf("%s (%d interfaces, seed %d)", s.Name, len(s.Topology.Interfaces), s.Seed)
}

// AddTraffic adds a kind of conversation.
func (s *Scenario) AddTraffic(tr Traffic) { s.traffic = append(s.traffic, tr) }

// Conversations returns the truth of the conversations the last Stream wrote at least
// one record of (KeepTruth must be set), in the order they started.
func (s *Scenario) Conversations() []Truth { return s.truth }

// Stream writes the scenario's records in the given format (nil: V5Format) to
// fn, window by window and sorted by start within a window, as a flow log delivers
// them. It stops after n records (n <= 0: when the scenario ends, which a scenario
// without Duration never does), or when fn returns false. The same seed gives the same records. The *model.Flow is reused: copy the
// value to keep it (each record has its own Ext, so a copy is safe).
func (s *Scenario) Stream(format *model.Format, n int, fn func(*model.Flow) bool) {
	if format == nil {
		format = V5Format
	}
	st := s.newStream(format)
	st.run(n, fn)
}

// stream is the state of one run of a scenario.
type stream struct {
	s       *Scenario
	e       *engine
	w       *writer
	rng     *rand.Rand
	gens    []Gen
	start   int64 // Unix seconds
	end     int64 // exclusive; max when the scenario has no end
	buckets map[int64][]rec
	spare   [][]rec
	seen    []bool // per interface: had a record in the current window
	counts  []int32
	order   []int32
	size    int // the most records a window had so far
	total   []int32
	written []int32
}

func (s *Scenario) newStream(format *model.Format) *stream {
	t := s.Topology
	t.index()
	t.resetPorts()
	st := &stream{s: s, e: newEngine(t), w: newWriter(format, t),
		rng:   rand.New(rand.NewPCG(uint64(s.Seed), 0x6a09e667f3bcc908)),
		gens:  make([]Gen, len(s.traffic)),
		start: s.Start.Unix(), end: 1<<62 - 1,
		buckets: map[int64][]rec{}, seen: make([]bool, len(t.Interfaces))}
	for i := range st.gens {
		st.gens[i].Rand = st.rng
	}
	if s.Duration > 0 {
		st.end = st.start + int64(s.Duration/time.Second)
	}
	s.truth = nil // a caller may still hold the last run's
	return st
}

func (st *stream) run(n int, fn func(*model.Flow) bool) {
	defer st.finishTruth()
	w := st.e.window
	written := 0
	var out model.Flow
	for ws := st.start - mod(st.start, w); ws < st.end || len(st.buckets) > 0; ws += w {
		if ws < st.end {
			st.generate(ws, ws+w)
		}
		b := st.buckets[ws]
		delete(st.buckets, ws)
		b = st.markers(b, ws, ws+w)
		for _, i := range st.byStart(b, ws) {
			r := &b[i]
			if r.conv >= 0 {
				st.written[r.conv]++
			}
			st.w.write(r, &out)
			written++
			if !fn(&out) || n > 0 && written >= n {
				return
			}
		}
		st.size = max(st.size, len(b))
		st.spare = append(st.spare, b[:0])
	}
}

// byStart orders the records of the window starting at ws by their start, stably: a
// counting sort over the window's seconds, which leaves the records where they are.
func (st *stream) byStart(b []rec, ws int64) []int32 {
	w := int(st.e.window)
	if cap(st.counts) < w+1 {
		st.counts = make([]int32, w+1)
	}
	counts := st.counts[:w+1]
	clear(counts)
	for i := range b {
		counts[int64(b[i].start)-ws+1]++
	}
	for i := 1; i <= w; i++ {
		counts[i] += counts[i-1]
	}
	if cap(st.order) < len(b) {
		st.order = make([]int32, len(b), 2*len(b))
	}
	order := st.order[:len(b)]
	for i := range b {
		o := int64(b[i].start) - ws
		order[counts[o]] = int32(i)
		counts[o]++
	}
	return order
}

// generate starts the conversations of every Traffic in [ws, we) and files their
// records under the windows they fall in.
func (st *stream) generate(ws, we int64) {
	s := st.s
	for i := range s.traffic {
		tr := &s.traffic[i]
		lo, hi := max(ws, st.start+int64(tr.From/time.Second)), min(we, st.end)
		if tr.Until > 0 {
			hi = min(hi, st.start+int64(tr.Until/time.Second))
		}
		if hi <= lo {
			continue
		}
		expected := tr.PerMinute * float64(hi-lo) / 60
		k := int(expected)
		if st.rng.Float64() < expected-float64(k) {
			k++
		}
		g := &st.gens[i]
		for range k {
			at := lo + st.rng.Int64N(hi-lo)
			g.Time = time.Unix(at, 0).UTC()
			c := tr.Make(g)
			g.N++
			c.Start = g.Time
			st.converse(&c)
		}
	}
}

// converse runs one conversation and files its records.
func (st *stream) converse(c *Conversation) {
	conv := int32(-1)
	if st.s.KeepTruth {
		conv = int32(len(st.s.truth))
	}
	st.e.run(c, conv)
	if conv >= 0 {
		st.s.truth = append(st.s.truth, st.e.truth(c, int(conv)+1))
		st.total = append(st.total, int32(len(st.e.recs)))
		st.written = append(st.written, 0)
	}
	w := st.e.window
	for i := range st.e.recs {
		r := &st.e.recs[i]
		ws := int64(r.start) - mod(int64(r.start), w)
		b, ok := st.buckets[ws]
		if !ok {
			if len(st.spare) > 0 {
				b, st.spare = st.spare[len(st.spare)-1], st.spare[:len(st.spare)-1]
			} else {
				b = make([]rec, 0, st.size) // most windows end up as large as the last one
			}
		}
		st.buckets[ws] = append(b, *r)
	}
}

// markers adds the NODATA and SKIPDATA records of the window [ws, we).
func (st *stream) markers(b []rec, ws, we int64) []rec {
	s := st.s
	if s.NoData <= 0 && s.SkipData <= 0 {
		return b
	}
	clear(st.seen)
	for i := range b {
		st.seen[b[i].ifc] = true
	}
	for i := range s.Topology.Interfaces {
		status := model.StatusNone
		switch {
		case s.SkipData > 0 && st.rng.Float64() < s.SkipData:
			status = model.StatusSkipData
		case !st.seen[i] && s.NoData > 0 && st.rng.Float64() < s.NoData:
			status = model.StatusNoData
		}
		if status != model.StatusNone {
			at := ws + st.rng.Int64N(5)
			b = append(b, rec{ifc: uint16(i), start: uint32(at), end: uint32(we - 1 - st.rng.Int64N(5)), status: status, conv: -1})
		}
	}
	return b
}

// finishTruth keeps the truth of the conversations that were written, and marks the
// ones cut short.
func (st *stream) finishTruth() {
	s := st.s
	if !s.KeepTruth {
		return
	}
	kept := s.truth[:0]
	for i := range s.truth {
		if st.written[i] == 0 {
			continue
		}
		tr := s.truth[i]
		tr.Complete = st.written[i] == st.total[i]
		kept = append(kept, tr)
	}
	s.truth = kept
}

// WriteText writes n records of the scenario (0: all of them) as flow-log lines of
// format f, after a header line when header is set: what `flowlens generate` writes
// and the demo embeds.
func (s *Scenario) WriteText(w io.Writer, f *model.Format, n int, header bool) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	if header {
		bw.WriteString(f.Header())
		bw.WriteByte('\n')
	}
	var line []byte
	var err error
	s.Stream(f, n, func(r *model.Flow) bool {
		line = append(r.AppendRecord(line[:0]), '\n')
		_, err = bw.Write(line)
		return err == nil
	})
	if err != nil {
		return err
	}
	return bw.Flush()
}
