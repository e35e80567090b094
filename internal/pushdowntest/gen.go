// Package pushdowntest generates random flow-log records and random filter expressions
// for the tests that prove the push-down compilers right: a record the filter keeps must
// never be dropped by a pattern, a query or SQL compiled from it. Values are drawn from
// small pools so that random filters match often, in every format (custom ones and an
// unknown column included), with NODATA records full of `-`.
package pushdowntest

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strconv"
	"strings"

	"github.com/flowlens/flowlens/model"
)

// Formats are the formats the tests cover: the default, the v3 TCP-flags layout, a v5
// layout in AWS's example order, and a custom one with a column flowlens does not know.
func Formats() []*model.Format {
	return []*model.Format{
		model.DefaultFormat,
		model.MustParseFormat("version vpc-id subnet-id instance-id interface-id account-id type srcaddr dstaddr srcport dstport pkt-srcaddr pkt-dstaddr protocol bytes packets start end action tcp-flags log-status"),
		model.MustParseFormat("version srcaddr dstaddr srcport dstport protocol start end type packets bytes account-id vpc-id subnet-id instance-id interface-id region az-id sublocation-type sublocation-id action tcp-flags pkt-srcaddr pkt-dstaddr pkt-src-aws-service pkt-dst-aws-service traffic-path flow-direction log-status"),
		model.MustParseFormat("interface-id srcaddr dstaddr dstport protocol action my-tag start tcp-flags flow-direction log-status"),
	}
}

var (
	v4Nets = []string{"10.0.0.", "10.0.3.", "10.0.4.", "10.1.0.", "172.16.5.", "172.31.255.", "192.168.1.", "203.0.113.", "52.95.128."}
	v6Nets = []string{"2001:db8::", "2001:db8:1::", "2001:db8:1234:a100::", "fd00::"}
	ports  = []uint64{0, 1, 22, 53, 80, 123, 443, 1023, 1024, 3389, 8080, 32768, 49152, 60999, 65535}
	protos = []uint64{1, 6, 17, 58, 47, 50}
	flags  = []uint64{0, 1, 2, 3, 4, 6, 18, 19, 22, 23}
	strs   = map[model.Field][]string{
		model.FAccountID:        {"123456789012", "210987654321", "unknown"},
		model.FInterfaceID:      {"eni-0abc1", "eni-0ABC2", "eni-1235b8ca123456789", "eni-0bbbb"},
		model.FVPCID:            {"vpc-0a1b", "vpc-abcdefab012345678", "VPC-9"},
		model.FSubnetID:         {"subnet-01", "subnet-aaaaaaaa012345678"},
		model.FInstanceID:       {"i-0c50d", "i-0C50E", "i-01234567890123456"},
		model.FType:             {"IPv4", "IPv6", "EFA"},
		model.FRegion:           {"ap-southeast-2", "us-east-1"},
		model.FAZID:             {"apse2-az3", "use1-az1"},
		model.FSublocationType:  {"wavelength", "outpost"},
		model.FSublocationID:    {"wl-1", "op-0abc"},
		model.FPktSrcAWSService: {"S3", "EC2", "AMAZON", "ROUTE53"},
		model.FPktDstAWSService: {"S3", "DYNAMODB", "AMAZON"},
	}
	customValues = []string{"web", "db-1", "Web_2", "x.y", "10.0.3.9", "22"}
)

// Record draws a record of format f and returns its line as AWS writes it and the
// record as flowlens parses that line.
func Record(rng *rand.Rand, f *model.Format) (string, model.Flow) {
	nodata := rng.IntN(8) == 0
	v6 := rng.IntN(5) == 0
	start := uint64(1700000000 + rng.IntN(7200))
	vals := make([]string, len(f.Fields))
	for i, fld := range f.Fields {
		vals[i] = value(rng, fld, nodata, v6, start)
	}
	if nodata {
		for i, fld := range f.Fields {
			if fld == model.FLogStatus {
				vals[i] = []string{"NODATA", "SKIPDATA"}[rng.IntN(2)]
			}
		}
	}
	line := strings.Join(vals, " ")
	p := model.NewParser("gen", f)
	var r model.Flow
	if kind := p.Parse([]byte(line), &r); kind != model.LineRecord {
		panic(fmt.Sprintf("pushdowntest: generated line does not parse: %q: %v", line, p.Stats().Samples))
	}
	return line, r
}

