package ui

import (
	"runtime"
	"syscall"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/flowlens/flowlens/feed"
	"github.com/flowlens/flowlens/model"
)

// loaded returns an explorer holding n records (testRecords) with a filter applied,
// sized 160x48.
func loaded(b *testing.B, n int, filter string) *Model {
	b.Helper()
	m := loadedWith(b, testRecords(n))
	if filter != "" {
		m.applyFilter(filter, true)
		finish(m)
	}
	return m
}

func loadedWith(b *testing.B, recs []model.Flow) *Model {
	b.Helper()
	dark := true
	m := New(Options{Feed: newFakeFeed(), Capacity: len(recs), Dark: &dark, Now: func() time.Time { return testNow }})
	m.Update(tea.WindowSizeMsg{Width: 160, Height: 48})
	for i := 0; i < len(recs); i += 8192 {
		deliver(m, feed.Batch{Records: recs[i:min(i+8192, len(recs))]})
	}
	return m
}

// finish runs the steps of the work under way to the end, all at once.
func finish(m *Model) { (&timedLoop{m: m}).send(workMsg{}) }

// timedLoop is Bubble Tea's event loop for benchmarks: it delivers msg, then the
// messages of the commands returned, and times every Update, which is how long the
// screen is blocked (a key pressed then waits for it). Commands run here in turn; in
// the program they run on their own goroutines (the sort of the conversations), so
// total is what the person waits for the result, and longest what a key waits.
type timedLoop struct {
	m        *Model
	updates  int
	longest  time.Duration // the longest Update
	cpu      time.Duration // the most CPU time of one Update: what it costs on a machine shared with others
	cpuAll   time.Duration // CPU time of everything, the commands included
	total    time.Duration // from the first message to the last
	most     workDone      // the most work of one Update
	commands time.Duration // spent in commands (off the update loop in the program)
}

func (l *timedLoop) send(msg tea.Msg) {
	// The thread's CPU time is measured, so the loop stays on one thread.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	start, cpuStart := time.Now(), threadCPU()
	queue := []tea.Msg{msg}
	for len(queue) > 0 {
		msg, queue = queue[0], queue[1:]
		t0, c0 := time.Now(), threadCPU()
		_, cmd := l.m.Update(msg)
		_ = l.m.View() // Bubble Tea draws after every message
		d := time.Since(t0)
		l.cpu = max(l.cpu, threadCPU()-c0)
		l.updates++
		l.longest = max(l.longest, d)
		l.most.records = max(l.most.records, l.m.work.records)
		l.most.pairs = max(l.most.pairs, l.m.work.pairs)
		t0 = time.Now()
		queue = append(queue, runNoTimers(cmd)...)
		l.commands += time.Since(t0)
	}
	l.total += time.Since(start)
	l.cpuAll += threadCPU() - cpuStart
}

// runNoTimers is run for the benchmarks: the debounce timer is not waited for.
func runNoTimers(cmd tea.Cmd) []tea.Msg {
	if cmd == nil {
		return nil
	}
	switch msg := cmd().(type) {
	case nil:
		return nil
	case tea.BatchMsg:
		var out []tea.Msg
		for _, c := range msg {
			out = append(out, runNoTimers(c)...)
		}
		return out
	default:
		return []tea.Msg{msg}
	}
}

func (l *timedLoop) report(b *testing.B, what string) {
	n := float64(b.N)
	b.ReportMetric(float64(l.total.Microseconds())/n/1000, "ms/"+what)
	b.ReportMetric(float64(l.longest.Microseconds())/1000, "max-ms/update")
	b.ReportMetric(float64(l.cpu.Microseconds())/1000, "max-cpu-ms/update")
	b.ReportMetric(float64(l.cpuAll.Microseconds())/n/1000, "cpu-ms/"+what)
	b.ReportMetric(float64(l.updates)/n, "updates/"+what)
	b.ReportMetric(float64(l.commands.Microseconds())/n/1000, "ms-off-loop/"+what)
	if l.most.records > 0 {
		b.ReportMetric(float64(l.most.records), "max-records/update")
	}
	if l.most.pairs > 0 {
		b.ReportMetric(float64(l.most.pairs), "max-pairs/update")
	}
}

// threadCPU is the CPU time the calling thread has used: unlike the wall clock, it
// does not count the time other processes had the core.
func threadCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// rusageThread is RUSAGE_THREAD (Linux).
const rusageThread = 1

