// Package sim simulates VPC traffic through security groups and network ACLs and writes
// the flow-log records AWS would write for it, together with the truth of what happened
// to every conversation: accepted, or which layer (sg or nacl) dropped the request or
// the response, by which rule.
//
// It serves the benchmarks (millions of records, fast), the bundled demo (Incident),
// `flowlens generate` and the scenario tests of the pair and verdict logic
// (Topology.Converse and the truth it returns). It is a tool, not part of the domain, so
// it lives in internal/ rather than model/; like model it opens no files: it writes to
// // an io.Writer and returns documents, and its callers decide where they go.
//
// The AWS semantics are evaluated here on their own, deliberately without model/rules,
// so that the two implementations check each other:
//
//   - Packet order: inbound meets the subnet's network ACL, then the security groups;
//     outbound meets the security groups, then the network ACL.
//   - Security groups allow only, and are stateful: the reply of an allowed request passes
//     both ways whatever the rules say. AWS does not track a flow allowed by 0.0.0.0/0
//     rules on all ports in both directions ("untracked"); its replies are then judged
//     by those same allow-all rules, which pass them, so the outcome is the same and the
//     simulator does not model the difference.
//   - Network ACLs are stateless and evaluated only where a packet crosses the edge of a
//     subnet (never between two interfaces of one subnet): lowest rule number first, the
//     first matching entry decides, entries match the packet's destination port and the
//     remote address, and the final `*` rule (#32767 IPv4, #32768 IPv6) denies.
//   - ICMP rules always cover every type and code: flow logs do not record ICMP types,
//     so a type-specific rule could not be checked against the records anyway.
//
// Each interface logs what arrived at it or left it (see Topology.Converse for the
// details), one record per 5-tuple, direction and action per aggregation window.
package sim
