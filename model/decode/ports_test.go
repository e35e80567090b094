package decode

import (
	"strings"
	"testing"
)

func TestServiceTableShape(t *testing.T) {
	all := Services()
	if len(all) < 100 {
		t.Errorf("Services() has %d entries, want at least 100", len(all))
	}
	names := map[string]bool{}
	for i, s := range all {
		if s.Name == "" || s.Name != strings.ToLower(s.Name) || strings.ContainsAny(s.Name, " \t=") {
			t.Errorf("entry %d: name %q is not one lower-case filter token", i, s.Name)
		}
		if names[s.Name] {
			t.Errorf("name %q appears twice", s.Name)
		}
		names[s.Name] = true
		if !s.TCP && !s.UDP {
			t.Errorf("%s: neither TCP nor UDP", s.Name)
		}
		if s.Description == "" {
			t.Errorf("%s: no description", s.Name)
		}
		if s.Port == 0 {
			t.Errorf("%s: port 0", s.Name)
		}
		// Sorted with one entry per port, so that Service has one answer per port.
		if i > 0 && all[i-1].Port >= s.Port {
			t.Errorf("%s (%d) follows %s (%d): not sorted by port, or a port twice", s.Name, s.Port, all[i-1].Name, all[i-1].Port)
		}
	}
	for alias, name := range serviceAliases {
		if names[alias] {
			t.Errorf("alias %q shadows a service name", alias)
		}
		if !names[name] {
			t.Errorf("alias %q points at unknown service %q", alias, name)
		}
		if alias != strings.ToLower(alias) {
			t.Errorf("alias %q is not lower case", alias)
		}
	}
}

// Every name resolves to its port, and the port reads back to the name on each transport
// the entry names (and on no other).
func TestServiceRoundTrip(t *testing.T) {
	for _, s := range Services() {
		port, ok := PortByService(s.Name)
		if !ok || port != s.Port {
			t.Errorf("PortByService(%q) = %d, %v; want %d", s.Name, port, ok, s.Port)
		}
		if port, ok := PortByService(strings.ToUpper(s.Name)); !ok || port != s.Port {
			t.Errorf("PortByService(%q) = %d, %v; want %d", strings.ToUpper(s.Name), port, ok, s.Port)
		}
		for _, tr := range []struct {
			proto uint8
			on    bool
		}{{ProtoTCP, s.TCP}, {ProtoUDP, s.UDP}} {
			name, ok := Service(tr.proto, s.Port)
			if tr.on && (!ok || name != s.Name) {
				t.Errorf("Service(%d, %d) = %q, %v; want %q", tr.proto, s.Port, name, ok, s.Name)
			}
			if !tr.on && ok {
				t.Errorf("Service(%d, %d) = %q; want none", tr.proto, s.Port, name)
			}
		}
	}
	for alias, name := range ServiceAliases() {
		want, _ := PortByService(name)
		if got, ok := PortByService(alias); !ok || got != want {
			t.Errorf("PortByService(%q) = %d, %v; want %d (%s)", alias, got, ok, want, name)
		}
	}
}

// The services the design names, with the names people will type.
func TestServiceNamesFromDesign(t *testing.T) {
	want := map[string]uint16{
		"ftp-data": 20, "ftp": 21, "ssh": 22, "telnet": 23, "smtp": 25, "smtps": 465,
		"submission": 587, "dns": 53, "dhcp": 67, "dhcp-client": 68, "tftp": 69, "http": 80,
		"kerberos": 88, "pop3": 110, "rpcbind": 111, "ntp": 123, "msrpc": 135,
		"netbios-ns": 137, "netbios-dgm": 138, "netbios-ssn": 139, "imap": 143, "snmp": 161,
		"snmptrap": 162, "bgp": 179, "ldap": 389, "https": 443, "smb": 445, "kpasswd": 464,
		"ipsec-ike": 500, "syslog": 514, "ldaps": 636, "rsync": 873, "imaps": 993,
		"pop3s": 995, "openvpn": 1194, "mssql": 1433, "oracle": 1521, "radius": 1812,
		"radius-acct": 1813, "mqtt": 1883, "ssdp": 1900, "nfs": 2049, "zookeeper": 2181,
		"docker": 2375, "docker-tls": 2376, "etcd": 2379, "etcd-peer": 2380, "grafana": 3000,
		"squid": 3128, "iscsi": 3260, "ldap-gc": 3268, "ldaps-gc": 3269, "mysql": 3306,
		"rdp": 3389, "stun": 3478, "nats": 4222, "ipsec-nat-t": 4500, "sip": 5060,
		"sips": 5061, "mdns": 5353, "llmnr": 5355, "postgres": 5432, "redshift": 5439,
		"kibana": 5601, "amqps": 5671, "amqp": 5672, "vnc": 5900, "couchdb": 5984,
		"winrm": 5985, "winrm-https": 5986, "x11": 6000, "redis": 6379,
		"kubernetes-api": 6443, "neo4j": 7687, "http-8000": 8000, "http-8008": 8008,
		"http-proxy": 8080, "influxdb": 8086, "dax": 8111, "vault": 8200, "https-alt": 8443,
		"consul": 8500, "mqtts": 8883, "http-8888": 8888, "cassandra": 9042,
		"prometheus": 9090, "kafka": 9092, "kafka-tls": 9094, "node-exporter": 9100,
		"elasticsearch": 9200, "elasticsearch-transport": 9300, "git": 9418,
		"kubelet": 10250, "memcached": 11211, "rabbitmq-mgmt": 15672, "nfs-mountd": 20048,
		"mongodb": 27017, "wireguard": 51820,
		// aliases
		"postgresql": 5432, "sqlserver": 1433, "ms-sql-s": 1433, "rabbitmq": 5672, "efs": 2049,
		"aurora": 3306, "opensearch": 9200, "opensearch-dashboards": 5601, "http-alt": 8080,
		"sftp": 22, "domain": 53, "bootps": 67, "isakmp": 500, "cifs": 445, "quic": 443,
		"documentdb": 27017, "valkey": 6379, "keyspaces": 9142,
	}
	for name, port := range want {
		if got, ok := PortByService(name); !ok || got != port {
			t.Errorf("PortByService(%q) = %d, %v; want %d", name, got, ok, port)
		}
	}
}

