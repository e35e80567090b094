package ui

import (
	"fmt"

	"github.com/flowlens/flowlens/model"
)

// manyPairRecords makes n default-format records in about n/4 conversations over 16
// interfaces, a tenth rejected: the shape of a busy VPC, where the conversations view
// has hundreds of thousands of rows to judge and sort.
func manyPairRecords(n int) []model.Flow {
	p := model.NewParser("bench", nil)
	out := make([]model.Flow, n)
	start := testNow.Add(-time1h).Unix()
	pairsN := max(1, n/4)
	for i := range out {
		j := i % pairsN
		action := "ACCEPT"
		if j%10 == 0 {
			action = "REJECT"
		}
		src := fmt.Sprintf("10.%d.%d.%d", j>>16&255, j>>8&255, j&255)
		dst := fmt.Sprintf("172.31.%d.%d", j%7, j%251)
		sport, dport := 1024+j%60000, []int{443, 22, 80, 5432}[j%4]
		if i/pairsN%2 == 1 { // every other round, the reply
			src, dst, sport, dport = dst, src, dport, sport
		}
		line := fmt.Sprintf("2 123456789012 eni-0a1b2c3d4e5f6%04d %s %s %d %d 6 %d %d %d %d %s OK",
			j%16, src, dst, sport, dport, i%100+1, (i%100+1)*500, start+int64(i/1000), start+int64(i/1000)+60, action)
		if p.Parse([]byte(line), &out[i]) != model.LineRecord {
			panic(line)
		}
	}
	return out
}

const time1h = 3600 * 1e9
