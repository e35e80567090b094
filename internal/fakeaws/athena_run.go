package fakeaws

import (
	"context"
	"encoding/csv"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/flowlens/flowlens/internal/sqlcheck"
)

// sqlColumn is a column with its Athena type.
type sqlColumn = sqlcheck.Column

// queryTimeout bounds one query on the runner.
const queryTimeout = 2 * time.Minute

// prepareQuery does under s.mu what a query needs from the server's state (the
// database, the tables and their rows, the permissions) and returns the work to do
// without the lock: run the SQL on DuckDB and store the result and its CSV. Callers
// hold s.mu.
func (s *Server) prepareQuery(q *athenaQuery) func() {
	finish := func(failure string) func() {
		return func() {
			s.mu.Lock()
			defer s.mu.Unlock()
			q.failure = failure
			close(q.computed)
		}
	}
	if isDDL(q.sql) {
		return finish(s.runDDL(q))
	}
	db, ok := s.athena.tables[strings.ToLower(q.database)]
	if !ok {
		return finish(fmt.Sprintf("SCHEMA_NOT_FOUND: line 1:1: Schema '%s' does not exist", q.database))
	}
	for _, action := range []string{"glue:GetDatabase", "glue:GetTable", "glue:GetPartitions"} {
		if s.athena.denied[action] {
			return finish(fmt.Sprintf("Insufficient permissions to execute the query. User: %s is not authorized to perform: %s on resource: arn:aws:glue:%s:%s:table/%s/* because no identity-based policy allows the %s action",
				callerARN, action, Region, AccountID, q.database, action))
		}
	}
	var tables []sqlcheck.Table
	var scanned int64
	for _, name := range s.athena.tableNames(q.database) {
		t := db[name]
		rows := t.Rows
		if t.s3 != nil {
			var err error
			if rows, err = s.readS3Table(t); err != nil {
				return finish(err.Error())
			}
		}
		if tableNamed(q.sql, name) {
			scanned += textSize(rows)
		}
		tables = append(tables, sqlcheck.Table{Name: name, Columns: append(append([]sqlColumn{}, t.Columns...), t.PartitionKeys...), Rows: rows})
	}
	q.scanned = scanned
	return func() {
		start := time.Now()
		result, failure := runSQL(q.sql, q.database, tables)
		elapsed := time.Since(start).Milliseconds()
		s.mu.Lock()
		defer s.mu.Unlock()
		q.engineMillis = elapsed
		if failure == "" {
			failure = s.writeResultCSV(q, result)
		}
		q.result, q.failure = result, failure
		close(q.computed)
	}
}

// tableNamed reports whether the SQL names a table (quoted or not, maybe qualified),
// to bill only the tables a query reads.
func tableNamed(sql, table string) bool {
	re := regexp.MustCompile(`(?i)(^|[^A-Za-z0-9_])"?` + regexp.QuoteMeta(table) + `"?($|[^A-Za-z0-9_])`)
	return re.MatchString(sql)
}

// textSize is what a text table of the rows holds, in bytes: the fake's measure of
// DataScannedInBytes (partition pruning is not modelled: every row of a table the
// query names is billed).
func textSize(rows [][]any) int64 {
	var n int64
	for _, r := range rows {
		for _, v := range r {
			if v == nil {
				n += 2
				continue
			}
			n += int64(len(fmt.Sprint(v))) + 1
		}
	}
	return n
}

// runSQL runs one query on DuckDB over the tables and words a failure as Athena does.
func runSQL(sql, database string, tables []sqlcheck.Table) (*sqlcheck.Result, string) {
	runner, err := sqlcheck.Runner()
	if err != nil {
		return nil, "fakeaws: " + err.Error()
	}
	ctx, cancel := context.WithTimeout(context.Background(), queryTimeout)
	defer cancel()
	results, err := sqlcheck.Run(ctx, runner, tables, []string{unqualify(sql, database)})
	if err != nil {
		return nil, "fakeaws: " + err.Error()
	}
	if msg := results[0].Error; msg != "" {
		return nil, athenaFailure(msg, database)
	}
	return &results[0], ""
}

