package ui

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/flowlens/flowlens/feed"
	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/rules"
)

// fakeFeed is a Feed the test fills by hand.
type fakeFeed struct {
	ch      chan feed.Batch
	pauses  int
	resumes int
	closed  bool
}

func newFakeFeed() *fakeFeed                   { return &fakeFeed{ch: make(chan feed.Batch, 16)} }
func (f *fakeFeed) Batches() <-chan feed.Batch { return f.ch }
func (f *fakeFeed) Pause()                     { f.pauses++ }
func (f *fakeFeed) Resume()                    { f.resumes++ }
func (f *fakeFeed) Close()                     { f.closed = true }

var testNow = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

// testRecords makes n records: every third is a REJECT to port 22, the rest ACCEPTs to
// 443, one per second from testNow minus n seconds.
func testRecords(n int) []model.Flow {
	p := model.NewParser("test", nil)
	out := make([]model.Flow, 0, n)
	start := testNow.Add(-time.Duration(n) * time.Second).Unix()
	for i := 0; i < n; i++ {
		action, port := "ACCEPT", 443
		if i%3 == 0 {
			action, port = "REJECT", 22
		}
		line := fmt.Sprintf("2 123456789012 eni-0a1b2c3d4e5f6a7b%d 203.0.113.%d 10.0.1.5 %d %d 6 %d %d %d %d %s OK",
			i%2, i%250+1, 40000+i%20000, port, i%50+1, (i%50+1)*60, start+int64(i), start+int64(i)+60, action)
		var r model.Flow
		if p.Parse([]byte(line), &r) != model.LineRecord {
			panic(p.Stats().Samples)
		}
		out = append(out, r)
	}
	return out
}

func newTestModel(t *testing.T, dark bool, w, h int) (*Model, *fakeFeed) {
	t.Helper()
	src := newFakeFeed()
	m := New(Options{Feed: src, Dark: &dark, Now: func() time.Time { return testNow }, ExportDir: t.TempDir()})
	m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	return m, src
}

func deliver(m *Model, b feed.Batch) tea.Cmd {
	_, cmd := m.Update(batchMsg{batch: b, ok: true})
	for len(m.backlog) > 0 { // the rest of a large batch, a slice an Update
		_, cmd = m.Update(ingestMsg{})
	}
	return cmd
}

func press(m *Model, keys ...string) tea.Cmd {
	var last tea.Cmd
	for _, k := range keys {
		_, last = m.Update(keyMsg(k))
	}
	return last
}

// keyMsg builds the KeyPressMsg a terminal would send for a key name.
func keyMsg(k string) tea.KeyPressMsg {
	special := map[string]rune{"up": tea.KeyUp, "down": tea.KeyDown, "enter": tea.KeyEnter, "esc": tea.KeyEscape,
		"tab": tea.KeyTab, "space": tea.KeySpace, "pgup": tea.KeyPgUp, "pgdown": tea.KeyPgDown, "home": tea.KeyHome,
		"end": tea.KeyEnd, "backspace": tea.KeyBackspace}
	if code, ok := special[k]; ok {
		return tea.KeyPressMsg{Code: code}
	}
	if strings.HasPrefix(k, "ctrl+") {
		return tea.KeyPressMsg{Code: rune(k[5]), Mod: tea.ModCtrl}
	}
	r := []rune(k)[0]
	return tea.KeyPressMsg{Code: r, Text: k}
}

func typeText(m *Model, s string) {
	for _, r := range s {
		m.Update(tea.KeyPressMsg{Code: r, Text: string(r)})
	}
}

func screen(m *Model) string { return ansi.Strip(m.render()) }

