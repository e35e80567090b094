package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// run runs a command line in-process, as main does.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return Run(context.Background(), args, stdin, stdout, stderr)
}

// runForOutput runs a command line in-process and returns the exit status and what it
// wrote.
func runForOutput(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(args, strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

// Mistakes on the command line exit with 2, cobra's own checks included.
func TestUsageMistakesExitTwo(t *testing.T) {
	for _, args := range [][]string{
		{"generate", "x"}, {"groups", "x"}, {"man", "a", "b"}, {"enis"}, {"print", "--filter", "dsport=22"},
		{"print", "--output", "xml"}, {"print", "--nope"}, {"pirnt"}, {"pairs", "--filter", "verdict=nacll"},
		{"completion", "bash", "extra"}, {"generate", "--records", "many"}, {"--capacity", "0"},
	} {
		var out, errOut strings.Builder
		if code := run(args, strings.NewReader(""), &out, &errOut); code != ExitUsage {
			t.Errorf("%v: exit %d, want %d\n%s", args, code, ExitUsage, errOut.String())
		}
	}
}

// A usage error is followed by the usage of the command that was wrong, not the root's;
// the missing required flag is named.
func TestUsageErrorShowsTheCommandsUsage(t *testing.T) {
	code, out, errOut := runForOutput(t, "enis")
	if code != ExitUsage || out != "" {
		t.Fatalf("exit %d, stdout %q", code, out)
	}
	if !strings.HasPrefix(errOut, "flowlens: ") || !strings.Contains(errOut, `"log-group"`) {
		t.Errorf("the message does not name the missing flag:\n%s", errOut)
	}
	if !strings.Contains(errOut, "Usage:\n  flowlens enis --log-group GROUP") {
		t.Errorf("the usage is not enis's:\n%s", errOut)
	}
}

// A --rules file that is missing or is not describe-* JSON ends every command the same
// way: status 2, the file named, and no usage burying the line and column.
func TestBadRulesExitTwoEverywhere(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte("{\"SecurityGroups\": [}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.json")
	for _, cmd := range [][]string{{}, {"pairs"}} {
		for _, file := range []string{bad, missing} {
			args := append(append([]string{}, cmd...), "--rules", file, "-")
			code, _, errOut := runForOutput(t, args...)
			if code != ExitUsage {
				t.Errorf("%v: exit %d, want %d\n%s", args, code, ExitUsage, errOut)
			}
			if !strings.HasPrefix(errOut, "flowlens: bad --rules: ") || !strings.Contains(errOut, filepath.Base(file)) {
				t.Errorf("%v: the message does not name the file:\n%s", args, errOut)
			}
			if strings.Contains(errOut, "Usage:") {
				t.Errorf("%v: the usage follows a rules file's error:\n%s", args, errOut)
			}
		}
	}
}

// exitStatus is the one place an error becomes a status; what it prints depends on the
// kind of error, never on its text.
func TestExitStatus(t *testing.T) {
	usage := func() string { return "Usage: flowlens x\n" }
	for _, tc := range []struct {
		name string
		err  error
		code int
		want string
	}{
		{"success", nil, ExitOK, ""},
		{"runtime", errors.New("the disk is on fire"), ExitRuntime, "flowlens: the disk is on fire\n"},
		{"wrapped", fmt.Errorf("reading: %w", usagef("bad --x")), ExitUsage, "flowlens: reading: bad --x\n\nUsage: flowlens x\n"},
		{"usage", usagef("bad --x"), ExitUsage, "flowlens: bad --x\n\nUsage: flowlens x\n"},
		{"value", valuef("bad --x: no"), ExitUsage, "flowlens: bad --x: no\n(flowlens x --help lists the flags)\n"},
		{"input", inputError(errors.New("bad --rules: f.json:1:2: oops")), ExitUsage, "flowlens: bad --rules: f.json:1:2: oops\n"},
		{"already reported", silent(ExitRuntime), ExitRuntime, ""},
		{"SIGINT", silent(signalStatus(syscall.SIGINT)), 130, ""},
		{"SIGHUP", silent(signalStatus(syscall.SIGHUP)), 129, ""},
		{"SIGQUIT", silent(signalStatus(syscall.SIGQUIT)), 131, ""},
		{"SIGTERM", silent(signalStatus(syscall.SIGTERM)), ExitOK, ""},
	} {
		var stderr bytes.Buffer
		if code := exitStatus(tc.err, &stderr, usage, "flowlens x"); code != tc.code || stderr.String() != tc.want {
			t.Errorf("%s: exit %d, stderr %q; want %d, %q", tc.name, code, stderr.String(), tc.code, tc.want)
		}
	}
}

// A context that a signal ended tells which signal; one the caller cancelled counts as an
// interrupt; a live one is no failure.
func TestStopped(t *testing.T) {
	if err := stopped(context.Background()); err != nil {
		t.Errorf("a live context: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if code := exitStatus(stopped(ctx), io.Discard, nil, ""); code != 130 {
		t.Errorf("a cancelled context: exit %d, want 130", code)
	}
	for sig, want := range map[syscall.Signal]int{syscall.SIGINT: 130, syscall.SIGTERM: ExitOK, syscall.SIGHUP: 129} {
		ctx, stop := withSignals(context.Background())
		if err := syscall.Kill(syscall.Getpid(), sig); err != nil {
			t.Fatal(err)
		}
		<-ctx.Done()
		if code := exitStatus(stopped(ctx), io.Discard, nil, ""); code != want {
			t.Errorf("%v: exit %d, want %d", sig, code, want)
		}
		stop()
	}
}

// The first signal stops in order (the context ends); a second one, or any after the
// command made the watch urgent, goes to the hook that exits at once.
func TestSecondSignalIsUrgent(t *testing.T) {
	firsts, agains := make(chan os.Signal, 4), make(chan os.Signal, 4)
	w := watchSignals(context.Background(), signalHooks{
		first: func(s os.Signal) { firsts <- s },
		again: func(s os.Signal) { agains <- s },
	})
	defer w.stop()
	syscall.Kill(syscall.Getpid(), syscall.SIGQUIT)
	<-w.ctx.Done()
	if s := <-firsts; s != syscall.SIGQUIT {
		t.Fatalf("first hook got %v", s)
	}
	if code := exitStatus(stopped(w.ctx), io.Discard, nil, ""); code != 131 {
		t.Errorf("SIGQUIT: exit %d, want 131", code)
	}
	syscall.Kill(syscall.Getpid(), syscall.SIGINT)
	if s := <-agains; s != syscall.SIGINT {
		t.Fatalf("again hook got %v", s)
	}

	// Urgent before any signal: the first one already means now.
	w2 := watchSignals(context.Background(), signalHooks{
		first: func(s os.Signal) { firsts <- s },
		again: func(s os.Signal) { agains <- s },
	})
	defer w2.stop()
	w.stop()
	w2.makeUrgent()
	syscall.Kill(syscall.Getpid(), syscall.SIGHUP)
	if s := <-agains; s != syscall.SIGHUP {
		t.Fatalf("urgent: again hook got %v", s)
	}
	if w2.ctx.Err() != nil || len(firsts) != 0 {
		t.Error("an urgent watch stopped in order instead of at once")
	}
}

// A flag's bad value ends with the message and where the help is, not forty lines of
// flags that push the message (a filter's caret) off the screen; a mistake in the shape
// of the command line still gets the usage.
func TestABadValueIsNotBuriedUnderTheUsage(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f.log")
	if err := os.WriteFile(file, []byte("2 123456789012 eni-0a1b2c3d4e5f6a7b0 10.0.1.5 10.0.2.9 443 51000 6 10 840 1714564800 1714564860 ACCEPT OK\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := runForOutput(t, "print", "--filter", "dsport=22", file)
	if code != ExitUsage || !strings.Contains(errOut, "did you mean 'dstport'") || !strings.HasSuffix(errOut, "(flowlens print --help lists the flags)\n") || strings.Contains(errOut, "Usage:") {
		t.Errorf("exit %d:\n%s", code, errOut)
	}
	code, _, errOut = runForOutput(t, "print", "--no-such-flag", file)
	if code != ExitUsage || !strings.Contains(errOut, "Usage:") {
		t.Errorf("an unknown flag: exit %d:\n%s", code, errOut)
	}
}

// The explorer checks its flags before it asks for a terminal, so a script gets the
// mistake rather than "needs a terminal".
func TestExplorerChecksFlagsFirst(t *testing.T) {
	code, _, errOut := runForOutput(t, "--filter", "dsport=22", "-")
	if code != ExitUsage || !strings.Contains(errOut, "bad --filter") {
		t.Errorf("exit %d:\n%s", code, errOut)
	}
	code, _, errOut = runForOutput(t, "-")
	if code != ExitUsage || !strings.Contains(errOut, "needs a terminal on stdout") {
		t.Errorf("without a terminal: exit %d:\n%s", code, errOut)
	}
}

// A mistake deep in a long filter is shown in a window around the caret, not echoed
// whole (a 10,000-character filter made a 14 KB message).
func TestFilterErrorShowsAWindow(t *testing.T) {
	expr := strings.Repeat("dport=443 or ", 150) + "dsport=22 " + strings.Repeat("or dport=80 ", 80)
	_, _, errOut := runForOutput(t, "print", "--filter", expr, "-")
	errOut, _, _ = strings.Cut(errOut, "\n\n") // the usage follows
	lines := strings.Split(errOut, "\n")
	if len(errOut) > 400 || len(lines) < 3 {
		t.Fatalf("%d bytes of error:\n%.600s", len(errOut), errOut)
	}
	shown, caret := lines[1], lines[2]
	if !strings.Contains(shown, "…") || !strings.HasSuffix(caret, "^") {
		t.Fatalf("no window with a caret:\n%s", errOut)
	}
	// The caret is under the mistake.
	at := len([]rune(caret)) - 1
	if got := string([]rune(shown)[at:]); !strings.HasPrefix(got, "dsport=22") {
		t.Errorf("the caret points at %q:\n%s", got, errOut)
	}
}

// A v5 file from generate reads back without flags: its fields are in the simulator's
// order, which only its header line tells, so the header is written unless refused.
func TestGeneratedV5ReadsBack(t *testing.T) {
	file := filepath.Join(t.TempDir(), "v5.log")
	if code, _, errOut := runForOutput(t, "generate", "-n", "50", "--format", "v5", "-o", file); code != ExitOK {
		t.Fatalf("generate: exit %d: %s", code, errOut)
	}
	code, out, errOut := runForOutput(t, "print", "--count", file)
	if code != ExitOK || strings.TrimSpace(out) != "50" {
		t.Fatalf("print --count: exit %d, %q: %s", code, out, errOut)
	}
	if code, _, errOut := runForOutput(t, "generate", "-n", "5", "--format", "v5", "--header=false", "-o", file+".bare"); code != ExitOK {
		t.Fatalf("generate --header=false: exit %d: %s", code, errOut)
	}
	if data, _ := os.ReadFile(file + ".bare"); strings.HasPrefix(string(data), "version") {
		t.Error("--header=false wrote a header")
	}
}
