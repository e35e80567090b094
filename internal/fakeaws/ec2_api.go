package fakeaws

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

const ec2Version = "2016-11-15"

// ec2Handler answers one EC2 action. It runs with s.mu held and returns the
// XML document to send.
type ec2Handler func(s *Server, form url.Values, reqID string) (any, *apiError)

var ec2Handlers = map[string]ec2Handler{
	"DescribeFlowLogs":          (*Server).describeFlowLogs,
	"DescribeSecurityGroups":    (*Server).describeSecurityGroups,
	"DescribeNetworkAcls":       (*Server).describeNetworkACLs,
	"DescribeNetworkInterfaces": (*Server).describeNetworkInterfaces,
	"DescribeInstances":         (*Server).describeInstances,
}

func (s *Server) serveEC2(w http.ResponseWriter, r *http.Request, form url.Values) {
	op := form.Get("Action")
	params := make(map[string]any, len(form))
	for k, v := range form {
		params[k] = strings.Join(v, ",")
	}

	s.mu.Lock()
	seq := s.recordCall(Call{Service: "ec2", Op: op, Params: params, Region: credentialRegion(r)})
	reqID := s.nextRequestID()
	var (
		out  any
		aerr *apiError
	)
	handler, ok := ec2Handlers[op]
	switch {
	case !ok:
		aerr = &apiError{Code: "InvalidAction", Message: fmt.Sprintf("The action %s is not valid for this web service.", op), Status: 400}
	case form.Get("Version") != ec2Version:
		aerr = &apiError{Code: "InvalidParameterValue", Message: fmt.Sprintf("fakeaws: Version must be %s, got %q", ec2Version, form.Get("Version")), Status: 400}
	default:
		if code, failed := s.takeFault(op); failed {
			aerr = injectedEC2Error(op, code)
		} else {
			out, aerr = handler(s, form, reqID)
		}
	}
	s.mu.Unlock()

	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	if aerr != nil {
		s.finishCall(seq, aerr.Code)
		var doc ec2ErrorXML
		doc.Errors.Error.Code, doc.Errors.Error.Message, doc.RequestID = aerr.Code, aerr.Message, reqID
		writeXML(w, aerr.Status, doc)
		return
	}
	writeXML(w, http.StatusOK, out)
}

func writeXML(w http.ResponseWriter, status int, doc any) {
	b, err := xml.Marshal(doc)
	if err != nil {
		panic(fmt.Sprintf("fakeaws: encode XML: %v", err))
	}
	w.WriteHeader(status)
	_, _ = w.Write([]byte(xml.Header))
	_, _ = w.Write(b)
}

// formList reads a flattened ec2query list such as GroupId.1, GroupId.2.
func formList(form url.Values, name string) []string {
	type entry struct {
		n int
		v string
	}
	var entries []entry
	for k, v := range form {
		rest, ok := strings.CutPrefix(k, name+".")
		if !ok {
			continue
		}
		if n, err := strconv.Atoi(rest); err == nil && len(v) > 0 {
			entries = append(entries, entry{n, v[0]})
		}
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].n < entries[j].n })
	out := make([]string, len(entries))
	for i, e := range entries {
		out[i] = e.v
	}
	return out
}

type ec2Filter struct {
	name   string
	values []string
}

// formFilters reads Filter.N.Name and Filter.N.Value.M.
func formFilters(form url.Values) []ec2Filter {
	var nums []int
	for k := range form {
		rest, ok := strings.CutPrefix(k, "Filter.")
		if !ok {
			continue
		}
		num, field, _ := strings.Cut(rest, ".")
		if n, err := strconv.Atoi(num); err == nil && field == "Name" {
			nums = append(nums, n)
		}
	}
	sort.Ints(nums)
	out := make([]ec2Filter, 0, len(nums))
	for _, n := range nums {
		prefix := fmt.Sprintf("Filter.%d.", n)
		out = append(out, ec2Filter{name: form.Get(prefix + "Name"), values: formList(form, prefix+"Value")})
	}
	return out
}

