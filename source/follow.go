package source

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"
)

// pollEvery is how often a followed file is checked for new lines, rotation and
// truncation. Polling works on every file system (network mounts included), which is why
// tail -F falls back to it too; a quarter second is below what a person notices.
var pollEvery = 250 * time.Millisecond

// FollowFile reads a file and then keeps reading what is appended to it, the way
// `tail -F` does: it survives rotation (the file renamed and recreated), truncation, and
// a file that does not exist yet. A partial last line is held until its newline arrives.
// New records must not wait on a slow screen, so they are dropped and counted instead.
func FollowFile(ctx context.Context, path string, opts Options) Feed {
	if isGzip(path) {
		// A compressed file is finished when it is written; there is nothing to follow.
		return OpenFiles(ctx, []Input{{Name: path, Path: path}}, opts)
	}
	f := newFeed(ctx, true)
	f.setStatus(Status{Source: path, State: StateReading})
	go func() {
		defer f.close()
		defer ReportPanic(f.fail)
		fl := &follower{feed: f, path: path, opts: opts}
		pipeline(f.ctx, fl.produce, opts.Workers, nil, func(c *Chunk) bool {
			f.add(c.Records, &c.Stats)
			if c.Err != nil {
				f.fail(c.Err)
			}
			f.updateStatus(func(s *Status) { s.Progress = c.Progress })
			return true
		})
	}()
	return f
}

type follower struct {
	*feed
	path string
	opts Options
}

// produce is the follow loop: read to the end, then poll for growth, a new file at the
// path, or a shrunken one.
func (fl *follower) produce(ctx context.Context, emit func(*Chunk) bool) {
	var (
		file    *os.File
		info    os.FileInfo
		offset  int64
		s       *splitter
		waiting bool
	)
	defer func() {
		if file != nil {
			file.Close()
		}
	}()
	reopen := func(note string) bool {
		if file != nil {
			file.Close()
			file = nil
		}
		f, err := os.Open(fl.path)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				if !waiting {
					waiting = true
					fl.updateStatus(func(st *Status) { st.State = StateFollowing; st.Note = "waiting for the file to appear" })
				}
				return false
			}
			fl.fail(fmt.Errorf("cannot open %s: %w", fl.path, describeOSError(err)))
			return false
		}
		st, err := f.Stat()
		if err != nil {
			f.Close()
			return false
		}
		file, info, offset, waiting = f, st, 0, false
		s = newSplitter(fl.path, fl.opts.Format)
		s.live, s.follow = true, true
		fl.updateStatus(func(st *Status) { st.State = StateFollowing; st.Note = note })
		return true
	}
	reopen("")
	for ctx.Err() == nil {
		if !fl.wait() {
			return
		}
		if file != nil {
			c, err := s.read(file)
			offset, _ = file.Seek(0, io.SeekCurrent)
			c.Progress = Progress{Input: fl.path, Inputs: 1, Read: offset, Total: max(offset, info.Size()), Following: true, LinesTotal: s.line}
			if len(c.data) > 0 || c.Stats.Lines > 0 || c.Err != nil {
				if !emit(c) {
					return
				}
			}
			if err == nil {
				continue // more may be waiting
			}
			if !errors.Is(err, io.EOF) {
				fl.fail(fmt.Errorf("reading %s: %w", fl.path, err))
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(pollEvery):
		}
		now, err := os.Stat(fl.path)
		switch {
		case err != nil && file == nil:
			continue // still waiting for it to appear
		case err != nil:
			// Gone (renamed away, not yet recreated): keep the old file open and wait.
			continue
		case file == nil:
			reopen("")
		case !os.SameFile(info, now):
			// Rotated: the old file was read to its end above; start on the new one.
			reopen("file rotated: reading the new file")
		case now.Size() < offset:
			// Truncated: start again from the top; the held partial line is gone with it.
			if _, err := file.Seek(0, io.SeekStart); err == nil {
				s.carry = s.carry[:0]
				offset = 0
				info = now
				fl.updateStatus(func(st *Status) { st.Note = "file truncated: reading from the start" })
			}
		default:
			info = now
		}
	}
}

func isGzip(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	var head [2]byte
	n, _ := io.ReadFull(f, head[:])
	return n == 2 && head[0] == gzipMagic[0] && head[1] == gzipMagic[1]
}
