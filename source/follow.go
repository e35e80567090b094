package source

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"

	"github.com/flowlens/flowlens/feed"
	"github.com/flowlens/flowlens/model"
)

// pollEvery is how often a followed file is checked for new lines, rotation and
// truncation. Polling works on every file system (network mounts included), which is why
// tail -F falls back to it too; a quarter second is below what a person notices.
var pollEvery = 250 * time.Millisecond

// maxPollEvery is how long the polling backs off to while the path is not a file that
// can be read (a directory now stands there, say): such a path is checked less and
// less often, and said once, not on every poll.
var maxPollEvery = 5 * time.Second

// FollowFile reads a file and then keeps reading what is appended to it, the way
// `tail -F` does: it survives rotation (the file renamed and recreated), truncation, and
// a file that does not exist yet. A partial last line is held until its newline arrives.
// What the file holds when it is opened is read whole, at the screen's pace; after that,
// new records must not wait on a slow screen, so they are dropped and counted instead.
func FollowFile(ctx context.Context, path string, opts Options) Feed {
	if isGzip(path) {
		// A compressed file is finished when it is written; there is nothing to follow.
		return OpenFiles(ctx, []Input{{Name: path, Path: path}}, opts)
	}
	f := newFeed(ctx, false)
	name := model.CleanText(path)
	f.setStatus(feed.Status{Source: name, State: feed.StateReading})
	go func() {
		defer f.close()
		defer ReportPanic(f.fail)
		fl := &follower{sourceFeed: f, path: path, name: name, opts: opts}
		pipeline(f.ctx, fl.produce, opts.Workers, opts.Needles, nil, func(c *Chunk) bool {
			if c.live {
				// The history's records, parsed on other goroutines, are all in: the
				// sink sees the chunks in order. New records do not wait for the screen.
				f.drop.Store(true)
			}
			f.add(c.Records, &c.Stats)
			if c.Err != nil {
				f.fail(c.Err)
			}
			f.updateStatus(func(s *feed.Status) { s.Progress = c.Progress.feed() })
			return true
		})
	}()
	return f
}

type follower struct {
	*sourceFeed
	path string
	name string // the path as shown: cleaned
	opts Options
}

// produce is the follow loop: read to the end, then poll for growth, a new file at the
// path, or a shrunken or rewritten one.
func (fl *follower) produce(ctx context.Context, emit func(*Chunk) bool) {
	var (
		file    *os.File
		info    os.FileInfo
		offset  int64
		s       *splitter
		waiting bool
		head    []byte // the file's first bytes, to notice a rewrite that is not shorter
		trouble string // why the path cannot be read (a directory stands there): said once
		poll    = pollEvery
		// historyRead: what the file held when it was first opened has been read
		historyRead bool
	)
	// sayOnce reports a problem with the path in the status bar and the log, once for as
	// long as it lasts; polling then backs off.
	sayOnce := func(msg string) {
		if msg == trouble {
			return
		}
		trouble = msg
		fl.fail(errors.New(msg))
		fl.updateStatus(func(st *feed.Status) { st.State = feed.StateFollowing; st.Note = msg })
	}
	defer func() {
		if file != nil {
			file.Close()
		}
	}()
	// drain reads what is there; false when the screen is gone.
	drain := func() bool {
		for {
			c, err := s.read(file)
			c.live = historyRead
			offset, _ = file.Seek(0, io.SeekCurrent)
			c.Progress = Progress{Input: fl.name, Inputs: 1, Read: offset, Total: max(offset, info.Size()), Following: true, LinesTotal: s.line}
			if len(c.data) > 0 || c.split.Lines > 0 || c.Err != nil {
				if !emit(c) {
					return false
				}
			}
			if err != nil {
				if !errors.Is(err, io.EOF) {
					fl.fail(fmt.Errorf("reading %s: %w", fl.name, describeOSError(err)))
				}
				if len(head) < headBytes {
					head = readHead(file)
				}
				return true
			}
		}
	}
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
					fl.updateStatus(func(st *feed.Status) { st.State = feed.StateFollowing; st.Note = "waiting for the file to appear" })
				}
				return false
			}
			sayOnce(fmt.Sprintf("cannot open %s: %v: waiting for it to be readable", fl.name, describeOSError(err)))
			return false
		}
		st, err := f.Stat()
		if err != nil {
			f.Close()
			return false
		}
		if st.IsDir() {
			// Opening a directory succeeds and reading it fails, on every poll.
			f.Close()
			sayOnce(fl.name + " is a directory now, not a file: waiting for a file there")
			return false
		}
		if trouble != "" {
			trouble, poll = "", pollEvery
			fl.updateStatus(func(st *feed.Status) { st.Note = "" })
		}
		file, info, offset, waiting, head = f, st, 0, false, nil
		s = newSplitter(fl.name, fl.opts.Format)
		s.live, s.follow = true, true
		fl.updateStatus(func(st *feed.Status) { st.State = feed.StateFollowing; st.Note = note })
		return true
	}
	reopen("")
	for ctx.Err() == nil {
		if !fl.wait() {
			return
		}
		if file != nil {
			if !drain() {
				return
			}
			// The file's contents so far are all read; the chunks read from now on are
			// live (the sink stops waiting for the screen when the first arrives).
			historyRead = true
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(poll):
		}
		if trouble != "" {
			poll = min(2*poll, maxPollEvery)
		}
		now, err := os.Stat(fl.path)
		switch {
		case err != nil:
			continue // not there yet, or renamed away and not yet recreated: keep waiting
		case file == nil:
			reopen("")
		case !os.SameFile(info, now):
			// Rotated: what was written to the old file since the last read comes first,
			// its unterminated last line included, then the new file from its start.
			if !drain() {
				return
			}
			if len(s.carry) > 0 {
				s.carry = append(s.carry, '\n')
				c := s.chunk()
				c.data = append(getBlock(), s.carry...)
				s.scan(s.carry)
				s.carry = s.carry[:0]
				if !emit(c) {
					return
				}
			}
			reopen("file rotated: reading the new file")
		case now.Size() < offset || !sameHead(file, head):
			// Truncated, or rewritten (perhaps longer than before, within one poll): start
			// again from the top; the held partial line is gone with it.
			if _, err := file.Seek(0, io.SeekStart); err == nil {
				s.carry = s.carry[:0]
				offset, head = 0, nil
				info = now
				fl.updateStatus(func(st *feed.Status) { st.Note = "file truncated: reading from the start" })
			}
		default:
			info = now
		}
	}
}

// headBytes is how much of a followed file's start is remembered to notice a rewrite.
const headBytes = 256

// readHead reads the first bytes of a file without moving its offset.
func readHead(f *os.File) []byte {
	buf := make([]byte, headBytes)
	n, _ := f.ReadAt(buf, 0)
	return buf[:n]
}

// sameHead reports whether the file still starts with head: a file truncated and written
// again differs there (flow-log lines carry their times), however long it grew.
func sameHead(f *os.File, head []byte) bool {
	if len(head) == 0 {
		return true
	}
	buf := make([]byte, len(head))
	n, _ := f.ReadAt(buf, 0)
	return n == len(head) && string(buf) == string(head)
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
