package decode

// ServiceEntry is one well-known service: the name a person types in a filter
// (`dport=ssh`), its port, the transports it runs over, and one line about it.
type ServiceEntry struct {
	Name        string
	Port        uint16
	TCP, UDP    bool
	Description string
}

const (
	tcp = 1 << iota
	udp
	both = tcp | udp
)

// svc keeps the table below one line per service.
func svc(name string, port uint16, transports int, description string) ServiceEntry {
	return ServiceEntry{Name: name, Port: port, TCP: transports&tcp != 0, UDP: transports&udp != 0, Description: description}
}

// services are the ports an AWS operator meets, sorted by port. Names are short, lower case
// and unique, so that each name resolves to one port and reads back to itself; where one
// service has several ports, each port gets its own name (kafka, kafka-tls, ...). IANA's
// names are used where people know them, otherwise the name people use (postgres rather
// than IANA's postgresql, smb rather than microsoft-ds); the other spelling is an alias.
// A port appears once: when two products share a port, the one an AWS operator more likely
// runs is named (8088 Splunk HEC, not Hadoop YARN; 50000 Db2, which RDS offers, not the
// Jenkins agent).
var services = []ServiceEntry{
	svc("echo", 7, both, "Echo (abused for reflection attacks)"),
	svc("chargen", 19, both, "Character Generator (abused for reflection attacks)"),
	svc("ftp-data", 20, tcp, "FTP data (active mode)"),
	svc("ftp", 21, tcp, "File Transfer Protocol control"),
	svc("ssh", 22, tcp, "Secure Shell (also SFTP, SCP, EC2 Instance Connect)"),
	svc("telnet", 23, tcp, "Telnet"),
	svc("smtp", 25, tcp, "Simple Mail Transfer Protocol"),
	svc("tacacs", 49, tcp, "TACACS+ device administration"),
	svc("dns", 53, both, "Domain Name System"),
	svc("dhcp", 67, udp, "DHCP / BOOTP server"),
	svc("dhcp-client", 68, udp, "DHCP / BOOTP client"),
	svc("tftp", 69, udp, "Trivial File Transfer Protocol"),
	svc("http", 80, tcp, "Hypertext Transfer Protocol"),
	svc("kerberos", 88, both, "Kerberos authentication"),
	svc("pop3", 110, tcp, "Post Office Protocol 3"),
	svc("rpcbind", 111, both, "ONC RPC port mapper (NFSv3)"),
	svc("ident", 113, tcp, "Ident"),
	svc("ntp", 123, udp, "Network Time Protocol"),
	svc("msrpc", 135, tcp, "Microsoft RPC endpoint mapper"),
	svc("netbios-ns", 137, udp, "NetBIOS name service"),
	svc("netbios-dgm", 138, udp, "NetBIOS datagram service"),
	svc("netbios-ssn", 139, tcp, "NetBIOS session service (old SMB)"),
	svc("imap", 143, tcp, "Internet Message Access Protocol"),
	svc("snmp", 161, udp, "Simple Network Management Protocol"),
	svc("snmptrap", 162, udp, "SNMP traps"),
	svc("bgp", 179, tcp, "Border Gateway Protocol (Direct Connect, VPN, Transit Gateway Connect)"),
	svc("ldap", 389, both, "Lightweight Directory Access Protocol (UDP: CLDAP)"),
	svc("https", 443, both, "HTTP over TLS (UDP: HTTP/3, QUIC); most AWS API endpoints"),
	svc("smb", 445, tcp, "Server Message Block / CIFS (FSx for Windows File Server)"),
	svc("kpasswd", 464, both, "Kerberos password change"),
	svc("smtps", 465, tcp, "SMTP over TLS (submissions)"),
	svc("ipsec-ike", 500, udp, "IPsec Internet Key Exchange (Site-to-Site VPN)"),
	svc("syslog", 514, both, "Syslog"),
	svc("rip", 520, udp, "Routing Information Protocol"),
	svc("dhcpv6-client", 546, udp, "DHCPv6 client"),
	svc("dhcpv6-server", 547, udp, "DHCPv6 server"),
	svc("rtsp", 554, tcp, "Real Time Streaming Protocol"),
	svc("submission", 587, tcp, "SMTP message submission"),
	svc("ipp", 631, tcp, "Internet Printing Protocol (CUPS)"),
	svc("ldaps", 636, tcp, "LDAP over TLS"),
	svc("dns-tls", 853, tcp, "DNS over TLS"),
	svc("rsync", 873, tcp, "rsync daemon"),
	svc("lustre", 988, tcp, "Lustre (FSx for Lustre)"),
	svc("ftps", 990, tcp, "FTP over TLS (implicit)"),
	svc("imaps", 993, tcp, "IMAP over TLS"),
	svc("pop3s", 995, tcp, "POP3 over TLS"),
	svc("openvpn", 1194, both, "OpenVPN"),
	svc("mssql", 1433, tcp, "Microsoft SQL Server"),
	svc("mssql-browser", 1434, udp, "Microsoft SQL Server browser"),
	svc("citrix-ica", 1494, tcp, "Citrix ICA"),
	svc("oracle", 1521, tcp, "Oracle Database listener (TNS)"),
	svc("l2tp", 1701, udp, "Layer 2 Tunneling Protocol"),
	svc("pptp", 1723, tcp, "Point-to-Point Tunneling Protocol"),
	svc("radius", 1812, udp, "RADIUS authentication"),
	svc("radius-acct", 1813, udp, "RADIUS accounting"),
	svc("mqtt", 1883, tcp, "MQTT"),
	svc("ssdp", 1900, udp, "Simple Service Discovery Protocol (UPnP; abused for reflection)"),
	svc("rtmp", 1935, tcp, "Real-Time Messaging Protocol (MediaLive, IVS ingest)"),
	svc("nfs", 2049, both, "Network File System (EFS, FSx)"),
	svc("zookeeper", 2181, tcp, "Apache ZooKeeper client"),
	svc("ssh-alt", 2222, tcp, "SSH on an alternative port"),
	svc("docker", 2375, tcp, "Docker Engine API (plain text)"),
	svc("docker-tls", 2376, tcp, "Docker Engine API over TLS"),
	svc("etcd", 2379, tcp, "etcd client API"),
	svc("etcd-peer", 2380, tcp, "etcd peer traffic"),
	svc("oracle-tls", 2484, tcp, "Oracle Database listener over TLS (RDS SSL option)"),
	svc("grafana", 3000, tcp, "Grafana web UI"),
	svc("squid", 3128, tcp, "Squid HTTP proxy"),
	svc("iscsi", 3260, tcp, "iSCSI (Storage Gateway, FSx for ONTAP)"),
	svc("ldap-gc", 3268, tcp, "Active Directory global catalog"),
	svc("ldaps-gc", 3269, tcp, "Active Directory global catalog over TLS"),
	svc("mysql", 3306, tcp, "MySQL, MariaDB, Aurora MySQL"),
	svc("rdp", 3389, both, "Remote Desktop Protocol"),
	svc("stun", 3478, both, "STUN / TURN (WebRTC)"),
	svc("ws-discovery", 3702, udp, "Web Services Dynamic Discovery (abused for reflection)"),
	svc("bfd", 3784, udp, "Bidirectional Forwarding Detection (Direct Connect)"),
	svc("pcoip", 4172, both, "PCoIP (Amazon WorkSpaces)"),
	svc("wsp", 4195, both, "WorkSpaces Streaming Protocol (Amazon WorkSpaces, DCV)"),
	svc("nats", 4222, tcp, "NATS client"),
	svc("otlp-grpc", 4317, tcp, "OpenTelemetry OTLP over gRPC"),
	svc("otlp-http", 4318, tcp, "OpenTelemetry OTLP over HTTP"),
	svc("ipsec-nat-t", 4500, udp, "IPsec NAT traversal (Site-to-Site VPN)"),
	svc("nomad", 4646, tcp, "HashiCorp Nomad HTTP API"),
	svc("ipfix", 4739, udp, "IPFIX flow export"),
	svc("vxlan", 4789, udp, "VXLAN (Traffic Mirroring)"),
	svc("docker-registry", 5000, tcp, "Docker registry (also many development servers)"),
	svc("beats", 5044, tcp, "Elastic Beats to Logstash"),
	svc("sip", 5060, both, "Session Initiation Protocol"),
	svc("sips", 5061, tcp, "SIP over TLS"),
	svc("xmpp", 5222, tcp, "XMPP client"),
	svc("mdns", 5353, udp, "Multicast DNS"),
	svc("llmnr", 5355, both, "Link-Local Multicast Name Resolution"),
	svc("postgres", 5432, tcp, "PostgreSQL, Aurora PostgreSQL"),
	svc("redshift", 5439, tcp, "Amazon Redshift"),
	svc("kibana", 5601, tcp, "Kibana / OpenSearch Dashboards"),
	svc("nrpe", 5666, tcp, "Nagios remote plugin executor"),
	svc("amqps", 5671, tcp, "AMQP over TLS (Amazon MQ for RabbitMQ)"),
	svc("amqp", 5672, tcp, "AMQP (RabbitMQ)"),
	svc("vnc", 5900, tcp, "VNC remote framebuffer"),
	svc("couchdb", 5984, tcp, "Apache CouchDB"),
	svc("winrm", 5985, tcp, "Windows Remote Management over HTTP"),
	svc("winrm-https", 5986, tcp, "Windows Remote Management over HTTPS"),
	svc("x11", 6000, tcp, "X Window System"),
	svc("geneve", 6081, udp, "GENEVE (Gateway Load Balancer)"),
	svc("redis", 6379, tcp, "Redis / Valkey (ElastiCache, MemoryDB)"),
	svc("pgbouncer", 6432, tcp, "PgBouncer"),
	svc("kubernetes-api", 6443, tcp, "Kubernetes API server"),
	svc("syslog-tls", 6514, tcp, "Syslog over TLS"),
	svc("spark", 7077, tcp, "Apache Spark master"),
	svc("neo4j-http", 7474, tcp, "Neo4j HTTP"),
	svc("neo4j", 7687, tcp, "Neo4j Bolt"),
	svc("http-8000", 8000, tcp, "HTTP on 8000 (development and application servers)"),
	svc("http-8008", 8008, tcp, "HTTP on 8008"),
	svc("hdfs", 8020, tcp, "HDFS NameNode (EMR)"),
	svc("http-proxy", 8080, tcp, "HTTP alternative / proxy"),
	svc("influxdb", 8086, tcp, "InfluxDB (Timestream for InfluxDB)"),
	svc("splunk-hec", 8088, tcp, "Splunk HTTP Event Collector"),
	svc("splunk-mgmt", 8089, tcp, "Splunk management"),
	svc("dax", 8111, tcp, "DynamoDB Accelerator (DAX)"),
	svc("clickhouse", 8123, tcp, "ClickHouse HTTP"),
	svc("statsd", 8125, udp, "StatsD metrics"),
	svc("neptune", 8182, tcp, "Amazon Neptune (Gremlin, openCypher, SPARQL)"),
	svc("vault", 8200, tcp, "HashiCorp Vault API"),
	svc("vault-cluster", 8201, tcp, "HashiCorp Vault cluster traffic"),
	svc("https-alt", 8443, tcp, "HTTPS alternative"),
	svc("consul", 8500, tcp, "HashiCorp Consul HTTP API"),
	svc("consul-dns", 8600, both, "HashiCorp Consul DNS"),
	svc("mqtts", 8883, tcp, "MQTT over TLS (IoT Core)"),
	svc("http-8888", 8888, tcp, "HTTP on 8888 (Jupyter, Hue on EMR)"),
	svc("solr", 8983, tcp, "Apache Solr"),
	svc("cassandra", 9042, tcp, "Cassandra CQL"),
	svc("prometheus", 9090, tcp, "Prometheus"),
	svc("kafka", 9092, tcp, "Apache Kafka (MSK plain text)"),
	svc("kafka-tls", 9094, tcp, "Apache Kafka over TLS (MSK)"),
	svc("kafka-sasl", 9096, tcp, "Apache Kafka SASL/SCRAM (MSK)"),
	svc("kafka-iam", 9098, tcp, "Apache Kafka IAM authentication (MSK)"),
	svc("node-exporter", 9100, tcp, "Prometheus node exporter"),
	svc("cassandra-tls", 9142, tcp, "Cassandra CQL over TLS (Amazon Keyspaces)"),
	svc("elasticsearch", 9200, tcp, "Elasticsearch / OpenSearch REST"),
	svc("elasticsearch-transport", 9300, tcp, "Elasticsearch / OpenSearch node transport"),
	svc("adws", 9389, tcp, "Active Directory Web Services"),
	svc("zipkin", 9411, tcp, "Zipkin"),
	svc("git", 9418, tcp, "Git protocol"),
	svc("splunk-forwarder", 9997, tcp, "Splunk forwarder to indexer"),
	svc("hive", 10000, tcp, "HiveServer2 (EMR)"),
	svc("zabbix-agent", 10050, tcp, "Zabbix agent"),
	svc("zabbix-server", 10051, tcp, "Zabbix server"),
	svc("kubelet", 10250, tcp, "Kubernetes kubelet API"),
	svc("memcached", 11211, both, "Memcached (ElastiCache; UDP abused for reflection)"),
	svc("rabbitmq-mgmt", 15672, tcp, "RabbitMQ management UI"),
	svc("nfs-mountd", 20048, both, "NFS mount daemon (NFSv3)"),
	svc("fluentd", 24224, both, "Fluentd / Fluent Bit forward"),
	svc("cockroachdb", 26257, tcp, "CockroachDB"),
	svc("redis-sentinel", 26379, tcp, "Redis Sentinel"),
	svc("mongodb", 27017, tcp, "MongoDB, Amazon DocumentDB"),
	svc("mysqlx", 33060, tcp, "MySQL X Protocol"),
	svc("db2", 50000, tcp, "IBM Db2 (RDS for Db2)"),
	svc("wireguard", 51820, udp, "WireGuard"),
	svc("stomp", 61613, tcp, "STOMP (ActiveMQ)"),
	svc("openwire", 61616, tcp, "ActiveMQ OpenWire (Amazon MQ)"),
}

