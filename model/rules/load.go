package rules

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"reflect"
	"slices"
	"strings"

	"github.com/flowlens/flowlens/model"
)

// The top-level keys a rules file may hold. Data keys carry objects; ignored keys are
// the pagination and metadata fields of the CLI output and of json.Marshal of the
// SDK's Describe*Output structs ("NextToken": null, "ResultMetadata": {}).
var (
	dataKeys    = []string{"SecurityGroups", "NetworkAcls", "NetworkInterfaces", "Subnets", "Reservations"}
	ignoredKeys = []string{"NextToken", "ResultMetadata"}
)

const expectedInput = "SecurityGroups, NetworkAcls, NetworkInterfaces, Subnets or Reservations, " +
	"as printed by aws ec2 describe-security-groups, describe-network-acls, " +
	"describe-network-interfaces, describe-subnets or describe-instances"

// Load reads one rules document. It opens no file: the caller reads it (--rules FILE,
// an embedded demo, a test's string) and names it for the messages; Set.Merge combines
// several, a later one overriding objects of an earlier one with the same id. It holds one JSON object, or several in a row (the
// output of several commands concatenated), each with one or more of the keys
// SecurityGroups, NetworkAcls, NetworkInterfaces, Subnets, Reservations: the output of
// `aws ec2 describe-*` or json.Marshal of the SDK's Describe*Output, whose field names
// are the same and whose absent values are null. name labels errors: a malformed
// document is reported as name:line:column.
func Load(r io.Reader, name string) (*Set, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	set := NewSet()
	set.sources = []string{name}
	dec := json.NewDecoder(bytes.NewReader(data))
	documents := 0
	for {
		var raw json.RawMessage
		err := dec.Decode(&raw)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, positioned(name, data, 0, err)
		}
		start := dec.InputOffset() - int64(len(raw))
		if err := set.addDocument(name, data, start, raw); err != nil {
			return nil, err
		}
		documents++
	}
	if documents == 0 {
		return nil, fmt.Errorf("%s: no JSON object: expected %s", name, expectedInput)
	}
	set.reindex()
	return set, nil
}

// positioned turns a JSON error into "name:line:col: message". base is the offset of
// the value the decoder was given within the whole file. encoding/json reports the
// offset after the offending byte (syntax) or value (type), so the position names
// that byte, or the last byte of that value.
func positioned(name string, data []byte, base int64, err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return fmt.Errorf("%s:%s: malformed JSON: %v", name, lineCol(data, base+syntax.Offset-1), syntax)
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "value"
		}
		return fmt.Errorf("%s:%s: %s: JSON %s where %s was expected", name, lineCol(data, base+typ.Offset-1), field, typ.Value, typ.Type)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("%s:%s: malformed JSON: unexpected end of file", name, lineCol(data, int64(len(data))))
	}
	return fmt.Errorf("%s: %w", name, err)
}

func lineCol(data []byte, off int64) string {
	off = min(max(off, 0), int64(len(data)))
	before := data[:off]
	line := bytes.Count(before, []byte{'\n'}) + 1
	col := int64(len(before)) - int64(bytes.LastIndexByte(before, '\n'))
	return fmt.Sprintf("%d:%d", line, col)
}

