package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/flowlens/flowlens/internal/fakeaws"
)

// TestSignalsRestoreTheTerminal sends each terminating signal the explorer can catch to
// the real binary in a tmux pane, and checks what a person finds afterwards: the shell's
// screen (alternate screen off, cursor shown, mouse reporting off), the exit status of
// the shell convention with no error text, and a log line saying why it stopped.
func TestSignalsRestoreTheTerminal(t *testing.T) {
	file := generate(t, 2000)
	for _, tc := range []struct {
		sig    syscall.Signal
		status int
		logs   string
	}{
		{syscall.SIGHUP, 129, "hangup"},
		{syscall.SIGINT, 130, "interrupt"},
		{syscall.SIGTERM, 0, "terminated"},
		{syscall.SIGQUIT, 131, "goroutine "},
	} {
		t.Run(tc.sig.String(), func(t *testing.T) {
			s, dir := startForSignal(t, file, "")
			pid := s.waitPID(dir)
			if err := syscall.Kill(pid, tc.sig); err != nil {
				t.Fatal(err)
			}
			status, scr := s.waitExit(dir)
			s.checkRestored(scr)
			if status != tc.status {
				t.Errorf("%v: exit status %d, want %d; the screen:\n%s", tc.sig, status, tc.status, scr)
			}
			if strings.Contains(scr, "flowlens:") {
				t.Errorf("%v: a signal is not a failure, and an error was printed:\n%s", tc.sig, scr)
			}
			log, _ := os.ReadFile(filepath.Join(dir, "flowlens.log"))
			if !strings.Contains(string(log), "explorer stop") || !strings.Contains(string(log), tc.logs) {
				t.Errorf("%v: the log does not say why the explorer stopped (want %q):\n%s", tc.sig, tc.logs, log)
			}
		})
	}
}

// TestSecondInterruptActsAtOnce: a person who presses Ctrl+C again because the first
// seems slow must get the prompt back, whatever the shutdown is waiting for. The
// explorer is stopped (SIGSTOP) after the first signal so that it cannot finish on its
// own, then resumed with the second one already pending.
func TestSecondInterruptActsAtOnce(t *testing.T) {
	file := generate(t, 2000)
	// Both signals are pending when it resumes: the first starts the orderly shutdown,
	// the second must end it at once, still with the terminal restored. On a loaded
	// machine the orderly shutdown (a read file has nothing to close) can finish before
	// the second signal reaches the program; that run proves nothing either way, so it
	// is tried again, and every run must still exit as a signal says with the terminal
	// restored.
	var logs []string
	for attempt := 0; attempt < 4; attempt++ {
		s, dir := startForSignal(t, file, "")
		pid := s.waitPID(dir)
		for _, sig := range []syscall.Signal{syscall.SIGSTOP, syscall.SIGINT, syscall.SIGHUP, syscall.SIGCONT} {
			if err := syscall.Kill(pid, sig); err != nil {
				t.Fatal(err)
			}
		}
		status, scr := s.waitExit(dir)
		s.checkRestored(scr)
		log, _ := os.ReadFile(filepath.Join(dir, "flowlens.log"))
		// Pending signals arrive in the kernel's order, not the order sent: either is first.
		if status != 129 && status != 130 {
			t.Fatalf("exit status %d, want that of one of the signals; the log:\n%s", status, log)
		}
		if strings.Contains(string(log), "stopped at once") {
			return
		}
		logs = append(logs, string(log))
	}
	t.Errorf("in %d runs the second signal was never acted on at once; the logs:\n%s", len(logs), strings.Join(logs, "\n"))
}

