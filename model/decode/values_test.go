package decode

import "testing"

func TestTrafficPath(t *testing.T) {
	tests := []struct {
		n    uint8
		want string
		ok   bool
	}{
		{0, "path 0", false},
		{1, "same VPC", true},
		{2, "internet gateway or gateway endpoint", true},
		{3, "virtual private gateway", true},
		{4, "intra-region VPC peering", true},
		{5, "inter-region VPC peering", true},
		{6, "local gateway", true},
		{7, "gateway endpoint (Nitro)", true},
		{8, "internet gateway (Nitro)", true},
		{9, "path 9", false},
		{255, "path 255", false},
	}
	for _, tt := range tests {
		got, ok := TrafficPath(tt.n)
		if got != tt.want || ok != tt.ok {
			t.Errorf("TrafficPath(%d) = %q, %v; want %q, %v", tt.n, got, ok, tt.want, tt.ok)
		}
		if meaning := TrafficPathMeaning(tt.n); (meaning != "") != tt.ok {
			t.Errorf("TrafficPathMeaning(%d) = %q", tt.n, meaning)
		}
	}
	if allocs := testing.AllocsPerRun(100, func() { _, _ = TrafficPath(9) }); allocs != 0 {
		t.Errorf("TrafficPath allocates %v times", allocs)
	}
}

func TestEncryptionStatus(t *testing.T) {
	tests := []struct {
		n    uint8
		want string
		ok   bool
	}{
		{0, "not encrypted", true},
		{1, "Nitro-encrypted", true},
		{2, "application-encrypted (TLS)", true},
		{3, "Nitro and application encrypted", true},
		{4, "encryption-status 4", false},
	}
	for _, tt := range tests {
		got, ok := EncryptionStatus(tt.n)
		if got != tt.want || ok != tt.ok {
			t.Errorf("EncryptionStatus(%d) = %q, %v; want %q, %v", tt.n, got, ok, tt.want, tt.ok)
		}
	}
}

func TestStringValues(t *testing.T) {
	tests := []struct {
		fn   string
		f    func(string) string
		in   string
		want string
	}{
		{"LogStatusMeaning", LogStatusMeaning, "OK", "data is logging normally"},
		{"LogStatusMeaning", LogStatusMeaning, "NODATA", "no network traffic to or from the interface during the aggregation interval"},
		{"LogStatusMeaning", LogStatusMeaning, "SKIPDATA", "some flow log records were skipped during the aggregation interval (internal capacity constraint or error); one such record can stand for many flows"},
		{"LogStatusMeaning", LogStatusMeaning, "nodata", "no network traffic to or from the interface during the aggregation interval"},
		{"LogStatusMeaning", LogStatusMeaning, "-", ""},
		{"LogStatusMeaning", LogStatusMeaning, "BOGUS", ""},
		{"ActionMeaning", ActionMeaning, "ACCEPT", "the security groups and network ACLs let the traffic through"},
		{"ActionMeaning", ActionMeaning, "REJECT", "dropped by a security group or network ACL, or stray packets that arrived after the connection closed"},
		{"ActionMeaning", ActionMeaning, "-", ""},
		{"RejectReason", RejectReason, "BPA", "VPC Block Public Access blocked it"},
		{"RejectReason", RejectReason, "bpa", "VPC Block Public Access blocked it"},
		{"RejectReason", RejectReason, "-", ""},
		{"RejectReason", RejectReason, "", ""},
		{"RejectReason", RejectReason, "NEWREASON", "NEWREASON"},
		{"DirectionMeaning", DirectionMeaning, "ingress", "into the interface"},
		{"DirectionMeaning", DirectionMeaning, "egress", "out of the interface"},
		{"DirectionMeaning", DirectionMeaning, "-", ""},
		{"TrafficType", TrafficType, "IPv4", "IPv4 traffic"},
		{"TrafficType", TrafficType, "IPv6", "IPv6 traffic"},
		{"TrafficType", TrafficType, "EFA", "Elastic Fabric Adapter traffic (OS-bypass, not IP)"},
		{"SublocationType", SublocationType, "outpost", "AWS Outpost"},
		{"SublocationType", SublocationType, "-", ""},
		{"InterfaceType", InterfaceType, "interface", "network interface (EC2 instance or other)"},
		{"InterfaceType", InterfaceType, "nat_gateway", "NAT gateway"},
		{"InterfaceType", InterfaceType, "natGateway", "NAT gateway"},
		{"InterfaceType", InterfaceType, "vpc_endpoint", "interface VPC endpoint"},
		{"InterfaceType", InterfaceType, "load_balancer", "Elastic Load Balancing (Application or Classic Load Balancer)"},
		{"InterfaceType", InterfaceType, "network_load_balancer", "Network Load Balancer"},
		{"InterfaceType", InterfaceType, "lambda", "Lambda function"},
		{"InterfaceType", InterfaceType, "gateway_load_balancer_endpoint", "Gateway Load Balancer endpoint"},
		{"InterfaceType", InterfaceType, "something_new", "something_new"},
		{"InterfaceType", InterfaceType, "-", "-"},
	}
	for _, tt := range tests {
		if got := tt.f(tt.in); got != tt.want {
			t.Errorf("%s(%q) = %q, want %q", tt.fn, tt.in, got, tt.want)
		}
	}
}
