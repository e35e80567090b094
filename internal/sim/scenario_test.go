package sim_test

import (
	"bytes"
	"fmt"
	"hash/fnv"
	"net/netip"
	"reflect"
	"testing"
	"time"

	"github.com/flowlens/flowlens/internal/sim"
	"github.com/flowlens/flowlens/model"
)

// digest hashes the text of the first n records of a stream.
func digest(s *sim.Scenario, f *model.Format, n int) (string, int) {
	h := fnv.New64a()
	var buf []byte
	count := 0
	s.Stream(f, n, func(r *model.Flow) bool {
		buf = append(r.AppendRecord(buf[:0]), '\n')
		h.Write(buf)
		count++
		return true
	})
	return fmt.Sprintf("%016x", h.Sum64()), count
}

func TestDeterminism(t *testing.T) {
	for _, f := range sim.Formats() {
		a, n := digest(sim.Realistic(7), f, 50_000)
		b, _ := digest(sim.Realistic(7), f, 50_000)
		if a != b || n != 50_000 {
			t.Errorf("format %s: two runs of seed 7 differ (%s, %s) or are short (%d)", f.Spec(), a, b, n)
		}
		// A scenario streamed twice repeats itself too: the run state is reset.
		s := sim.Realistic(7)
		c, _ := digest(s, f, 20_000)
		d, _ := digest(s, f, 20_000)
		if c != d {
			t.Errorf("format %s: the same scenario streamed twice differs", f.Spec())
		}
		e, _ := digest(sim.Realistic(8), f, 50_000)
		if e == a {
			t.Errorf("format %s: seeds 7 and 8 give the same records", f.Spec())
		}
	}
	x, _ := digest(sim.Incident(1), sim.V5Format, 0)
	y, _ := digest(sim.Incident(1), sim.V5Format, 0)
	if x != y {
		t.Error("the incident differs between two runs")
	}
	// The truth repeats as well.
	s1, s2 := sim.Incident(1), sim.Incident(1)
	s1.Stream(nil, 0, func(*model.Flow) bool { return true })
	s2.Stream(nil, 0, func(*model.Flow) bool { return true })
	if !reflect.DeepEqual(s1.Conversations(), s2.Conversations()) {
		t.Error("the incident's truth differs between two runs")
	}
}

// TestStreamOrder checks that records come window by window, sorted by start inside a
// window, and that n and the callback stop the stream.
func TestStreamOrder(t *testing.T) {
	s := sim.Realistic(1)
	var last uint32
	n := 0
	s.Stream(model.DefaultFormat, 100_000, func(r *model.Flow) bool {
		if r.Start < last {
			t.Fatalf("record %d starts at %d, before %d", n, r.Start, last)
		}
		last = r.Start
		n++
		return true
	})
	if n != 100_000 {
		t.Errorf("%d records, want 100000", n)
	}
	n = 0
	s.Stream(model.DefaultFormat, 0, func(*model.Flow) bool { n++; return n < 10 })
	if n != 10 {
		t.Errorf("the callback said stop after 10, got %d", n)
	}
}

// TestStreamRecords checks what every record of the realistic stream must satisfy,
// and that it has the mix the benchmarks rely on.
func TestStreamRecords(t *testing.T) {
	s := sim.Realistic(2)
	ifcs := map[string]*sim.Interface{}
	for _, i := range s.Topology.Interfaces {
		ifcs[i.ID] = i
	}
	var total, rejects, nodata, skipdata, v6, icmp, udp int
	s.Stream(sim.V5Format, 300_000, func(r *model.Flow) bool {
		total++
		ifc := ifcs[r.Interface.String()]
		if ifc == nil {
			t.Fatalf("record on unknown interface %s", r.Interface)
		}
		switch r.Status {
		case model.StatusNoData:
			nodata++
			return true
		case model.StatusSkipData:
			skipdata++
			return true
		}
		if r.Action == model.Reject {
			rejects++
		}
		own := r.Src()
		if r.Direction == model.Ingress {
			own = r.Dst()
		}
		if own.Is4() && own != ifc.IP || own.Is6() && !contains(ifc.IPv6, own) {
			t.Fatalf("%s record of %s shows %s as its own address", r.Direction, ifc.Name, own)
		}
		if own.Is6() {
			v6++
		}
		switch r.Protocol {
		case sim.ICMP:
			icmp++
		case sim.UDP:
			udp++
		}
		if r.Packets == 0 || r.Bytes < 20*r.Packets || r.End < r.Start || r.End-r.Start >= 60 {
			t.Fatalf("implausible record: %s", r.AppendRecord(nil))
		}
		return true
	})
	t.Logf("%d records: %d rejects, %d NODATA, %d SKIPDATA, %d IPv6, %d ICMP, %d UDP", total, rejects, nodata, skipdata, v6, icmp, udp)
	if rejects == 0 || nodata == 0 || v6 == 0 || icmp == 0 || udp == 0 {
		t.Error("the realistic stream lacks part of its mix")
	}
	if rejects > total/10 {
		t.Errorf("%d rejects of %d records: a healthy VPC rejects far less", rejects, total)
	}
}

