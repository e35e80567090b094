package fakeaws

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
)

// Event is one CloudWatch Logs event as a test writes it. AddEvents fills in
// EventID and, when zero, IngestionTime.
type Event struct {
	// Timestamp is the event time; for VPC flow logs it is the record's start.
	Timestamp time.Time
	Message   string
	// IngestionTime defaults to the server clock at AddEvents.
	IngestionTime time.Time
	// EventID is assigned by the server: a 56-digit string like AWS's.
	EventID string
}

// logsState is the CloudWatch Logs data. Guarded by Server.mu.
type logsState struct {
	groups   map[string]*logGroup
	eventSeq int64
	insights insightsState
}

func (l *logsState) init() {
	l.groups = map[string]*logGroup{}
	l.insights.init()
}

type logGroup struct {
	name    string
	created int64
	streams map[string]*logStream
}

type logStream struct {
	name    string
	created int64
	// events are kept in the order FilterLogEvents returns them.
	events     []*storedEvent
	lastIngest int64
}

type storedEvent struct {
	key    eventKey
	id     string
	group  string
	stream string
	msg    string
}

// eventKey orders events as AWS documents for FilterLogEvents: by timestamp,
// then ingestion time, then arrival.
type eventKey struct{ TS, Ingest, Seq int64 }

func (a eventKey) less(b eventKey) bool {
	if a.TS != b.TS {
		return a.TS < b.TS
	}
	if a.Ingest != b.Ingest {
		return a.Ingest < b.Ingest
	}
	return a.Seq < b.Seq
}

// LogGroupARN returns the ARN of the fake's log group name in the form of
// types.LogGroup.LogGroupArn, without the trailing ":*" that the older Arn
// field carries. StartLiveTail wants this form.
func LogGroupARN(name string) string {
	return fmt.Sprintf("arn:aws:logs:%s:%s:log-group:%s", Region, AccountID, name)
}

// AddLogGroup creates a log group if it does not exist yet.
func (s *Server) AddLogGroup(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.group(name)
}

// AddLogStream creates a log stream (and its group) if it does not exist yet.
func (s *Server) AddLogStream(group, stream string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stream(s.group(group), stream)
}

// AddEvents stores events in a stream, creating the group and stream when
// needed, and returns them with EventID and IngestionTime filled in. Events
// may carry any timestamp, also one older than events already stored (a late
// flow log record): FilterLogEvents sorts them in, and open Live Tail
// sessions that match receive them in their next update, as AWS pushes
// whatever it ingests.
func (s *Server) AddEvents(group, stream string, events ...Event) []Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stream(s.group(group), stream)
	out := make([]Event, len(events))
	for i, ev := range events {
		if ev.IngestionTime.IsZero() {
			ev.IngestionTime = s.now()
		}
		s.logs.eventSeq++
		se := &storedEvent{
			key: eventKey{
				TS:     ev.Timestamp.UnixMilli(),
				Ingest: ev.IngestionTime.UnixMilli(),
				Seq:    s.logs.eventSeq,
			},
			group:  group,
			stream: stream,
			msg:    ev.Message,
		}
		se.id = fmt.Sprintf("%020d%036d", max(se.key.TS, 0), se.key.Seq)
		ev.EventID = se.id
		at := sort.Search(len(st.events), func(j int) bool { return se.key.less(st.events[j].key) })
		st.events = slices.Insert(st.events, at, se)
		st.lastIngest = max(st.lastIngest, se.key.Ingest)
		s.offerLive(se)
		out[i] = ev
	}
	return out
}

// storedBytes is what DescribeLogGroups reports as storedBytes: the size of the
// group's events (AWS counts its compressed storage and updates it lazily; the
// messages' length is the fake's stand-in). Callers hold s.mu.
func (g *logGroup) storedBytes() int64 {
	var n int64
	for _, st := range g.streams {
		for _, e := range st.events {
			n += int64(len(e.msg))
		}
	}
	return n
}