// serviceAliases are other spellings a person may type, each pointing at a name above.
var serviceAliases = map[string]string{
	"ftp-control":           "ftp",
	"sftp":                  "ssh",
	"scp":                   "ssh",
	"tacacs+":               "tacacs",
	"domain":                "dns",
	"bootps":                "dhcp",
	"dhcp-server":           "dhcp",
	"bootpc":                "dhcp-client",
	"www":                   "http",
	"krb5":                  "kerberos",
	"sunrpc":                "rpcbind",
	"portmapper":            "rpcbind",
	"portmap":               "rpcbind",
	"epmap":                 "msrpc",
	"cldap":                 "ldap",
	"quic":                  "https",
	"microsoft-ds":          "smb",
	"cifs":                  "smb",
	"submissions":           "smtps",
	"ike":                   "ipsec-ike",
	"isakmp":                "ipsec-ike",
	"dot":                   "dns-tls",
	"domain-s":              "dns-tls",
	"ms-sql-s":              "mssql",
	"sqlserver":             "mssql",
	"sql-server":            "mssql",
	"ms-sql-m":              "mssql-browser",
	"tns":                   "oracle",
	"oracle-tns":            "oracle",
	"efs":                   "nfs",
	"etcd-client":           "etcd",
	"squid-http":            "squid",
	"globalcatalog":         "ldap-gc",
	"mariadb":               "mysql",
	"aurora":                "mysql",
	"aurora-mysql":          "mysql",
	"ms-wbt-server":         "rdp",
	"turn":                  "stun",
	"wsd":                   "ws-discovery",
	"nat-t":                 "ipsec-nat-t",
	"ipsec-nat":             "ipsec-nat-t",
	"postgresql":            "postgres",
	"pg":                    "postgres",
	"aurora-postgresql":     "postgres",
	"opensearch-dashboards": "kibana",
	"rabbitmq":              "amqp",
	"rfb":                   "vnc",
	"wsman":                 "winrm",
	"valkey":                "redis",
	"k8s-api":               "kubernetes-api",
	"kube-apiserver":        "kubernetes-api",
	"bolt":                  "neo4j",
	"http-alt":              "http-proxy",
	"webcache":              "http-proxy",
	"cql":                   "cassandra",
	"keyspaces":             "cassandra-tls",
	"opensearch":            "elasticsearch",
	"es":                    "elasticsearch",
	"mountd":                "nfs-mountd",
	"mongo":                 "mongodb",
	"documentdb":            "mongodb",
	"docdb":                 "mongodb",
	"activemq":              "openwire",
}

