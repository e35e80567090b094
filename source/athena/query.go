// Package athena runs flowlens's queries on Amazon Athena, for history that one machine
// cannot hold: it starts a query (StartQueryExecution) in a workgroup and database,
// waits with back-off (GetQueryExecution), streams the rows (GetQueryResults pages of
// 1,000 for a small result; the result CSV from the output location in S3 for a large
// one), reports the data scanned (what Athena bills), and stops the query
// (StopQueryExecution) when its context ends or it is closed.
//
// Athena is the one place flowlens writes: every query's result goes to the output
// location (the workgroup's, or Config.OutputLocation).
//
// On top of the query lifecycle, Source reads flow log records (Run, in the same
// chunks as files and S3) and counts groups (Groups) from a flow-logs table: AWS's
// vpc_flow_logs, or the partition-projection table DDL writes.
package athena

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsathena "github.com/aws/aws-sdk-go-v2/service/athena"
	"github.com/aws/aws-sdk-go-v2/service/athena/types"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/flowlens/flowlens/source/clock"
)

// Defaults of Config.
const (
	DefaultWorkGroup = "primary"
	DefaultDatabase  = "default"
	DefaultCatalog   = "AwsDataCatalog"
	// DefaultPollMin and DefaultPollMax bound the back-off between GetQueryExecution
	// calls: quick for the seconds most queries take, patient for long ones (and well
	// under GetQueryExecution's quota).
	DefaultPollMin = 250 * time.Millisecond
	DefaultPollMax = 5 * time.Second
	// MaxPageRows is what one GetQueryResults page holds at most.
	MaxPageRows = 1000
)

// Config says where queries run and where their results go.
type Config struct {
	Client *awsathena.Client
	// S3 reads the result CSV of a large result (awsclient.NewS3). Without it every
	// result is read through GetQueryResults pages.
	S3        *awss3.Client
	WorkGroup string // DefaultWorkGroup when ""
	Database  string // DefaultDatabase when ""
	Catalog   string // DefaultCatalog when ""
	// OutputLocation is s3://bucket/prefix/ for the results, where the workgroup has
	// none (a workgroup that enforces its own settings overrides it).
	OutputLocation string
	// PageRows is the largest result read through GetQueryResults pages; a larger one
	// is read from the result CSV in S3 (with an S3 client). 0: MaxPageRows-1, what the
	// first page holds besides the header.
	PageRows         int
	PollMin, PollMax time.Duration
	// Profile only shapes messages.
	Profile string
	// Sleep waits between polls (tests make it instant); nil: a timer.
	Sleep func(ctx context.Context, d time.Duration) error
}

func (c *Config) defaults() {
	if c.WorkGroup == "" {
		c.WorkGroup = DefaultWorkGroup
	}
	if c.Database == "" {
		c.Database = DefaultDatabase
	}
	if c.Catalog == "" {
		c.Catalog = DefaultCatalog
	}
	if c.PollMin <= 0 {
		c.PollMin = DefaultPollMin
	}
	if c.PollMax < c.PollMin {
		c.PollMax = max(DefaultPollMax, c.PollMin)
	}
	if c.PageRows <= 0 {
		c.PageRows = MaxPageRows - 1
	}
	if c.Sleep == nil {
		c.Sleep = clock.Sleep
	}
}

// Stats is what a query cost and how it ended.
type Stats struct {
	State   types.QueryExecutionState
	Reason  string // StateChangeReason
	Scanned int64  // DataScannedInBytes: what Athena bills
	Engine  time.Duration
	// Output is the result CSV, s3://bucket/prefix/<id>.csv.
	Output string
}

// Execution is one query execution.
type Execution struct {
	cfg   Config
	ID    string
	SQL   string
	stats Stats
	final bool
}

// Start starts a query. Its errors are explained (*Error).
func Start(ctx context.Context, cfg Config, sql string) (*Execution, error) {
	if cfg.Client == nil {
		return nil, errors.New("athena: no Athena client")
	}
	cfg.defaults()
	in := &awsathena.StartQueryExecutionInput{
		QueryString:           aws.String(sql),
		WorkGroup:             aws.String(cfg.WorkGroup),
		QueryExecutionContext: &types.QueryExecutionContext{Database: aws.String(cfg.Database), Catalog: aws.String(cfg.Catalog)},
	}
	if cfg.OutputLocation != "" {
		in.ResultConfiguration = &types.ResultConfiguration{OutputLocation: aws.String(cfg.OutputLocation)}
	}
	out, err := cfg.Client.StartQueryExecution(ctx, in)
	if err != nil {
		return nil, explain(err, &cfg, "")
	}
	return &Execution{cfg: cfg, ID: aws.ToString(out.QueryExecutionId), SQL: sql}, nil
}

// Stats returns what the query has cost so far and its state.
func (q *Execution) Stats() Stats { return q.stats }

// Wait polls the query until it ends, with back-off from PollMin to PollMax, calling
// progress (when not nil) after each poll. A query that failed or was cancelled is an
// *Error with Athena's reason. When ctx ends first, the query is stopped.
func (q *Execution) Wait(ctx context.Context, progress func(Stats)) error {
	delay := q.cfg.PollMin
	for {
		if err := q.poll(ctx); err != nil {
			if ctx.Err() != nil {
				q.Stop()
				return ctx.Err()
			}
			return err
		}
		if progress != nil {
			progress(q.stats)
		}
		switch q.stats.State {
		case types.QueryExecutionStateSucceeded:
			return nil
		case types.QueryExecutionStateFailed, types.QueryExecutionStateCancelled:
			return failed(q)
		}
		if err := q.cfg.Sleep(ctx, delay); err != nil {
			q.Stop()
			return err
		}
		delay = min(delay*3/2, q.cfg.PollMax)
	}
}

func (q *Execution) poll(ctx context.Context) error {
	out, err := q.cfg.Client.GetQueryExecution(ctx, &awsathena.GetQueryExecutionInput{QueryExecutionId: aws.String(q.ID)})
	if err != nil {
		return explain(err, &q.cfg, q.ID)
	}
	x := out.QueryExecution
	if x == nil || x.Status == nil {
		return fmt.Errorf("athena: query %s: GetQueryExecution gave no status", q.ID)
	}
	q.stats.State = x.Status.State
	q.stats.Reason = aws.ToString(x.Status.StateChangeReason)
	if s := x.Statistics; s != nil {
		q.stats.Scanned = aws.ToInt64(s.DataScannedInBytes)
		q.stats.Engine = time.Duration(aws.ToInt64(s.EngineExecutionTimeInMillis)) * time.Millisecond
	}
	if rc := x.ResultConfiguration; rc != nil {
		q.stats.Output = aws.ToString(rc.OutputLocation)
	}
	switch q.stats.State {
	case types.QueryExecutionStateSucceeded, types.QueryExecutionStateFailed, types.QueryExecutionStateCancelled:
		q.final = true
	}
	return nil
}

// Stop cancels the query unless it has ended. It uses a context of its own: it is
// called when the caller's has ended.
func (q *Execution) Stop() {
	if q == nil || q.final {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := q.cfg.Client.StopQueryExecution(ctx, &awsathena.StopQueryExecutionInput{QueryExecutionId: aws.String(q.ID)}); err == nil {
		q.final = true
		q.stats.State = types.QueryExecutionStateCancelled
	}
}

// Close stops the query if it is still running.
func (q *Execution) Close() { q.Stop() }