func TestService(t *testing.T) {
	tests := []struct {
		proto uint8
		port  uint16
		want  string
	}{
		{6, 22, "ssh"},
		{17, 22, ""},
		{17, 53, "dns"},
		{6, 53, "dns"},
		{6, 5432, "postgres"},
		{6, 443, "https"},
		{17, 443, "https"},
		{17, 123, "ntp"},
		{6, 123, ""},
		{17, 4789, "vxlan"},
		{17, 6081, "geneve"},
		{6, 3389, "rdp"},
		{6, 0, ""},
		{6, 49761, ""},
		{1, 0, ""},
		{1, 22, ""},
		{132, 22, ""},
		{58, 443, ""},
	}
	for _, tt := range tests {
		got, ok := Service(tt.proto, tt.port)
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("Service(%d, %d) = %q, %v; want %q", tt.proto, tt.port, got, ok, tt.want)
		}
	}
}

func TestPortByServiceRejects(t *testing.T) {
	for _, in := range []string{"", "22", "ssh ", "nosuch", "-", "tcp", strings.Repeat("s", 65), "ｓｓｈ"} {
		if port, ok := PortByService(in); ok {
			t.Errorf("PortByService(%q) = %d, true; want false", in, port)
		}
	}
}

func TestServicesIsACopy(t *testing.T) {
	s := Services()
	s[0].Name = "changed"
	if Services()[0].Name == "changed" {
		t.Error("Services returns the table itself")
	}
	a := ServiceAliases()
	a["sftp"] = "changed"
	if ServiceAliases()["sftp"] != "ssh" {
		t.Error("ServiceAliases returns the table itself")
	}
}

func TestIsEphemeral(t *testing.T) {
	tests := []struct {
		port uint16
		want bool
	}{
		{0, false},
		{22, false},
		{443, false},
		{1023, false},
		{1024, true},
		{3306, false},
		{5432, false},
		{8080, false},
		{20641, true},
		{32768, true},
		{43416, true},
		{51820, false},
		{60999, true},
		{65535, true},
	}
	for _, tt := range tests {
		if got := IsEphemeral(tt.port); got != tt.want {
			t.Errorf("IsEphemeral(%d) = %v, want %v", tt.port, got, tt.want)
		}
	}
}

func TestServicePortRank(t *testing.T) {
	tests := []struct {
		proto uint8
		port  uint16
		want  int
	}{
		{6, 22, RankWellKnownService},
		{6, 443, RankWellKnownService},
		{17, 53, RankWellKnownService},
		{6, 5432, RankService},
		{6, 50000, RankService},
		{6, 999, RankPrivileged},
		{17, 22, RankPrivileged}, // ssh is TCP only
		{1, 0, RankPrivileged},
		{6, 1024, RankRegistered},
		{6, 20641, RankRegistered},
		{6, 32767, RankRegistered},
		{6, 32768, RankEphemeral},
		{6, 43416, RankEphemeral},
		{6, 49152, RankEphemeral},
		{6, 65535, RankEphemeral},
		{132, 5432, RankRegistered}, // the table is TCP and UDP only
	}
	for _, tt := range tests {
		if got := ServicePortRank(tt.proto, tt.port); got != tt.want {
			t.Errorf("ServicePortRank(%d, %d) = %d, want %d", tt.proto, tt.port, got, tt.want)
		}
	}
	// The official example records: the server side must rank lower.
	pairs := []struct {
		proto          uint8
		server, client uint16
	}{
		{6, 22, 20641}, {6, 3389, 49761}, {6, 22, 34892}, {6, 5001, 43416}, {6, 80, 34210},
	}
	for _, p := range pairs {
		if s, c := ServicePortRank(p.proto, p.server), ServicePortRank(p.proto, p.client); s >= c {
			t.Errorf("server port %d ranks %d, client port %d ranks %d", p.server, s, p.client, c)
		}
	}
}

func BenchmarkService(b *testing.B) {
	for b.Loop() {
		_, _ = Service(6, 5432)
	}
}
