package fakeaws

import (
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// s3Error is an S3 error answer: a code, the elements S3 adds for it, and
// headers (x-amz-bucket-region on a redirect).
type s3Error struct {
	code   string
	doc    s3ErrorXML
	header http.Header
}

func newS3Error(code string) *s3Error {
	return &s3Error{code: code, doc: s3ErrorXML{Code: code, Message: s3Message(code)}, header: http.Header{}}
}

// isS3Request tells S3's REST requests from the POST-only protocols of
// CloudWatch Logs and EC2: S3 reads with GET and HEAD and writes with PUT.
func isS3Request(r *http.Request) bool {
	return r.Method == http.MethodGet || r.Method == http.MethodHead || r.Method == http.MethodPut
}

// serveS3 answers S3 requests with path-style addressing (/bucket/key), the
// form an SDK uses with an endpoint URL and UsePathStyle.
func (s *Server) serveS3(w http.ResponseWriter, r *http.Request, body []byte) {
	bucketName, key := splitS3Path(r.URL.Path)
	q := r.URL.Query()
	op, params := s3Operation(r, bucketName, key, q)

	s.mu.Lock()
	seq := s.recordCall(Call{Service: "s3", Op: op, Params: params, Region: credentialRegion(r)})
	reqID := s.nextRequestID()
	var serr *s3Error
	var b *bucket
	switch {
	case op == "":
		serr = newS3Error("NotImplemented")
		serr.doc.Message = fmt.Sprintf("fakeaws: %s %s is not served (path-style addressing only: /bucket/key)", r.Method, r.URL.Path)
	default:
		if code, failed := s.takeFault(op); failed {
			serr = newS3Error(code)
			break
		}
		b, serr = s.checkBucket(op, bucketName, credentialRegion(r))
	}
	if serr != nil {
		s.mu.Unlock()
		s.finishCall(seq, serr.code)
		writeS3Error(w, r, reqID, serr)
		return
	}

	switch op {
	case "ListObjectsV2":
		out, serr := s.listObjectsV2(b, q)
		s.mu.Unlock()
		if serr != nil {
			s.finishCall(seq, serr.code)
			writeS3Error(w, r, reqID, serr)
			return
		}
		writeS3XML(w, reqID, http.StatusOK, out)
	case "HeadBucket":
		s.mu.Unlock()
		w.Header().Set("x-amz-bucket-region", b.region)
		w.Header().Set("x-amz-request-id", reqID)
		w.WriteHeader(http.StatusOK)
	case "PutObject":
		s.putObject(b, S3Object{Key: key, Data: body})
		etag := b.objects[key].etag
		s.mu.Unlock()
		w.Header().Set("ETag", etag)
		w.Header().Set("x-amz-request-id", reqID)
		w.WriteHeader(http.StatusOK)
	case "GetObject", "HeadObject":
		s.serveObject(w, r, b, key, op, seq, reqID) // unlocks s.mu
	}
}

// splitS3Path splits /bucket/key; the key keeps its slashes.
func splitS3Path(p string) (bucketName, key string) {
	p = strings.TrimPrefix(p, "/")
	bucketName, key, _ = strings.Cut(p, "/")
	return bucketName, key
}

// s3Operation names the operation of a request the way the SDK's operation
// names go, with the parameters a test may want to assert on.
func s3Operation(r *http.Request, bucketName, key string, q url.Values) (string, map[string]any) {
	params := map[string]any{"Bucket": bucketName}
	if bucketName == "" {
		return "", params
	}
	if key != "" {
		params["Key"] = key
	}
	switch {
	case key == "" && r.Method == http.MethodGet && q.Get("list-type") == "2":
		for name, param := range map[string]string{"prefix": "Prefix", "delimiter": "Delimiter", "max-keys": "MaxKeys",
			"continuation-token": "ContinuationToken", "start-after": "StartAfter"} {
			if q.Has(name) {
				params[param] = q.Get(name)
			}
		}
		return "ListObjectsV2", params
	case key == "" && r.Method == http.MethodHead:
		return "HeadBucket", params
	case key != "" && (r.Method == http.MethodGet || r.Method == http.MethodHead):
		if v := r.Header.Get("Range"); v != "" {
			params["Range"] = v
		}
		if v := r.Header.Get("If-Match"); v != "" {
			params["IfMatch"] = v
		}
		if r.Method == http.MethodHead {
			return "HeadObject", params
		}
		return "GetObject", params
	case key != "" && r.Method == http.MethodPut && r.Header.Get("x-amz-copy-source") == "":
		return "PutObject", params
	}
	return "", params
}

// checkBucket applies what S3 checks before an operation: that the bucket
// exists, that the request went to the bucket's Region (the fake takes the
// Region of the SigV4 credential scope for the endpoint's), and that the
// caller may list it. Callers hold s.mu.
func (s *Server) checkBucket(op, bucketName, region string) (*bucket, *s3Error) {
	b, ok := s.s3.buckets[bucketName]
	if !ok {
		e := newS3Error("NoSuchBucket")
		e.doc.BucketName = bucketName
		return nil, e
	}
	if region != "" && region != b.region {
		// S3 answers a request for a bucket of another Region with 301 and
		// names the Region in a header; HEAD answers carry no body.
		e := newS3Error("PermanentRedirect")
		e.doc.Bucket = bucketName
		e.doc.Endpoint = fmt.Sprintf("s3.%s.amazonaws.com", b.region)
		e.header.Set("x-amz-bucket-region", b.region)
		return nil, e
	}
	if (op == "ListObjectsV2" || op == "HeadBucket") && b.denied["s3:ListBucket"] {
		e := newS3Error("AccessDenied")
		e.header.Set("x-amz-bucket-region", b.region)
		return nil, e
	}
	if op == "PutObject" && b.denied["s3:PutObject"] {
		return nil, newS3Error("AccessDenied")
	}
	return b, nil
}

// listToken is the state behind a continuation token: the last key or
// common prefix returned; keys under a returned common prefix are skipped.
type listToken struct {
	After  string `json:"a"`
	Skip   string `json:"s,omitempty"`
	Serial int64  `json:"x"`
}

// listObjectsV2 lists keys in UTF-8 byte order, rolling keys that share a
// prefix up to the delimiter into one CommonPrefixes entry, which counts
// once towards max-keys, as S3 does. Callers hold s.mu.
func (s *Server) listObjectsV2(b *bucket, q url.Values) (*listBucketResultXML, *s3Error) {
	prefix, delim := q.Get("prefix"), q.Get("delimiter")
	maxKeys := 1000
	if v := q.Get("max-keys"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			e := newS3Error("InvalidArgument")
			e.doc.Message = "Provided max-keys not an integer or within integer range"
			return nil, e
		}
		maxKeys = min(n, 1000)
	}
	limit := maxKeys
	if s.faults.pageSize > 0 && s.faults.pageSize < limit {
		limit = s.faults.pageSize
	}
	out := &listBucketResultXML{Xmlns: s3Namespace, Name: b.name, Prefix: prefix, Delimiter: delim, MaxKeys: maxKeys,
		StartAfter: q.Get("start-after"), ContinuationToken: q.Get("continuation-token")}
	var tok listToken
	if out.ContinuationToken != "" {
		raw, err := base64.RawURLEncoding.DecodeString(out.ContinuationToken)
		if err == nil {
			err = json.Unmarshal(raw, &tok)
		}
		if err != nil {
			e := newS3Error("InvalidArgument")
			e.doc.Message = "The continuation token provided is incorrect"
			return nil, e
		}
	} else {
		tok.After = out.StartAfter
	}
	lastPrefix := ""
	for _, k := range b.keys() {
		if k <= tok.After || !strings.HasPrefix(k, prefix) || (tok.Skip != "" && strings.HasPrefix(k, tok.Skip)) {
			continue
		}
		cp := ""
		if delim != "" {
			if i := strings.Index(k[len(prefix):], delim); i >= 0 {
				cp = k[:len(prefix)+i+len(delim)]
			}
		}
		if cp != "" && cp == lastPrefix {
			continue
		}
		if out.KeyCount == limit {
			// Something is left that this page has no room for.
			out.IsTruncated = true
			break
		}
		out.KeyCount++
		if cp != "" {
			lastPrefix = cp
			out.CommonPrefixes = append(out.CommonPrefixes, commonPrefixXML{Prefix: cp})
			tok = listToken{After: cp, Skip: cp}
			continue
		}
		o := b.objects[k]
		out.Contents = append(out.Contents, objectXML{Key: k, LastModified: o.modified.Format("2006-01-02T15:04:05.000Z"),
			ETag: o.etag, Size: int64(len(o.data)), StorageClass: "STANDARD"})
		tok = listToken{After: k}
	}
	if out.IsTruncated {
		s.tokenSeq++
		tok.Serial = s.tokenSeq
		raw, _ := json.Marshal(tok)
		out.NextContinuationToken = base64.RawURLEncoding.EncodeToString(raw)
	}
	if q.Get("encoding-type") == "url" {
		out.EncodingType = "url"
		out.Prefix, out.Delimiter, out.StartAfter = urlEncodeKey(out.Prefix), urlEncodeKey(out.Delimiter), urlEncodeKey(out.StartAfter)
		for i := range out.Contents {
			out.Contents[i].Key = urlEncodeKey(out.Contents[i].Key)
		}
		for i := range out.CommonPrefixes {
			out.CommonPrefixes[i].Prefix = urlEncodeKey(out.CommonPrefixes[i].Prefix)
		}
	}
	return out, nil
}

