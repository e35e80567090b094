package pairs_test

import (
	"net/netip"
	"reflect"
	"strings"
	"testing"

	"github.com/flowlens/flowlens/internal/sim"
	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/pairs"
	"github.com/flowlens/flowlens/model/ring"
)

// FLOWLOGS.md's examples.
const (
	pingRecords = `2 123456789010 eni-1235b8ca123456789 203.0.113.12 172.31.16.139 0 0 1 4 336 1432917027 1432917142 ACCEPT OK
2 123456789010 eni-1235b8ca123456789 172.31.16.139 203.0.113.12 0 0 1 4 336 1432917094 1432917142 REJECT OK`

	flagsFormat  = "version vpc-id subnet-id instance-id interface-id account-id type srcaddr dstaddr srcport dstport pkt-srcaddr pkt-dstaddr protocol bytes packets start end action tcp-flags log-status"
	flagsRecords = `3 vpc-abcdefab012345678 subnet-aaaaaaaa012345678 i-01234567890123456 eni-1235b8ca123456789 123456789010 IPv4 52.213.180.42 10.0.0.62 43416 5001 52.213.180.42 10.0.0.62 6 568 8 1566848875 1566848933 ACCEPT 2 OK
3 vpc-abcdefab012345678 subnet-aaaaaaaa012345678 i-01234567890123456 eni-1235b8ca123456789 123456789010 IPv4 10.0.0.62 52.213.180.42 5001 43416 10.0.0.62 52.213.180.42 6 376 7 1566848875 1566848933 ACCEPT 18 OK
3 vpc-abcdefab012345678 subnet-aaaaaaaa012345678 i-01234567890123456 eni-1235b8ca123456789 123456789010 IPv4 52.213.180.42 10.0.0.62 43638 5001 52.213.180.42 10.0.0.62 6 1260 17 1566933133 1566933193 ACCEPT 3 OK
3 vpc-abcdefab012345678 subnet-aaaaaaaa012345678 i-01234567890123456 eni-1235b8ca123456789 123456789010 IPv4 10.0.0.62 52.213.180.42 5001 43638  10.0.0.62 52.213.180.42 6 967 14 1566933133 1566933193 ACCEPT 19 OK`

	v5Format  = "version srcaddr dstaddr srcport dstport protocol start end type packets bytes account-id vpc-id subnet-id instance-id interface-id region az-id sublocation-type sublocation-id action tcp-flags pkt-srcaddr pkt-dstaddr pkt-src-aws-service pkt-dst-aws-service traffic-path flow-direction log-status"
	v5Records = `5 52.95.128.179 10.0.0.71 80 34210 6 1616729292 1616729349 IPv4 14 15044 123456789012 vpc-abcdefab012345678 subnet-aaaaaaaa012345678 i-0c50d5961bcb2d47b eni-1235b8ca123456789 ap-southeast-2 apse2-az3 - - ACCEPT 19 52.95.128.179 10.0.0.71 S3 - - ingress OK
5 10.0.0.71 52.95.128.179 34210 80 6 1616729292 1616729349 IPv4 7 471 123456789012 vpc-abcdefab012345678 subnet-aaaaaaaa012345678 i-0c50d5961bcb2d47b eni-1235b8ca123456789 ap-southeast-2 apse2-az3 - - ACCEPT 3 10.0.0.71 52.95.128.179 - S3 8 egress OK`
)

// parse reads lines of a format (nil: the default one) into records.
func parse(t testing.TB, format *model.Format, text string) []model.Flow {
	t.Helper()
	p := model.NewParser("test", format)
	var out []model.Flow
	for _, line := range strings.Split(strings.TrimSpace(text), "\n") {
		var r model.Flow
		if kind := p.Parse([]byte(line), &r); kind != model.LineRecord {
			t.Fatalf("not a record (%v): %s", kind, line)
		}
		out = append(out, r)
	}
	return out
}

func index(recs []model.Flow) *pairs.Index {
	ix := pairs.NewIndex()
	for i := range recs {
		ix.Add(uint64(i), &recs[i])
	}
	return ix
}

