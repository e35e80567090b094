package source

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func streamLine(i int) string {
	return fmt.Sprintf("2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 %d 22 6 20 4249 1418530010 1418530070 ACCEPT OK\n", 1000+i)
}

func gzipped(s string) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.Bytes()
}

// trackedBody counts the streams open at once.
type trackedBody struct {
	io.Reader
	open *atomic.Int32
	once sync.Once
}

func (b *trackedBody) Close() error {
	b.once.Do(func() { b.open.Add(-1) })
	return nil
}

func TestReadStreamsOverlapsDownloadsAndKeepsOrder(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	const n, ahead = 6, 3
	var open, most atomic.Int32
	// Stream 0 cannot be opened before stream 2 is: a reader that read one stream at a
	// time would never get there, and the test would time out instead of passing.
	thirdOpened := make(chan struct{})
	streams := make(chan Stream, n)
	for i := 0; i < n; i++ {
		data := gzipped(streamLine(2*i) + streamLine(2*i+1))
		streams <- Stream{Name: fmt.Sprintf("s3://b/k%d", i), Size: int64(len(data)), Open: func(ctx context.Context) (io.ReadCloser, error) {
			for m := open.Add(1); ; {
				if old := most.Load(); m <= old || most.CompareAndSwap(old, m) {
					break
				}
			}
			switch i {
			case 0:
				select {
				case <-thirdOpened:
				case <-ctx.Done():
					return nil, ctx.Err()
				}
			case 2:
				close(thirdOpened)
			}
			return &trackedBody{Reader: bytes.NewReader(data), open: &open}, nil
		}}
	}
	close(streams)
	var got []string
	var indexes []int
	ReadStreams(ctx, streams, StreamOptions{Ahead: ahead}, nil, func(c *Chunk) bool {
		if c.Err != nil {
			t.Errorf("%s: %v", c.Input, c.Err)
		}
		for i := range c.Records {
			got = append(got, fmt.Sprint(c.Records[i].SrcPort))
		}
		if c.Progress.InputDone {
			indexes = append(indexes, c.Progress.Index)
			if c.Progress.Read != c.Progress.Total {
				t.Errorf("%s done at %d of %d bytes", c.Input, c.Progress.Read, c.Progress.Total)
			}
		}
		return true
	})
	if ctx.Err() != nil {
		t.Fatal("the streams were read one at a time")
	}
	var want []string
	for i := 0; i < 2*n; i++ {
		want = append(want, fmt.Sprint(1000+i))
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("records out of order:\n got %v\nwant %v", got, want)
	}
	if fmt.Sprint(indexes) != "[0 1 2 3 4 5]" {
		t.Fatalf("streams finished in order %v", indexes)
	}
	if m := most.Load(); m > ahead {
		t.Fatalf("%d streams open at once, ahead is %d", m, ahead)
	}
}

func TestReadStreamsReportsAFailedStreamAndGoesOn(t *testing.T) {
	streams := make(chan Stream, 3)
	streams <- Stream{Name: "one", Open: func(context.Context) (io.ReadCloser, error) {
		return io.NopCloser(strings.NewReader(streamLine(1))), nil
	}}
	streams <- Stream{Name: "two", Open: func(context.Context) (io.ReadCloser, error) {
		return nil, errors.New("s3://b/two: access denied")
	}}
	streams <- Stream{Name: "three", Open: func(context.Context) (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(gzipped(streamLine(3))[:20])), nil // cut short
	}}
	close(streams)
	var errs []string
	records := 0
	ReadStreams(context.Background(), streams, StreamOptions{}, nil, func(c *Chunk) bool {
		records += len(c.Records)
		if c.Err != nil {
			errs = append(errs, c.Err.Error())
		}
		return true
	})
	if records != 1 || len(errs) != 2 || errs[0] != "s3://b/two: access denied" || !strings.Contains(errs[1], "three: the data ends early") {
		t.Fatalf("%d records, errors %q", records, errs)
	}
}

func TestReadStreamsStopsWhenTheSinkDoes(t *testing.T) {
	streams := make(chan Stream)
	done := make(chan struct{})
	go func() {
		defer close(streams)
		for i := 0; ; i++ {
			select {
			case streams <- Stream{Name: fmt.Sprint(i), Open: func(context.Context) (io.ReadCloser, error) {
				return io.NopCloser(strings.NewReader(streamLine(i))), nil
			}}:
			case <-done:
				return
			}
		}
	}()
	seen := 0
	ReadStreams(context.Background(), streams, StreamOptions{}, nil, func(c *Chunk) bool {
		seen++
		return seen < 5
	})
	close(done)
	if seen != 5 {
		t.Fatalf("sink called %d times after it said stop at 5", seen)
	}
}