// unqualify drops the database before table names ("db"."t", db.t): the runner keeps
// every table of the query's database in one namespace.
func unqualify(sql, database string) string {
	re := regexp.MustCompile(`(?i)("` + regexp.QuoteMeta(database) + `"|\b` + regexp.QuoteMeta(database) + `)\s*\.\s*`)
	return re.ReplaceAllString(sql, "")
}

var (
	duckNoTable  = regexp.MustCompile(`Table with name (\S+?) does not exist`)
	duckNoColumn = regexp.MustCompile(`Referenced column "?([^"\s]+)"? not found`)
)

// athenaFailure words a DuckDB error the way Athena's StateChangeReason does: an error
// name, a position, the problem.
func athenaFailure(msg, database string) string {
	switch {
	case duckNoTable.MatchString(msg):
		return fmt.Sprintf("TABLE_NOT_FOUND: line 1:1: Table 'awsdatacatalog.%s.%s' does not exist", database, strings.Trim(duckNoTable.FindStringSubmatch(msg)[1], `"!`))
	case duckNoColumn.MatchString(msg):
		return fmt.Sprintf("COLUMN_NOT_FOUND: line 1:1: Column '%s' cannot be resolved", duckNoColumn.FindStringSubmatch(msg)[1])
	case strings.Contains(msg, "Parser Error") || strings.Contains(msg, "syntax error"):
		return "SYNTAX_ERROR: line 1:1: " + msg
	}
	return "GENERIC_INTERNAL_ERROR: " + msg
}

// writeResultCSV puts the result where Athena does, <output>/<id>.csv in S3: a header
// line, then the rows, every value quoted, NULL as an empty field. It returns why it
// could not, as Athena fails the query then. Callers hold s.mu.
func (s *Server) writeResultCSV(q *athenaQuery, res *sqlcheck.Result) string {
	bucketName, key, _ := strings.Cut(strings.TrimPrefix(resultKey(q), "s3://"), "/")
	b, ok := s.s3.buckets[bucketName]
	switch {
	case !ok:
		return fmt.Sprintf("Unable to verify/create output bucket %s", bucketName)
	case b.denied["s3:PutObject"]:
		return fmt.Sprintf("Access denied when writing output to url: %s . Please ensure you are allowed to access the S3 bucket. If you are encrypting query results with KMS key, please ensure you are allowed to access your KMS key", resultKey(q))
	}
	var buf strings.Builder
	if len(res.Columns) > 0 {
		names := make([]*string, len(res.Columns))
		for i := range res.Columns {
			names[i] = &res.Columns[i].Name
		}
		writeCSVRow(&buf, names)
	}
	for _, row := range res.Rows {
		writeCSVRow(&buf, row)
	}
	s.putObject(b, S3Object{Key: key, Data: []byte(buf.String())})
	return ""
}

func writeCSVRow(b *strings.Builder, row []*string) {
	for i, v := range row {
		if i > 0 {
			b.WriteByte(',')
		}
		if v != nil {
			b.WriteString(`"` + strings.ReplaceAll(*v, `"`, `""`) + `"`)
		}
	}
	b.WriteByte('\n')
}

// ReadAthenaCSV reads a result CSV as Athena writes it, for tests.
func ReadAthenaCSV(data []byte) ([][]string, error) {
	r := csv.NewReader(strings.NewReader(string(data)))
	r.FieldsPerRecord = -1
	return r.ReadAll()
}

// isDDL reports whether a statement defines rather than queries.
func isDDL(sql string) bool {
	s := strings.ToUpper(strings.TrimSpace(sql))
	for _, p := range []string{"CREATE ", "DROP ", "ALTER ", "MSCK "} {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}
