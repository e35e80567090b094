package fakeaws

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/flowlens/flowlens/internal/sqlcheck"
	"github.com/flowlens/flowlens/source/parquetlog"
)

// s3Table is a table over objects of the fake's S3, as Athena reads an external table:
// the objects under its LOCATION, text split on single spaces and mapped to columns by
// position (LazySimpleSerDe) or Parquet mapped by column name, the partition values
// taken from each object's key by the table's storage.location.template (partition
// projection) or by Hive's key=value folders.
type s3Table struct {
	location   string // s3://bucket/prefix/
	parquet    bool
	skipHeader int
}

// AthenaS3Table is a table over a prefix of the fake's S3.
type AthenaS3Table struct {
	Database, Name string
	Columns        []sqlcheck.Column
	PartitionKeys  []sqlcheck.Column
	Location       string // s3://bucket/prefix/
	Parquet        bool
	// Parameters: skip.header.line.count, projection.*, storage.location.template.
	Parameters map[string]string
}

// AddAthenaS3Table creates or replaces a table whose rows are read from S3 at each
// query.
func (s *Server) AddAthenaS3Table(t AthenaS3Table) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addS3Table(t)
}

func (s *Server) addS3Table(t AthenaS3Table) {
	skip, _ := strconv.Atoi(t.Parameters["skip.header.line.count"])
	s.addAthenaTable(&athenaTable{
		AthenaTable: AthenaTable{Database: t.Database, Name: t.Name, Columns: t.Columns, PartitionKeys: t.PartitionKeys, Parameters: t.Parameters},
		s3:          &s3Table{location: t.Location, parquet: t.Parquet, skipHeader: skip},
	})
}

// readS3Table builds the rows of a table over S3 from the objects there now. Callers
// hold s.mu.
func (s *Server) readS3Table(t *athenaTable) ([][]any, error) {
	bucketName, prefix, _ := strings.Cut(strings.TrimPrefix(t.s3.location, "s3://"), "/")
	b, ok := s.s3.buckets[bucketName]
	if !ok {
		return nil, fmt.Errorf("HIVE_PATH_ALREADY_EXISTS: fakeaws: the table's location %s is in a bucket that does not exist", t.s3.location)
	}
	if b.denied["s3:GetObject"] || b.denied["s3:ListBucket"] {
		return nil, errors.New("Permission denied on S3 path: " + t.s3.location) // Athena's own wording
	}
	match, err := partitionMatcher(t)
	if err != nil {
		return nil, err
	}
	var rows [][]any
	for _, key := range b.keys() {
		if !strings.HasPrefix(key, prefix) || strings.HasSuffix(key, "/") {
			continue
		}
		parts, ok := match("s3://" + bucketName + "/" + key)
		if !ok {
			continue
		}
		data := b.objects[key].data
		var objRows [][]any
		if t.s3.parquet {
			objRows, err = parquetRows(data, t.Columns)
		} else {
			objRows, err = textRows(data, t.Columns, t.s3.skipHeader)
		}
		if err != nil {
			return nil, fmt.Errorf("HIVE_CURSOR_ERROR: %s/%s: %v", bucketName, key, err)
		}
		for _, r := range objRows {
			rows = append(rows, append(r, parts...))
		}
	}
	return rows, nil
}

