package fakeaws

import (
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/flowlens/flowlens/internal/sqlcheck"
)

// athenaState holds Athena's workgroups, the Glue catalogue's tables and the query
// executions. Guarded by Server.mu.
type athenaState struct {
	workgroups map[string]AthenaWorkGroup
	// tables by database, then table name (both lower case, as Glue keeps them)
	tables  map[string]map[string]*athenaTable
	queries map[string]*athenaQuery
	order   []string // query IDs in start order
	polls   int      // GetQueryExecution answers QUEUED, then RUNNING, this many times
	denied  map[string]bool
	seq     int64
}

func (st *athenaState) init() {
	st.workgroups = map[string]AthenaWorkGroup{"primary": {Name: "primary"}}
	st.tables = map[string]map[string]*athenaTable{}
	st.queries = map[string]*athenaQuery{}
	st.polls = 2
	st.denied = map[string]bool{}
}

// AthenaWorkGroup is a workgroup. Athena starts with "primary", which has no output
// location: a query then needs ResultConfiguration.OutputLocation.
type AthenaWorkGroup struct {
	Name string
	// OutputLocation is where the workgroup puts query results (s3://bucket/prefix/);
	// "" for none.
	OutputLocation string
	// Enforce makes the workgroup's settings override the client's, as
	// EnforceWorkGroupConfiguration does.
	Enforce bool
	// BytesScannedCutoff, when set, fails a query that scans more than this
	// (BytesScannedCutoffPerQuery).
	BytesScannedCutoff int64
}

// AddAthenaWorkGroup creates or replaces a workgroup.
func (s *Server) AddAthenaWorkGroup(wg AthenaWorkGroup) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.athena.workgroups[wg.Name] = wg
}

// AthenaTable is a table of the Glue Data Catalog as Athena sees it: its data columns
// and partition keys (Athena/Hive types: int, bigint, string, date, ...) and the rows
// it holds, each with the values of Columns then PartitionKeys, as JSON-like Go values
// (string, integers, nil for NULL). A query runs on DuckDB over exactly these rows.
//
// Instead of Rows, a table may read a prefix of the fake's S3 (Location): see
// AthenaS3Table and the CREATE EXTERNAL TABLE statements the fake accepts.
type AthenaTable struct {
	Database, Name string
	Columns        []sqlcheck.Column
	PartitionKeys  []sqlcheck.Column
	Rows           [][]any
	// Parameters are the table's properties (TBLPROPERTIES: partition projection,
	// skip.header.line.count, ...), as GetTableMetadata returns them.
	Parameters map[string]string
}

type athenaTable struct {
	AthenaTable
	created time.Time
	// s3 is set for a table over objects of the fake's S3 (LOCATION).
	s3 *s3Table
}

// AddAthenaTable creates or replaces a table (and its database).
func (s *Server) AddAthenaTable(t AthenaTable) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addAthenaTable(&athenaTable{AthenaTable: t})
}

// addAthenaTable stores a table. Callers hold s.mu.
func (s *Server) addAthenaTable(t *athenaTable) {
	db := strings.ToLower(t.Database)
	if s.athena.tables[db] == nil {
		s.athena.tables[db] = map[string]*athenaTable{}
	}
	t.Parameters = maps.Clone(t.Parameters)
	t.created = s.now()
	s.athena.tables[db][strings.ToLower(t.Name)] = t
}

// AddAthenaDatabase creates an empty database.
func (s *Server) AddAthenaDatabase(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if db := strings.ToLower(name); s.athena.tables[db] == nil {
		s.athena.tables[db] = map[string]*athenaTable{}
	}
}

// SetAthenaPolls sets how many GetQueryExecution calls see a query QUEUED (the first)
// or RUNNING before it ends (default 2). A query whose SQL the runner has not finished
// stays RUNNING longer.
func (s *Server) SetAthenaPolls(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.athena.polls = max(n, 0)
}

// DenyAthena takes a permission away from the caller: an Athena action
// ("athena:StartQueryExecution", "athena:GetQueryResults", ...), answered with
// AccessDeniedException naming it, or a Glue read Athena makes on the caller's behalf
// ("glue:GetTable", "glue:GetDatabase", "glue:GetPartitions"), which fails the query
// (or GetTableMetadata) with a reason naming it.
func (s *Server) DenyAthena(action string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.athena.denied[action] = true
}

// AthenaQuery is a query execution as a test reads it back.
type AthenaQuery struct {
	ID, SQL, Database, WorkGroup, OutputLocation string
	State, Reason                                string
	Scanned                                      int64
}

// AthenaQueries returns the query executions started, oldest first.
func (s *Server) AthenaQueries() []AthenaQuery {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]AthenaQuery, 0, len(s.athena.order))
	for _, id := range s.athena.order {
		q := s.athena.queries[id]
		out = append(out, AthenaQuery{ID: q.id, SQL: q.sql, Database: q.database, WorkGroup: q.workgroup,
			OutputLocation: q.output, State: q.state, Reason: q.reason, Scanned: q.scanned})
	}
	return out
}

// athenaQuery is one execution.
type athenaQuery struct {
	id, sql              string
	database, catalog    string
	workgroup, output    string
	state, reason        string
	submitted, completed time.Time
	polls                int
	scanned              int64
	engineMillis         int64
	// computed is closed when the SQL has been run (result or failure set).
	computed chan struct{}
	result   *sqlcheck.Result
	failure  string // the reason the engine gave, "" on success
	cutoff   int64
}

// tableNames lists a database's tables, sorted. Callers hold s.mu.
func (st *athenaState) tableNames(db string) []string {
	return slices.Sorted(maps.Keys(st.tables[strings.ToLower(db)]))
}
