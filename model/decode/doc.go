// Package decode turns the coded values of VPC flow-log records into names a person reads.
//
// It owns the reference tables behind every decoded column and every name the filter
// language accepts: IANA protocol numbers, well-known service ports, the TCP flag bits that
// flow logs record, and the small enumerations of later record versions (traffic-path,
// encryption-status, log-status, action, reject-reason, flow-direction, interface-type and
// the AWS service names of pkt-src-aws-service / pkt-dst-aws-service).
//
// Every lookup is an array index or a map probe on tables built once at start-up, and the
// functions a table row calls for every record (ProtocolLabel, Service, TCPFlagsLabel,
// AppendTCPFlags, TrafficPath, ...) return shared strings without allocating. Name lookups
// (ProtocolByName, PortByService, TCPFlagByName, AWSService) fold ASCII case without
// allocating either, and accept any string without panicking: they are fed raw user input
// from the filter prompt.
package decode

// maxFoldLen bounds the names the case-insensitive lookups fold on the stack. It is longer
// than every key of every table here; anything longer cannot match and is rejected before
// it is copied.
const maxFoldLen = 64

// lookupFold finds s in m, ignoring ASCII case. Keys of m are stored lower case, or upper
// case when upper is set. The exact-case probe comes first because names typed into a filter
// or read from a record usually already have the stored case.
func lookupFold[V any](m map[string]V, s string, upper bool) (V, bool) {
	if v, ok := m[s]; ok {
		return v, true
	}
	var zero V
	if len(s) == 0 || len(s) > maxFoldLen {
		return zero, false
	}
	var buf [maxFoldLen]byte
	changed := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case upper && 'a' <= c && c <= 'z':
			c -= 'a' - 'A'
			changed = true
		case !upper && 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
			changed = true
		}
		buf[i] = c
	}
	if !changed {
		return zero, false
	}
	// The compiler turns m[string(bytes)] into a lookup without a copy.
	v, ok := m[string(buf[:len(s)])]
	return v, ok
}
