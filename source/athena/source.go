package athena

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsathena "github.com/aws/aws-sdk-go-v2/service/athena"
	"github.com/aws/smithy-go"

	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/filter"
	"github.com/flowlens/flowlens/model/pushdown"
	"github.com/flowlens/flowlens/source"
)

// Table is the flow-logs table queried: its data columns in order, as a flow log format
// (AWS's column names with - for _), and its partition keys.
type Table struct {
	Name    string
	Columns *model.Format
	// Partitions are the partition keys with their projection, from the table's
	// metadata: the ones projected as dates (and AWS's `date` partitions) are
	// narrowed to the time window.
	Partitions []Partition
	// FromMetadata says the columns and partitions were read with GetTableMetadata;
	// otherwise they are --format or AWS's documented columns, without partitions.
	FromMetadata bool
}

// Partition is a partition key of the table.
type Partition struct {
	Name string
	Type string // the column type: string, date, int, ...
	// Projection is the partition projection type (date, enum, integer, injected), ""
	// without projection; Format is a date projection's format (a Java date pattern,
	// such as yyyy/MM/dd), Unit its interval unit (DAYS, HOURS).
	Projection, Format, Unit string
}

// TableOptions choose the table.
type TableOptions struct {
	Name string // pushdown.DefaultAthenaTable when ""
	// Columns, when set, are the table's data columns in order (--format): they win
	// over the table's metadata, which then only gives the partitions.
	Columns *model.Format
}

// Source runs the queries of one table: records (Run) and groups (Groups).
type Source struct {
	cfg      Config
	table    Table
	warnings []string
}

// New finds the table: its columns and partition keys through GetTableMetadata (which
// needs athena:GetTableMetadata and glue:GetTable). Without that permission, or for a
// table it cannot describe, it goes on with opts.Columns (or AWS's documented columns)
// and no partition pruning, and says so in Warnings; a table or database that does not
// exist is an error.
func New(ctx context.Context, cfg Config, opts TableOptions) (*Source, error) {
	if cfg.Client == nil {
		return nil, errors.New("athena: no Athena client")
	}
	cfg.defaults()
	s := &Source{cfg: cfg, table: Table{Name: opts.Name, Columns: opts.Columns}}
	if s.table.Name == "" {
		s.table.Name = pushdown.DefaultAthenaTable
	}
	out, err := cfg.Client.GetTableMetadata(ctx, &awsathena.GetTableMetadataInput{
		CatalogName: aws.String(cfg.Catalog), DatabaseName: aws.String(cfg.Database), TableName: aws.String(s.table.Name), WorkGroup: aws.String(cfg.WorkGroup)})
	var api smithy.APIError
	switch {
	case err == nil && out.TableMetadata != nil:
		s.fromMetadata(out, opts.Columns)
	case errors.As(err, &api) && api.ErrorCode() == "MetadataException" && strings.Contains(api.ErrorMessage(), "not found"):
		return nil, &Error{Err: err, Msg: fmt.Sprintf("Athena: %s (check --athena-table %s and --athena-database %s; `flowlens athena-ddl s3://BUCKET/PREFIX` prints a table definition for a bucket of flow logs)",
			strings.TrimSuffix(api.ErrorMessage(), "."), s.table.Name, cfg.Database)}
	case err != nil:
		e := explain(err, &cfg, "")
		s.warnings = append(s.warnings, fmt.Sprintf("could not describe table %s.%s (%v): assuming %s, with no partition pruning", cfg.Database, s.table.Name, e, describeColumns(opts.Columns)))
	}
	if s.table.Columns == nil {
		s.table.Columns = pushdown.AthenaColumns
	}
	return s, nil
}

func describeColumns(f *model.Format) string {
	if f != nil {
		return "the columns of --format"
	}
	return "the columns of AWS's vpc_flow_logs table"
}

func (s *Source) fromMetadata(out *awsathena.GetTableMetadataOutput, columns *model.Format) {
	m := out.TableMetadata
	s.table.FromMetadata = true
	if columns == nil {
		var names []string
		for _, c := range m.Columns {
			names = append(names, strings.ReplaceAll(strings.ToLower(aws.ToString(c.Name)), "_", "-"))
		}
		f, err := model.ParseFormat(strings.Join(names, " "))
		if err != nil {
			s.warnings = append(s.warnings, fmt.Sprintf("table %s: its columns are not a flow log format (%v): assuming AWS's columns", s.table.Name, err))
		} else {
			s.table.Columns = f
		}
	}
	for _, k := range m.PartitionKeys {
		name := strings.ToLower(aws.ToString(k.Name))
		p := Partition{Name: name, Type: strings.ToLower(aws.ToString(k.Type))}
		if m.Parameters["projection.enabled"] == "true" {
			p.Projection = strings.ToLower(strings.TrimSpace(m.Parameters["projection."+name+".type"]))
			p.Format = m.Parameters["projection."+name+".format"]
			p.Unit = strings.ToUpper(m.Parameters["projection."+name+".interval.unit"])
		}
		s.table.Partitions = append(s.table.Partitions, p)
	}
}

