package fakeaws

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/aws/smithy-go/eventstream"
)

// liveState holds the Live Tail sessions and their knobs. Guarded by
// Server.mu.
type liveState struct {
	sessions map[*liveSession]struct{}
	// changed is closed and replaced whenever a session opens or ends, so
	// that AwaitLiveTailSessions can wait without polling.
	changed    chan struct{}
	interval   time.Duration
	sampled    bool
	duplicates int
	limit      int
	seq        int64
	// sampleRate is the rate (events per second of an update's interval) above which
	// an update is sampled down to it, as AWS does at 500; 0 never samples.
	sampleRate int
}

func (l *liveState) init() {
	l.sessions = map[*liveSession]struct{}{}
	l.changed = make(chan struct{})
	l.interval = time.Second
	l.limit = 15 // AWS's default quota of concurrent sessions per account
	l.sampleRate = 500
}

type liveSession struct {
	groups   map[string]bool
	names    []string
	prefixes []string
	pattern  filterPattern

	// pending are events ingested since the last update; redeliver are
	// events the duplicate fault sends a second time. Guarded by Server.mu.
	pending   []*storedEvent
	redeliver []*storedEvent
	// interval is the session's update interval; sampling allows sampleRate events
	// per second of it (per update when updates are flushed by hand).
	interval time.Duration

	cmds chan liveCmd
	done chan struct{}
}

type liveCmdKind int

const (
	cmdFlush liveCmdKind = iota
	cmdEnd
	cmdDrop
)

type liveCmd struct {
	kind liveCmdKind
	code string
	ack  chan struct{}
}

func (ls *liveSession) wants(e *storedEvent) bool {
	if !ls.groups[e.group] {
		return false
	}
	if len(ls.names) > 0 && !slices.Contains(ls.names, e.stream) {
		return false
	}
	if len(ls.prefixes) > 0 && !slices.ContainsFunc(ls.prefixes, func(p string) bool { return strings.HasPrefix(e.stream, p) }) {
		return false
	}
	return ls.pattern.match(e.msg)
}

// offerLive queues a newly ingested event for every session that wants it.
// Callers hold s.mu.
func (s *Server) offerLive(e *storedEvent) {
	for ls := range s.live.sessions {
		if ls.wants(e) {
			ls.pending = append(ls.pending, e)
		}
	}
}

// LiveTailUpdateInterval sets how often sessions started from now on send a
// sessionUpdate (AWS: every second, empty or not). d <= 0 sends updates only
// when FlushLiveTail asks, which makes tests deterministic.
func (s *Server) LiveTailUpdateInterval(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.live.interval = d
}

// LiveTailSampled sets sessionMetadata.sampled on the updates sent from now
// on, whatever their size. Only the flag is set: the fake still delivers every
// event (LiveTailSampleRate is the knob that drops events).
func (s *Server) LiveTailSampled(sampled bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.live.sampled = sampled
}

// LiveTailSampleRate sets the rate above which updates are sampled, as AWS
// samples a session down to 500 events per second: an update that would carry
// more than rate events per second of the update interval (per update when
// updates are only sent by FlushLiveTail) carries an even spread of that many
// of its events, and says sessionMetadata.sampled. The session's filter pattern
// is applied first, so a pattern that keeps the matches under the rate loses
// none. The default is 500; 0 never samples.
func (s *Server) LiveTailSampleRate(rate int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.live.sampleRate = rate
}

// DuplicateLiveTailEvents makes the next n event deliveries (counted over all
// sessions) happen twice: once in the update that carries the event and again
// in the session's following update. A client has to de-duplicate across
// updates, and Live Tail events carry no eventId to do it with.
func (s *Server) DuplicateLiveTailEvents(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.live.duplicates = n
}

// LiveTailSessionLimit sets how many sessions may be open at once before
// StartLiveTail answers LimitExceededException (default 15, AWS's quota).
func (s *Server) LiveTailSessionLimit(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.live.limit = n
}

// LiveTailSessions is the number of open Live Tail sessions. A session ends
// when the client closes its stream or connection, when EndLiveTail or
// DropConnections ends it, or when the server closes.
func (s *Server) LiveTailSessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.live.sessions)
}