// BenchmarkFrame1M renders one frame with 1,000,000 records held and a filter active,
// paging up each time so rows are re-rendered, not served from the cache: the key goes
// through Update (which renders the new rows) and the frame through View.
func BenchmarkFrame1M(b *testing.B) {
	m := loaded(b, 1_000_000, "dport=443 or reject")
	pgup := keyMsg("pgup")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.Update(pgup) // every visible row is new
		_ = m.View()
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/1000, "ms/frame")
}

// The budgets of "no key blocks the screen for more than 100 ms", at 1M and 5M
// records in about a quarter as many conversations (manyPairRecords):
//
//   - filter keystroke: the filter text changes and the whole ring is refiltered, in
//     steps (the 40 ms typing debounce comes before and is not counted);
//   - open: p, the first time: every conversation classified (uncached) and sorted;
//   - reopen: p, back to the flows and p again: classified from the cache, sorted;
//
// ms/X is the time until the result is on screen, max-ms/update the longest the
// screen was blocked in between (what Ctrl+C or Esc waits at most), max-records and
// max-pairs/update the work of the largest step, which the budget bounds whatever the
// ring holds.
func BenchmarkFilterKeystroke1M(b *testing.B) { benchFilterKeystroke(b, 1_000_000) }
func BenchmarkFilterKeystroke5M(b *testing.B) { benchFilterKeystroke(b, 5_000_000) }
func BenchmarkOpenConversations1M(b *testing.B) {
	benchConversations(b, 1_000_000, false)
}
func BenchmarkOpenConversations5M(b *testing.B) {
	benchConversations(b, 5_000_000, false)
}
func BenchmarkReopenConversations1M(b *testing.B) {
	benchConversations(b, 1_000_000, true)
}
func BenchmarkReopenConversations5M(b *testing.B) {
	benchConversations(b, 5_000_000, true)
}

func benchFilterKeystroke(b *testing.B, n int) {
	m := loadedWith(b, manyPairRecords(n))
	exprs := []string{"action=REJECT", "action=REJECT dstport=22", "src=10.0.0.0/16", "reject or bytes>2k"}
	l := &timedLoop{m: m}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.bar.input.SetValue(exprs[i%len(exprs)])
		l.send(debounceMsg{gen: m.bar.gen}) // what typing leads to, once typing pauses
	}
	l.report(b, "keystroke")
}

func benchConversations(b *testing.B, n int, reopen bool) {
	m := loadedWith(b, manyPairRecords(n))
	b.ReportMetric(float64(m.pairs.Len()), "conversations")
	what, back := "open", &timedLoop{m: m}
	if reopen {
		what = "reopen"
		back.send(keyMsg("p"))
		back.send(keyMsg("p"))
	}
	l := &timedLoop{m: m}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if !reopen {
			b.StopTimer()
			for _, p := range m.pairs.All() {
				m.pairs.Forget(p) // uncached, as the first time
			}
			b.StartTimer()
		}
		l.send(keyMsg("p"))
		if m.mode != modePairs || len(m.pv.rows) != m.pairs.Len() {
			b.Fatalf("open: %d rows of %d", len(m.pv.rows), m.pairs.Len())
		}
		b.StopTimer()
		back.send(keyMsg("p"))
		b.StartTimer()
	}
	l.report(b, what)
}

// BenchmarkSortFlows1M sorts the flows table by bytes with 1,000,000 records held (o
// pressed until bytes, then O, then u: each a sort of every row): the keys are read in
// steps on the update loop, the million sorted in a command off it. ms/sort is the time
// until the sorted rows are on screen, max-ms/update the longest the screen was
// blocked (the budget is 100 ms), ms-off-loop/sort the sorting itself.
func BenchmarkSortFlows1M(b *testing.B) {
	m := loaded(b, 1_000_000, "")
	setup := &timedLoop{m: m}
	for m.table.sortBy.col != colBytes || m.table.job != nil {
		setup.send(keyMsg("o"))
	}
	keys := []string{"O", "u"}
	l := &timedLoop{m: m}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		l.send(keyMsg(keys[i%len(keys)]))
		if !m.table.sorted() || m.table.length() != 1_000_000 {
			b.Fatalf("sorted %v, %d rows", m.table.sorted(), m.table.length())
		}
	}
	l.report(b, "sort")
}
