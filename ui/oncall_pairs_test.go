package ui

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/flowlens/flowlens/feed"
	"github.com/flowlens/flowlens/internal/sim"
	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/names"
	"github.com/flowlens/flowlens/model/ring"
	"github.com/flowlens/flowlens/model/rules"
)

// The app-to-database case of the simulator: app (10.0.1.10) connects to db
// (10.0.2.10:5432), whose security group allows only 10.0.9.0/24. Both interfaces log
// it: the app's as a request that left and got no reply, the db's as a request its
// group rejected.
const appToDB = "internal app to db rejected by the db's security group"

func simCase(t *testing.T, name string) (recs []model.Flow, files []sim.RulesFile) {
	t.Helper()
	for _, c := range sim.Cases() {
		if c.Name == name {
			return c.Run(nil).Records, c.Topology.RulesFiles()
		}
	}
	t.Fatalf("no simulator case %q", name)
	return nil, nil
}

// loadFiles loads describe-* outputs, with edit applied to each (a rule changed).
func loadFiles(t *testing.T, files []sim.RulesFile, edit func(string) string) *rules.Set {
	t.Helper()
	rs := rules.NewSet()
	for _, f := range files {
		data := f.Data
		if edit != nil {
			data = []byte(edit(string(data)))
		}
		one, err := rules.Load(bytes.NewReader(data), f.Name)
		if err != nil {
			t.Fatal(err)
		}
		rs.Merge(one)
	}
	return rs
}

// linkedModel is the explorer holding the app-to-database case; with rules (and the
// names they give) unless bare.
func linkedModel(t *testing.T, w, h int, bare bool) (*Model, *rules.Set) {
	t.Helper()
	recs, files := simCase(t, appToDB)
	dark := true
	opts := Options{Feed: newFakeFeed(), Dark: &dark, Now: func() time.Time { return testNow }, ExportDir: t.TempDir()}
	var rs *rules.Set
	if !bare {
		rs = loadFiles(t, files, nil)
		opts.Rules, opts.Names = rs, names.New(rs, nil)
	}
	m := New(opts)
	m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	deliver(m, feed.Batch{Records: recs, Status: feed.Status{Source: "app-db.log", State: feed.StateDone}})
	return m, rs
}

// The app's side of a connection the db's group rejected says where it died: at the
// db's interface, by the db's group, and which group to add as a source; the other end
// is named with its own verdict, and the link is confirmed by the rules.
func TestVerdictPaneLinksBothEnds(t *testing.T) {
	m, _ := linkedModel(t, 220, 60, false)
	pressDone(m, "g") // the app's record (ACCEPT, egress), the first to arrive
	if r, _ := m.table.Selected(); r.Action != model.Accept {
		t.Fatalf("selected %v, want the app's ACCEPT", r.Action)
	}
	out := squash(screen(m))
	for _, want := range []string{
		"Verdict: no-response · both ends: sg",
		"on eni-0731da3b159d01b62 (app)",
		"BOTH ENDS: sg, the request rejected at eni-0d1e461528d7463cb (db)",
		"by sg-0b0548cb64c94a091 (db), sg-08b6d358cb5e7a22e (base): no inbound rule allows tcp/5432 from 10.0.1.10",
		"add sg-04f82d80b16039798 (app) as a source",
		"the other end: eni-0d1e461528d7463cb (db), its own verdict sg",
		"linked by the interfaces' addresses in the rules",
		"10.0.1.10:", " app → 10.0.2.10:5432 (postgres) db",
		"Rules (read 12:00:00)",
	} {
		if !strings.Contains(out, want) && !strings.Contains(verdictText(m), want) {
			t.Errorf("the verdict pane lacks %q:\n%s", want, verdictText(m))
		}
	}
	if strings.Contains(out, "inferred") {
		t.Error("a link the rules confirm is called inferred")
	}
}

// Without rules the two ends are linked by the tuple, the times and each interface's
// own address as the records tell it, and the pane says so.
func TestVerdictPaneMarksAnInferredLink(t *testing.T) {
	m, _ := linkedModel(t, 220, 60, true)
	pressDone(m, "g")
	out := squash(screen(m))
	for _, want := range []string{"both ends: sg-or-nacl", "BOTH ENDS (inferred link): sg-or-nacl, the request rejected at eni-0d1e461528d7463cb", "inferred link: matched by the tuple and the times alone"} {
		if !strings.Contains(out, want) {
			t.Errorf("the verdict pane lacks %q:\n%s", want, screen(m))
		}
	}
	if strings.Contains(verdictText(m), "Rules (read") {
		t.Error("the pane says when rules were read, without rules")
	}
}