func TestFollowsTheTailUntilTheUserMovesUp(t *testing.T) {
	m, _ := newTestModel(t, true, 160, 48)
	deliver(m, feed.Batch{Records: testRecords(100)})
	if !m.table.following || m.table.sel != 99 {
		t.Fatalf("after the first batch: following %v sel %d", m.table.following, m.table.sel)
	}
	deliver(m, feed.Batch{Records: testRecords(10)})
	if m.table.sel != 109 {
		t.Fatalf("following did not move to the newest row: %d", m.table.sel)
	}
	press(m, "k", "k")
	if m.table.following || m.table.sel != 107 {
		t.Fatalf("after k k: following %v sel %d", m.table.following, m.table.sel)
	}
	selected, _ := m.table.Selected()
	deliver(m, feed.Batch{Records: testRecords(5)})
	if got, _ := m.table.Selected(); got.Start != selected.Start || got.SrcPort != selected.SrcPort {
		t.Fatalf("the selection moved while not following")
	}
	if !strings.Contains(screen(m), "not following: G to follow") {
		t.Errorf("the status bar does not say that the tail is not followed")
	}
	press(m, "G")
	if !m.table.following || m.table.sel != 114 {
		t.Fatalf("G did not re-follow: %v %d", m.table.following, m.table.sel)
	}
	press(m, "g")
	if m.table.sel != 0 || m.table.top != 0 {
		t.Fatalf("g: sel %d top %d", m.table.sel, m.table.top)
	}
	press(m, "pgdown")
	if m.table.sel != m.table.rows()-1 {
		t.Fatalf("pgdown: sel %d rows %d", m.table.sel, m.table.rows())
	}
	press(m, "end")
	if m.table.sel != 114 {
		t.Fatalf("end: %d", m.table.sel)
	}
}

func TestFilterAppliesAsYouTypeAndKeepsLastValid(t *testing.T) {
	m, _ := newTestModel(t, true, 160, 48)
	deliver(m, feed.Batch{Records: testRecords(300)})
	press(m, "/")
	if !m.bar.active {
		t.Fatal("/ did not open the filter bar")
	}
	typeText(m, "reject")
	cmd := m.scheduleFilter()
	if cmd == nil {
		t.Fatal("no debounce scheduled")
	}
	m.Update(debounceMsg{gen: m.bar.gen})
	if m.view.Len() != 100 {
		t.Fatalf("reject matched %d, want 100", m.view.Len())
	}
	typeText(m, " dsport=22")
	m.Update(debounceMsg{gen: m.bar.gen})
	if m.bar.err == nil || m.view.Len() != 100 {
		t.Fatalf("invalid filter: err %v len %d (the last valid filter must stay)", m.bar.err, m.view.Len())
	}
	out := screen(m)
	if !strings.Contains(out, "unknown field 'dsport' at 8, did you mean 'dstport'?") || !strings.Contains(out, "✗ /") {
		t.Errorf("the error is not shown:\n%s", lastLines(out, 3))
	}
	// Back to the text applied: the error goes.
	press(m, "backspace", "backspace", "backspace", "backspace", "backspace", "backspace", "backspace", "backspace", "backspace", "backspace")
	m.Update(debounceMsg{gen: m.bar.gen})
	if m.bar.input.Value() != "reject" || m.bar.err != nil {
		t.Fatalf("back to %q: err %v", m.bar.input.Value(), m.bar.err)
	}
	typeText(m, " dsport=22")
	m.Update(debounceMsg{gen: m.bar.gen})
	// A stale debounce tick must not apply an older text.
	old := m.bar.gen
	press(m, "backspace", "backspace", "backspace", "backspace", "backspace", "backspace", "backspace", "backspace", "backspace", "backspace")
	typeText(m, " src=203.0.113.1")
	m.Update(debounceMsg{gen: old})
	if m.bar.applied != "reject" {
		t.Fatalf("a stale tick applied %q", m.bar.applied)
	}
	press(m, "enter")
	if m.bar.active || m.bar.applied != "reject src=203.0.113.1" || m.view.Len() == 0 || m.view.Len() >= 100 {
		t.Fatalf("enter: active %v applied %q len %d", m.bar.active, m.bar.applied, m.view.Len())
	}
	if !strings.Contains(screen(m), fmt.Sprintf("%d of 300 match", m.view.Len())) {
		t.Errorf("no match count:\n%s", lastLines(screen(m), 2))
	}
	// History: the kept filter comes back with up.
	press(m, "/", "esc")
	if m.view.Filtered() || m.bar.input.Value() != "" {
		t.Fatal("esc did not clear the filter")
	}
	press(m, "/", "up")
	if m.bar.input.Value() != "reject src=203.0.113.1" {
		t.Fatalf("history up gave %q", m.bar.input.Value())
	}
	press(m, "enter")
	if !m.view.Filtered() {
		t.Fatal("the filter from history was not applied")
	}
	// Esc outside the bar clears an applied filter too.
	press(m, "esc")
	if m.view.Filtered() {
		t.Fatal("esc in the table did not clear the filter")
	}
}

