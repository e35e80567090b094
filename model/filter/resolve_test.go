package filter

import (
	"math"
	"net/netip"
	"testing"

	"github.com/flowlens/flowlens/model"
)

func TestResolveLeaf(t *testing.T) {
	for _, c := range []struct {
		expr string
		want Leaf
	}{
		{"dport=ssh", Leaf{Kind: LeafNumber, Fields: []model.Field{model.FDstPort}, Lo: 22, Hi: 22}},
		{"dport<1024", Leaf{Kind: LeafNumber, Fields: []model.Field{model.FDstPort}, Lo: 0, Hi: 1023}},
		{"dport<0", Leaf{Kind: LeafNumber, Fields: []model.Field{model.FDstPort}, Lo: 1, Hi: 0}},
		{"bytes>1k", Leaf{Kind: LeafNumber, Fields: []model.Field{model.FBytes}, Lo: 1001, Hi: math.MaxUint64}},
		{"port!=20-21", Leaf{Kind: LeafNumber, Fields: []model.Field{model.FSrcPort, model.FDstPort}, Negated: true, Lo: 20, Hi: 21}},
		{"tcp", Leaf{Kind: LeafNumber, Fields: []model.Field{model.FProtocol}, Lo: 6, Hi: 6}},
		{"start>=2024-05-01", Leaf{Kind: LeafNumber, Fields: []model.Field{model.FStart}, Lo: 1714521600, Hi: math.MaxUint64}},
		{"addr=10.1.2.3/8", Leaf{Kind: LeafAddr, Fields: []model.Field{model.FSrcAddr, model.FDstAddr}, Prefix: netip.MustParsePrefix("10.0.0.0/8")}},
		{"src=::1", Leaf{Kind: LeafAddr, Fields: []model.Field{model.FSrcAddr}, Prefix: netip.MustParsePrefix("::1/128")}},
		{"eni=ENI-0A*", Leaf{Kind: LeafString, Fields: []model.Field{model.FInterfaceID}, Glob: "eni-0a*"}},
		{"reject", Leaf{Kind: LeafEnum, Fields: []model.Field{model.FAction}, Enum: "REJECT"}},
		{"dir!=in", Leaf{Kind: LeafEnum, Fields: []model.Field{model.FFlowDirection}, Negated: true, Enum: "ingress"}},
		{"flags=syn", Leaf{Kind: LeafFlags, Fields: []model.Field{model.FTCPFlags}, Need: 2, Exclude: 16}},
		{"flags=syn+syn-ack", Leaf{Kind: LeafFlags, Fields: []model.Field{model.FTCPFlags}, Need: 18}},
		{"flags=18", Leaf{Kind: LeafNumber, Fields: []model.Field{model.FTCPFlags}, Lo: 18, Hi: 18}},
		{`"Accept OK"`, Leaf{Kind: LeafSubstring, Text: "accept ok"}},
	} {
		n, err := Parse(c.expr)
		if err != nil {
			t.Fatal(err)
		}
		got, err := ResolveLeaf(n, Options{})
		if err != nil {
			t.Fatalf("%s: %v", c.expr, err)
		}
		if got.Kind != c.want.Kind || got.Negated != c.want.Negated || got.Lo != c.want.Lo || got.Hi != c.want.Hi ||
			got.Prefix != c.want.Prefix || got.Glob != c.want.Glob || got.Enum != c.want.Enum || got.Need != c.want.Need ||
			got.Exclude != c.want.Exclude || got.Text != c.want.Text || len(got.Fields) != len(c.want.Fields) {
			t.Errorf("%s: %+v, want %+v", c.expr, got, c.want)
			continue
		}
		for i := range got.Fields {
			if got.Fields[i] != c.want.Fields[i] {
				t.Errorf("%s: fields %v, want %v", c.expr, got.Fields, c.want.Fields)
			}
		}
	}
	// Errors are the filter's own.
	n, _ := Parse("dsport=22")
	if _, err := ResolveLeaf(n, Options{}); err == nil || err.Error() != "unknown field 'dsport' at 1, did you mean 'dstport'?" {
		t.Errorf("error = %v", err)
	}
}
