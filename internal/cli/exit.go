package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
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

// inputError is a flag whose value names input that cannot be used, such as a --rules
// file that is missing or is not describe-* JSON. It is the command line's fault, so the
// status is 2 as for any usage mistake, but the usage is left out: a list of flags would
// bury the file's line and column, which is what the person needs.
func inputError(err error) error { return &ExitError{Code: ExitUsage, Err: err} }

// silent ends with code and prints nothing more: the command has said what went wrong.
func silent(code int) error { return &ExitError{Code: code} }

// exitStatus reports err on stderr as the command line's contract says, and returns the
// status to exit with. cmdUsage is the usage of the command that failed, printed after a
// usage error.
func exitStatus(err error, stderr io.Writer, cmdUsage func() string) int {
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
	if exit.Usage && cmdUsage != nil {
		fmt.Fprintf(stderr, "\n%s", cmdUsage())
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

// withSignals returns a context cancelled when one of sigs arrives (SIGINT and SIGTERM
// when none are named), and the function that stops listening. The command keeps its
// output consistent when the context ends, then returns stopped(ctx).
func withSignals(ctx context.Context, sigs ...os.Signal) (context.Context, func()) {
	if len(sigs) == 0 {
		sigs = []os.Signal{syscall.SIGINT, syscall.SIGTERM}
	}
	ctx, cancel := context.WithCancelCause(ctx)
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, sigs...)
	go func() {
		select {
		case s := <-ch:
			cancel(caughtSignal{s})
		case <-ctx.Done():
		}
	}()
	return ctx, func() {
		signal.Stop(ch)
		cancel(context.Canceled)
	}
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
