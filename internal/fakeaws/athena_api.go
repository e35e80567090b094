package fakeaws

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// athenaTargetPrefix is the service name Athena puts in front of the operation in
// X-Amz-Target (awsJson1_1, like CloudWatch Logs).
const athenaTargetPrefix = "AmazonAthena."

// athenaHandler answers one Athena operation. It runs with s.mu held.
type athenaHandler func(s *Server, body []byte) (any, *athenaError)

var athenaHandlers = map[string]athenaHandler{
	"StartQueryExecution": (*Server).startQueryExecution,
	"GetQueryExecution":   (*Server).getQueryExecution,
	"GetQueryResults":     (*Server).getAthenaQueryResults,
	"StopQueryExecution":  (*Server).stopQueryExecution,
	"GetTableMetadata":    (*Server).getTableMetadata,
}

// athenaError is an Athena error answer: InvalidRequestException carries an
// AthenaErrorCode beside the message.
type athenaError struct {
	Code, Message, AthenaCode string
	Status                    int
}

func invalidRequest(format string, args ...any) *athenaError {
	return &athenaError{Code: "InvalidRequestException", Message: fmt.Sprintf(format, args...), Status: 400}
}

// accessDenied is IAM's refusal as an awsJson service words it.
func accessDenied(action, resource string) *athenaError {
	return &athenaError{Code: "AccessDeniedException", Status: 400,
		Message: fmt.Sprintf("User: %s is not authorized to perform: %s on resource: %s because no identity-based policy allows the %s action", callerARN, action, resource, action)}
}

// callerARN is who the fake says is calling.
const callerARN = "arn:aws:iam::" + AccountID + ":user/fakeaws"

