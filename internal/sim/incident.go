package sim

import "time"

// Incident is the demo: half an hour of a small shop's VPC on a bad morning, a few
// thousand records. Healthy traffic (HTTPS through a load balancer to the web tier, the
// API tier, a database, DNS to a custom resolver, S3 through a NAT gateway) runs
// throughout, and these go wrong:
//
//   - 09:03-09:12 two scanners sweep the public interfaces: one from a blocklisted
//     network, which the public network ACL denies before its allows (#90), one that
//     the security groups reject, port by port;
//   - 09:08-09:25 an SSH brute force on jump-legacy, whose security group still allows
//     SSH from anywhere: accepted, one short connection after another; the same
//     attacker's tries on the bastion are rejected by its security group;
//   - from 09:10 the newly deployed orders service tries the database on 5432, which
//     the database's security group allows only from the API tier: egress ACCEPT on
//     orders, ingress REJECT on the database;
//   - the Windows report server downloads from S3 through the NAT gateway, but the app
//     subnet's network ACL lets return traffic in only on 32768-60999 (Linux's range):
//     its downloads from ports 61000-65535 fail, the responses rejected on ingress;
//   - a monitoring service pings jump-legacy and the bastion, and the public ACL has no
//     outbound ICMP rule: ingress ACCEPT, the replies egress REJECT (#32767);
//   - now and then a late RST reaches a client after its connection closed: a benign
//     REJECT.
//
// KeepTruth is on, and Duration is 30 minutes: Stream(format, 0, fn) replays it all.
func Incident(seed int64) *Scenario {
	t := NewTopology("10.0.0.0/16", "")

	public := t.AddNACL("public")
	public.In(90, Deny, AllProtocols, 0, 0, "192.0.2.0/28") // a blocklisted network
	public.In(100, Allow, TCP, 443, 443, "0.0.0.0/0").In(110, Allow, TCP, 80, 80, "0.0.0.0/0")
	public.In(120, Allow, TCP, 22, 22, "0.0.0.0/0").In(130, Allow, AllProtocols, 0, 0, "10.0.0.0/16")
	public.In(140, Allow, TCP, 1024, 65535, "0.0.0.0/0").In(150, Allow, ICMP, 0, 0, "0.0.0.0/0")
	// Outbound: replies on the ephemeral ports, HTTPS and anything inside the VPC, but no
	// ICMP to the internet: ping replies die here.
	public.Out(100, Allow, TCP, 1024, 65535, "0.0.0.0/0").Out(110, Allow, TCP, 443, 443, "0.0.0.0/0")
	public.Out(120, Allow, TCP, 80, 80, "0.0.0.0/0").Out(130, Allow, AllProtocols, 0, 0, "10.0.0.0/16")
	app := t.AddNACL("app")
	app.In(100, Allow, AllProtocols, 0, 0, "10.0.0.0/16")
	app.In(110, Allow, TCP, 32768, 60999, "0.0.0.0/0") // return traffic, written with Linux in mind
	app.Out(100, Allow, AllProtocols, 0, 0, "0.0.0.0/0")
	data := t.AddNACL("data")
	data.In(100, Allow, TCP, 5432, 5432, "10.0.10.0/24").In(110, Allow, TCP, 22, 22, "10.0.0.0/24")
	data.In(120, Allow, UDP, 1024, 65535, "10.0.10.0/24")
	data.Out(100, Allow, TCP, 1024, 65535, "10.0.0.0/16").Out(110, Allow, UDP, 53, 53, "10.0.10.0/24")

	pub := t.AddSubnet("public-a", "10.0.0.0/24", public)
	appA := t.AddSubnet("app-a", "10.0.10.0/24", app)
	dataA := t.AddSubnet("data-a", "10.0.20.0/24", data)

	albSG := t.AddSecurityGroup("shop-alb").AllowIn(TCP, 443, 443, "0.0.0.0/0").AllowIn(TCP, 80, 80, "0.0.0.0/0")
	bastionSG := t.AddSecurityGroup("bastion").AllowIn(TCP, 22, 22, "198.51.100.0/27").AllowIn(ICMP, 0, 0, "0.0.0.0/0")
	legacySG := t.AddSecurityGroup("jump-legacy").AllowIn(TCP, 22, 22, "0.0.0.0/0").AllowIn(ICMP, 0, 0, "0.0.0.0/0")
	webSG := t.AddSecurityGroup("shop-web").AllowInFrom(TCP, 8080, 8080, albSG).AllowInFrom(TCP, 22, 22, bastionSG)
	apiSG := t.AddSecurityGroup("shop-api").AllowInFrom(TCP, 9000, 9000, webSG)
	ordersSG := t.AddSecurityGroup("orders")
	reportSG := t.AddSecurityGroup("report").AllowInFrom(TCP, 3389, 3389, bastionSG)
	dnsSG := t.AddSecurityGroup("dns").AllowIn(UDP, 53, 53, "10.0.0.0/16")
	dbSG := t.AddSecurityGroup("shop-db").AllowInFrom(TCP, 5432, 5432, apiSG).AllowInFrom(TCP, 22, 22, bastionSG)

	alb := t.AddInterface("shop-alb", pub, LoadBalancer, albSG)
	alb.Instance, alb.Description = "", "ELB app/shop-alb/50dc6c495c0c9188"
	nat := t.AddNATGateway("nat-a", pub, "54.210.17.33")
	appA.NAT, dataA.NAT = nat, nat
	bastion := t.AddInterface("bastion", pub, Linux, bastionSG)
	legacy := t.AddInterface("jump-legacy", pub, Linux, legacySG)
	webs := []*Interface{t.AddInterface("web-1", appA, Linux, webSG), t.AddInterface("web-2", appA, Linux, webSG)}
	apis := []*Interface{t.AddInterface("api-1", appA, Linux, apiSG), t.AddInterface("api-2", appA, Linux, apiSG)}
	orders := t.AddInterface("orders-new", appA, Linux, ordersSG)
	report := t.AddInterface("report-win", appA, Windows, reportSG)
	dns := t.AddInterface("dns-1", appA, Linux, dnsSG)
	db := t.AddInterface("db-1", dataA, Linux, dbSG)

	clients := documentationHosts(t, "client", 60, 40)
	s3 := awsHosts(t, "S3", "52.95.128.0/21", 6)
	blocked := t.AddHost("scanner-blocklisted", "192.0.2.13", "", Linux)
	scanner := t.AddHost("scanner", "203.0.113.99", "", Linux)
	attacker := t.AddHost("ssh-attacker", "203.0.113.66", "", Linux)
	pinger := t.AddHost("uptime-monitor", "203.0.113.12", "", Linux)

	s := NewScenario("incident", t, seed, DefaultStart, 30*time.Minute)
	s.KeepTruth = true
	s.NoData = 0.3
	minute := func(m int) time.Duration { return time.Duration(m) * time.Minute }

	s.AddTraffic(Traffic{Name: "https", PerMinute: 10, Make: func(g *Gen) Conversation {
		return tcpCall(g, "https", Pick(g, clients), alb, 443, 0, 20)
	}})
	s.AddTraffic(Traffic{Name: "alb to web", PerMinute: 10, Make: func(g *Gen) Conversation {
		return tcpCall(g, "alb to web", alb, Pick(g, webs), 8080, 0, 10)
	}})
	s.AddTraffic(Traffic{Name: "web to api", PerMinute: 8, Make: func(g *Gen) Conversation {
		return tcpCall(g, "web to api", Pick(g, webs), Pick(g, apis), 9000, 0, 5)
	}})
	s.AddTraffic(Traffic{Name: "api to db", PerMinute: 0.15, Make: func(g *Gen) Conversation {
		c := tcpCall(g, "api to db (pooled)", Pick(g, apis), db, 5432, 300, 900)
		c.Request = Volume{uint64(g.Between(200, 2000)), 0}
		c.Request.Bytes = c.Request.Packets * 180
		c.Response = Volume{c.Request.Packets * 2, c.Request.Packets * 1100}
		return c
	}})
	dnsClients := append(append([]*Interface{orders, report, db}, webs...), apis...)
	s.AddTraffic(Traffic{Name: "dns", PerMinute: 6, Make: func(g *Gen) Conversation {
		return Conversation{Label: "dns", Initiator: Pick(g, dnsClients), Responder: dns, Protocol: UDP, Port: 53,
			Request: Volume{1, uint64(g.Between(60, 90))}, Response: Volume{1, uint64(g.Between(90, 300))}}
	}})
	s.AddTraffic(Traffic{Name: "s3", PerMinute: 1.5, Make: func(g *Gen) Conversation {
		c := tcpCall(g, "s3", Pick(g, apis), Pick(g, s3), 443, 0, 30)
		c.Stray = g.Chance(0.1)
		return c
	}})
	s.AddTraffic(Traffic{Name: "report downloads", PerMinute: 3, Make: func(g *Gen) Conversation {
		c := tcpCall(g, "report download from s3", report, Pick(g, s3), 443, 2, 40)
		c.Response.Bytes = c.Response.Packets * 1400
		return c
	}})
	s.AddTraffic(Traffic{Name: "pings", PerMinute: 1, Make: func(g *Gen) Conversation {
		to := legacy
		if g.N%2 == 1 {
			to = bastion
		}
		return Conversation{Label: "uptime ping", Initiator: pinger, Responder: to, Protocol: ICMP, Request: Volume{4, 4 * pingBytes}}
	}})
	scanPorts := []uint16{21, 22, 23, 25, 53, 80, 110, 135, 139, 443, 445, 1433, 3306, 3389, 5432, 5900, 6379, 8080, 8443, 9200}
	scanTargets := []*Interface{alb, bastion, legacy, nat}
	s.AddTraffic(Traffic{Name: "blocklisted scan", PerMinute: 20, From: minute(3), Until: minute(12), Make: func(g *Gen) Conversation {
		return scan(g, blocked, scanTargets[g.N/len(scanPorts)%len(scanTargets)], scanPorts[g.N%len(scanPorts)])
	}})
	s.AddTraffic(Traffic{Name: "scan", PerMinute: 25, From: minute(4), Until: minute(12), Make: func(g *Gen) Conversation {
		return scan(g, scanner, scanTargets[g.N/len(scanPorts)%len(scanTargets)], scanPorts[g.N%len(scanPorts)])
	}})
	s.AddTraffic(Traffic{Name: "ssh brute force", PerMinute: 30, From: minute(8), Until: minute(25), Make: func(g *Gen) Conversation {
		if g.Chance(0.15) {
			return Conversation{Label: "ssh brute force", Initiator: attacker, Responder: bastion, Protocol: TCP, Port: 22, Attempts: 2}
		}
		c := tcpCall(g, "ssh brute force", attacker, legacy, 22, 2, 8)
		c.Request, c.Response = Volume{uint64(g.Between(11, 16)), 0}, Volume{uint64(g.Between(10, 14)), 0}
		c.Request.Bytes, c.Response.Bytes = c.Request.Packets*110, c.Response.Packets*150
		return c
	}})
	s.AddTraffic(Traffic{Name: "orders to db", PerMinute: 8, From: minute(10), Make: func(g *Gen) Conversation {
		return Conversation{Label: "orders to db", Initiator: orders, Responder: db, Protocol: TCP, Port: 5432, Attempts: 3}
	}})
	return s
}
