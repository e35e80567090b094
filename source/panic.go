package source

import "fmt"

// ReportPanic, deferred at the top of a source's goroutine, turns a panic into an error
// the screen shows: a panic on a goroutine other than the screen's would end the
// program before the explorer could restore the terminal.
func ReportPanic(report func(error)) {
	if r := recover(); r != nil {
		report(fmt.Errorf("internal error, please report it: %v", r))
	}
}
