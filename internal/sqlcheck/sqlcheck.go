// Package sqlcheck runs SQL written for Athena on a real SQL engine, DuckDB, through the
// separate program tools/duckdb-runner (a module of its own, since DuckDB's driver needs
// cgo, which flowlens's build does not have). The tests of the SQL compiler use it, and
// so can a fake Athena service that answers queries from stored records.
package sqlcheck

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"

	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/pushdown"
)

// EnvRunner names the environment variable that holds the runner's path; without it
// the runner is looked up as duckdb-runner on PATH.
const EnvRunner = "FLOWLENS_DUCKDB_RUNNER"

// ErrNoRunner says the runner is not installed.
var ErrNoRunner = errors.New("sqlcheck: no DuckDB runner: build tools/duckdb-runner (CGO_ENABLED=1 go build) and set " + EnvRunner + " to its path, or put duckdb-runner on PATH")

// Runner returns the runner's path.
func Runner() (string, error) {
	if p := os.Getenv(EnvRunner); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("sqlcheck: %s=%s: %w", EnvRunner, p, err)
		}
		return p, nil
	}
	if p, err := exec.LookPath("duckdb-runner"); err == nil {
		return p, nil
	}
	return "", ErrNoRunner
}

// Column is a table column with its Athena (Hive DDL) type: int, bigint, string, ...
type Column struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// Table is a table to create before the queries run.
type Table struct {
	Name    string   `json:"name"`
	Columns []Column `json:"columns"`
	Rows    [][]any  `json:"rows"`
}

// Result is one query's answer, every value as text or nil for NULL, as Athena's
// GetQueryResults gives them.
type Result struct {
	Columns []Column    `json:"columns"`
	Rows    [][]*string `json:"rows"`
	Error   string      `json:"error,omitempty"`
}

// Run runs the queries over the tables in one DuckDB database. A query that fails has
// its Error set; err is for failures of the runner itself.
func Run(ctx context.Context, runner string, tables []Table, queries []string) ([]Result, error) {
	in, err := json.Marshal(struct {
		Tables  []Table  `json:"tables"`
		Queries []string `json:"queries"`
	}{tables, queries})
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, runner)
	cmd.Stdin = bytes.NewReader(in)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	var out struct {
		Results []Result `json:"results"`
		Error   string   `json:"error"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		return nil, fmt.Errorf("sqlcheck: runner: %v (%v) %s", err, runErr, stderr.String())
	}
	if out.Error != "" {
		return nil, fmt.Errorf("sqlcheck: runner: %s", out.Error)
	}
	if runErr != nil {
		return nil, fmt.Errorf("sqlcheck: runner: %v: %s", runErr, stderr.String())
	}
	return out.Results, nil
}

// Storage says how a table stores a missing value (`-`).
type Storage uint8

const (
	// Text is a text table (LazySimpleSerDe): `-` in a number column reads as NULL, in a
	// string column as the string "-".
	Text Storage = iota
	// Parquet stores a missing value as NULL in every column.
	Parquet
)

// TableOf writes records as the rows of a flow-logs table with the given columns (AWS's
// names and Athena types, pushdown.ColumnName and pushdown.SQLType), matching columns to
// fields by name, as a table whose DDL follows the log's format reads them. A column the
// record's format lacks is NULL (a text table reads a missing trailing field so).
// extra columns named in extra are appended with the values extra returns, for tests
// that need a row id.
func TableOf(name string, columns *model.Format, recs []model.Flow, storage Storage, extra func(i int) []any, extraCols ...Column) Table {
	t := Table{Name: name}
	for _, fld := range columns.Fields {
		t.Columns = append(t.Columns, Column{Name: pushdown.ColumnName(columns, fld), Type: pushdown.SQLType(fld)})
	}
	t.Columns = append(t.Columns, extraCols...)
	for i := range recs {
		r := &recs[i]
		rf := r.FormatOf()
		row := make([]any, 0, len(t.Columns))
		for _, fld := range columns.Fields {
			row = append(row, cell(r, rf, columns, fld, storage))
		}
		if extra != nil {
			row = append(row, extra(i)...)
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}

func cell(r *model.Flow, rf, columns *model.Format, fld model.Field, storage Storage) any {
	if !fld.Known() {
		// a custom column: the record's column of the same name
		c, ok := rf.Custom(columns.NameOf(fld))
		if !ok {
			return nil
		}
		fld = c
	} else if rf.Column(fld) < 0 {
		return nil
	}
	if !r.Has(fld) {
		if storage == Text && pushdown.SQLType(fld) == "string" {
			return "-"
		}
		return nil
	}
	if fld.Numeric() {
		v, _ := r.Uint(fld)
		return v
	}
	return r.Value(fld)
}
