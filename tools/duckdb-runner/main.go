// Command duckdb-runner runs one SQL query written for Athena (Trino) on DuckDB, over
// tables given as JSON, and prints the result as JSON. flowlens's tests use it to check
// the SQL its compiler writes on a real SQL engine, and the fake Athena service uses it
// to answer queries from its stored records.
//
// It is a module of its own because DuckDB's driver needs cgo and large per-platform
// libraries, which the flowlens binary and its CI build (CGO_ENABLED=0) must not pull in.
//
// Input (stdin, or the file named by the first argument):
//
//	{"tables": [{"name": "vpc_flow_logs",
//	             "columns": [{"name": "srcaddr", "type": "string"}, {"name": "dstport", "type": "int"}],
//	             "rows": [["10.0.0.1", 22], ["-", null]]}],
//	 "sql": "SELECT ..."}
//
// Column types are Athena's (Hive DDL) names: tinyint, smallint, int, integer, bigint,
// double, float, boolean, string, varchar, date, timestamp. Row values are JSON
// strings, numbers, booleans or null.
//
// Output (stdout), every value a string or null as Athena's GetQueryResults gives them:
//
//	{"columns": [{"name": "srcaddr", "type": "VARCHAR"}], "rows": [["10.0.0.1"], [null]]}
//
// On an error it prints {"error": "..."} and exits with status 1. With "queries" (a
// list) instead of "sql", it runs each over the same tables and prints
// {"results": [{"columns": ..., "rows": ...}, {"error": "..."}, ...]}; an error in one
// query is that result's error, and the status is 0.
//
// Trino and DuckDB differ in a few functions flowlens's SQL uses; the runner maps them
// before running the query, and only these:
//
//   - contains('CIDR', TRY_CAST(x AS IPADDRESS)) (Trino's IP-address containment) becomes
//     trino_ip_contains('CIDR', x), a function the runner defines with Go's net/netip:
//     NULL when x is not an address (as TRY_CAST gives NULL), IPv4-mapped IPv6
//     addresses count as IPv4 (as Trino's IPADDRESS stores them).
//   - bitwise_and(a, b) becomes DuckDB's (a & b), through a macro.
//
// Everything else it passes through unchanged (lower, LIKE ... ESCAPE, strpos,
// coalesce, CAST(... AS varchar), nullif, count_if, count(DISTINCT ...), || and
// quoted identifiers mean the same in both).
package main

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/duckdb/duckdb-go/v2"
)

type input struct {
	Tables []table `json:"tables"`
	SQL    string  `json:"sql"`
	// Queries runs several queries over the same tables; the output then holds one
	// result per query in "results", each with its own "error".
	Queries []string `json:"queries"`
}

type table struct {
	Name    string   `json:"name"`
	Columns []column `json:"columns"`
	Rows    [][]any  `json:"rows"`
}

type column struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

type output struct {
	Columns []column    `json:"columns,omitempty"`
	Rows    [][]*string `json:"rows"`
	Error   string      `json:"error,omitempty"`
	Results []*output   `json:"results,omitempty"`
}

func main() {
	var src io.Reader = os.Stdin
	if len(os.Args) > 1 {
		f, err := os.Open(os.Args[1])
		if err != nil {
			fail(err)
		}
		defer f.Close()
		src = f
	}
	var in input
	dec := json.NewDecoder(src)
	dec.UseNumber()
	if err := dec.Decode(&in); err != nil {
		fail(fmt.Errorf("read input: %w", err))
	}
	out, err := run(context.Background(), in)
	if err != nil {
		fail(err)
	}
	enc := json.NewEncoder(os.Stdout)
	if err := enc.Encode(out); err != nil {
		fail(err)
	}
}

func fail(err error) {
	_ = json.NewEncoder(os.Stdout).Encode(output{Error: err.Error()})
	os.Exit(1)
}

