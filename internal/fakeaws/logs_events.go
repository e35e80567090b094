package fakeaws

import (
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"
)

// descendingSince is 2024-01-01T00:00:00Z in milliseconds: AWS refuses
// startFromHead=false for a FilterLogEvents search that starts earlier.
const descendingSince = 1704067200000

// --- FilterLogEvents ---

type filterLogEventsInput struct {
	LogGroupName        *string  `json:"logGroupName"`
	LogGroupIdentifier  *string  `json:"logGroupIdentifier"`
	LogStreamNames      []string `json:"logStreamNames"`
	LogStreamNamePrefix *string  `json:"logStreamNamePrefix"`
	StartTime           *int64   `json:"startTime"`
	EndTime             *int64   `json:"endTime"`
	FilterPattern       *string  `json:"filterPattern"`
	NextToken           *string  `json:"nextToken"`
	Limit               *int     `json:"limit"`
	StartFromHead       *bool    `json:"startFromHead"`
}

type filteredEventOutput struct {
	LogStreamName string `json:"logStreamName"`
	Timestamp     int64  `json:"timestamp"`
	Message       string `json:"message"`
	IngestionTime int64  `json:"ingestionTime"`
	EventID       string `json:"eventId"`
}

type searchedStreamOutput struct {
	LogStreamName      string `json:"logStreamName"`
	SearchedCompletely bool   `json:"searchedCompletely"`
}

type filterLogEventsOutput struct {
	Events             []filteredEventOutput  `json:"events"`
	SearchedLogStreams []searchedStreamOutput `json:"searchedLogStreams"`
	NextToken          *string                `json:"nextToken,omitempty"`
}

// filterLogEvents searches a group the way the API reference describes:
// startTime inclusive ("events with a timestamp before this time are not
// returned"), endTime inclusive ("events with a timestamp later than this
// time are not returned"), oldest first unless startFromHead is false.
func (s *Server) filterLogEvents(body []byte) (any, *apiError) {
	var in filterLogEventsInput
	if err := decodeInput(body, &in); err != nil {
		return nil, err
	}
	if in.LogStreamNames != nil && in.LogStreamNamePrefix != nil {
		return nil, invalidParameter("Cannot specify both logStreamNames and logStreamNamePrefix.")
	}
	if len(in.LogStreamNames) > 100 {
		return nil, invalidParameter("1 validation error detected: Value at 'logStreamNames' failed to satisfy constraint: Member must have length less than or equal to 100")
	}
	if err := checkLimit(in.Limit, 10000); err != nil {
		return nil, err
	}
	if in.StartTime != nil && in.EndTime != nil && *in.StartTime > *in.EndTime {
		return nil, invalidParameter("startTime must be less than or equal to endTime.")
	}
	desc := in.StartFromHead != nil && !*in.StartFromHead
	if desc && deref(in.StartTime) < descendingSince {
		return nil, invalidParameter("startFromHead=false requires a startTime on or after 2024-01-01T00:00:00Z.")
	}
	pattern, perr := parseFilterPattern(deref(in.FilterPattern))
	if perr != nil {
		return nil, perr
	}
	g, err := s.resolveGroup(in.LogGroupName, in.LogGroupIdentifier)
	if err != nil {
		return nil, err
	}
	var cursor pageToken
	if in.NextToken != nil {
		t, err := decodeToken("FilterLogEvents", *in.NextToken)
		if err != nil {
			return nil, err
		}
		cursor, desc = t, t.Desc
	}

	var streams []*logStream
	for _, st := range g.sortedStreams() {
		switch {
		case in.LogStreamNames != nil && !slices.Contains(in.LogStreamNames, st.name):
			continue
		case in.LogStreamNamePrefix != nil && !strings.HasPrefix(st.name, *in.LogStreamNamePrefix):
			continue
		}
		streams = append(streams, st)
	}

	out := filterLogEventsOutput{Events: []filteredEventOutput{}, SearchedLogStreams: []searchedStreamOutput{}}
	if s.takeEmptyPage() {
		cursor.Op, cursor.Desc = "FilterLogEvents", desc
		tok := s.newToken(cursor)
		out.NextToken = &tok
		for _, st := range streams {
			out.SearchedLogStreams = append(out.SearchedLogStreams, searchedStreamOutput{LogStreamName: st.name})
		}
		return out, nil
	}

	var found []*storedEvent
	for _, st := range streams {
		for _, e := range st.events {
			switch {
			case in.StartTime != nil && e.key.TS < *in.StartTime:
				continue
			case in.EndTime != nil && e.key.TS > *in.EndTime:
				continue
			case cursor.HasKey && !desc && !cursor.Key.less(e.key):
				continue
			case cursor.HasKey && desc && !e.key.less(cursor.Key):
				continue
			case !pattern.match(e.msg):
				continue
			}
			found = append(found, e)
		}
	}
	slices.SortFunc(found, func(a, b *storedEvent) int {
		if a.key.less(b.key) {
			return -1
		}
		if b.key.less(a.key) {
			return 1
		}
		return 0
	})
	if desc {
		slices.Reverse(found)
	}
	n := min(len(found), s.pageLimit(deref(in.Limit), 10000))
	for _, e := range found[:n] {
		out.Events = append(out.Events, filteredEventOutput{
			LogStreamName: e.stream,
			Timestamp:     e.key.TS,
			Message:       e.msg,
			IngestionTime: e.key.Ingest,
			EventID:       e.id,
		})
	}
	done := n == len(found)
	for _, st := range streams {
		out.SearchedLogStreams = append(out.SearchedLogStreams, searchedStreamOutput{LogStreamName: st.name, SearchedCompletely: done})
	}
	if !done {
		tok := s.newToken(pageToken{Op: "FilterLogEvents", Desc: desc, HasKey: true, Key: found[n-1].key})
		out.NextToken = &tok
	}
	return out, nil
}

