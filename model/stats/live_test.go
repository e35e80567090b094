package stats

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/flowlens/flowlens/internal/sim"
	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/decode"
	"github.com/flowlens/flowlens/model/filter"
	"github.com/flowlens/flowlens/model/ring"
)

func panelText(p Panel, rows []PanelRow) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = fmt.Sprintf("%s %d/%d/%d/%d", r.Filter(p), r.Flows, r.Packets, r.Bytes, r.Rejects)
		if p == ScanPorts || p == ScanHosts {
			out[i] += fmt.Sprintf(" d=%d", r.Distinct)
		}
	}
	return out
}

func TestLivePanels(t *testing.T) {
	recs := records(t, append(fixture,
		// a reply from a server port to a client: not a scan request
		"2 123456789010 eni-a 172.31.16.21 172.31.16.139 22 20641 6 18 3000 1418530010 1418530070 ACCEPT OK",
		// a sweep of two more ports from one source
		"2 123456789010 eni-a 172.31.9.69 172.31.9.12 49763 5432 6 1 40 1418533710 1418533760 REJECT OK",
		"2 123456789010 eni-a 172.31.9.69 172.31.9.13 49764 22 6 1 40 1418533720 1418533760 REJECT OK",
		"2 123456789010 eni-a 172.31.9.69 172.31.9.12 49765 22 6 1 40 1418533730 1418533760 REJECT OK",
	)...)
	l := NewLive()
	for i := range recs {
		l.Add(&recs[i])
	}
	cases := []struct {
		p    Panel
		m    Metric
		k    int
		want []string
	}{
		{Sources, Flows, 3, []string{"srcaddr=172.31.9.69 5/24/4409/5", "srcaddr=172.31.16.139 2/30/5249/0",
			"srcaddr=2001:db8::1 1/54/8855/0"}},
		{Sources, Bytes, 2, []string{"srcaddr=2001:db8::1 1/54/8855/0", "srcaddr=172.31.16.139 2/30/5249/0"}},
		{Destinations, Flows, 2, []string{"dstaddr=172.31.9.12 4/23/4369/4", "dstaddr=172.31.16.21 3/84/14104/0"}},
		{Ports, Flows, 2, []string{"dstport=22 protocol=6 5/77/13224/3", "dstport=3389 protocol=6 1/20/4249/1"}},
		{RejectedPorts, Packets, 0, []string{"dstport=3389 protocol=6 action=REJECT 1/20/4249/1",
			"dstport=0 protocol=1 action=REJECT 1/4/336/1", "dstport=22 protocol=6 action=REJECT 3/3/120/3",
			"dstport=5432 protocol=6 action=REJECT 1/1/40/1"}},
		{Interfaces, Rejects, 0, []string{"interface-id=eni-a 7/62/11658/5", "interface-id=eni-b 3/68/10191/1"}},
		{Conversations, Flows, 2, []string{"addr=172.31.9.12 addr=172.31.9.69 4/23/4369/4",
			"addr=172.31.16.21 addr=172.31.16.139 3/48/8249/0"}},
		// ICMP has no ports to sweep: 203.0.113.12 is in no row
		{ScanPorts, Flows, 0, []string{"srcaddr=172.31.9.69 5/24/4409/5 d=3", "srcaddr=172.31.16.139 2/30/5249/0 d=2",
			"srcaddr=2001:db8::1 1/54/8855/0 d=1"}},
		{ScanHosts, Flows, 1, []string{"srcaddr=172.31.9.69 5/24/4409/5 d=2"}},
	}
	for _, c := range cases {
		got := panelText(c.p, l.Top(c.p, c.m, c.k))
		if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
			t.Errorf("%s by %s:\n%s\nwant\n%s", c.p, c.m, strings.Join(got, "\n"), strings.Join(c.want, "\n"))
		}
	}
	tot := l.Totals()
	if tot.Flows != 10 || tot.Markers != 1 || tot.Rejects != 6 {
		t.Errorf("totals %+v", tot)
	}
	if n := l.Groups(Sources); n != 5 {
		t.Errorf("%d sources", n)
	}
}