// The wire shapes. Strings and plain numbers accept JSON null (json leaves them
// unchanged); pointers mark the fields whose absence means something.
type (
	wireDocument struct {
		SecurityGroups    []wireSecurityGroup
		NetworkAcls       []wireNetworkACL
		NetworkInterfaces []wireInterface
		Subnets           []wireSubnet
		Reservations      []struct{ Instances []wireInstance }
	}
	wireTag           struct{ Key, Value string }
	wireSecurityGroup struct {
		GroupId, GroupName, VpcId, Description string
		IpPermissions, IpPermissionsEgress     []wirePermission
	}
	wirePermission struct {
		IpProtocol       *string
		FromPort, ToPort *int
		IpRanges         []struct{ CidrIp, Description string }
		Ipv6Ranges       []struct{ CidrIpv6, Description string }
		PrefixListIds    []struct{ PrefixListId, Description string }
		UserIdGroupPairs []struct{ GroupId, GroupName, UserId, Description string }
	}
	wireNetworkACL struct {
		NetworkAclId, VpcId string
		IsDefault           bool
		Entries             []wireACLEntry
		Associations        []struct{ SubnetId string }
	}
	wireACLEntry struct {
		RuleNumber               *int
		Protocol                 *string
		RuleAction               string
		Egress                   *bool
		CidrBlock, Ipv6CidrBlock string
		PortRange                *struct{ From, To *int }
		IcmpTypeCode             *struct{ Type, Code *int }
	}
	wireInterface struct {
		NetworkInterfaceId, SubnetId, VpcId, InterfaceType, Description string
		PrivateIpAddress                                                string
		PrivateIpAddresses                                              []struct {
			PrivateIpAddress string
			Association      *struct{ PublicIp string }
		}
		Ipv6Address   string
		Ipv6Addresses []struct{ Ipv6Address string }
		Groups        []struct{ GroupId, GroupName string }
		Association   *struct{ PublicIp string }
		Attachment    *struct{ InstanceId string }
		TagSet        []wireTag
	}
	// wireInstance is what describe-instances says of an instance that names it and its
	// addresses; its interfaces are described as describe-network-interfaces describes
	// them, with fewer fields.
	wireInstance struct {
		InstanceId, PrivateIpAddress, PublicIpAddress, SubnetId, VpcId string
		Tags                                                           []wireTag
		State                                                          *struct{ Name string }
		NetworkInterfaces                                              []wireInterface
		SecurityGroups                                                 []struct{ GroupId, GroupName string }
	}
	wireSubnet struct {
		SubnetId, VpcId, CidrBlock  string
		Ipv6CidrBlockAssociationSet []struct {
			Ipv6CidrBlock      string
			Ipv6CidrBlockState *struct{ State string }
		}
	}
)

