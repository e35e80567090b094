package fakeaws

import (
	"encoding/base64"
	"encoding/json"
)

// pageToken is the state behind an opaque pagination token. Event searches
// resume after the last key they returned, so events added between pages
// behind the cursor (late records) are not seen by that search, and events
// added ahead of it are; list operations resume at an offset.
type pageToken struct {
	Op string `json:"o"`
	// Desc marks a FilterLogEvents search that runs newest first.
	Desc bool `json:"d,omitempty"`
	// HasKey is false before the first event was returned.
	HasKey bool     `json:"h,omitempty"`
	Key    eventKey `json:"k"`
	Offset int      `json:"n,omitempty"`
	// Serial makes every token distinct, as AWS's are: a client that stops on
	// a repeated token must not be fooled by an empty page.
	Serial int64 `json:"x,omitempty"`
}

// newToken encodes t with a fresh serial. Callers hold s.mu.
func (s *Server) newToken(t pageToken) string {
	s.tokenSeq++
	t.Serial = s.tokenSeq
	return encodeToken(t)
}

func encodeToken(t pageToken) string {
	b, _ := json.Marshal(t)
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeToken parses a token of operation op; a token of another operation
// or a malformed one is refused the way CloudWatch Logs refuses it.
func decodeToken(op, s string) (pageToken, *apiError) {
	var t pageToken
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		err = json.Unmarshal(b, &t)
	}
	if err != nil || t.Op != op {
		return pageToken{}, invalidParameter("The specified nextToken is invalid.")
	}
	return t, nil
}
