package insights

import (
	"fmt"
	"math"
	"time"
)

// What `--history auto` weighs, from AWS's documentation.
const (
	// FilterPageBytes is what one FilterLogEvents page holds at most (1 MB, or 10,000
	// events, whichever comes first).
	FilterPageBytes = 1 << 20
	// FilterPagesPerSecond is FilterLogEvents' quota: about 5 requests per second per
	// account and Region, shared with every other reader.
	FilterPagesPerSecond = 5
	// PricePerGBScanned is what Insights bills per GB scanned (US East; other Regions
	// differ a little). FilterLogEvents has no charge of its own.
	PricePerGBScanned = 0.005
	// AutoInsightsPages is where auto switches to Insights: a history of more than
	// this many FilterLogEvents pages (about 100 MiB, 20 s at the whole quota) is
	// cheaper in time to have Insights search.
	AutoInsightsPages = 100
	// AutoInsightsSpan is the switch when the groups' size is unknown.
	AutoInsightsSpan = 6 * time.Hour
)

// Estimate is what is known of a history before reading it.
type Estimate struct {
	// Span is the time range asked for (until or now, minus since).
	Span time.Duration
	// StoredBytes is the groups' size (DescribeLogGroups' storedBytes, summed) and
	// Stored the time it covers (the groups' age, or their retention if shorter): their
	// ratio is the average rate the groups grow at. Zero when unknown.
	StoredBytes int64
	Stored      time.Duration
}

// Choice is what auto chose, and the cost driver in words, for a person.
type Choice struct {
	Insights bool
	// Bytes is the estimated size of the history (0 when unknown).
	Bytes float64
	// Reason says what decided it: the pages FilterLogEvents would need at its quota,
	// or what Insights would bill.
	Reason string
}

// Choose decides between FilterLogEvents and Logs Insights for a history. FilterLogEvents
// costs nothing but time: about 1 MB a page at about 5 pages a second, a quota shared
// with every other reader of the account. Insights searches in parallel on AWS's side
// and bills $0.005 per GB scanned. So a history that would take more than
// AutoInsightsPages pages goes to Insights; when the groups' size is unknown, a span
// longer than AutoInsightsSpan does.
func Choose(e Estimate) Choice {
	if e.StoredBytes <= 0 || e.Stored <= 0 {
		if e.Span > AutoInsightsSpan {
			return Choice{Insights: true, Reason: fmt.Sprintf("Logs Insights: %s of history, and the groups' size is unknown (more than %s goes to Insights, billed at $%.3f per GB scanned)", human(e.Span), human(AutoInsightsSpan), PricePerGBScanned)}
		}
		return Choice{Reason: fmt.Sprintf("FilterLogEvents: %s of history, and the groups' size is unknown (up to %s is read page by page, at no charge)", human(e.Span), human(AutoInsightsSpan))}
	}
	span := min(e.Span, e.Stored)
	bytes := float64(e.StoredBytes) * span.Seconds() / e.Stored.Seconds()
	pages := math.Ceil(bytes / FilterPageBytes)
	wait := time.Duration(pages / FilterPagesPerSecond * float64(time.Second)).Round(time.Second)
	cost := bytes / 1e9 * PricePerGBScanned
	size := fmt.Sprintf("about %s in %s (estimated from the groups' stored bytes)", humanBytes(bytes), human(e.Span))
	if pages > AutoInsightsPages {
		return Choice{Insights: true, Bytes: bytes, Reason: fmt.Sprintf("Logs Insights: %s would take about %.0f FilterLogEvents pages at %d a second (%s at the whole account's quota); Insights scans it for about $%.4f", size, pages, FilterPagesPerSecond, wait, cost)}
	}
	return Choice{Bytes: bytes, Reason: fmt.Sprintf("FilterLogEvents: %s is about %.0f pages (%s at %d a second), at no charge; Insights would bill about $%.4f", size, pages, wait, FilterPagesPerSecond, cost)}
}

// human writes a span as a person says it: 15m, 6h, 7d.
func human(d time.Duration) string {
	switch {
	case d >= 24*time.Hour && d%(24*time.Hour) == 0:
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	case d >= time.Hour && d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d >= time.Minute:
		return d.Round(time.Minute).String()
	}
	return d.Round(time.Second).String()
}

// HumanBytes writes a byte count as the status bar shows it: 12.3 MiB.
func HumanBytes(n float64) string { return humanBytes(n) }

func humanBytes(n float64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB"}
	i := 0
	for n >= 1024 && i < len(units)-1 {
		n /= 1024
		i++
	}
	if i == 0 {
		return fmt.Sprintf("%.0f B", n)
	}
	return fmt.Sprintf("%.1f %s", n, units[i])
}
