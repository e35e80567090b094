package rules_test

import (
	"bytes"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/flowlens/flowlens/model/rules"
)

// load builds a set from inline JSON documents, each loaded as its own file.
func load(t *testing.T, docs ...string) *rules.Set {
	t.Helper()
	set := rules.NewSet()
	for i, doc := range docs {
		one, err := rules.Load(strings.NewReader(doc), "inline-"+string(rune('a'+i))+".json")
		if err != nil {
			t.Fatalf("load: %v", err)
		}
		set.Merge(one)
	}
	return set
}

// loadFiles loads and merges files of testdata, as the command line does with --rules.
func loadFiles(t *testing.T, paths ...string) *rules.Set {
	t.Helper()
	set := rules.NewSet()
	for _, path := range paths {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		one, err := rules.Load(bytes.NewReader(data), path)
		if err != nil {
			t.Fatalf("load %s: %v", path, err)
		}
		set.Merge(one)
	}
	return set
}

// packet builds a packet from "addr:port" strings ("[v6]:port" for IPv6).
func packet(proto uint8, src, dst string) rules.Packet {
	s, d := netip.MustParseAddrPort(src), netip.MustParseAddrPort(dst)
	return rules.Packet{Protocol: proto, Src: s.Addr(), Dst: d.Addr(), SrcPort: s.Port(), DstPort: d.Port()}
}

// sg writes a describe-security-groups document; perms are IpPermission objects.
func sg(id string, inbound, outbound string) string {
	return `{"GroupId":"` + id + `","GroupName":"` + id + `","VpcId":"vpc-1","IpPermissions":[` + inbound + `],"IpPermissionsEgress":[` + outbound + `]}`
}

func groups(gs ...string) string { return `{"SecurityGroups":[` + strings.Join(gs, ",") + `]}` }

// perm writes one IpPermission with CIDR peers (IPv4 or IPv6 by their form).
func perm(proto string, from, to int, cidrs ...string) string {
	var v4, v6 []string
	for _, c := range cidrs {
		if strings.Contains(c, ":") {
			v6 = append(v6, `{"CidrIpv6":"`+c+`"}`)
		} else {
			v4 = append(v4, `{"CidrIp":"`+c+`"}`)
		}
	}
	return `{"IpProtocol":"` + proto + `","FromPort":` + itoa(from) + `,"ToPort":` + itoa(to) +
		`,"IpRanges":[` + strings.Join(v4, ",") + `],"Ipv6Ranges":[` + strings.Join(v6, ",") + `],"PrefixListIds":[],"UserIdGroupPairs":[]}`
}

// allProto writes the "-1" permission as the CLI prints it: no ports.
func allProto(cidrs ...string) string {
	p := perm("-1", 0, 0, cidrs...)
	return strings.Replace(p, `"FromPort":0,"ToPort":0,`, "", 1)
}

func groupPerm(proto string, from, to int, group string) string {
	return `{"IpProtocol":"` + proto + `","FromPort":` + itoa(from) + `,"ToPort":` + itoa(to) +
		`,"IpRanges":[],"Ipv6Ranges":[],"PrefixListIds":[],"UserIdGroupPairs":[{"UserId":"123456789012","GroupId":"` + group + `"}]}`
}

func prefixPerm(proto string, from, to int, pl string) string {
	return `{"IpProtocol":"` + proto + `","FromPort":` + itoa(from) + `,"ToPort":` + itoa(to) +
		`,"IpRanges":[],"Ipv6Ranges":[],"PrefixListIds":[{"PrefixListId":"` + pl + `"}],"UserIdGroupPairs":[]}`
}

// eni writes one describe-network-interfaces entry; addrs are private IPs (v4 or v6).
func eni(id, subnet string, addrs []string, groupIDs ...string) string {
	var v4, v6, gs []string
	for _, a := range addrs {
		if strings.Contains(a, ":") {
			v6 = append(v6, `{"Ipv6Address":"`+a+`"}`)
		} else {
			v4 = append(v4, `{"PrivateIpAddress":"`+a+`"}`)
		}
	}
	for _, g := range groupIDs {
		gs = append(gs, `{"GroupId":"`+g+`","GroupName":"`+g+`"}`)
	}
	primary := ""
	if len(addrs) > 0 {
		primary = addrs[0]
	}
	return `{"NetworkInterfaceId":"` + id + `","SubnetId":"` + subnet + `","VpcId":"vpc-1","InterfaceType":"interface","PrivateIpAddress":"` + primary +
		`","PrivateIpAddresses":[` + strings.Join(v4, ",") + `],"Ipv6Addresses":[` + strings.Join(v6, ",") + `],"Groups":[` + strings.Join(gs, ",") + `]}`
}

func enis(es ...string) string { return `{"NetworkInterfaces":[` + strings.Join(es, ",") + `]}` }

// acl writes one network ACL; entries come from entry().
func acl(id string, isDefault bool, subnets []string, entries ...string) string {
	var as []string
	for _, s := range subnets {
		as = append(as, `{"NetworkAclId":"`+id+`","SubnetId":"`+s+`"}`)
	}
	def := "false"
	if isDefault {
		def = "true"
	}
	return `{"NetworkAclId":"` + id + `","VpcId":"vpc-1","IsDefault":` + def + `,"Associations":[` + strings.Join(as, ",") + `],"Entries":[` + strings.Join(entries, ",") + `]}`
}

func acls(as ...string) string { return `{"NetworkAcls":[` + strings.Join(as, ",") + `]}` }

// entry writes one NACL entry. proto is the API's number string; ports apply to
// "6" and "17", from/to are the ICMP type/code for "1" and "58".
func entry(number int, egress bool, action, proto, cidr string, from, to int) string {
	e := `{"RuleNumber":` + itoa(number) + `,"Egress":` + map[bool]string{true: "true", false: "false"}[egress] +
		`,"RuleAction":"` + action + `","Protocol":"` + proto + `"`
	if strings.Contains(cidr, ":") {
		e += `,"Ipv6CidrBlock":"` + cidr + `"`
	} else {
		e += `,"CidrBlock":"` + cidr + `"`
	}
	switch proto {
	case "6", "17":
		e += `,"PortRange":{"From":` + itoa(from) + `,"To":` + itoa(to) + `}`
	case "1", "58":
		e += `,"IcmpTypeCode":{"Type":` + itoa(from) + `,"Code":` + itoa(to) + `}`
	}
	return e + "}"
}

func itoa(n int) string { return strconv.Itoa(n) }
