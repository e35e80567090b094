// Package cli is flowlens's command line. Each command has its own file: an options
// struct its flags bind into, a constructor that builds the cobra command, and a run
// function that does the work with the options alone (the pattern of the GitHub CLI).
// How a failure ends the program is decided in one place, exit.go. main only calls Run.
package cli

import (
	"context"
	"io"
	"os"

	"github.com/charmbracelet/x/term"
	"github.com/spf13/cobra"
)

// streams are what a command reads from and writes to, so tests run it in-process.
type streams struct {
	in     io.Reader
	out    io.Writer
	errOut io.Writer
}

// Run executes a command line (without the program name) and returns the exit status.
// ctx is the commands' context: cancelling it stops a command that reads, as an interrupt
// would.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if args == nil {
		args = []string{} // cobra reads os.Args when given nil
	}
	root := newRootCommand(streams{in: stdin, out: stdout, errOut: stderr})
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	usage, path := root.UsageString, root.CommandPath()
	if cmd != nil {
		usage, path = cmd.UsageString, cmd.CommandPath()
	}
	return exitStatus(err, stderr, usage, path)
}

// newRootCommand builds the whole command tree; completions and the man pages are
// generated from it, so they never drift from the real flags.
func newRootCommand(s streams) *cobra.Command {
	root := newExplorerCommand(s)
	root.SilenceUsage = true
	root.SilenceErrors = true
	root.Version = versionString()
	root.SetVersionTemplate("{{.Version}}\n")
	root.SetIn(s.in)
	root.SetOut(s.out)
	root.SetErr(s.errOut)

	root.AddGroup(
		&cobra.Group{ID: "read", Title: "Reading flow logs:"},
		&cobra.Group{ID: "aws", Title: "Finding what to read in AWS:"},
		&cobra.Group{ID: "other", Title: "Other commands:"},
	)
	root.AddCommand(
		newPrintCommand(s),
		newGroupsCommand(s),
		newENIsCommand(s),
		newPairsCommand(s),
		newStatsCommand(s),
		newAthenaDDLCommand(s),
		newGenerateCommand(s),
		newManCommand(s),
	)
	root.SetHelpCommandGroupID("other")
	root.InitDefaultHelpCmd()
	addCompletionCommand(root)
	usageMistakes(root)
	return root
}

// usageMistakes makes every mistake cobra finds in a command line a usage error (status
// 2, then the usage): a bad flag, arguments a command does not take, a required flag left
// out. It runs on the finished tree, so a new command gets it without asking. Required
// flags and flag groups are checked here, before cobra would, so that its error never has
// to be recognised by its text.
func usageMistakes(root *cobra.Command) {
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError(err) })
	// The root's persistent pre-run is every command's, as long as none sets its own.
	root.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error {
		if err := cmd.ValidateRequiredFlags(); err != nil {
			return usageError(err)
		}
		if err := cmd.ValidateFlagGroups(); err != nil {
			return usageError(err)
		}
		return nil
	}
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		if check := c.Args; check != nil {
			c.Args = func(cmd *cobra.Command, args []string) error {
				if err := check(cmd, args); err != nil {
					return usageError(err)
				}
				return nil
			}
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

// isTerminal reports whether a standard stream is a terminal.
func isTerminal(v any) bool {
	f, ok := v.(*os.File)
	return ok && term.IsTerminal(f.Fd())
}