// only returns the index's single pair, judged without rules.
func only(t *testing.T, ix *pairs.Index) (*pairs.Pair, pairs.Judgement) {
	t.Helper()
	if ix.Len() != 1 {
		t.Fatalf("%d pairs, want 1", ix.Len())
	}
	p := ix.All()[0]
	return p, ix.Judge(p, nil)
}

func hasSignal(j pairs.Judgement, name string) (pairs.Signal, bool) {
	for _, s := range j.Signals {
		if s.Name == name {
			return s, true
		}
	}
	return pairs.Signal{}, false
}

func TestOfficialPingExample(t *testing.T) {
	recs := parse(t, nil, pingRecords)
	ix := index(recs)
	p, j := only(t, ix)
	if p.Key.A().Port() != 0 || p.Key.B().Port() != 0 || p.Key.Protocol != 1 {
		t.Errorf("key %+v: ICMP pairs with port 0 on both sides", p.Key)
	}
	if j.Verdict != pairs.NACL || j.Blocked != pairs.BlockedResponse {
		t.Fatalf("verdict %s, blocked %q; want nacl, response", j.Verdict, j.Blocked)
	}
	if j.InitiatorAP != netip.MustParseAddrPort("203.0.113.12:0") || j.ResponderAP != netip.MustParseAddrPort("172.31.16.139:0") {
		t.Errorf("initiator %s, responder %s", j.InitiatorAP, j.ResponderAP)
	}
	if s, ok := hasSignal(j, pairs.SignalRejectLogic); !ok || !s.Decisive {
		t.Errorf("the direction should come from the REJECT logic: %+v", j.Signals)
	}
	if j.RequestInbound == nil || !*j.RequestInbound {
		t.Errorf("the request should be inbound (172.31.16.139 is the private side)")
	}
	for _, want := range []string{"inbound icmp from 203.0.113.12", "reply", "network ACL outbound rules", "security groups never drop a reply"} {
		if !strings.Contains(j.Explanation, want) {
			t.Errorf("explanation lacks %q: %s", want, j.Explanation)
		}
	}
	if j.Request == nil || j.Request.Action() != "ACCEPT" || j.Response == nil || j.Response.Action() != "REJECT" {
		t.Errorf("request %+v, response %+v", j.Request, j.Response)
	}
	// Each record finds its pair and its side; the reverse is the other side.
	for i := range recs {
		got, side := ix.Get(&recs[i])
		if got != p || side == pairs.SideUnknown {
			t.Errorf("record %d: Get gave %p side %s", i, got, side)
		}
	}
}

func TestOfficialTCPFlagsExamples(t *testing.T) {
	recs := parse(t, model.MustParseFormat(flagsFormat), flagsRecords)
	ix := index(recs)
	if ix.Len() != 2 {
		t.Fatalf("%d pairs, want 2 (two connections)", ix.Len())
	}
	for _, p := range ix.All() {
		j := ix.Judge(p, nil)
		if j.Verdict != pairs.Accepted {
			t.Errorf("%v: verdict %s, want accepted", p.Key, j.Verdict)
		}
		if j.InitiatorAP.Addr() != netip.MustParseAddr("52.213.180.42") || j.ResponderAP.Port() != 5001 {
			t.Errorf("%v: initiator %s responder %s, want 52.213.180.42 -> :5001", p.Key, j.InitiatorAP, j.ResponderAP)
		}
		s, ok := hasSignal(j, pairs.SignalTCPFlags)
		if !ok || !s.Decisive || j.Signals[0].Name != pairs.SignalTCPFlags || j.Guessed {
			t.Errorf("%v: tcp-flags should decide, and come first: %+v", p.Key, j.Signals)
		}
		// 5001 ranks as a registered port and 43416 as ephemeral: the ports agree, but
		// the flags decided.
		if s, ok := hasSignal(j, pairs.SignalServicePort); ok && strings.Contains(s.Says, "overruled") {
			t.Errorf("the ports agree with the flags here: %s", s.Says)
		}
	}
	// The v5 example: S3 answered from port 80 with SYN-ACK+FIN (19).
	v5 := parse(t, model.MustParseFormat(v5Format), v5Records)
	_, j := only(t, index(v5))
	if j.InitiatorAP != netip.MustParseAddrPort("10.0.0.71:34210") || j.Verdict != pairs.Accepted {
		t.Errorf("v5 example: initiator %s, verdict %s", j.InitiatorAP, j.Verdict)
	}
	if j.RequestInbound == nil || *j.RequestInbound {
		t.Errorf("v5 example: the request is egress, so outbound")
	}
	if s, ok := hasSignal(j, pairs.SignalFlowDirection); !ok || !s.Decisive {
		t.Errorf("v5 example: flow-direction should tell the interface's side: %+v", j.Signals)
	}
}

