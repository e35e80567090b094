package pushdown

import (
	"testing"

	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/filter"
)

// BenchmarkCompileAll compiles a typical explorer filter to all three forms, as a filter
// change in the explorer will (the Live Tail restart is debounced; this is the cost per
// restart on flowlens's side).
func BenchmarkCompileAll(b *testing.B) {
	n, err := filter.Parse("reject addr=172.16.0.0/12 (dport=22 or dport=3389) eni=eni-0abc* not flags=syn")
	if err != nil {
		b.Fatal(err)
	}
	f := model.MustParseFormat("version vpc-id subnet-id instance-id interface-id account-id type srcaddr dstaddr srcport dstport pkt-srcaddr pkt-dstaddr protocol bytes packets start end action tcp-flags log-status")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Pattern(n, f); err != nil {
			b.Fatal(err)
		}
		if _, err := Insights(n, f, InsightsOptions{}); err != nil {
			b.Fatal(err)
		}
		if _, err := SQL(n, SQLOptions{Columns: f}); err != nil {
			b.Fatal(err)
		}
	}
}
