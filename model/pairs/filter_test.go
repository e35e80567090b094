package pairs_test

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/filter"
	"github.com/flowlens/flowlens/model/pairs"
)

// filterFixture is a small index: the ping (nacl), an accepted SSH session, a rejected
// RDP attempt and an outbound DNS query without an answer.
func filterFixture(t *testing.T) (*pairs.Index, []model.Flow) {
	t.Helper()
	recs := parse(t, nil, pingRecords+`
2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK
2 123456789010 eni-1235b8ca123456789 172.31.16.21 172.31.16.139 22 20641 6 18 3100 1418530010 1418530070 ACCEPT OK
2 123456789010 eni-1235b8ca123456789 172.31.9.69 172.31.9.12 49761 3389 6 20 4249 1418530010 1418530070 REJECT OK
2 123456789010 eni-0bbbbbbbbbbbbbbbb 10.0.0.5 10.0.0.2 51000 53 17 1 70 1418530010 1418530010 ACCEPT OK`)
	return index(recs), recs
}

func TestCompileFilterMatches(t *testing.T) {
	ix, recs := filterFixture(t)
	record := func(seq uint64) *model.Flow {
		if seq < uint64(len(recs)) {
			return &recs[seq]
		}
		return nil
	}
	tests := []struct {
		expr string
		want int
	}{
		{"", 4},
		{"verdict=nacl", 1},
		{"verdict=NACL", 1},
		{"verdict!=nacl", 3},
		{"verdict=blocked", 2},
		{"not verdict=blocked", 2},
		{"blocked=response", 1},
		{"blocked=request", 1},
		{"blocked=none", 2},
		{"verdict=sg-or-nacl", 1},
		{"verdict=no-response", 1},
		{"verdict=accepted or verdict=no-response", 2},
		{"initiator=203.0.113.12", 1},
		{"initiator=203.0.113.0/24", 1},
		{"responder=:22", 1},
		{"responder=*:ssh", 1},
		{"responder=172.31.16.21:22", 1},
		{"responder=172.31.0.0/16:3389", 1},
		{"responder=:1-1024", 2},
		{"responder=[::1]:22", 0},
		{"initiator!=203.0.113.12", 3},
		// Record terms look at the newest record of each direction.
		{"action=REJECT", 2},
		{"reject verdict=nacl", 1},
		{"eni=eni-0bbb*", 1},
		{"proto=icmp", 1},
		{"dstport=22", 1},  // the SSH request's newest record
		{"port=53 udp", 1}, // both sides
		{"not action=REJECT", 2},
	}
	for _, tt := range tests {
		match, err := pairs.CompileFilter(tt.expr, record, filter.Options{})
		if err != nil {
			t.Errorf("%q: %v", tt.expr, err)
			continue
		}
		got := 0
		for _, p := range ix.All() {
			j := ix.Judge(p, nil)
			if match(p, &j) {
				got++
			}
		}
		if got != tt.want {
			t.Errorf("%q matched %d pairs, want %d", tt.expr, got, tt.want)
		}
	}
}

func TestCompileFilterErrors(t *testing.T) {
	tests := []struct {
		expr, msg, hint string
		pos             int
	}{
		{"verdict=nacll", "unknown verdict 'nacll'", "did you mean 'nacl'?", 9},
		{"verdict=sg-or-nac", "unknown verdict", "did you mean 'sg-or-nacl'?", 9},
		{"verdict=zzz", "unknown verdict", "want one of accepted, sg-or-nacl", 9},
		{"verdcit=nacl", "unknown field 'verdcit'", "did you mean 'verdict'?", 1},
		{"blocked=reponse", "unknown blocked value", "did you mean 'response'?", 9},
		{"joint-verdict=sgg", "unknown joint verdict 'sgg'", "did you mean 'sg'?", 15},
		{"joint-verdict>sg", "compares only with = or !=", "", 1},
		{"joint-verdit=sg", "unknown field", "did you mean 'joint-verdict'?", 1},
		{"initator=10.0.0.1", "unknown field", "did you mean 'initiator'?", 1},
		{"verdict>nacl", "compares only with = or !=", "", 1},
		{"responder=10.0.0.300", "bad value", "want an address or CIDR", 11},
		{"responder=:99999", "bad value", "", 11},
		{"responder=[::1", "bad value", "", 11},
		{"dsport=22", "unknown field 'dsport'", "did you mean 'dstport'?", 1},
		{"verdict=nacl and (", "", "", 0},
	}
	for _, tt := range tests {
		_, err := pairs.CompileFilter(tt.expr, nil, filter.Options{})
		var fe *filter.Error
		if !errors.As(err, &fe) {
			t.Errorf("%q: error %v, want a *filter.Error", tt.expr, err)
			continue
		}
		if !strings.Contains(fe.Msg, tt.msg) || !strings.Contains(fe.Hint, tt.hint) || (tt.pos != 0 && fe.Pos != tt.pos) {
			t.Errorf("%q: got {%d %q %q}, want {%d %q %q}", tt.expr, fe.Pos, fe.Msg, fe.Hint, tt.pos, tt.msg, tt.hint)
		}
	}
}

