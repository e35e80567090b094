// Package e2e drives the real flowlens binary in tmux, the way a person uses it: it types
// keys with send-keys and reads the screen with capture-pane.
package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flowlens/flowlens/internal/fakeaws"
)

// binary is the flowlens built once for the package.
var binary string

// noTmux says why the tests cannot run here; empty when tmux is installed.
var noTmux string

func TestMain(m *testing.M) {
	code := func() int {
		if _, err := exec.LookPath("tmux"); err != nil {
			// Passing without running a test would hide that nothing was tested. In CI
			// that is a failure; elsewhere every test reports itself skipped, with why.
			if os.Getenv("CI") == "true" {
				fmt.Fprintln(os.Stderr, "FAIL e2e: tmux is not installed and CI=true: the end-to-end tests must run in CI (.ci/run installs tmux)")
				return 1
			}
			noTmux = "tmux is not installed (install it, or run .ci/run, which does)"
			fmt.Fprintln(os.Stderr, "SKIP e2e: no end-to-end test runs: "+noTmux)
			return m.Run()
		}
		dir, err := os.MkdirTemp("", "flowlens-e2e")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		binary = filepath.Join(dir, "flowlens")
		build := exec.Command("go", "build", "-o", binary, "..")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "e2e: building flowlens:", err)
			return 1
		}
		return m.Run()
	}()
	os.Exit(code)
}

// session is one tmux session on a private server socket, so tests never touch the
// user's tmux.
type session struct {
	t      *testing.T
	socket string
	name   string
}

func newSession(t *testing.T, w, h int, env []string, command string) *session {
	t.Helper()
	if noTmux != "" {
		t.Skip(noTmux)
	}
	s := &session{t: t, socket: filepath.Join(t.TempDir(), "tmux.sock"), name: "e2e"}
	args := []string{"new-session", "-d", "-s", s.name, "-x", fmt.Sprint(w), "-y", fmt.Sprint(h)}
	for _, e := range env {
		args = append(args, "-e", e)
	}
	args = append(args, command)
	s.tmux(args...)
	t.Cleanup(func() { exec.Command("tmux", "-S", s.socket, "kill-server").Run() })
	return s
}

