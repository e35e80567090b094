// Package pushdown compiles a parsed filter expression (and a grouping) into the
// languages of the engines that can run it next to the data: a CloudWatch Logs filter
// pattern (FilterLogEvents, Live Tail), a CloudWatch Logs Insights query, and Athena
// (Trino) SQL over AWS's flow-logs table.
//
// Every compiler returns its text and whether it is exact: an exact form keeps exactly
// the records the filter keeps; a looser one may keep more, never fewer. flowlens always
// applies its own filter to what comes back, so a looser form costs transfer, never
// correctness. A term a target cannot say exactly becomes a looser condition or none.
//
// Exactness is judged on records as AWS writes them: one space between fields, numbers
// in decimal without leading zeros, IPv4 in dotted decimal, ACCEPT/REJECT and the other
// enumerations in AWS's spelling (the text model.Flow.AppendRecord writes back).
//
// The compilers work in three steps: the expression is lowered to a tree of atoms in
// negation normal form (so each target only ever renders an atom or its negation, and a
// missing value `-` is handled once per atom), simplified, then rendered by the target.
// The mapping and the reasons are written down in docs/pushdown.md.
package pushdown
