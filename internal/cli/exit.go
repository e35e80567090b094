package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"sync"
	"sync/atomic"
	"syscall"
)

// Exit statuses, as DESIGN.md fixes them for scripts. A signal adds 128 + its number
// (SIGINT 130, SIGHUP 129, SIGQUIT 131); SIGTERM and `q` end with ExitOK.
const (
	ExitOK      = 0
	ExitRuntime = 1
	ExitUsage   = 2
)

// ExitError is an error that says how the program ends. A command returns one of these
// or a plain error (a runtime failure, status 1); Run maps both to a status in one place,
// exitStatus. Build them with usagef, usageError, inputError, silent and, for a context
// cancelled by a signal, stopped.
type ExitError struct {
	Code int
	// Err is printed as "flowlens: <Err>"; nil when the failure was already reported (the
	// summary of print, say) or there is nothing to say (a signal).
	Err error
	// Usage adds the command's usage after the message: for mistakes in the shape of the
	// command line, where the list of flags is the help that is needed.
	Usage bool
	// Hint adds a line that points at the command's help instead: for a flag whose value
	// is wrong, where the message says how (a filter's caret, a time's forms) and forty
	// lines of flags after it would push it off the screen.
	Hint bool
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}

func (e *ExitError) Unwrap() error { return e.Err }

// usageError marks a mistake on the command line: exit status 2, the message, then the
// command's usage.
func usageError(err error) error { return &ExitError{Code: ExitUsage, Err: err, Usage: true} }

func usagef(format string, args ...any) error { return usageError(fmt.Errorf(format, args...)) }

// valuef is a usage error in a flag's value ("bad --filter: ..."): status 2, the
// message, and where the help is.
func valuef(format string, args ...any) error {
	return &ExitError{Code: ExitUsage, Err: fmt.Errorf(format, args...), Hint: true}
}

// inputError is a flag whose value names input that cannot be used, such as a --rules
// file that is missing or is not describe-* JSON. It is the command line's fault, so the
// status is 2 as for any usage mistake, but the usage is left out: a list of flags would
// bury the file's line and column, which is what the person needs.
func inputError(err error) error { return &ExitError{Code: ExitUsage, Err: err} }

// silent ends with code and prints nothing more: the command has said what went wrong.
func silent(code int) error { return &ExitError{Code: code} }

// exitStatus reports err on stderr as the command line's contract says, and returns the
// status to exit with. cmdUsage is the usage of the command that failed, printed after a
// usage error; cmdPath is its name ("flowlens print"), for a hint.
func exitStatus(err error, stderr io.Writer, cmdUsage func() string, cmdPath string) int {
	if err == nil {
		return ExitOK
	}
	var exit *ExitError
	if !errors.As(err, &exit) {
		fmt.Fprintf(stderr, "flowlens: %v\n", err)
		return ExitRuntime
	}
	if exit.Err != nil {
		fmt.Fprintf(stderr, "flowlens: %v\n", err)
	}
	switch {
	case exit.Usage && cmdUsage != nil:
		fmt.Fprintf(stderr, "\n%s", cmdUsage())
	case exit.Hint && cmdPath != "":
		fmt.Fprintf(stderr, "(%s --help lists the flags)\n", cmdPath)
	}
	return exit.Code
}

// signalStatus is the exit status of a program stopped by sig: 128 + the signal's
// number, the shell's convention, except SIGTERM, which asks for an orderly end and is
// answered like `q`.
func signalStatus(sig os.Signal) int {
	s, ok := sig.(syscall.Signal)
	switch {
	case !ok:
		return ExitRuntime
	case s == syscall.SIGTERM:
		return ExitOK
	}
	return 128 + int(s)
}

// caughtSignal is the cause of a context cancelled by a signal, so the status can be
// told from the signal itself rather than from the text of an error.
type caughtSignal struct{ sig os.Signal }

func (c caughtSignal) Error() string { return c.sig.String() + " received" }

// terminating are the signals that end a command and can be caught: the terminal
// closing or the SSH session lost (SIGHUP), Ctrl+C (SIGINT), an orderly stop (SIGTERM)
// and Ctrl+\ (SIGQUIT). Caught, each ends the command with the terminal restored, its
// output consistent and what is billed closed, then the signal's status.
var terminating = []os.Signal{syscall.SIGHUP, syscall.SIGINT, syscall.SIGTERM, syscall.SIGQUIT}

// signalHooks say what happens beyond cancelling the context.
type signalHooks struct {
	// first runs when the first signal arrives, before the context is cancelled: the
	// explorer logs why it stops there. Nil: a SIGQUIT writes every goroutine's stack
	// to stderr, as Go does for a SIGQUIT it does not catch.
	first func(os.Signal)
	// again runs for a signal that arrives while the command is already stopping, or
	// after urgent was called: the person wants out now. Nil: exit at once with the
	// signal's status.
	again func(os.Signal)
}

// signalWatch is a context cancelled by the first terminating signal, and what to do on
// later ones.
type signalWatch struct {
	ctx    context.Context
	stop   func()
	urgent atomic.Bool
}

// withSignals returns a context cancelled when a terminating signal arrives, and the
// function that stops listening. The command keeps its output consistent when the
// context ends, then returns stopped(ctx). A second signal exits at once.
func withSignals(ctx context.Context) (context.Context, func()) {
	w := watchSignals(ctx, signalHooks{})
	return w.ctx, w.stop
}

// watchSignals is withSignals with hooks.
func watchSignals(ctx context.Context, hooks signalHooks) *signalWatch {
	if hooks.first == nil {
		hooks.first = func(s os.Signal) {
			if s == syscall.SIGQUIT {
				dumpGoroutines(os.Stderr)
			}
		}
	}
	if hooks.again == nil {
		hooks.again = func(s os.Signal) { os.Exit(signalStatus(s)) }
	}
	ctx, cancel := context.WithCancelCause(ctx)
	w := &signalWatch{ctx: ctx}
	ch := make(chan os.Signal, 4)
	signal.Notify(ch, terminating...)
	done := make(chan struct{})
	go func() {
		first := true
		for {
			select {
			case s := <-ch:
				if first && !w.urgent.Load() {
					first = false
					hooks.first(s)
					cancel(caughtSignal{s})
					continue
				}
				hooks.again(s)
			case <-done:
				return
			}
		}
	}()
	var once sync.Once
	w.stop = func() {
		once.Do(func() {
			signal.Stop(ch)
			close(done)
			cancel(context.Canceled)
		})
	}
	return w
}

// makeUrgent makes the next signal act at once (hooks.again), even the first: the
// command is past the point where an orderly stop means anything, such as waiting for
// a source to close after the screen is gone.
func (w *signalWatch) makeUrgent() { w.urgent.Store(true) }

// dumpGoroutines writes the stack of every goroutine, in the form Go prints on a
// SIGQUIT it does not catch.
func dumpGoroutines(w io.Writer) {
	fmt.Fprintf(w, "SIGQUIT: goroutine dump\n")
	_ = pprof.Lookup("goroutine").WriteTo(w, 2)
}

// stopped is the result of a command whose context ended early: the signal's status when
// a signal ended it, 130 when the caller's context was cancelled (as by an interrupt),
// nil while the context is live.
func stopped(ctx context.Context) error {
	if ctx.Err() == nil {
		return nil
	}
	var c caughtSignal
	if errors.As(context.Cause(ctx), &c) {
		return silent(signalStatus(c.sig))
	}
	return silent(signalStatus(syscall.SIGINT))
}
