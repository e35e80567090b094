package fakeaws

import (
	"encoding/json"
	"maps"
	"strconv"
	"time"
)

// Call is one request the server received, kept so that tests can assert what
// a client asked for and how often (for example that it backed off after a
// throttle, or which StartTime it polled with).
type Call struct {
	// Service is "logs" or "ec2".
	Service string
	// Op is the operation name, such as FilterLogEvents or DescribeFlowLogs.
	Op string
	// Params holds the decoded request: for CloudWatch Logs the JSON body
	// (numbers as json.Number, lists as []any), for EC2 the form fields as
	// strings ("Filter.1.Name": "log-group-name").
	Params map[string]any
	// Region is the Region of the request's SigV4 credential scope.
	Region string
	// Error is the error code the server answered with, "" on success.
	Error string
	// At is the server clock when the request arrived.
	At time.Time

	seq int64
}

// String returns the string parameter name, or "".
func (c Call) String(name string) string {
	v, _ := c.Params[name].(string)
	return v
}

// Int returns the integer parameter name and whether it was present.
func (c Call) Int(name string) (int64, bool) {
	switch v := c.Params[name].(type) {
	case json.Number:
		n, err := v.Int64()
		return n, err == nil
	case string:
		n, err := strconv.ParseInt(v, 10, 64)
		return n, err == nil
	}
	return 0, false
}

// Strings returns the list parameter name of a CloudWatch Logs call.
func (c Call) Strings(name string) []string {
	list, _ := c.Params[name].([]any)
	out := make([]string, 0, len(list))
	for _, v := range list {
		if s, ok := v.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// Calls returns every request received so far, oldest first.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Call, len(s.calls))
	for i, c := range s.calls {
		c.Params = maps.Clone(c.Params)
		out[i] = c
	}
	return out
}

// CallsTo returns the requests for one operation, oldest first.
func (s *Server) CallsTo(op string) []Call {
	var out []Call
	for _, c := range s.Calls() {
		if c.Op == op {
			out = append(out, c)
		}
	}
	return out
}

// ResetCalls forgets the call log.
func (s *Server) ResetCalls() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = nil
}

// recordCall appends a call and returns its sequence number so the outcome
// can be filled in later. Callers hold s.mu.
func (s *Server) recordCall(c Call) int64 {
	s.callSeq++
	c.seq = s.callSeq
	c.At = s.now()
	s.calls = append(s.calls, c)
	return c.seq
}

// finishCall notes the error code a call was answered with. The call is
// found by sequence number because ResetCalls may have run in between.
func (s *Server) finishCall(seq int64, code string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := len(s.calls) - 1; i >= 0; i-- {
		if s.calls[i].seq == seq {
			s.calls[i].Error = code
			return
		}
	}
}
