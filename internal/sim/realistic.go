package sim

import (
	"fmt"
	"net/netip"
	"time"
)

// Realistic is a busy production VPC with about forty interfaces, for benchmarks and
// the README's performance comparison: internet clients through load balancers to a
// web tier, an API tier, databases and caches; a custom DNS resolver; S3 and DynamoDB
// through NAT gateways; Kubernetes pods on secondary addresses; a bastion; monitoring;
// and the internet's background noise of scanners and SSH guessing; about half a
// percent of the records are REJECTs. About 37,000 records a simulated minute (two
// million in under an hour), with no end: Stream stops after n records. KeepTruth is off.
func Realistic(seed int64) *Scenario {
	t := NewTopology("10.0.0.0/16", "2600:1f18:4a3:6b00::/56")
	const office = "198.51.100.0/27"

	// Blocklisted scanners are denied before the allows (deny-before-allow).
	public := t.AddNACL("public")
	public.In(90, Deny, AllProtocols, 0, 0, "192.0.2.128/25")
	public.In(100, Allow, TCP, 443, 443, "0.0.0.0/0").In(110, Allow, TCP, 80, 80, "0.0.0.0/0")
	public.In(120, Allow, TCP, 22, 22, office).In(130, Allow, AllProtocols, 0, 0, "10.0.0.0/16")
	public.In(140, Allow, TCP, 1024, 65535, "0.0.0.0/0").In(150, Allow, UDP, 1024, 65535, "0.0.0.0/0")
	public.In(160, Allow, ICMP, 0, 0, "0.0.0.0/0")
	public.In(200, Allow, TCP, 443, 443, "::/0").In(210, Allow, TCP, 1024, 65535, "::/0")
	public.Out(100, Allow, AllProtocols, 0, 0, "0.0.0.0/0").Out(101, Allow, AllProtocols, 0, 0, "::/0")
	private := t.AddNACL("private")
	private.In(100, Allow, AllProtocols, 0, 0, "10.0.0.0/16").
		In(110, Allow, TCP, 1024, 65535, "0.0.0.0/0").
		In(120, Allow, UDP, 1024, 65535, "0.0.0.0/0").
		Out(100, Allow, AllProtocols, 0, 0, "0.0.0.0/0")
	data := t.AddNACL("data")
	data.In(100, Allow, TCP, 5432, 5432, "10.0.0.0/16").
		In(110, Allow, TCP, 6379, 6379, "10.0.0.0/16").
		In(120, Allow, TCP, 22, 22, "10.0.0.0/24").
		In(130, Allow, TCP, 1024, 65535, "0.0.0.0/0").
		In(140, Allow, UDP, 1024, 65535, "10.0.0.0/16").
		In(150, Allow, ICMP, 0, 0, "10.0.0.0/16").
		In(160, Allow, TCP, 9100, 9100, "10.0.0.0/16").
		Out(100, Allow, TCP, 1024, 65535, "10.0.0.0/16").
		Out(110, Allow, TCP, 443, 443, "0.0.0.0/0").
		Out(120, Allow, UDP, 53, 53, "10.0.0.0/16").
		Out(130, Allow, ICMP, 0, 0, "10.0.0.0/16")

	pubA := t.AddSubnet("public-a", "10.0.0.0/24", public)
	pubB := t.AddSubnet("public-b", "10.0.1.0/24", public)
	appA := t.AddSubnet("app-a", "10.0.10.0/24", private)
	appB := t.AddSubnet("app-b", "10.0.11.0/24", private)
	dataA := t.AddSubnet("data-a", "10.0.20.0/24", data)
	dataB := t.AddSubnet("data-b", "10.0.21.0/24", data)

	base := t.AddSecurityGroup("base")
	monitorSG := t.AddSecurityGroup("monitoring")
	base.AllowIn(ICMP, 0, 0, "10.0.0.0/16").AllowInFrom(TCP, 9100, 9100, monitorSG)
	bastionSG := t.AddSecurityGroup("bastion").AllowIn(TCP, 22, 22, office).AllowIn(ICMP, 0, 0, "0.0.0.0/0")
	albSG := t.AddSecurityGroup("alb").AllowIn(TCP, 443, 443, "0.0.0.0/0").AllowIn(TCP, 80, 80, "0.0.0.0/0").
		AllowIn(TCP, 443, 443, "::/0")
	webSG := t.AddSecurityGroup("web").AllowInFrom(TCP, 8080, 8080, albSG).AllowInFrom(TCP, 22, 22, bastionSG)
	apiSG := t.AddSecurityGroup("api").AllowInFrom(TCP, 9000, 9000, webSG).AllowInFrom(TCP, 22, 22, bastionSG)
	podSG := t.AddSecurityGroup("eks-nodes").AllowIn(AllProtocols, 0, 0, "10.0.0.0/16")
	dnsSG := t.AddSecurityGroup("dns").AllowIn(UDP, 53, 53, "10.0.0.0/16").AllowIn(TCP, 53, 53, "10.0.0.0/16")
	winSG := t.AddSecurityGroup("windows").AllowInFrom(TCP, 3389, 3389, bastionSG).AllowInFrom(TCP, 9000, 9000, webSG)
	dbSG := t.AddSecurityGroup("db").AllowInFrom(TCP, 5432, 5432, apiSG).AllowInFrom(TCP, 22, 22, bastionSG)
	cacheSG := t.AddSecurityGroup("cache").AllowInFrom(TCP, 6379, 6379, apiSG)

	natA := t.AddNATGateway("nat-a", pubA, "54.210.17.33")
	natB := t.AddNATGateway("nat-b", pubB, "54.210.17.34")
	appA.NAT, appB.NAT, dataA.NAT, dataB.NAT = natA, natB, natA, natB

	var albs, webs, apis, workers, wins, dnss, dbs, caches, nodes, all []*Interface
	add := func(list *[]*Interface, name string, s *Subnet, os OS, groups ...*SecurityGroup) *Interface {
		ifc := t.AddInterface(name, s, os, groups...)
		*list = append(*list, ifc)
		return ifc
	}
	for i, s := range []*Subnet{pubA, pubB} {
		alb := add(&albs, fmt.Sprintf("alb-%c", 'a'+i), s, LoadBalancer, albSG)
		alb.Instance, alb.Description = "", "ELB app/shop-alb/50dc6c495c0c9188"
		alb.AddIPv6()
	}
	var misc []*Interface
	bastion := add(&misc, "bastion", pubA, Linux, bastionSG, base)
	bastion.PublicIP = netip.MustParseAddr("54.210.17.40")
	apps := []*Subnet{appA, appB}
	for i := range 6 {
		add(&webs, fmt.Sprintf("web-%d", i+1), apps[i%2], Linux, webSG, base)
		add(&apis, fmt.Sprintf("api-%d", i+1), apps[i%2], Linux, apiSG, base)
	}
	for i := range 4 {
		add(&workers, fmt.Sprintf("worker-%d", i+1), apps[i%2], Linux, base)
	}
	for i := range 2 {
		add(&wins, fmt.Sprintf("report-%d", i+1), apps[i%2], Windows, winSG, base)
		add(&dnss, fmt.Sprintf("dns-%d", i+1), apps[i%2], Linux, dnsSG, base)
		node := add(&nodes, fmt.Sprintf("eks-node-%d", i+1), apps[i%2], Linux, podSG, base)
		for range 3 {
			node.AddSecondaryIP()
		}
	}
	legacy := add(&misc, "legacy-client", appA, OldWindows, base)
	monitor := add(&misc, "monitor", appA, Linux, monitorSG)
	datas := []*Subnet{dataA, dataB}
	for i := range 4 {
		add(&dbs, fmt.Sprintf("db-%d", i+1), datas[i%2], Linux, dbSG, base)
	}
	for i := range 3 {
		add(&caches, fmt.Sprintf("cache-%d", i+1), datas[i%2], Linux, cacheSG, base)
	}

	for _, ifc := range t.Interfaces {
		if ifc.Instance != "" {
			all = append(all, ifc) // instances, not the managed interfaces
		}
	}
	var monitored []*Interface
	for _, ifc := range all {
		if ifc != monitor {
			monitored = append(monitored, ifc)
		}
	}

	clients := documentationHosts(t, "client", 200, 32)
	v6clients := make([]*Host, 0, 20)
	for _, h := range clients[:20] {
		h.IPv6 = netip.MustParseAddr(fmt.Sprintf("2001:db8:%x::%x", 0x100+int(h.IP.As4()[3]), h.IP.As4()[3]))
		v6clients = append(v6clients, h)
	}
	staff := hostRange(t, "staff", "198.51.100.10", 20, Windows)
	blocklisted := hostRange(t, "scanner-bl", "192.0.2.130", 8, Linux)
	scanners := append(hostRange(t, "scanner", "203.0.113.200", 12, Linux), blocklisted...)
	s3 := awsHosts(t, "S3", "52.95.128.0/21", 12)
	ddb := awsHosts(t, "DYNAMODB", "52.94.0.0/22", 6)
	partner := t.AddHost("partner-api", "198.51.100.200", "", Linux)

	// Two interfaces that see no traffic: they log NODATA now and then.
	add(&misc, "db-standby", dataB, Linux, dbSG, base)
	add(&misc, "spare", appB, Linux, base)

	s := NewScenario("realistic", t, seed, DefaultStart, 0)
	s.NoData, s.SkipData = 0.5, 0.001

	// Internet clients to the load balancers, and the load balancers to the web tier.
	s.AddTraffic(Traffic{Name: "https", PerMinute: 2400, Make: func(g *Gen) Conversation {
		c := Conversation{Label: "https", Initiator: Pick(g, clients), Responder: Pick(g, albs), Protocol: TCP, Port: 443,
			Duration: time.Duration(g.Between(0, 25)) * time.Second,
			Request:  Volume{uint64(g.Between(6, 40)), 0}, Response: Volume{uint64(g.Between(8, 80)), 0}}
		if g.Chance(0.1) {
			c.Initiator, c.IPv6 = Pick(g, v6clients), true
		}
		c.Request.Bytes = c.Request.Packets * uint64(g.Between(60, 300))
		c.Response.Bytes = c.Response.Packets * uint64(g.Between(400, 1400))
		return c
	}})
	s.AddTraffic(Traffic{Name: "alb to web", PerMinute: 2400, Make: func(g *Gen) Conversation {
		return tcpCall(g, "alb to web", Pick(g, albs), Pick(g, webs), 8080, 0, 10)
	}})
	s.AddTraffic(Traffic{Name: "web to api", PerMinute: 1600, Make: func(g *Gen) Conversation {
		if g.Chance(0.1) {
			return tcpCall(g, "web to report api", Pick(g, webs), Pick(g, wins), 9000, 0, 5)
		}
		return tcpCall(g, "web to api", Pick(g, webs), Pick(g, apis), 9000, 0, 5)
	}})
	s.AddTraffic(Traffic{Name: "web to pods", PerMinute: 300, Make: func(g *Gen) Conversation {
		node := Pick(g, nodes)
		return tcpCall(g, "web to pod", Pick(g, webs), node.At(Pick(g, node.Secondary)), 8080, 0, 5)
	}})
	s.AddTraffic(Traffic{Name: "api to db", PerMinute: 8, Make: func(g *Gen) Conversation {
		c := tcpCall(g, "api to db (pooled)", Pick(g, apis), Pick(g, dbs), 5432, 300, 3600)
		c.Request = Volume{uint64(g.Between(500, 20000)), 0}
		c.Request.Bytes = c.Request.Packets * 180
		c.Response = Volume{c.Request.Packets * 2, c.Request.Packets * 1100}
		return c
	}})
	s.AddTraffic(Traffic{Name: "api to cache", PerMinute: 700, Make: func(g *Gen) Conversation {
		return tcpCall(g, "api to cache", Pick(g, apis), Pick(g, caches), 6379, 0, 3)
	}})
	s.AddTraffic(Traffic{Name: "dns", PerMinute: 1500, Make: func(g *Gen) Conversation {
		from, to := Pick(g, all), g.IntN(len(dnss))
		if from == dnss[to] {
			to = 1 - to // a resolver asks the other one
		}
		return Conversation{Label: "dns", Initiator: from, Responder: dnss[to], Protocol: UDP, Port: 53,
			Request:  Volume{1, uint64(g.Between(60, 90))},
			Response: Volume{1, uint64(g.Between(90, 300))}}
	}})
	s.AddTraffic(Traffic{Name: "s3", PerMinute: 220, Make: func(g *Gen) Conversation {
		from := Pick(g, apis)
		if g.Chance(0.3) {
			from = Pick(g, workers)
		} else if g.Chance(0.1) {
			from = Pick(g, dbs) // backups
		}
		c := tcpCall(g, "s3", from, Pick(g, s3), 443, 0, 40)
		c.Response.Bytes = c.Response.Packets * 1400
		c.Stray = g.Chance(0.03)
		return c
	}})
	s.AddTraffic(Traffic{Name: "dynamodb", PerMinute: 120, Make: func(g *Gen) Conversation {
		return tcpCall(g, "dynamodb", Pick(g, workers), Pick(g, ddb), 443, 0, 10)
	}})
	s.AddTraffic(Traffic{Name: "partner api", PerMinute: 20, Make: func(g *Gen) Conversation {
		from := Pick(g, wins)
		if g.Chance(0.3) {
			from = legacy
		}
		return tcpCall(g, "partner api", from, partner, 443, 1, 20)
	}})
	s.AddTraffic(Traffic{Name: "monitoring", PerMinute: 80, Make: func(g *Gen) Conversation {
		to := Pick(g, monitored)
		if g.Chance(0.5) {
			return Conversation{Label: "ping", Initiator: monitor, Responder: to, Protocol: ICMP, Request: Volume{3, 3 * pingBytes}}
		}
		return tcpCall(g, "node exporter", monitor, to, 9100, 0, 1)
	}})
	s.AddTraffic(Traffic{Name: "admin ssh", PerMinute: 1, Make: func(g *Gen) Conversation {
		return tcpCall(g, "ssh", Pick(g, staff), bastion, 22, 60, 1800)
	}})
	hops := append(append([]*Interface{}, webs...), dbs...)
	s.AddTraffic(Traffic{Name: "bastion hops", PerMinute: 1, Make: func(g *Gen) Conversation {
		return tcpCall(g, "ssh from bastion", bastion, Pick(g, hops), 22, 30, 900)
	}})
	s.AddTraffic(Traffic{Name: "rdp", PerMinute: 0.2, Make: func(g *Gen) Conversation {
		return tcpCall(g, "rdp", bastion, Pick(g, wins), 3389, 60, 1200)
	}})
	// The internet's background noise: port scans and SSH guessing, rejected.
	targets := append(append([]*Interface{bastion}, albs...), natA, natB)
	scanPorts := []uint16{21, 22, 23, 25, 80, 110, 135, 139, 143, 443, 445, 1433, 1521, 2375, 3306, 3389,
		5432, 5900, 6379, 8080, 8443, 9200, 11211, 27017}
	s.AddTraffic(Traffic{Name: "scans", PerMinute: 180, Make: func(g *Gen) Conversation {
		return scan(g, Pick(g, scanners), Pick(g, targets), Pick(g, scanPorts))
	}})
	s.AddTraffic(Traffic{Name: "ssh guessing", PerMinute: 12, Make: func(g *Gen) Conversation {
		return Conversation{Label: "ssh guessing", Initiator: Pick(g, clients[150:]), Responder: bastion, Protocol: TCP,
			Port: 22, Attempts: 2}
	}})
	// A mistake that stays: a worker reaching a cache directly, which only the API tier may.
	s.AddTraffic(Traffic{Name: "worker to cache", PerMinute: 2, Make: func(g *Gen) Conversation {
		return tcpCall(g, "worker to cache", Pick(g, workers), Pick(g, caches), 6379, 0, 1)
	}})
	return s
}