// TestConflictingSignals: flags say a port-22 endpoint opened the connection; the ports
// say otherwise. The stronger signal wins and the weaker is marked overruled.
func TestConflictingSignals(t *testing.T) {
	format := model.MustParseFormat("version interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status tcp-flags")
	recs := parse(t, format, `3 eni-0a 10.0.0.5 198.51.100.9 22 50000 6 3 180 100 110 ACCEPT OK 2
3 eni-0a 198.51.100.9 10.0.0.5 50000 22 6 3 180 100 110 ACCEPT OK 18`)
	_, j := only(t, index(recs))
	if j.InitiatorAP != netip.MustParseAddrPort("10.0.0.5:22") {
		t.Fatalf("initiator %s: the SYN's sender opened the connection", j.InitiatorAP)
	}
	s, ok := hasSignal(j, pairs.SignalServicePort)
	if !ok || !strings.Contains(s.Says, "overruled by tcp-flags") {
		t.Errorf("the ports disagree and should say they were overruled: %+v", j.Signals)
	}
}

// TestStrayRejectsKeepTheVerdict checks the MIXED policy: late FIN/RST REJECTs after an
// accepted conversation are set aside, a reply rejected while the request still flows
// is not.
func TestStrayRejectsKeepTheVerdict(t *testing.T) {
	v3 := model.MustParseFormat("version interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status tcp-flags")
	tests := []struct {
		name     string
		format   *model.Format
		records  string
		verdict  pairs.Verdict
		strays   int
		mentions string
	}{
		{"late RST with flags", v3, `3 eni-0a 10.0.1.10 203.0.113.7 43652 443 6 10 1400 100 100 ACCEPT OK 3
3 eni-0a 203.0.113.7 10.0.1.10 443 43652 6 12 9000 100 100 ACCEPT OK 19
3 eni-0a 203.0.113.7 10.0.1.10 443 43652 6 1 40 128 128 REJECT OK 4`, pairs.Accepted, 1, "set aside"},
		{"late RST without flags", nil, `2 1 eni-0a 10.0.1.10 203.0.113.7 43652 443 6 10 1400 100 100 ACCEPT OK
2 1 eni-0a 203.0.113.7 10.0.1.10 443 43652 6 12 9000 100 100 ACCEPT OK
2 1 eni-0a 203.0.113.7 10.0.1.10 443 43652 6 1 40 128 128 REJECT OK`, pairs.Accepted, 1, "benign"},
		{"replies rejected while the request flows", nil, `2 1 eni-0a 203.0.113.7 10.0.1.10 43652 22 6 10 1400 100 160 ACCEPT OK
2 1 eni-0a 10.0.1.10 203.0.113.7 22 43652 6 12 9000 100 110 ACCEPT OK
2 1 eni-0a 10.0.1.10 203.0.113.7 22 43652 6 9 800 120 160 REJECT OK`, pairs.NACL, 0, "rule probably changed"},
		{"a SYN-ACK rejected late is no teardown", v3, `3 eni-0a 10.0.1.10 203.0.113.7 43652 443 6 10 1400 100 100 ACCEPT OK 3
3 eni-0a 203.0.113.7 10.0.1.10 443 43652 6 12 9000 100 100 ACCEPT OK 19
3 eni-0a 203.0.113.7 10.0.1.10 443 43652 6 1 40 128 128 REJECT OK 18`, pairs.NACL, 0, "some replies passed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, j := only(t, index(parse(t, tt.format, tt.records)))
			if j.Verdict != tt.verdict || j.StrayRejects != tt.strays || !j.Mixed {
				t.Errorf("verdict %s, strays %d, mixed %v; want %s, %d, true", j.Verdict, j.StrayRejects, j.Mixed, tt.verdict, tt.strays)
			}
			if !strings.Contains(j.Explanation, tt.mentions) {
				t.Errorf("explanation lacks %q: %s", tt.mentions, j.Explanation)
			}
		})
	}
}