// matchFilters applies EC2 filter semantics: every filter must match, a
// filter matches when any of its values matches any of the resource's values
// for that name, and values may use the * and ? wildcards. An unknown filter
// name is an error, as it is on AWS. A resource with tags also answers the
// tag:KEY (the values of that tag) and tag-key filters.
func matchFilters(filters []ec2Filter, fields map[string][]string, tags ...map[string]string) (bool, *apiError) {
	if len(tags) > 0 {
		keys := []string{}
		for k := range tags[0] {
			keys = append(keys, k)
		}
		fields["tag-key"] = keys
		for _, f := range filters {
			if key, ok := strings.CutPrefix(f.name, "tag:"); ok {
				fields[f.name] = nil
				if v, has := tags[0][key]; has {
					fields[f.name] = []string{v}
				}
			}
		}
	}
	for _, f := range filters {
		have, known := fields[f.name]
		if !known {
			return false, &apiError{Code: "InvalidParameterValue", Message: fmt.Sprintf("The filter '%s' is invalid", f.name), Status: 400}
		}
		ok := slices.ContainsFunc(f.values, func(want string) bool {
			return slices.ContainsFunc(have, func(v string) bool { return wildcardMatch(want, v) })
		})
		if !ok {
			return false, nil
		}
	}
	return true, nil
}

// wildcardMatch matches s against a pattern where * is any run of characters
// and ? any one character. path.Match is not used because it treats '/'
// specially, and filter values are often CIDRs.
func wildcardMatch(pattern, s string) bool {
	if pattern == "" {
		return s == ""
	}
	switch pattern[0] {
	case '*':
		for i := 0; i <= len(s); i++ {
			if wildcardMatch(pattern[1:], s[i:]) {
				return true
			}
		}
		return false
	case '?':
		return s != "" && wildcardMatch(pattern[1:], s[1:])
	}
	return s != "" && s[0] == pattern[0] && wildcardMatch(pattern[1:], s[1:])
}

// ec2Page cuts n results into the page asked for with MaxResults/NextToken.
// Callers hold s.mu.
func (s *Server) ec2Page(op string, form url.Values, n int) (span, string, *apiError) {
	var limit *int
	if v := form.Get("MaxResults"); v != "" {
		m, err := strconv.Atoi(v)
		if err != nil || m < 5 || m > 1000 {
			return span{}, "", &apiError{Code: "InvalidParameterValue", Message: fmt.Sprintf("Value ( %s ) for parameter maxResults is invalid. Expecting a value between 5 and 1000.", v), Status: 400}
		}
		limit = &m
	}
	var token *string
	if v := form.Get("NextToken"); v != "" {
		token = &v
	}
	page, next, err := s.listPage(op, n, token, limit, 1000)
	if err != nil {
		return span{}, "", &apiError{Code: "InvalidNextToken", Message: "The token is invalid.", Status: 400}
	}
	return page, deref(next), nil
}

func notFound(code, what string, ids []string, have func(string) bool) *apiError {
	for _, id := range ids {
		if !have(id) {
			return &apiError{Code: code, Message: fmt.Sprintf("The %s '%s' does not exist", what, id), Status: 400}
		}
	}
	return nil
}

