package athena

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsathena "github.com/aws/aws-sdk-go-v2/service/athena"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
)

// Column is a result column: its name and Athena type (varchar, bigint, integer, ...).
type Column struct {
	Name, Type string
}

// Rows walks the result of a query that succeeded: columns is called once with the
// result's columns, then row with each row in order, a value nil for NULL. A result of
// at most PageRows rows is read through GetQueryResults pages; a larger one, with an S3
// client, from the result CSV at the output location (one streamed GetObject instead of
// a request per 1,000 rows). In the CSV, a NULL and an empty string are both an empty
// field, and both are read as NULL (flow log values are never empty). An error of fn
// ends the walk and is returned.
func (q *Execution) Rows(ctx context.Context, columns func([]Column) error, row func([]*string) error) error {
	first := int32(min(MaxPageRows, q.cfg.PageRows+1))
	in := &awsathena.GetQueryResultsInput{QueryExecutionId: aws.String(q.ID), MaxResults: aws.Int32(first)}
	out, err := q.cfg.Client.GetQueryResults(ctx, in)
	if err != nil {
		return explain(err, &q.cfg, q.ID)
	}
	var cols []Column
	if rs := out.ResultSet; rs != nil && rs.ResultSetMetadata != nil {
		for _, c := range rs.ResultSetMetadata.ColumnInfo {
			cols = append(cols, Column{Name: aws.ToString(c.Name), Type: aws.ToString(c.Type)})
		}
	}
	if err := columns(cols); err != nil {
		return err
	}
	if out.NextToken != nil && q.cfg.S3 != nil && q.stats.Output != "" {
		return q.csvRows(ctx, len(cols), row)
	}
	header := true // the first row of the first page names the columns
	for {
		if out.ResultSet != nil {
			for _, r := range out.ResultSet.Rows {
				vals := make([]*string, len(r.Data))
				for i, d := range r.Data {
					vals[i] = d.VarCharValue
				}
				if header {
					header = false
					if isHeader(vals, cols) {
						continue
					}
				}
				if err := row(vals); err != nil {
					return err
				}
			}
		}
		if out.NextToken == nil {
			return nil
		}
		in.NextToken, in.MaxResults = out.NextToken, aws.Int32(MaxPageRows)
		if out, err = q.cfg.Client.GetQueryResults(ctx, in); err != nil {
			return explain(err, &q.cfg, q.ID)
		}
	}
}

// isHeader reports whether a row is the column names, as the first row of a SELECT's
// results is.
func isHeader(vals []*string, cols []Column) bool {
	if len(vals) != len(cols) || len(cols) == 0 {
		return false
	}
	for i, v := range vals {
		if v == nil || *v != cols[i].Name {
			return false
		}
	}
	return true
}

// csvRows streams the result CSV from S3.
func (q *Execution) csvRows(ctx context.Context, n int, row func([]*string) error) error {
	bucket, key, ok := strings.Cut(strings.TrimPrefix(q.stats.Output, "s3://"), "/")
	if !ok || !strings.HasPrefix(q.stats.Output, "s3://") {
		return fmt.Errorf("athena: query %s: result location %q is not an S3 URL", q.ID, q.stats.Output)
	}
	obj, err := q.cfg.S3.GetObject(ctx, &awss3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		e := &Error{QueryID: q.ID, Err: err, Msg: fmt.Sprintf("reading the result of Athena query %s from %s: %s", q.ID, q.stats.Output, explainS3(err, q.cfg.Profile))}
		if strings.Contains(e.Msg, "s3:GetObject") {
			e.Permission = "s3:GetObject"
		}
		return e
	}
	defer obj.Body.Close()
	r := csv.NewReader(obj.Body)
	r.FieldsPerRecord = -1
	r.ReuseRecord = true
	header := true
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading the result of Athena query %s from %s: %w", q.ID, q.stats.Output, err)
		}
		if header {
			header = false
			continue
		}
		vals := make([]*string, max(n, len(rec)))
		for i, v := range rec {
			if v != "" {
				s := v
				vals[i] = &s
			}
		}
		if err := row(vals); err != nil {
			return err
		}
	}
}

func explainS3(err error, profile string) string {
	msg := err.Error()
	if strings.Contains(msg, "AccessDenied") || strings.Contains(msg, "StatusCode: 403") {
		return fmt.Sprintf("access denied: %s needs s3:GetObject on the output location", who(profile))
	}
	return msg
}
