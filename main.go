// Command flowlens is a terminal explorer for AWS VPC Flow Logs: a live, filterable table
// of flows from CloudWatch Logs, S3 files or stdin, every field decoded, and for each flow
// and its reverse a verdict on whether a security group or a network ACL dropped it.
//
// main.go parses the command line and wires the parts together; the domain lives in
// model/, the producers of records in source/, the screen in ui/.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
)

// Exit statuses, as DESIGN.md fixes them for scripts.
const (
	exitOK      = 0
	exitRuntime = 1
	exitUsage   = 2
)

// usageError marks a mistake on the command line: it exits with status 2 and prints the
// usage after the message.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// usageArgs makes cobra's argument check a usage error (exit status 2).
func usageArgs(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := check(cmd, args); err != nil {
			return usageError{err}
		}
		return nil
	}
}

// silentError carries an exit status for a failure that was already reported (the
// summary of print, say), so main adds nothing.
type silentError struct{ code int }

func (e silentError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run executes the command line and returns the exit status; tests call it directly.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := newRootCommand(stdin, stdout, stderr)
	root.SetArgs(args)
	cmd, err := root.ExecuteC()
	if err == nil {
		return exitOK
	}
	var silent silentError
	if errors.As(err, &silent) {
		return silent.code
	}
	fmt.Fprintf(stderr, "flowlens: %v\n", err)
	var usage usageError
	// cobra reports a missing required flag as a plain error; it is a usage error too.
	if errors.As(err, &usage) || strings.HasPrefix(err.Error(), "required flag") {
		if cmd != nil {
			fmt.Fprintf(stderr, "\n%s", cmd.UsageString())
		}
		return exitUsage
	}
	return exitRuntime
}

// newRootCommand builds the whole command tree; completions and the man page are
// generated from it, so they never drift from the real flags.
func newRootCommand(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	env := &environment{stdin: stdin, stdout: stdout, stderr: stderr}
	root := &cobra.Command{
		Use:   "flowlens [flags] [SOURCE...]",
		Short: "Explore AWS VPC Flow Logs in the terminal",
		Long: `flowlens is a terminal explorer for AWS VPC Flow Logs.

Point it at a CloudWatch Logs group (--log-group), at files downloaded from S3
(plain or .gz, or a directory of them), or pipe records into it. It shows a live
table of flows you can filter as you type, every field decoded, and for the
selected flow and its reverse a verdict: did a security group or a network ACL
drop it?

Start with the bundled demo, no AWS account needed:

  flowlens --demo`,
		Example: `  flowlens --demo
  flowlens --log-group /vpc/flows --eni eni-0abc1234def567890
  flowlens ~/Downloads/AWSLogs/
  flowlens print --filter 'action=REJECT dstport=22' flows.log.gz
  flowlens pairs --rules sgs.json --rules nacls.json flows.log`,
		SilenceUsage:      true,
		SilenceErrors:     true,
		Version:           versionString(),
		CompletionOptions: cobra.CompletionOptions{HiddenDefaultCmd: false},
	}
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return usageError{err} })
	root.SetVersionTemplate("{{.Version}}\n")

	root.AddGroup(
		&cobra.Group{ID: "read", Title: "Reading flow logs:"},
		&cobra.Group{ID: "aws", Title: "Finding what to read in AWS:"},
		&cobra.Group{ID: "other", Title: "Other commands:"},
	)
	root.SetHelpCommandGroupID("other")
	root.SetCompletionCommandGroupID("other")

	addExplorer(root, env)
	root.AddCommand(newPrintCommand(env))
	addAWSCommands(root, env)
	root.AddCommand(newPairsCommand(env))
	root.AddCommand(newGenerateCommand(env))
	root.AddCommand(newManCommand(env))
	return root
}

// environment is what commands read from and write to, so tests can run them in-process.
type environment struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}