// TestPanelFilterSelectsTheRow: the drill-down expression of every row of every panel
// compiles and selects exactly the records the row counted.
func TestPanelFilterSelectsTheRow(t *testing.T) {
	var recs []model.Flow
	sim.Incident(3).Stream(model.DefaultFormat, 3000, func(r *model.Flow) bool { recs = append(recs, *r); return true })
	// Interface IDs are text from the log: some hold what the filter language reads as
	// syntax, and must still be selected by their row's expression.
	recs = append(recs, records(t,
		`2 1 eni-(odd) 10.9.9.1 10.9.9.2 40000 22 6 10 840 1700000000 1700000060 ACCEPT OK`,
		`2 1 eni-"q"=x 10.9.9.1 10.9.9.2 40001 22 6 10 840 1700000000 1700000060 REJECT OK`,
		`2 1 eni-(odd) 10.9.9.1 10.9.9.2 40002 22 6 10 840 1700000000 1700000060 ACCEPT OK`)...)
	l := NewLive()
	for i := range recs {
		l.Add(&recs[i])
	}
	odd := 0
	for p := Panel(0); p < NumPanels; p++ {
		for _, row := range l.Top(p, Flows, 0) {
			expr := row.Filter(p)
			if strings.Contains(expr, `"`) {
				odd++
			}
			f, err := filter.Compile(expr, filter.Options{})
			if err != nil {
				t.Fatalf("%s: %q: %v", p, expr, err)
			}
			var flows, bytes uint64
			for i := range recs {
				if recs[i].IsData() && f.Match(&recs[i]) {
					flows++
					bytes += recs[i].Bytes
				}
			}
			if flows != row.Flows || bytes != row.Bytes {
				t.Errorf("%s: %q selects %d records, %d bytes; the row has %d, %d", p, expr, flows, bytes, row.Flows, row.Bytes)
			}
		}
	}
	if odd != 2 {
		t.Errorf("%d quoted interface terms, want 2", odd)
	}
}

// TestLiveIncident: on the demo's incident the scanners, the SSH brute force and the
// rejected database connections are at the top of their panels.
func TestLiveIncident(t *testing.T) {
	l := NewLive()
	sim.Incident(1).Stream(model.DefaultFormat, 0, func(r *model.Flow) bool { l.Add(r); return true })
	scans := l.Top(ScanPorts, Flows, 3)
	got := []string{scans[0].Addr.String(), scans[1].Addr.String()}
	slices.Sort(got)
	if strings.Join(got, " ") != "192.0.2.13 203.0.113.99" || scans[0].Distinct != 20 || scans[2].Distinct >= 20 {
		t.Errorf("port scans: %v", panelText(ScanPorts, scans))
	}
	if c := l.Top(Conversations, Flows, 1)[0]; c.Peer.String() != "203.0.113.66" {
		t.Errorf("top conversation %v, want the ssh attacker's", panelText(Conversations, []PanelRow{c}))
	}
	rej := l.Top(RejectedPorts, Flows, 2)
	if rej[0].Port != 5432 || rej[1].Port != 22 {
		t.Errorf("rejected ports %v", panelText(RejectedPorts, rej))
	}
}

func TestHistogram(t *testing.T) {
	recs := records(t, fixture...)
	l := NewLive()
	for i := range recs {
		l.Add(&recs[i])
	}
	// Starts span 04:06:50 to 05:30:00: 85 minutes. 100 columns: 1 minute each.
	h := l.Histogram(100)
	if h.Step != time.Minute || len(h.Buckets) != 85 {
		t.Fatalf("step %s, %d buckets", h.Step, len(h.Buckets))
	}
	if b := h.Buckets[0]; b.Start.Format(time.RFC3339) != "2014-12-14T04:06:00Z" || b.Accepted.Flows != 1 || b.Rejected.Flows != 1 || b.Rejected.Bytes != 4249 {
		t.Errorf("first bucket %+v", b)
	}
	// 10 columns: 10-minute steps, 04:00 to 05:30 (5 would need 18), aligned to the epoch.
	h = l.Histogram(10)
	if h.Step != 10*time.Minute || len(h.Buckets) != 10 || h.Buckets[0].Start.Format("15:04") != "04:00" {
		t.Fatalf("step %s, %d buckets from %s", h.Step, len(h.Buckets), h.Buckets[0].Start)
	}
	var acc, rej uint64
	for _, b := range h.Buckets {
		acc += b.Accepted.Flows
		rej += b.Rejected.Flows
	}
	if acc != 3 || rej != 3 {
		t.Errorf("accepted %d rejected %d, want 3 and 3 (the NODATA marker in neither)", acc, rej)
	}
	if h := NewLive().Histogram(80); len(h.Buckets) != 0 {
		t.Errorf("empty histogram has %d buckets", len(h.Buckets))
	}
	if h := l.Histogram(1); len(h.Buckets) != 1 || h.Step != 2*time.Hour {
		t.Errorf("one column: step %s, %d buckets", h.Step, len(h.Buckets))
	}
}