var duckTypes = map[string]string{
	"tinyint": "TINYINT", "smallint": "SMALLINT", "int": "INTEGER", "integer": "INTEGER",
	"bigint": "BIGINT", "double": "DOUBLE", "float": "FLOAT", "real": "FLOAT", "boolean": "BOOLEAN",
	"string": "VARCHAR", "varchar": "VARCHAR", "date": "DATE", "timestamp": "TIMESTAMP",
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

func run(ctx context.Context, in input) (*output, error) {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return nil, err
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	if err := duckdb.RegisterScalarUDF(conn, "trino_ip_contains", ipContains{}); err != nil {
		return nil, fmt.Errorf("register trino_ip_contains: %w", err)
	}
	if _, err := conn.ExecContext(ctx, "CREATE MACRO bitwise_and(a, b) AS (a & b)"); err != nil {
		return nil, fmt.Errorf("define bitwise_and: %w", err)
	}
	for _, t := range in.Tables {
		if err := load(ctx, conn, t); err != nil {
			return nil, err
		}
	}
	if in.Queries != nil {
		all := &output{Results: []*output{}}
		for _, q := range in.Queries {
			out, err := query(ctx, conn, q)
			if err != nil {
				out = &output{Error: err.Error()}
			}
			all.Results = append(all.Results, out)
		}
		return all, nil
	}
	return query(ctx, conn, in.SQL)
}

func query(ctx context.Context, conn *sql.Conn, q string) (*output, error) {
	rows, err := conn.QueryContext(ctx, Translate(q))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	types, err := rows.ColumnTypes()
	if err != nil {
		return nil, err
	}
	out := &output{Rows: [][]*string{}}
	for _, ct := range types {
		out.Columns = append(out.Columns, column{Name: ct.Name(), Type: ct.DatabaseTypeName()})
	}
	for rows.Next() {
		vals := make([]any, len(types))
		ptrs := make([]any, len(types))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		row := make([]*string, len(vals))
		for i, v := range vals {
			row[i] = text(v)
		}
		out.Rows = append(out.Rows, row)
	}
	return out, rows.Err()
}

func load(ctx context.Context, conn *sql.Conn, t table) error {
	var cols, marks []string
	for _, c := range t.Columns {
		typ, ok := duckTypes[strings.ToLower(c.Type)]
		if !ok {
			return fmt.Errorf("table %s: unknown column type %q", t.Name, c.Type)
		}
		cols = append(cols, quoteIdent(c.Name)+" "+typ)
		marks = append(marks, "?")
	}
	if _, err := conn.ExecContext(ctx, "CREATE TABLE "+quoteIdent(t.Name)+" ("+strings.Join(cols, ", ")+")"); err != nil {
		return fmt.Errorf("create table %s: %w", t.Name, err)
	}
	stmt, err := conn.PrepareContext(ctx, "INSERT INTO "+quoteIdent(t.Name)+" VALUES ("+strings.Join(marks, ", ")+")")
	if err != nil {
		return err
	}
	defer stmt.Close()
	for i, r := range t.Rows {
		if len(r) != len(t.Columns) {
			return fmt.Errorf("table %s row %d: %d values for %d columns", t.Name, i+1, len(r), len(t.Columns))
		}
		args := make([]any, len(r))
		for j, v := range r {
			if n, ok := v.(json.Number); ok {
				if x, err := n.Int64(); err == nil {
					args[j] = x
				} else if f, err := n.Float64(); err == nil {
					args[j] = f
				}
				continue
			}
			args[j] = v
		}
		if _, err := stmt.ExecContext(ctx, args...); err != nil {
			return fmt.Errorf("table %s row %d: %w", t.Name, i+1, err)
		}
	}
	return nil
}

var (
	ipCast         = regexp.MustCompile(`(?i)TRY_CAST\(\s*([^()]+?)\s+AS\s+IPADDRESS\s*\)`)
	ipContainsCall = regexp.MustCompile(`(?i)\bcontains\(\s*('(?:[^']|'')*')\s*,`)
)

// Translate maps the Trino functions DuckDB spells differently (see the package
// comment).
func Translate(q string) string {
	q = ipCast.ReplaceAllString(q, "$1")
	return ipContainsCall.ReplaceAllString(q, "trino_ip_contains($1,")
}

func text(v any) *string {
	var s string
	switch v := v.(type) {
	case nil:
		return nil
	case string:
		s = v
	case []byte:
		s = string(v)
	case bool:
		s = strconv.FormatBool(v)
	case float64:
		s = strconv.FormatFloat(v, 'g', -1, 64)
	case float32:
		s = strconv.FormatFloat(float64(v), 'g', -1, 32)
	case time.Time:
		s = v.UTC().Format("2006-01-02 15:04:05.000")
	default:
		s = fmt.Sprint(v)
	}
	return &s
}

// ipContains is Trino's contains(network, address) for a CIDR and an address as text.
type ipContains struct{}

func (ipContains) Config() duckdb.ScalarFuncConfig {
	varchar, _ := duckdb.NewTypeInfo(duckdb.TYPE_VARCHAR)
	boolean, _ := duckdb.NewTypeInfo(duckdb.TYPE_BOOLEAN)
	return duckdb.ScalarFuncConfig{InputTypeInfos: []duckdb.TypeInfo{varchar, varchar}, ResultTypeInfo: boolean}
}

func (ipContains) Executor() duckdb.ScalarFuncExecutor {
	return duckdb.ScalarFuncExecutor{RowExecutor: func(values []driver.Value) (any, error) {
		cidr, _ := values[0].(string)
		addr, _ := values[1].(string)
		p, err := netip.ParsePrefix(cidr)
		if err != nil {
			return nil, fmt.Errorf("contains: bad network %q", cidr)
		}
		a, err := netip.ParseAddr(addr)
		if err != nil || a.Zone() != "" {
			return nil, nil // TRY_CAST of a non-address is NULL
		}
		a = a.Unmap()
		pa := p.Addr().Unmap()
		bits := p.Bits()
		if p.Addr().Is4In6() {
			bits -= 96
		}
		if a.BitLen() != pa.BitLen() || bits < 0 {
			return false, nil
		}
		return netip.PrefixFrom(pa, bits).Masked().Contains(a), nil
	}}
}
