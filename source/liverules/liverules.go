// Package liverules fetches the security groups, network ACLs and network interfaces
// behind a set of interfaces through the EC2 API (read-only Describe calls), for
// --live-rules: the same data `aws ec2 describe-*` prints, which model/rules evaluates,
// and the instances behind the interfaces, whose Name tags name the hosts.
package liverules

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/flowlens/flowlens/model/rules"
)

// filterChunk bounds the values of one EC2 filter; AWS accepts up to 200.
const filterChunk = 200

// NamesError says that the instances behind the interfaces could not be described
// (most often: the role lacks ec2:DescribeInstances). The rules came back whole; only
// the hosts' names are missing, so Fetch returns it beside a usable set, and a caller
// warns and goes on.
type NamesError struct{ Err error }

func (e *NamesError) Error() string { return "naming the instances: " + e.Err.Error() }
func (e *NamesError) Unwrap() error { return e.Err }

// Fetch describes the interfaces, their security groups (and the members of groups
// their rules refer to, so references can be resolved by address), the network ACLs
// of their subnets, and the instances they are attached to, and returns them as a
// rules.Set. Interfaces and instances are asked for by filter, not by ID, so one that no
// longer exists is simply missing instead of failing the call. When only the instances
// could not be described, the set is returned with a *NamesError.
func Fetch(ctx context.Context, client *ec2.Client, enis []string) (*rules.Set, error) {
	enis = unique(enis)
	if len(enis) == 0 {
		return rules.NewSet(), nil
	}
	ifaces, err := interfaces(ctx, client, "network-interface-id", enis)
	if err != nil {
		return nil, err
	}
	var groupIDs, subnetIDs []string
	for _, ni := range ifaces {
		for _, g := range ni.Groups {
			groupIDs = append(groupIDs, aws.ToString(g.GroupId))
		}
		subnetIDs = append(subnetIDs, aws.ToString(ni.SubnetId))
	}
	groups, err := securityGroups(ctx, client, unique(groupIDs))
	if err != nil {
		return nil, err
	}
	// Members of referenced groups: a rule "from sg-0abc" means from the private
	// addresses of the interfaces in sg-0abc.
	var referenced []string
	for _, g := range groups {
		for _, perm := range append(append([]types.IpPermission(nil), g.IpPermissions...), g.IpPermissionsEgress...) {
			for _, pair := range perm.UserIdGroupPairs {
				referenced = append(referenced, aws.ToString(pair.GroupId))
			}
		}
	}
	if referenced = unique(referenced); len(referenced) > 0 {
		members, err := interfaces(ctx, client, "group-id", referenced)
		if err != nil {
			return nil, err
		}
		ifaces = appendNew(ifaces, members)
	}
	acls, err := networkACLs(ctx, client, unique(subnetIDs))
	if err != nil {
		return nil, err
	}
	var instanceIDs []string
	for _, ni := range ifaces {
		if ni.Attachment != nil {
			instanceIDs = append(instanceIDs, aws.ToString(ni.Attachment.InstanceId))
		}
	}
	reservations, namesErr := instances(ctx, client, unique(instanceIDs))
	// The loader reads the JSON the AWS CLI prints, which is what json.Marshal makes of
	// the SDK's output structs: one loader for files and for the live calls.
	doc, err := json.Marshal(struct {
		NetworkInterfaces []types.NetworkInterface
		SecurityGroups    []types.SecurityGroup
		NetworkAcls       []types.NetworkAcl
		Reservations      []types.Reservation
	}{ifaces, groups, acls, reservations})
	if err != nil {
		return nil, err
	}
	set, err := rules.Load(bytes.NewReader(doc), "ec2 (live)")
	if err != nil {
		return nil, err
	}
	if namesErr != nil {
		return set, &NamesError{namesErr}
	}
	return set, nil
}

// instances describes the instances the interfaces are attached to, for their names.
func instances(ctx context.Context, client *ec2.Client, ids []string) ([]types.Reservation, error) {
	var out []types.Reservation
	for _, chunk := range chunks(ids) {
		pages := ec2.NewDescribeInstancesPaginator(client, &ec2.DescribeInstancesInput{
			Filters: []types.Filter{{Name: aws.String("instance-id"), Values: chunk}},
		})
		for pages.HasMorePages() {
			page, err := pages.NextPage(ctx)
			if err != nil {
				return nil, fmt.Errorf("describing instances: %w", err)
			}
			out = append(out, page.Reservations...)
		}
	}
	return out, nil
}

func interfaces(ctx context.Context, client *ec2.Client, filter string, values []string) ([]types.NetworkInterface, error) {
	var out []types.NetworkInterface
	for _, chunk := range chunks(values) {
		pages := ec2.NewDescribeNetworkInterfacesPaginator(client, &ec2.DescribeNetworkInterfacesInput{
			Filters: []types.Filter{{Name: aws.String(filter), Values: chunk}},
			// Managed interfaces (NAT gateways, endpoints, load balancers) are hidden
			// without it, and flows through them are the ones people ask about.
			IncludeManagedResources: aws.Bool(true),
		})
		for pages.HasMorePages() {
			page, err := pages.NextPage(ctx)
			if err != nil {
				return nil, fmt.Errorf("describing network interfaces: %w", err)
			}
			out = append(out, page.NetworkInterfaces...)
		}
	}
	return out, nil
}

func securityGroups(ctx context.Context, client *ec2.Client, ids []string) ([]types.SecurityGroup, error) {
	var out []types.SecurityGroup
	for _, chunk := range chunks(ids) {
		pages := ec2.NewDescribeSecurityGroupsPaginator(client, &ec2.DescribeSecurityGroupsInput{
			Filters: []types.Filter{{Name: aws.String("group-id"), Values: chunk}},
		})
		for pages.HasMorePages() {
			page, err := pages.NextPage(ctx)
			if err != nil {
				return nil, fmt.Errorf("describing security groups: %w", err)
			}
			out = append(out, page.SecurityGroups...)
		}
	}
	return out, nil
}

func networkACLs(ctx context.Context, client *ec2.Client, subnets []string) ([]types.NetworkAcl, error) {
	var out []types.NetworkAcl
	for _, chunk := range chunks(subnets) {
		pages := ec2.NewDescribeNetworkAclsPaginator(client, &ec2.DescribeNetworkAclsInput{
			Filters: []types.Filter{{Name: aws.String("association.subnet-id"), Values: chunk}},
		})
		for pages.HasMorePages() {
			page, err := pages.NextPage(ctx)
			if err != nil {
				return nil, fmt.Errorf("describing network ACLs: %w", err)
			}
			out = append(out, page.NetworkAcls...)
		}
	}
	return out, nil
}

func chunks(values []string) [][]string {
	var out [][]string
	for len(values) > 0 {
		n := min(len(values), filterChunk)
		out = append(out, values[:n])
		values = values[n:]
	}
	return out
}

func unique(values []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, v := range values {
		if v != "" && !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	sort.Strings(out)
	return out
}

func appendNew(have, more []types.NetworkInterface) []types.NetworkInterface {
	seen := map[string]bool{}
	for _, ni := range have {
		seen[aws.ToString(ni.NetworkInterfaceId)] = true
	}
	for _, ni := range more {
		if id := aws.ToString(ni.NetworkInterfaceId); !seen[id] {
			seen[id] = true
			have = append(have, ni)
		}
	}
	return have
}
