package cloudwatch

import (
	"context"
	"github.com/flowlens/flowlens/source"
	"github.com/flowlens/flowlens/source/awsclient"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
)

// liveUpdate is one sessionUpdate, stamped with when it arrived.
type liveUpdate struct {
	at      time.Time
	sampled bool
	events  []types.LiveTailSessionLogEvent
}

// maxQueued bounds the live events held while the history is read or the screen is
// busy. AWS itself keeps only 10 updates (5000 events) for a slow reader and then drops
// the oldest; this queue is far larger, and what it has to drop is counted.
const maxQueued = 1 << 18

// session is an open Live Tail session. Its stream is drained by a goroutine of its own
// into a queue, because AWS drops the oldest events of a reader that falls behind, and
// the reader is behind by design while the history is read.
type session struct {
	stream  *cloudwatchlogs.StartLiveTailEventStream
	started time.Time

	ready chan struct{} // closed at sessionStart
	done  chan struct{} // closed when the stream has ended; err is then set
	err   error

	mu      sync.Mutex
	queue   []liveUpdate
	queued  int
	dropped int
	notify  chan struct{}

	closeOnce sync.Once
}

// startSession opens a Live Tail session on the groups and waits for its sessionStart,
// after which AWS delivers everything it ingests for the session.
func startSession(ctx context.Context, logs *cloudwatchlogs.Client, in *cloudwatchlogs.StartLiveTailInput, clock Clock) (*session, error) {
	out, err := awsclient.LiveTailClient(logs).StartLiveTail(ctx, in)
	if err != nil {
		return nil, err
	}
	s := &session{
		stream: out.GetStream(),
		ready:  make(chan struct{}),
		done:   make(chan struct{}),
		notify: make(chan struct{}, 1),
	}
	go s.drain(clock)
	select {
	case <-s.ready:
		s.started = clock.Now()
		return s, nil
	case <-s.done:
		s.Close()
		if s.err != nil {
			return nil, s.err
		}
		return nil, errSessionLost
	case <-ctx.Done():
		s.Close()
		return nil, ctx.Err()
	}
}

// drain moves the stream's events into the queue until the stream ends.
func (s *session) drain(clock Clock) {
	defer close(s.done)
	defer source.ReportPanic(func(err error) { s.err = err })
	readyOnce := sync.OnceFunc(func() { close(s.ready) })
	for ev := range s.stream.Events() {
		switch v := ev.(type) {
		case *types.StartLiveTailResponseStreamMemberSessionStart:
			readyOnce()
		case *types.StartLiveTailResponseStreamMemberSessionUpdate:
			readyOnce()
			up := liveUpdate{at: clock.Now(), events: v.Value.SessionResults}
			if md := v.Value.SessionMetadata; md != nil {
				up.sampled = md.Sampled
			}
			s.push(up)
		}
	}
	// Set before done is closed, which publishes it to the reader.
	s.err = s.stream.Err()
}

func (s *session) push(up liveUpdate) {
	s.mu.Lock()
	s.queue = append(s.queue, up)
	s.queued += len(up.events)
	for s.queued > maxQueued && len(s.queue) > 1 {
		s.queued -= len(s.queue[0].events)
		s.dropped += len(s.queue[0].events)
		s.queue = s.queue[1:]
	}
	s.mu.Unlock()
	select {
	case s.notify <- struct{}{}:
	default:
	}
}

// take returns the queued updates and the number of events dropped since the last take.
func (s *session) take() ([]liveUpdate, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q, d := s.queue, s.dropped
	s.queue, s.queued, s.dropped = nil, 0, 0
	return q, d
}

// Close ends the session: AWS bills Live Tail by the minute, so it is closed the moment
// it is not needed.
func (s *session) Close() {
	s.closeOnce.Do(func() { s.stream.Close() })
}