// addDocument checks the keys of one top-level object and adds what it holds.
func (s *Set) addDocument(name string, data []byte, start int64, raw json.RawMessage) error {
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(raw, &keys); err != nil || keys == nil {
		return fmt.Errorf("%s:%s: expected a JSON object with %s", name, lineCol(data, start), expectedInput)
	}
	var unknown []string
	found := false
	for k := range keys {
		switch {
		case slices.Contains(dataKeys, k):
			found = true
		case !slices.Contains(ignoredKeys, k):
			unknown = append(unknown, fmt.Sprintf("%q", k))
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		return fmt.Errorf("%s:%s: unknown top-level key %s: expected %s", name, lineCol(data, start), strings.Join(unknown, ", "), expectedInput)
	}
	if !found {
		return fmt.Errorf("%s:%s: no rules in this object: expected %s", name, lineCol(data, start), expectedInput)
	}
	var doc wireDocument
	if err := json.Unmarshal(raw, &doc); err != nil {
		return positioned(name, data, start, err)
	}
	// Names, descriptions and tags are anyone's to write, and reach the screen and the
	// text output (the deciding rule, the explanation): cleaned here, where they enter.
	cleanStrings(reflect.ValueOf(&doc).Elem())
	for i, w := range doc.SecurityGroups {
		g, err := convertGroup(w)
		if err != nil {
			return fmt.Errorf("%s: SecurityGroups[%d] %s: %w", name, i, w.GroupId, err)
		}
		s.groups[g.ID] = g
	}
	for i, w := range doc.NetworkAcls {
		a, err := convertACL(w)
		if err != nil {
			return fmt.Errorf("%s: NetworkAcls[%d] %s: %w", name, i, w.NetworkAclId, err)
		}
		s.acls[a.ID] = a
	}
	for i, w := range doc.NetworkInterfaces {
		ifc, err := convertInterface(w)
		if err != nil {
			return fmt.Errorf("%s: NetworkInterfaces[%d] %s: %w", name, i, w.NetworkInterfaceId, err)
		}
		s.interfaces[ifc.ID] = ifc
	}
	for _, res := range doc.Reservations {
		for i, w := range res.Instances {
			inst, err := convertInstance(w)
			if err != nil {
				return fmt.Errorf("%s: Reservations[].Instances[%d] %s: %w", name, i, w.InstanceId, err)
			}
			s.instances[inst.ID] = inst
			for _, g := range w.SecurityGroups {
				s.noteGroupName(g.GroupId, g.GroupName)
			}
			for _, ni := range w.NetworkInterfaces {
				for _, g := range ni.Groups {
					s.noteGroupName(g.GroupId, g.GroupName)
				}
			}
		}
	}
	for _, w := range doc.NetworkInterfaces {
		for _, g := range w.Groups {
			s.noteGroupName(g.GroupId, g.GroupName)
		}
	}
	for i, w := range doc.Subnets {
		n, err := convertSubnet(w)
		if err != nil {
			return fmt.Errorf("%s: Subnets[%d] %s: %w", name, i, w.SubnetId, err)
		}
		s.subnets[n.ID] = n
	}
	return nil
}

func convertGroup(w wireSecurityGroup) (*SecurityGroup, error) {
	if w.GroupId == "" {
		return nil, errors.New("no GroupId")
	}
	g := &SecurityGroup{ID: w.GroupId, Name: w.GroupName, VpcID: w.VpcId, Description: w.Description}
	var err error
	for i, p := range w.IpPermissions {
		if g.Inbound, err = appendPermission(g.Inbound, g.ID, Inbound, p); err != nil {
			return nil, fmt.Errorf("IpPermissions[%d]: %w", i, err)
		}
	}
	for i, p := range w.IpPermissionsEgress {
		if g.Outbound, err = appendPermission(g.Outbound, g.ID, Outbound, p); err != nil {
			return nil, fmt.Errorf("IpPermissionsEgress[%d]: %w", i, err)
		}
	}
	return g, nil
}

// appendPermission flattens one IpPermission into one SGRule per peer.
func appendPermission(rules []SGRule, group string, dir Direction, p wirePermission) ([]SGRule, error) {
	if p.IpProtocol == nil {
		return nil, errors.New("no IpProtocol")
	}
	proto, err := ParseProtocol(*p.IpProtocol)
	if err != nil {
		return nil, err
	}
	base := SGRule{Group: group, Direction: dir, Protocol: proto, FromPort: 0, ToPort: 65535, ICMPType: -1, ICMPCode: -1}
	switch {
	case proto.hasPorts():
		if base.FromPort, base.ToPort, err = ports(p.FromPort, p.ToPort); err != nil {
			return nil, err
		}
	case proto.isICMP():
		// The API stores the ICMP type in FromPort and the code in ToPort; -1 is any.
		base.ICMPType, base.ICMPCode = icmpField(p.FromPort), icmpField(p.ToPort)
	}
	for _, r := range p.IpRanges {
		rule := base
		rule.Peer, rule.Description = PeerCIDR, r.Description
		if rule.CIDR, err = parseCIDR(r.CidrIp, false); err != nil {
			return nil, fmt.Errorf("IpRanges: %w", err)
		}
		rules = append(rules, rule)
	}
	for _, r := range p.Ipv6Ranges {
		rule := base
		rule.Peer, rule.Description = PeerCIDR, r.Description
		if rule.CIDR, err = parseCIDR(r.CidrIpv6, true); err != nil {
			return nil, fmt.Errorf("Ipv6Ranges: %w", err)
		}
		rules = append(rules, rule)
	}
	for _, r := range p.PrefixListIds {
		if r.PrefixListId == "" {
			return nil, errors.New("PrefixListIds: no PrefixListId")
		}
		rule := base
		rule.Peer, rule.PeerID, rule.Description = PeerPrefixList, r.PrefixListId, r.Description
		rules = append(rules, rule)
	}
	for _, r := range p.UserIdGroupPairs {
		if r.GroupId == "" {
			// EC2-Classic and default-VPC dumps can name a group only; members are
			// found by id, so such a rule cannot be judged.
			return nil, fmt.Errorf("UserIdGroupPairs: group %q has no GroupId", r.GroupName)
		}
		rule := base
		rule.Peer, rule.PeerID, rule.Description = PeerGroup, r.GroupId, r.Description
		rules = append(rules, rule)
	}
	return rules, nil
}

// ports reads a TCP/UDP port range; absent or -1 means all ports, as the API prints
// for a rule created without one.
func ports(from, to *int) (int, int, error) {
	lo, hi := 0, 65535
	if from != nil && *from >= 0 {
		lo = *from
	}
	if to != nil && *to >= 0 {
		hi = *to
	}
	if lo > 65535 || hi > 65535 || lo > hi {
		return 0, 0, fmt.Errorf("port range %d-%d is not within 0-65535", lo, hi)
	}
	return lo, hi, nil
}

func icmpField(v *int) int {
	if v == nil || *v < 0 {
		return -1
	}
	return *v
}

func parseCIDR(s string, v6 bool) (netip.Prefix, error) {
	p, err := netip.ParsePrefix(strings.TrimSpace(s))
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("CIDR %q: %w", s, err)
	}
	if p.Addr().Is6() != v6 || p.Addr().Is4In6() {
		return netip.Prefix{}, fmt.Errorf("CIDR %q is not an IPv%s block", s, map[bool]string{false: "4", true: "6"}[v6])
	}
	return p.Masked(), nil
}