func TestPickStep(t *testing.T) {
	cases := []struct {
		first, last uint64
		columns     int
		want        time.Duration
	}{
		{0, 59, 1, time.Minute},
		{0, 3599, 60, time.Minute},
		{0, 3600, 60, 2 * time.Minute},
		{60, 3659, 30, 5 * time.Minute},        // 2-minute buckets 0..30 would be 31
		{0, 1 << 32, 80, 896 * 24 * time.Hour}, // past the list, doubling: 28 days * 32
	}
	for _, c := range cases {
		if got := pickStep(c.first, c.last, c.columns); got != c.want {
			t.Errorf("pickStep(%d, %d, %d) = %s, want %s", c.first, c.last, c.columns, got, c.want)
		}
	}
}

// gen makes varied records from a small domain, so that groups collide: repeated and
// IPv6 addresses, self-traffic, missing fields, markers, every action.
type gen struct{ rng *rand.Rand }

var genAddrs = []netip.Addr{
	netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2"), netip.MustParseAddr("203.0.113.7"),
	netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("192.0.2.13"), netip.MustParseAddr("10.0.0.3"),
}
var genPorts = []uint16{0, 22, 53, 443, 3389, 8080, 40000, 50000, 61000}
var genIfaces = []model.Sym{model.Intern("eni-gen-a"), model.Intern("eni-gen-b"), model.Intern("eni-gen-c")}

func (g gen) flow() model.Flow {
	var r model.Flow
	x := g.rng.IntN(20)
	if x == 0 {
		r.SetStatus(model.StatusNoData)
		r.SetSym(model.FInterfaceID, genIfaces[g.rng.IntN(3)])
		r.SetUint(model.FStart, 1700000000+uint64(g.rng.IntN(3600)))
		return r
	}
	if x == 1 {
		r.SetStatus(model.StatusSkipData)
		return r
	}
	r.SetStatus(model.StatusOK)
	if g.rng.IntN(10) > 0 {
		r.SetSrc(genAddrs[g.rng.IntN(len(genAddrs))])
	}
	if g.rng.IntN(10) > 0 {
		r.SetDst(genAddrs[g.rng.IntN(len(genAddrs))])
	}
	if g.rng.IntN(8) > 0 {
		r.SetUint(model.FSrcPort, uint64(genPorts[g.rng.IntN(len(genPorts))]))
		r.SetUint(model.FDstPort, uint64(genPorts[g.rng.IntN(len(genPorts))]))
	}
	if g.rng.IntN(8) > 0 {
		r.SetUint(model.FProtocol, uint64([]uint8{1, 6, 17}[g.rng.IntN(3)]))
	}
	if g.rng.IntN(6) > 0 {
		r.SetSym(model.FInterfaceID, genIfaces[g.rng.IntN(3)])
	}
	if g.rng.IntN(10) > 0 {
		r.SetUint(model.FStart, 1700000000+uint64(g.rng.IntN(7200)))
	}
	r.SetUint(model.FPackets, uint64(g.rng.IntN(100)))
	r.SetUint(model.FBytes, uint64(g.rng.IntN(1_000_000)))
	r.SetAction([]model.Action{model.ActionNone, model.Accept, model.Reject, model.Reject}[g.rng.IntN(4)])
	return r
}

// snapshot is everything a Live answers, for comparing two of them.
type snapshot struct {
	Totals Totals
	Top    [NumPanels][4][]PanelRow
	Groups [NumPanels]int
	Hist   []Histogram
}

func snap(l *Live) snapshot {
	var s snapshot
	s.Totals = l.Totals()
	for p := Panel(0); p < NumPanels; p++ {
		s.Groups[p] = l.Groups(p)
		for i, m := range []Metric{Flows, Packets, Bytes, Rejects} {
			s.Top[p][i] = l.Top(p, m, 0)
		}
	}
	for _, cols := range []int{1, 7, 60, 500} {
		s.Hist = append(s.Hist, l.Histogram(cols))
	}
	return s
}

