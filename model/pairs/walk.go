package pairs

// Slots is the size of the index's table: Walk goes from slot 0 to Slots.
func (ix *Index) Slots() int { return ix.pairs.slots() }

// Walk appends to dst the pairs in the n slots of the table from slot from, and returns
// the slot to continue from (Slots when the walk is done). It lets a caller go over
// every pair a bounded amount at a time, between other work (the explorer's screen
// stays responsive while it lists a million conversations).
//
// Between two calls the index may change: a pair added or removed, the table grown. A
// walk then may miss a pair that moved behind it or meet one twice; callers that walk
// across changes tolerate both (and check Slots to see a growth).
func (ix *Index) Walk(dst []*Pair, from, n int) ([]*Pair, int) {
	slots := ix.pairs.slots()
	from = min(max(from, 0), slots)
	end := min(from+max(n, 0), slots)
	return ix.pairs.walk(dst, from, end), end
}

// Gone reports whether the pair has left its index: every one of its records was
// removed. A caller holding it from before sees it as it was last.
func (p *Pair) Gone() bool { return p.Dirs[AtoB].Records == 0 && p.Dirs[BtoA].Records == 0 }