func contains(list []netip.Addr, a netip.Addr) bool {
	for _, x := range list {
		if x == a {
			return true
		}
	}
	return false
}

// TestIncident checks that the demo holds each story it is meant to tell, with the
// truth that the verdict logic must reproduce.
func TestIncident(t *testing.T) {
	s := sim.Incident(1)
	top := s.Topology
	name := map[string]string{}
	for _, i := range top.Interfaces {
		name[i.ID] = i.Name
	}
	records := 0
	s.Stream(sim.V5Format, 0, func(*model.Flow) bool { records++; return true })
	if records < 2000 || records > 10000 {
		t.Errorf("%d records: the demo should be a few thousand", records)
	}
	seen := map[string]int{}
	for _, tr := range s.Conversations() {
		if !tr.Complete {
			t.Errorf("conversation %d is incomplete after a full run", tr.ID)
		}
		for _, v := range tr.Views {
			key := fmt.Sprintf("%s | %s %s %s %s", tr.Label, name[v.Interface], v.Side, v.Verdict, v.Blocked)
			if v.StrayRejects > 0 {
				key += " stray"
			}
			seen[key]++
		}
	}
	for _, want := range []string{
		"https | shop-alb responder accepted ",
		"alb to web | web-1 responder accepted ",
		"dns | dns-1 responder accepted ",
		"api to db (pooled) | db-1 responder accepted ",
		"s3 | nat-a responder accepted ",
		"s3 | api-1 initiator accepted  stray",
		"port scan | bastion responder nacl request",
		"port scan | bastion responder sg request",
		"port scan | shop-alb responder accepted ",
		"port scan | nat-a responder no-response ",
		"ssh brute force | jump-legacy responder accepted ",
		"ssh brute force | bastion responder sg request",
		"orders to db | orders-new initiator no-response ",
		"orders to db | db-1 responder sg request",
		"report download from s3 | report-win initiator nacl response",
		"report download from s3 | report-win initiator accepted ",
		"uptime ping | jump-legacy responder nacl response",
		"uptime ping | bastion responder nacl response",
	} {
		if seen[want] == 0 {
			t.Errorf("the incident has no %q", want)
		}
	}
	if t.Failed() {
		for k, v := range seen {
			t.Logf("%4d %s", v, k)
		}
	}
	// The report server's failures are exactly its ports above the ACL's 60999.
	for _, tr := range s.Conversations() {
		if tr.Label != "report download from s3" {
			continue
		}
		failed := tr.Outcome.Verdict == sim.ByNACL
		if high := tr.Initiator.Port() > 60999; high != failed {
			t.Errorf("report download from port %d: outcome %s", tr.Initiator.Port(), tr.Outcome.Verdict)
		}
	}
}