func TestHonestUnknowns(t *testing.T) {
	v3 := model.MustParseFormat("version interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status tcp-flags")
	t.Run("only the reply", func(t *testing.T) {
		_, j := only(t, index(parse(t, v3, `3 eni-0a 10.0.1.10 203.0.113.7 22 40000 6 3 180 100 110 ACCEPT OK 18`)))
		if j.Verdict != pairs.Unknown || j.Request != nil || j.Response == nil {
			t.Errorf("verdict %s: a lone SYN-ACK is a reply whose request is missing", j.Verdict)
		}
		if !strings.Contains(j.Explanation, "request is not in these records") {
			t.Errorf("explanation: %s", j.Explanation)
		}
	})
	t.Run("icmp alike both ways", func(t *testing.T) {
		_, j := only(t, index(parse(t, nil, `2 1 eni-0a 10.0.1.10 10.0.2.20 0 0 1 3 252 100 102 ACCEPT OK
2 1 eni-0a 10.0.2.20 10.0.1.10 0 0 1 3 252 100 102 ACCEPT OK`)))
		if j.Verdict != pairs.Accepted || j.Initiator != pairs.SideUnknown {
			t.Errorf("verdict %s initiator %s: accepted both ways, the starter unknown", j.Verdict, j.Initiator)
		}
		if !strings.Contains(j.Explanation, "cannot be told") {
			t.Errorf("explanation: %s", j.Explanation)
		}
	})
	t.Run("mixed both ways", func(t *testing.T) {
		_, j := only(t, index(parse(t, nil, `2 1 eni-0a 10.0.1.10 10.0.2.20 0 0 1 3 252 100 102 ACCEPT OK
2 1 eni-0a 10.0.2.20 10.0.1.10 0 0 1 3 252 100 102 ACCEPT OK
2 1 eni-0a 10.0.2.20 10.0.1.10 0 0 1 3 252 100 102 REJECT OK`)))
		if j.Verdict != pairs.Unknown {
			t.Errorf("verdict %s: the verdict depends on a direction that cannot be told", j.Verdict)
		}
	})
	t.Run("bpa", func(t *testing.T) {
		f := model.MustParseFormat("version interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status reject-reason")
		_, j := only(t, index(parse(t, f, `8 eni-0a 198.51.100.1 10.0.1.10 40000 443 6 2 0 100 101 REJECT OK BPA`)))
		if j.Verdict != pairs.BPA || j.Blocked != pairs.BlockedRequest || !strings.Contains(j.Explanation, "Block Public Access") {
			t.Errorf("verdict %s blocked %q: %s", j.Verdict, j.Blocked, j.Explanation)
		}
	})
}

// TestOwnAddressInferred: without flow-direction or rules, the address in every record
// of an interface is its own, which tells inbound from outbound between private hosts.
func TestOwnAddressInferred(t *testing.T) {
	recs := parse(t, nil, `2 1 eni-0a 10.0.1.10 10.0.2.20 40000 5432 6 3 180 100 110 REJECT OK
2 1 eni-0a 10.0.3.30 10.0.1.10 41000 22 6 3 180 100 110 ACCEPT OK
2 1 eni-0a 10.0.1.10 10.0.3.30 22 41000 6 3 180 100 110 ACCEPT OK`)
	ix := index(recs)
	p, _ := ix.Get(&recs[0])
	j := ix.Judge(p, nil)
	if j.RequestInbound == nil || *j.RequestInbound {
		t.Fatalf("10.0.1.10 is in every record: the rejected request to 10.0.2.20 left the interface (outbound)")
	}
	if s, ok := hasSignal(j, pairs.SignalOwnAddress); !ok || !strings.Contains(s.Says, "inferred") {
		t.Errorf("signals: %+v", j.Signals)
	}
	if !strings.Contains(j.Explanation, "outbound tcp/5432 from 10.0.1.10 to 10.0.2.20 was rejected") {
		t.Errorf("explanation: %s", j.Explanation)
	}
}