func fresh(held []model.Flow) *Live {
	l := NewLive()
	for i := range held {
		l.Add(&held[i])
	}
	return l
}

// empty reports whether l holds nothing at all, its internal tables included.
func empty(l *Live) string {
	switch {
	case l.Totals() != Totals{}:
		return fmt.Sprintf("totals %+v", l.Totals())
	case l.addrs.Len() != 0 || l.ports.Len() != 0 || l.rejPorts.Len() != 0 || l.ifaces.Len() != 0 ||
		l.convs.Len() != 0 || l.times.Len() != 0:
		return fmt.Sprintf("rows left: %d addresses, %d ports, %d rejected ports, %d interfaces, %d conversations, %d minutes",
			l.addrs.Len(), l.ports.Len(), l.rejPorts.Len(), l.ifaces.Len(), l.convs.Len(), l.times.Len())
	case l.srcPorts.Len() != 0 || l.srcHosts.Len() != 0:
		return fmt.Sprintf("scan pairs left: %d, %d", l.srcPorts.Len(), l.srcHosts.Len())
	}
	for _, v := range l.addrs.vals {
		if v != (addrRow{}) {
			return fmt.Sprintf("a released address row is not zero: %+v", v)
		}
	}
	return ""
}

// checkLive runs ops against a Live as a ring would (add new records, remove the oldest
// or a random held one) and checks that its answers equal a Live built from scratch over
// the records held and the naive reference, and that removing everything leaves it empty.
func checkLive(t *testing.T, seed uint64, steps int) {
	g := gen{rand.New(rand.NewPCG(seed, 7))}
	l := NewLive()
	var held []model.Flow
	for step := 0; step < steps; step++ {
		if len(held) > 0 && g.rng.IntN(3) == 0 {
			i := 0
			if g.rng.IntN(2) == 0 {
				i = g.rng.IntN(len(held))
			}
			l.Remove(&held[i])
			held = slices.Delete(held, i, i+1)
		} else {
			r := g.flow()
			l.Add(&r)
			held = append(held, r)
		}
		if step%97 == 0 || step == steps-1 {
			if got, want := snap(l), snap(fresh(held)); !reflect.DeepEqual(got, want) {
				t.Fatalf("seed %d step %d: incremental counts differ from a recount of %d records:\n%+v\nwant\n%+v", seed, step, len(held), got, want)
			}
			naive(t, l, held)
			checkFrame(t, l)
		}
	}
	for len(held) > 0 {
		i := g.rng.IntN(len(held))
		l.Remove(&held[i])
		held = slices.Delete(held, i, i+1)
	}
	if msg := empty(l); msg != "" {
		t.Fatalf("seed %d: after removing every record: %s", seed, msg)
	}
}

func TestLiveAddRemoveMatchesRecount(t *testing.T) {
	for seed := uint64(1); seed <= 20; seed++ {
		checkLive(t, seed, 1500)
	}
}

func FuzzLive(f *testing.F) {
	f.Add(uint64(1), uint16(50))
	f.Add(uint64(42), uint16(400))
	f.Fuzz(func(t *testing.T, seed uint64, steps uint16) {
		checkLive(t, seed, int(steps%2000))
	})
}

// checkFrame: a Frame holds what the single queries answer.
func checkFrame(t *testing.T, l *Live) {
	t.Helper()
	var f Frame
	for _, m := range []Metric{Flows, Rejects} {
		l.Frame(&f, m, 4, 30)
		for p := Panel(0); p < NumPanels; p++ {
			if want := l.Top(p, m, 4); !reflect.DeepEqual(f.Panels[p], want) && len(want)+len(f.Panels[p]) > 0 {
				t.Fatalf("frame panel %s by %s: %v, Top says %v", p, m, f.Panels[p], want)
			}
			if want := len(l.Top(p, m, 0)); f.Groups[p] != want || l.Groups(p) != want {
				t.Fatalf("panel %s has %d rows; the frame says %d, Groups %d", p, want, f.Groups[p], l.Groups(p))
			}
		}
		if !reflect.DeepEqual(f.Histogram, l.Histogram(30)) || f.Totals != l.Totals() {
			t.Fatal("frame histogram or totals differ")
		}
	}
}