// verdictText is the verdict pane's text, each line whole (before wrapping).
func verdictText(m *Model) string {
	var b strings.Builder
	for _, l := range m.verdict.lines {
		b.WriteString(l.text + "\n")
	}
	return b.String()
}

// squash joins the lines of the panes' text, so that a sentence wrapped across lines
// (with the border and the other pane between) reads as one. A focused pane's border is
// heavy.
func squash(scr string) string {
	var b strings.Builder
	borders := strings.NewReplacer("┃", "│")
	for _, l := range strings.Split(scr, "\n") {
		for _, part := range strings.Split(borders.Replace(l), "│") {
			if p := strings.TrimSpace(part); p != "" {
				b.WriteString(p + " ")
			}
		}
	}
	return b.String()
}

// v puts the verdict pane over the screen, where nothing is cut (the rules wrap), the
// movement keys scroll it, and v or Esc puts it back.
func TestVerdictZoom(t *testing.T) {
	m, _ := linkedModel(t, 100, 30, false)
	pressDone(m, "G") // the db's record
	pressDone(m, "v")
	out := screen(m)
	if !m.verdictZoom || !strings.Contains(out, "Verdict: sg · both ends: sg (zoomed)") || strings.Contains(out, "Flows") {
		t.Fatalf("v did not zoom the verdict pane:\n%s", out)
	}
	if lines := strings.Split(out, "\n"); len(lines) != 30 || len([]rune(lines[0])) != 100 {
		t.Fatalf("zoomed: %d lines, the first %d wide", len(lines), len([]rune(lines[0])))
	}
	pressDone(m, "G") // to the end of the pane, not of the table
	if m.verdict.offset == 0 || !strings.Contains(screen(m), "Who started it") {
		t.Fatalf("G did not scroll the zoomed pane:\n%s", screen(m))
	}
	if strings.Contains(out, "…") {
		t.Errorf("a line is cut in the zoomed pane:\n%s", out)
	}
	pressDone(m, "v")
	if m.verdictZoom || !strings.Contains(screen(m), "Flows") {
		t.Fatal("v did not put the pane back")
	}
	pressDone(m, "v", "esc")
	if m.verdictZoom || !strings.Contains(screen(m), "Flows") || m.verdict.width != m.lay.verdict.w {
		t.Fatal("esc did not put the pane back")
	}
	// The stats view has no verdict pane: its keys stay its own while the zoom waits.
	pressDone(m, "v", "s")
	settleStats(t, m)
	pressDone(m, "tab")
	if m.mode != modeStats || m.sv.focus != 1 || strings.Contains(firstLine(screen(m)), "Verdict") {
		t.Fatalf("the stats view under a zoomed verdict pane: mode %v, focus %d:\n%s", m.mode, m.sv.focus, screen(m))
	}
}

// Rules wrap in the verdict pane: a rule longer than the pane is on screen whole,
// over several lines, and nothing is cut with "…".
func TestVerdictPaneWrapsRules(t *testing.T) {
	m, _ := linkedModel(t, 100, 30, false)
	pressDone(m, "G", "tab", "tab", "G") // the db's record; the verdict pane; its end
	var all []string
	for _, l := range m.verdict.screen {
		if strings.Contains(l.text, "…") {
			t.Errorf("cut: %q", l.text)
		}
		all = append(all, strings.TrimSpace(l.text))
	}
	text := strings.Join(all, " ")
	for _, want := range []string{
		"deciding: sg-0b0548cb64c94a091 (db),sg-08b6d358cb5e7a22e (base): no inbound rule allows tcp/5432 from 10.0.1.10",
		"sg-0b0548cb64c94a091 (db) inbound tcp 5432 from 10.0.9.0/24",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the pane lacks %q:\n%s", want, strings.Join(all, "\n"))
		}
	}
}