func (s *Server) describeFlowLogs(form url.Values, reqID string) (any, *apiError) {
	filters := formFilters(form)
	ids := formList(form, "FlowLogId")
	var match []FlowLog
	for _, fl := range s.ec2.flowLogs {
		if len(ids) > 0 && !slices.Contains(ids, fl.FlowLogID) {
			continue
		}
		ok, err := matchFilters(filters, map[string][]string{
			"flow-log-id":          {fl.FlowLogID},
			"log-group-name":       {fl.LogGroupName},
			"resource-id":          {fl.ResourceID},
			"traffic-type":         {fl.TrafficType},
			"log-destination-type": {fl.LogDestinationType},
			"deliver-log-status":   {fl.DeliverLogsStatus},
		})
		if err != nil {
			return nil, err
		}
		if ok {
			match = append(match, fl)
		}
	}
	page, next, err := s.ec2Page("DescribeFlowLogs", form, len(match))
	if err != nil {
		return nil, err
	}
	doc := describeFlowLogsXML{Xmlns: ec2Namespace, RequestID: reqID, NextToken: next}
	created := s.now().UTC().Format("2006-01-02T15:04:05.000Z")
	for _, fl := range match[page.lo:page.hi] {
		x := flowLogXML{
			CreationTime:           created,
			DeliverLogsStatus:      fl.DeliverLogsStatus,
			FlowLogID:              fl.FlowLogID,
			FlowLogStatus:          fl.FlowLogStatus,
			LogGroupName:           fl.LogGroupName,
			ResourceID:             fl.ResourceID,
			TrafficType:            fl.TrafficType,
			LogDestinationType:     fl.LogDestinationType,
			LogFormat:              fl.LogFormat,
			MaxAggregationInterval: fl.MaxAggregationInterval,
		}
		if fl.LogDestinationType == "cloud-watch-logs" && fl.LogGroupName != "" {
			x.LogDestination = LogGroupARN(fl.LogGroupName)
			x.DeliverLogsPermissionArn = fmt.Sprintf("arn:aws:iam::%s:role/flow-logs", AccountID)
		}
		doc.FlowLogs.Items = append(doc.FlowLogs.Items, x)
	}
	return doc, nil
}

func (s *Server) describeSecurityGroups(form url.Values, reqID string) (any, *apiError) {
	filters := formFilters(form)
	ids := formList(form, "GroupId")
	names := formList(form, "GroupName")
	if err := notFound("InvalidGroup.NotFound", "security group", ids, func(id string) bool {
		return slices.ContainsFunc(s.ec2.securityGroups, func(g SecurityGroup) bool { return g.GroupID == id })
	}); err != nil {
		return nil, err
	}
	var match []SecurityGroup
	for _, g := range s.ec2.securityGroups {
		if (len(ids) > 0 && !slices.Contains(ids, g.GroupID)) || (len(names) > 0 && !slices.Contains(names, g.GroupName)) {
			continue
		}
		ok, err := matchFilters(filters, map[string][]string{
			"group-id":    {g.GroupID},
			"group-name":  {g.GroupName},
			"vpc-id":      {g.VpcID},
			"owner-id":    {AccountID},
			"description": {g.Description},
		})
		if err != nil {
			return nil, err
		}
		if ok {
			match = append(match, g)
		}
	}
	page, next, err := s.ec2Page("DescribeSecurityGroups", form, len(match))
	if err != nil {
		return nil, err
	}
	doc := describeSecurityGroupsXML{Xmlns: ec2Namespace, RequestID: reqID, NextToken: next}
	for _, g := range match[page.lo:page.hi] {
		doc.SecurityGroups.Items = append(doc.SecurityGroups.Items, securityGroupXML{
			OwnerID:             AccountID,
			GroupID:             g.GroupID,
			GroupName:           g.GroupName,
			GroupDescription:    g.Description,
			VpcID:               g.VpcID,
			IPPermissions:       ipPermissions(g.Ingress),
			IPPermissionsEgress: ipPermissions(g.Egress),
			SecurityGroupArn:    fmt.Sprintf("arn:aws:ec2:%s:%s:security-group/%s", Region, AccountID, g.GroupID),
		})
	}
	return doc, nil
}

