package cloudwatch

import "github.com/flowlens/flowlens/source/clock"

// Clock is the time the source works by (source/clock): tests inject one they advance,
// so that back-off, polling and look-back windows are exercised without waiting.
type Clock = clock.Clock
