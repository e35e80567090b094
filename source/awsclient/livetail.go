package awsclient

import (
	"io"
	"net/http"
	"sync"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
)

// LiveTailClient returns a client for one Live Tail session; every StartLiveTail call
// of flowlens, and of its tests, goes through one. Two faults of the SDK
// versions flowlens builds with (cloudwatchlogs v1.92.0, smithy-go v1.28.8) would
// otherwise kill sessions at random, as the tests against the fake server showed:
//
//   - A client decodes all its event streams with one shared codec, so the reader of a
//     session that is ending races the reader of the next one. cloudwatchlogs.New
//     builds a fresh codec and keeps the rest of the client's options.
//   - smithy closes the request body as soon as the response headers are in, while
//     net/http may still be reading that body to its end; the read then fails, net/http
//     closes the connection, and the event stream on it dies ("use of closed network
//     connection"). An ordinary call retries; a Live Tail session is lost. The HTTP
//     client below returns only once net/http has finished with the body.
func LiveTailClient(logs *cloudwatchlogs.Client) *cloudwatchlogs.Client {
	opts := logs.Options()
	next := opts.HTTPClient
	if next == nil {
		next = awshttp.NewBuildableClient()
	}
	opts.HTTPClient = bodyFirst{next}
	return cloudwatchlogs.New(opts)
}

// bodyFirst is an HTTP client that returns a response only after the request body has
// been written and closed by the transport.
type bodyFirst struct{ next cloudwatchlogs.HTTPClient }

func (c bodyFirst) Do(req *http.Request) (*http.Response, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return c.next.Do(req)
	}
	body := &signalOnClose{ReadCloser: req.Body, closed: make(chan struct{})}
	req.Body = body
	resp, err := c.next.Do(req)
	if err == nil {
		select {
		case <-body.closed:
		case <-req.Context().Done():
		}
	}
	return resp, err
}

// signalOnClose closes a channel when the transport closes the body.
type signalOnClose struct {
	io.ReadCloser
	once   sync.Once
	closed chan struct{}
}

func (b *signalOnClose) Close() error {
	err := b.ReadCloser.Close()
	b.once.Do(func() { close(b.closed) })
	return err
}