var (
	// tcpServices and udpServices map a port to its service name per transport.
	tcpServices = make(map[uint16]string, len(services))
	udpServices = make(map[uint16]string, len(services))
	// servicePorts maps every service name and alias to its port.
	servicePorts = make(map[string]uint16, len(services)+len(serviceAliases))
	// tcpPorts and udpPorts have the bit of every port with a service: judging a
	// million conversations asks about as many client ports, which have none, and a
	// bit answers that before the map is asked for a name.
	tcpPorts, udpPorts [65536 / 64]uint64
)

func init() {
	for _, s := range services {
		if s.TCP {
			tcpServices[s.Port] = s.Name
			tcpPorts[s.Port/64] |= 1 << (s.Port % 64)
		}
		if s.UDP {
			udpServices[s.Port] = s.Name
			udpPorts[s.Port/64] |= 1 << (s.Port % 64)
		}
		servicePorts[s.Name] = s.Port
	}
	for alias, name := range serviceAliases {
		if port, ok := servicePorts[name]; ok {
			servicePorts[alias] = port
		}
	}
}

// Protocol numbers of the transports that carry ports in flow logs.
const (
	ProtoTCP uint8 = 6
	ProtoUDP uint8 = 17
)

// Service returns the name of the well-known service on a port for a protocol: the table
// holds TCP (6) and UDP (17) services; any other protocol gives "", false. For example
// Service(6, 22) is "ssh", Service(17, 53) is "dns", Service(6, 5432) is "postgres".
func Service(proto uint8, port uint16) (string, bool) {
	var name string
	switch proto {
	case ProtoTCP:
		if tcpPorts[port/64]&(1<<(port%64)) == 0 {
			return "", false
		}
		name = tcpServices[port]
	case ProtoUDP:
		if udpPorts[port/64]&(1<<(port%64)) == 0 {
			return "", false
		}
		name = udpServices[port]
	}
	return name, name != ""
}

