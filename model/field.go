// Package model owns the domain of flowlens: flow-log records, their formats, the parser
// that turns lines into records, and the symbol table that keeps repeated strings small.
// It is pure Go: no terminal, no AWS, no I/O.
package model

import "strings"

// Field names one column of a flow-log record. The known fields of versions 2-11 have
// fixed values; a column a format names that is not known gets a value from CustomBase
// upwards, local to that format, so new AWS fields are kept instead of rejected.
type Field uint8

// The known fields, in AWS's table order.
const (
	FVersion Field = iota
	FAccountID
	FInterfaceID
	FSrcAddr
	FDstAddr
	FSrcPort
	FDstPort
	FProtocol
	FPackets
	FBytes
	FStart
	FEnd
	FAction
	FLogStatus
	// version 3
	FVPCID
	FSubnetID
	FInstanceID
	FTCPFlags
	FType
	FPktSrcAddr
	FPktDstAddr
	// version 4
	FRegion
	FAZID
	FSublocationType
	FSublocationID
	// version 5
	FPktSrcAWSService
	FPktDstAWSService
	FFlowDirection
	FTrafficPath
	// version 7
	FECSClusterARN
	FECSClusterName
	FECSContainerInstanceARN
	FECSContainerInstanceID
	FECSContainerID
	FECSSecondContainerID
	FECSServiceName
	FECSTaskDefinitionARN
	FECSTaskARN
	FECSTaskID
	// version 8
	FRejectReason
	// version 9
	FResourceID
	// version 10
	FEncryptionStatus
	// version 11
	FInstanceTag
	FInstanceTag2
	FInterfaceTag
	FInterfaceTag2
	FASGTag
	FASGTag2
	FInterfaceType
	FNextHopInterfaceID
	FNextHopSubnetID
	FNextHopAZID
	FNextHopVPCID
	FNextHopInterfaceType

	// NumKnown is the number of known fields; every Field below it is one of them.
	NumKnown int = iota
)

// CustomBase is the first Field value of a column unknown to flowlens; the n-th unknown
// column of a format is CustomBase+n.
const CustomBase Field = 128

// Kind says how a field's value is stored and what a filter may compare it with.
type Kind uint8

const (
	KindNumber    Kind = iota // an unsigned integer: packets, bytes, version, traffic-path
	KindPort                  // 0-65535; filters accept ranges and service names
	KindProtocol              // IANA number; filters accept names
	KindTime                  // Unix seconds; filters accept times
	KindTCPFlags              // flag bits; filters accept flag names
	KindAddr                  // IPv4 or IPv6 address; filters accept CIDRs
	KindString                // an identifier or free text, interned
	KindAction                // ACCEPT or REJECT
	KindLogStatus             // OK, NODATA or SKIPDATA
	KindDirection             // ingress or egress
)

// FieldInfo describes a known field.
type FieldInfo struct {
	Name    string // the AWS name, as in ${name}
	Version int    // the flow-log version that introduced it
	Kind    Kind
}