// urlEncodeKey encodes a key as S3 does for encoding-type=url.
func urlEncodeKey(k string) string {
	return strings.ReplaceAll(url.QueryEscape(k), "%2F", "/")
}

// serveObject answers GetObject and HeadObject, with Range and If-Match.
// It is called with s.mu held and releases it before it waits or writes.
func (s *Server) serveObject(w http.ResponseWriter, r *http.Request, b *bucket, key, op string, seq int64, reqID string) {
	o, exists := b.objects[key]
	var serr *s3Error
	switch {
	case b.denied["s3:GetObject"]:
		serr = newS3Error("AccessDenied")
	case !exists && b.denied["s3:ListBucket"]:
		// Without s3:ListBucket S3 does not say whether a key exists.
		serr = newS3Error("AccessDenied")
	case !exists:
		serr = newS3Error("NoSuchKey")
		serr.doc.Key = key
	case op == "GetObject" && o.kmsKeyID != "" && b.denied["kms:Decrypt"]:
		serr = newS3Error("AccessDenied")
	}
	code, cut, hold := "", int64(-1), (chan struct{})(nil)
	if serr == nil && op == "GetObject" {
		code, cut, hold = b.takeObjectFault(key)
		if code != "" {
			serr = newS3Error(code)
		}
	}
	s.mu.Unlock()

	if hold != nil {
		select {
		case <-hold:
		case <-s.closing:
		case <-r.Context().Done():
		}
	}
	if serr != nil {
		s.finishCall(seq, serr.code)
		writeS3Error(w, r, reqID, serr)
		return
	}
	if m := r.Header.Get("If-Match"); m != "" && m != o.etag && m != "*" {
		serr = newS3Error("PreconditionFailed")
		serr.doc.Condition = "If-Match"
		s.finishCall(seq, serr.code)
		writeS3Error(w, r, reqID, serr)
		return
	}
	size := int64(len(o.data))
	first, last, partial, ok := parseRange(r.Header.Get("Range"), size)
	if !ok {
		serr = newS3Error("InvalidRange")
		serr.doc.RangeRequested = r.Header.Get("Range")
		serr.doc.ActualSize = strconv.FormatInt(size, 10)
		serr.header.Set("Content-Range", fmt.Sprintf("bytes */%d", size))
		s.finishCall(seq, serr.code)
		writeS3Error(w, r, reqID, serr)
		return
	}
	h := w.Header()
	h.Set("x-amz-request-id", reqID)
	h.Set("ETag", o.etag)
	h.Set("Last-Modified", o.modified.Format(http.TimeFormat))
	h.Set("Accept-Ranges", "bytes")
	h.Set("Content-Type", "application/octet-stream")
	if o.kmsKeyID != "" {
		h.Set("x-amz-server-side-encryption", "aws:kms")
		h.Set("x-amz-server-side-encryption-aws-kms-key-id", o.kmsKeyID)
	} else {
		h.Set("x-amz-server-side-encryption", "AES256")
	}
	h.Set("Content-Length", strconv.FormatInt(last-first, 10))
	status := http.StatusOK
	if partial {
		h.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", first, last-1, size))
		status = http.StatusPartialContent
	}
	w.WriteHeader(status)
	if r.Method == http.MethodHead {
		return
	}
	body := o.data[first:last]
	if cut >= 0 && cut < int64(len(body)) {
		_, _ = w.Write(body[:cut])
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
		s.finishCall(seq, "connection dropped")
		// The sentinel makes net/http close the connection without logging a
		// stack: the client sees its body end early.
		panic(http.ErrAbortHandler)
	}
	_, _ = w.Write(body)
}

