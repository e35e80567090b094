// Package stats owns aggregation over flow-log records: the groups, counts and rankings
// behind `flowlens stats` and the explorer's stats view. It is pure: records come in
// through Add (and, for the live counts, Remove); nothing is read or written here.
//
// Two engines share the metrics (flows, packets, bytes, rejects; see docs/stats.md):
//
//   - Grouper answers one headless query, in the manner of a Logs Insights
//     `stats ... by ...`: group-by fields, an optional time bin, an optional exact
//     distinct count, a sort, top and minimum. It keeps one small fixed-width key and
//     its metrics per group, never the records, so its memory follows the number of
//     groups (capped by Spec.MaxGroups), not the input.
//   - Live keeps the explorer's panels (top sources, destinations, ports, rejected ports,
//     interfaces, conversations, scan suspects) and an over-time histogram, counted
//     incrementally: a record added and later removed leaves every count as if it had
//     never been added, so the ring's evictions and new batches cost a few hash-table
//     updates each, and a panel query (Top, or Frame for all of them) ranks the groups held
//     without reading the records. Tracker keeps a Live in step with a ring and a
//     filter, and spreads the recount after a filter change over frames.
//
// Counts are per record as logged: a connection between two interfaces of one VPC is
// logged on both and counts twice, as it does in Logs Insights. docs/stats.md says what
// each metric means, how bins align, how records lacking a field are grouped, and what
// the caps keep exact.
package stats
