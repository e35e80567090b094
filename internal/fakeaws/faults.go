package fakeaws

import (
	"fmt"
	"net/http"
)

// faultState holds the injected failures. Guarded by Server.mu.
type faultState struct {
	pending    []fault
	emptyPages int
	pageSize   int
}

type fault struct {
	op        string
	remaining int
	code      string
}

// apiError is an error answer in protocol-neutral form; the Logs and EC2
// front ends encode it as JSON or XML.
type apiError struct {
	Code    string
	Message string
	Status  int
}

// FailNext makes the next n requests for op (an operation name such as
// "FilterLogEvents" or "DescribeFlowLogs", or "*" for any operation) fail with
// the error code, encoded as the operation's protocol does: a JSON __type
// body for CloudWatch Logs, an XML <Errors> document for EC2, with the HTTP
// status AWS uses for that code (400 for most; 500 for CloudWatch Logs'
// ServiceUnavailableException; 401/403 for EC2's AuthFailure and
// UnauthorizedOperation; 503 for RequestLimitExceeded and Unavailable).
// Failures queue up: FailNext("X", 2, A) then FailNext("X", 1, B) answers
// A, A, B. A failed StartLiveTail fails before the stream opens, as an HTTP
// error. Each failed attempt counts, so the SDK's own retries use them up.
func (s *Server) FailNext(op string, n int, code string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n <= 0 {
		return
	}
	s.faults.pending = append(s.faults.pending, fault{op: op, remaining: n, code: code})
}

// EmptyPages makes the next n FilterLogEvents requests answer with no events
// and a fresh nextToken that resumes where the request stood, as AWS does
// when a search has not reached any data yet. A client that stops at the
// first empty page, or on a repeated token, misses the data behind them.
func (s *Server) EmptyPages(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.emptyPages = n
}

// PageSize caps every paginated answer (log groups, streams, events, EC2
// describe results) at n items, below whatever limit the client asked for,
// so that pagination is exercised with little data. 0 restores the defaults.
func (s *Server) PageSize(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.pageSize = n
}

// takeFault consumes a pending failure for op. Callers hold s.mu.
func (s *Server) takeFault(op string) (string, bool) {
	for i := range s.faults.pending {
		f := &s.faults.pending[i]
		if f.remaining > 0 && (f.op == op || f.op == "*") {
			f.remaining--
			code := f.code
			if f.remaining == 0 {
				s.faults.pending = append(s.faults.pending[:i], s.faults.pending[i+1:]...)
			}
			return code, true
		}
	}
	return "", false
}

// takeEmptyPage consumes one injected empty page. Callers hold s.mu.
func (s *Server) takeEmptyPage() bool {
	if s.faults.emptyPages > 0 {
		s.faults.emptyPages--
		return true
	}
	return false
}

// pageLimit applies the injected page size to the limit a request asked for
// (or the operation's default). Callers hold s.mu.
func (s *Server) pageLimit(asked, def int) int {
	n := def
	if asked > 0 {
		n = asked
	}
	if s.faults.pageSize > 0 && s.faults.pageSize < n {
		n = s.faults.pageSize
	}
	return n
}

// injectedLogsError builds the error for an injected CloudWatch Logs fault,
// with the message AWS sends for the common codes.
func injectedLogsError(op, code string) *apiError {
	msg := "fakeaws: injected " + code
	switch code {
	case "ThrottlingException":
		msg = "Rate exceeded"
	case "AccessDeniedException":
		msg = fmt.Sprintf("User: arn:aws:sts::%s:assumed-role/fakeaws/session is not authorized to perform: logs:%s on resource: arn:aws:logs:%s:%s:log-group:* because no identity-based policy allows the logs:%s action", AccountID, op, Region, AccountID, op)
	case "ResourceNotFoundException":
		msg = "The specified log group does not exist."
	case "LimitExceededException":
		msg = "Resource limit exceeded."
	case "ExpiredTokenException":
		msg = "The security token included in the request is expired"
	case "UnrecognizedClientException":
		msg = "The security token included in the request is invalid."
	case "ServiceUnavailableException":
		msg = "The server failed to fulfill the request. Please try again."
	}
	return &apiError{Code: code, Message: msg, Status: logsStatus(code)}
}

// logsStatus is the HTTP status CloudWatch Logs uses for an error code: the
// service documents 400 for every client error, throttling included, and 500
// for ServiceUnavailableException.
func logsStatus(code string) int {
	switch code {
	case "ServiceUnavailableException", "InternalFailure", "InternalServerException", "InternalStreamingException":
		return http.StatusInternalServerError
	}
	return http.StatusBadRequest
}

// injectedEC2Error builds the error for an injected EC2 fault.
func injectedEC2Error(op, code string) *apiError {
	msg := "fakeaws: injected " + code
	switch code {
	case "UnauthorizedOperation":
		msg = fmt.Sprintf("You are not authorized to perform this operation. User: arn:aws:sts::%s:assumed-role/fakeaws/session is not authorized to perform: ec2:%s because no identity-based policy allows the ec2:%s action", AccountID, op, op)
	case "RequestLimitExceeded":
		msg = "Request limit exceeded."
	case "AuthFailure":
		msg = "AWS was not able to validate the provided access credentials"
	case "ExpiredToken", "RequestExpired":
		msg = "The security token included in the request is expired"
	}
	return &apiError{Code: code, Message: msg, Status: ec2Status(code)}
}

// ec2Status is the HTTP status EC2 uses for an error code.
func ec2Status(code string) int {
	switch code {
	case "AuthFailure":
		return http.StatusUnauthorized
	case "UnauthorizedOperation", "OptInRequired", "Blocked":
		return http.StatusForbidden
	case "RequestLimitExceeded", "Unavailable", "ServiceUnavailable":
		return http.StatusServiceUnavailable
	case "InternalError", "InternalFailure":
		return http.StatusInternalServerError
	}
	return http.StatusBadRequest
}