func value(rng *rand.Rand, fld model.Field, nodata, v6 bool, start uint64) string {
	dash := rng.IntN(12) == 0
	if nodata {
		switch fld {
		case model.FSrcAddr, model.FDstAddr, model.FSrcPort, model.FDstPort, model.FProtocol,
			model.FPackets, model.FBytes, model.FAction, model.FTCPFlags, model.FPktSrcAddr, model.FPktDstAddr,
			model.FFlowDirection, model.FTrafficPath:
			return "-"
		}
	}
	if !fld.Known() {
		if dash {
			return "-"
		}
		return customValues[rng.IntN(len(customValues))]
	}
	num := func(x uint64) string { return strconv.FormatUint(x, 10) }
	switch fld {
	case model.FVersion:
		return num(uint64(2 + rng.IntN(4)))
	case model.FSrcAddr, model.FDstAddr, model.FPktSrcAddr, model.FPktDstAddr:
		if dash {
			return "-"
		}
		if v6 {
			// as AWS writes it: the canonical form (fd00:: rather than fd00::0)
			return netip.MustParseAddr(v6Nets[rng.IntN(len(v6Nets))] + strconv.FormatUint(uint64(rng.IntN(300)), 16)).String()
		}
		return v4Nets[rng.IntN(len(v4Nets))] + num(uint64(rng.IntN(256)))
	case model.FSrcPort, model.FDstPort:
		if dash {
			return "-"
		}
		if rng.IntN(3) == 0 {
			return num(uint64(rng.IntN(65536)))
		}
		return num(ports[rng.IntN(len(ports))])
	case model.FProtocol:
		if dash {
			return "-"
		}
		return num(protos[rng.IntN(len(protos))])
	case model.FPackets:
		if dash {
			return "-"
		}
		return num(uint64(rng.IntN(2000)))
	case model.FBytes:
		if dash {
			return "-"
		}
		return num(uint64(rng.IntN(3_000_000)))
	case model.FStart:
		return num(start)
	case model.FEnd:
		return num(start + uint64(rng.IntN(600)))
	case model.FAction:
		if dash {
			return "-"
		}
		return []string{"ACCEPT", "REJECT"}[rng.IntN(2)]
	case model.FLogStatus:
		return "OK"
	case model.FTCPFlags:
		if dash {
			return "-"
		}
		if rng.IntN(5) == 0 {
			return num(uint64(rng.IntN(256)))
		}
		return num(flags[rng.IntN(len(flags))])
	case model.FFlowDirection:
		if dash {
			return "-"
		}
		return []string{"ingress", "egress"}[rng.IntN(2)]
	case model.FTrafficPath:
		if dash || rng.IntN(3) == 0 {
			return "-"
		}
		return num(uint64(1 + rng.IntN(8)))
	}
	if pool, ok := strs[fld]; ok && !dash {
		return pool[rng.IntN(len(pool))]
	}
	return "-"
}

// Filter draws a filter expression over the fields of format f (and a few others, which
// the format may lack). Some draws do not compile (a CIDR compared with <, say); callers
// skip those.
func Filter(rng *rand.Rand, f *model.Format, depth int) string {
	if depth <= 0 || rng.IntN(3) == 0 {
		return leaf(rng, f)
	}
	switch rng.IntN(5) {
	case 0:
		return "not " + Filter(rng, f, depth-1)
	case 1:
		return "(" + Filter(rng, f, depth-1) + " or " + Filter(rng, f, depth-1) + ")"
	case 2:
		return "!(" + Filter(rng, f, depth-1) + ")"
	}
	return Filter(rng, f, depth-1) + " " + Filter(rng, f, depth-1)
}