func ipPermissions(rules []SecurityGroupRule) items[ipPermissionXML] {
	var out items[ipPermissionXML]
	for _, r := range rules {
		p := ipPermissionXML{IPProtocol: r.Protocol}
		if r.Protocol != "-1" {
			from, to := r.FromPort, r.ToPort
			p.FromPort, p.ToPort = &from, &to
		}
		for _, c := range r.CIDRs {
			p.IPRanges.Items = append(p.IPRanges.Items, ipRangeXML{CIDRIP: c})
		}
		for _, c := range r.IPv6CIDRs {
			p.IPv6Ranges.Items = append(p.IPv6Ranges.Items, ipv6RangeXML{CIDRIPv6: c})
		}
		for _, id := range r.PrefixListIDs {
			p.PrefixListIDs.Items = append(p.PrefixListIDs.Items, prefixListXML{PrefixListID: id})
		}
		for _, id := range r.GroupIDs {
			p.Groups.Items = append(p.Groups.Items, groupPairXML{UserID: AccountID, GroupID: id})
		}
		out.Items = append(out.Items, p)
	}
	return out
}

func (s *Server) describeNetworkACLs(form url.Values, reqID string) (any, *apiError) {
	filters := formFilters(form)
	ids := formList(form, "NetworkAclId")
	if err := notFound("InvalidNetworkAclID.NotFound", "networkAcl ID", ids, func(id string) bool {
		return slices.ContainsFunc(s.ec2.acls, func(a NetworkACL) bool { return a.NetworkACLID == id })
	}); err != nil {
		return nil, err
	}
	var match []NetworkACL
	for _, a := range s.ec2.acls {
		if len(ids) > 0 && !slices.Contains(ids, a.NetworkACLID) {
			continue
		}
		ok, err := matchFilters(filters, map[string][]string{
			"network-acl-id":             {a.NetworkACLID},
			"vpc-id":                     {a.VpcID},
			"default":                    {strconv.FormatBool(a.Default)},
			"association.subnet-id":      a.SubnetIDs,
			"association.network-acl-id": {a.NetworkACLID},
			"owner-id":                   {AccountID},
		})
		if err != nil {
			return nil, err
		}
		if ok {
			match = append(match, a)
		}
	}
	page, next, err := s.ec2Page("DescribeNetworkAcls", form, len(match))
	if err != nil {
		return nil, err
	}
	doc := describeNetworkAclsXML{Xmlns: ec2Namespace, RequestID: reqID, NextToken: next}
	for _, a := range match[page.lo:page.hi] {
		x := networkACLXML{NetworkACLID: a.NetworkACLID, VpcID: a.VpcID, Default: a.Default, OwnerID: AccountID}
		for _, e := range a.withCatchAll() {
			ex := aclEntryXML{
				RuleNumber:    e.RuleNumber,
				Protocol:      e.Protocol,
				RuleAction:    e.RuleAction,
				Egress:        e.Egress,
				CIDRBlock:     e.CIDRBlock,
				IPv6CIDRBlock: e.IPv6CIDR,
			}
			switch e.Protocol {
			case "6", "17":
				ex.PortRange = &portRangeXML{From: e.FromPort, To: e.ToPort}
			case "1", "58":
				ex.ICMPTypeCode = &icmpXML{Type: e.ICMPType, Code: e.ICMPCode}
			}
			x.EntrySet.Items = append(x.EntrySet.Items, ex)
		}
		for i, subnet := range a.SubnetIDs {
			x.AssociationSet.Items = append(x.AssociationSet.Items, aclAssocXML{
				NetworkACLAssociationID: fmt.Sprintf("aclassoc-%s-%d", strings.TrimPrefix(a.NetworkACLID, "acl-"), i),
				NetworkACLID:            a.NetworkACLID,
				SubnetID:                subnet,
			})
		}
		doc.NetworkACLs.Items = append(doc.NetworkACLs.Items, x)
	}
	return doc, nil
}

