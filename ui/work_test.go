package ui

import (
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/flowlens/flowlens/feed"
)

// loop is the event loop of Bubble Tea, in the test: it runs the commands Update
// returns (a batch is taken apart) and delivers their messages in order, recording the
// work of each Update. Only the explorer's own commands run here (no feed, no clock).
type loop struct {
	t       *testing.T
	m       *Model
	updates int
	most    workDone // the most any one Update did
	sorted  int      // pairsSortedMsg delivered: rows sorted in a command, off the loop
	seen    []string // screens while work was under way
}

func (l *loop) send(msg tea.Msg) {
	queue := []tea.Msg{msg}
	for len(queue) > 0 {
		msg, queue = queue[0], queue[1:]
		if _, ok := msg.(pairsSortedMsg); ok {
			l.sorted++
		}
		_, cmd := l.m.Update(msg)
		l.updates++
		l.most.records = max(l.most.records, l.m.work.records)
		l.most.pairs = max(l.most.pairs, l.m.work.pairs)
		if p := l.m.progress(); p != "" && len(l.seen) < 3 {
			l.seen = append(l.seen, screen(l.m))
		}
		queue = append(queue, run(cmd)...)
	}
}

// run runs cmd and returns its messages, a batch taken apart. The debounce timer is
// skipped: its message is what it would deliver.
func run(cmd tea.Cmd) []tea.Msg {
	if cmd == nil {
		return nil
	}
	switch msg := cmd().(type) {
	case nil:
		return nil
	case tea.BatchMsg:
		var out []tea.Msg
		for _, c := range msg {
			out = append(out, run(c)...)
		}
		return out
	default:
		return []tea.Msg{msg}
	}
}

// boundedModel holds n records with small budgets, so that every long operation takes
// many steps: what a test shows then holds for any number of records, since a step
// never does more than its budget.
func boundedModel(t *testing.T, n int) (*Model, *loop) {
	m, _ := newTestModel(t, true, 160, 48)
	m.budget = workBudget{records: 1000, pairs: 100, judged: 50}
	recs := testRecords(n)
	for i := 0; i < len(recs); i += 8192 {
		deliver(m, feed.Batch{Records: recs[i:min(i+8192, len(recs))]})
	}
	return m, &loop{t: t, m: m}
}

// Typing a filter over many records refilters in steps of at most the budget, with the
// progress on screen, and ends with what a refilter at once gives.
func TestFilterKeystrokeWorkIsBounded(t *testing.T) {
	m, l := boundedModel(t, 30_000)
	l.send(keyMsg("/"))
	for _, r := range "reject" {
		l.send(keyMsg(string(r)))
	}
	l.send(debounceMsg{gen: m.bar.gen})
	if l.most.records > 1000 {
		t.Fatalf("one Update scanned %d records; the budget is 1,000", l.most.records)
	}
	if l.updates < 30 {
		t.Fatalf("30,000 records refiltered in %d updates: not in steps", l.updates)
	}
	if len(l.seen) == 0 || !strings.Contains(l.seen[0], "filtering 30,000 records") {
		t.Fatalf("no progress shown while refiltering; first screen:\n%v", l.seen)
	}
	if !strings.Contains(screen(m), "10,000 of 30,000 match") || m.refiltering() {
		t.Fatalf("after the refilter:\n%s", screen(m))
	}
}