// R reads the rules again, off the update loop; the pane says when the rules in use
// came in, and a record older than them that the old rules judged otherwise shows the
// old verdict beside.
func TestReloadRules(t *testing.T) {
	_, files := simCase(t, appToDB)
	recs, _ := simCase(t, appToDB)
	rs := loadFiles(t, files, nil)
	reloads := 0
	var fail error
	// The records are of 09:00:00 to 09:00:03 on 2025-03-14; the rules were read at 09:05.
	now := time.Date(2025, 3, 14, 9, 5, 0, 0, time.UTC)
	dark := true
	m := New(Options{Feed: newFakeFeed(), Dark: &dark, Rules: rs, Names: names.New(rs, nil), Now: func() time.Time { return now },
		ReloadRules: func() (*rules.Set, error) {
			reloads++
			if fail != nil {
				return nil, fail
			}
			// The db's group fixed: it now allows the app's subnet.
			return loadFiles(t, files, func(s string) string { return strings.ReplaceAll(s, "10.0.9.0/24", "10.0.1.0/24") }), nil
		}})
	m.Update(tea.WindowSizeMsg{Width: 220, Height: 60})
	deliver(m, feed.Batch{Records: recs})
	pressDone(m, "G")
	if out := verdictText(m); !strings.Contains(out, "Rules (read 09:05:00)") || strings.Contains(out, "with the rules before") {
		t.Fatalf("before the reload:\n%s", out)
	}

	now = time.Date(2025, 3, 14, 9, 14, 2, 0, time.UTC)
	cmd := press(m, "R")
	if reloads != 0 {
		t.Fatal("the rules were read on the update loop")
	}
	for _, msg := range runBatch(cmd) {
		m.Update(msg)
	}
	out := verdictText(m) + " " + m.message
	if reloads != 1 || m.rules == rs || m.prevRules != rs {
		t.Fatalf("reloads %d, rules replaced %v", reloads, m.rules != rs)
	}
	for _, want := range []string{
		"Rules (read 09:14:02)",
		"Judged with the rules reloaded at 09:14:02, after these records: with the rules before, the verdict was sg (sg-0b0548cb64c94a091 (db),sg-08b6d358cb5e7a22e (base): no inbound rule allows tcp/5432 from 10.0.1.10).",
		"rules reloaded: 3 security groups, 3 network ACLs",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("after the reload, the screen lacks %q:\n%s", want, out)
		}
	}

	// A reload that fails keeps the rules in use and says why.
	fail = errors.New("bad --rules: rules.json: unexpected end of JSON input")
	before := m.rules
	for _, msg := range runBatch(press(m, "R")) {
		m.Update(msg)
	}
	if m.rules != before || !m.msgError || !strings.Contains(m.message, "the previous ones stay: bad --rules") {
		t.Fatalf("a failed reload: rules replaced %v, message %q", m.rules != before, m.message)
	}

	// Without rules to reload, R says how to get some.
	m2, _ := newTestModel(t, true, 160, 48)
	if cmd := press(m2, "R"); cmd != nil && len(runBatch(cmd)) > 0 || !strings.Contains(m2.message, "no rules to reload") {
		t.Fatalf("R without rules: %q", m2.message)
	}
}

// In the conversations view the two ends of the connection read as one: each row has
// both ends' verdict, and names beside the interface and the addresses.
func TestConversationsShowBothEndsAndNames(t *testing.T) {
	m, _ := linkedModel(t, 160, 40, false)
	pressDone(m, "p")
	out := screen(m)
	var rows []string
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, "10.0.1.10:") {
			rows = append(rows, l)
		}
	}
	if len(rows) != 2 {
		t.Fatalf("%d conversation rows:\n%s", len(rows), out)
	}
	for i, want := range [][]string{{selMark + "sg ", " sg ", "eni-…8d7463cb db", " app", "10.0.2.10:5432 db"}, {" no-response sg ", "eni-…59d01b62 app"}} {
		for _, w := range want {
			if !strings.Contains(rows[i], w) {
				t.Errorf("row %d lacks %q: %s", i, w, rows[i])
			}
		}
	}
	if !strings.Contains(out, "BOTH ENDS") || !strings.Contains(out, "every one of 2 conversations") {
		t.Errorf("header:\n%s", out)
	}
}