// TestTruthMatchesRecords replays the incident and checks each view against the
// records on its interface: the request and response directions were logged with the
// actions the view says, and a view's verdict follows from them as FLOWLOGS.md's table
// reads them.
func TestTruthMatchesRecords(t *testing.T) {
	s := sim.Incident(5)
	type key struct {
		eni      string
		proto    uint8
		src, dst netip.AddrPort
	}
	actions := map[key]map[model.Action]int{}
	s.Stream(sim.V5Format, 0, func(r *model.Flow) bool {
		if !r.IsData() {
			return true
		}
		k := key{r.Interface.String(), r.Protocol, r.SrcAddrPort(), r.DstAddrPort()}
		if actions[k] == nil {
			actions[k] = map[model.Action]int{}
		}
		actions[k][r.Action]++
		return true
	})
	for _, tr := range s.Conversations() {
		for _, v := range tr.Views {
			req := actions[key{v.Interface, tr.Protocol, v.Initiator, v.Responder}]
			resp := actions[key{v.Interface, tr.Protocol, v.Responder, v.Initiator}]
			if got := logged(req); got != v.Request.String() {
				t.Errorf("conversation %d (%s) on %s: request logged %s, truth says %s", tr.ID, tr.Label, v.Interface, got, v.Request)
			}
			wantResp := v.Response.String()
			if v.StrayRejects > 0 {
				wantResp = "MIXED"
			}
			if got := logged(resp); got != wantResp && tr.Protocol != sim.UDP {
				t.Errorf("conversation %d (%s) on %s: response logged %s, truth says %s", tr.ID, tr.Label, v.Interface, got, wantResp)
			}
			var table sim.Verdict
			switch {
			case v.Request == sim.LoggedReject:
				table = sim.SGOrNACL
			case v.Response == sim.NotLogged:
				table = sim.NoResponse
			case v.Response == sim.LoggedReject:
				table = sim.ByNACL
			default:
				table = sim.Accepted
			}
			if v.TableVerdict != table {
				t.Errorf("conversation %d on %s: table verdict %s, the records say %s", tr.ID, v.Interface, v.TableVerdict, table)
			}
		}
	}
}

// logged names the actions of one direction's records: "-", ACCEPT, REJECT or MIXED.
func logged(m map[model.Action]int) string {
	switch {
	case len(m) == 0:
		return "-"
	case len(m) > 1:
		return "MIXED"
	case m[model.Accept] > 0:
		return "ACCEPT"
	}
	return "REJECT"
}

// TestTruthIsKeptOnlyForWrittenConversations cuts a stream short: conversations with
// no record written are left out, the ones cut in the middle are marked incomplete.
func TestTruthIsKeptOnlyForWrittenConversations(t *testing.T) {
	s := sim.Realistic(3)
	s.KeepTruth = true
	s.Stream(nil, 5000, func(*model.Flow) bool { return true })
	truth := s.Conversations()
	if len(truth) == 0 || len(truth) > 5000 {
		t.Fatalf("%d conversations for 5000 records", len(truth))
	}
	incomplete := 0
	for _, tr := range truth {
		if !tr.Complete {
			incomplete++
		}
	}
	if incomplete == 0 {
		t.Error("no conversation was cut short, though long ones span many windows")
	}
}

// TestCustomScenario builds a scenario by hand, as a scenario test would.
func TestCustomScenario(t *testing.T) {
	top := sim.NewTopology("10.1.0.0/16", "")
	sub := top.AddSubnet("a", "10.1.1.0/24", nil)
	web := top.AddInterface("web", sub, sim.Linux, top.AddSecurityGroup("web").AllowIn(sim.TCP, 80, 80, "0.0.0.0/0"))
	client := top.AddHost("client", "198.51.100.9", "", sim.Windows)
	s := sim.NewScenario("custom", top, 1, time.Time{}, 10*time.Minute)
	s.KeepTruth = true
	s.AddTraffic(sim.Traffic{Name: "http", PerMinute: 6, Make: func(g *sim.Gen) sim.Conversation {
		port := uint16(80)
		if g.N%2 == 1 {
			port = 8080
		}
		return sim.Conversation{Label: "http", Initiator: client, Responder: web, Protocol: sim.TCP, Port: port}
	}})
	var buf bytes.Buffer
	s.Stream(model.DefaultFormat, 0, func(r *model.Flow) bool {
		buf.Write(r.AppendRecord(nil))
		buf.WriteByte('\n')
		return true
	})
	truth := s.Conversations()
	if len(truth) < 40 || len(truth) > 80 {
		t.Errorf("%d conversations in 10 minutes at 6 a minute", len(truth))
	}
	for _, tr := range truth {
		want := sim.Accepted
		if tr.Responder.Port() == 8080 {
			want = sim.BySG
		}
		if tr.Outcome.Verdict != want {
			t.Errorf("conversation %d to port %d: %s, want %s", tr.ID, tr.Responder.Port(), tr.Outcome.Verdict, want)
		}
		if p := tr.Initiator.Port(); p < 49152 {
			t.Errorf("a Windows client used port %d", p)
		}
	}
	if !bytes.Contains(buf.Bytes(), []byte(" 8080 6 3 180 ")) {
		t.Errorf("no rejected 8080 SYNs in\n%s", buf.String()[:min(buf.Len(), 500)])
	}
}
