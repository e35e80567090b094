package pushdown

import (
	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/filter"
)

// Pushed is the part of a filter that may be pushed to AWS for a view that judges
// conversations.
type Pushed struct {
	// Node is the kept expression (nil when nothing could be kept: push nothing).
	Node filter.Node
	// Terms are the kept parts as typed, for the status bar: "proto=tcp",
	// "addr=10.0.3.0/24".
	Terms []string
	// Whole is true when the whole filter was kept.
	Whole bool
}

// symmetric lists the fields whose value is the same in a record and in the record of
// the reply: what belongs to the interface, and the protocol.
var symmetric = map[model.Field]bool{
	model.FInterfaceID: true, model.FAccountID: true, model.FProtocol: true,
	model.FVPCID: true, model.FSubnetID: true, model.FInstanceID: true,
	model.FType: true, model.FRegion: true, model.FAZID: true,
	model.FSublocationType: true, model.FSublocationID: true,
	model.FResourceID: true, model.FInterfaceType: true,
	model.FInstanceTag: true, model.FInstanceTag2: true,
	model.FInterfaceTag: true, model.FInterfaceTag2: true,
	model.FASGTag: true, model.FASGTag2: true,
	model.FECSClusterARN: true, model.FECSClusterName: true,
	model.FECSContainerInstanceARN: true, model.FECSContainerInstanceID: true,
	model.FECSServiceName: true, model.FECSTaskDefinitionARN: true,
	model.FECSTaskARN: true, model.FECSTaskID: true,
}

// BothDirections keeps the parts of a filter that keep both directions of every
// conversation, so that pushing them to AWS cannot take away the reply (or the
// accepted request) a verdict is made of: terms on the interface and what belongs to it,
// the protocol, and addr= and port= (either side, so both directions). action=,
// dstport=, flags=, direction, times and bare words are left to flowlens, which applies
// the whole filter to what comes back.
//
// The filter's top-level "and" is split; a part is kept when every term in it is of
// that kind (then its truth is the same for a record and its reply, whatever the
// and/or/not structure inside).
func BothDirections(n filter.Node) Pushed {
	if n == nil {
		return Pushed{Whole: true}
	}
	var parts []filter.Node
	var split func(filter.Node)
	split = func(n filter.Node) {
		if a, ok := n.(*filter.And); ok {
			split(a.L)
			split(a.R)
			return
		}
		parts = append(parts, n)
	}
	split(n)
	var out Pushed
	for _, p := range parts {
		if !conversationSafe(p) {
			continue
		}
		out.Terms = append(out.Terms, filter.String(p))
		if out.Node == nil {
			out.Node = p
		} else {
			out.Node = &filter.And{L: out.Node, R: p}
		}
	}
	out.Whole = len(out.Terms) == len(parts)
	return out
}

func conversationSafe(n filter.Node) bool {
	switch n := n.(type) {
	case *filter.And:
		return conversationSafe(n.L) && conversationSafe(n.R)
	case *filter.Or:
		return conversationSafe(n.L) && conversationSafe(n.R)
	case *filter.Not:
		return conversationSafe(n.X)
	}
	l, err := filter.ResolveLeaf(n, filter.Options{})
	if err != nil || l.Kind == filter.LeafSubstring {
		return false
	}
	if len(l.Fields) == 2 {
		return true // addr= and port= test both sides
	}
	return symmetric[l.Fields[0]]
}