func convertACL(w wireNetworkACL) (*NetworkACL, error) {
	if w.NetworkAclId == "" {
		return nil, errors.New("no NetworkAclId")
	}
	a := &NetworkACL{ID: w.NetworkAclId, VpcID: w.VpcId, IsDefault: w.IsDefault}
	for _, as := range w.Associations {
		if as.SubnetId != "" {
			a.Subnets = append(a.Subnets, as.SubnetId)
		}
	}
	for i, we := range w.Entries {
		e, err := convertEntry(we)
		if err != nil {
			return nil, fmt.Errorf("entry %d: %w", i, err)
		}
		if e.Direction == Outbound {
			a.Egress = append(a.Egress, e)
		} else {
			a.Ingress = append(a.Ingress, e)
		}
	}
	// First match wins in rule-number order, whatever order the dump lists them in.
	byNumber := func(x, y NACLEntry) int { return x.Number - y.Number }
	slices.SortStableFunc(a.Ingress, byNumber)
	slices.SortStableFunc(a.Egress, byNumber)
	return a, nil
}

func convertEntry(w wireACLEntry) (NACLEntry, error) {
	var e NACLEntry
	if w.RuleNumber == nil || *w.RuleNumber < 1 || *w.RuleNumber > FinalRuleIPv6 {
		return e, errors.New("RuleNumber missing or not within 1-32768")
	}
	e.Number = *w.RuleNumber
	if w.Egress == nil {
		return e, fmt.Errorf("rule #%d: no Egress flag", e.Number)
	}
	if *w.Egress {
		e.Direction = Outbound
	}
	switch strings.ToLower(w.RuleAction) {
	case "allow":
		e.Action = Allow
	case "deny":
		e.Action = Deny
	default:
		// Guessing either way could invert a verdict.
		return e, fmt.Errorf("rule #%d: RuleAction %q is not allow or deny", e.Number, w.RuleAction)
	}
	if w.Protocol == nil {
		return e, fmt.Errorf("rule #%d: no Protocol", e.Number)
	}
	var err error
	if e.Protocol, err = ParseProtocol(*w.Protocol); err != nil {
		return e, fmt.Errorf("rule #%d: %w", e.Number, err)
	}
	switch {
	case w.CidrBlock != "":
		e.CIDR, err = parseCIDR(w.CidrBlock, false)
	case w.Ipv6CidrBlock != "":
		e.CIDR, err = parseCIDR(w.Ipv6CidrBlock, true)
	default:
		err = errors.New("no CidrBlock or Ipv6CidrBlock")
	}
	if err != nil {
		return e, fmt.Errorf("rule #%d: %w", e.Number, err)
	}
	e.FromPort, e.ToPort, e.ICMPType, e.ICMPCode = 0, 65535, -1, -1
	switch {
	case e.Protocol.hasPorts() && w.PortRange != nil:
		// A TCP/UDP entry without a PortRange cannot be created; reading it as all
		// ports keeps a hand-trimmed file usable.
		if e.FromPort, e.ToPort, err = ports(w.PortRange.From, w.PortRange.To); err != nil {
			return e, fmt.Errorf("rule #%d: %w", e.Number, err)
		}
	case e.Protocol.isICMP() && w.IcmpTypeCode != nil:
		e.ICMPType, e.ICMPCode = icmpField(w.IcmpTypeCode.Type), icmpField(w.IcmpTypeCode.Code)
	}
	return e, nil
}

func convertInterface(w wireInterface) (*Interface, error) {
	if w.NetworkInterfaceId == "" {
		return nil, errors.New("no NetworkInterfaceId")
	}
	ifc := &Interface{ID: w.NetworkInterfaceId, SubnetID: w.SubnetId, VpcID: w.VpcId, Type: w.InterfaceType, Description: w.Description, Name: nameTag(w.TagSet)}
	if w.Attachment != nil {
		ifc.InstanceID = w.Attachment.InstanceId
	}
	addPrivate := func(s string) error {
		if s == "" {
			return nil
		}
		a, err := netip.ParseAddr(strings.TrimSpace(s))
		if err != nil {
			return fmt.Errorf("address %q: %w", s, err)
		}
		// Flow logs never carry zones or IPv4-mapped forms; store what they will show.
		a = a.Unmap().WithZone("")
		if !slices.Contains(ifc.PrivateIPs, a) {
			ifc.PrivateIPs = append(ifc.PrivateIPs, a)
		}
		return nil
	}
	addPublic := func(s string) {
		// Public addresses are for display; a malformed one is not worth failing a load.
		if a, err := netip.ParseAddr(strings.TrimSpace(s)); err == nil && !slices.Contains(ifc.PublicIPs, a.Unmap().WithZone("")) {
			ifc.PublicIPs = append(ifc.PublicIPs, a.Unmap().WithZone(""))
		}
	}
	if err := addPrivate(w.PrivateIpAddress); err != nil {
		return nil, err
	}
	for _, p := range w.PrivateIpAddresses {
		if err := addPrivate(p.PrivateIpAddress); err != nil {
			return nil, err
		}
		if p.Association != nil {
			addPublic(p.Association.PublicIp)
		}
	}
	if err := addPrivate(w.Ipv6Address); err != nil {
		return nil, err
	}
	for _, p := range w.Ipv6Addresses {
		if err := addPrivate(p.Ipv6Address); err != nil {
			return nil, err
		}
	}
	if w.Association != nil {
		addPublic(w.Association.PublicIp)
	}
	for _, g := range w.Groups {
		if g.GroupId != "" && !slices.Contains(ifc.Groups, g.GroupId) {
			ifc.Groups = append(ifc.Groups, g.GroupId)
		}
	}
	return ifc, nil
}

