package awsclient_test

import (
	"net/http"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/flowlens/flowlens/internal/fakeaws"
	"github.com/flowlens/flowlens/source/awsclient"
)

// urlRecorder notes the URL of every request and sends nothing.
type urlRecorder struct {
	mu   sync.Mutex
	urls []string
}

func (u *urlRecorder) Do(req *http.Request) (*http.Response, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.urls = append(u.urls, req.URL.Scheme+"://"+req.URL.Host+req.URL.Path)
	return nil, http.ErrNotSupported
}

func TestNewS3AddressesAnEndpointPathStyle(t *testing.T) {
	srv := fakeaws.Serve(t)
	srv.PutObject("logs", "AWSLogs/x.log.gz", []byte("x"))
	out, err := awsclient.NewS3(srv.AWSConfig()).GetObject(testContext(t), &s3.GetObjectInput{Bucket: aws.String("logs"), Key: aws.String("AWSLogs/x.log.gz")})
	if err != nil {
		t.Fatalf("GetObject through the endpoint: %v", err)
	}
	out.Body.Close()

	rec := &urlRecorder{}
	cfg := aws.Config{Region: "eu-west-1", Credentials: credentials.NewStaticCredentialsProvider(exampleKeyID, exampleSecret, ""),
		HTTPClient: rec, Retryer: func() aws.Retryer { return aws.NopRetryer{} }}
	_, _ = awsclient.NewS3(cfg).GetObject(testContext(t), &s3.GetObjectInput{Bucket: aws.String("logs"), Key: aws.String("k")})
	if len(rec.urls) != 1 || rec.urls[0] != "https://logs.s3.eu-west-1.amazonaws.com/k" {
		t.Errorf("against AWS the SDK's virtual-hosted addressing stays: %v", rec.urls)
	}
}
