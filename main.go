// Command flowlens is a terminal explorer for AWS VPC Flow Logs: a live, filterable table
// of flows from CloudWatch Logs, S3 files or stdin, every field decoded, and for each flow
// and its reverse a verdict on whether a security group or a network ACL dropped it.
//
// main only starts the command tree (internal/cli); the domain lives in model/, the
// producers of records in source/, the screen in ui/. docs/architecture.md shows how
// they fit.
package main

import (
	"context"
	"os"

	"github.com/flowlens/flowlens/internal/cli"
)

func main() {
	os.Exit(cli.Run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
