package fakeaws

import "encoding/xml"

// The XML shapes of the EC2 answers. Element names follow the SDK's
// awsEc2query_deserializeDocument* functions (service/ec2 deserializers.go):
// lists are wrappers of <item> elements, names are lowerCamelCase.

const ec2Namespace = "http://ec2.amazonaws.com/doc/2016-11-15/"

type items[T any] struct {
	Items []T `xml:"item"`
}

type emptyTagSet struct{}

type describeFlowLogsXML struct {
	XMLName   xml.Name          `xml:"DescribeFlowLogsResponse"`
	Xmlns     string            `xml:"xmlns,attr"`
	RequestID string            `xml:"requestId"`
	FlowLogs  items[flowLogXML] `xml:"flowLogSet"`
	NextToken string            `xml:"nextToken,omitempty"`
}

type flowLogXML struct {
	CreationTime             string      `xml:"creationTime"`
	DeliverLogsPermissionArn string      `xml:"deliverLogsPermissionArn,omitempty"`
	DeliverLogsStatus        string      `xml:"deliverLogsStatus"`
	FlowLogID                string      `xml:"flowLogId"`
	FlowLogStatus            string      `xml:"flowLogStatus"`
	LogGroupName             string      `xml:"logGroupName,omitempty"`
	ResourceID               string      `xml:"resourceId"`
	TrafficType              string      `xml:"trafficType"`
	LogDestinationType       string      `xml:"logDestinationType"`
	LogDestination           string      `xml:"logDestination,omitempty"`
	LogFormat                string      `xml:"logFormat"`
	MaxAggregationInterval   int         `xml:"maxAggregationInterval"`
	TagSet                   emptyTagSet `xml:"tagSet"`
}

type describeSecurityGroupsXML struct {
	XMLName        xml.Name                `xml:"DescribeSecurityGroupsResponse"`
	Xmlns          string                  `xml:"xmlns,attr"`
	RequestID      string                  `xml:"requestId"`
	SecurityGroups items[securityGroupXML] `xml:"securityGroupInfo"`
	NextToken      string                  `xml:"nextToken,omitempty"`
}

type securityGroupXML struct {
	OwnerID             string                 `xml:"ownerId"`
	GroupID             string                 `xml:"groupId"`
	GroupName           string                 `xml:"groupName"`
	GroupDescription    string                 `xml:"groupDescription"`
	VpcID               string                 `xml:"vpcId,omitempty"`
	IPPermissions       items[ipPermissionXML] `xml:"ipPermissions"`
	IPPermissionsEgress items[ipPermissionXML] `xml:"ipPermissionsEgress"`
	SecurityGroupArn    string                 `xml:"securityGroupArn"`
	TagSet              emptyTagSet            `xml:"tagSet"`
}

type ipPermissionXML struct {
	IPProtocol    string               `xml:"ipProtocol"`
	FromPort      *int32               `xml:"fromPort,omitempty"`
	ToPort        *int32               `xml:"toPort,omitempty"`
	Groups        items[groupPairXML]  `xml:"groups"`
	IPRanges      items[ipRangeXML]    `xml:"ipRanges"`
	IPv6Ranges    items[ipv6RangeXML]  `xml:"ipv6Ranges"`
	PrefixListIDs items[prefixListXML] `xml:"prefixListIds"`
}

type groupPairXML struct {
	UserID  string `xml:"userId"`
	GroupID string `xml:"groupId"`
}

type ipRangeXML struct {
	CIDRIP string `xml:"cidrIp"`
}

type ipv6RangeXML struct {
	CIDRIPv6 string `xml:"cidrIpv6"`
}

type prefixListXML struct {
	PrefixListID string `xml:"prefixListId"`
}

type describeNetworkAclsXML struct {
	XMLName     xml.Name             `xml:"DescribeNetworkAclsResponse"`
	Xmlns       string               `xml:"xmlns,attr"`
	RequestID   string               `xml:"requestId"`
	NetworkACLs items[networkACLXML] `xml:"networkAclSet"`
	NextToken   string               `xml:"nextToken,omitempty"`
}