// TestHangupClosesLiveTail: losing the terminal must not leave a billed Live Tail
// session open.
func TestHangupClosesLiveTail(t *testing.T) {
	srv := fakeaws.Serve(t)
	srv.LiveTailUpdateInterval(200 * time.Millisecond)
	const group, eni = "/vpc/flows", "eni-0a1b2c3d4e5f60718"
	srv.AddLogGroup(group)
	srv.AddLogStream(group, eni+"-all")
	now := time.Now()
	srv.AddEvents(group, eni+"-all", fakeaws.Event{Timestamp: now.Add(-time.Minute),
		Message: fmt.Sprintf("2 123456789012 %s 198.51.100.1 10.0.1.5 51515 22 6 3 180 %d %d REJECT OK", eni, now.Unix()-60, now.Unix())})
	env := []string{"AWS_ENDPOINT_URL=" + srv.URL(), "AWS_REGION=" + fakeaws.Region,
		"AWS_ACCESS_KEY_ID=AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY=secret-example",
		"AWS_EC2_METADATA_DISABLED=true"}
	s, dir := startForSignal(t, "", "--log-group "+group+" --eni "+eni, env...)
	pid := s.waitPID(dir)
	s.waitFor("history", "198.51.100.1:51515", "live tail")
	if err := srv.AwaitLiveTailSessions(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(pid, syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	status, scr := s.waitExit(dir)
	s.checkRestored(scr)
	if status != 129 {
		t.Errorf("exit status %d, want 129", status)
	}
	if n := srv.LiveTailSessions(); n != 0 {
		t.Fatalf("%d Live Tail sessions still open after SIGHUP: they are billed", n)
	}
}

// startForSignal runs the explorer in a pane through a shell that records its pid (exec
// keeps it) and, once it has exited, its status.
func startForSignal(t *testing.T, file, flags string, extraEnv ...string) (*session, string) {
	t.Helper()
	dir := t.TempDir()
	env := append([]string{"HOME=" + dir, "XDG_CONFIG_HOME=" + dir, "XDG_STATE_HOME=" + dir,
		"AWS_CONFIG_FILE=" + filepath.Join(dir, "none"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(dir, "none")}, extraEnv...)
	run := fmt.Sprintf("sh -c 'echo $$ > %s/pid; exec %s --log-file %s/flowlens.log %s %s'", dir, binary, dir, flags, file)
	s := newSession(t, 160, 48, env, fmt.Sprintf("printf 'BEFORE-FLOWLENS\\n'; %s; echo $? > %s/status; echo \"EXIT=$(cat %s/status)\"; sleep 600", run, dir, dir))
	return s, dir
}

// waitPID waits for the explorer's screen and returns its process id.
func (s *session) waitPID(dir string) int {
	s.t.Helper()
	s.waitFor("start", "in ring")
	if s.display("#{alternate_on}") != "1" || s.display("#{mouse_any_flag}") != "1" {
		s.t.Fatal("the explorer did not switch to the alternate screen with the mouse on: the test would prove nothing")
	}
	b, err := os.ReadFile(filepath.Join(dir, "pid"))
	if err != nil {
		s.t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		s.t.Fatal(err)
	}
	return pid
}

// waitExit waits for the status file and returns the status and the screen.
func (s *session) waitExit(dir string) (int, string) {
	s.t.Helper()
	scr := s.waitFor("exit", "EXIT=")
	b, err := os.ReadFile(filepath.Join(dir, "status"))
	if err != nil {
		s.t.Fatal(err)
	}
	status, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		s.t.Fatal(err)
	}
	return status, scr
}

// checkRestored fails unless the terminal is as the shell left it.
func (s *session) checkRestored(scr string) {
	s.t.Helper()
	if strings.Contains(scr, "in ring") || !strings.Contains(scr, "BEFORE-FLOWLENS") {
		s.t.Errorf("the explorer's screen is left on the terminal:\n%s", scr)
	}
	for _, c := range []struct{ format, want, what string }{
		{"#{alternate_on}", "0", "the alternate screen is still on"},
		{"#{cursor_flag}", "1", "the cursor is still hidden"},
		{"#{mouse_any_flag}", "0", "mouse reporting is still on"},
	} {
		if got := s.display(c.format); got != c.want {
			s.t.Errorf("%s (%s = %s)", c.what, c.format, got)
		}
	}
}

// The headless commands end on the same signals with the same statuses, and print no
// error: a signal is not a failure. print reads stdin, kept open, so it is still
// running when the signal comes.
func TestHeadlessCommandsOnSignals(t *testing.T) {
	if noTmux != "" {
		t.Skip(noTmux) // the binary is built only where the e2e tests run
	}
	for _, tc := range []struct {
		cmd    string
		sig    syscall.Signal
		status int
	}{
		{"print", syscall.SIGHUP, 129},
		{"print", syscall.SIGINT, 130},
		{"print", syscall.SIGTERM, 0},
		{"print", syscall.SIGQUIT, 131},
		{"pairs", syscall.SIGHUP, 129},
		{"pairs", syscall.SIGINT, 130},
	} {
		t.Run(tc.cmd+"/"+tc.sig.String(), func(t *testing.T) {
			cmd := exec.Command(binary, tc.cmd, "-")
			stdin, err := cmd.StdinPipe()
			if err != nil {
				t.Fatal(err)
			}
			defer stdin.Close()
			var stderr strings.Builder
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(stdin, "2 123456789012 eni-0a1b2c3d4e5f60718 10.0.0.1 10.0.1.5 40000 443 6 10 5000 1714550000 1714550060 ACCEPT OK\n")
			time.Sleep(500 * time.Millisecond) // started and reading; the test holds either way
			cmd.Process.Signal(tc.sig)
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case <-done:
			case <-time.After(20 * time.Second):
				cmd.Process.Kill()
				t.Fatal("still running after the signal")
			}
			if got := cmd.ProcessState.ExitCode(); got != tc.status {
				t.Errorf("exit status %d (%v), want %d; stderr:\n%.500s", got, cmd.ProcessState, tc.status, stderr.String())
			}
			if strings.Contains(stderr.String(), "flowlens: ") && !strings.Contains(stderr.String(), "records read") {
				t.Errorf("an error was printed:\n%.500s", stderr.String())
			}
		})
	}
}