// group returns the named group, creating it. Callers hold s.mu.
func (s *Server) group(name string) *logGroup {
	g, ok := s.logs.groups[name]
	if !ok {
		g = &logGroup{name: name, created: s.now().UnixMilli(), streams: map[string]*logStream{}}
		s.logs.groups[name] = g
	}
	return g
}

// stream returns the named stream of g, creating it. Callers hold s.mu.
func (s *Server) stream(g *logGroup, name string) *logStream {
	st, ok := g.streams[name]
	if !ok {
		st = &logStream{name: name, created: s.now().UnixMilli()}
		g.streams[name] = st
	}
	return st
}

// sortedGroups returns the groups in name order, the order AWS lists them.
// Callers hold s.mu.
func (s *Server) sortedGroups() []*logGroup {
	out := make([]*logGroup, 0, len(s.logs.groups))
	for _, g := range s.logs.groups {
		out = append(out, g)
	}
	slices.SortFunc(out, func(a, b *logGroup) int { return strings.Compare(a.name, b.name) })
	return out
}

// sortedStreams returns the streams of g in name order.
func (g *logGroup) sortedStreams() []*logStream {
	out := make([]*logStream, 0, len(g.streams))
	for _, st := range g.streams {
		out = append(out, st)
	}
	slices.SortFunc(out, func(a, b *logStream) int { return strings.Compare(a.name, b.name) })
	return out
}

// firstLast returns the first and last event timestamps of a stream.
func (st *logStream) firstLast() (first, last int64, ok bool) {
	if len(st.events) == 0 {
		return 0, 0, false
	}
	first, last = st.events[0].key.TS, st.events[0].key.TS
	for _, e := range st.events {
		first = min(first, e.key.TS)
		last = max(last, e.key.TS)
	}
	return first, last, true
}

// resolveGroup finds a group from a name or an ARN without ":*". An ARN with
// ":*" is refused: AWS documents identifiers as the name or the LogGroupArn
// form, and flowlens should never send the Arn form. Callers hold s.mu.
func (s *Server) resolveGroup(name, identifier *string) (*logGroup, *apiError) {
	switch {
	case name != nil && identifier != nil:
		return nil, invalidParameter("LogGroupName and LogGroupIdentifier are mutually exclusive; specify only one.")
	case name == nil && identifier == nil:
		return nil, invalidParameter("Either LogGroupName or LogGroupIdentifier must be specified.")
	}
	groupName := ""
	if name != nil {
		groupName = *name
	} else {
		id := *identifier
		if strings.HasPrefix(id, "arn:") {
			n, err := groupNameFromARN(id)
			if err != nil {
				return nil, err
			}
			groupName = n
		} else {
			groupName = id
		}
	}
	g, ok := s.logs.groups[groupName]
	if !ok {
		return nil, resourceNotFound("The specified log group does not exist.")
	}
	return g, nil
}

// groupNameFromARN extracts the group name of an ARN of this fake's account
// and Region.
func groupNameFromARN(arn string) (string, *apiError) {
	if strings.HasSuffix(arn, ":*") {
		return "", invalidParameter(fmt.Sprintf("Log group identifier %q must not end with ':*'; use the log group ARN without it (LogGroupArn).", arn))
	}
	prefix := fmt.Sprintf("arn:aws:logs:%s:%s:log-group:", Region, AccountID)
	if !strings.HasPrefix(arn, "arn:aws:logs:") || !strings.Contains(arn, ":log-group:") {
		return "", invalidParameter(fmt.Sprintf("Invalid log group ARN %q.", arn))
	}
	if !strings.HasPrefix(arn, prefix) {
		return "", resourceNotFound("The specified log group does not exist.")
	}
	return strings.TrimPrefix(arn, prefix), nil
}

func invalidParameter(msg string) *apiError {
	return &apiError{Code: "InvalidParameterException", Message: msg, Status: 400}
}

func resourceNotFound(msg string) *apiError {
	return &apiError{Code: "ResourceNotFoundException", Message: msg, Status: 400}
}
