package sim

import (
	"time"

	"github.com/flowlens/flowlens/model"
)

// Case is a small hand-built situation that pair and verdict logic must get right: a
// topology and one conversation through it. Run it for the records and the truth;
// Topology.RulesJSON gives the rules a rule engine needs to name the deciding rule.
type Case struct {
	Name         string
	Topology     *Topology
	Conversation Conversation
}

// Run converses the case's conversation (format nil: V5Format).
func (c Case) Run(format *model.Format) Result { return c.Topology.Converse(format, c.Conversation) }

// caseVPC is the start of every case: a VPC with IPv4 and IPv6, subnets a (10.0.1.0/24)
// and b (10.0.2.0/24) with network ACLs acl-a and acl-b that allow everything, and a host
// outside, 203.0.113.7 (2001:db8::7).
func caseVPC() (t *Topology, a, b *Subnet, outside *Host) {
	t = NewTopology("10.0.0.0/16", "2600:1f18:4a3:6b00::/56")
	a = t.AddSubnet("a", "10.0.1.0/24", t.AddNACL("acl-a").AllowAll())
	b = t.AddSubnet("b", "10.0.2.0/24", t.AddNACL("acl-b").AllowAll())
	outside = t.AddHost("outside", "203.0.113.7", "2001:db8::7", Linux)
	return t, a, b, outside
}