func TestSelectionStaysOnTheRecordAcrossRefilter(t *testing.T) {
	m, _ := newTestModel(t, true, 160, 48)
	deliver(m, feed.Batch{Records: testRecords(300)})
	press(m, "g", "j", "j", "j") // row 3: a REJECT (every third)
	r, seq := m.table.Selected()
	if r.Action != model.Reject {
		t.Fatalf("row 3 is %v", r.Action)
	}
	m.applyFilter("reject", true)
	if _, s := m.table.Selected(); s != seq {
		t.Fatalf("selection moved from %d to %d", seq, s)
	}
	m.applyFilter("", true)
	if _, s := m.table.Selected(); s != seq {
		t.Fatalf("selection moved from %d to %d after clearing", seq, s)
	}
}

func TestKeysForPanesOverlaysPauseTimeAndQuit(t *testing.T) {
	m, src := newTestModel(t, true, 160, 48)
	deliver(m, feed.Batch{Records: testRecords(50), Status: feed.Status{Source: "test.log", State: feed.StateReading}})

	press(m, "enter")
	if m.focus != paneDetail {
		t.Fatal("enter did not focus the detail pane")
	}
	press(m, "tab")
	if m.focus != paneVerdict {
		t.Fatal("tab did not move on to the verdict pane")
	}
	press(m, "tab")
	if m.focus != paneTable {
		t.Fatal("tab did not cycle back to the table")
	}
	press(m, "?")
	if m.overlay != overlayHelp || !strings.Contains(screen(m), "export the view (flows or conversations) as JSON Lines") {
		t.Fatalf("help did not open:\n%s", screen(m))
	}
	press(m, "esc")
	if m.overlay != overlayNone {
		t.Fatal("esc did not close the help")
	}
	press(m, "space")
	if src.pauses != 1 || !m.paused || !strings.Contains(screen(m), "paused") {
		t.Fatal("space did not pause the source")
	}
	press(m, "space")
	if src.resumes != 1 || m.paused {
		t.Fatal("space did not resume the source")
	}
	press(m, "G")
	before := screen(m)
	press(m, "t")
	if !m.local || !strings.Contains(screen(m), "local time") || before == screen(m) && time.Local != time.UTC {
		t.Fatal("t did not switch to local time")
	}
	press(m, "t")
	if cmd := press(m, "q"); cmd == nil || src.closed {
		// Run closes the source once the screen is restored, off the update loop.
		t.Fatal("q did not quit, or closed the source on the update loop")
	} else if _, ok := cmd().(tea.QuitMsg); !ok {
		t.Fatal("q did not return tea.Quit")
	}
}

func TestMalformedOverlay(t *testing.T) {
	m, _ := newTestModel(t, true, 160, 48)
	p := model.NewParser("bad.log", nil)
	var r model.Flow
	p.Parse([]byte("2 123 eni-1 1.2.3 5.6.7.8 1 2 6 1 1 1 1 ACCEPT OK"), &r)
	p.Parse([]byte("garbage"), &r)
	deliver(m, feed.Batch{Stats: *p.Stats()})
	if !strings.Contains(screen(m), "malformed 2 (m)") {
		t.Fatalf("status bar:\n%s", lastLines(screen(m), 1))
	}
	press(m, "m")
	out := screen(m)
	for _, want := range []string{"2 malformed of 2 lines read", "bad address", "wrong field count", "bad.log:1: bad address: srcaddr \"1.2.3\""} {
		if !strings.Contains(out, want) {
			t.Errorf("malformed overlay lacks %q:\n%s", want, out)
		}
	}
}