type networkACLXML struct {
	NetworkACLID   string             `xml:"networkAclId"`
	VpcID          string             `xml:"vpcId"`
	Default        bool               `xml:"default"`
	EntrySet       items[aclEntryXML] `xml:"entrySet"`
	AssociationSet items[aclAssocXML] `xml:"associationSet"`
	TagSet         emptyTagSet        `xml:"tagSet"`
	OwnerID        string             `xml:"ownerId"`
}

type aclEntryXML struct {
	RuleNumber    int32         `xml:"ruleNumber"`
	Protocol      string        `xml:"protocol"`
	RuleAction    string        `xml:"ruleAction"`
	Egress        bool          `xml:"egress"`
	CIDRBlock     string        `xml:"cidrBlock,omitempty"`
	IPv6CIDRBlock string        `xml:"ipv6CidrBlock,omitempty"`
	ICMPTypeCode  *icmpXML      `xml:"icmpTypeCode,omitempty"`
	PortRange     *portRangeXML `xml:"portRange,omitempty"`
}

type icmpXML struct {
	Code int32 `xml:"code"`
	Type int32 `xml:"type"`
}

type portRangeXML struct {
	From int32 `xml:"from"`
	To   int32 `xml:"to"`
}

type aclAssocXML struct {
	NetworkACLAssociationID string `xml:"networkAclAssociationId"`
	NetworkACLID            string `xml:"networkAclId"`
	SubnetID                string `xml:"subnetId"`
}

type describeNetworkInterfacesXML struct {
	XMLName           xml.Name                   `xml:"DescribeNetworkInterfacesResponse"`
	Xmlns             string                     `xml:"xmlns,attr"`
	RequestID         string                     `xml:"requestId"`
	NetworkInterfaces items[networkInterfaceXML] `xml:"networkInterfaceSet"`
	NextToken         string                     `xml:"nextToken,omitempty"`
}

type networkInterfaceXML struct {
	NetworkInterfaceID    string                `xml:"networkInterfaceId"`
	SubnetID              string                `xml:"subnetId"`
	VpcID                 string                `xml:"vpcId"`
	AvailabilityZone      string                `xml:"availabilityZone"`
	Description           string                `xml:"description"`
	OwnerID               string                `xml:"ownerId"`
	RequesterID           string                `xml:"requesterId,omitempty"`
	RequesterManaged      bool                  `xml:"requesterManaged"`
	Status                string                `xml:"status"`
	MacAddress            string                `xml:"macAddress"`
	PrivateIPAddress      string                `xml:"privateIpAddress"`
	SourceDestCheck       bool                  `xml:"sourceDestCheck"`
	GroupSet              items[groupIdentXML]  `xml:"groupSet"`
	Attachment            *attachmentXML        `xml:"attachment,omitempty"`
	Association           *eniAssociationXML    `xml:"association,omitempty"`
	TagSet                items[tagXML]         `xml:"tagSet"`
	PrivateIPAddressesSet items[privateIPXML]   `xml:"privateIpAddressesSet"`
	IPv6AddressesSet      items[ipv6AddressXML] `xml:"ipv6AddressesSet"`
	InterfaceType         string                `xml:"interfaceType"`
}

type groupIdentXML struct {
	GroupID   string `xml:"groupId"`
	GroupName string `xml:"groupName"`
}

type attachmentXML struct {
	AttachmentID string `xml:"attachmentId"`
	InstanceID   string `xml:"instanceId"`
	DeviceIndex  int    `xml:"deviceIndex"`
	Status       string `xml:"status"`
}

type eniAssociationXML struct {
	PublicIP  string `xml:"publicIp"`
	IPOwnerID string `xml:"ipOwnerId"`
}

type privateIPXML struct {
	PrivateIPAddress string             `xml:"privateIpAddress"`
	Primary          bool               `xml:"primary"`
	Association      *eniAssociationXML `xml:"association,omitempty"`
}