// Cases returns the hand-built cases, each with a topology of its own. Interfaces,
// groups and ACLs are named so that a test can find them (Topology.Interface,
// Topology.Group, Topology.NACL).
func Cases() []Case {
	var cases []Case
	add := func(name string, t *Topology, c Conversation) {
		cases = append(cases, Case{Name: name, Topology: t, Conversation: c})
	}

	{ // The responder's side of an inbound connection, accepted.
		t, a, _, out := caseVPC()
		web := t.AddInterface("web", a, Linux, t.AddSecurityGroup("ssh").AllowIn(TCP, 22, 22, "0.0.0.0/0"))
		add("inbound ssh allowed", t, Conversation{Initiator: out, Responder: web, Protocol: TCP, Port: 22, Duration: 20 * time.Second})
	}
	{
		t, a, _, out := caseVPC()
		web := t.AddInterface("web", a, Linux, t.AddSecurityGroup("web").AllowIn(TCP, 443, 443, "0.0.0.0/0"))
		add("inbound ssh rejected by the security group", t, Conversation{Initiator: out, Responder: web, Protocol: TCP, Port: 22})
	}
	{ // The ACL lets SSH in but only HTTPS out: the replies to ephemeral ports die.
		t, _, _, out := caseVPC()
		acl := t.AddNACL("no-return")
		acl.In(100, Allow, TCP, 22, 22, "0.0.0.0/0").Out(100, Allow, TCP, 443, 443, "0.0.0.0/0")
		web := t.AddInterface("web", t.AddSubnet("c", "10.0.3.0/24", acl), Linux, t.AddSecurityGroup("ssh").AllowIn(TCP, 22, 22, "0.0.0.0/0"))
		add("reply rejected by the network ACL: no ephemeral return rule", t, Conversation{Initiator: out, Responder: web, Protocol: TCP, Port: 22})
	}
	{ // A client with ports 1025-5000 against a return rule written for 32768 and up.
		t, _, _, _ := caseVPC()
		acl := t.AddNACL("linux-return")
		acl.In(100, Allow, TCP, 443, 443, "0.0.0.0/0").Out(100, Allow, TCP, 32768, 65535, "0.0.0.0/0")
		web := t.AddInterface("web", t.AddSubnet("c", "10.0.3.0/24", acl), Linux, t.AddSecurityGroup("https").AllowIn(TCP, 443, 443, "0.0.0.0/0"))
		xp := t.AddHost("xp", "198.51.100.7", "", OldWindows)
		add("old windows client: the return rule starts at 32768", t, Conversation{Initiator: xp, Responder: web, Protocol: TCP, Port: 443})
	}
	{
		t, a, _, out := caseVPC()
		sg := t.AddSecurityGroup("locked").RevokeOutbound().AllowOut(TCP, 5432, 5432, "10.0.0.0/16")
		app := t.AddInterface("app", a, Linux, sg)
		add("outbound request rejected by its own security group", t, Conversation{Initiator: app, Responder: out, Protocol: TCP, Port: 443})
	}
	{
		t, _, _, out := caseVPC()
		acl := t.AddNACL("egress-443-only")
		acl.In(100, Allow, AllProtocols, 0, 0, "0.0.0.0/0").Out(100, Allow, TCP, 443, 443, "0.0.0.0/0")
		app := t.AddInterface("app", t.AddSubnet("c", "10.0.3.0/24", acl), Linux, t.AddSecurityGroup("app"))
		add("outbound request rejected by its own network ACL", t, Conversation{Initiator: app, Responder: out, Protocol: TCP, Port: 80})
	}
	{ // Logged on both: egress ACCEPT on app, ingress REJECT on db.
		t, a, b, _ := caseVPC()
		base := t.AddSecurityGroup("base").AllowIn(ICMP, 0, 0, "10.0.0.0/16")
		app := t.AddInterface("app", a, Linux, t.AddSecurityGroup("app"))
		db := t.AddInterface("db", b, Linux, t.AddSecurityGroup("db").AllowIn(TCP, 5432, 5432, "10.0.9.0/24"), base)
		add("internal app to db rejected by the db's security group", t, Conversation{Initiator: app, Responder: db, Protocol: TCP, Port: 5432})
	}
	{
		t, a, b, _ := caseVPC()
		b.NACL.Entries = nil
		b.NACL.In(100, Allow, TCP, 22, 22, "10.0.0.0/24")
		sg := t.AddSecurityGroup("vpc").AllowIn(AllProtocols, 0, 0, "10.0.0.0/16")
		app := t.AddInterface("app", a, Linux, sg)
		db := t.AddInterface("db", b, Linux, sg)
		add("internal request dropped by the far subnet's ACL", t, Conversation{Initiator: app, Responder: db, Protocol: TCP, Port: 5432, Attempts: 2})
	}
	{ // Linux clients use 32768-60999: above the return rule.
		t, a, b, _ := caseVPC()
		a.NACL.Entries = nil
		a.NACL.Out(100, Allow, AllProtocols, 0, 0, "0.0.0.0/0").In(100, Allow, TCP, 1024, 32767, "10.0.0.0/16")
		sg := t.AddSecurityGroup("vpc").AllowIn(AllProtocols, 0, 0, "10.0.0.0/16")
		app := t.AddInterface("app", a, Linux, sg)
		db := t.AddInterface("db", b, Linux, sg)
		add("internal reply dropped entering the initiator's subnet", t, Conversation{Initiator: app, Responder: db, Protocol: TCP, Port: 5432})
	}
	{ // acl-a has no entries: everything crossing subnet a's edge is denied, but nothing crosses it.
		t, a, _, _ := caseVPC()
		a.NACL.Entries = nil
		app := t.AddInterface("app", a, Linux, t.AddSecurityGroup("app"))
		db := t.AddInterface("db", a, Linux, t.AddSecurityGroup("db").AllowIn(TCP, 5432, 5432, "10.0.1.0/24"))
		add("intra-subnet traffic ignores the network ACL", t, Conversation{Initiator: app, Responder: db, Protocol: TCP, Port: 5432, Duration: 3 * time.Second})
	}
	{ // FLOWLOGS.md's ping case.
		t, _, _, out := caseVPC()
		acl := t.AddNACL("no-icmp-out")
		acl.In(100, Allow, ICMP, 0, 0, "0.0.0.0/0").Out(100, Allow, TCP, 1024, 65535, "0.0.0.0/0")
		web := t.AddInterface("web", t.AddSubnet("c", "10.0.3.0/24", acl), Linux, t.AddSecurityGroup("icmp").AllowIn(ICMP, 0, 0, "0.0.0.0/0"))
		add("ping: the reply dropped by the network ACL", t, Conversation{Initiator: out, Responder: web, Protocol: ICMP})
	}
	{
		t, a, _, out := caseVPC()
		web := t.AddInterface("web", a, Linux, t.AddSecurityGroup("no-icmp"))
		add("ping rejected by the security group", t, Conversation{Initiator: out, Responder: web, Protocol: ICMP, Request: Volume{Packets: 2}})
	}
	{
		t, a, b, _ := caseVPC()
		app := t.AddInterface("app", a, Linux, t.AddSecurityGroup("app"))
		dns := t.AddInterface("dns", b, Linux, t.AddSecurityGroup("dns").AllowIn(UDP, 53, 53, "10.0.0.0/16"))
		add("udp dns to a custom resolver", t, Conversation{Initiator: app, Responder: dns, Protocol: UDP, Port: 53})
	}
	{
		t, a, b, _ := caseVPC()
		a.NACL.Entries = nil
		a.NACL.Out(100, Allow, AllProtocols, 0, 0, "0.0.0.0/0").In(100, Allow, TCP, 1024, 65535, "10.0.0.0/16")
		app := t.AddInterface("app", a, Linux, t.AddSecurityGroup("app"))
		dns := t.AddInterface("dns", b, Linux, t.AddSecurityGroup("dns").AllowIn(UDP, 53, 53, "10.0.0.0/16"))
		add("udp dns answer dropped: the return rule is tcp only", t, Conversation{Initiator: app, Responder: dns, Protocol: UDP, Port: 53, Attempts: 2})
	}
	{
		t, a, _, out := caseVPC()
		log := t.AddInterface("log", a, Linux, t.AddSecurityGroup("syslog").AllowIn(UDP, 514, 514, "0.0.0.0/0"))
		add("silent target: accepted, nothing answers", t, Conversation{Initiator: out, Responder: log, Protocol: UDP, Port: 514, Reply: Silent})
	}
	{
		t, a, _, out := caseVPC()
		web := t.AddInterface("web", a, Linux, t.AddSecurityGroup("open").AllowIn(AllProtocols, 0, 0, "0.0.0.0/0"))
		add("closed port resets", t, Conversation{Initiator: out, Responder: web, Protocol: TCP, Port: 8081, Reply: Reset})
	}
	{
		t, a, b, _ := caseVPC()
		appSG := t.AddSecurityGroup("app")
		app := t.AddInterface("app", a, Linux, appSG)
		db := t.AddInterface("db", b, Linux, t.AddSecurityGroup("db").AllowInFrom(TCP, 5432, 5432, appSG))
		add("group reference: a member reaches the db", t, Conversation{Initiator: app, Responder: db, Protocol: TCP, Port: 5432})
	}
	{
		t, a, b, _ := caseVPC()
		appSG := t.AddSecurityGroup("app")
		t.AddInterface("app", a, Linux, appSG)
		other := t.AddInterface("other", a, Linux, t.AddSecurityGroup("other"))
		db := t.AddInterface("db", b, Linux, t.AddSecurityGroup("db").AllowInFrom(TCP, 5432, 5432, appSG))
		add("group reference: a non-member is rejected", t, Conversation{Initiator: other, Responder: db, Protocol: TCP, Port: 5432})
	}
	{
		t, _, _, out := caseVPC()
		acl := t.AddNACL("blocklist")
		acl.In(90, Deny, TCP, 22, 22, "203.0.113.0/24").In(100, Allow, AllProtocols, 0, 0, "0.0.0.0/0")
		acl.Out(100, Allow, AllProtocols, 0, 0, "0.0.0.0/0")
		web := t.AddInterface("web", t.AddSubnet("c", "10.0.3.0/24", acl), Linux, t.AddSecurityGroup("ssh").AllowIn(TCP, 22, 22, "0.0.0.0/0"))
		add("deny before allow: #90 denies what #100 would allow", t, Conversation{Initiator: out, Responder: web, Protocol: TCP, Port: 22, Attempts: 1})
	}
	{
		t, _, _, out := caseVPC()
		acl := t.AddNACL("v4-only")
		acl.In(100, Allow, AllProtocols, 0, 0, "0.0.0.0/0").Out(100, Allow, AllProtocols, 0, 0, "0.0.0.0/0")
		web := t.AddInterface("web", t.AddSubnet("c", "10.0.3.0/24", acl), Linux, t.AddSecurityGroup("https").AllowIn(TCP, 443, 443, "::/0"))
		web.AddIPv6()
		add("ipv6: the ACL has IPv4 rules only, #32768 denies", t, Conversation{Initiator: out, Responder: web, Protocol: TCP, Port: 443, IPv6: true, Attempts: 1})
	}
	{
		t, a, _, out := caseVPC()
		web := t.AddInterface("web", a, Linux, t.AddSecurityGroup("icmpv6").AllowIn(ICMPv6, 0, 0, "::/0"))
		web.AddIPv6()
		add("icmpv6 echo, accepted", t, Conversation{Initiator: out, Responder: web, Protocol: ICMPv6, Request: Volume{Packets: 2}})
	}
	{ // The app's group has no inbound rules: a RST after the close is rejected.
		t, a, _, out := caseVPC()
		app := t.AddInterface("app", a, Linux, t.AddSecurityGroup("app"))
		add("stray RST after the close: a benign REJECT", t, Conversation{Initiator: app, Responder: out, Protocol: TCP, Port: 443, Stray: true})
	}
	{
		t, a, b, _ := caseVPC()
		node := t.AddInterface("node", b, Linux, t.AddSecurityGroup("pods").AllowIn(AllProtocols, 0, 0, "10.0.0.0/16"))
		pod := node.AddSecondaryIP()
		web := t.AddInterface("web", a, Linux, t.AddSecurityGroup("web"))
		add("secondary address: a pod on a node", t, Conversation{Initiator: web, Responder: node.At(pod), Protocol: TCP, Port: 8080})
	}
	{
		t, a, b, _ := caseVPC()
		b.NAT = t.AddNATGateway("nat", a, "54.210.17.33")
		app := t.AddInterface("app", b, Linux, t.AddSecurityGroup("app"))
		s3 := t.AddHost("s3", "52.95.128.179", "", LoadBalancer)
		s3.Service = "S3"
		add("through a NAT gateway to S3", t, Conversation{Initiator: app, Responder: s3, Protocol: TCP, Port: 443})
	}
	return cases
}