// o cycles the order through the columns, O reverses it, the header says which; the
// order holds while records arrive (new conversations at the end, counted in the
// title) until u sorts again.
func TestConversationsSortAndHold(t *testing.T) {
	m, _ := newTestModel(t, true, 160, 48)
	deliver(m, feed.Batch{Records: testRecords(300)})
	pressDone(m, "p")
	if !strings.Contains(screen(m), "Conversations, worst first") {
		t.Fatalf("opening order:\n%s", screen(m))
	}
	titles := []string{"by both ends' verdict ▼", "by last seen ▼", "by bytes ▼", "by packets ▼", "by count ▼", "by arrival ▼", ", worst first"}
	for _, want := range titles {
		pressDone(m, "o")
		if !strings.Contains(screen(m), "Conversations"+strings.TrimPrefix(" "+want, " ,")) && !strings.Contains(screen(m), "Conversations "+want) && !strings.Contains(screen(m), "Conversations"+want) {
			t.Fatalf("after o, want %q:\n%s", want, firstLine(screen(m)))
		}
	}
	pressDone(m, "o", "o", "o") // by bytes
	bytesOf := func(r pairRow) uint64 { return r.p.Dirs[0].Bytes + r.p.Dirs[1].Bytes }
	for i := 1; i < len(m.pv.rows); i++ {
		if bytesOf(m.pv.rows[i-1]) < bytesOf(m.pv.rows[i]) {
			t.Fatalf("not by bytes, most first: row %d has %d, row %d %d", i-1, bytesOf(m.pv.rows[i-1]), i, bytesOf(m.pv.rows[i]))
		}
	}
	pressDone(m, "O")
	if !strings.Contains(screen(m), "by bytes ▲") || bytesOf(m.pv.rows[0]) > bytesOf(m.pv.rows[len(m.pv.rows)-1]) {
		t.Fatalf("O did not reverse:\n%s", firstLine(screen(m)))
	}
	pressDone(m, "O")
	top := m.pv.rows[0].p

	// A new, biggest conversation arrives: it goes to the end; the order holds.
	p := model.NewParser("big", nil)
	var big model.Flow
	if p.Parse([]byte("2 123456789012 eni-0a1b2c3d4e5f6a7b0 198.51.100.200 10.0.1.5 50000 443 6 900000 900000000 1714565000 1714565060 ACCEPT OK"), &big) != model.LineRecord {
		t.Fatal(p.Stats().Samples)
	}
	deliver(m, feed.Batch{Records: []model.Flow{big}})
	m.Update(tickMsg(testNow))
	runWork(m)
	n := len(m.pv.rows)
	if m.pv.rows[0].p != top || m.pv.rows[n-1].p.Key.A().Addr().String() != "10.0.1.5" && m.pv.rows[n-1].p.Key.B().Addr().String() != "198.51.100.200" {
		t.Fatalf("the order did not hold: first %v, last %v", m.pv.rows[0].p.Key, m.pv.rows[n-1].p.Key)
	}
	if !strings.Contains(screen(m), "by bytes ▼ · 1 new at the end") {
		t.Fatalf("the title does not count the new conversation:\n%s", firstLine(screen(m)))
	}
	pressDone(m, "u")
	if m.pv.rows[0].p.Dirs[0].Bytes+m.pv.rows[0].p.Dirs[1].Bytes != 900000000 || strings.Contains(screen(m), "new at the end") {
		t.Fatalf("u did not sort again: first %v", m.pv.rows[0].p.Key)
	}
}

func firstLine(s string) string { return strings.SplitN(s, "\n", 2)[0] }

// c folds the conversations that differ only by the initiator's port into one line
// with a count and first/last seen; enter lists a group's conversations under it and
// folds it again; enter on a conversation goes to its record.
func TestConversationsCollapse(t *testing.T) {
	m, _ := newTestModel(t, true, 160, 48)
	deliver(m, feed.Batch{Records: incidentRecords(300)})
	pressDone(m, "p")
	flat := len(m.pv.rows)
	pressDone(m, "c")
	if !m.pv.collapsed || len(m.pv.groups) >= flat || len(m.pv.rows) != flat {
		t.Fatalf("collapsed: %d groups of %d conversations (rows %d)", len(m.pv.groups), flat, len(m.pv.rows))
	}
	// The brute force: 120 conversations from 203.0.113.66 to 10.0.1.9:22, one group.
	gi := -1
	for i, g := range m.pv.groups {
		r := m.pv.rows[g.rep]
		if g.n == 120 && (r.p.Key.A().Addr().String() == "203.0.113.66" || r.p.Key.B().Addr().String() == "203.0.113.66") {
			gi = i
		}
	}
	if gi < 0 {
		t.Fatalf("no group of the 120 brute-force conversations")
	}
	m.pv.sel = m.pv.itemOf(int32(gi), -1)
	m.pv.clamp()
	m.Update(tea.WindowSizeMsg{Width: 160, Height: 48})
	out := screen(m)
	if !strings.Contains(out, "Conversations grouped, worst first") || !strings.Contains(out, "▸ 203.0.113.66 ") || !strings.Contains(out, "CONVS") {
		t.Fatalf("collapsed view:\n%s", out)
	}
	line := lineWith(out, "▸ 203.0.113.66 ")
	if !strings.Contains(line, " 120 ") || !strings.Contains(line, "10.0.1.9:22") {
		t.Fatalf("the group's line lacks its count or responder: %s", line)
	}
	lines := m.pv.lines()
	pressDone(m, "enter")
	if m.mode != modePairs || m.pv.lines() != lines+120 || !strings.Contains(screen(m), "▾ 203.0.113.66 ") {
		t.Fatalf("enter did not expand: mode %v, %d lines of %d", m.mode, m.pv.lines(), lines)
	}
	pressDone(m, "j") // the group's first conversation
	if m.pv.onGroupLine() || !strings.Contains(lineWith(screen(m), "203.0.113.66:4"), "   203.0.113.66:4") {
		t.Fatalf("the members are not listed under the group:\n%s", screen(m))
	}
	pressDone(m, "k", "enter")
	if m.pv.lines() != lines {
		t.Fatal("enter again did not fold the group")
	}
	pressDone(m, "j", "enter") // a conversation of its own: to the flows table
	if m.mode == modePairs && !m.pv.onGroupLine() {
		t.Fatal("enter on a lone group's line should expand it")
	}
	pressDone(m, "c")
	if m.pv.collapsed || m.pv.lines() != flat {
		t.Fatalf("c did not unfold: %d lines of %d", m.pv.lines(), flat)
	}

	// Enter on one of an expanded group's conversations opens its records, as it does
	// unfolded (it folded the group).
	pressDone(m, "c")
	for i, g := range m.pv.groups {
		if g.n == 120 {
			m.pv.sel = m.pv.itemOf(int32(i), -1)
		}
	}
	m.pv.clamp()
	pressDone(m, "enter", "j")
	member := m.pv.selected()
	if m.pv.onGroupLine() || member == nil {
		t.Fatal("no member of the group selected")
	}
	want := ring.Seq(newestSeq(m.pairs, m.rules, member))
	pressDone(m, "enter")
	if m.mode != modeFlows || m.table.selSeq != want {
		t.Fatalf("enter on a group's conversation: mode %v, record %d selected, want %d", m.mode, m.table.selSeq, want)
	}
}

