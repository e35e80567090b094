package decode

import (
	"strconv"
	"strings"
)

// trafficPaths are the traffic-path values (version 5), short enough for a table column.
// The field is recorded for egress traffic only; ingress records carry "-".
var trafficPaths = [...]string{
	1: "same VPC",
	2: "internet gateway or gateway endpoint",
	3: "virtual private gateway",
	4: "intra-region VPC peering",
	5: "inter-region VPC peering",
	6: "local gateway",
	7: "gateway endpoint (Nitro)",
	8: "internet gateway (Nitro)",
}

// trafficPathMeanings say the same as trafficPaths in a sentence for the detail pane.
var trafficPathMeanings = [...]string{
	1: "through another resource in the same VPC, including resources that create a network interface in the VPC",
	2: "through an internet gateway or a gateway VPC endpoint",
	3: "through a virtual private gateway",
	4: "through an intra-region VPC peering connection",
	5: "through an inter-region VPC peering connection",
	6: "through a local gateway",
	7: "through a gateway VPC endpoint (Nitro-based instances only)",
	8: "through an internet gateway (Nitro-based instances only)",
}

// trafficPathLabels holds TrafficPath's answer for all 256 values so that unknown paths,
// "path 9", need no formatting per record.
var trafficPathLabels [256]string

func init() {
	for n := range trafficPathLabels {
		if n < len(trafficPaths) && trafficPaths[n] != "" {
			trafficPathLabels[n] = trafficPaths[n]
		} else {
			trafficPathLabels[n] = "path " + strconv.Itoa(n)
		}
	}
}

// TrafficPath names a traffic-path value: 1 "same VPC" ... 8 "internet gateway (Nitro)".
// An unknown value gives "path N" and ok false: AWS adds paths over time.
func TrafficPath(n uint8) (string, bool) {
	return trafficPathLabels[n], int(n) < len(trafficPaths) && trafficPaths[n] != ""
}

// TrafficPathMeaning returns a sentence about a traffic-path value for the detail pane
// ("through an internet gateway or a gateway VPC endpoint"), or "" when unknown.
func TrafficPathMeaning(n uint8) string {
	if int(n) < len(trafficPathMeanings) {
		return trafficPathMeanings[n]
	}
	return ""
}

// encryptionStatuses are the encryption-status values (version 10).
var encryptionStatuses = [...]string{
	0: "not encrypted",
	1: "Nitro-encrypted",
	2: "application-encrypted (TLS)",
	3: "Nitro and application encrypted",
}

// EncryptionStatus names an encryption-status value: 0 "not encrypted", 1
// "Nitro-encrypted", 2 "application-encrypted (TLS)", 3 "Nitro and application encrypted".
// An unknown value gives "encryption-status N" and ok false.
func EncryptionStatus(n uint8) (string, bool) {
	if int(n) < len(encryptionStatuses) {
		return encryptionStatuses[n], true
	}
	return "encryption-status " + strconv.Itoa(int(n)), false
}

// LogStatusMeaning explains a log-status value (OK, NODATA, SKIPDATA; any case). It
// returns "" for a value it does not know.
func LogStatusMeaning(s string) string {
	switch {
	case strings.EqualFold(s, "OK"):
		return "data is logging normally"
	case strings.EqualFold(s, "NODATA"):
		return "no network traffic to or from the interface during the aggregation interval"
	case strings.EqualFold(s, "SKIPDATA"):
		return "some flow log records were skipped during the aggregation interval " +
			"(internal capacity constraint or error); one such record can stand for many flows"
	}
	return ""
}

// ActionMeaning explains an action value (ACCEPT, REJECT; any case). It returns "" for a
// value it does not know, including "-" on NODATA and SKIPDATA records.
func ActionMeaning(s string) string {
	switch {
	case strings.EqualFold(s, "ACCEPT"):
		return "the security groups and network ACLs let the traffic through"
	case strings.EqualFold(s, "REJECT"):
		return "dropped by a security group or network ACL, " +
			"or stray packets that arrived after the connection closed"
	}
	return ""
}

// RejectReason explains a reject-reason value (version 8): "BPA" says VPC Block Public
// Access blocked the traffic; "-" and "" give ""; any other value is returned as it is,
// since AWS may add reasons.
func RejectReason(s string) string {
	switch {
	case s == "" || s == "-":
		return ""
	case strings.EqualFold(s, "BPA"):
		return "VPC Block Public Access blocked it"
	}
	return s
}

// DirectionMeaning explains a flow-direction value (version 5): "ingress" is "into the
// interface", "egress" is "out of the interface"; "" for anything else.
func DirectionMeaning(s string) string {
	switch {
	case strings.EqualFold(s, "ingress"):
		return "into the interface"
	case strings.EqualFold(s, "egress"):
		return "out of the interface"
	}
	return ""
}

// TrafficType explains a type value (version 3): "IPv4", "IPv6" or "EFA"; "" for anything
// else.
func TrafficType(s string) string {
	switch {
	case strings.EqualFold(s, "IPv4"):
		return "IPv4 traffic"
	case strings.EqualFold(s, "IPv6"):
		return "IPv6 traffic"
	case strings.EqualFold(s, "EFA"):
		return "Elastic Fabric Adapter traffic (OS-bypass, not IP)"
	}
	return ""
}

// SublocationType explains a sublocation-type value (version 4): "wavelength", "outpost"
// or "localzone"; "" for anything else, including "-" for interfaces in a Region.
func SublocationType(s string) string {
	switch {
	case strings.EqualFold(s, "wavelength"):
		return "Wavelength Zone"
	case strings.EqualFold(s, "outpost"):
		return "AWS Outpost"
	case strings.EqualFold(s, "localzone"):
		return "Local Zone"
	}
	return ""
}

// interfaceTypes describe the interface-type values (version 11), which are the EC2
// NetworkInterfaceType values. The set grows with AWS; the EC2 API spells the NAT gateway
// "natGateway" while other sources write "nat_gateway", so both are here.
var interfaceTypes = map[string]string{
	"interface":                        "network interface (EC2 instance or other)",
	"nat_gateway":                      "NAT gateway",
	"natgateway":                       "NAT gateway",
	"efa":                              "Elastic Fabric Adapter",
	"efa-only":                         "Elastic Fabric Adapter (EFA only, no IP)",
	"trunk":                            "trunk interface (ECS/EKS ENI trunking)",
	"branch":                           "branch interface (ECS/EKS ENI trunking)",
	"load_balancer":                    "Elastic Load Balancing (Application or Classic Load Balancer)",
	"network_load_balancer":            "Network Load Balancer",
	"gateway_load_balancer":            "Gateway Load Balancer",
	"gateway_load_balancer_endpoint":   "Gateway Load Balancer endpoint",
	"vpc_endpoint":                     "interface VPC endpoint",
	"transit_gateway":                  "transit gateway attachment",
	"lambda":                           "Lambda function",
	"quicksight":                       "Amazon QuickSight",
	"global_accelerator_managed":       "Global Accelerator",
	"api_gateway_managed":              "API Gateway (VPC link)",
	"iot_rules_managed":                "AWS IoT rules",
	"aws_codestar_connections_managed": "AWS CodeStar Connections",
}

// InterfaceType describes an interface-type value ("nat_gateway" gives "NAT gateway").
// The set is open: an unknown value, "-" included, is returned as it is.
func InterfaceType(s string) string {
	if d, ok := lookupFold(interfaceTypes, s, false); ok {
		return d
	}
	return s
}
