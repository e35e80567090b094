package fakeaws

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// logsTargetPrefix is the service name CloudWatch Logs puts in front of the
// operation in X-Amz-Target.
const logsTargetPrefix = "Logs_20140328."

// logsHandler answers one CloudWatch Logs operation. It runs with s.mu held.
type logsHandler func(s *Server, body []byte) (any, *apiError)

var logsHandlers = map[string]logsHandler{
	"DescribeLogGroups":  (*Server).describeLogGroups,
	"DescribeLogStreams": (*Server).describeLogStreams,
	"FilterLogEvents":    (*Server).filterLogEvents,
	"GetLogEvents":       (*Server).getLogEvents,
	"StartQuery":         (*Server).startQuery,
	"GetQueryResults":    (*Server).getQueryResults,
	"StopQuery":          (*Server).stopQuery,
}

func (s *Server) serveLogs(w http.ResponseWriter, r *http.Request, target string, body []byte) {
	op, known := strings.CutPrefix(target, logsTargetPrefix)
	params := map[string]any{}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	decodeErr := dec.Decode(&params)

	s.mu.Lock()
	seq := s.recordCall(Call{Service: "logs", Op: op, Params: params, Region: credentialRegion(r)})
	reqID := s.nextRequestID()
	var aerr *apiError
	handler, ok := logsHandlers[op]
	switch {
	case !known || (!ok && op != "StartLiveTail"):
		aerr = &apiError{Code: "UnknownOperationException", Message: "fakeaws: unknown operation " + target, Status: 400}
	case decodeErr != nil:
		aerr = &apiError{Code: "SerializationException", Message: "fakeaws: request body is not a JSON object", Status: 400}
	default:
		if code, failed := s.takeFault(op); failed {
			aerr = injectedLogsError(op, code)
		}
	}
	s.mu.Unlock()

	if aerr != nil {
		s.finishCall(seq, aerr.Code)
		writeLogsError(w, reqID, aerr)
		return
	}
	if op == "StartLiveTail" {
		s.startLiveTail(w, r, body, seq, reqID)
		return
	}

	s.mu.Lock()
	out, aerr := handler(s, body)
	s.mu.Unlock()
	if aerr != nil {
		s.finishCall(seq, aerr.Code)
		writeLogsError(w, reqID, aerr)
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

// writeLogsError writes an awsJson error: the code in __type, the text in
// message, and the status AWS uses.
func writeLogsError(w http.ResponseWriter, reqID string, e *apiError) {
	payload, _ := json.Marshal(map[string]string{"__type": e.Code, "message": e.Message})
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("x-amzn-RequestId", reqID)
	w.WriteHeader(e.Status)
	_, _ = w.Write(payload)
}

func decodeInput(body []byte, v any) *apiError {
	if err := json.Unmarshal(body, v); err != nil {
		return &apiError{Code: "SerializationException", Message: "fakeaws: " + err.Error(), Status: 400}
	}
	return nil
}

func checkLimit(limit *int, hi int) *apiError {
	if limit != nil && (*limit < 1 || *limit > hi) {
		return invalidParameter(fmt.Sprintf("1 validation error detected: Value '%d' at 'limit' failed to satisfy constraint: Member must have value between 1 and %d", *limit, hi))
	}
	return nil
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// --- DescribeLogGroups ---

type describeLogGroupsInput struct {
	LogGroupNamePrefix  *string  `json:"logGroupNamePrefix"`
	LogGroupNamePattern *string  `json:"logGroupNamePattern"`
	LogGroupIdentifiers []string `json:"logGroupIdentifiers"`
	NextToken           *string  `json:"nextToken"`
	Limit               *int     `json:"limit"`
}

type logGroupOutput struct {
	LogGroupName      string `json:"logGroupName"`
	CreationTime      int64  `json:"creationTime"`
	MetricFilterCount int    `json:"metricFilterCount"`
	// Arn ends in ":*" (it names the group's streams); LogGroupArn does not.
	Arn           string `json:"arn"`
	LogGroupArn   string `json:"logGroupArn"`
	StoredBytes   int64  `json:"storedBytes"`
	LogGroupClass string `json:"logGroupClass"`
}

type describeLogGroupsOutput struct {
	LogGroups []logGroupOutput `json:"logGroups"`
	NextToken *string          `json:"nextToken,omitempty"`
}

func (s *Server) describeLogGroups(body []byte) (any, *apiError) {
	var in describeLogGroupsInput
	if err := decodeInput(body, &in); err != nil {
		return nil, err
	}
	if err := checkLimit(in.Limit, 50); err != nil {
		return nil, err
	}
	if in.LogGroupNamePrefix != nil && in.LogGroupNamePattern != nil {
		return nil, invalidParameter("LogGroupNamePrefix and LogGroupNamePattern are mutually exclusive.")
	}
	if in.LogGroupIdentifiers != nil && (in.LogGroupNamePrefix != nil || in.LogGroupNamePattern != nil) {
		return nil, invalidParameter("LogGroupIdentifiers cannot be combined with LogGroupNamePrefix or LogGroupNamePattern.")
	}
	var match []*logGroup
	for _, g := range s.sortedGroups() {
		switch {
		case in.LogGroupNamePrefix != nil && !strings.HasPrefix(g.name, *in.LogGroupNamePrefix):
			continue
		case in.LogGroupNamePattern != nil && !strings.Contains(g.name, *in.LogGroupNamePattern):
			continue
		case in.LogGroupIdentifiers != nil && !slices.Contains(in.LogGroupIdentifiers, g.name) && !slices.Contains(in.LogGroupIdentifiers, LogGroupARN(g.name)):
			continue
		}
		match = append(match, g)
	}
	page, next, err := s.listPage("DescribeLogGroups", len(match), in.NextToken, in.Limit, 50)
	if err != nil {
		return nil, err
	}
	out := describeLogGroupsOutput{LogGroups: []logGroupOutput{}, NextToken: next}
	for _, g := range match[page.lo:page.hi] {
		out.LogGroups = append(out.LogGroups, logGroupOutput{
			LogGroupName:  g.name,
			CreationTime:  g.created,
			Arn:           LogGroupARN(g.name) + ":*",
			LogGroupArn:   LogGroupARN(g.name),
			LogGroupClass: "STANDARD",
			StoredBytes:   g.storedBytes(),
		})
	}
	return out, nil
}

type span struct{ lo, hi int }

// listPage cuts a list of n items into the page a request asks for. Callers
// hold s.mu.
func (s *Server) listPage(op string, n int, token *string, limit *int, def int) (span, *string, *apiError) {
	lo := 0
	if token != nil {
		t, err := decodeToken(op, *token)
		if err != nil {
			return span{}, nil, err
		}
		lo = min(t.Offset, n)
	}
	hi := min(n, lo+s.pageLimit(deref(limit), def))
	var next *string
	if hi < n {
		tok := s.newToken(pageToken{Op: op, Offset: hi})
		next = &tok
	}
	return span{lo, hi}, next, nil
}

// --- DescribeLogStreams ---

type describeLogStreamsInput struct {
	LogGroupName        *string `json:"logGroupName"`
	LogGroupIdentifier  *string `json:"logGroupIdentifier"`
	LogStreamNamePrefix *string `json:"logStreamNamePrefix"`
	OrderBy             *string `json:"orderBy"`
	Descending          *bool   `json:"descending"`
	NextToken           *string `json:"nextToken"`
	Limit               *int    `json:"limit"`
}

type logStreamOutput struct {
	LogStreamName       string `json:"logStreamName"`
	CreationTime        int64  `json:"creationTime"`
	FirstEventTimestamp *int64 `json:"firstEventTimestamp,omitempty"`
	LastEventTimestamp  *int64 `json:"lastEventTimestamp,omitempty"`
	LastIngestionTime   *int64 `json:"lastIngestionTime,omitempty"`
	Arn                 string `json:"arn"`
	StoredBytes         int64  `json:"storedBytes"`
}

type describeLogStreamsOutput struct {
	LogStreams []logStreamOutput `json:"logStreams"`
	NextToken  *string           `json:"nextToken,omitempty"`
}

func (s *Server) describeLogStreams(body []byte) (any, *apiError) {
	var in describeLogStreamsInput
	if err := decodeInput(body, &in); err != nil {
		return nil, err
	}
	if err := checkLimit(in.Limit, 50); err != nil {
		return nil, err
	}
	orderBy := deref(in.OrderBy)
	switch orderBy {
	case "", "LogStreamName":
	case "LastEventTime":
		if in.LogStreamNamePrefix != nil {
			return nil, invalidParameter("Cannot order by LastEventTime with a logStreamNamePrefix.")
		}
	default:
		return nil, invalidParameter(fmt.Sprintf("1 validation error detected: Value '%s' at 'orderBy' failed to satisfy constraint: Member must satisfy enum value set: [LastEventTime, LogStreamName]", orderBy))
	}
	g, err := s.resolveGroup(in.LogGroupName, in.LogGroupIdentifier)
	if err != nil {
		return nil, err
	}
	var streams []*logStream
	for _, st := range g.sortedStreams() {
		if in.LogStreamNamePrefix == nil || strings.HasPrefix(st.name, *in.LogStreamNamePrefix) {
			streams = append(streams, st)
		}
	}
	if orderBy == "LastEventTime" {
		slices.SortStableFunc(streams, func(a, b *logStream) int {
			_, la, _ := a.firstLast()
			_, lb, _ := b.firstLast()
			switch {
			case la < lb:
				return -1
			case la > lb:
				return 1
			}
			return 0
		})
	}
	if deref(in.Descending) {
		slices.Reverse(streams)
	}
	page, next, err := s.listPage("DescribeLogStreams", len(streams), in.NextToken, in.Limit, 50)
	if err != nil {
		return nil, err
	}
	out := describeLogStreamsOutput{LogStreams: []logStreamOutput{}, NextToken: next}
	for _, st := range streams[page.lo:page.hi] {
		o := logStreamOutput{
			LogStreamName: st.name,
			CreationTime:  st.created,
			Arn:           fmt.Sprintf("%s:log-stream:%s", LogGroupARN(g.name), st.name),
		}
		if first, last, ok := st.firstLast(); ok {
			o.FirstEventTimestamp, o.LastEventTimestamp = &first, &last
			ingest := st.lastIngest
			o.LastIngestionTime = &ingest
		}
		out.LogStreams = append(out.LogStreams, o)
	}
	return out, nil
}