func TestExportWritesTheFilteredView(t *testing.T) {
	m, _ := newTestModel(t, true, 160, 48)
	deliver(m, feed.Batch{Records: testRecords(30)})
	m.applyFilter("reject", true)
	press(m, "e")
	if !strings.Contains(lastLines(screen(m), 2), "write the flows as JSON Lines to: "+m.opts.ExportDir) {
		t.Fatalf("e opens no prompt with the default path:\n%s", lastLines(screen(m), 2))
	}
	cmd := press(m, "enter")
	if cmd == nil {
		t.Fatal("enter gave no command")
	}
	msg := cmd().(exportedMsg)
	m.Update(msg)
	if msg.err != nil || msg.n != 10 {
		t.Fatalf("export: %+v", msg)
	}
	data, err := os.ReadFile(msg.path)
	if err != nil || strings.Count(string(data), "\n") != 10 || !strings.Contains(string(data), `"action":"REJECT"`) {
		t.Fatalf("exported file: %v\n%s", err, data)
	}
	if filepath.Dir(msg.path) != m.opts.ExportDir {
		t.Errorf("exported to %s, not to the export directory %s", msg.path, m.opts.ExportDir)
	}
	// The status says where, as an absolute path a person can open.
	abs, err := filepath.Abs(msg.path)
	if err != nil || m.message != "exported 10 records to "+abs || !filepath.IsAbs(abs) {
		t.Errorf("message %q, want the absolute path %s (%v)", m.message, abs, err)
	}
	if !strings.Contains(lastLines(screen(m), 1), "exported 10 records to /") {
		t.Errorf("the status bar does not show it:\n%s", lastLines(screen(m), 1))
	}

	// Again in the same second (the clock is stopped here): a second file, not "file
	// exists", and the first one untouched.
	again := press(m, "e", "enter")().(exportedMsg)
	if again.err != nil || again.path == msg.path || !strings.HasSuffix(again.path, "-2.jsonl") {
		t.Fatalf("a second export in the same second: %+v", again)
	}
	if first, _ := os.ReadFile(msg.path); string(first) != string(data) {
		t.Error("the second export changed the first file")
	}
}

func TestMouse(t *testing.T) {
	m, _ := newTestModel(t, true, 160, 48)
	deliver(m, feed.Batch{Records: testRecords(200)})
	m.Update(tea.MouseWheelMsg{X: 10, Y: 10, Button: tea.MouseWheelUp})
	if m.table.following || m.table.sel != 196 {
		t.Fatalf("wheel up: following %v sel %d", m.table.following, m.table.sel)
	}
	m.Update(tea.MouseClickMsg{X: 10, Y: 2, Button: tea.MouseLeft}) // first row under the header
	if m.table.sel != m.table.top {
		t.Fatalf("click selected %d, top is %d", m.table.sel, m.table.top)
	}
	m.Update(tea.MouseClickMsg{X: 150, Y: 5, Button: tea.MouseLeft})
	if m.focus != paneDetail {
		t.Fatal("a click in the detail pane did not focus it")
	}
	m.Update(tea.MouseClickMsg{X: 10, Y: m.lay.barY, Button: tea.MouseLeft})
	if !m.bar.active {
		t.Fatal("a click on the filter bar did not open it")
	}
	typeText(m, "reject")
	if m.bar.input.Value() != "reject" {
		t.Fatalf("typing after the click gave %q", m.bar.input.Value())
	}
}

func TestTooSmall(t *testing.T) {
	m, _ := newTestModel(t, true, 50, 10)
	if out := screen(m); !strings.Contains(out, "too small: 50x10") {
		t.Fatalf("%s", out)
	}
	m.Update(tea.WindowSizeMsg{Width: 100, Height: 30})
	if out := screen(m); strings.Contains(out, "too small") || !strings.Contains(out, "Flows") {
		t.Fatalf("after growing:\n%s", out)
	}
}

