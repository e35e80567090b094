package s3

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
)

// objectBody is the body of a GetObject that survives a broken connection: S3 objects
// are read for seconds to minutes, and a reset half way is resumed with a ranged GET
// from where it stopped, pinned to the same version of the object by its ETag.
type objectBody struct {
	ctx     context.Context
	cl      *client
	bucket  string
	key     string
	etag    string
	size    int64
	body    io.ReadCloser
	off     int64
	resumes int
	explain func(error) error
}

// maxResumes bounds how often one download is resumed.
const maxResumes = 3

func (s *Source) openObject(ctx context.Context, obj objectRef, unlisted bool) (io.ReadCloser, error) {
	var out *awss3.GetObjectOutput
	err := s.cl.do(ctx, func(c *awss3.Client) error {
		var err error
		out, err = c.GetObject(ctx, &awss3.GetObjectInput{Bucket: aws.String(s.loc.Bucket), Key: aws.String(obj.key)})
		return err
	})
	explain := func(err error) error { return explainGet(ctx, s.cl, err, s.loc, obj.key, s.cfg.Profile) }
	if err != nil {
		if unlisted {
			return nil, explainUnlistedGet(ctx, s.cl, err, s.loc, obj.key, s.cfg.Profile)
		}
		return nil, explain(err)
	}
	return &objectBody{ctx: ctx, cl: s.cl, bucket: s.loc.Bucket, key: obj.key, etag: aws.ToString(out.ETag),
		size: aws.ToInt64(out.ContentLength), body: out.Body, explain: explain}, nil
}

func (b *objectBody) Read(p []byte) (int, error) {
	for {
		n, err := b.body.Read(p)
		b.off += int64(n)
		if err == nil || err == io.EOF || b.ctx.Err() != nil || b.resumes >= maxResumes || b.off >= b.size {
			return n, err
		}
		b.resumes++
		b.body.Close()
		if rerr := b.resume(); rerr != nil {
			b.body = io.NopCloser(eofReader{})
			return n, fmt.Errorf("%w (the download broke at byte %d of %d: %v)", rerr, b.off, b.size, err)
		}
		if n > 0 {
			return n, nil
		}
	}
}

func (b *objectBody) resume() error {
	var out *awss3.GetObjectOutput
	err := b.cl.do(b.ctx, func(c *awss3.Client) error {
		var err error
		out, err = c.GetObject(b.ctx, &awss3.GetObjectInput{Bucket: aws.String(b.bucket), Key: aws.String(b.key),
			Range: aws.String(fmt.Sprintf("bytes=%d-", b.off)), IfMatch: nonEmpty(b.etag)})
		return err
	})
	if err != nil {
		if errorCode(err) == "PreconditionFailed" {
			return fmt.Errorf("s3://%s/%s was replaced while it was read", b.bucket, b.key)
		}
		return b.explain(err)
	}
	b.body = out.Body
	return nil
}

func (b *objectBody) Close() error { return b.body.Close() }

type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// rangeReader is an io.ReaderAt over an S3 object, for Parquet, whose reader jumps to
// the footer and then along each column: every miss fetches the block it falls in and a
// few after it in one ranged GET, and the blocks are kept in a small LRU cache, so a row
// group costs a few requests per column, and memory stays at the cache's size however
// large the object is.
type rangeReader struct {
	ctx     context.Context
	cl      *client
	bucket  string
	key     string
	etag    string
	size    int64
	explain func(error) error

	mu    sync.Mutex
	cache []cachedBlock
	tick  uint64
}

type cachedBlock struct {
	idx  int64
	data []byte
	used uint64
}

// Range reading: 128 KiB blocks, three more read ahead on a miss, at most 64 kept
// (8 MiB); a request is at most half the cache.
const (
	rangeBlock    = 128 << 10
	rangeAhead    = 3
	rangeBlocks   = 64
	rangeMaxFetch = rangeBlocks / 2
)

func (s *Source) openRange(ctx context.Context, obj objectRef) *rangeReader {
	return &rangeReader{ctx: ctx, cl: s.cl, bucket: s.loc.Bucket, key: obj.key, etag: obj.etag, size: obj.size,
		explain: func(err error) error { return explainGet(ctx, s.cl, err, s.loc, obj.key, s.cfg.Profile) }}
}

func (r *rangeReader) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("negative offset")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for n < len(p) {
		pos := off + int64(n)
		if pos >= r.size {
			return n, io.EOF
		}
		idx := pos / rangeBlock
		data, err := r.block(idx, (off+int64(len(p))-1)/rangeBlock)
		if err != nil {
			return n, err
		}
		n += copy(p[n:], data[pos-idx*rangeBlock:])
	}
	return n, nil
}

// block returns block idx, fetching it (and the blocks up to want, or a few ahead) when
// it is not cached.
func (r *rangeReader) block(idx, want int64) ([]byte, error) {
	r.tick++
	for i := range r.cache {
		if r.cache[i].idx == idx {
			r.cache[i].used = r.tick
			return r.cache[i].data, nil
		}
	}
	last := min(max(want, idx+rangeAhead), idx+rangeMaxFetch-1, (r.size-1)/rangeBlock)
	for j := idx + 1; j <= last; j++ {
		if r.cached(j) {
			last = j - 1
			break
		}
	}
	from, to := idx*rangeBlock, min((last+1)*rangeBlock, r.size)
	var out *awss3.GetObjectOutput
	err := r.cl.do(r.ctx, func(c *awss3.Client) error {
		var err error
		out, err = c.GetObject(r.ctx, &awss3.GetObjectInput{Bucket: aws.String(r.bucket), Key: aws.String(r.key),
			Range: aws.String(fmt.Sprintf("bytes=%d-%d", from, to-1)), IfMatch: nonEmpty(r.etag)})
		return err
	})
	if err != nil {
		if errorCode(err) == "PreconditionFailed" {
			return nil, fmt.Errorf("s3://%s/%s was replaced while it was read", r.bucket, r.key)
		}
		return nil, r.explain(err)
	}
	buf := make([]byte, to-from)
	_, err = io.ReadFull(out.Body, buf)
	out.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("reading s3://%s/%s bytes %d-%d: %w", r.bucket, r.key, from, to-1, err)
	}
	var first []byte
	for j := idx; j <= last; j++ {
		lo := (j - idx) * rangeBlock
		// A copy of its own, so that evicting a block frees it whatever its neighbours do.
		data := append([]byte(nil), buf[lo:min(lo+rangeBlock, int64(len(buf)))]...)
		if j == idx {
			first = data
		}
		r.put(j, data)
	}
	return first, nil
}

func (r *rangeReader) cached(idx int64) bool {
	for i := range r.cache {
		if r.cache[i].idx == idx {
			return true
		}
	}
	return false
}

func (r *rangeReader) put(idx int64, data []byte) {
	if len(r.cache) < rangeBlocks {
		r.cache = append(r.cache, cachedBlock{idx: idx, data: data, used: r.tick})
		return
	}
	lru := 0
	for i := range r.cache {
		if r.cache[i].used < r.cache[lru].used {
			lru = i
		}
	}
	r.cache[lru] = cachedBlock{idx: idx, data: data, used: r.tick}
}
