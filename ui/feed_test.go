package ui

import (
	"errors"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/flowlens/flowlens/feed"
)

// capableFeed is a source that can push a filter down and read further back.
type capableFeed struct {
	*fakeFeed
	narrowed []string
	before   []time.Time
	refuse   error
}

func (f *capableFeed) Narrow(expr string) error {
	f.narrowed = append(f.narrowed, expr)
	return f.refuse
}

func (f *capableFeed) LoadBefore(t time.Time) error {
	f.before = append(f.before, t)
	return f.refuse
}

// The screen asks a source for what it can do: the kept filter to push down, and the
// records before the first one held when the user moves up past it.
func TestTheScreenAsksACapableSource(t *testing.T) {
	src := &capableFeed{fakeFeed: newFakeFeed()}
	dark := true
	m := New(Options{Feed: src, Dark: &dark, Now: func() time.Time { return testNow }})
	m.Update(tea.WindowSizeMsg{Width: 160, Height: 48})
	recs := testRecords(30)
	deliver(m, feed.Batch{Records: recs})

	press(m, "/")
	typeText(m, "reject")
	press(m, "enter")
	press(m, "/", "esc")
	press(m, "/", "esc") // nothing changed: the source is not asked again
	if strings.Join(src.narrowed, "|") != "reject|" {
		t.Fatalf("narrowed %q, want the kept filter, then nothing", src.narrowed)
	}

	press(m, "g") // the first row
	press(m, "k") // and up past it
	press(m, "k") // a request is under way: not asked twice
	if len(src.before) != 1 || src.before[0].Unix() != int64(recs[0].Start) {
		t.Fatalf("asked for the records before %v, want before %d", src.before, recs[0].Start)
	}
	if !strings.Contains(m.message, "reading the records before") {
		t.Errorf("message %q", m.message)
	}
	deliver(m, feed.Batch{Records: testRecords(5)}) // the answer
	press(m, "g", "k")
	if len(src.before) != 2 {
		t.Fatalf("after the answer, moving up past the first row did not ask again: %v", src.before)
	}

	// A source that cannot says why, once asked.
	src.refuse = errors.New("the log group keeps 7 days")
	deliver(m, feed.Batch{Records: testRecords(1)})
	press(m, "g", "k")
	if !strings.Contains(m.message, "no older records: the log group keeps 7 days") {
		t.Errorf("message %q", m.message)
	}
}

// A source without the capabilities is never asked, and nothing is said.
func TestAPlainSourceIsNotAsked(t *testing.T) {
	m, _ := newTestModel(t, true, 160, 48)
	deliver(m, feed.Batch{Records: testRecords(30)})
	press(m, "g", "k", "/")
	typeText(m, "reject")
	press(m, "enter")
	if m.message != "" || m.olderAsked || m.narrowed != "" {
		t.Fatalf("message %q, asked %v, narrowed %q", m.message, m.olderAsked, m.narrowed)
	}
}

// A request for older records that finds none (the source says so only in its status)
// must not stop moving up past the first row from asking again: it holds for
// olderWait, and an error from the source ends it at once.
func TestARequestForOlderRecordsThatFindsNoneEnds(t *testing.T) {
	src := &capableFeed{fakeFeed: newFakeFeed()}
	dark := true
	now := testNow
	m := New(Options{Feed: src, Dark: &dark, Now: func() time.Time { return now }})
	m.Update(tea.WindowSizeMsg{Width: 160, Height: 48})
	deliver(m, feed.Batch{Records: testRecords(30)})

	press(m, "g", "k")
	// The source looked and found nothing: a batch with its status, no records.
	deliver(m, feed.Batch{Status: feed.Status{Source: "group", State: feed.StatePolling, Note: "no records before 2024-05-01 11:00:00"}})
	press(m, "g", "k")
	if len(src.before) != 1 {
		t.Fatalf("asked %d times while the first request holds, want 1", len(src.before))
	}
	now = now.Add(olderWait)
	press(m, "g", "k")
	if len(src.before) != 2 {
		t.Fatalf("asked %d times after the request ran out without records, want 2", len(src.before))
	}

	// An error answers the request too.
	deliver(m, feed.Batch{Err: errors.New("the window could not be read")})
	press(m, "g", "k")
	if len(src.before) != 3 {
		t.Fatalf("asked %d times after the source failed, want 3", len(src.before))
	}
}

