package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/flowlens/flowlens/model/output"
	"github.com/flowlens/flowlens/model/pushdown"
	"github.com/flowlens/flowlens/source/athena"
	"github.com/flowlens/flowlens/source/awsclient"
	s3src "github.com/flowlens/flowlens/source/s3"
)

// athenaDDLOptions are the options of `flowlens athena-ddl`.
type athenaDDLOptions struct {
	streams
	table    string
	database string
	format   string
	aws      awsOptions
	location string
}

func newAthenaDDLCommand(s streams) *cobra.Command {
	opts := &athenaDDLOptions{streams: s}
	cmd := &cobra.Command{
		Use:   "athena-ddl [flags] s3://BUCKET/PREFIX",
		Short: "Print the Athena table definition for a bucket of flow logs",
		Long: `Print the CREATE EXTERNAL TABLE statement of an Athena table over the flow logs
at an S3 location, with partition projection, so that Athena finds the partitions
without crawlers or MSCK REPAIR TABLE, and flowlens print --athena prunes them by
--since and --until.

flowlens looks at the location (a few ListObjectsV2 requests and the first bytes of
one object; nothing is written): the key layout (AWS's default or Hive-compatible
prefixes, daily or hourly partitions), the accounts and Regions present, the first
date, and the records' columns from an object's header line (a text table maps
columns by position, so they must be the log's own) or its Parquet schema. Run the
statement in Athena (the console, or aws athena start-query-execution), then query
with flowlens print --athena --athena-table NAME.`,
		Example: `  flowlens athena-ddl s3://my-flow-logs/AWSLogs/ > table.sql
  flowlens athena-ddl --athena-table flows --athena-database netlogs s3://org-logs/central/AWSLogs/`,
		GroupID: "aws",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.location = args[0]
			return runAthenaDDL(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.table, "athena-table", pushdown.DefaultAthenaTable, "the `TABLE` to define (the name print --athena queries by default)")
	fl.StringVar(&opts.database, "athena-database", "", "qualify the table with this Glue `DATABASE` (default: the query's own database)")
	fl.StringVar(&opts.format, "format", "", "the records' `FORMAT` when the objects have no header line")
	opts.aws.bind(cmd)
	return cmd
}

func runAthenaDDL(ctx context.Context, opts *athenaDDLOptions) error {
	if !s3src.IsURL(opts.location) {
		return usagef("athena-ddl describes an S3 location: want s3://bucket/prefix, not %s", opts.location)
	}
	if _, err := s3src.ParseURL(opts.location); err != nil {
		return usageError(err)
	}
	for _, name := range []string{opts.table, opts.database} {
		if strings.ContainsAny(name, "`.\"") {
			return valuef("bad table or database name %q", name)
		}
	}
	read := readOptions{format: opts.format}
	format, err := read.parsedFormat()
	if err != nil {
		return err
	}
	ctx, stop := withSignals(ctx)
	defer stop()
	cfg, err := opts.aws.load(ctx)
	if err != nil {
		return err
	}
	layout, err := s3src.Discover(ctx, s3src.Config{Client: awsclient.NewS3(cfg), URL: opts.location, Format: format, Profile: opts.aws.profile})
	if err != nil {
		if serr := stopped(ctx); serr != nil {
			return serr
		}
		return err
	}
	name := opts.table
	if opts.database != "" {
		name = opts.database + "`.`" + opts.table
	}
	fmt.Fprintln(opts.out, athena.DDL(name, layout)+";")
	var parts []string
	if layout.Accounts != nil {
		parts = append(parts, fmt.Sprintf("%d accounts", len(layout.Accounts)))
	}
	if layout.Regions != nil {
		parts = append(parts, fmt.Sprintf("%d Regions", len(layout.Regions)))
	}
	if layout.PartitionDate != "" {
		parts = append(parts, fmt.Sprintf("%s partitions from %s", strings.TrimSuffix(strings.ToLower(layout.DateUnit), "s"), layout.FirstDate.UTC().Format("2006-01-02")))
	}
	kind := "text"
	if layout.Parquet {
		kind = "Parquet"
	}
	fmt.Fprintf(opts.errOut, "flowlens: %s table over %s (columns from %s", kind, output.Sanitize(layout.Location), output.Sanitize(layout.Sample))
	if len(parts) > 0 {
		fmt.Fprintf(opts.errOut, "; %s", strings.Join(parts, ", "))
	}
	fmt.Fprintln(opts.errOut, "). A new account or Region needs the statement run again (the projection lists them).")
	return nil
}