// TestListeningPortBeatsServiceTable: an old Windows client's ephemeral port (3306, in
// 1025-5000) talking to a server on an unlisted port: the service table alone would pick
// the client; the server's many conversations give it away.
func TestListeningPortBeatsServiceTable(t *testing.T) {
	var lines []string
	for i, client := range []string{"3306", "1433", "4020", "4021"} {
		src := "10.0.3." + string(rune('1'+i))
		lines = append(lines,
			"2 1 eni-0a "+src+" 10.0.1.10 "+client+" 9000 6 3 180 100 110 ACCEPT OK",
			"2 1 eni-0a 10.0.1.10 "+src+" 9000 "+client+" 6 3 180 100 110 ACCEPT OK")
	}
	recs := parse(t, nil, strings.Join(lines, "\n"))
	ix := index(recs)
	p, _ := ix.Get(&recs[0])
	j := ix.Judge(p, nil)
	if j.ResponderAP != netip.MustParseAddrPort("10.0.1.10:9000") {
		t.Fatalf("responder %s, want the listening 10.0.1.10:9000; signals %+v", j.ResponderAP, j.Signals)
	}
	if s, ok := hasSignal(j, pairs.SignalServicePort); !ok || !strings.Contains(s.Says, "overruled by listener") {
		t.Errorf("the service table (3306 is mysql) should be overruled: %+v", j.Signals)
	}
}

// TestEvictionMatchesRebuild streams a scenario through a small ring whose evictions
// remove records from the index; at the end the index must equal one built from the
// records still held, down to First and Last, and judge every pair the same way.
func TestEvictionMatchesRebuild(t *testing.T) {
	for _, f := range sim.Formats() {
		rg := ring.New(20_000)
		ix := pairs.NewIndex()
		rg.OnEvict = func(_ ring.Seq, r *model.Flow) { ix.Remove(r) }
		batch := make([]model.Flow, 0, 500)
		flush := func() {
			first := rg.Append(batch)
			for i := range batch {
				ix.Add(uint64(first)+uint64(i), rg.At(first+ring.Seq(i)))
			}
			batch = batch[:0]
		}
		sim.Realistic(3).Stream(f, 120_000, func(r *model.Flow) bool {
			batch = append(batch, *r)
			if len(batch) == cap(batch) {
				flush()
			}
			return true
		})
		flush()

		fresh := pairs.NewIndex()
		a, aSeq, b, bSeq := rg.Segments(rg.First())
		for i := range a {
			fresh.Add(uint64(aSeq)+uint64(i), &a[i])
		}
		for i := range b {
			fresh.Add(uint64(bSeq)+uint64(i), &b[i])
		}
		if ix.Len() != fresh.Len() {
			t.Fatalf("%s: %d pairs after evictions, %d rebuilt", f.Spec(), ix.Len(), fresh.Len())
		}
		differ := 0
		for _, p := range fresh.All() {
			q := ix.Lookup(p.Key)
			if q == nil {
				t.Fatalf("%s: pair %v missing after evictions", f.Spec(), p.Key)
			}
			if q.Dirs != p.Dirs {
				t.Fatalf("%s: pair %v:\n evicted %+v\n rebuilt %+v", f.Spec(), p.Key, q.Dirs, p.Dirs)
			}
			for _, s := range []pairs.Side{pairs.AtoB, pairs.BtoA} {
				if wq, wp := pairs.FlowWays(q, s), pairs.FlowWays(p, s); wq != wp {
					t.Fatalf("%s: pair %v %s: ingress and egress evicted %v, rebuilt %v", f.Spec(), p.Key, s, wq, wp)
				}
			}
			jq, jp := ix.Judge(q, nil), fresh.Judge(p, nil)
			if jq.Verdict != jp.Verdict || jq.Blocked != jp.Blocked || jq.InitiatorAP != jp.InitiatorAP || !reflect.DeepEqual(jq.Signals, jp.Signals) {
				differ++
				if differ <= 3 {
					t.Errorf("%s: %v judged differently:\n evicted %s %s %v\n rebuilt %s %s %v", f.Spec(), p.Key,
						jq.Verdict, jq.InitiatorAP, jq.Signals, jp.Verdict, jp.InitiatorAP, jp.Signals)
				}
			}
		}
		if rg.Dropped() == 0 {
			t.Fatalf("the ring dropped nothing: the test tests nothing")
		}
	}
}