var fieldInfo = [NumKnown]FieldInfo{
	FVersion:                 {"version", 2, KindNumber},
	FAccountID:               {"account-id", 2, KindString},
	FInterfaceID:             {"interface-id", 2, KindString},
	FSrcAddr:                 {"srcaddr", 2, KindAddr},
	FDstAddr:                 {"dstaddr", 2, KindAddr},
	FSrcPort:                 {"srcport", 2, KindPort},
	FDstPort:                 {"dstport", 2, KindPort},
	FProtocol:                {"protocol", 2, KindProtocol},
	FPackets:                 {"packets", 2, KindNumber},
	FBytes:                   {"bytes", 2, KindNumber},
	FStart:                   {"start", 2, KindTime},
	FEnd:                     {"end", 2, KindTime},
	FAction:                  {"action", 2, KindAction},
	FLogStatus:               {"log-status", 2, KindLogStatus},
	FVPCID:                   {"vpc-id", 3, KindString},
	FSubnetID:                {"subnet-id", 3, KindString},
	FInstanceID:              {"instance-id", 3, KindString},
	FTCPFlags:                {"tcp-flags", 3, KindTCPFlags},
	FType:                    {"type", 3, KindString},
	FPktSrcAddr:              {"pkt-srcaddr", 3, KindAddr},
	FPktDstAddr:              {"pkt-dstaddr", 3, KindAddr},
	FRegion:                  {"region", 4, KindString},
	FAZID:                    {"az-id", 4, KindString},
	FSublocationType:         {"sublocation-type", 4, KindString},
	FSublocationID:           {"sublocation-id", 4, KindString},
	FPktSrcAWSService:        {"pkt-src-aws-service", 5, KindString},
	FPktDstAWSService:        {"pkt-dst-aws-service", 5, KindString},
	FFlowDirection:           {"flow-direction", 5, KindDirection},
	FTrafficPath:             {"traffic-path", 5, KindNumber},
	FECSClusterARN:           {"ecs-cluster-arn", 7, KindString},
	FECSClusterName:          {"ecs-cluster-name", 7, KindString},
	FECSContainerInstanceARN: {"ecs-container-instance-arn", 7, KindString},
	FECSContainerInstanceID:  {"ecs-container-instance-id", 7, KindString},
	FECSContainerID:          {"ecs-container-id", 7, KindString},
	FECSSecondContainerID:    {"ecs-second-container-id", 7, KindString},
	FECSServiceName:          {"ecs-service-name", 7, KindString},
	FECSTaskDefinitionARN:    {"ecs-task-definition-arn", 7, KindString},
	FECSTaskARN:              {"ecs-task-arn", 7, KindString},
	FECSTaskID:               {"ecs-task-id", 7, KindString},
	FRejectReason:            {"reject-reason", 8, KindString},
	FResourceID:              {"resource-id", 9, KindString},
	FEncryptionStatus:        {"encryption-status", 10, KindNumber},
	FInstanceTag:             {"instance-tag", 11, KindString},
	FInstanceTag2:            {"instance-tag-2", 11, KindString},
	FInterfaceTag:            {"interface-tag", 11, KindString},
	FInterfaceTag2:           {"interface-tag-2", 11, KindString},
	FASGTag:                  {"asg-tag", 11, KindString},
	FASGTag2:                 {"asg-tag-2", 11, KindString},
	FInterfaceType:           {"interface-type", 11, KindString},
	FNextHopInterfaceID:      {"next-hop-interface-id", 11, KindString},
	FNextHopSubnetID:         {"next-hop-subnet-id", 11, KindString},
	FNextHopAZID:             {"next-hop-az-id", 11, KindString},
	FNextHopVPCID:            {"next-hop-vpc-id", 11, KindString},
	FNextHopInterfaceType:    {"next-hop-interface-type", 11, KindString},
}

var fieldByName = func() map[string]Field {
	m := make(map[string]Field, NumKnown)
	for i, fi := range fieldInfo {
		m[fi.Name] = Field(i)
	}
	return m
}()

// Known reports whether f is one of the fields of versions 2-11.
func (f Field) Known() bool { return int(f) < NumKnown }

// Info describes a known field; for a custom column it returns a string-kind entry
// without a name (the name lives in the Format).
func (f Field) Info() FieldInfo {
	if f.Known() {
		return fieldInfo[f]
	}
	return FieldInfo{Kind: KindString}
}

// Name is the AWS name of a known field, or "" for a custom column.
func (f Field) Name() string {
	if f.Known() {
		return fieldInfo[f].Name
	}
	return ""
}

// Numeric reports whether the field's JSON value is a number.
func (f Field) Numeric() bool {
	switch f.Info().Kind {
	case KindNumber, KindPort, KindProtocol, KindTime, KindTCPFlags:
		return true
	}
	return false
}

// FieldByName looks up a known field by its AWS name. Case is ignored and `_` is read as
// `-`, because Parquet and Athena columns spell the names that way.
func FieldByName(name string) (Field, bool) {
	if f, ok := fieldByName[name]; ok {
		return f, true
	}
	norm := strings.ToLower(strings.ReplaceAll(name, "_", "-"))
	f, ok := fieldByName[norm]
	return f, ok
}

// fieldByNameBytes is the allocation-free lookup the parser uses on header candidates.
func fieldByNameBytes(b []byte) (Field, bool) {
	f, ok := fieldByName[string(b)]
	return f, ok
}

// KnownFields lists the known fields in AWS table order.
func KnownFields() []Field {
	out := make([]Field, NumKnown)
	for i := range out {
		out[i] = Field(i)
	}
	return out
}
