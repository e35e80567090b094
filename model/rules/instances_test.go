package rules_test

import (
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/flowlens/flowlens/model/rules"
)

// describe-instances output is read for names: the Name tag, the state, every address of
// every interface, and the names of the groups the instances are in.
func TestLoadDescribeInstances(t *testing.T) {
	set := loadFiles(t, "testdata/describe-instances.json")
	if got := len(set.Instances()); got != 4 {
		t.Fatalf("%d instances, want 4", got)
	}
	web, ok := set.Instance("i-0b22a22eec53b9321")
	if !ok {
		t.Fatal("web instance missing")
	}
	if web.Name != "web-1" || web.State != "running" || web.SubnetID != "subnet-0aa11bb22cc33dd44" {
		t.Errorf("web: %+v", web)
	}
	want := []netip.Addr{netip.MustParseAddr("10.0.0.10"), netip.MustParseAddr("10.0.0.11"), netip.MustParseAddr("2600:1f18:4a3:6b00:8d6e:3477:df66:f105")}
	if !slices.Equal(web.PrivateIPs, want) {
		t.Errorf("web private addresses %v, want %v", web.PrivateIPs, want)
	}
	if !slices.Equal(web.PublicIPs, []netip.Addr{netip.MustParseAddr("54.210.17.33")}) {
		t.Errorf("web public addresses %v", web.PublicIPs)
	}
	if !slices.Equal(web.Interfaces, []string{"eni-0a1b2c3d4e5f60001"}) {
		t.Errorf("web interfaces %v", web.Interfaces)
	}
	old, _ := set.Instance("i-0e9f8a7b6c5d4e3f2")
	if old == nil || old.State != "terminated" || len(old.PrivateIPs) != 0 {
		t.Errorf("terminated instance: %+v", old)
	}
	// The groups are named by the instances' SecurityGroups alone.
	if got := set.GroupName("sg-0a0b0c0d0e0f01234"); got != "shop-db" {
		t.Errorf("GroupName = %q, want shop-db", got)
	}
	// Instances are for names: they do not stand in for interfaces in the verdicts.
	if len(set.Interfaces()) != 0 {
		t.Errorf("describe-instances made %d interfaces", len(set.Interfaces()))
	}
	if set.Empty() {
		t.Error("a set of instances is empty")
	}
}

func TestInterfaceNameTagAndGroupNames(t *testing.T) {
	set := loadFiles(t, "testdata/describe-network-interfaces.json")
	b, ok := set.Interface("eni-0a1b2c3d4e5f60002")
	if !ok || b.Name != "bastion" {
		t.Fatalf("bastion interface %+v", b)
	}
	if w, _ := set.Interface("eni-0a1b2c3d4e5f60001"); w.Name != "" {
		t.Errorf("an empty TagSet gave the name %q", w.Name)
	}
	// Named by the interfaces' Groups, without describe-security-groups.
	if got := set.GroupName("sg-0fedcba9876543210"); got != "bastion" {
		t.Errorf("GroupName = %q", got)
	}
	if got := set.GroupName("sg-0nothere"); got != "" {
		t.Errorf("unknown group named %q", got)
	}
	// A loaded group's own name wins over what a reference calls it.
	more := load(t, `{"SecurityGroups":[{"GroupId":"sg-0fedcba9876543210","GroupName":"bastion-v2","IpPermissions":[],"IpPermissionsEgress":[]}]}`)
	set.Merge(more)
	if got := set.GroupName("sg-0fedcba9876543210"); got != "bastion-v2" {
		t.Errorf("GroupName after merge = %q", got)
	}
	var none *rules.Set
	if none.GroupName("sg-1") != "" || len(none.Instances()) != 0 {
		t.Error("a nil set names something")
	}
}

// A Name tag is anyone's to write, and reaches the screen: it is cleaned on load.
func TestLoadCleansNameTags(t *testing.T) {
	set := load(t, `{"Reservations":[{"Instances":[{"InstanceId":"i-1","Tags":[{"Key":"Name","Value":"db\u001b]52;c;aGk=\u0007-1"}]}]}]}`,
		`{"NetworkInterfaces":[{"NetworkInterfaceId":"eni-1","TagSet":[{"Key":"Name","Value":"\u009b2Jnat"}]}]}`)
	i, _ := set.Instance("i-1")
	e, _ := set.Interface("eni-1")
	if i == nil || i.Name != "db-1" || e == nil || e.Name != "nat" {
		t.Errorf("instance %+v, interface %+v", i, e)
	}
	for _, s := range []string{i.Name, e.Name} {
		if strings.ContainsAny(s, "\x1b\x07\u009b") {
			t.Errorf("%q is not clean", s)
		}
	}
}

// The SDK's types.Reservation marshals to the same keys as the CLI; a malformed address
// in it is skipped rather than failing the file (instances are read for names only).
func TestLoadInstanceWithABadAddress(t *testing.T) {
	set := load(t, `{"Reservations":[{"Instances":[{"InstanceId":"i-1","PrivateIpAddress":"10.0.0.999","Tags":null,"State":null,
"NetworkInterfaces":[{"NetworkInterfaceId":"eni-1","PrivateIpAddress":"10.0.0.5","PrivateIpAddresses":[{"PrivateIpAddress":"10.0.0.5","Association":{"PublicIp":"198.51.100.5"}}]}]}]}]}`)
	i, _ := set.Instance("i-1")
	if i == nil || !slices.Equal(i.PrivateIPs, []netip.Addr{netip.MustParseAddr("10.0.0.5")}) || !slices.Equal(i.PublicIPs, []netip.Addr{netip.MustParseAddr("198.51.100.5")}) {
		t.Errorf("instance %+v", i)
	}
}