func (s *Server) describeNetworkInterfaces(form url.Values, reqID string) (any, *apiError) {
	filters := formFilters(form)
	ids := formList(form, "NetworkInterfaceId")
	includeManaged := form.Get("IncludeManagedResources") == "true"
	visible := func(e NetworkInterface) bool { return includeManaged || !e.RequesterManaged }
	if err := notFound("InvalidNetworkInterfaceID.NotFound", "networkInterface ID", ids, func(id string) bool {
		return slices.ContainsFunc(s.ec2.interfaces, func(e NetworkInterface) bool { return e.NetworkInterfaceID == id && visible(e) })
	}); err != nil {
		return nil, err
	}
	var match []NetworkInterface
	for _, e := range s.ec2.interfaces {
		if !visible(e) || (len(ids) > 0 && !slices.Contains(ids, e.NetworkInterfaceID)) {
			continue
		}
		ok, err := matchFilters(filters, map[string][]string{
			"network-interface-id":         {e.NetworkInterfaceID},
			"subnet-id":                    {e.SubnetID},
			"vpc-id":                       {e.VpcID},
			"group-id":                     e.GroupIDs,
			"availability-zone":            {e.AvailabilityZone},
			"description":                  {e.Description},
			"status":                       {orDefault(e.Status, "in-use")},
			"interface-type":               {orDefault(e.InterfaceType, "interface")},
			"private-ip-address":           append([]string{e.PrivateIP}, e.SecondaryIPs...),
			"addresses.private-ip-address": append([]string{e.PrivateIP}, e.SecondaryIPs...),
			"ipv6-addresses.ipv6-address":  e.IPv6Addresses,
			"association.public-ip":        {e.PublicIP},
			"attachment.instance-id":       {e.InstanceID},
			"requester-managed":            {strconv.FormatBool(e.RequesterManaged)},
			"owner-id":                     {AccountID},
		}, e.Tags)
		if err != nil {
			return nil, err
		}
		if ok {
			match = append(match, e)
		}
	}
	page, next, err := s.ec2Page("DescribeNetworkInterfaces", form, len(match))
	if err != nil {
		return nil, err
	}
	doc := describeNetworkInterfacesXML{Xmlns: ec2Namespace, RequestID: reqID, NextToken: next}
	for i, e := range match[page.lo:page.hi] {
		x := networkInterfaceXML{
			NetworkInterfaceID: e.NetworkInterfaceID,
			SubnetID:           e.SubnetID,
			VpcID:              e.VpcID,
			AvailabilityZone:   e.AvailabilityZone,
			Description:        e.Description,
			OwnerID:            AccountID,
			RequesterID:        e.RequesterID,
			RequesterManaged:   e.RequesterManaged,
			Status:             orDefault(e.Status, "in-use"),
			MacAddress:         macAddress(page.lo + i),
			TagSet:             tagSet(e.Tags),
			PrivateIPAddress:   e.PrivateIP,
			SourceDestCheck:    true,
			InterfaceType:      orDefault(e.InterfaceType, "interface"),
		}
		for _, g := range e.GroupIDs {
			x.GroupSet.Items = append(x.GroupSet.Items, groupIdentXML{GroupID: g, GroupName: s.groupName(g)})
		}
		if e.InstanceID != "" {
			x.Attachment = &attachmentXML{AttachmentID: "eni-attach-" + strings.TrimPrefix(e.NetworkInterfaceID, "eni-"), InstanceID: e.InstanceID, Status: "attached"}
		}
		var assoc *eniAssociationXML
		if e.PublicIP != "" {
			assoc = &eniAssociationXML{PublicIP: e.PublicIP, IPOwnerID: "amazon"}
			x.Association = assoc
		}
		if e.PrivateIP != "" {
			x.PrivateIPAddressesSet.Items = append(x.PrivateIPAddressesSet.Items, privateIPXML{PrivateIPAddress: e.PrivateIP, Primary: true, Association: assoc})
		}
		for _, ip := range e.SecondaryIPs {
			x.PrivateIPAddressesSet.Items = append(x.PrivateIPAddressesSet.Items, privateIPXML{PrivateIPAddress: ip})
		}
		for _, ip := range e.IPv6Addresses {
			x.IPv6AddressesSet.Items = append(x.IPv6AddressesSet.Items, ipv6AddressXML{IPv6Address: ip})
		}
		doc.NetworkInterfaces.Items = append(doc.NetworkInterfaces.Items, x)
	}
	return doc, nil
}

