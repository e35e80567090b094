package names

import "testing"

// The descriptions are the shapes AWS writes on the interfaces it manages (seen in
// describe-network-interfaces output), not made-up ones.
func TestDescribe(t *testing.T) {
	for _, c := range []struct{ desc, typ, want string }{
		{"ELB app/web/50dc6c495c0c9188", "interface", "ELB web"},
		{"ELB app/k8s-shop-ingress-4f1a2b3c4d/0a11b22c33d44e55", "interface", "ELB k8s-shop-ingress-4f1a2b3c4d"},
		{"ELB net/example-nlb/0123abcd4567ef89", "network_load_balancer", "ELB example-nlb"},
		{"ELB gwy/inspection/6f5e4d3c2b1a0987", "gateway_load_balancer", "ELB inspection"},
		{"ELB my-classic-lb", "interface", "ELB my-classic-lb"},
		{"Interface for NAT Gateway nat-0f1e2d3c4b5a69788", "nat_gateway", "NAT gateway nat-0f1e2d3c4b5a69788"},
		{"Interface for NAT Gateway nat-0abc", "", "NAT gateway nat-0abc"},
		{"RDSNetworkInterface", "interface", "RDS"},
		{"RedshiftNetworkInterface", "interface", "Redshift"},
		{"AWS Lambda VPC ENI-orders-fn-1a2b3c4d-1111-2222-3333-aaaabbbbcccc", "lambda", "Lambda orders-fn"},
		{"AWS Lambda VPC ENI-sandbox_Harbor_Team_Lambda_usw2-ffc2815b-32c0-44c9-857b-83edfcd471c1", "lambda", "Lambda sandbox_Harbor_Team_Lambda_usw2"},
		{"AWS Lambda VPC ENI-orders-fn", "lambda", "Lambda orders-fn"},
		{"VPC Endpoint Interface vpce-089f2123488812123", "vpc_endpoint", "VPC endpoint vpce-089f2123488812123"},
		{"VPC Endpoint Interface: vpce-0f00567fa8477a1e6", "interface", "VPC endpoint vpce-0f00567fa8477a1e6"},
		{"EFS mount target for fs-0f4fc699f905a6663 (fsmt-0abb47f2f1dc64ba1)", "efs", "EFS fs-0f4fc699f905a6663"},
		{"Network Interface for Transit Gateway Attachment tgw-attach-06bf47fa39e5d1578", "transit_gateway", "transit gateway tgw-attach-06bf47fa39e5d1578"},
		{"Amazon EKS shop-prod", "interface", "EKS shop-prod"},
		{"aws-K8S-i-0abc1234def567890", "interface", "EKS node i-0abc1234def567890"},
		{"arn:aws:ecs:us-east-1:123456789012:attachment/1f2e3d4c-5b6a-7980-a1b2-c3d4e5f60718", "interface", "ECS task"},
		{"ElastiCache shop-cache-0001-001", "interface", "ElastiCache shop-cache-0001-001"},
		{"AWS created network interface for directory d-9067123456", "interface", "directory d-9067123456"},
		{"Route 53 Resolver: rslvr-in-0a1b2c3d4e5f60718:rni-0123456789abcdef0", "interface", "Route 53 Resolver rslvr-in-0a1b2c3d4e5f60718"},
		// Nothing said: the type, if it is a managed one.
		{"", "nat_gateway", "NAT gateway"},
		{"", "vpc_endpoint", "VPC endpoint"},
		{"", "interface", ""},
		{"", "", ""},
		{"Primary network interface", "interface", ""},
		// A description a person wrote is a name already.
		{"web server, blue fleet", "interface", "web server, blue fleet"},
		{"a description someone wrote that goes on and on about the interface", "interface", "a description someone wrote that goes o…"},
		// Near misses are kept as written, not misread.
		{"ELB app/", "interface", "ELB app/"},
		{"Interface for NAT Gateway", "nat_gateway", "Interface for NAT Gateway"},
	} {
		if got := Describe(c.desc, c.typ); got != c.want {
			t.Errorf("Describe(%q, %q) = %q, want %q", c.desc, c.typ, got, c.want)
		}
	}
}