func lineWith(scr, s string) string {
	for _, l := range strings.Split(scr, "\n") {
		if strings.Contains(l, s) {
			return l
		}
	}
	return ""
}

// At 100x30 the conversations' columns give way by priority: LAST is whole on every
// row, and the header explains its two numbers.
func TestConversationsColumnsAtNarrowWidth(t *testing.T) {
	m, _ := newTestModel(t, true, 100, 30)
	deliver(m, feed.Batch{Records: testRecords(300)})
	pressDone(m, "p")
	out := screen(m)
	header := lineWith(out, "VERDICT")
	if !strings.Contains(header, "LAST") {
		t.Fatalf("LAST is not shown at 100 columns:\n%s", out)
	}
	at := len([]rune(header[:strings.Index(header, "LAST")]))
	for _, l := range strings.Split(out, "\n")[2:10] {
		cell := strings.TrimRight(string([]rune(l)[at:]), "│┃")
		if _, err := time.Parse("15:04:05", strings.TrimSpace(cell)); err != nil {
			t.Fatalf("LAST is cut: %q", l)
		}
	}
	if !strings.Contains(firstLine(out), "every one of") && !strings.Contains(firstLine(out), "· all") {
		t.Fatalf("the counts are not explained: %s", firstLine(out))
	}
}

// Sorting and collapsing many conversations list them again in steps of at most the
// budget and sort (and group) them in a command, off the update loop, with the progress
// shown; what each Update does stays bounded whatever is held.
func TestSortAndCollapseWorkIsBounded(t *testing.T) {
	m, l := boundedModel(t, 30_000)
	l.send(keyMsg("p"))
	n := m.pairs.Len()
	for _, k := range []string{"o", "o", "O", "c", "u"} {
		l.most, l.sorted, l.updates, l.seen = workDone{}, 0, 0, nil
		l.send(keyMsg(k))
		if l.most.pairs > 100 {
			t.Fatalf("%s: one Update classified %d conversations; the budget is 100", k, l.most.pairs)
		}
		if l.sorted != 1 {
			t.Fatalf("%s: sorted %d times in a command; want once, off the loop", k, l.sorted)
		}
		if l.updates < n/100 {
			t.Fatalf("%s: %d conversations listed in %d updates: not in steps", k, n, l.updates)
		}
		if len(l.seen) == 0 || !strings.Contains(l.seen[0], "conversations") {
			t.Fatalf("%s: no progress shown", k)
		}
	}
	if !m.pv.collapsed || len(m.pv.rows) != n || !m.pv.order.reverse || m.pv.order.col != sortLast {
		t.Fatalf("after o o O c u: collapsed %v, %d rows of %d, order %+v", m.pv.collapsed, len(m.pv.rows), n, m.pv.order)
	}
	// The groups hold every conversation once, each in its group's place.
	total := 0
	for _, g := range m.pv.groups {
		total += int(g.n)
		for k := g.start; k < g.start+g.n; k++ {
			if groupHash(&m.pv.rows[k]) != g.hash {
				t.Fatal("a conversation listed under another group")
			}
		}
	}
	if total != n {
		t.Fatalf("the groups hold %d conversations of %d", total, n)
	}
}

