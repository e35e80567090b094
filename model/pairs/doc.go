// Package pairs owns conversations: it groups flow-log records into pairs (one
// interface, one protocol, two endpoints, both directions) with an index that stays in
// step with the explorer's ring, decides which side started each conversation, and
// judges what happened to it: accepted, request rejected (security group or network
// ACL), reply rejected (network ACL), no reply, blocked by VPC Block Public Access, or
// unknown. With the security groups and network ACLs loaded (model/rules) it names the
// layer and the rule.
//
// The verdict follows the table in FLOWLOGS.md, read per interface: a rejected request
// has no reply, and security groups never drop the reply of a request they let through,
// so a rejected reply is a network ACL's doing. Every judgement keeps the signals it used
// and what each said, and says plainly what the records cannot tell (who started a
// conversation whose records are alike both ways, what lies beyond the interface). See
// docs/pairs.md.
package pairs