// TestRemoveDeletesEmptyPairs and the judgement cache.
func TestRemoveAndCache(t *testing.T) {
	recs := parse(t, nil, pingRecords)
	ix := index(recs)
	p, j1 := only(t, ix)
	if j2 := ix.Judge(p, nil); !reflect.DeepEqual(j1, j2) {
		t.Errorf("a second judgement differs from the cached first")
	}
	ix.Remove(&recs[0])
	j3 := ix.Judge(p, nil)
	if j3.Verdict == j1.Verdict {
		t.Errorf("after removing the request the verdict should change, still %s", j3.Verdict)
	}
	ix.Remove(&recs[1])
	if ix.Len() != 0 {
		t.Errorf("%d pairs left, want 0", ix.Len())
	}
	if got, _ := ix.Get(&recs[0]); got != nil {
		t.Errorf("Get found a deleted pair")
	}
	// NODATA and SKIPDATA belong to no pair.
	nodata := parse(t, nil, "2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA")
	if _, _, ok := pairs.KeyOf(&nodata[0]); ok {
		t.Errorf("a NODATA record has a key")
	}
	ix.Add(9, &nodata[0])
	if ix.Len() != 0 {
		t.Errorf("a NODATA record made a pair")
	}
}

// TestKeyOrder: the index's own key (built from bytes) orders the ends as KeyOf does
// (netip.AddrPort.Compare), for IPv4, IPv6 and equal addresses.
func TestKeyOrder(t *testing.T) {
	addrs := []string{"10.0.0.1", "10.0.0.2", "9.255.255.255", "203.0.113.7", "::1", "2001:db8::1", "2001:db8::2", "fe80::1", "::ffff:1.2.3.4"}
	ports := []string{"0", "22", "443", "65535"}
	var lines []string
	for _, a := range addrs {
		for _, b := range addrs {
			for _, pa := range ports {
				for _, pb := range ports {
					lines = append(lines, "2 1 eni-0a "+a+" "+b+" "+pa+" "+pb+" 6 1 40 100 100 ACCEPT OK")
				}
			}
		}
	}
	recs := parse(t, nil, strings.Join(lines, "\n"))
	ix := index(recs)
	for i := range recs {
		k, side, ok := pairs.KeyOf(&recs[i])
		if !ok || k.A().Compare(k.B()) > 0 {
			t.Fatalf("%s: key %v not ordered", lines[i], k)
		}
		p, s := ix.Get(&recs[i])
		if p == nil || p != ix.Lookup(k) || s != side {
			t.Fatalf("%s: Get gave %p %s, Lookup %p %s", lines[i], p, s, ix.Lookup(k), side)
		}
		if k.Sender(side) != recs[i].SrcAddrPort() || k.Receiver(side) != recs[i].DstAddrPort() {
			t.Fatalf("%s: side %s sender %s receiver %s", lines[i], side, k.Sender(side), k.Receiver(side))
		}
		if nk := pairs.NewKey(recs[i].Interface, recs[i].Protocol, recs[i].DstAddrPort(), recs[i].SrcAddrPort()); nk != k {
			t.Fatalf("%s: NewKey gave %v, KeyOf %v", lines[i], nk, k)
		}
	}
	// Compare orders the ends as netip.AddrPort.Compare does, IPv4 before IPv6 (whose
	// bytes may sort before an IPv4 address's mapped form: ::1).
	for i := 0; i < len(recs); i += 7 {
		for j := 0; j < len(recs); j += 5 {
			x, _, _ := pairs.KeyOf(&recs[i])
			y, _, _ := pairs.KeyOf(&recs[j])
			want := x.A().Compare(y.A())
			if want == 0 {
				want = x.B().Compare(y.B())
			}
			if got := x.Compare(y); got != want {
				t.Fatalf("%v against %v: %d, want %d", x, y, got, want)
			}
		}
	}
}