// While only records arrive, the frame drawn last is given again until frameEvery has
// passed; anything else (a key) is drawn at once, and the frameMsg armed by the records
// draws them when nothing else comes. The interval is an hour here: the test reads what
// is drawn, never the clock.
func TestRecordsAloneAreDrawnAtTheFrameRate(t *testing.T) {
	m, _ := newTestModel(t, true, 160, 48)
	m.frameEvery = time.Hour
	deliver(m, feed.Batch{Records: testRecords(30)})
	drawn := func() string { return ansi.Strip(m.View().Content) }
	first := drawn()
	if !strings.Contains(first, "30 in ring") {
		t.Fatalf("the first frame is drawn whatever the interval:\n%s", first)
	}

	cmd := deliver(m, feed.Batch{Records: testRecords(5)})
	if got := drawn(); got != first {
		t.Fatalf("records alone were drawn before the interval passed:\n%s", got)
	}
	if !m.frameArmed || cmd == nil {
		t.Fatal("no frameMsg armed to draw the records later")
	}
	m.Update(frameMsg{})
	if got := drawn(); !strings.Contains(got, "35 in ring") {
		t.Fatalf("the frameMsg did not draw the records:\n%s", got)
	}

	deliver(m, feed.Batch{Records: testRecords(5)})
	press(m, "t") // a key is drawn at once, with the records
	if got := drawn(); !strings.Contains(got, "40 in ring") || !strings.Contains(got, "local time") {
		t.Fatalf("a key was not drawn at once:\n%s", got)
	}
}

// A batch larger than a slice is taken in over several Updates, none taking more than
// ingestRecords; a key pressed meanwhile is handled between two slices, before the rest;
// and the next batch is asked for only once the last record of this one is in.
func TestABigBatchIsTakenInSlicesWithKeysBetween(t *testing.T) {
	m, src := newTestModel(t, true, 160, 48)
	recs := testRecords(3*ingestRecords + 5)
	_, cmd := m.Update(batchMsg{batch: feed.Batch{Records: recs}, ok: true})
	if m.work.ingested == 0 || m.work.ingested > ingestRecords || len(m.backlog) == 0 {
		t.Fatalf("the batch's Update took in %d records, %d left: want at most %d, the rest later", m.work.ingested, len(m.backlog), ingestRecords)
	}
	if _, ok := runCmd(cmd).(ingestMsg); !ok {
		t.Fatal("no ingestMsg asked for the rest of the batch")
	}
	left := len(m.backlog)
	press(m, "t") // a key between two slices
	if !m.local || len(m.backlog) != left {
		t.Fatalf("the key was not handled on its own: local %v, %d records left of %d", m.local, len(m.backlog), left)
	}
	updates := 1
	for len(m.backlog) > 0 {
		_, cmd = m.Update(ingestMsg{})
		updates++
		if m.work.ingested == 0 || m.work.ingested > ingestRecords {
			t.Fatalf("a slice took in %d records, want 1 to %d", m.work.ingested, ingestRecords)
		}
		if len(m.backlog) > 0 {
			if _, ok := runCmd(cmd).(ingestMsg); !ok {
				t.Fatal("no ingestMsg asked for the rest of the batch")
			}
		}
	}
	if updates < 4 || m.ring.Len() != len(recs) {
		t.Fatalf("%d Updates, %d records held of %d", updates, m.ring.Len(), len(recs))
	}
	// Only now the next batch is waited for.
	src.ch <- feed.Batch{Records: testRecords(1)}
	if msg, ok := runCmd(cmd).(batchMsg); !ok || len(msg.batch.Records) != 1 {
		t.Fatalf("after the last slice, the next batch was not asked for: %T", runCmd(cmd))
	}
}

// runCmd runs a command and returns its message; a batch of commands gives the first
// message that is not a timer's (the frame timer, when armed, is not waited for).
func runCmd(cmd tea.Cmd) tea.Msg {
	if cmd == nil {
		return nil
	}
	msg := cmd()
	if b, ok := msg.(tea.BatchMsg); ok {
		for _, c := range b {
			if c == nil {
				continue
			}
			return runCmd(c)
		}
		return nil
	}
	return msg
}