// nameTag is the value of the Name tag, the name the console shows.
func nameTag(tags []wireTag) string {
	for _, t := range tags {
		if t.Key == "Name" {
			return strings.TrimSpace(t.Value)
		}
	}
	return ""
}

// convertInstance keeps what names an instance and places its addresses: the Name tag,
// every private and public address of every interface, and the interfaces' ids. An
// address that does not parse is skipped, not fatal: instances are read for names,
// and a name is not worth refusing a rules file over.
func convertInstance(w wireInstance) (*Instance, error) {
	if w.InstanceId == "" {
		return nil, errors.New("no InstanceId")
	}
	inst := &Instance{ID: w.InstanceId, Name: nameTag(w.Tags), SubnetID: w.SubnetId, VpcID: w.VpcId}
	if w.State != nil {
		inst.State = w.State.Name
	}
	add := func(list *[]netip.Addr, s string) {
		if a, err := netip.ParseAddr(strings.TrimSpace(s)); err == nil {
			a = a.Unmap().WithZone("")
			if !slices.Contains(*list, a) {
				*list = append(*list, a)
			}
		}
	}
	add(&inst.PrivateIPs, w.PrivateIpAddress)
	add(&inst.PublicIPs, w.PublicIpAddress)
	for _, ni := range w.NetworkInterfaces {
		if ni.NetworkInterfaceId != "" && !slices.Contains(inst.Interfaces, ni.NetworkInterfaceId) {
			inst.Interfaces = append(inst.Interfaces, ni.NetworkInterfaceId)
		}
		add(&inst.PrivateIPs, ni.PrivateIpAddress)
		for _, p := range ni.PrivateIpAddresses {
			add(&inst.PrivateIPs, p.PrivateIpAddress)
			if p.Association != nil {
				add(&inst.PublicIPs, p.Association.PublicIp)
			}
		}
		add(&inst.PrivateIPs, ni.Ipv6Address)
		for _, p := range ni.Ipv6Addresses {
			add(&inst.PrivateIPs, p.Ipv6Address)
		}
		if ni.Association != nil {
			add(&inst.PublicIPs, ni.Association.PublicIp)
		}
	}
	return inst, nil
}

func convertSubnet(w wireSubnet) (*Subnet, error) {
	if w.SubnetId == "" {
		return nil, errors.New("no SubnetId")
	}
	n := &Subnet{ID: w.SubnetId, VpcID: w.VpcId}
	if w.CidrBlock != "" {
		p, err := parseCIDR(w.CidrBlock, false)
		if err != nil {
			return nil, err
		}
		n.CIDRs = append(n.CIDRs, p)
	}
	for _, a := range w.Ipv6CidrBlockAssociationSet {
		if a.Ipv6CidrBlockState != nil && a.Ipv6CidrBlockState.State != "" && a.Ipv6CidrBlockState.State != "associated" {
			continue // a block being removed or that failed to attach holds no addresses
		}
		p, err := parseCIDR(a.Ipv6CidrBlock, true)
		if err != nil {
			return nil, err
		}
		n.CIDRs = append(n.CIDRs, p)
	}
	return n, nil
}

// cleanStrings replaces every string reachable from v (fields, pointers, slices) with
// its model.CleanText form.
func cleanStrings(v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		if c := model.CleanText(v.String()); c != v.String() {
			v.SetString(c)
		}
	case reflect.Pointer:
		if !v.IsNil() {
			cleanStrings(v.Elem())
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			cleanStrings(v.Index(i))
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			cleanStrings(v.Field(i))
		}
	}
}