// The verdict accuracy of the explorer's joint view on the simulator's hand-built
// cases: for each connection between two interfaces of the VPC that both logged it, the
// conversations view's BOTH ENDS column on both rows, and the verdict pane's title for
// each end, give the simulator's outcome (the conversation's truth, not flowlens's own
// judgement), with the rules.
func TestExplorerJointVerdictMatchesTheSimulator(t *testing.T) {
	checked := 0
	for _, c := range sim.Cases() {
		res := c.Run(nil)
		tr := res.Truth
		if len(tr.Views) != 2 || tr.Views[0].Interface == tr.Views[1].Interface || tr.Views[0].Side == tr.Views[1].Side {
			continue // one end logged it, or a NAT gateway between: nothing to link
		}
		rs := loadFiles(t, c.Topology.RulesFiles(), nil)
		dark := true
		m := New(Options{Feed: newFakeFeed(), Dark: &dark, Rules: rs, Names: names.New(rs, nil), Now: func() time.Time { return testNow }})
		m.Update(tea.WindowSizeMsg{Width: 200, Height: 50})
		deliver(m, feed.Batch{Records: res.Records})
		pressDone(m, "p")
		want := string(tr.Outcome.Verdict)
		if len(m.pv.onScreen) != 2 {
			t.Errorf("%s: %d conversations, want the two ends", c.Name, len(m.pv.onScreen))
			continue
		}
		for i := range m.pv.onScreen {
			if got := string(m.pv.onScreen[i].joint); got != want {
				t.Errorf("%s: row %d (%s): both ends %q, the simulator says %q", c.Name, i, m.pv.onScreen[i].j.Verdict, got, want)
			}
			pressDone(m, []string{"g", "G"}[i])
			if title := "both ends: " + want; !strings.Contains(screen(m), title) {
				t.Errorf("%s: the verdict pane of row %d lacks %q", c.Name, i, title)
			}
		}
		checked++
	}
	if checked < 5 {
		t.Fatalf("only %d cases had both ends logged", checked)
	}
	t.Logf("%d linked cases", checked)
}

// joint-verdict= filters the conversations view by both ends' verdict: the app's
// no-response row is kept by joint-verdict=sg, and none=... keeps the unlinked.
func TestConversationsFilterByJointVerdict(t *testing.T) {
	m, _ := linkedModel(t, 160, 40, false)
	pressDone(m, "p", "/")
	typeText(m, "joint-verdict=sg")
	pressDone(m, "enter")
	if len(m.pv.rows) != 2 {
		t.Fatalf("joint-verdict=sg kept %d of the two ends:\n%s", len(m.pv.rows), screen(m))
	}
	pressDone(m, "/")
	typeText(m, " verdict=no-response")
	pressDone(m, "enter")
	if len(m.pv.rows) != 1 || m.pairs.Classify(m.pv.rows[0].p, m.rules).Verdict != "no-response" {
		t.Fatalf("joint-verdict=sg verdict=no-response kept %d", len(m.pv.rows))
	}
	pressDone(m, "/", "ctrl+u")
	typeText(m, "joint-verdict=none")
	pressDone(m, "enter")
	if len(m.pv.rows) != 0 {
		t.Fatalf("joint-verdict=none kept %d linked conversations", len(m.pv.rows))
	}
}

// Folded, the order holds too: while records arrive the groups keep their places, a
// new group goes to the end, and a group that grew keeps its place with its new count.
func TestCollapsedOrderHolds(t *testing.T) {
	m, _ := newTestModel(t, true, 160, 48)
	deliver(m, feed.Batch{Records: incidentRecords(300)})
	pressDone(m, "p", "c")
	before := make([]uint64, len(m.pv.groups))
	for i, g := range m.pv.groups {
		before[i] = g.hash
	}
	first, before0 := m.pv.rows[m.pv.groups[0].rep], m.pv.groups[0].n
	j := m.pairs.Classify(first.p, nil)
	p := model.NewParser("more", nil)
	var recs []model.Flow
	for _, line := range []string{
		// a new conversation of the first group: its initiator, from another port
		fmt.Sprintf("2 123456789012 %s %s %s 39999 %d 6 1 60 1714564870 1714564930 %s OK", first.p.Key.Interface, j.InitiatorAP.Addr(),
			j.ResponderAP.Addr(), j.ResponderAP.Port(), j.Request.Action()),
		// a group of its own, the worst there is were the order made afresh
		"2 123456789012 eni-0a1b2c3d4e5f6a7b1 192.0.2.1 10.0.1.5 40000 3389 6 1 60 1714564870 1714564930 REJECT OK",
	} {
		var r model.Flow
		if p.Parse([]byte(line), &r) != model.LineRecord {
			t.Fatal(p.Stats().Samples)
		}
		recs = append(recs, r)
	}
	deliver(m, feed.Batch{Records: recs})
	m.Update(tickMsg(testNow))
	runWork(m)
	if len(m.pv.groups) != len(before)+1 {
		t.Fatalf("%d groups after one new, were %d", len(m.pv.groups), len(before))
	}
	for i, h := range before {
		if m.pv.groups[i].hash != h {
			t.Fatalf("group %d moved while records arrived", i)
		}
	}
	if last := m.pv.rows[m.pv.groups[len(before)].rep]; last.p.Key.A().Addr().String() != "10.0.1.5" || last.p.Key.B().Addr().String() != "192.0.2.1" {
		t.Fatalf("the new group is not at the end: %v", last.p.Key)
	}
	if m.pv.groups[0].n != before0+1 {
		t.Fatalf("the first group has %d conversations, want its %d and the new one", m.pv.groups[0].n, before0)
	}
}

