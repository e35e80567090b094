package sim

import (
	"cmp"
	"slices"

	"github.com/flowlens/flowlens/model"
)

// Result is what one conversation produced: the records every interface of ours
// logged, in time order, and the truth.
type Result struct {
	Records []model.Flow
	Truth   Truth
}

// Converse runs one conversation through the topology and returns the records in the
// given format (nil: V5Format) and the truth. Each interface logs what arrives at it
// or leaves it:
//
//   - A request leaving an interface of ours meets its security groups, then, if it
//     leaves the subnet, the subnet's network ACL; the interface logs it as egress,
//     ACCEPT or REJECT. A rejected request goes no further: the receiver logs nothing.
//   - A request arriving at an interface of ours meets the subnet's ACL (if it comes
//     from outside the subnet), then the security groups; the receiver logs it as
//     ingress, ACCEPT or REJECT. The sender, whose filters passed it, logged ACCEPT.
//   - The response goes back the same way; the security groups pass it by connection
//     tracking, only the network ACLs (stateless, matching the initiator's ephemeral
//     port) can drop it, and a dropped response is logged REJECT where it was dropped.
//   - Traffic between two interfaces of ours is logged on both: up to two records per
//     direction per window. Hosts outside the VPC log nothing.
//   - A request the initiator gets no answer to is retried: TCP SYNs at 0, 1, 3, 7 s
//     (Attempts of them), UDP datagrams every 5 s; a responder whose answers are
//     dropped answers each retry.
//   - Through a NAT gateway (a private subnet's NAT, for IPv4 to the internet), the
//     gateway's interface logs both sides: the initiator's packets as they arrive
//     (dstaddr its own address, pkt-dstaddr the far host), and its own translated
//     connection from its address and a port of its own.
//
// tcp-flags are OR-ed per record: the initiator's first window has SYN (2), the
// responder's SYN-ACK (18), the last windows FIN (1); a connection within one window
// gives 3 and 19; unanswered SYNs give 2 on every record, SYN-ACKs 18, resets 4.
func (t *Topology) Converse(format *model.Format, c Conversation) Result {
	if format == nil {
		format = V5Format
	}
	t.index()
	e := newEngine(t)
	t.nextID++
	e.run(&c, 0)
	res := Result{Truth: e.truth(&c, t.nextID), Records: make([]model.Flow, len(e.recs))}
	slices.SortStableFunc(e.recs, func(a, b rec) int { return cmp.Compare(a.start, b.start) })
	w := newWriter(format, t)
	for i := range e.recs {
		w.write(&e.recs[i], &res.Records[i])
	}
	res.Truth.Complete = true
	return res
}
