package fakeaws

import (
	"testing"
)

var fuzzLines = []string{
	"2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK",
	"2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA",
	`127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /apache_pb.gif HTTP/1.0" 200 1534`,
	"",
}

// FuzzFilterPattern feeds arbitrary filter patterns to the fake's parser: it must
// refuse or accept, never panic, and an accepted pattern must judge any event.
func FuzzFilterPattern(f *testing.F) {
	for _, s := range []string{
		"[version, account_id, interface_id, srcaddr, dstaddr, srcport, dstport=22, protocol, packets, bytes, start, end, action=REJECT, log_status]",
		`[a, b<22 || b>22 || b="-", ...]`, "[..., status_code=4* && status_code!=403, bytes]",
		`[w1=%^10\.0\.[0-3]\.[0-9]+$%, w2]`, "ERROR -Exiting", `"quoted phrase"`, "[", "[a,,b]", "[a=%(x)%]",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		fp, err := parseFilterPattern(p)
		if err != nil {
			return
		}
		for _, l := range fuzzLines {
			fp.match(l)
		}
	})
}

// FuzzInsightsQuery feeds arbitrary queries to the fake's Insights parser and runs the
// ones it accepts over a few events: no panic, and a result row per group or record.
func FuzzInsightsQuery(f *testing.F) {
	for _, s := range []string{
		`parse @message /^(?<v>\S+)\s+(?<a>\S+)/ | filter ispresent(v) and (not (v = 2) or v = "-") | stats count(*) as n, sum(a) by v, bin(5m)`,
		`fields @timestamp, @message | sort @timestamp desc | limit 5`,
		`parse @message "* * *" as a, b, c | filter a in [2, "x"] and b like /(?i)ENI/ | display a`,
		`filter floor(x / 2) % 2 = 1 or isIpv4InSubnet(x, "10.0.0.0/8")`, "stats count_distinct(x) by y", "| |", "filter (",
	} {
		f.Add(s)
	}
	var events []*storedEvent
	for i, l := range fuzzLines {
		events = append(events, &storedEvent{key: eventKey{TS: int64(i) * 61000}, msg: l, id: "x"})
	}
	f.Fuzz(func(t *testing.T, q string) {
		parsed, err := parseInsights(q)
		if err != nil {
			return
		}
		rows, matched := runInsights(parsed, events, 100)
		if matched > len(events) || len(rows) > 100 {
			t.Fatalf("%q: %d rows, %d matched of %d events", q, len(rows), matched, len(events))
		}
	})
}