func pick[T any](rng *rand.Rand, xs ...T) T { return xs[rng.IntN(len(xs))] }

func leaf(rng *rand.Rand, f *model.Format) string {
	op := func(all bool) string {
		if all {
			return pick(rng, "=", "=", "!=", "<", "<=", ">", ">=")
		}
		return pick(rng, "=", "=", "!=")
	}
	switch rng.IntN(16) {
	case 0:
		return pick(rng, "reject", "accept", "tcp", "udp", "icmp", "icmpv6", "ingress", "egress", "nodata", "skipdata")
	case 1:
		return strconv.Quote(pick(rng, "eni-0a", "10.0.3", "OK", "ACCEPT OK", "-", "s3", "Web", "22 6", "vpc-0A", "2001:DB8"))
	case 2:
		return pick(rng, "action", "ACTION") + op(false) + pick(rng, "ACCEPT", "reject")
	case 3:
		fld := pick(rng, "src", "dst", "srcaddr", "pkt-srcaddr", "addr", "addr")
		return fld + op(false) + cidr(rng)
	case 4, 5:
		fld := pick(rng, "dport", "sport", "dstport", "port")
		o := op(true)
		if strings.HasPrefix(fld, "port") {
			o = op(false)
		}
		v := pick(rng, "22", "443", "1024", "0", "65535", "ssh", "https", "domain", "1024-65535", "20-23", "3389")
		if strings.Contains(v, "-") && o != "=" && o != "!=" {
			o = "="
		}
		return fld + o + v
	case 6:
		return pick(rng, "proto", "protocol") + op(true) + pick(rng, "tcp", "6", "17", "udp", "icmp", "58", "gre")
	case 7:
		return pick(rng, "bytes", "packets", "pkts") + op(true) + pick(rng, "1000", "10k", "1Ki", "0", "1M", "100-2000")
	case 8:
		return pick(rng, "flags", "tcp-flags") + op(false) + pick(rng, "syn", "syn-ack", "fin", "rst", "syn+fin", "18", "2", "0")
	case 9:
		return pick(rng, "flags", "tcp-flags") + pick(rng, "<", ">=", ">") + pick(rng, "2", "18", "4")
	case 10:
		return pick(rng, "eni", "interface", "vpc", "instance", "account", "type", "region") + op(false) +
			pick(rng, "eni-0abc*", "ENI-0ABC1", "*bbbb", "eni-?abc1", "vpc-0a1b", "VPC-*", "i-0c50*", "123456789012", "unknown", "ipv4", "*", "us-*-1", "eni-*abc*")
	case 11:
		return pick(rng, "dir", "direction", "flow-direction") + op(false) + pick(rng, "in", "out", "ingress", "EGRESS")
	case 12:
		return pick(rng, "status", "log-status") + op(false) + pick(rng, "ok", "NODATA", "skipdata")
	case 13:
		return pick(rng, "start", "end") + op(true) + pick(rng, "1700003600", "2023-11-14T23:00", "2023-11-15", "1700000000")
	case 14:
		if !f.Has(model.FPktSrcAWSService) && f.Column(model.CustomBase) >= 0 {
			return "my-tag" + op(false) + pick(rng, "web", "WEB*", "*-1", "x.y", "22", "10.0.3.9")
		}
		return pick(rng, "pkt-src-aws-service", "pkt-dst-aws-service") + op(false) + pick(rng, "s3", "AMAZON", "*")
	}
	return pick(rng, "path", "traffic-path", "version") + op(true) + pick(rng, "1", "2", "8", "5")
}

func cidr(rng *rand.Rand) string {
	return pick(rng,
		"10.0.0.0/8", "10.0.0.0/16", "10.0.0.0/22", "10.0.3.0/24", "10.0.3.128/25", "172.16.0.0/12",
		"172.31.255.0/24", "192.168.1.0/30", "0.0.0.0/0", "203.0.113.7", "10.0.4.0/23", "52.95.128.0/17",
		"2001:db8::/32", "2001:db8:1::/48", "fd00::/8", "2001:db8::1", "::/0")
}