// PortByService resolves a service name, case-insensitive, to its port. It accepts the
// names Services lists and aliases people type ("https", "postgresql", "sqlserver",
// "rabbitmq", "efs", ...). Numbers are not service names: the caller parses "22" itself.
// It never panics and does not allocate.
func PortByService(name string) (uint16, bool) {
	return lookupFold(servicePorts, name, false)
}

// Services lists every entry of the table, sorted by port, for documentation and
// completion. The slice is a copy the caller may keep or change.
func Services() []ServiceEntry {
	return append([]ServiceEntry(nil), services...)
}

// ServiceAliases returns the aliases PortByService accepts, each mapped to the name of
// its entry in Services, for documentation and completion. The map is a copy.
func ServiceAliases() map[string]string {
	m := make(map[string]string, len(serviceAliases))
	for k, v := range serviceAliases {
		m[k] = v
	}
	return m
}

// inServiceTable reports whether port belongs to a service of the table over either
// transport.
func inServiceTable(port uint16) bool {
	_, t := tcpServices[port]
	_, u := udpServices[port]
	return t || u
}

// IsEphemeral reports whether a port looks like a client's ephemeral port: 1024 or above
// and not the port of a service in the table. 1024-65535 is the widest range clients use
// (NAT gateways, load balancers and Lambda pick from all of it; Linux uses 32768-60999,
// Windows 49152-65535), so the only evidence against a port being ephemeral is a service
// known to listen there.
func IsEphemeral(port uint16) bool {
	return port >= 1024 && !inServiceTable(port)
}