// naive recomputes some panels the simplest way, from the records held, as a check
// written apart from Live: sources, conversations and port scans.
func naive(t *testing.T, l *Live, held []model.Flow) {
	t.Helper()
	type sums struct{ flows, packets, bytes, rejects uint64 }
	add := func(s *sums, r *model.Flow) {
		s.flows++
		s.packets += r.Packets
		s.bytes += r.Bytes
		if r.Action == model.Reject {
			s.rejects++
		}
	}
	sources := map[netip.Addr]*sums{}
	convs := map[[2]netip.Addr]*sums{}
	ports := map[netip.Addr]map[uint16]bool{}
	for i := range held {
		r := &held[i]
		if r.Status == model.StatusNoData || r.Status == model.StatusSkipData {
			continue
		}
		if r.Has(model.FSrcAddr) {
			if sources[r.Src()] == nil {
				sources[r.Src()] = &sums{}
			}
			add(sources[r.Src()], r)
			if r.Has(model.FDstAddr) {
				k := [2]netip.Addr{r.Src(), r.Dst()}
				if k[1].Less(k[0]) {
					k[0], k[1] = k[1], k[0]
				}
				if convs[k] == nil {
					convs[k] = &sums{}
				}
				add(convs[k], r)
			}
			if r.Has(model.FDstPort) && r.SrcPort|r.DstPort != 0 && requestLike(r) {
				if ports[r.Src()] == nil {
					ports[r.Src()] = map[uint16]bool{}
				}
				ports[r.Src()][r.DstPort] = true
			}
		}
	}
	top := l.Top(Sources, Flows, 0)
	if len(top) != len(sources) {
		t.Fatalf("%d sources, naive %d", len(top), len(sources))
	}
	for _, row := range top {
		s := sources[row.Addr]
		if s == nil || *s != (sums{row.Flows, row.Packets, row.Bytes, row.Rejects}) {
			t.Fatalf("source %s: %+v, naive %+v", row.Addr, row, s)
		}
	}
	top = l.Top(Conversations, Bytes, 0)
	if len(top) != len(convs) {
		t.Fatalf("%d conversations, naive %d", len(top), len(convs))
	}
	for i, row := range top {
		s := convs[[2]netip.Addr{row.Addr, row.Peer}]
		if s == nil || *s != (sums{row.Flows, row.Packets, row.Bytes, row.Rejects}) {
			t.Fatalf("conversation %s %s: %+v, naive %+v", row.Addr, row.Peer, row, s)
		}
		if i > 0 && top[i-1].Bytes < row.Bytes {
			t.Fatalf("conversations not in bytes order at %d", i)
		}
	}
	top = l.Top(ScanPorts, Flows, 0)
	if len(top) != len(ports) {
		t.Fatalf("%d port-scan rows, naive %d", len(top), len(ports))
	}
	for _, row := range top {
		if n := uint64(len(ports[row.Addr])); n != row.Distinct {
			t.Fatalf("source %s asked for %d distinct ports, naive %d", row.Addr, row.Distinct, n)
		}
	}
}

// TestTracker drives a small ring through appends that evict, a filter change and a
// backfill in small steps, and checks the counts against a recount of what the ring
// holds through the filter after every step.
func TestTracker(t *testing.T) {
	g := gen{rand.New(rand.NewPCG(9, 9))}
	r := ring.New(200)
	tr := NewTracker(r)
	r.OnEvict = tr.Evict
	var match ring.Match
	recount := func(step string) {
		t.Helper()
		var held []model.Flow
		r.Range(0, func(_ ring.Seq, f *model.Flow) bool {
			if match == nil || match(f) {
				held = append(held, *f)
			}
			return true
		})
		if got, want := snap(tr.Live()), snap(fresh(held)); !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: the tracker's counts differ from a recount of %d records", step, len(held))
		}
	}
	batch := func(n int) []model.Flow {
		b := make([]model.Flow, n)
		for i := range b {
			b[i] = g.flow()
		}
		return b
	}
	for i := range 10 {
		r.Append(batch(37))
		tr.Update()
		recount(fmt.Sprintf("batch %d", i))
	}
	match = func(f *model.Flow) bool { return f.Action == model.Reject }
	tr.SetFilter(match)
	if tr.Pending() != 200 {
		t.Fatalf("pending %d after a new filter", tr.Pending())
	}
	for i := 0; ; i++ {
		// New records keep arriving while the backfill runs, and push some of the
		// records still to backfill out of the ring.
		r.Append(batch(15))
		tr.Update()
		done := tr.Backfill(30)
		if !done {
			if tr.Pending() == 0 {
				t.Fatal("not done with nothing pending")
			}
			continue
		}
		recount(fmt.Sprintf("backfill done after %d steps", i))
		break
	}
	// Two appends before one Update: the first batch's records are evicted by the
	// second before they were counted.
	r.Append(batch(150))
	r.Append(batch(150))
	tr.Update()
	recount("two appends, one update")
	match = nil
	tr.SetFilter(nil)
	tr.Sync()
	recount("sync with no filter")
	r.Append(batch(1000 % 200))
	tr.Update()
	recount("last")
}

