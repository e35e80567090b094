package e2e

import (
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// panelRows reads the first n rows of the panel whose title starts with title off the
// screen: the cells under its top border, between its side borders, one string a row.
func panelRows(screen, title string, n int) []string {
	lines := strings.Split(screen, "\n")
	for i, l := range lines {
		r := []rune(l)
		// The focused panel's border is heavy and its title marked.
		col := strings.Index(l, "┌ "+title)
		if col < 0 {
			col = strings.Index(l, "┏ » "+title)
		}
		if col < 0 {
			continue
		}
		col = len([]rune(l[:col])) // in runes: the borders are wide in bytes
		end := col + 1
		for end < len(r) && r[end] != '┐' && r[end] != '┓' {
			end++
		}
		var rows []string
		for j := i + 2; j < len(lines) && len(rows) < n; j++ { // below the header row
			rr := []rune(lines[j])
			if end > len(rr) {
				break
			}
			rows = append(rows, strings.TrimSpace(string(rr[col+1:end])))
		}
		return rows
	}
	return nil
}

// firstField is a row's label: its first word.
func firstField(row string) string {
	if f := strings.Fields(row); len(f) > 0 {
		return f[0]
	}
	return ""
}

// waitUntil polls the screen until ok says it shows what is wanted.
func (s *session) waitUntil(what string, ok func(screen string) bool) string {
	s.t.Helper()
	deadline := time.Now().Add(60 * time.Second) // the demo replays over two minutes
	var last string
	for time.Now().Before(deadline) {
		last = s.screen()
		if ok(last) {
			return last
		}
		time.Sleep(200 * time.Millisecond)
	}
	s.t.Fatalf("%s: never seen; the screen shows:\n%s", what, last)
	return ""
}

// flowSource reads a flows table row's source address: after the border (heavy when the
// table has the focus) and the selection mark, the time, the interface and maybe its name.
var flowSource = regexp.MustCompile(`^[│┃][ ▶]\d\d:\d\d:\d\d .*?(\d+\.\d+\.\d+\.\d+):\d+`)

// TestStatsViewOnTheDemo opens the stats view on --demo as a person would: the scanners
// lead the port scans and the SSH brute force the conversations; the top source, read
// off the screen, is one Enter away from its flows.
func TestStatsViewOnTheDemo(t *testing.T) {
	home := t.TempDir()
	env := []string{"HOME=" + home, "XDG_CONFIG_HOME=" + filepath.Join(home, ".config"), "XDG_STATE_HOME=" + filepath.Join(home, ".state")}
	s := newSession(t, 160, 48, env, fmt.Sprintf("%s --demo; echo \"EXIT=$?\"; sleep 600", binary))
	s.waitFor("start", "Flows", "replaying", "in ring")

	s.keys("s")
	scr := s.waitFor("stats view", "Over time", "Top sources", "Scan suspects: most ports", "Top conversations")
	scans := panelRows(scr, "Scan suspects: most ports", 3)
	if len(scans) < 3 {
		t.Fatalf("the port scans panel has %d rows:\n%s", len(scans), scr)
	}
	leaders := []string{firstField(scans[0]), firstField(scans[1])}
	slices.Sort(leaders)
	if leaders[0] != "192.0.2.13" || leaders[1] != "203.0.113.99" || !strings.Contains(scans[0], " 20 ") || !strings.Contains(scans[1], " 20 ") {
		t.Fatalf("the two scanners, 20 ports each, do not lead the port scans: %q\n%s", scans, scr)
	}
	// The brute force began four minutes before the replay's start: within seconds of
	// replay it is the busiest conversation (the attacker and jump-legacy).
	s.waitUntil("the SSH brute force at the top of the conversations", func(scr string) bool {
		rows := panelRows(scr, "Top conversations", 1)
		return len(rows) == 1 && strings.Contains(rows[0], "203.0.113.66")
	})
	if rej := panelRows(s.screen(), "Rejected destination ports", 2); len(rej) < 2 || !strings.HasPrefix(rej[0], "5432/tcp postgres") {
		t.Errorf("the database's rejected port does not lead the rejected ports: %q", rej)
	}

	// Pause the replay so the ranking holds still, read the top source, and drill down.
	s.keys("Space")
	s.waitFor("paused", "paused")
	var top string
	s.waitUntil("a steady top source", func(scr string) bool {
		rows := panelRows(scr, "Top sources", 1)
		if len(rows) == 0 {
			return false
		}
		was := top
		top = firstField(rows[0])
		return top != "" && top == was
	})
	s.keys("Enter")
	scr = s.waitFor("drill-down", "✓ / srcaddr="+top, "Flows", "match")
	var rows int
	for _, l := range strings.Split(scr, "\n") {
		if m := flowSource.FindStringSubmatch(l); m != nil {
			rows++
			if m[1] != top {
				t.Fatalf("the flows of %s show a flow from %s:\n%s", top, m[1], scr)
			}
		}
	}
	if rows == 0 {
		t.Fatalf("no flow of %s on the screen:\n%s", top, scr)
	}

	// Back to the stats view, filtered: one source left.
	s.keys("s")
	scr = s.waitFor("stats, filtered", "Top sources", "1 of 1")
	if got := panelRows(scr, "Top sources", 1); len(got) != 1 || firstField(got[0]) != top {
		t.Fatalf("the filtered stats view's sources: %q, want %s", got, top)
	}
	s.keys("q")
	s.waitFor("quit", "EXIT=0")
}