// AwaitLiveTailSessions blocks until exactly n sessions are open or ctx ends.
func (s *Server) AwaitLiveTailSessions(ctx context.Context, n int) error {
	for {
		s.mu.Lock()
		count, changed := len(s.live.sessions), s.live.changed
		s.mu.Unlock()
		if count == n {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return fmt.Errorf("fakeaws: %d Live Tail sessions open, want %d: %w", count, n, ctx.Err())
		}
	}
}

// FlushLiveTail makes every open session send a sessionUpdate now, with the
// events ingested since its last update, and returns once they are written.
func (s *Server) FlushLiveTail() { s.commandSessions(cmdFlush, "") }

// EndLiveTail ends every open session with an exception message of the given
// code (SessionTimeoutException, as after AWS's 3-hour limit, or
// SessionStreamingException), after which the server closes the stream
// cleanly. The SDK reports it from the stream's Err. It returns once the
// sessions have ended.
func (s *Server) EndLiveTail(code string) { s.commandSessions(cmdEnd, code) }

// DropConnections cuts every open session's connection abruptly, in the
// middle of an event stream message, as a network failure would. It returns
// once the sessions have ended.
func (s *Server) DropConnections() { s.commandSessions(cmdDrop, "") }

func (s *Server) commandSessions(kind liveCmdKind, code string) {
	s.mu.Lock()
	sessions := make([]*liveSession, 0, len(s.live.sessions))
	for ls := range s.live.sessions {
		sessions = append(sessions, ls)
	}
	s.mu.Unlock()
	for _, ls := range sessions {
		c := liveCmd{kind: kind, code: code, ack: make(chan struct{})}
		select {
		case ls.cmds <- c:
		case <-ls.done:
			continue
		}
		select {
		case <-c.ack:
		case <-ls.done:
		}
		if kind != cmdFlush {
			<-ls.done
		}
	}
}

type startLiveTailInput struct {
	LogGroupIdentifiers   []string `json:"logGroupIdentifiers"`
	LogStreamNames        []string `json:"logStreamNames"`
	LogStreamNamePrefixes []string `json:"logStreamNamePrefixes"`
	LogEventFilterPattern *string  `json:"logEventFilterPattern"`
}

// newLiveSession validates a StartLiveTail request as AWS documents it and
// registers the session. Callers hold s.mu.
func (s *Server) newLiveSession(in startLiveTailInput) (*liveSession, *apiError) {
	if n := len(in.LogGroupIdentifiers); n < 1 || n > 10 {
		return nil, invalidParameter(fmt.Sprintf("logGroupIdentifiers must hold 1 to 10 log group ARNs, got %d.", n))
	}
	ls := &liveSession{
		groups:   map[string]bool{},
		names:    in.LogStreamNames,
		prefixes: in.LogStreamNamePrefixes,
		cmds:     make(chan liveCmd),
		done:     make(chan struct{}),
	}
	for _, id := range in.LogGroupIdentifiers {
		if !strings.HasPrefix(id, "arn:") {
			return nil, invalidParameter(fmt.Sprintf("Log group identifier %q is not an ARN; StartLiveTail takes log group ARNs.", id))
		}
		name, err := groupNameFromARN(id)
		if err != nil {
			return nil, err
		}
		if _, ok := s.logs.groups[name]; !ok {
			return nil, resourceNotFound("The specified log group does not exist.")
		}
		ls.groups[name] = true
	}
	switch {
	case in.LogStreamNames != nil && in.LogStreamNamePrefixes != nil:
		return nil, invalidParameter("logStreamNames and logStreamNamePrefixes are mutually exclusive.")
	case (in.LogStreamNames != nil || in.LogStreamNamePrefixes != nil) && len(in.LogGroupIdentifiers) > 1:
		return nil, invalidParameter("logStreamNames and logStreamNamePrefixes can only be used with exactly one log group.")
	case len(in.LogStreamNames) > 100 || len(in.LogStreamNamePrefixes) > 100:
		return nil, invalidParameter("At most 100 log stream names or prefixes are allowed.")
	}
	pattern, perr := parseFilterPattern(deref(in.LogEventFilterPattern))
	if perr != nil {
		return nil, perr
	}
	ls.pattern = pattern
	if len(s.live.sessions) >= s.live.limit {
		return nil, &apiError{Code: "LimitExceededException", Message: "You have reached the maximum number of concurrent Live Tail sessions.", Status: 400}
	}
	s.live.sessions[ls] = struct{}{}
	s.liveChanged()
	return ls, nil
}