// Ranks returned by ServicePortRank, most server-like first.
const (
	RankWellKnownService = 0 // a table service below 1024 (22, 443)
	RankService          = 1 // a table service at 1024 or above (5432, 6379)
	RankPrivileged       = 2 // another port below 1024: clients rarely bind these
	RankRegistered       = 3 // another port 1024-32767
	RankEphemeral        = 4 // another port 32768-65535, where Linux and Windows clients pick
)

// clientPortStart begins the ports where clients usually pick their ephemeral port: Linux
// uses 32768-60999 and Windows 49152-65535. IANA's registered range runs to 49151, but a
// server listening between 32768 and 49151 is rare enough that the client reading wins.
const clientPortStart = 32768

// ServicePortRank says how much a port looks like a server's port for a protocol; lower is
// more server-like. Comparing the ranks of the two ports of a flow guesses which side is the
// server when TCP flags cannot tell (UDP, or records without tcp-flags): a table service
// below 1024 ranks 0, a table service above it 1, any other port below 1024 2, other ports
// up to 32767 3, and 32768-65535, where clients pick, 4. A table service counts only for
// its own transport; for protocols other than TCP and UDP only the number ranks. Equal
// ranks mean the port alone cannot tell.
func ServicePortRank(proto uint8, port uint16) int {
	if _, ok := Service(proto, port); ok {
		if port < 1024 {
			return RankWellKnownService
		}
		return RankService
	}
	switch {
	case port < 1024:
		return RankPrivileged
	case port < clientPortStart:
		return RankRegistered
	default:
		return RankEphemeral
	}
}
