package names

import (
	"regexp"
	"strings"
	"unicode/utf8"
)

// Describe turns the description AWS writes on the interfaces it manages (and, when the
// description is empty, the interface type) into a short name a person recognises:
//
//	ELB app/web/50dc6c495c0c9188                 ELB web
//	Interface for NAT Gateway nat-0abc           NAT gateway nat-0abc
//	RDSNetworkInterface                          RDS
//	AWS Lambda VPC ENI-orders-fn-1a2b...-cccc    Lambda orders-fn
//	VPC Endpoint Interface vpce-0abc             VPC endpoint vpce-0abc
//
// A description a person wrote is a name already and is kept (cut to maxName runes);
// "Primary network interface" and an empty description name nothing ("").
func Describe(description, interfaceType string) string {
	d := strings.TrimSpace(description)
	for _, r := range describers {
		if m := r.re.FindStringSubmatch(d); m != nil {
			return r.name(m)
		}
	}
	switch {
	case d == "" || strings.EqualFold(d, "Primary network interface"):
		return typeNames[interfaceType]
	}
	return cut(d)
}

// maxName bounds a name kept from a free-form description, so that a paragraph does not
// crowd out the address it names.
const maxName = 40

func cut(s string) string {
	if utf8.RuneCountInString(s) <= maxName {
		return s
	}
	return string([]rune(s)[:maxName-1]) + "…"
}

type describer struct {
	re   *regexp.Regexp
	name func(m []string) string
}

// describers are the formats AWS writes, most specific first. An id is a token of
// letters, digits and dashes.
var describers = []describer{
	// Application, network and gateway load balancers: "ELB app/NAME/ID", "ELB net/...",
	// "ELB gwy/..."; classic load balancers: "ELB NAME".
	{regexp.MustCompile(`^ELB (?:app|net|gwy)/([^/\s]+)/\S+$`), func(m []string) string { return "ELB " + m[1] }},
	{regexp.MustCompile(`^ELB ([^/\s]+)$`), func(m []string) string { return "ELB " + m[1] }},
	{regexp.MustCompile(`^Interface for NAT Gateway (nat-[0-9a-zA-Z]+)`), func(m []string) string { return "NAT gateway " + m[1] }},
	{regexp.MustCompile(`^RDSNetworkInterface$`), func([]string) string { return "RDS" }},
	{regexp.MustCompile(`^RedshiftNetworkInterface$`), func([]string) string { return "Redshift" }},
	// "AWS Lambda VPC ENI-FUNCTION-UUID"; the function's name may itself hold dashes.
	{regexp.MustCompile(`^AWS Lambda VPC ENI-(.+?)(?:-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})?$`), func(m []string) string { return "Lambda " + m[1] }},
	{regexp.MustCompile(`^VPC Endpoint Interface:? ?(vpce-[0-9a-zA-Z]+)`), func(m []string) string { return "VPC endpoint " + m[1] }},
	{regexp.MustCompile(`^EFS mount target for (fs-[0-9a-zA-Z]+)`), func(m []string) string { return "EFS " + m[1] }},
	{regexp.MustCompile(`^Network Interface for Transit Gateway Attachment (tgw-attach-[0-9a-zA-Z]+)`), func(m []string) string { return "transit gateway " + m[1] }},
	{regexp.MustCompile(`^Amazon EKS (\S+)$`), func(m []string) string { return "EKS " + m[1] }},
	{regexp.MustCompile(`^aws-K8S-(i-[0-9a-zA-Z]+)$`), func(m []string) string { return "EKS node " + m[1] }},
	{regexp.MustCompile(`^arn:aws[a-z-]*:ecs:[^:]*:[0-9]*:attachment/`), func([]string) string { return "ECS task" }},
	{regexp.MustCompile(`^ElastiCache (\S+)$`), func(m []string) string { return "ElastiCache " + m[1] }},
	{regexp.MustCompile(`^AWS created network interface for directory (d-[0-9a-zA-Z]+)`), func(m []string) string { return "directory " + m[1] }},
	{regexp.MustCompile(`^Route 53 Resolver: ?(rslvr-[a-z]+-[0-9a-zA-Z]+)`), func(m []string) string { return "Route 53 Resolver " + m[1] }},
}

// typeNames name an interface by its type when its description says nothing.
var typeNames = map[string]string{
	"nat_gateway":                    "NAT gateway",
	"vpc_endpoint":                   "VPC endpoint",
	"gateway_load_balancer_endpoint": "VPC endpoint",
	"lambda":                         "Lambda",
	"load_balancer":                  "ELB",
	"network_load_balancer":          "ELB",
	"gateway_load_balancer":          "ELB",
	"transit_gateway":                "transit gateway",
	"efs":                            "EFS",
	"api_gateway_managed":            "API Gateway",
	"global_accelerator_managed":     "Global Accelerator",
	"quicksight":                     "QuickSight",
}