// TestCompareAddr16 agrees with netip.Addr.Compare on the addresses as a Live stores them.
func TestCompareAddr16(t *testing.T) {
	var addrs []netip.Addr
	for _, s := range []string{"0.0.0.0", "1.2.3.4", "10.0.0.1", "255.255.255.255", "::", "::1", "::2:0:0",
		"64:ff9b::1", "2001:db8::1", "2001:db8::ffff:0:1", "fe80::1", "ffff::", "::fffe:1.2.3.4"} {
		addrs = append(addrs, netip.MustParseAddr(s))
	}
	for _, a := range addrs {
		for _, b := range addrs {
			ka, kb := a.As16(), b.As16()
			if got, want := compareAddr16(&ka, &kb), a.Compare(b); got != want {
				t.Errorf("compareAddr16(%s, %s) = %d, netip says %d", a, b, got, want)
			}
		}
	}
}

func TestPortRank(t *testing.T) {
	for _, proto := range []uint8{1, 6, 17, 58} {
		for port := range 65536 {
			if got, want := portRank(proto, uint16(port)), decode.ServicePortRank(proto, uint16(port)); int(got) != want {
				t.Fatalf("portRank(%d, %d) = %d, want %d", proto, port, got, want)
			}
		}
	}
}

// ExampleTracker wires the live counts to a ring as the explorer does.
func ExampleTracker() {
	r := ring.New(3) // the explorer's ring holds a million
	tr := NewTracker(r)
	r.OnEvict = tr.Evict // (the explorer also lets the pairs index forget the record)

	p := model.NewParser("example", nil)
	batch := func(lines ...string) []model.Flow {
		recs := make([]model.Flow, len(lines))
		for i, l := range lines {
			p.Parse([]byte(l), &recs[i])
		}
		return recs
	}
	r.Append(batch(
		"2 1 eni-a 203.0.113.7 10.0.0.5 40000 22 6 10 840 1700000000 1700000060 REJECT OK",
		"2 1 eni-a 198.51.100.1 10.0.0.5 40001 443 6 20 9000 1700000000 1700000060 ACCEPT OK",
	))
	tr.Update() // after every append
	r.Append(batch(
		"2 1 eni-a 203.0.113.7 10.0.0.5 40002 23 6 5 420 1700000065 1700000120 REJECT OK",
		"2 1 eni-a 203.0.113.7 10.0.0.6 40003 22 6 5 420 1700000070 1700000120 REJECT OK",
	)) // the ring holds three: the first record leaves the counts
	tr.Update()

	var f Frame
	tr.Live().Frame(&f, Flows, 5, 80)
	for _, row := range f.Panels[Sources] {
		fmt.Println(row.Filter(Sources), row.Flows, row.Rejects)
	}

	// A new filter: count again, newest first, a step per frame.
	tr.SetFilter(func(f *model.Flow) bool { return f.Action == model.Reject })
	for !tr.Backfill(1) {
	}
	tr.Live().Frame(&f, Flows, 5, 80)
	for _, row := range f.Panels[ScanPorts] {
		fmt.Println(row.Filter(ScanPorts), "asked for", row.Distinct, "ports")
	}
	// Output:
	// srcaddr=203.0.113.7 2 2
	// srcaddr=198.51.100.1 1 0
	// srcaddr=203.0.113.7 asked for 2 ports
}