func (s *session) tmux(args ...string) string {
	s.t.Helper()
	cmd := exec.Command("tmux", append([]string{"-S", s.socket, "-f", "/dev/null"}, args...)...)
	cmd.Env = append(os.Environ(), "TERM=xterm-256color")
	out, err := cmd.CombinedOutput()
	if err != nil {
		s.t.Fatalf("tmux %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// keys types keys (tmux key names such as Enter, Escape, Up, C-c).
func (s *session) keys(keys ...string) {
	s.t.Helper()
	s.tmux(append([]string{"send-keys", "-t", s.name}, keys...)...)
}

// text types literal text.
func (s *session) text(text string) {
	s.t.Helper()
	s.tmux("send-keys", "-t", s.name, "-l", text)
}

func (s *session) screen() string {
	s.t.Helper()
	return s.tmux("capture-pane", "-p", "-t", s.name)
}

func (s *session) display(format string) string {
	s.t.Helper()
	return strings.TrimSpace(s.tmux("display-message", "-p", "-t", s.name, format))
}

// waitFor polls the screen until every want appears; the deadline is generous because
// CI machines are shared, and nothing is asserted about how long it took.
func (s *session) waitFor(what string, want ...string) string {
	s.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	var last string
	for time.Now().Before(deadline) {
		last = s.screen()
		ok := true
		for _, w := range want {
			if !strings.Contains(last, w) {
				ok = false
				break
			}
		}
		if ok {
			return last
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.t.Fatalf("%s: the screen never showed %q; it shows:\n%s", what, want, last)
	return ""
}

// waitGone polls until none of the texts is on the screen.
func (s *session) waitGone(what string, gone ...string) string {
	s.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	var last string
	for time.Now().Before(deadline) {
		last = s.screen()
		still := false
		for _, g := range gone {
			if strings.Contains(last, g) {
				still = true
			}
		}
		if !still {
			return last
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.t.Fatalf("%s: the screen still shows one of %q:\n%s", what, gone, last)
	return ""
}

// generate writes n default-format records: every fifth a REJECT to port 22 from
// 198.51.100.x, the rest ACCEPTs to 443.
func generate(t *testing.T, n int) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n")
	for i := 0; i < n; i++ {
		if i%5 == 0 {
			fmt.Fprintf(&b, "2 123456789012 eni-0a1b2c3d4e5f60718 198.51.100.%d 10.0.1.5 %d 22 6 1 60 %d %d REJECT OK\n", i%200+1, 40000+i%20000, 1714550000+i, 1714550060+i)
		} else {
			fmt.Fprintf(&b, "2 123456789012 eni-0a1b2c3d4e5f60718 203.0.113.%d 10.0.1.5 %d 443 6 10 5000 %d %d ACCEPT OK\n", i%200+1, 40000+i%20000, 1714550000+i, 1714550060+i)
		}
	}
	b.WriteString("this line is garbage\n")
	path := filepath.Join(t.TempDir(), "flows.log")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestExplorerAsAPersonUsesIt(t *testing.T) {
	file := generate(t, 5000)
	home := t.TempDir()
	env := []string{"HOME=" + home, "XDG_CONFIG_HOME=" + filepath.Join(home, ".config"), "XDG_STATE_HOME=" + filepath.Join(home, ".state")}
	// The shell prints a marker before and the exit status after, so the test can see the
	// terminal as it is when flowlens has quit.
	s := newSession(t, 160, 48, env, fmt.Sprintf("printf 'BEFORE-FLOWLENS\\n'; %s %s; echo \"EXIT=$?\"; sleep 600", binary, file))

	scr := s.waitFor("start", "Flows", "5,000 in ring", "malformed 1 (m)", "● done")
	if !strings.Contains(scr, "10.0.1.5:443") || !strings.Contains(scr, "Detail") {
		t.Fatalf("the first screen lacks rows or the detail pane:\n%s", scr)
	}
	if s.display("#{alternate_on}") != "1" {
		t.Fatal("the explorer did not switch to the alternate screen")
	}

	// Type a filter: it applies as typed, with the count of matches.
	s.keys("/")
	s.text("reject dport=22")
	scr = s.waitFor("filter", "1,000 of 5,000 match", "✓ /")
	if strings.Contains(scr, "10.0.1.5:443 ") {
		t.Fatalf("the filter let ACCEPTs to 443 through:\n%s", scr)
	}
	s.keys("Enter")

	// A typo says where and what was meant, and keeps the last good filter.
	s.keys("/")
	s.text(" dsport=1")
	s.waitFor("typo", "unknown field 'dsport'", "did you mean 'dstport'?", "✗ /")
	s.keys("Escape")
	s.waitFor("cleared", "to filter, e.g.")

	// Move the selection up: the table stops following and says so.
	s.keys("k", "k", "k")
	s.waitFor("move", "not following: G to follow")
	s.keys("G")
	s.waitGone("re-follow", "not following")

	// Help, generated from the key bindings.
	s.keys("?")
	s.waitFor("help", "Help", "export the view (flows or conversations) as JSON Lines", "pause / resume the source")
	s.keys("Escape")
	s.waitGone("help closed", "export the view (flows or conversations) as JSON Lines")

	// Resize to a narrow terminal: the detail moves below the table; then too small.
	s.tmux("resize-window", "-t", s.name, "-x", "100", "-y", "30")
	scr = s.waitFor("narrow", "Flows", "Detail")
	lines := strings.Split(scr, "\n")
	detailLine := -1
	for i, l := range lines {
		if strings.Contains(l, "┌ Detail") {
			detailLine = i
		}
	}
	if detailLine < 5 || !strings.HasPrefix(lines[detailLine], "┌ Detail") {
		t.Fatalf("on a narrow terminal the detail is not below the table:\n%s", scr)
	}
	s.tmux("resize-window", "-t", s.name, "-x", "40", "-y", "10")
	s.waitFor("too small", "too small")
	s.tmux("resize-window", "-t", s.name, "-x", "160", "-y", "48")
	s.waitFor("wide again", "Flows", "Detail")

	// Quit: the terminal comes back as it was.
	s.keys("q")
	scr = s.waitFor("quit", "EXIT=0", "BEFORE-FLOWLENS")
	if strings.Contains(scr, "Flows") || strings.Contains(scr, "in ring") {
		t.Fatalf("the explorer's screen is left on the terminal:\n%s", scr)
	}
	if s.display("#{alternate_on}") != "0" {
		t.Fatal("the alternate screen is still on after quitting")
	}
	if s.display("#{cursor_flag}") != "1" {
		t.Fatal("the cursor is still hidden after quitting")
	}
}

func TestPipedRecordsAndNoColor(t *testing.T) {
	file := generate(t, 300)
	home := t.TempDir()
	env := []string{"HOME=" + home, "XDG_STATE_HOME=" + home, "NO_COLOR=1"}
	s := newSession(t, 160, 48, env, fmt.Sprintf("cat %s | %s; echo \"EXIT=$?\"; sleep 600", file, binary))
	s.waitFor("stdin", "300 in ring", "stdin")
	styled := s.tmux("capture-pane", "-p", "-e", "-t", s.name)
	if strings.Contains(styled, "38;5;") || strings.Contains(styled, "48;5;") || strings.Contains(styled, "38;2;") {
		t.Errorf("NO_COLOR is set, and the screen has colours:\n%q", styled[:min(len(styled), 400)])
	}
	if !strings.Contains(styled, "\x1b[7m") && !strings.Contains(styled, ";7m") {
		t.Errorf("NO_COLOR: the selection is not marked by reverse video")
	}
	s.keys("C-c")
	s.waitFor("ctrl+c", "EXIT=0")
}

// TestCloudWatchLive points the built binary at a fake CloudWatch Logs + EC2 server
// through AWS_ENDPOINT_URL: it must show the history, then records the server emits
// while it runs, and close the billed Live Tail session when the user quits.
func TestCloudWatchLive(t *testing.T) {
	srv := fakeaws.Serve(t)
	srv.LiveTailUpdateInterval(200 * time.Millisecond)
	const group, eni = "/vpc/flows", "eni-0a1b2c3d4e5f60718"
	srv.AddLogGroup(group)
	srv.AddLogStream(group, eni+"-all")
	srv.AddLogStream(group, "eni-0ffff000011112222-all")
	srv.AddFlowLogs(fakeaws.FlowLog{LogGroupName: group, ResourceID: "vpc-0demo"})
	now := time.Now()
	record := func(src string, at time.Time, action string) fakeaws.Event {
		return fakeaws.Event{Timestamp: at, Message: fmt.Sprintf("2 123456789012 %s %s 10.0.1.5 51515 22 6 3 180 %d %d %s OK", eni, src, at.Unix(), at.Unix()+60, action)}
	}
	srv.AddEvents(group, eni+"-all", record("198.51.100.1", now.Add(-10*time.Minute), "REJECT"), record("198.51.100.2", now.Add(-9*time.Minute), "ACCEPT"))

	home := t.TempDir()
	env := []string{"HOME=" + home, "XDG_STATE_HOME=" + home, "XDG_CONFIG_HOME=" + home,
		"AWS_ENDPOINT_URL=" + srv.URL(), "AWS_REGION=" + fakeaws.Region,
		"AWS_ACCESS_KEY_ID=AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY=secret-example",
		"AWS_CONFIG_FILE=" + filepath.Join(home, "none"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "none"),
		"AWS_EC2_METADATA_DISABLED=true"}

	// Without --eni, the explorer opens on a picker of the group's streams.
	s := newSession(t, 160, 48, env, fmt.Sprintf("%s --log-group %s; echo \"EXIT=$?\"; sleep 600", binary, group))
	s.waitFor("picker", "Choose interfaces to tail", eni+"-all", "eni-0ffff000011112222-all")
	s.text("0a1b")
	scr := s.waitFor("type to filter", "filter: 0a1b")
	if strings.Contains(scr, "eni-0ffff000011112222-all") {
		t.Fatalf("typing did not filter the streams:\n%s", scr)
	}
	s.keys("Enter")
	s.waitFor("history", "198.51.100.1:51515", "198.51.100.2:51515", "live tail")
	if err := srv.AwaitLiveTailSessions(context.Background(), 1); err != nil {
		t.Fatal(err)
	}

	// A record emitted now arrives through Live Tail.
	srv.AddEvents(group, eni+"-all", record("203.0.113.77", time.Now(), "REJECT"))
	s.waitFor("live record", "203.0.113.77:51515")

	s.keys("q")
	s.waitFor("quit", "EXIT=0")
	deadline := time.Now().Add(10 * time.Second)
	for srv.LiveTailSessions() != 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if n := srv.LiveTailSessions(); n != 0 {
		t.Fatalf("%d Live Tail sessions still open after quitting: they are billed", n)
	}
}