// scan is one probe of a port scan: one or two SYNs. An open port answers (the scanner
// then resets), a closed one resets, a NAT gateway ignores what it did not ask for.
func scan(g *Gen, from *Host, to *Interface, port uint16) Conversation {
	c := Conversation{Label: "port scan", Initiator: from, Responder: to, Protocol: TCP, Port: port,
		Attempts: g.Between(1, 2), Reply: Reset, Request: Volume{2, 104}, Response: Volume{1, 60}}
	switch {
	case to.Type == "nat_gateway":
		c.Reply = Silent
	case to.OS == LoadBalancer && (port == 80 || port == 443), to.OS == Linux && port == 22:
		c.Reply = Answer
	}
	return c
}

// tcpCall is a short request-response connection lasting lo to hi seconds.
func tcpCall(g *Gen, label string, from, to Endpoint, port uint16, lo, hi int) Conversation {
	req := uint64(g.Between(4, 30))
	return Conversation{Label: label, Initiator: from, Responder: to, Protocol: TCP, Port: port,
		Duration: time.Duration(g.Between(lo, hi)) * time.Second,
		Request:  Volume{req, req * uint64(g.Between(60, 400))},
		Response: Volume{req + uint64(g.Between(0, 20)), (req + 10) * uint64(g.Between(200, 1400))}}
}