type ipv6AddressXML struct {
	IPv6Address string `xml:"ipv6Address"`
}

type tagXML struct {
	Key   string `xml:"key"`
	Value string `xml:"value"`
}

type describeInstancesXML struct {
	XMLName      xml.Name              `xml:"DescribeInstancesResponse"`
	Xmlns        string                `xml:"xmlns,attr"`
	RequestID    string                `xml:"requestId"`
	Reservations items[reservationXML] `xml:"reservationSet"`
	NextToken    string                `xml:"nextToken,omitempty"`
}

type reservationXML struct {
	ReservationID string             `xml:"reservationId"`
	OwnerID       string             `xml:"ownerId"`
	GroupSet      emptyTagSet        `xml:"groupSet"`
	Instances     items[instanceXML] `xml:"instancesSet"`
}

type instanceXML struct {
	InstanceID       string                    `xml:"instanceId"`
	ImageID          string                    `xml:"imageId"`
	InstanceState    instanceStateXML          `xml:"instanceState"`
	PrivateDNSName   string                    `xml:"privateDnsName"`
	DNSName          string                    `xml:"dnsName"`
	InstanceType     string                    `xml:"instanceType"`
	LaunchTime       string                    `xml:"launchTime"`
	Placement        placementXML              `xml:"placement"`
	SubnetID         string                    `xml:"subnetId,omitempty"`
	VpcID            string                    `xml:"vpcId,omitempty"`
	PrivateIPAddress string                    `xml:"privateIpAddress,omitempty"`
	IPAddress        string                    `xml:"ipAddress,omitempty"`
	SourceDestCheck  bool                      `xml:"sourceDestCheck"`
	GroupSet         items[groupIdentXML]      `xml:"groupSet"`
	TagSet           items[tagXML]             `xml:"tagSet"`
	NetworkIfaces    items[instanceNetworkXML] `xml:"networkInterfaceSet"`
}

type instanceStateXML struct {
	Code int    `xml:"code"`
	Name string `xml:"name"`
}

type placementXML struct {
	AvailabilityZone string `xml:"availabilityZone"`
	Tenancy          string `xml:"tenancy"`
}

// instanceNetworkXML is an interface as DescribeInstances lists it
// (InstanceNetworkInterface): fewer fields than DescribeNetworkInterfaces gives.
type instanceNetworkXML struct {
	NetworkInterfaceID    string                `xml:"networkInterfaceId"`
	SubnetID              string                `xml:"subnetId"`
	VpcID                 string                `xml:"vpcId"`
	Description           string                `xml:"description"`
	OwnerID               string                `xml:"ownerId"`
	Status                string                `xml:"status"`
	MacAddress            string                `xml:"macAddress"`
	PrivateIPAddress      string                `xml:"privateIpAddress"`
	SourceDestCheck       bool                  `xml:"sourceDestCheck"`
	GroupSet              items[groupIdentXML]  `xml:"groupSet"`
	Attachment            instanceAttachXML     `xml:"attachment"`
	Association           *eniAssociationXML    `xml:"association,omitempty"`
	PrivateIPAddressesSet items[privateIPXML]   `xml:"privateIpAddressesSet"`
	IPv6AddressesSet      items[ipv6AddressXML] `xml:"ipv6AddressesSet"`
	InterfaceType         string                `xml:"interfaceType"`
}

type instanceAttachXML struct {
	AttachmentID        string `xml:"attachmentId"`
	DeviceIndex         int    `xml:"deviceIndex"`
	Status              string `xml:"status"`
	DeleteOnTermination bool   `xml:"deleteOnTermination"`
}

type ec2ErrorXML struct {
	XMLName xml.Name `xml:"Response"`
	Errors  struct {
		Error struct {
			Code    string `xml:"Code"`
			Message string `xml:"Message"`
		} `xml:"Error"`
	} `xml:"Errors"`
	RequestID string `xml:"RequestID"`
}
