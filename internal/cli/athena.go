package cli

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"

	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/output"
	"github.com/flowlens/flowlens/model/pushdown"
	"github.com/flowlens/flowlens/source"
	"github.com/flowlens/flowlens/source/athena"
	"github.com/flowlens/flowlens/source/awsclient"
	"github.com/flowlens/flowlens/source/cloudwatch"
)

// athenaOptions run a command's history on Athena (--athena): print now, stats through
// the same options.
type athenaOptions struct {
	enabled   bool
	table     string
	database  string
	workgroup string
	output    string
}

func (o *athenaOptions) bind(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.BoolVar(&o.enabled, "athena", false, "query the records on Amazon Athena instead of reading them (billed by data scanned; the results are written to the output location: see docs/athena.md)")
	fl.StringVar(&o.table, "athena-table", pushdown.DefaultAthenaTable, "with --athena, the flow logs `TABLE` (AWS's vpc_flow_logs, or one `flowlens athena-ddl` made)")
	fl.StringVar(&o.database, "athena-database", athena.DefaultDatabase, "with --athena, the Glue `DATABASE` of the table")
	fl.StringVar(&o.workgroup, "athena-workgroup", athena.DefaultWorkGroup, "with --athena, the `WORKGROUP` the query runs in")
	fl.StringVar(&o.output, "athena-output", "", "with --athena, where Athena writes the query results, s3://`BUCKET/PREFIX/` (needed when the workgroup has no output location)")
}

// check refuses the Athena flags without --athena, and a bad output location.
func (o *athenaOptions) check(changed func(string) bool) error {
	if !o.enabled {
		for _, name := range []string{"athena-table", "athena-database", "athena-workgroup", "athena-output"} {
			if changed(name) {
				return usagef("--%s needs --athena", name)
			}
		}
		return nil
	}
	if o.output != "" && !strings.HasPrefix(o.output, "s3://") {
		return valuef("bad --athena-output %q: want s3://bucket/prefix/", o.output)
	}
	if strings.TrimSpace(o.table) == "" || strings.ContainsAny(o.table, `".`) {
		return valuef("bad --athena-table %q: give the table's name, and its database with --athena-database", o.table)
	}
	return nil
}

// openAthena connects the Athena source: it loads the AWS configuration and describes
// the table (its columns and partitions), so that start-up problems come before output.
// columns is --format: the table's data columns, when they are not to be read from the
// table's metadata.
func openAthena(ctx context.Context, o *athenaOptions, awsOpts *awsOptions, columns *model.Format) (*athena.Source, error) {
	cfg, err := awsOpts.load(ctx)
	if err != nil {
		return nil, err
	}
	return athena.New(ctx, athena.Config{
		Client: awsclient.NewAthena(cfg), S3: awsclient.NewS3(cfg),
		WorkGroup: o.workgroup, Database: o.database, OutputLocation: o.output, Profile: awsOpts.profile,
	}, athena.TableOptions{Name: o.table, Columns: columns})
}

// athenaQuery builds the query of the request: the filter (with --eni as interface
// terms) and the window, by default the last hour as for S3.
func (r *sourceRequest) athenaQuery(now time.Time) (athena.Query, error) {
	q := athena.Query{Filter: r.filter, Since: now.Add(-time.Hour)}
	var err error
	if r.since != "" {
		if q.Since, err = cloudwatch.ParseWhen(r.since, now, r.zone); err != nil {
			return q, valuef("bad --since: %v", err)
		}
	}
	q.Until = now
	if r.until != "" {
		if q.Until, err = cloudwatch.ParseWhen(r.until, now, r.zone); err != nil {
			return q, valuef("bad --until: %v", err)
		}
	}
	if !q.Until.After(q.Since) {
		return q, usagef("--until %s is not after --since %s", q.Until.UTC().Format(time.RFC3339), q.Since.UTC().Format(time.RFC3339))
	}
	if len(r.enis) > 0 {
		terms := make([]string, len(r.enis))
		for i, e := range r.enis {
			terms[i] = "eni=" + e
		}
		enis := strings.Join(terms, " or ")
		if strings.TrimSpace(q.Filter) == "" {
			q.Filter = enis
		} else {
			q.Filter = "(" + q.Filter + ") and (" + enis + ")"
		}
	}
	return q, nil
}

// readAthena runs the records query of an Athena source for sources.Read: a line of
// state and data scanned while it runs (a terminal only), and a last line with the
// query, the data it scanned and where its results went.
func (s *sources) readAthena(ctx context.Context, newStage func() source.Stage, take func(*source.Chunk) bool) error {
	var last atomic.Pointer[athena.Stats]
	q := s.athenaQuery
	q.Progress = func(st athena.Stats) { last.Store(&st) }
	stopBar := s.bar.run(func() string {
		st := last.Load()
		if st == nil {
			return "flowlens: Athena: starting the query"
		}
		return fmt.Sprintf("flowlens: Athena: %s, %s scanned", strings.ToLower(string(st.State)), humanBytes(st.Scanned))
	})
	x, err := s.athena.Run(ctx, q, newStage, take)
	stopBar()
	s.execution = x
	if x != nil && !s.req.quiet {
		s.bar.println(athenaSummary(x))
	}
	return err
}

// athenaSummary is the last line of an Athena query: Athena bills by the data scanned.
func athenaSummary(x *athena.Execution) string {
	st := x.Stats()
	line := fmt.Sprintf("flowlens: Athena query %s scanned %s (Athena bills by data scanned)", x.ID, humanBytes(st.Scanned))
	if st.Output != "" {
		line += "; results written to " + output.Sanitize(st.Output)
	}
	return line
}
