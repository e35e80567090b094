package fakeaws

import (
	"fmt"
	"slices"
	"sort"
)

// insightsState holds Logs Insights queries and their knobs. Guarded by Server.mu.
type insightsState struct {
	queries    map[string]*insightsRun
	seq        int64
	polls      int // GetQueryResults calls that answer Running before Complete
	concurrent int // AWS's quota of queries running at once per account
	maxRows    int // rows a query returns without a limit command
	endWith    string
}

func (q *insightsState) init() {
	q.queries = map[string]*insightsRun{}
	q.concurrent = 30
	q.maxRows = 10000
}

type insightsRun struct {
	id       string
	status   string
	final    string // the status the query ends with: Complete, or what InsightsEndWith set
	pollsFor int
	rows     [][]resultField
	matched  int
	scanned  int
	bytes    int
}

type resultField struct {
	Field string `json:"field"`
	Value string `json:"value"`
}

// InsightsPolls makes every query started from now on answer Running to its first n
// GetQueryResults calls (Scheduled to the very first, when n > 0) before Complete, as a
// query over a large group does; a client must poll, and may StopQuery meanwhile.
// Results are computed when the query starts, over the events stored then.
func (s *Server) InsightsPolls(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.logs.insights.polls = n
}

// InsightsConcurrencyLimit sets how many queries may be Scheduled or Running at once
// before StartQuery answers LimitExceededException (default 30, AWS's quota).
func (s *Server) InsightsConcurrencyLimit(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.logs.insights.concurrent = n
}

// InsightsMaxRows sets how many rows a query returns at most without a limit command
// (default 10,000, AWS's default).
func (s *Server) InsightsMaxRows(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.logs.insights.maxRows = n
}

// InsightsEndWith makes the queries started from now on end with this status instead
// of Complete: "Timeout" (AWS ends a query after 60 minutes of running), "Failed" or
// "Cancelled" (someone else stopped it). "" restores Complete.
func (s *Server) InsightsEndWith(status string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.logs.insights.endWith = status
}

// RunningQueries is the number of Insights queries Scheduled or Running.
func (s *Server) RunningQueries() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.runningQueries()
}

func (s *Server) runningQueries() int {
	n := 0
	for _, q := range s.logs.insights.queries {
		if q.status == "Scheduled" || q.status == "Running" {
			n++
		}
	}
	return n
}

// --- StartQuery ---

type startQueryInput struct {
	LogGroupName        *string  `json:"logGroupName"`
	LogGroupNames       []string `json:"logGroupNames"`
	LogGroupIdentifiers []string `json:"logGroupIdentifiers"`
	StartTime           *int64   `json:"startTime"`
	EndTime             *int64   `json:"endTime"`
	QueryString         *string  `json:"queryString"`
	Limit               *int     `json:"limit"`
	QueryLanguage       *string  `json:"queryLanguage"`
}

// startQuery runs a query over the events of its groups whose timestamps lie in
// [startTime, endTime], both in whole seconds and both inclusive (an event at
// endTime+0.999 s is in; AWS documents the times as seconds since the epoch).
func (s *Server) startQuery(body []byte) (any, *apiError) {
	var in startQueryInput
	if err := decodeInput(body, &in); err != nil {
		return nil, err
	}
	if in.QueryString == nil || in.StartTime == nil || in.EndTime == nil {
		return nil, invalidParameter("queryString, startTime and endTime are required.")
	}
	if *in.EndTime < *in.StartTime {
		return nil, invalidParameter("endTime must be greater than or equal to startTime.")
	}
	if lang := deref(in.QueryLanguage); lang != "" && lang != "CWLI" {
		return nil, invalidParameter("fakeaws: only the Logs Insights query language (CWLI) is implemented, not " + lang)
	}
	if err := checkLimit(in.Limit, 10000); err != nil {
		return nil, err
	}
	var names []string
	sources := 0
	if in.LogGroupName != nil {
		names = append(names, *in.LogGroupName)
		sources++
	}
	if in.LogGroupNames != nil {
		names = append(names, in.LogGroupNames...)
		sources++
	}
	if in.LogGroupIdentifiers != nil {
		for _, id := range in.LogGroupIdentifiers {
			name := id
			if len(id) > 4 && id[:4] == "arn:" {
				n, err := groupNameFromARN(id)
				if err != nil {
					return nil, err
				}
				name = n
			}
			names = append(names, name)
		}
		sources++
	}
	if sources != 1 {
		return nil, invalidParameter("Specify exactly one of logGroupName, logGroupNames and logGroupIdentifiers.")
	}
	if len(names) == 0 || len(names) > 50 {
		return nil, invalidParameter(fmt.Sprintf("A query takes 1 to 50 log groups, got %d.", len(names)))
	}
	q, perr := parseInsights(*in.QueryString)
	if perr != nil {
		return nil, &apiError{Code: "MalformedQueryException", Message: "Query is malformed: " + perr.Error(), Status: 400}
	}
	if s.runningQueries() >= s.logs.insights.concurrent {
		return nil, &apiError{Code: "LimitExceededException", Message: fmt.Sprintf("Account maximum query concurrency limit of [%d] reached.", s.logs.insights.concurrent), Status: 400}
	}
	lo, hi := *in.StartTime*1000, *in.EndTime*1000+999
	var events []*storedEvent
	for _, name := range names {
		g, ok := s.logs.groups[name]
		if !ok {
			return nil, resourceNotFound(fmt.Sprintf("Log group '%s' does not exist.", name))
		}
		for _, st := range g.sortedStreams() {
			for _, e := range st.events {
				if e.key.TS >= lo && e.key.TS <= hi {
					events = append(events, e)
				}
			}
		}
	}
	sort.SliceStable(events, func(i, j int) bool { return events[i].key.less(events[j].key) })
	maxRows := s.logs.insights.maxRows
	if in.Limit != nil {
		maxRows = *in.Limit
	}
	rows, matched := runInsights(q, events, maxRows)
	s.logs.insights.seq++
	run := &insightsRun{
		id:       fmt.Sprintf("00000000-0000-4000-a000-%012d", s.logs.insights.seq),
		status:   "Complete",
		final:    "Complete",
		pollsFor: s.logs.insights.polls,
		rows:     rows,
		matched:  matched,
		scanned:  len(events),
	}
	for _, e := range events {
		run.bytes += len(e.msg)
	}
	if e := s.logs.insights.endWith; e != "" {
		run.status, run.final = e, e
	}
	if run.pollsFor > 0 {
		run.status = "Scheduled"
	}
	s.logs.insights.queries[run.id] = run
	return map[string]string{"queryId": run.id}, nil
}