// textRows reads a text object (gzip or plain) as LazySimpleSerDe with fields
// terminated by a space: the i-th field is the i-th column, a field that is not a
// number in a number column is NULL, missing fields are NULL.
func textRows(data []byte, cols []sqlColumn, skip int) ([][]any, error) {
	var r io.Reader = bytes.NewReader(data)
	if len(data) > 2 && data[0] == 0x1f && data[1] == 0x8b {
		zr, err := gzip.NewReader(r)
		if err != nil {
			return nil, err
		}
		r = zr
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	var rows [][]any
	for n := 0; sc.Scan(); n++ {
		if n < skip {
			continue
		}
		fields := strings.Split(sc.Text(), " ")
		row := make([]any, len(cols))
		for i, c := range cols {
			if i >= len(fields) {
				continue
			}
			row[i] = typed(fields[i], c.Type, false)
		}
		rows = append(rows, row)
	}
	return rows, sc.Err()
}

// parquetRows reads a Parquet object, mapping its columns to the table's by name.
func parquetRows(data []byte, cols []sqlColumn) ([][]any, error) {
	rd, err := parquetlog.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, err
	}
	defer rd.Close()
	text, err := io.ReadAll(rd)
	if err != nil {
		return nil, err
	}
	lines := strings.Split(strings.TrimSpace(string(text)), "\n")
	if len(lines) == 0 {
		return nil, nil
	}
	index := make([]int, len(cols)) // the file's column of each table column, -1 for none
	names := rd.Format().Names      // the first line names them too, as ${name}
	for i, c := range cols {
		index[i] = slices.Index(names, strings.ReplaceAll(c.Name, "_", "-"))
	}
	var rows [][]any
	for _, line := range lines[1:] {
		fields := strings.Fields(line)
		row := make([]any, len(cols))
		for i, c := range cols {
			if j := index[i]; j >= 0 && j < len(fields) {
				row[i] = typed(fields[j], c.Type, true)
			}
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// typed converts a field to its column's type: a text table reads `-` as the string
// "-" in a string column and as NULL in a number column; Parquet has NULL in both.
func typed(v, typ string, parquet bool) any {
	switch strings.ToLower(typ) {
	case "int", "integer", "bigint", "smallint", "tinyint":
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil
		}
		return n
	}
	if parquet && v == "-" {
		return nil
	}
	return v
}

// partitionMatcher returns what reads the partition values from an object's location:
// with partition projection, the storage.location.template with each ${key} replaced
// by the shape of its projection (a date in its format, an integer, an enum value, any
// injected value); without one, Hive's key=value folders. An object whose location does
// not fit, or whose values the projection does not enumerate, is not in the table.
func partitionMatcher(t *athenaTable) (func(loc string) ([]any, bool), error) {
	keys := t.PartitionKeys
	if len(keys) == 0 {
		return func(string) ([]any, bool) { return nil, true }, nil
	}
	p := t.Parameters
	template := p["storage.location.template"]
	if p["projection.enabled"] != "true" || template == "" {
		// Hive-style: key=value folders anywhere in the key.
		return func(loc string) ([]any, bool) {
			vals := make([]any, len(keys))
			for i, k := range keys {
				m := regexp.MustCompile(`/` + regexp.QuoteMeta(k.Name) + `=([^/]+)/`).FindStringSubmatch(loc)
				if m == nil {
					return nil, false
				}
				vals[i] = typed(m[1], k.Type, false)
			}
			return vals, true
		}, nil
	}
	var re strings.Builder
	re.WriteString("^")
	rest := template
	var order []string
	for {
		i := strings.Index(rest, "${")
		if i < 0 {
			re.WriteString(regexp.QuoteMeta(rest))
			break
		}
		re.WriteString(regexp.QuoteMeta(rest[:i]))
		j := strings.Index(rest[i:], "}")
		if j < 0 {
			return nil, fmt.Errorf("HIVE_INVALID_METADATA: bad storage.location.template %q", template)
		}
		name := rest[i+2 : i+j]
		order = append(order, name)
		re.WriteString("(" + projectionShape(p, name) + ")")
		rest = rest[i+j+1:]
	}
	re.WriteString("/?")
	compiled, err := regexp.Compile(re.String())
	if err != nil {
		return nil, fmt.Errorf("HIVE_INVALID_METADATA: storage.location.template %q: %v", template, err)
	}
	return func(loc string) ([]any, bool) {
		m := compiled.FindStringSubmatch(loc)
		if m == nil {
			return nil, false
		}
		vals := make([]any, len(keys))
		for i, k := range keys {
			j := slices.Index(order, k.Name)
			if j < 0 {
				return nil, false
			}
			v := m[j+1]
			if vs := p["projection."+k.Name+".values"]; p["projection."+k.Name+".type"] == "enum" && !slices.Contains(strings.Split(vs, ","), v) {
				return nil, false
			}
			vals[i] = typed(v, k.Type, false)
		}
		return vals, true
	}, nil
}

// projectionShape is the regular expression a projected partition value matches.
func projectionShape(p map[string]string, name string) string {
	switch p["projection."+name+".type"] {
	case "date":
		return datePatternRegexp(p["projection."+name+".format"])
	case "integer":
		return `\d+`
	case "enum":
		var alts []string
		for _, v := range strings.Split(p["projection."+name+".values"], ",") {
			alts = append(alts, regexp.QuoteMeta(strings.TrimSpace(v)))
		}
		return strings.Join(alts, "|")
	}
	return `[^/]+`
}

// --- CREATE EXTERNAL TABLE ---

var (
	ddlTable      = regexp.MustCompile("(?is)^\\s*CREATE\\s+EXTERNAL\\s+TABLE\\s+(?:IF\\s+NOT\\s+EXISTS\\s+)?([`\"\\w.]+)\\s*\\(")
	ddlPartitions = regexp.MustCompile(`(?is)\)\s*PARTITIONED\s+BY\s*\(`)
	ddlLocation   = regexp.MustCompile(`(?is)LOCATION\s+'([^']*)'`)
	ddlProps      = regexp.MustCompile(`(?is)TBLPROPERTIES\s*\((.*)\)\s*;?\s*$`)
	ddlProp       = regexp.MustCompile(`(?s)"([^"]+)"\s*=\s*"([^"]*)"|'([^']+)'\s*=\s*'([^']*)'`)
	ddlColumn     = regexp.MustCompile("^\\s*[`\"]?([A-Za-z0-9_-]+)[`\"]?\\s+([A-Za-z]+)")
)

// runDDL executes the DDL statements the fake understands: CREATE EXTERNAL TABLE over
// S3 (text with fields terminated by a space, or Parquet), with partition keys, a
// LOCATION and TBLPROPERTIES; anything else fails as an unsupported statement. It
// returns the failure, "" on success. Callers hold s.mu.
func (s *Server) runDDL(q *athenaQuery) string {
	sql := q.sql
	m := ddlTable.FindStringSubmatchIndex(sql)
	if m == nil {
		return "NOT_SUPPORTED: fakeaws: only CREATE EXTERNAL TABLE is served"
	}
	name := strings.Trim(sql[m[2]:m[3]], "`\"")
	database := q.database
	if db, t, ok := strings.Cut(name, "."); ok {
		database, name = strings.Trim(db, "`\""), strings.Trim(t, "`\"")
	}
	cols, rest, err := ddlColumns(sql[m[1]:])
	if err != nil {
		return "SYNTAX_ERROR: line 1:1: " + err.Error()
	}
	var parts []sqlColumn
	if pm := ddlPartitions.FindStringIndex(rest); pm != nil && pm[0] < 3 {
		if parts, rest, err = ddlColumns(rest[pm[1]:]); err != nil {
			return "SYNTAX_ERROR: line 1:1: " + err.Error()
		}
	}
	loc := ddlLocation.FindStringSubmatch(rest)
	if loc == nil {
		return "SYNTAX_ERROR: line 1:1: fakeaws: an external table needs a LOCATION"
	}
	props := map[string]string{}
	if pm := ddlProps.FindStringSubmatch(rest); pm != nil {
		for _, kv := range ddlProp.FindAllStringSubmatch(pm[1], -1) {
			if kv[1] != "" {
				props[kv[1]] = kv[2]
			} else {
				props[kv[3]] = kv[4]
			}
		}
	}
	if _, ok := s.athena.tables[strings.ToLower(database)]; !ok {
		return fmt.Sprintf("SCHEMA_NOT_FOUND: line 1:1: Schema '%s' does not exist", database)
	}
	for _, p := range parts {
		if slices.ContainsFunc(cols, func(c sqlColumn) bool { return c.Name == p.Name }) {
			return fmt.Sprintf("FAILED: SemanticException [Error 10035]: Column repeated in partitioning columns: %s", p.Name)
		}
	}
	s.addS3Table(AthenaS3Table{Database: database, Name: name, Columns: cols, PartitionKeys: parts, Location: loc[1],
		Parquet: strings.Contains(strings.ToLower(rest), "parquet"), Parameters: props})
	return ""
}

// ddlColumns reads a parenthesised column list (after its opening parenthesis) and
// returns the columns and what follows the closing one.
func ddlColumns(s string) ([]sqlColumn, string, error) {
	end := strings.Index(s, ")")
	if end < 0 {
		return nil, "", fmt.Errorf("fakeaws: unclosed column list")
	}
	var cols []sqlColumn
	for _, def := range strings.Split(s[:end], ",") {
		if strings.TrimSpace(def) == "" {
			continue
		}
		m := ddlColumn.FindStringSubmatch(def)
		if m == nil {
			return nil, "", fmt.Errorf("fakeaws: cannot read the column %q", strings.TrimSpace(def))
		}
		cols = append(cols, sqlColumn{Name: strings.ToLower(m[1]), Type: strings.ToLower(m[2])})
	}
	return cols, s[end:], nil
}

// datePatternRegexp is the regular expression of the values a Java date pattern
// (SimpleDateFormat: yyyy, MM, dd, HH, mm, and 'quoted' literal text) makes.
func datePatternRegexp(java string) string {
	var b strings.Builder
	for i := 0; i < len(java); {
		switch {
		case java[i] == '\'':
			j := strings.IndexByte(java[i+1:], '\'')
			if j < 0 {
				j = len(java) - i - 1
			}
			b.WriteString(regexp.QuoteMeta(java[i+1 : i+1+j]))
			i += j + 2
		case strings.HasPrefix(java[i:], "yyyy"):
			b.WriteString(`\d{4}`)
			i += 4
		case strings.HasPrefix(java[i:], "MM"), strings.HasPrefix(java[i:], "dd"), strings.HasPrefix(java[i:], "HH"), strings.HasPrefix(java[i:], "mm"):
			b.WriteString(`\d{2}`)
			i += 2
		default:
			b.WriteString(regexp.QuoteMeta(java[i : i+1]))
			i++
		}
	}
	return b.String()
}