// runWork lets the work under way finish, one workMsg at a time, as a busy machine
// spreads it: a step stops at 8 ms, so one message may not be enough under -race.
func runWork(m *Model) {
	for i := 0; m.busy() && i < 100_000; i++ {
		m.Update(workMsg{})
	}
}

// pressDone presses keys as press does, and after each lets the work it started finish
// (the steps a busy machine spreads over several messages: a step stops at 8 ms), so
// that what a test sees does not depend on the machine's load.
func pressDone(m *Model, keys ...string) {
	for _, k := range keys {
		press(m, k)
		runWork(m)
	}
}

// A live fetch begun before a reload (R) lands after it: the older rules must not
// replace the ones the reload brought.
func TestAFetchBegunBeforeAReloadIsStale(t *testing.T) {
	recs, _ := simCase(t, appToDB)
	old, fresh := rules.NewSet(), rules.NewSet()
	dark := true
	m := New(Options{Feed: newFakeFeed(), Dark: &dark, Now: func() time.Time { return testNow },
		FetchRules:  func([]string) (*rules.Set, error) { return old, nil },
		ReloadRules: func() (*rules.Set, error) { return fresh, nil }})
	m.Update(tea.WindowSizeMsg{Width: 160, Height: 48})
	deliver(m, feed.Batch{Records: recs})
	m.fetching, m.fetchedFor = false, 0
	stale := m.fetchRules() // begun, not yet landed
	if stale == nil {
		t.Fatal("no live fetch begun")
	}
	for _, msg := range runBatch(press(m, "R")) {
		m.Update(msg)
	}
	after := m.rules
	m.opts.FetchRules = func([]string) (*rules.Set, error) { return old, nil }
	for _, msg := range runBatch(stale) {
		m.Update(msg)
	}
	if m.rules != after {
		t.Fatal("a fetch begun before the reload replaced the reloaded rules")
	}
}

// The names a reload's files give count only once the whole reload succeeded: a live
// fetch that fails after the files were read leaves names and rules as they were.
func TestAFailedReloadLeavesTheNames(t *testing.T) {
	_, files := simCase(t, appToDB)
	rs := loadFiles(t, files, nil)
	id, name := namedGroup(t, rs)
	lookup := names.New(rs, nil)
	renamed := func(s string) string { return strings.ReplaceAll(s, `"`+name+`"`, `"`+name+`-new"`) }
	fetchErr := errors.New("no credentials")
	dark := true
	m := New(Options{Feed: newFakeFeed(), Dark: &dark, Rules: rs, Names: lookup, Now: func() time.Time { return testNow },
		ReloadRules: func() (*rules.Set, error) { return loadFiles(t, files, renamed), nil },
		FetchRules:  func([]string) (*rules.Set, error) { return nil, fetchErr }})
	m.Update(tea.WindowSizeMsg{Width: 160, Height: 48})
	recs, _ := simCase(t, appToDB)
	deliver(m, feed.Batch{Records: recs})
	for _, msg := range runBatch(press(m, "R")) {
		m.Update(msg)
	}
	if got := lookup.Group(id); got != name {
		t.Fatalf("after a failed reload the group is named %q, want %q as before", got, name)
	}
	fetchErr = nil
	m.opts.FetchRules = func([]string) (*rules.Set, error) { return rules.NewSet(), nil }
	for _, msg := range runBatch(press(m, "R")) {
		m.Update(msg)
	}
	if got := lookup.Group(id); got != name+"-new" {
		t.Fatalf("after a reload the group is named %q, want %q", got, name+"-new")
	}
}

