package sim_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/flowlens/flowlens/internal/sim"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// smallTopology is the topology of the golden files: two subnets with their own ACLs
// (deny before allow, a return rule, ICMP), groups with CIDR, IPv6 and group peers, an
// interface with a secondary address and an Elastic IP, and a NAT gateway.
func smallTopology() *sim.Topology {
	t := sim.NewTopology("10.0.0.0/16", "2600:1f18:4a3:6b00::/56")
	public := t.AddNACL("public")
	public.In(90, sim.Deny, sim.AllProtocols, 0, 0, "192.0.2.0/24")
	public.In(100, sim.Allow, sim.TCP, 443, 443, "0.0.0.0/0").In(110, sim.Allow, sim.TCP, 1024, 65535, "0.0.0.0/0")
	public.In(120, sim.Allow, sim.ICMP, 0, 0, "0.0.0.0/0").In(130, sim.Allow, sim.TCP, 443, 443, "::/0")
	public.Out(100, sim.Allow, sim.AllProtocols, 0, 0, "0.0.0.0/0")
	private := t.AddNACL("private")
	private.In(100, sim.Allow, sim.AllProtocols, 0, 0, "10.0.0.0/16").In(110, sim.Allow, sim.UDP, 1024, 65535, "0.0.0.0/0")
	private.Out(100, sim.Allow, sim.TCP, 1024, 65535, "10.0.0.0/16")
	pub := t.AddSubnet("public-a", "10.0.0.0/24", public)
	priv := t.AddSubnet("private-a", "10.0.10.0/24", private)

	web := t.AddSecurityGroup("web").AllowIn(sim.TCP, 443, 443, "0.0.0.0/0").AllowIn(sim.TCP, 443, 443, "::/0").
		AllowIn(sim.ICMP, 0, 0, "10.0.0.0/16")
	db := t.AddSecurityGroup("db").AllowInFrom(sim.TCP, 5432, 5432, web).RevokeOutbound()
	db.Inbound[0].Description = "postgres from the web tier"

	w := t.AddInterface("web-1", pub, sim.Linux, web)
	w.AddSecondaryIP()
	w.AddIPv6()
	w.PublicIP = netip.MustParseAddr("54.210.17.40")
	t.AddInterface("db-1", priv, sim.Linux, db)
	priv.NAT = t.AddNATGateway("nat-a", pub, "54.210.17.33")
	return t
}

func TestRulesGolden(t *testing.T) {
	top := smallTopology()
	files := top.RulesFiles()
	if len(files) != 4 {
		t.Fatalf("%d rules files, want the four describe-* outputs", len(files))
	}
	for _, f := range files {
		path := filepath.Join("testdata", "rules", f.Name)
		if *update {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, f.Data, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test -update to create it)", err)
		}
		if !bytes.Equal(f.Data, want) {
			t.Errorf("%s differs from the golden file (go test -update rewrites it after review)", f.Name)
		}
	}
}

// The shapes a reader of the AWS CLI's output expects, decoded strictly.
type (
	sgDoc struct {
		SecurityGroups []struct {
			GroupId, GroupName, VpcId, OwnerId, Description string
			IpPermissions, IpPermissionsEgress              []struct {
				IpProtocol       string
				FromPort, ToPort *int
				IpRanges         []struct{ CidrIp, Description string }
				Ipv6Ranges       []struct{ CidrIpv6, Description string }
				UserIdGroupPairs []struct{ GroupId, UserId, Description string }
				PrefixListIds    []struct{ PrefixListId string }
			}
			Tags             []struct{ Key, Value string }
			SecurityGroupArn string
		}
	}
	naclDoc struct {
		NetworkAcls []struct {
			NetworkAclId, VpcId, OwnerId string
			IsDefault                    bool
			Associations                 []struct{ NetworkAclAssociationId, NetworkAclId, SubnetId string }
			Entries                      []struct {
				RuleNumber               int
				Protocol, RuleAction     string
				Egress                   bool
				CidrBlock, Ipv6CidrBlock string
				PortRange                *struct{ From, To int }
				IcmpTypeCode             *struct{ Code, Type int }
			}
			Tags []struct{ Key, Value string }
		}
	}
	eniDoc struct {
		NetworkInterfaces []struct {
			NetworkInterfaceId, SubnetId, VpcId, PrivateIpAddress, InterfaceType string
			Description, AvailabilityZone, MacAddress, OwnerId, Status           string
			PrivateDnsName                                                       string
			RequesterManaged, SourceDestCheck                                    bool
			PrivateIpAddresses                                                   []struct {
				PrivateIpAddress, PrivateDnsName string
				Primary                          bool
				Association                      *struct{ PublicIp, PublicDnsName, IpOwnerId string }
			}
			Ipv6Addresses []struct {
				Ipv6Address   string
				IsPrimaryIpv6 bool
			}
			Groups      []struct{ GroupId, GroupName string }
			Association *struct{ PublicIp, PublicDnsName, IpOwnerId string }
			Attachment  *struct {
				AttachmentId, InstanceId, InstanceOwnerId, Status string
				DeleteOnTermination                               bool
				DeviceIndex, NetworkCardIndex                     int
			}
			TagSet []struct{ Key, Value string }
		}
	}
)

func decodeStrict(t *testing.T, data []byte, v any) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("decoding %T: %v", v, err)
	}
}