// macAddress is a stable, made-up MAC for the n-th interface listed.
func macAddress(n int) string {
	return fmt.Sprintf("02:00:00:00:%02x:%02x", n/256%256, n%256)
}

// tagSet lists tags in key order, as a stable answer.
func tagSet(tags map[string]string) items[tagXML] {
	var out items[tagXML]
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		out.Items = append(out.Items, tagXML{Key: k, Value: tags[k]})
	}
	return out
}

// instanceStateCodes are the codes AWS reports with each state name.
var instanceStateCodes = map[string]int{"pending": 0, "running": 16, "shutting-down": 32, "terminated": 48, "stopping": 64, "stopped": 80}

func (s *Server) describeInstances(form url.Values, reqID string) (any, *apiError) {
	filters := formFilters(form)
	ids := formList(form, "InstanceId")
	if len(ids) > 0 && form.Get("MaxResults") != "" {
		return nil, &apiError{Code: "InvalidParameterCombination", Message: "The parameter instancesSet cannot be used with the parameter maxResults", Status: 400}
	}
	if err := notFound("InvalidInstanceID.NotFound", "instance ID", ids, func(id string) bool {
		return slices.ContainsFunc(s.ec2.instances, func(i Instance) bool { return i.InstanceID == id })
	}); err != nil {
		return nil, err
	}
	type found struct {
		inst Instance
		nics []NetworkInterface
	}
	var match []found
	for _, inst := range s.ec2.instances {
		if len(ids) > 0 && !slices.Contains(ids, inst.InstanceID) {
			continue
		}
		var nics []NetworkInterface
		for _, e := range s.ec2.interfaces {
			if e.InstanceID == inst.InstanceID {
				nics = append(nics, e)
			}
		}
		inst = inst.withDefaults(nics)
		fields := map[string][]string{
			"instance-id":         {inst.InstanceID},
			"instance-state-name": {inst.State},
			"instance-type":       {inst.InstanceType},
			"subnet-id":           {inst.SubnetID},
			"vpc-id":              {inst.VpcID},
			"private-ip-address":  {inst.PrivateIP},
			"ip-address":          {inst.PublicIP},
			"instance.group-id":   inst.GroupIDs,
			"owner-id":            {AccountID},
		}
		for _, e := range nics {
			fields["network-interface.network-interface-id"] = append(fields["network-interface.network-interface-id"], e.NetworkInterfaceID)
			fields["network-interface.addresses.private-ip-address"] = append(fields["network-interface.addresses.private-ip-address"], append([]string{e.PrivateIP}, e.SecondaryIPs...)...)
		}
		for _, name := range []string{"network-interface.network-interface-id", "network-interface.addresses.private-ip-address"} {
			if fields[name] == nil {
				fields[name] = []string{}
			}
		}
		ok, err := matchFilters(filters, fields, inst.Tags)
		if err != nil {
			return nil, err
		}
		if ok {
			match = append(match, found{inst, nics})
		}
	}
	page, next, err := s.ec2Page("DescribeInstances", form, len(match))
	if err != nil {
		return nil, err
	}
	doc := describeInstancesXML{Xmlns: ec2Namespace, RequestID: reqID, NextToken: next}
	launched := s.now().UTC().Add(-24 * time.Hour).Format("2006-01-02T15:04:05.000Z")
	for _, f := range match[page.lo:page.hi] {
		inst := f.inst
		x := instanceXML{
			InstanceID:       inst.InstanceID,
			ImageID:          "ami-0abcdef1234567890",
			InstanceState:    instanceStateXML{Code: instanceStateCodes[inst.State], Name: inst.State},
			InstanceType:     inst.InstanceType,
			LaunchTime:       launched,
			Placement:        placementXML{AvailabilityZone: Region + "a", Tenancy: "default"},
			SubnetID:         inst.SubnetID,
			VpcID:            inst.VpcID,
			PrivateIPAddress: inst.PrivateIP,
			IPAddress:        inst.PublicIP,
			SourceDestCheck:  true,
			TagSet:           tagSet(inst.Tags),
		}
		if inst.PrivateIP != "" {
			x.PrivateDNSName = "ip-" + strings.ReplaceAll(inst.PrivateIP, ".", "-") + ".ec2.internal"
		}
		for _, g := range inst.GroupIDs {
			x.GroupSet.Items = append(x.GroupSet.Items, groupIdentXML{GroupID: g, GroupName: s.groupName(g)})
		}
		for dev, e := range f.nics {
			nx := instanceNetworkXML{
				NetworkInterfaceID: e.NetworkInterfaceID,
				SubnetID:           e.SubnetID,
				VpcID:              e.VpcID,
				Description:        e.Description,
				OwnerID:            AccountID,
				Status:             orDefault(e.Status, "in-use"),
				MacAddress:         macAddress(dev),
				PrivateIPAddress:   e.PrivateIP,
				SourceDestCheck:    true,
				Attachment:         instanceAttachXML{AttachmentID: "eni-attach-" + strings.TrimPrefix(e.NetworkInterfaceID, "eni-"), DeviceIndex: dev, Status: "attached", DeleteOnTermination: dev == 0},
				InterfaceType:      orDefault(e.InterfaceType, "interface"),
			}
			for _, g := range e.GroupIDs {
				nx.GroupSet.Items = append(nx.GroupSet.Items, groupIdentXML{GroupID: g, GroupName: s.groupName(g)})
			}
			if e.PublicIP != "" {
				nx.Association = &eniAssociationXML{PublicIP: e.PublicIP, IPOwnerID: "amazon"}
			}
			if e.PrivateIP != "" {
				nx.PrivateIPAddressesSet.Items = append(nx.PrivateIPAddressesSet.Items, privateIPXML{PrivateIPAddress: e.PrivateIP, Primary: true, Association: nx.Association})
			}
			for _, ip := range e.SecondaryIPs {
				nx.PrivateIPAddressesSet.Items = append(nx.PrivateIPAddressesSet.Items, privateIPXML{PrivateIPAddress: ip})
			}
			for _, ip := range e.IPv6Addresses {
				nx.IPv6AddressesSet.Items = append(nx.IPv6AddressesSet.Items, ipv6AddressXML{IPv6Address: ip})
			}
			x.NetworkIfaces.Items = append(x.NetworkIfaces.Items, nx)
		}
		doc.Reservations.Items = append(doc.Reservations.Items, reservationXML{
			ReservationID: "r-" + strings.TrimPrefix(inst.InstanceID, "i-"),
			OwnerID:       AccountID,
			Instances:     items[instanceXML]{Items: []instanceXML{x}},
		})
	}
	return doc, nil
}

// withDefaults fills what AWS would report for fields the test left zero: the state,
// the type, and the placement and addresses of the primary interface.
func (i Instance) withDefaults(nics []NetworkInterface) Instance {
	i.State = orDefault(i.State, "running")
	i.InstanceType = orDefault(i.InstanceType, "t3.micro")
	if len(nics) > 0 {
		i.SubnetID = orDefault(i.SubnetID, nics[0].SubnetID)
		i.VpcID = orDefault(i.VpcID, nics[0].VpcID)
		i.PrivateIP = orDefault(i.PrivateIP, nics[0].PrivateIP)
		i.PublicIP = orDefault(i.PublicIP, nics[0].PublicIP)
		if len(i.GroupIDs) == 0 {
			i.GroupIDs = nics[0].GroupIDs
		}
	}
	return i
}