// liveChanged wakes AwaitLiveTailSessions. Callers hold s.mu.
func (s *Server) liveChanged() {
	close(s.live.changed)
	s.live.changed = make(chan struct{})
}

// startLiveTail answers StartLiveTail with an event stream: an
// initial-response event, a sessionStart event, then sessionUpdate events
// until the client leaves or a fault ends the session.
func (s *Server) startLiveTail(w http.ResponseWriter, r *http.Request, body []byte, seq int64, reqID string) {
	var in startLiveTailInput
	aerr := decodeInput(body, &in)
	var ls *liveSession
	s.mu.Lock()
	if aerr == nil {
		ls, aerr = s.newLiveSession(in)
	}
	s.live.seq++
	sessionID := fmt.Sprintf("fake-session-%d", s.live.seq)
	interval := s.live.interval
	if ls != nil {
		ls.interval = interval
	}
	s.mu.Unlock()
	if aerr != nil {
		s.finishCall(seq, aerr.Code)
		writeLogsError(w, reqID, aerr)
		return
	}
	defer func() {
		s.mu.Lock()
		delete(s.live.sessions, ls)
		s.liveChanged()
		s.mu.Unlock()
		close(ls.done)
	}()

	out := &liveWriter{w: w, rc: http.NewResponseController(w), enc: eventstream.NewEncoder()}
	w.Header().Set("Content-Type", "application/vnd.amazon.eventstream")
	w.Header().Set("x-amzn-RequestId", reqID)
	w.WriteHeader(http.StatusOK)
	start := map[string]any{
		"requestId":           reqID,
		"sessionId":           sessionID,
		"logGroupIdentifiers": in.LogGroupIdentifiers,
	}
	if in.LogStreamNames != nil {
		start["logStreamNames"] = in.LogStreamNames
	}
	if in.LogStreamNamePrefixes != nil {
		start["logStreamNamePrefixes"] = in.LogStreamNamePrefixes
	}
	if in.LogEventFilterPattern != nil {
		start["logEventFilterPattern"] = *in.LogEventFilterPattern
	}
	if out.event("initial-response", map[string]any{}) != nil || out.event("sessionStart", start) != nil {
		return
	}

	var tick <-chan time.Time
	if interval > 0 {
		t := time.NewTicker(interval)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case <-tick:
			if out.event("sessionUpdate", s.takeUpdate(ls)) != nil {
				return
			}
		case c := <-ls.cmds:
			switch c.kind {
			case cmdFlush:
				err := out.event("sessionUpdate", s.takeUpdate(ls))
				close(c.ack)
				if err != nil {
					return
				}
			case cmdEnd:
				_ = out.exception(c.code)
				close(c.ack)
				return
			case cmdDrop:
				out.partial(s.takeUpdate(ls))
				close(c.ack)
				// ErrAbortHandler makes net/http close the connection without
				// finishing the chunked body: the client sees a cut stream.
				panic(http.ErrAbortHandler)
			}
		case <-r.Context().Done():
			return
		case <-s.closing:
			return
		}
	}
}

type liveEventOutput struct {
	LogStreamName      string `json:"logStreamName"`
	LogGroupIdentifier string `json:"logGroupIdentifier"`
	Message            string `json:"message"`
	Timestamp          int64  `json:"timestamp"`
	IngestionTime      int64  `json:"ingestionTime"`
}

type sessionUpdateOutput struct {
	SessionMetadata struct {
		Sampled bool `json:"sampled"`
	} `json:"sessionMetadata"`
	SessionResults []liveEventOutput `json:"sessionResults"`
}

