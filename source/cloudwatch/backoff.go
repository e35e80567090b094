package cloudwatch

import "time"

// backoff spaces out retries after throttling and failures: exponential, so that a
// quota shared with other readers recovers, and jittered, so that readers that were
// throttled together do not come back together. The n-th wait lies in
// [base*2^(n-1), base*2^n) ("equal jitter"), so every wait is longer than the one before
// until the cap.
type backoff struct {
	base, max time.Duration
	jitter    func() float64
	attempt   int
}

func newBackoff(t Timing) backoff {
	return backoff{base: t.BackoffBase, max: t.BackoffMax, jitter: t.Jitter}
}

// next returns the wait before the next attempt and counts the attempt.
func (b *backoff) next() time.Duration {
	ceiling := b.max
	if b.attempt < 30 {
		ceiling = min(b.base<<b.attempt, b.max)
	}
	b.attempt++
	half := ceiling / 2
	return half + time.Duration(b.jitter()*float64(ceiling-half))
}

// reset starts over after a success.
func (b *backoff) reset() { b.attempt = 0 }