// TestCompileFilterNeverPanics throws garbage at the compiler and at the compiled
// filter, with and without a judgement and records.
func TestCompileFilterNeverPanics(t *testing.T) {
	ix, recs := filterFixture(t)
	garbage := []string{
		"verdict=", "=nacl", "verdict", "((((", "))))", "verdict=nacl)", "not", "not not not",
		"initiator=[", "initiator=]", "initiator=[]:", "initiator=:", "initiator=*:", "responder=::", "responder=[::]:x",
		"responder=1.2.3.4/99", "responder=1.2.3.4:65536", "responder=:5-1", "responder=fe80::1%eth0",
		"verdict=\x00", "\xff\xfe", "blocked=\"", "'", "verdict=nacl or", "or verdict=nacl", "and", "&&", "||",
		strings.Repeat("(", 200) + "verdict=nacl" + strings.Repeat(")", 200), strings.Repeat("not ", 300) + "x",
		strings.Repeat("verdict=nacl ", 500), "initiator=" + strings.Repeat("1", 5000),
	}
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []byte("verdictblockedinitiatorresponder=!<>()[]:*/.,-_ \"'0123456789abcdef&|")
	for range 3000 {
		b := make([]byte, rng.IntN(40))
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		garbage = append(garbage, string(b))
	}
	record := func(seq uint64) *model.Flow {
		if seq < uint64(len(recs)) {
			return &recs[seq]
		}
		return nil
	}
	all := ix.All()
	for _, expr := range garbage {
		for _, rec := range []func(uint64) *model.Flow{nil, record} {
			match, err := pairs.CompileFilter(expr, rec, filter.Options{})
			if err != nil {
				var fe *filter.Error
				if !errors.As(err, &fe) {
					t.Fatalf("%q: error %T %v is not a *filter.Error", expr, err, err)
				}
				continue
			}
			for _, p := range all {
				j := ix.Judge(p, nil)
				match(p, &j)
				match(p, nil)
			}
		}
	}
}

// TestJointVerdictTerm: joint-verdict= reads the JointVerdict a caller set (Ordered
// does, as a Batch does); "none" is a pair without a peer.
func TestJointVerdictTerm(t *testing.T) {
	recs := parse(t, linkFormat, "eni-a 10.0.1.5 10.0.2.9 40000 5432 6 3 180 1000 1003 ACCEPT egress 2\n"+
		"eni-b 10.0.1.5 10.0.2.9 40000 5432 6 3 180 1000 1003 REJECT ingress 2\n"+
		"eni-c 10.0.9.9 8.8.8.8 50000 53 17 1 70 1000 1000 ACCEPT egress -")
	ix := index(recs)
	record := func(seq uint64) *model.Flow { return &recs[seq] }
	count := func(expr string) int {
		match, err := pairs.CompileFilter(expr, record, filter.Options{})
		if err != nil {
			t.Fatalf("%q: %v", expr, err)
		}
		return len(ix.Ordered(nil, match))
	}
	for expr, want := range map[string]int{
		"joint-verdict=sg-or-nacl":                         2, // both ends of the app's connection
		"joint-verdict=blocked":                            2,
		"joint-verdict=none":                               1, // the DNS query, seen from one end
		"joint-verdict!=none":                              2,
		"joint-verdict=accepted":                           0,
		"joint-verdict=sg-or-nacl and verdict=no-response": 1, // the app's end
		"not joint-verdict=none and eni=eni-b":             1,
	} {
		if got := count(expr); got != want {
			t.Errorf("%q: %d pairs, want %d", expr, got, want)
		}
	}
	// Without the joint set (a bare Judge), a term that needs it matches nothing either way.
	match, _ := pairs.CompileFilter("joint-verdict=sg-or-nacl", nil, filter.Options{})
	for _, p := range ix.All() {
		j := ix.Judge(p, nil)
		if match(p, &j) {
			t.Errorf("%v matched without a joint verdict", p.Key)
		}
	}
}
