package fakeaws

// objectFaults are the failures injected for one object. Guarded by
// Server.mu, except the hold channel, which is only closed.
type objectFaults struct {
	// hold, while open, makes GetObject wait before it answers.
	hold chan struct{}
	// fail answers the next failN GetObject requests with failCode (every
	// request while failN < 0).
	failN    int
	failCode string
	// cut sends only the first cutAfter bytes of the next cutN bodies and
	// then drops the connection.
	cutN     int
	cutAfter int64
}

func (b *bucket) faultsFor(key string) *objectFaults {
	f, ok := b.faults[key]
	if !ok {
		f = &objectFaults{}
		b.faults[key] = f
	}
	return f
}

// HoldObject makes GetObject of the key wait, before it answers, until
// release is called (or the server closes): a slow object whose delay the
// test decides, so that a reader downloading several objects at once can be
// shown to keep their order without timing anything. Releasing twice is
// harmless.
func (s *Server) HoldObject(bucketName, key string) (release func()) {
	s.mu.Lock()
	f := s.bucket(bucketName, "").faultsFor(key)
	ch := make(chan struct{})
	f.hold = ch
	s.mu.Unlock()
	released := false
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if !released {
			released = true
			close(ch)
			if f.hold == ch {
				f.hold = nil
			}
		}
	}
}

// FailObject makes the next n GetObject requests for the key fail with the
// error code, as S3 encodes it (InternalError 500, SlowDown and
// ServiceUnavailable 503, AccessDenied 403, ...). n < 0 fails every request.
// The SDK's own retries use the failures up.
func (s *Server) FailObject(bucketName, key string, n int, code string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.bucket(bucketName, "").faultsFor(key)
	f.failN, f.failCode = n, code
}

// CutObject makes the next n GetObject requests for the key send the status,
// the headers and the first after bytes of the body, then drop the
// connection: a download that breaks half way, which the SDK cannot retry
// because the response had already begun.
func (s *Server) CutObject(bucketName, key string, n int, after int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.bucket(bucketName, "").faultsFor(key)
	f.cutN, f.cutAfter = n, after
}

// takeObjectFault consumes the injected failure of a GetObject, if any, and
// returns the hold to wait on. Callers hold s.mu.
func (b *bucket) takeObjectFault(key string) (code string, cut int64, hold chan struct{}) {
	f, ok := b.faults[key]
	if !ok {
		return "", -1, nil
	}
	cut = -1
	switch {
	case f.failN < 0:
		code = f.failCode
	case f.failN > 0:
		f.failN--
		code = f.failCode
	case f.cutN > 0:
		f.cutN--
		cut = f.cutAfter
	}
	return code, cut, f.hold
}

// s3Status is the HTTP status S3 uses for an error code.
func s3Status(code string) int {
	switch code {
	case "NoSuchBucket", "NoSuchKey", "NotFound":
		return 404
	case "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "AllAccessDisabled", "InvalidObjectState":
		return 403
	case "PermanentRedirect":
		return 301
	case "TemporaryRedirect":
		return 307
	case "PreconditionFailed":
		return 412
	case "InvalidRange":
		return 416
	case "SlowDown", "ServiceUnavailable":
		return 503
	case "InternalError":
		return 500
	}
	return 400
}

// s3Message is the message S3 sends with an error code.
func s3Message(code string) string {
	switch code {
	case "NoSuchBucket":
		return "The specified bucket does not exist"
	case "NoSuchKey":
		return "The specified key does not exist."
	case "AccessDenied":
		return "Access Denied"
	case "SlowDown":
		return "Please reduce your request rate."
	case "ServiceUnavailable":
		return "Service is unable to handle request."
	case "InternalError":
		return "We encountered an internal error. Please try again."
	case "PermanentRedirect":
		return "The bucket you are attempting to access must be addressed using the specified endpoint. Please send all future requests to this endpoint."
	case "PreconditionFailed":
		return "At least one of the pre-conditions you specified did not hold"
	case "InvalidRange":
		return "The requested range is not satisfiable"
	case "ExpiredToken":
		return "The provided token has expired."
	}
	return "fakeaws: injected " + code
}