// The names a live fetch's answer carries join the lookup when the explorer takes the
// answer in, from a reload's fetch too; an answer made stale by a reload is dropped
// whole, its names with it.
func TestLiveRulesNamesJoinWhenTakenIn(t *testing.T) {
	_, files := simCase(t, appToDB)
	rs := loadFiles(t, files, nil)
	id, name := namedGroup(t, rs)
	staleSet := loadFiles(t, files, func(s string) string { return strings.ReplaceAll(s, `"`+name+`"`, `"`+name+`-stale"`) })
	lookup := names.New(nil, nil)
	dark := true
	m := New(Options{Feed: newFakeFeed(), Dark: &dark, Names: lookup, Now: func() time.Time { return testNow },
		FetchRules:  func([]string) (*rules.Set, error) { return staleSet, nil },
		ReloadRules: func() (*rules.Set, error) { return rules.NewSet(), nil }})
	m.Update(tea.WindowSizeMsg{Width: 160, Height: 48})
	recs, _ := simCase(t, appToDB)
	deliver(m, feed.Batch{Records: recs})
	m.fetching, m.fetchedFor = false, 0
	stale := m.fetchRules() // begun, not yet landed
	if stale == nil {
		t.Fatal("no live fetch begun")
	}
	m.opts.FetchRules = func([]string) (*rules.Set, error) { return rs, nil }
	for _, msg := range runBatch(press(m, "R")) {
		m.Update(msg)
	}
	if got := lookup.Group(id); got != name {
		t.Fatalf("after a reload whose live fetch named it, the group is named %q, want %q", got, name)
	}
	for _, msg := range runBatch(stale) {
		m.Update(msg)
	}
	if got := lookup.Group(id); got != name {
		t.Fatalf("a stale live answer renamed the group to %q", got)
	}
}

// A live answer names what it mentions: an interface it no longer mentions (a
// Lambda's, deleted since, whose records the ring still holds) keeps its name.
func TestLiveNamesOutliveTheirInterface(t *testing.T) {
	_, files := simCase(t, appToDB)
	rs := loadFiles(t, files, nil)
	var named *rules.Interface
	for _, ifc := range rs.Interfaces() {
		if n := names.New(rs, nil).Interface(ifc.ID); n != "" {
			named = ifc
			break
		}
	}
	if named == nil {
		t.Fatal("no named interface in the case")
	}
	lookup := names.New(nil, nil)
	answer := rs
	dark := true
	m := New(Options{Feed: newFakeFeed(), Dark: &dark, Names: lookup, Now: func() time.Time { return testNow },
		FetchRules: func([]string) (*rules.Set, error) { return answer, nil }})
	m.Update(tea.WindowSizeMsg{Width: 160, Height: 48})
	recs, _ := simCase(t, appToDB)
	deliver(m, feed.Batch{Records: recs})
	m.fetching, m.fetchedFor = false, 0
	for _, msg := range runBatch(m.fetchRules()) {
		m.Update(msg)
	}
	want := lookup.Interface(named.ID)
	if want == "" {
		t.Fatal("the live answer named nothing")
	}
	answer = rules.NewSet() // the interface is gone
	m.fetchedFor = 0
	for _, msg := range runBatch(m.fetchRules()) {
		m.Update(msg)
	}
	if got := lookup.Interface(named.ID); got != want {
		t.Fatalf("after an answer without it the interface is named %q, want %q", got, want)
	}
}

// A fetch never starts while a reload is under way: begun after the reload's
// generation, it would be taken in after it, with the files as they were before.
func TestNoFetchDuringAReload(t *testing.T) {
	recs, _ := simCase(t, appToDB)
	dark := true
	m := New(Options{Feed: newFakeFeed(), Dark: &dark, Now: func() time.Time { return testNow },
		FetchRules:  func([]string) (*rules.Set, error) { return rules.NewSet(), nil },
		ReloadRules: func() (*rules.Set, error) { return rules.NewSet(), nil }})
	m.Update(tea.WindowSizeMsg{Width: 160, Height: 48})
	deliver(m, feed.Batch{Records: recs})
	m.fetching, m.fetchedFor = false, 0
	reload := press(m, "R")
	if reload == nil || !m.reloading {
		t.Fatal("R started no reload")
	}
	if m.fetchRules() != nil {
		t.Fatal("a live fetch started while the rules were being reloaded")
	}
	for _, msg := range runBatch(reload) {
		m.Update(msg)
	}
	if m.reloading {
		t.Fatal("the reload did not end")
	}
}

// namedGroup is a security group of rs that has a name: its ID and name.
func namedGroup(t *testing.T, rs *rules.Set) (id, name string) {
	t.Helper()
	for _, g := range rs.SecurityGroups() {
		if g.Name != "" {
			return g.ID, g.Name
		}
	}
	t.Fatal("no named group in the case")
	return "", ""
}

// The count beside the title tells the conversations the index holds but the list does
// not yet apart from the title's "new at the end" (listed since the order was made).
func TestConversationsNotListedYetAreNotNew(t *testing.T) {
	v := &pairsView{rows: make([]pairRow, 5), height: 20}
	for _, room := range []int{200, 30} {
		got := v.counts(8, room)
		if !strings.HasSuffix(got, " 3 not listed yet") || strings.Contains(got, "new") {
			t.Errorf("room %d: %q", room, got)
		}
	}
}
