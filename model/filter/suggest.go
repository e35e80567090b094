package filter

// Suggest returns the candidate closest to s by edit distance, if it is close enough to
// be the word the person meant (at most 2 edits, and fewer than half the letters). On a
// tie the earlier candidate wins, so callers list the likelier words first. The pairs
// filter and the key config use it for their own words.
func Suggest(s string, candidates []string) string { return suggest(s, candidates) }

func suggest(s string, candidates []string) string {
	best, bestD := "", 3
	for _, c := range candidates {
		if c == s {
			continue
		}
		d := distance(s, c)
		if d < bestD {
			best, bestD = c, d
		}
	}
	if best == "" || bestD*2 > len(s) {
		return ""
	}
	return best
}

// distance is the Damerau-Levenshtein (optimal string alignment) distance, so that a
// swap of two letters ("dsport" for "dstport" is a deletion; "actoin" a swap) counts as one.
func distance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 99
	}
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