// Opening the conversations lists and classifies them in steps of at most the budget,
// sorts them in a command, off the update loop, and shows progress meanwhile.
func TestOpeningConversationsWorkIsBounded(t *testing.T) {
	m, l := boundedModel(t, 30_000)
	l.send(keyMsg("p"))
	if l.most.pairs > 100 {
		t.Fatalf("one Update classified %d conversations; the budget is 100", l.most.pairs)
	}
	if l.sorted != 1 {
		t.Fatalf("the rows were sorted %d times in a command; want once, off the loop", l.sorted)
	}
	if l.updates < m.pairs.Len()/100 {
		t.Fatalf("%d conversations listed in %d updates: not in steps", m.pairs.Len(), l.updates)
	}
	if len(l.seen) == 0 || !strings.Contains(l.seen[0], "listing conversations") {
		t.Fatal("no progress shown while listing")
	}
	scr := screen(m)
	if !strings.Contains(scr, "of "+thousands(m.pairs.Len())) || len(m.pv.rows) != m.pairs.Len() || m.pv.build != nil {
		t.Fatalf("after opening: %d rows of %d conversations:\n%s", len(m.pv.rows), m.pairs.Len(), scr)
	}
	for i := 1; i < len(m.pv.rows); i++ {
		if m.pv.rows[i-1].sev > m.pv.rows[i].sev {
			t.Fatal("the conversations are not sorted worst first")
		}
	}

	// A filter in the conversations view: the same bounds.
	l.most = workDone{}
	l.send(keyMsg("/"))
	for _, r := range "dport=22" {
		l.send(keyMsg(string(r)))
	}
	l.send(debounceMsg{gen: m.bar.gen})
	if l.most.pairs > 100 || m.pv.build != nil || m.pv.expr != "dport=22" {
		t.Fatalf("a pairs filter: %d classified in one Update, build %v, shown %q", l.most.pairs, m.pv.build, m.pv.expr)
	}

	// Exporting the conversations judges them in steps too.
	l.send(keyMsg("enter"))
	l.send(keyMsg("e"))
	l.most = workDone{}
	l.send(keyMsg("enter"))
	if l.most.pairs > 50 {
		t.Fatalf("an export judged %d conversations in one Update; the budget is 50", l.most.pairs)
	}
	if !strings.Contains(m.message, "exported") {
		t.Fatalf("export: %q", m.message)
	}
}

// Esc cancels long work and puts back what was shown; Ctrl+C quits whatever runs.
func TestEscCancelsCtrlCQuits(t *testing.T) {
	m, _ := boundedModel(t, 30_000)
	m.applyFilter("reject", true)
	m.settle()
	before := screen(m)
	if !strings.Contains(before, "10,000 of 30,000 match") {
		t.Skip("the first filter did not apply") // not what this test is about
	}
	// Apply another filter: the first step runs, the rest would follow as messages.
	m.bar.input.SetValue("dport=443")
	m.Update(debounceMsg{gen: m.bar.gen})
	if !m.refiltering() || !strings.Contains(screen(m), "10,000 of 30,000 match") {
		t.Fatalf("mid-refilter the table must keep the previous matches:\n%s", screen(m))
	}
	m.Update(keyMsg("esc"))
	if m.refiltering() || m.bar.applied != "reject" || m.bar.input.Value() != "reject" {
		t.Fatalf("esc: refiltering %v, applied %q, input %q", m.refiltering(), m.bar.applied, m.bar.input.Value())
	}

	// Opening the conversations, cancelled: back to the flows.
	m.Update(keyMsg("p"))
	if m.pv.build == nil || m.mode != modePairs {
		t.Fatal("the listing did not start in steps")
	}
	m.Update(keyMsg("esc"))
	if m.mode != modeFlows || m.pv.build != nil {
		t.Fatalf("esc while listing: mode %v, build %v", m.mode, m.pv.build)
	}

	// Ctrl+C while work is under way.
	m.bar.input.SetValue("dport=22")
	m.Update(debounceMsg{gen: m.bar.gen})
	_, cmd := m.Update(keyMsg("ctrl+c"))
	quit := false
	for _, msg := range run(cmd) {
		if _, ok := msg.(tea.QuitMsg); ok {
			quit = true
		}
	}
	if !quit {
		t.Fatal("ctrl+c during a refilter did not quit")
	}
}

// At most one workMsg is ever on its way: a key that steps the jobs at once (a sort
// key while a refilter runs) must not start a second chain of steps beside the first,
// or every such key would add steps queued ahead of the next key.
func TestKeysDoNotStartASecondChainOfSteps(t *testing.T) {
	m, _ := boundedModel(t, 30_000)
	press(m, "/", "r", "e", "j", "e", "c", "t")
	_, cmd := m.Update(debounceMsg{gen: m.bar.gen})
	pending := 0
	for _, msg := range runNoTimers(cmd) {
		if _, ok := msg.(workMsg); ok {
			pending++
		}
	}
	if pending != 1 || !m.refiltering() {
		t.Fatalf("the refilter armed %d steps (refiltering: %v)", pending, m.refiltering())
	}
	press(m, "enter")
	for _, k := range []string{"o", "O", "u"} {
		_, cmd := m.Update(keyMsg(k))
		for _, msg := range runNoTimers(cmd) {
			if _, ok := msg.(workMsg); ok {
				t.Fatalf("%q armed a second step while one was on its way", k)
			}
		}
	}
}