// takeUpdate builds the next sessionUpdate of a session from its queue.
func (s *Server) takeUpdate(ls *liveSession) sessionUpdateOutput {
	s.mu.Lock()
	defer s.mu.Unlock()
	var up sessionUpdateOutput
	up.SessionMetadata.Sampled = s.live.sampled
	up.SessionResults = []liveEventOutput{}
	events := append(ls.redeliver, ls.pending...)
	fresh := len(ls.redeliver)
	ls.redeliver, ls.pending = nil, nil
	if rate := s.live.sampleRate; rate > 0 {
		seconds := max(1, int(ls.interval/time.Second))
		if keep := rate * seconds; len(events) > keep {
			sampled := make([]*storedEvent, keep)
			for i := range sampled {
				sampled[i] = events[i*len(events)/keep]
			}
			events, fresh = sampled, 0
			up.SessionMetadata.Sampled = true
		}
	}
	for i, e := range events {
		if i >= fresh && s.live.duplicates > 0 {
			s.live.duplicates--
			ls.redeliver = append(ls.redeliver, e)
		}
		up.SessionResults = append(up.SessionResults, liveEventOutput{
			LogStreamName: e.stream,
			// The API reference only says "the name or ARN"; the fake uses
			// neither plain form so that clients treat it as opaque.
			LogGroupIdentifier: AccountID + ":" + e.group,
			Message:            e.msg,
			Timestamp:          e.key.TS,
			IngestionTime:      e.key.Ingest,
		})
	}
	return up
}

// liveWriter frames event stream messages onto a response.
type liveWriter struct {
	w   http.ResponseWriter
	rc  *http.ResponseController
	enc *eventstream.Encoder
}

func (lw *liveWriter) event(eventType string, v any) error {
	payload, err := json.Marshal(v)
	if err != nil {
		return err
	}
	var msg eventstream.Message
	msg.Headers.Set(eventstream.EventTypeHeader, eventstream.StringValue(eventType))
	msg.Headers.Set(eventstream.ContentTypeHeader, eventstream.StringValue("application/json"))
	msg.Headers.Set(eventstream.MessageTypeHeader, eventstream.StringValue(eventstream.EventMessageType))
	msg.Payload = payload
	return lw.write(msg)
}

func (lw *liveWriter) exception(code string) error {
	text := "fakeaws: session ended"
	switch code {
	case "SessionTimeoutException":
		text = "Session timed out after 3 hours."
	case "SessionStreamingException":
		text = "An unknown error occurred while streaming the session."
	}
	payload, _ := json.Marshal(map[string]string{"message": text})
	var msg eventstream.Message
	msg.Headers.Set(eventstream.ExceptionTypeHeader, eventstream.StringValue(code))
	msg.Headers.Set(eventstream.ContentTypeHeader, eventstream.StringValue("application/json"))
	msg.Headers.Set(eventstream.MessageTypeHeader, eventstream.StringValue(eventstream.ExceptionMessageType))
	msg.Payload = payload
	return lw.write(msg)
}

// partial writes the first half of an encoded sessionUpdate, so that the
// client's decoder is in the middle of a message when the connection drops.
func (lw *liveWriter) partial(v any) {
	payload, _ := json.Marshal(v)
	var msg eventstream.Message
	msg.Headers.Set(eventstream.EventTypeHeader, eventstream.StringValue("sessionUpdate"))
	msg.Headers.Set(eventstream.ContentTypeHeader, eventstream.StringValue("application/json"))
	msg.Headers.Set(eventstream.MessageTypeHeader, eventstream.StringValue(eventstream.EventMessageType))
	msg.Payload = payload
	var buf bytes.Buffer
	if lw.enc.Encode(&buf, msg) != nil {
		return
	}
	_, _ = lw.w.Write(buf.Bytes()[:buf.Len()/2])
	_ = lw.rc.Flush()
}

func (lw *liveWriter) write(msg eventstream.Message) error {
	if err := lw.enc.Encode(lw.w, msg); err != nil {
		return err
	}
	return lw.rc.Flush()
}