// --- GetQueryResults ---

type getQueryResultsInput struct {
	QueryID   *string `json:"queryId"`
	MaxItems  *int    `json:"maxItems"`
	NextToken *string `json:"nextToken"`
}

type queryStatistics struct {
	RecordsMatched float64 `json:"recordsMatched"`
	RecordsScanned float64 `json:"recordsScanned"`
	BytesScanned   float64 `json:"bytesScanned"`
	ResultCount    float64 `json:"resultCount"`
}

type getQueryResultsOutput struct {
	Results    [][]resultField `json:"results"`
	Statistics queryStatistics `json:"statistics"`
	Status     string          `json:"status"`
	NextToken  *string         `json:"nextToken,omitempty"`
}

func (s *Server) getQueryResults(body []byte) (any, *apiError) {
	var in getQueryResultsInput
	if err := decodeInput(body, &in); err != nil {
		return nil, err
	}
	run, ok := s.logs.insights.queries[deref(in.QueryID)]
	if !ok {
		return nil, resourceNotFound("The specified query does not exist.")
	}
	out := getQueryResultsOutput{Results: [][]resultField{}}
	switch run.status {
	case "Scheduled":
		run.status = "Running"
		run.pollsFor--
		out.Status = "Scheduled"
		if run.pollsFor == 0 {
			run.status = run.final
		}
		return out, nil
	case "Running":
		run.pollsFor--
		out.Status = "Running"
		if run.pollsFor <= 0 {
			run.status = run.final
		}
		out.Statistics = queryStatistics{RecordsScanned: float64(run.scanned) / 2, BytesScanned: float64(run.bytes) / 2}
		return out, nil
	case "Cancelled", "Timeout", "Failed":
		out.Status = run.status
		return out, nil
	}
	out.Status = run.status
	out.Statistics = queryStatistics{
		RecordsMatched: float64(run.matched),
		RecordsScanned: float64(run.scanned),
		BytesScanned:   float64(run.bytes),
		ResultCount:    float64(len(run.rows)),
	}
	page, next, err := s.listPage("GetQueryResults", len(run.rows), in.NextToken, in.MaxItems, len(run.rows)+1)
	if err != nil {
		return nil, err
	}
	out.Results = append(out.Results, slices.Clone(run.rows[page.lo:page.hi])...)
	for i, row := range out.Results {
		if row == nil {
			out.Results[i] = []resultField{}
		}
	}
	out.NextToken = next
	return out, nil
}

// --- StopQuery ---

func (s *Server) stopQuery(body []byte) (any, *apiError) {
	var in struct {
		QueryID *string `json:"queryId"`
	}
	if err := decodeInput(body, &in); err != nil {
		return nil, err
	}
	run, ok := s.logs.insights.queries[deref(in.QueryID)]
	if !ok {
		return nil, resourceNotFound("The specified query does not exist.")
	}
	if run.status != "Scheduled" && run.status != "Running" {
		return nil, invalidParameter(fmt.Sprintf("Query %s is not running; its status is %s.", run.id, run.status))
	}
	run.status = "Cancelled"
	run.rows = nil
	return map[string]bool{"success": true}, nil
}
