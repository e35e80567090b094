// Package insights runs CloudWatch Logs Insights queries for flowlens within AWS's
// limits, so that a day or a week of a busy log group is searched (Records) or counted
// (Groups) by AWS instead of being downloaded page by page.
//
// What it handles, so that callers do not hit the limits:
//
//   - Row limit. A query returns at most RowLimit rows (10,000 unless raised). A query
//     whose answer may be cut is split by time: StartQuery's times are whole seconds
//     and both inclusive, so the pieces are adjacent ranges of seconds that share
//     none ([a, m] and [m+1, b]); records are delivered without duplicates or gaps,
//     and groups are merged from every piece's full groups (never from per-piece
//     top-Ns, which no query here asks for).
//   - Concurrency. AWS allows 30 queries at once per account (100 on some accounts),
//     shared with every dashboard and person in the account during an incident. A
//     Runner runs at most MaxConcurrent (4) at once, and waits with back-off when
//     StartQuery answers LimitExceededException.
//   - Polling. GetQueryResults is polled with a growing pause, and its pages are
//     followed (nextToken) where the account returns them.
//   - Cancellation. A query still running when its context ends is stopped with
//     StopQuery (Insights bills the bytes a query scans until it ends).
//   - Failures are reported plainly: a query that timed out (Insights' 60-minute
//     limit), failed, or was cancelled by someone else; throttling is waited out.
//   - Cost. Insights bills by the bytes scanned; Stats adds up statistics.bytesScanned
//     of every query, for the status bar and stderr.
package insights