// documentationHosts adds n clients spread over the three documentation ranges,
// skipping the first skip addresses of each.
func documentationHosts(t *Topology, name string, n, skip int) []*Host {
	nets := []string{"203.0.113.", "198.51.100.", "192.0.2."}
	var out []*Host
	for i := 0; len(out) < n; i++ {
		last := skip + i/len(nets)
		if last > 126 {
			break // the upper halves are staff, scanners and partners
		}
		os := Linux
		if i%3 == 1 {
			os = Windows
		}
		out = append(out, t.AddHost(fmt.Sprintf("%s-%d", name, len(out)+1), fmt.Sprintf("%s%d", nets[i%len(nets)], last), "", os))
	}
	return out
}

// hostRange adds n hosts at consecutive addresses from first.
func hostRange(t *Topology, name, first string, n int, os OS) []*Host {
	a := netip.MustParseAddr(first)
	out := make([]*Host, n)
	for i := range out {
		out[i] = t.AddHost(fmt.Sprintf("%s-%d", name, i+1), a.String(), "", os)
		a = a.Next()
	}
	return out
}

// awsHosts adds n addresses of an AWS service's range.
func awsHosts(t *Topology, service, cidr string, n int) []*Host {
	p := netip.MustParsePrefix(cidr)
	a := p.Addr()
	out := make([]*Host, n)
	for i := range out {
		for range 37 { // spread them over the range
			a = a.Next()
		}
		h := t.AddHost(fmt.Sprintf("%s-%d", service, i+1), a.String(), "", LoadBalancer)
		h.Service = service
		out[i] = h
	}
	return out
}