// parseRange reads a Range header of one range (bytes=a-b, bytes=a-,
// bytes=-n) and returns the half-open span to send. A header it cannot read
// is ignored, as HTTP says; a range that starts beyond the object is not
// satisfiable.
func parseRange(h string, size int64) (first, last int64, partial, ok bool) {
	spec, found := strings.CutPrefix(h, "bytes=")
	if !found || strings.Contains(spec, ",") {
		return 0, size, false, true
	}
	a, b, found := strings.Cut(spec, "-")
	if !found {
		return 0, size, false, true
	}
	if a == "" {
		n, err := strconv.ParseInt(b, 10, 64)
		if err != nil || n < 0 {
			return 0, size, false, true
		}
		if n == 0 {
			return 0, 0, false, false
		}
		return max(0, size-n), size, true, true
	}
	start, err := strconv.ParseInt(a, 10, 64)
	if err != nil || start < 0 {
		return 0, size, false, true
	}
	end := size - 1
	if b != "" {
		if end, err = strconv.ParseInt(b, 10, 64); err != nil || end < start {
			return 0, size, false, true
		}
		end = min(end, size-1)
	}
	if start >= size {
		return 0, 0, false, false
	}
	return start, end + 1, true, true
}

// writeS3Error writes S3's error document with the status of its code; a
// HEAD answer has the status and headers only, so the SDK names the error
// after the status (NotFound, Forbidden, MovedPermanently).
func writeS3Error(w http.ResponseWriter, r *http.Request, reqID string, e *s3Error) {
	for k, v := range e.header {
		w.Header()[k] = v
	}
	status := s3Status(e.code)
	if r.Method == http.MethodHead {
		w.Header().Set("x-amz-request-id", reqID)
		w.WriteHeader(status)
		return
	}
	e.doc.RequestID = reqID
	e.doc.HostID = "fakeaws"
	writeS3XML(w, reqID, status, e.doc)
}

func writeS3XML(w http.ResponseWriter, reqID string, status int, v any) {
	payload, err := xml.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("fakeaws: encode S3 answer: %v", err))
	}
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("x-amz-request-id", reqID)
	w.Header().Set("x-amz-id-2", "fakeaws")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(xml.Header))
	_, _ = w.Write(payload)
}