func (s *Server) serveAthena(w http.ResponseWriter, r *http.Request, target string, body []byte) {
	op := strings.TrimPrefix(target, athenaTargetPrefix)
	params := map[string]any{}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	decodeErr := dec.Decode(&params)
	if op == "GetQueryExecution" {
		s.awaitQuery(params)
	}

	s.mu.Lock()
	seq := s.recordCall(Call{Service: "athena", Op: op, Params: params, Region: credentialRegion(r)})
	reqID := s.nextRequestID()
	var aerr *athenaError
	handler, ok := athenaHandlers[op]
	switch {
	case !ok:
		aerr = &athenaError{Code: "UnknownOperationException", Message: "fakeaws: unknown operation " + target, Status: 400}
	case decodeErr != nil:
		aerr = &athenaError{Code: "SerializationException", Message: "fakeaws: request body is not a JSON object", Status: 400}
	case s.athena.denied["athena:"+op]:
		aerr = accessDenied("athena:"+op, "arn:aws:athena:"+Region+":"+AccountID+":workgroup/"+workGroupOf(params))
	default:
		if code, failed := s.takeFault(op); failed {
			aerr = &athenaError{Code: code, Message: "fakeaws: injected " + code, Status: 400}
			if code == "InternalServerException" {
				aerr.Status = 500
			}
		}
	}
	var out any
	if aerr == nil {
		out, aerr = handler(s, body)
	}
	s.mu.Unlock()

	if aerr != nil {
		s.finishCall(seq, aerr.Code)
		doc := map[string]string{"__type": aerr.Code, "Message": aerr.Message}
		if aerr.AthenaCode != "" {
			doc["AthenaErrorCode"] = aerr.AthenaCode
		}
		payload, _ := json.Marshal(doc)
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.Header().Set("x-amzn-RequestId", reqID)
		w.WriteHeader(aerr.Status)
		_, _ = w.Write(payload)
		return
	}
	payload, err := json.Marshal(out)
	if err != nil {
		panic(fmt.Sprintf("fakeaws: encode %s: %v", op, err))
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("x-amzn-RequestId", reqID)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(payload)
}

func workGroupOf(params map[string]any) string {
	if wg, _ := params["WorkGroup"].(string); wg != "" {
		return wg
	}
	return "primary"
}

func decodeAthena(body []byte, v any) *athenaError {
	if err := json.Unmarshal(body, v); err != nil {
		return &athenaError{Code: "SerializationException", Message: "fakeaws: " + err.Error(), Status: 400}
	}
	return nil
}

// epoch writes a time as awsJson does: seconds since the epoch, with milliseconds.
func epoch(t time.Time) float64 { return float64(t.UnixMilli()) / 1000 }

// --- StartQueryExecution ---

type startQueryExecutionInput struct {
	QueryString           string
	ClientRequestToken    *string
	QueryExecutionContext *struct {
		Database *string
		Catalog  *string
	}
	ResultConfiguration *struct {
		OutputLocation *string
	}
	WorkGroup *string
}

func (s *Server) startQueryExecution(body []byte) (any, *athenaError) {
	var in startQueryExecutionInput
	if e := decodeAthena(body, &in); e != nil {
		return nil, e
	}
	if strings.TrimSpace(in.QueryString) == "" {
		return nil, invalidRequest("1 validation error detected: Value null at 'queryString' failed to satisfy constraint: Member must not be null")
	}
	if t := deref(in.ClientRequestToken); t != "" {
		if q, ok := s.athena.queries[t]; ok {
			return map[string]string{"QueryExecutionId": q.id}, nil // idempotent retry
		}
	}
	wgName := deref(in.WorkGroup)
	if wgName == "" {
		wgName = "primary"
	}
	wg, ok := s.athena.workgroups[wgName]
	if !ok {
		return nil, invalidRequest("WorkGroup %s is not found.", wgName)
	}
	output := ""
	if in.ResultConfiguration != nil {
		output = deref(in.ResultConfiguration.OutputLocation)
	}
	if wg.OutputLocation != "" && (wg.Enforce || output == "") {
		output = wg.OutputLocation
	}
	if output == "" {
		return nil, invalidRequest("No output location provided. An output location is required either through the Workgroup result configuration setting or as an API input.")
	}
	if !strings.HasPrefix(output, "s3://") {
		return nil, invalidRequest("outputLocation is not a valid S3 path. Provided %s", output)
	}
	q := &athenaQuery{sql: in.QueryString, workgroup: wgName, output: output, state: "QUEUED",
		submitted: s.now(), computed: make(chan struct{}), cutoff: wg.BytesScannedCutoff, catalog: "AwsDataCatalog"}
	if c := in.QueryExecutionContext; c != nil {
		q.database, q.catalog = deref(c.Database), firstNonEmpty(deref(c.Catalog), "AwsDataCatalog")
	}
	if q.database == "" {
		q.database = "default"
	}
	s.athena.seq++
	q.id = fmt.Sprintf("a0000000-0000-4000-8000-%012d", s.athena.seq)
	s.athena.queries[q.id] = q
	if t := deref(in.ClientRequestToken); t != "" {
		s.athena.queries[t] = q
	}
	s.athena.order = append(s.athena.order, q.id)
	job := s.prepareQuery(q)
	go job()
	return map[string]string{"QueryExecutionId": q.id}, nil
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

// --- GetQueryExecution ---

type queryIDInput struct {
	QueryExecutionId string
	NextToken        *string
	MaxResults       *int
}

func (s *Server) athenaQuery(id string) (*athenaQuery, *athenaError) {
	q, ok := s.athena.queries[id]
	if !ok || q.id != id {
		return nil, invalidRequest("QueryExecution %s was not found", id)
	}
	return q, nil
}

// awaitQuery makes the poll that is due to end a query wait until its SQL has run, so
// that a query ends after exactly the configured number of polls, however long DuckDB
// takes: tests can count the states they see.
func (s *Server) awaitQuery(params map[string]any) {
	id, _ := params["QueryExecutionId"].(string)
	s.mu.Lock()
	q, ok := s.athena.queries[id]
	due := ok && !isFinal(q.state) && q.polls+1 > s.athena.polls
	s.mu.Unlock()
	if due {
		select {
		case <-q.computed:
		case <-time.After(queryTimeout):
		case <-s.closing:
		}
	}
}

// advance moves a query along its lifecycle by one poll: QUEUED the first time, RUNNING
// for the configured number of polls and until its SQL has run, then its end. Callers
// hold s.mu.
func (s *Server) advance(q *athenaQuery) {
	if isFinal(q.state) {
		return
	}
	q.polls++
	switch {
	case q.polls == 1 && s.athena.polls > 0:
		q.state = "QUEUED"
		return
	case q.polls <= s.athena.polls:
		q.state = "RUNNING"
		return
	}
	select {
	case <-q.computed:
	default:
		q.state = "RUNNING"
		return
	}
	q.completed = s.now()
	switch {
	case q.failure != "":
		q.state, q.reason = "FAILED", q.failure
	case q.cutoff > 0 && q.scanned > q.cutoff:
		q.state, q.reason = "CANCELLED", "Bytes scanned limit was exceeded"
	default:
		q.state = "SUCCEEDED"
	}
}

func isFinal(state string) bool {
	return state == "SUCCEEDED" || state == "FAILED" || state == "CANCELLED"
}

func (s *Server) getQueryExecution(body []byte) (any, *athenaError) {
	var in queryIDInput
	if e := decodeAthena(body, &in); e != nil {
		return nil, e
	}
	q, e := s.athenaQuery(in.QueryExecutionId)
	if e != nil {
		return nil, e
	}
	s.advance(q)
	status := map[string]any{"State": q.state, "SubmissionDateTime": epoch(q.submitted)}
	if isFinal(q.state) {
		status["CompletionDateTime"] = epoch(q.completed)
	}
	if q.reason != "" {
		status["StateChangeReason"] = q.reason
	}
	if q.state == "FAILED" {
		status["AthenaError"] = map[string]any{"ErrorCategory": 2, "ErrorType": 1100, "Retryable": false, "ErrorMessage": q.reason}
	}
	stats := map[string]any{"QueryQueueTimeInMillis": 10}
	if isFinal(q.state) {
		stats["DataScannedInBytes"] = q.scanned
		stats["EngineExecutionTimeInMillis"] = q.engineMillis
		stats["TotalExecutionTimeInMillis"] = q.engineMillis + 10
	}
	statement := "DML"
	if isDDL(q.sql) {
		statement = "DDL"
	}
	return map[string]any{"QueryExecution": map[string]any{
		"QueryExecutionId":      q.id,
		"Query":                 q.sql,
		"StatementType":         statement,
		"ResultConfiguration":   map[string]any{"OutputLocation": resultKey(q)},
		"QueryExecutionContext": map[string]any{"Database": q.database, "Catalog": q.catalog},
		"Status":                status,
		"Statistics":            stats,
		"WorkGroup":             q.workgroup,
		"EngineVersion":         map[string]any{"SelectedEngineVersion": "AUTO", "EffectiveEngineVersion": "Athena engine version 3"},
	}}, nil
}

// resultKey is where a query's result CSV goes: <output location>/<id>.csv.
func resultKey(q *athenaQuery) string {
	return strings.TrimSuffix(q.output, "/") + "/" + q.id + ".csv"
}

// --- GetQueryResults ---

func (s *Server) getAthenaQueryResults(body []byte) (any, *athenaError) {
	var in queryIDInput
	if e := decodeAthena(body, &in); e != nil {
		return nil, e
	}
	q, e := s.athenaQuery(in.QueryExecutionId)
	if e != nil {
		return nil, e
	}
	switch q.state {
	case "SUCCEEDED":
	case "FAILED", "CANCELLED":
		return nil, invalidRequest("Query did not finish successfully. Final query state: %s", q.state)
	default:
		return nil, invalidRequest("Query has not yet finished. Current state: %s", q.state)
	}
	max := 1000
	if in.MaxResults != nil {
		if *in.MaxResults < 1 || *in.MaxResults > 1000 {
			return nil, invalidRequest("1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 1000", *in.MaxResults)
		}
		max = *in.MaxResults
	}
	// The rows are the header (for a query that returns columns), then the data.
	var rows [][]*string
	res := q.result
	if res != nil && len(res.Columns) > 0 && !isDDL(q.sql) {
		header := make([]*string, len(res.Columns))
		for i, c := range res.Columns {
			header[i] = &c.Name
		}
		rows = append(rows, header)
		rows = append(rows, res.Rows...)
	}
	from := 0
	if t := deref(in.NextToken); t != "" {
		raw, err := base64.RawURLEncoding.DecodeString(t)
		id, off, ok := strings.Cut(string(raw), "/")
		n, perr := strconv.Atoi(off)
		if err != nil || !ok || id != q.id || perr != nil || n < 0 || n > len(rows) {
			return nil, invalidRequest("Invalid NextToken")
		}
		from = n
	}
	to := min(from+max, len(rows))
	page := make([]map[string]any, 0, to-from)
	for _, row := range rows[from:to] {
		data := make([]map[string]string, len(row))
		for i, v := range row {
			data[i] = map[string]string{}
			if v != nil {
				data[i]["VarCharValue"] = *v
			}
		}
		page = append(page, map[string]any{"Data": data})
	}
	var cols []map[string]any
	if res != nil {
		for _, c := range res.Columns {
			cols = append(cols, map[string]any{"CatalogName": "hive", "SchemaName": "", "TableName": "", "Name": c.Name, "Label": c.Name,
				"Type": athenaType(c.Type), "Precision": 0, "Scale": 0, "Nullable": "UNKNOWN", "CaseSensitive": athenaType(c.Type) == "varchar"})
		}
	}
	out := map[string]any{"UpdateCount": 0, "ResultSet": map[string]any{"Rows": page, "ResultSetMetadata": map[string]any{"ColumnInfo": cols}}}
	if to < len(rows) {
		out["NextToken"] = base64.RawURLEncoding.EncodeToString([]byte(q.id + "/" + strconv.Itoa(to)))
	}
	return out, nil
}

// athenaType names a DuckDB result type as Athena's ColumnInfo does.
func athenaType(duck string) string {
	switch strings.ToUpper(duck) {
	case "BIGINT", "HUGEINT", "UBIGINT":
		return "bigint"
	case "INTEGER", "UINTEGER":
		return "integer"
	case "SMALLINT":
		return "smallint"
	case "TINYINT":
		return "tinyint"
	case "DOUBLE", "FLOAT", "DECIMAL":
		return "double"
	case "BOOLEAN":
		return "boolean"
	case "DATE":
		return "date"
	case "TIMESTAMP":
		return "timestamp"
	}
	return "varchar"
}

// --- StopQueryExecution ---

func (s *Server) stopQueryExecution(body []byte) (any, *athenaError) {
	var in queryIDInput
	if e := decodeAthena(body, &in); e != nil {
		return nil, e
	}
	q, e := s.athenaQuery(in.QueryExecutionId)
	if e != nil {
		return nil, e
	}
	if !isFinal(q.state) {
		q.state, q.reason, q.completed = "CANCELLED", "Query was cancelled by the user", s.now()
	}
	return map[string]any{}, nil
}

// --- GetTableMetadata ---

type getTableMetadataInput struct {
	CatalogName, DatabaseName, TableName string
	WorkGroup                            *string
}

func (s *Server) getTableMetadata(body []byte) (any, *athenaError) {
	var in getTableMetadataInput
	if e := decodeAthena(body, &in); e != nil {
		return nil, e
	}
	if s.athena.denied["glue:GetTable"] {
		return nil, &athenaError{Code: "MetadataException", Status: 400,
			Message: fmt.Sprintf("User: %s is not authorized to perform: glue:GetTable on resource: arn:aws:glue:%s:%s:table/%s/%s", callerARN, Region, AccountID, in.DatabaseName, in.TableName)}
	}
	db, ok := s.athena.tables[strings.ToLower(in.DatabaseName)]
	if !ok {
		return nil, &athenaError{Code: "MetadataException", Status: 400, Message: fmt.Sprintf("Database %s not found.", in.DatabaseName)}
	}
	t, ok := db[strings.ToLower(in.TableName)]
	if !ok {
		return nil, &athenaError{Code: "MetadataException", Status: 400, Message: fmt.Sprintf("Table %s not found in database %s.", in.TableName, in.DatabaseName)}
	}
	cols := func(cs []sqlColumn) []map[string]string {
		out := []map[string]string{}
		for _, c := range cs {
			out = append(out, map[string]string{"Name": c.Name, "Type": c.Type})
		}
		return out
	}
	return map[string]any{"TableMetadata": map[string]any{
		"Name": strings.ToLower(t.Name), "CreateTime": epoch(t.created), "TableType": "EXTERNAL_TABLE",
		"Columns": cols(t.Columns), "PartitionKeys": cols(t.PartitionKeys), "Parameters": t.Parameters,
	}}, nil
}