// --- GetLogEvents ---

type getLogEventsInput struct {
	LogGroupName       *string `json:"logGroupName"`
	LogGroupIdentifier *string `json:"logGroupIdentifier"`
	LogStreamName      *string `json:"logStreamName"`
	StartTime          *int64  `json:"startTime"`
	EndTime            *int64  `json:"endTime"`
	NextToken          *string `json:"nextToken"`
	Limit              *int    `json:"limit"`
	StartFromHead      *bool   `json:"startFromHead"`
}

type outputLogEvent struct {
	Timestamp     int64  `json:"timestamp"`
	Message       string `json:"message"`
	IngestionTime int64  `json:"ingestionTime"`
}

type getLogEventsOutput struct {
	Events            []outputLogEvent `json:"events"`
	NextForwardToken  string           `json:"nextForwardToken"`
	NextBackwardToken string           `json:"nextBackwardToken"`
}

// streamToken is the state behind GetLogEvents' "f/..." and "b/..." tokens.
// Unlike FilterLogEvents' tokens these are deterministic: at the end of a
// stream AWS hands back the very token it was given, which is what makes the
// SDK's GetLogEvents paginator loop unless StopOnDuplicateToken is set.
type streamToken struct {
	Forward bool
	// Edge is a cursor before the first event (forward) or after the last
	// (backward); otherwise Key is the last event seen.
	Edge bool
	Key  eventKey
}

func (t streamToken) String() string {
	b, _ := json.Marshal(struct {
		E bool     `json:"e,omitempty"`
		K eventKey `json:"k"`
	}{t.Edge, t.Key})
	dir := "b/"
	if t.Forward {
		dir = "f/"
	}
	return dir + base64.RawURLEncoding.EncodeToString(b)
}

func parseStreamToken(s string) (streamToken, *apiError) {
	var t streamToken
	dir, rest, ok := strings.Cut(s, "/")
	var v struct {
		E bool     `json:"e,omitempty"`
		K eventKey `json:"k"`
	}
	b, err := base64.RawURLEncoding.DecodeString(rest)
	if err == nil {
		err = json.Unmarshal(b, &v)
	}
	if !ok || (dir != "f" && dir != "b") || err != nil {
		return t, invalidParameter("The specified nextToken is invalid.")
	}
	return streamToken{Forward: dir == "f", Edge: v.E, Key: v.K}, nil
}

// getLogEvents reads one stream: startTime inclusive, endTime exclusive, as
// the API reference documents for this operation. Without a token it returns
// the newest events unless startFromHead is true.
func (s *Server) getLogEvents(body []byte) (any, *apiError) {
	var in getLogEventsInput
	if err := decodeInput(body, &in); err != nil {
		return nil, err
	}
	if in.LogStreamName == nil {
		return nil, invalidParameter("logStreamName is required.")
	}
	if err := checkLimit(in.Limit, 10000); err != nil {
		return nil, err
	}
	g, err := s.resolveGroup(in.LogGroupName, in.LogGroupIdentifier)
	if err != nil {
		return nil, err
	}
	st, ok := g.streams[*in.LogStreamName]
	if !ok {
		return nil, resourceNotFound("The specified log stream does not exist.")
	}
	var window []*storedEvent
	for _, e := range st.events {
		if (in.StartTime == nil || e.key.TS >= *in.StartTime) && (in.EndTime == nil || e.key.TS < *in.EndTime) {
			window = append(window, e)
		}
	}
	limit := s.pageLimit(deref(in.Limit), 10000)

	var tok *streamToken
	if in.NextToken != nil {
		t, err := parseStreamToken(*in.NextToken)
		if err != nil {
			return nil, err
		}
		tok = &t
	}
	var page []*storedEvent
	switch {
	case tok != nil && tok.Forward:
		var after []*storedEvent
		for _, e := range window {
			if tok.Edge || tok.Key.less(e.key) {
				after = append(after, e)
			}
		}
		page = after[:min(limit, len(after))]
	case tok != nil:
		var before []*storedEvent
		for _, e := range window {
			if tok.Edge || e.key.less(tok.Key) {
				before = append(before, e)
			}
		}
		page = before[max(0, len(before)-limit):]
	case deref(in.StartFromHead):
		page = window[:min(limit, len(window))]
	default:
		page = window[max(0, len(window)-limit):]
	}

	out := getLogEventsOutput{Events: []outputLogEvent{}}
	for _, e := range page {
		out.Events = append(out.Events, outputLogEvent{Timestamp: e.key.TS, Message: e.msg, IngestionTime: e.key.Ingest})
	}
	if len(page) > 0 {
		out.NextForwardToken = streamToken{Forward: true, Key: page[len(page)-1].key}.String()
		out.NextBackwardToken = streamToken{Key: page[0].key}.String()
		return out, nil
	}
	// Nothing in this direction: hand back the token the client sent, as AWS
	// does at the end of a stream.
	out.NextForwardToken = streamToken{Forward: true, Edge: true}.String()
	out.NextBackwardToken = streamToken{Edge: true}.String()
	if tok != nil && tok.Forward {
		out.NextForwardToken = *in.NextToken
	}
	if tok != nil && !tok.Forward {
		out.NextBackwardToken = *in.NextToken
	}
	return out, nil
}
