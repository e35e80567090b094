package ui

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	tea "charm.land/bubbletea/v2"

	"github.com/flowlens/flowlens/feed"
	"github.com/flowlens/flowlens/model"
)

// hostileFormat has a text field of each kind: interned (interface-id, vpc-id), and a
// custom column kept as it is.
const hostileFormat = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status vpc-id note"

// hostileLines carry what a crafted or damaged log can: ESC sequences and OSC 52 (the
// parser refuses those lines: malformed, shown as samples), C1 controls and invalid
// UTF-8 (kept as records, cleaned).
var hostileLines = []string{
	"5 123456789012 eni-0aaa\u009b2J\u009d52;c;aGk=\u009c 10.0.1.5 203.0.113.9 443 40000 6 5 500 1714564700 1714564760 ACCEPT OK vpc-\x9b31m note\xff\xfe",
	"5 123456789012 eni-0bbb\x9d0;pwned\x9c 203.0.113.9 10.0.1.5 40000 443 6 5 500 1714564700 1714564760 REJECT OK vpc-1 \xe2\x82",
	"5 123456789012 eni-0ccc\x1b[2J\x1b[31m 10.0.1.5 203.0.113.9 443 40000 6 5 500 1714564700 1714564760 ACCEPT OK vpc-1 x",
	"5 123456789012 eni-0ddd 10.0.1.5 203.0.113.9 443 40000 6 5 500 1714564700 1714564760 ACCEPT OK vpc-1 \x1b]52;c;aGVsbG8=\x07",
}

func hostileBatch(t *testing.T) feed.Batch {
	t.Helper()
	p := model.NewParser("hostile.log", model.MustParseFormat(hostileFormat))
	var b feed.Batch
	for _, l := range hostileLines {
		var r model.Flow
		if p.Parse([]byte(l), &r) == model.LineRecord {
			b.Records = append(b.Records, r)
		}
	}
	b.Stats = *p.Stats()
	if len(b.Records) != 2 || b.Stats.Malformed != 2 {
		t.Fatalf("%d records, %d malformed", len(b.Records), b.Stats.Malformed)
	}
	b.Err = errors.New("read failed: \x1b]52;c;aGk=\x07 \u009b2Jdisk \x9b31m\xff")
	return b
}

// No control character reaches the frame from a record, a malformed line, an error or
// a stream's name, in any pane: the only escapes are the colours the explorer draws.
func TestNoControlReachesTheFrame(t *testing.T) {
	for _, tc := range []struct {
		name string
		keys []string
	}{
		{"flows, detail and verdict", []string{"g"}},
		{"the other record", []string{"G"}},
		{"detail scrolled", []string{"g", "enter", "G"}},
		{"verdict focused", []string{"g", "tab", "tab"}},
		{"conversations", []string{"p"}},
		{"malformed lines", []string{"m"}},
		{"help", []string{"?"}},
		{"filter typed", []string{"/", "v", "p", "c"}},
	} {
		for _, size := range [][2]int{{160, 48}, {80, 24}} {
			t.Run(tc.name, func(t *testing.T) {
				m, _ := newTestModel(t, true, size[0], size[1])
				deliver(m, hostileBatch(t))
				press(m, tc.keys...)
				assertCleanFrame(t, m.render())
				if title := m.View().WindowTitle; !clean(title) {
					t.Errorf("window title %q", title)
				}
			})
		}
	}
}

// The cleaned text is visible for what it is: U+FFFD where the record was damaged, the
// malformed samples counted.
func TestDamageIsShownNotHidden(t *testing.T) {
	m, _ := newTestModel(t, true, 160, 48)
	deliver(m, hostileBatch(t))
	press(m, "g")
	if out := screen(m); !strings.Contains(out, "eni-0aaa\uFFFD2J\uFFFD52;c;aGk=\uFFFD") {
		t.Errorf("the damage is not marked:\n%s", out)
	}
	press(m, "enter", "G") // the end of the detail
	if out := screen(m); !strings.Contains(out, "note\uFFFD\uFFFD") || !strings.Contains(out, "vpc-\uFFFD31m") {
		t.Errorf("the damage is not marked:\n%s", out)
	}
	press(m, "m")
	if out := screen(m); !strings.Contains(out, "2 malformed of 4 lines read") || !strings.Contains(out, "2 records had text") {
		t.Errorf("the malformed overlay:\n%s", out)
	}
}

func TestNoControlReachesThePicker(t *testing.T) {
	dark := true
	spec := &Picker{Group: "/vpc/\x1b]0;pwned\x07flows", Items: []PickItem{
		{Name: "eni-0aaa-all\x1b[2J\u009b31m\xff", ENI: "eni-0aaa"},
		{Name: "eni-0bbb-all", ENI: "eni-0bbb\x9d"},
	}, Start: func([]string) (Feed, error) {
		return nil, errors.New("access denied \x1b]52;c;aGk=\x07 to \u009b2Jlogs")
	}}
	m := New(Options{Picker: spec, Dark: &dark, Now: func() time.Time { return testNow }})
	m.Init()
	m.Update(tea.WindowSizeMsg{Width: 100, Height: 30})
	assertCleanFrame(t, m.render())
	cmd := press(m, "enter")
	m.Update(cmd())
	out := m.render()
	assertCleanFrame(t, out)
	if !strings.Contains(screen(m), "access denied  to logs") {
		t.Errorf("the error is not shown:\n%s", screen(m))
	}
}

// sgr is the only escape sequence a frame may hold: Select Graphic Rendition, the
// colours and attributes the styles draw.
var sgr = regexp.MustCompile(`^\x1b\[[0-9;:]*m`)

func assertCleanFrame(t *testing.T, frame string) {
	t.Helper()
	if !utf8.ValidString(frame) {
		t.Fatalf("the frame is not valid UTF-8")
	}
	for i := 0; i < len(frame); i++ {
		switch c := frame[i]; {
		case c == 0x1b:
			n := len(sgr.FindString(frame[i:]))
			if n == 0 {
				t.Fatalf("an escape sequence that is not a colour: %q", frame[i:min(i+24, len(frame))])
			}
			i += n - 1
		case c < 0x20 && c != '\n', c == 0x7f:
			t.Fatalf("control byte %#x in the frame at %q", c, frame[max(0, i-20):min(i+20, len(frame))])
		}
	}
	for _, r := range frame {
		if r >= 0x80 && r < 0xa0 {
			t.Fatalf("C1 control %U in the frame", r)
		}
	}
}

func clean(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r >= 0x7f && r < 0xa0 })
}

// A paste types into the picker's query, cleaned, and narrows the list as typing does.
func TestPasteIntoThePicker(t *testing.T) {
	dark := true
	spec := &Picker{Group: "/vpc/flows", Items: []PickItem{
		{Name: "eni-0aaa-all", ENI: "eni-0aaa"},
		{Name: "eni-0bbb-all", ENI: "eni-0bbb"},
	}, Start: func([]string) (Feed, error) { return nil, errors.New("not here") }}
	m := New(Options{Picker: spec, Dark: &dark, Now: func() time.Time { return testNow }})
	m.Init()
	m.Update(tea.WindowSizeMsg{Width: 100, Height: 30})
	m.Update(tea.PasteMsg{Content: "0bb\x1b[2J\n"})
	if got := m.picker.query.Value(); got != "0bb " {
		t.Fatalf("the query is %q after the paste", got)
	}
	if len(m.picker.shown) != 1 || spec.Items[m.picker.shown[0]].ENI != "eni-0bbb" {
		t.Fatalf("the paste did not narrow the list: %v", m.picker.shown)
	}
	assertCleanFrame(t, m.render())
}