// Table is the table queried.
func (s *Source) Table() Table { return s.table }

// Warnings are what New learned that a person should be told.
func (s *Source) Warnings() []string { return s.warnings }

// Query says what to read.
type Query struct {
	// Filter is the filter's expression: pushed down as SQL as far as it compiles
	// (a looser WHERE keeps more, never fewer); the caller's own filter stays the
	// final word.
	Filter string
	// Since and Until select the records whose start lies in [Since, Until); zero for
	// no bound. They also narrow the date partitions (see Table.Partitions).
	Since, Until time.Time
	// Progress, when set, is called after each poll of the query.
	Progress func(Stats)
}

// sqlOptions builds the pushdown options of q over the table.
func (s *Source) sqlOptions(q *Query) pushdown.SQLOptions {
	o := pushdown.SQLOptions{Table: s.table.Name, Columns: s.table.Columns}
	if !q.Since.IsZero() {
		o.Since = q.Since.Unix()
	}
	if !q.Until.IsZero() {
		o.Until = q.Until.Unix()
	}
	o.Where = PartitionPredicates(s.table.Partitions, q.Since, q.Until, DeliveryMargin)
	return o
}

// DeliveryMargin is how long after a record's start its file can be delivered (an
// aggregation window of up to 10 minutes, then "about 10 minutes" to S3): a record that
// started before Until can be in a partition up to this much later.
const DeliveryMargin = 20 * time.Minute

// RecordsSQL is the query Run sends for q.
func (s *Source) RecordsSQL(q Query) (pushdown.Result, error) {
	node, err := filter.Parse(q.Filter)
	if err != nil {
		return pushdown.Result{}, err
	}
	return pushdown.SQL(node, s.sqlOptions(&q))
}

// Run queries the records of q and reads them as files are read: parsing and the
// stages newStage makes run on worker goroutines, sink gets the chunks in order (see
// source.ReadStreams). The rows become records through the text parser in the table's
// column order, so a record from Athena prints as the same record read from the
// bucket's files. It returns the query (its Stats: the data scanned) and the error
// that ended the reading: the query failed, or its results could not be read. When ctx
// ends, the query is stopped.
func (s *Source) Run(ctx context.Context, q Query, newStage func() source.Stage, sink func(*source.Chunk) bool) (*Execution, error) {
	res, err := s.RecordsSQL(q)
	if err != nil {
		return nil, err
	}
	if res.Never {
		return nil, nil // the filter can match nothing here: no need to pay for a query
	}
	x, err := Start(ctx, s.cfg, res.Text)
	if err != nil {
		return nil, err
	}
	defer x.Close()
	if err := x.Wait(ctx, q.Progress); err != nil {
		return x, err
	}
	format := s.table.Columns
	pr, pw := io.Pipe()
	rowsErr := make(chan error, 1)
	go func() {
		var index []int
		var line []byte
		err := x.Rows(ctx, func(cols []Column) error {
			index = columnIndex(format, cols)
			return nil
		}, func(row []*string) error {
			line = appendLine(line[:0], row, index)
			_, err := pw.Write(line)
			return err
		})
		pw.Close()
		rowsErr <- err
	}()
	streams := make(chan source.Stream, 1)
	streams <- source.Stream{Name: "athena:" + x.ID, Open: func(context.Context) (io.ReadCloser, error) { return pr, nil }}
	close(streams)
	source.ReadStreams(ctx, streams, source.StreamOptions{Options: source.Options{Format: format}, Ahead: 1}, newStage, sink)
	pr.CloseWithError(io.ErrClosedPipe) // a sink that stopped early ends the writer
	err = <-rowsErr
	if errors.Is(err, io.ErrClosedPipe) {
		err = nil
	}
	return x, err
}

// columnIndex maps each column of the format to the result column of the same name
// (AWS's names with _ for -), -1 for none: partition columns of SELECT * are left out.
func columnIndex(f *model.Format, cols []Column) []int {
	index := make([]int, len(f.Fields))
	for i, fld := range f.Fields {
		name := pushdown.ColumnName(f, fld)
		index[i] = slices.IndexFunc(cols, func(c Column) bool { return strings.EqualFold(c.Name, name) })
	}
	return index
}

// appendLine writes a row as a flow log line in the format's order: NULL (and an
// empty value, which no flow log field has) is `-`.
func appendLine(b []byte, row []*string, index []int) []byte {
	for i, j := range index {
		if i > 0 {
			b = append(b, ' ')
		}
		if j < 0 || j >= len(row) || row[j] == nil || *row[j] == "" {
			b = append(b, '-')
			continue
		}
		b = append(b, *row[j]...)
	}
	return append(b, '\n')
}
