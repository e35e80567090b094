package stats

import "slices"

// topK returns the k first elements of xs in the order cmp gives, sorted, in O(n log k):
// a heap of the k best so far whose root is the worst of them, which each further
// element must beat. It reuses xs's memory.
func topK[T any](xs []T, k int, cmp func(a, b T) int) []T {
	if k <= 0 {
		return xs[:0]
	}
	if k >= len(xs) {
		slices.SortFunc(xs, cmp)
		return xs
	}
	h := xs[:k]
	// heapify with the worst at the root: a max-heap under cmp
	for i := k/2 - 1; i >= 0; i-- {
		down(h, i, cmp)
	}
	for _, x := range xs[k:] {
		if cmp(x, h[0]) < 0 {
			h[0] = x
			down(h, 0, cmp)
		}
	}
	slices.SortFunc(h, cmp)
	return h
}

func down[T any](h []T, i int, cmp func(a, b T) int) {
	for {
		l := 2*i + 1
		if l >= len(h) {
			return
		}
		worst := l
		if r := l + 1; r < len(h) && cmp(h[r], h[l]) > 0 {
			worst = r
		}
		if cmp(h[worst], h[i]) <= 0 {
			return
		}
		h[i], h[worst] = h[worst], h[i]
		i = worst
	}
}
