package pairs

import "testing"

// TestDecisionRoundTrip: every direction a judgement can reach survives being packed
// into a sort entry's 16 bits.
func TestDecisionRoundTrip(t *testing.T) {
	sides := []Side{AtoB, BtoA, SideUnknown}
	for _, ini := range sides {
		for _, local := range sides {
			for _, by := range signalNames {
				for _, lby := range signalNames {
					for _, guess := range []bool{false, true} {
						d := direction{initiator: ini, local: local, decidedBy: by, localBy: lby, guess: guess}
						if got := d.decision().direction(); got.initiator != ini || got.local != local || got.decidedBy != by || got.localBy != lby || got.guess != guess {
							t.Fatalf("%+v came back as %+v", d, got)
						}
					}
				}
			}
		}
	}
}