// The frame must not grow with the ring: the rendered output is the same size for 100
// and 200,000 records.
func TestFrameDoesNotGrowWithTheRing(t *testing.T) {
	m, _ := newTestModel(t, true, 160, 48)
	deliver(m, feed.Batch{Records: testRecords(100)})
	small := len(m.render())
	m2, _ := newTestModel(t, true, 160, 48)
	recs := testRecords(200000)
	for i := 0; i < len(recs); i += 8192 {
		deliver(m2, feed.Batch{Records: recs[i:min(i+8192, len(recs))]})
	}
	big := len(m2.render())
	if big > small*3/2 {
		t.Fatalf("frame of %d bytes with 200k records, %d with 100", big, small)
	}
	if len(m2.table.cache) > 4*m2.table.rows()+100 {
		t.Fatalf("the row cache holds %d rows", len(m2.table.cache))
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(s, "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// pingRecords are the official ping example: the request accepted inbound, the reply
// rejected outbound by the NACL.
func pingRecords(t *testing.T) []model.Flow {
	p := model.NewParser("ping", nil)
	var out []model.Flow
	for _, l := range []string{
		"2 123456789010 eni-1235b8ca123456789 203.0.113.12 172.31.16.139 0 0 1 4 336 1432917027 1432917142 ACCEPT OK",
		"2 123456789010 eni-1235b8ca123456789 172.31.16.139 203.0.113.12 0 0 1 4 336 1432917094 1432917142 REJECT OK",
		"2 123456789010 eni-1235b8ca123456789 198.51.100.9 172.31.16.139 51515 22 6 1 44 1432917100 1432917142 REJECT OK",
	} {
		var r model.Flow
		if p.Parse([]byte(l), &r) != model.LineRecord {
			t.Fatal(p.Stats().Samples)
		}
		out = append(out, r)
	}
	return out
}

func TestVerdictPaneReverseAndPairsView(t *testing.T) {
	m, _ := newTestModel(t, true, 160, 48)
	deliver(m, feed.Batch{Records: pingRecords(t)})
	press(m, "g") // the ping request
	out := screen(m)
	for _, want := range []string{"Verdict: nacl", "BLOCKED by a network ACL: the reply", "REJECT ×1"} {
		if !strings.Contains(out, want) {
			t.Errorf("the verdict pane lacks %q:\n%s", want, out)
		}
	}
	// r jumps to the reply and says it was rejected.
	press(m, "r")
	if r, _ := m.table.Selected(); r.Action != model.Reject || r.Protocol != 1 {
		t.Fatalf("r selected %+v", r)
	}
	if !strings.Contains(m.message, "the reply, rejected") {
		t.Fatalf("message %q", m.message)
	}
	// From the SSH SYN that was rejected, r says why there is no reply.
	press(m, "G")
	press(m, "r")
	if !strings.Contains(m.message, "no reply: the request was rejected") {
		t.Fatalf("message for a rejected request: %q", m.message)
	}
	// The pairs view lists both conversations, the worst first, and filters by verdict.
	pressDone(m, "p")
	if m.mode != modePairs || len(m.pv.rows) != 2 || m.pairs.Classify(m.pv.rows[0].p, m.rules).Verdict != "nacl" {
		t.Fatalf("pairs view: mode %v rows %d", m.mode, len(m.pv.rows))
	}
	if !strings.Contains(screen(m), "Conversations, worst first") {
		t.Fatal("the pairs view is not shown")
	}
	press(m, "/")
	typeText(m, "verdict=sg-or-nacl")
	pressDone(m, "enter")
	if len(m.pv.rows) != 1 || m.pv.rows[0].p.Key.Protocol != 6 {
		t.Fatalf("verdict filter kept %d rows", len(m.pv.rows))
	}
	// enter goes back to the flows table on that conversation's record; the flows
	// filter (empty) came back with the view.
	press(m, "enter")
	if m.mode != modeFlows || m.bar.input.Value() != "" {
		t.Fatalf("mode %v filter %q", m.mode, m.bar.input.Value())
	}
	if r, _ := m.table.Selected(); r.DstPort != 22 {
		t.Fatalf("enter selected %+v", r)
	}
	pressDone(m, "p")
	if m.bar.input.Value() != "verdict=sg-or-nacl" {
		t.Fatalf("the pairs filter was not kept: %q", m.bar.input.Value())
	}
}

func TestPairsFollowRingEviction(t *testing.T) {
	src := newFakeFeed()
	dark := true
	m := New(Options{Feed: src, Capacity: 50, Dark: &dark, Now: func() time.Time { return testNow }})
	m.Update(tea.WindowSizeMsg{Width: 160, Height: 48})
	// Batches larger than the ring, after the ring is full: the index must hold exactly
	// what the ring holds.
	for i := 0; i < 3; i++ {
		deliver(m, feed.Batch{Records: testRecords(500)})
		deliver(m, feed.Batch{Records: testRecords(30)})
	}
	held := 0
	for _, p := range m.pairs.All() {
		held += int(p.Dirs[0].Records + p.Dirs[1].Records)
	}
	if held != 50 || m.ring.Len() != 50 {
		t.Fatalf("the pair index holds %d records, the ring %d", held, m.ring.Len())
	}
	if got := m.statusInfo().dropped; got != 3*530-50 {
		t.Fatalf("dropped %d, want %d", got, 3*530-50)
	}
}

func TestLiveRulesAreFetchedForNewInterfaces(t *testing.T) {
	doc := `{"NetworkInterfaces":[{"NetworkInterfaceId":"eni-1235b8ca123456789","SubnetId":"subnet-1","VpcId":"vpc-1","PrivateIpAddress":"172.31.16.139","PrivateIpAddresses":[{"PrivateIpAddress":"172.31.16.139","Primary":true}],"Groups":[{"GroupId":"sg-1"}]}],
"SecurityGroups":[{"GroupId":"sg-1","VpcId":"vpc-1","IpPermissions":[{"IpProtocol":"-1","IpRanges":[{"CidrIp":"0.0.0.0/0"}]}],"IpPermissionsEgress":[{"IpProtocol":"-1","IpRanges":[{"CidrIp":"0.0.0.0/0"}]}]}],
"NetworkAcls":[{"NetworkAclId":"acl-0ping","VpcId":"vpc-1","Associations":[{"SubnetId":"subnet-1"}],"Entries":[{"RuleNumber":100,"Protocol":"-1","RuleAction":"allow","Egress":false,"CidrBlock":"0.0.0.0/0"},{"RuleNumber":100,"Protocol":"6","RuleAction":"allow","Egress":true,"CidrBlock":"0.0.0.0/0","PortRange":{"From":1024,"To":65535}}]}]}`
	var asked []string
	src := newFakeFeed()
	dark := true
	m := New(Options{Feed: src, Dark: &dark, Now: func() time.Time { return testNow },
		FetchRules: func(enis []string) (*rules.Set, error) {
			asked = enis
			return rules.Load(strings.NewReader(doc), "test")
		}})
	m.Update(tea.WindowSizeMsg{Width: 160, Height: 48})
	deliver(m, feed.Batch{Records: pingRecords(t)})
	cmd := m.handleTick(testNow)
	for _, msg := range runBatch(cmd) {
		if f, ok := msg.(rulesFetchedMsg); ok {
			m.Update(f)
		}
	}
	if len(asked) != 1 || asked[0] != "eni-1235b8ca123456789" {
		t.Fatalf("asked for %v", asked)
	}
	press(m, "g")
	if out := screen(m); !strings.Contains(out, "acl-0ping egress") || !strings.Contains(out, "Verdict: nacl") {
		t.Fatalf("the verdict does not name the NACL rule:\n%s", out)
	}
	if cmd := m.fetchRules(); cmd != nil {
		t.Fatal("rules were fetched again with no new interface")
	}
}

// runBatch runs a command and the commands of a batch it returns, collecting messages;
// tick commands, which would wait a second, are skipped.
func runBatch(cmd tea.Cmd) []tea.Msg {
	if cmd == nil {
		return nil
	}
	done := make(chan tea.Msg, 1)
	go func() { done <- cmd() }()
	select {
	case msg := <-done:
		if b, ok := msg.(tea.BatchMsg); ok {
			var out []tea.Msg
			for _, c := range b {
				out = append(out, runBatch(c)...)
			}
			return out
		}
		return []tea.Msg{msg}
	case <-time.After(100 * time.Millisecond):
		return nil
	}
}

// The detail pane scrolls to its last field although long values wrap onto several
// screen lines.
func TestDetailScrollsToTheLastField(t *testing.T) {
	m, _ := newTestModel(t, true, 100, 24)
	p := model.NewParser("v5", model.MustParseFormat("version srcaddr dstaddr srcport dstport protocol start end packets bytes interface-id action tcp-flags flow-direction traffic-path pkt-src-aws-service pkt-dst-aws-service reject-reason log-status"))
	var r model.Flow
	if p.Parse([]byte("5 10.0.1.5 52.95.128.179 34210 443 6 1714564700 1714564760 7 471 eni-0ccc ACCEPT 3 egress 8 - S3 - OK"), &r) != model.LineRecord {
		t.Fatal(p.Stats().Samples)
	}
	deliver(m, feed.Batch{Records: []model.Flow{r}})
	press(m, "enter", "G")
	if out := screen(m); !strings.Contains(out, "log-status") || !strings.Contains(out, "duration") {
		t.Fatalf("the last fields are out of reach:\n%s", out)
	}
}

// At the minimum width the action column is whole: the addresses give way.
func TestActionFitsAtTheMinimumWidth(t *testing.T) {
	for _, w := range []int{60, 62, 64, 66} {
		m, _ := newTestModel(t, true, w, 14)
		deliver(m, feed.Batch{Records: testRecords(20)})
		out := screen(m)
		if !strings.Contains(out, "ACTION") || !strings.Contains(out, "REJECT") {
			t.Errorf("width %d: the action column is cut:\n%s", w, out)
		}
	}
}

// In the pairs view, e exports the conversations shown, not the flows.
func TestExportInThePairsViewWritesConversations(t *testing.T) {
	m, _ := newTestModel(t, true, 160, 48)
	deliver(m, feed.Batch{Records: pingRecords(t)})
	press(m, "p", "/")
	typeText(m, "verdict=nacl")
	press(m, "enter")
	msg := press(m, "e", "enter")().(exportedMsg)
	m.Update(msg)
	data, err := os.ReadFile(msg.path)
	if err != nil || msg.n != 1 || strings.Count(string(data), "\n") != 1 || !strings.Contains(string(data), `"verdict":"nacl"`) {
		t.Fatalf("export %+v: %v\n%s", msg, err, data)
	}
	if !strings.Contains(m.message, "exported 1 conversation to") {
		t.Fatalf("message %q", m.message)
	}
}

// y asks for a path, as the exports do, then writes the view's filter in the forms AWS
// runs to it, and sets the clipboard.
func TestQueriesKeyWritesTheViewsQueries(t *testing.T) {
	m, _ := newTestModel(t, true, 160, 48)
	var asked string
	var askedPairs bool
	m.opts.Queries = func(expr string, formats []*model.Format, conversations bool) (string, error) {
		asked, askedPairs = expr, conversations
		return "## Logs Insights query (exact)\nfilter " + expr + "\n", nil
	}
	deliver(m, feed.Batch{Records: testRecords(10)})
	m.applyFilter("reject", true)
	press(m, "y")
	if m.prompt == nil || !strings.HasPrefix(m.prompt.input.Value(), filepath.Join(m.opts.ExportDir, "flowlens-queries-")) {
		t.Fatal("y asked for no path")
	}
	press(m, "ctrl+u")
	typeText(m, "q.txt") // a path typed out of habit goes to the prompt, not the filter
	cmd := press(m, "enter")
	if cmd == nil {
		t.Fatal("y gave no command")
	}
	if m.bar.applied != "reject" {
		t.Fatalf("the filter became %q", m.bar.applied)
	}
	var written queriesWrittenMsg
	clipboard := false
	for _, msg := range cmd().(tea.BatchMsg) {
		switch v := msg().(type) {
		case queriesWrittenMsg:
			written = v
		default:
			clipboard = strings.Contains(fmt.Sprintf("%T", v), "Clipboard")
		}
	}
	m.Update(written)
	data, err := os.ReadFile(written.path)
	if err != nil || string(data) != "## Logs Insights query (exact)\nfilter reject\n" || asked != "reject" || askedPairs {
		t.Fatalf("file %q (%v), asked %q pairs %v", data, err, asked, askedPairs)
	}
	if !clipboard {
		t.Error("no clipboard command")
	}
	if written.path != filepath.Join(m.opts.ExportDir, "q.txt") || !strings.HasPrefix(m.message, "wrote "+written.path) {
		t.Errorf("written to %s, message %q", written.path, m.message)
	}
	press(m, "p")
	press(m, "y", "enter")
	if !askedPairs {
		t.Error("the conversations view did not ask for the both-directions part")
	}
}

// The verdict pane says when the source narrowed the records it read.
func TestVerdictPaneSaysWhenRecordsWereNarrowedAtTheSource(t *testing.T) {
	m, _ := newTestModel(t, true, 160, 48)
	deliver(m, feed.Batch{Records: pingRecords(t)})
	m.refreshDetail()
	if strings.Contains(screen(m), "Narrowed at the source") {
		t.Fatal("narrowed without a pushed filter")
	}
	st := feed.Status{Source: "/vpc/flows", State: feed.StateLiveTail}
	st.SetField(feed.FieldPushed, "proto=icmp")
	deliver(m, feed.Batch{Status: st})
	m.refreshDetail()
	var text []string
	for _, l := range m.verdict.lines {
		text = append(text, l.text)
	}
	if !strings.Contains(strings.Join(text, "\n"), "Narrowed at the source (proto=icmp)") {
		t.Errorf("verdict pane:\n%s", strings.Join(text, "\n"))
	}
}