// TestLoneReplyByPorts: a lone direction from a port below 1024 to an unlisted high port
// is a reply whose request is not in the records (a stream's later windows, a late RST),
// even without flags.
func TestLoneReplyByPorts(t *testing.T) {
	_, j := only(t, index(parse(t, nil, `2 1 eni-0a 198.51.100.9 10.0.0.5 443 50123 6 1 40 100 100 REJECT OK`)))
	if j.Verdict != pairs.Unknown || j.InitiatorAP != netip.MustParseAddrPort("10.0.0.5:50123") {
		t.Fatalf("verdict %s initiator %s: %s", j.Verdict, j.InitiatorAP, j.Explanation)
	}
	if s, ok := hasSignal(j, pairs.SignalOneWay); !ok || !strings.Contains(s.Says, "overruled by privileged-port") {
		t.Errorf("one-way should be overruled: %+v", j.Signals)
	}
	if !strings.Contains(j.Explanation, "looks like the reply") {
		t.Errorf("explanation: %s", j.Explanation)
	}
}

// TestGuessedOnlyWhenWeak: a direction that a decisive signal confirms is no guess, even
// when a port signal ranks first; ports alone make it one.
func TestGuessedOnlyWhenWeak(t *testing.T) {
	_, lone := only(t, index(parse(t, nil, `2 1 eni-0a 203.0.113.7 10.0.1.10 59428 22 6 3 180 100 103 REJECT OK`)))
	if lone.Guessed || strings.Contains(lone.Explanation, "inferred from the ports") {
		t.Errorf("a lone request is known to be the request: %s", lone.Explanation)
	}
	_, both := only(t, index(parse(t, nil, `2 1 eni-0a 203.0.113.7 10.0.1.10 59428 22 6 3 180 100 103 ACCEPT OK
2 1 eni-0a 10.0.1.10 203.0.113.7 22 59428 6 3 180 100 103 ACCEPT OK`)))
	if !both.Guessed || !strings.Contains(both.Explanation, "inferred from the ports") {
		t.Errorf("without flags or rejects the direction is the ports' guess: %s", both.Explanation)
	}
}

func TestReverse(t *testing.T) {
	recs := parse(t, nil, pingRecords)
	ix := index(recs)
	p, side := ix.Get(&recs[0])
	if r := p.Reverse(side); r == nil || r.Action() != "REJECT" || r.LastSeq() != 1 {
		t.Errorf("reverse of the request: %+v", r)
	}
	ix.Remove(&recs[0])
	p, side = ix.Get(&recs[1])
	if r := p.Reverse(side); r != nil {
		t.Errorf("the request was removed, yet its direction is %+v", r)
	}
	if p.Reverse(pairs.SideUnknown) != nil || p.Dir(pairs.SideUnknown) != nil {
		t.Errorf("SideUnknown has no direction")
	}
}

// TestClosedPortSaysSo: an accepted SYN answered by a RST is accepted by the network;
// the explanation says nothing listens there.
func TestClosedPortSaysSo(t *testing.T) {
	for _, c := range sim.Cases() {
		if c.Name != "closed port resets" {
			continue
		}
		res := c.Run(sim.V5Format)
		_, j := only(t, index(res.Records))
		if j.Verdict != pairs.Accepted || !strings.Contains(j.Explanation, "nothing listens on port 8081") {
			t.Errorf("%s: %s", j.Verdict, j.Explanation)
		}
		return
	}
	t.Fatal("the simulator has no closed-port case any more")
}