func TestRulesShape(t *testing.T) {
	top := smallTopology()
	sgs, nacls, enis := top.RulesJSON()
	var s sgDoc
	decodeStrict(t, sgs, &s)
	var n naclDoc
	decodeStrict(t, nacls, &n)
	var e eniDoc
	decodeStrict(t, enis, &e)

	if len(s.SecurityGroups) != 2 {
		t.Fatalf("%d security groups, want 2", len(s.SecurityGroups))
	}
	web, db := s.SecurityGroups[0], s.SecurityGroups[1]
	// web: tcp 443 from 0.0.0.0/0 and ::/0 in one permission; icmp with -1 ports.
	if len(web.IpPermissions) != 2 || web.IpPermissions[0].IpProtocol != "tcp" || *web.IpPermissions[0].FromPort != 443 ||
		len(web.IpPermissions[0].IpRanges) != 1 || web.IpPermissions[0].IpRanges[0].CidrIp != "0.0.0.0/0" ||
		len(web.IpPermissions[0].Ipv6Ranges) != 1 || web.IpPermissions[0].Ipv6Ranges[0].CidrIpv6 != "::/0" {
		t.Errorf("web inbound: %+v", web.IpPermissions)
	}
	if p := web.IpPermissions[1]; p.IpProtocol != "icmp" || *p.FromPort != -1 || *p.ToPort != -1 {
		t.Errorf("web icmp: %+v", p)
	}
	// The default outbound rule: all protocols, no ports, IPv4 and IPv6.
	if p := web.IpPermissionsEgress; len(p) != 1 || p[0].IpProtocol != "-1" || p[0].FromPort != nil ||
		p[0].IpRanges[0].CidrIp != "0.0.0.0/0" || p[0].Ipv6Ranges[0].CidrIpv6 != "::/0" {
		t.Errorf("web outbound: %+v", p)
	}
	if p := db.IpPermissions; len(p) != 1 || len(p[0].UserIdGroupPairs) != 1 || p[0].UserIdGroupPairs[0].GroupId != web.GroupId ||
		p[0].UserIdGroupPairs[0].UserId != sim.DefaultAccount {
		t.Errorf("db inbound group reference: %+v", p)
	}
	if len(db.IpPermissionsEgress) != 0 || db.IpPermissionsEgress == nil {
		t.Errorf("db outbound should be an empty list: %+v", db.IpPermissionsEgress)
	}

	// ACLs: default + public + private; entries egress first by number; final denies.
	if len(n.NetworkAcls) != 3 || !n.NetworkAcls[0].IsDefault || len(n.NetworkAcls[0].Associations) != 0 {
		t.Fatalf("network ACLs: %+v", n.NetworkAcls)
	}
	pub := n.NetworkAcls[1]
	var numbers []int
	for _, x := range pub.Entries {
		if x.Egress {
			numbers = append(numbers, x.RuleNumber)
		} else {
			numbers = append(numbers, -x.RuleNumber)
		}
	}
	if want := []int{100, 32767, 32768, -90, -100, -110, -120, -130, -32767, -32768}; !slices.Equal(numbers, want) {
		t.Errorf("public entries: %v, want %v", numbers, want)
	}
	for _, x := range pub.Entries {
		switch {
		case x.RuleNumber == 90 && (x.RuleAction != "deny" || x.Protocol != "-1" || x.PortRange != nil):
			t.Errorf("#90: %+v", x)
		case x.RuleNumber == 110 && (x.Protocol != "6" || x.PortRange == nil || x.PortRange.From != 1024 || x.PortRange.To != 65535):
			t.Errorf("#110: %+v", x)
		case x.RuleNumber == 120 && (x.Protocol != "1" || x.IcmpTypeCode == nil || x.IcmpTypeCode.Type != -1):
			t.Errorf("#120: %+v", x)
		case x.RuleNumber == 130 && (x.Ipv6CidrBlock != "::/0" || x.CidrBlock != ""):
			t.Errorf("#130: %+v", x)
		case x.RuleNumber == 32768 && (x.Ipv6CidrBlock != "::/0" || x.RuleAction != "deny"):
			t.Errorf("#32768: %+v", x)
		}
	}
	if len(pub.Associations) != 1 || pub.Associations[0].SubnetId != top.Subnets[0].ID {
		t.Errorf("public associations: %+v", pub.Associations)
	}

	// Interfaces: every private address; the NAT gateway is managed, has no groups.
	if len(e.NetworkInterfaces) != 3 {
		t.Fatalf("%d interfaces", len(e.NetworkInterfaces))
	}
	w := e.NetworkInterfaces[0]
	if w.PrivateIpAddress != "10.0.0.10" || len(w.PrivateIpAddresses) != 2 || !w.PrivateIpAddresses[0].Primary ||
		w.PrivateIpAddresses[1].PrivateIpAddress != "10.0.0.11" || len(w.Ipv6Addresses) != 1 ||
		w.Association == nil || w.Association.PublicIp != "54.210.17.40" || w.Attachment == nil ||
		len(w.Groups) != 1 || w.Groups[0].GroupId != web.GroupId || w.SubnetId != top.Subnets[0].ID {
		t.Errorf("web-1: %+v", w)
	}
	nat := e.NetworkInterfaces[2]
	if nat.InterfaceType != "nat_gateway" || !nat.RequesterManaged || nat.Attachment != nil || len(nat.Groups) != 0 || nat.SourceDestCheck {
		t.Errorf("nat-a: %+v", nat)
	}
}
