package s3

import (
	"context"
	"errors"
	"net/http"
	"sync"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
)

// client is an S3 client for one bucket that follows the bucket to its Region: S3
// answers a request sent to another Region with a redirect (301 PermanentRedirect, or
// 400 AuthorizationHeaderMalformed when only the signature's Region is wrong) and names
// the right one in the x-amz-bucket-region header; the request is sent again there, and
// so is every later one, as the AWS CLI does.
type client struct {
	mu       sync.Mutex
	c        *awss3.Client
	region   string
	followed string // the Region a redirect moved to, for a note
}

func newClient(c *awss3.Client) *client {
	return &client{c: c, region: c.Options().Region}
}

// do runs one call, and runs it again in the bucket's Region when S3 says it lives in
// another one.
func (cl *client) do(ctx context.Context, call func(*awss3.Client) error) error {
	cl.mu.Lock()
	c, region := cl.c, cl.region
	cl.mu.Unlock()
	err := call(c)
	to := redirectRegion(err)
	if to == "" || to == region {
		return err
	}
	cl.mu.Lock()
	if cl.region == region {
		cl.c = awss3.New(cl.c.Options(), func(o *awss3.Options) { o.Region = to })
		cl.region, cl.followed = to, to
	}
	c = cl.c
	cl.mu.Unlock()
	return call(c)
}

// Region is the Region requests go to: the client's, or the bucket's once a redirect
// said so.
func (cl *client) Region() string {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	return cl.region
}

// redirectRegion returns the Region S3 named in an error that says the bucket lives
// elsewhere, or "".
func redirectRegion(err error) string {
	var re *awshttp.ResponseError
	if err == nil || !errors.As(err, &re) || re.Response == nil {
		return ""
	}
	switch re.HTTPStatusCode() {
	case http.StatusMovedPermanently, http.StatusTemporaryRedirect, http.StatusBadRequest, http.StatusForbidden:
		return re.Response.Header.Get("X-Amz-Bucket-Region")
	}
	return ""
}
