package bench

import (
	"fmt"
	"io"
	"slices"
)

// A Side is one implementation under test: ours on one backend ([Ours]) or
// the PyTorch peer ([Peer]).
type Side interface {
	// Prepare readies case c: builds it (once) and runs its untimed warm-up
	// calls (the first compiles).
	Prepare(c string) error
	// Time times at least reps calls of case c, prepared, and at least the
	// side's Options.MinRound of calls, and returns each call's time in ms.
	Time(c string, reps int) ([]float64, error)
}

// Rounds is one case timed in alternating rounds by [Alternate].
type Rounds struct {
	Case string
	// Ours and Peer hold each round's call times in ms; Peer is nil without a peer.
	Ours, Peer [][]float64
	// Ratios are each round's ratio of medians, ours over the peer's (nil without a peer).
	Ratios []float64
}

// Alternate prepares case c on ours and on peer (nil: ours only), then runs
// rounds rounds of at least reps timed calls each (and at least each
// side's Options.MinRound of calls: see [Side]), ours then the peer's in
// every round (ABAB…), so that both sides of a round see the machine in the
// same state.
func Alternate(c string, ours, peer Side, rounds, reps int, progress io.Writer) (Rounds, error) {
	r := Rounds{Case: c}
	if rounds < 1 || reps < 1 {
		return r, fmt.Errorf("bench: %s: want rounds and reps ≥ 1, got %d and %d", c, rounds, reps)
	}
	if err := ours.Prepare(c); err != nil {
		return r, err
	}
	if peer != nil {
		if err := peer.Prepare(c); err != nil {
			return r, err
		}
	}
	for k := range rounds {
		o, err := ours.Time(c, reps)
		if err != nil {
			return r, err
		}
		if len(o) == 0 {
			return r, fmt.Errorf("bench: %s round %d: no timed call of ours", c, k+1)
		}
		r.Ours = append(r.Ours, o)
		if peer == nil {
			fmt.Fprintf(progress, "bench: %s round %d/%d: ours %s ms\n", c, k+1, rounds, fmtMs(StatsOf(o).MedianMs))
			continue
		}
		p, err := peer.Time(c, reps)
		if err != nil {
			return r, err
		}
		if len(p) == 0 {
			return r, fmt.Errorf("bench: %s round %d: no timed call of the peer", c, k+1)
		}
		r.Peer = append(r.Peer, p)
		om, pm := StatsOf(o).MedianMs, StatsOf(p).MedianMs
		r.Ratios = append(r.Ratios, om/pm)
		fmt.Fprintf(progress, "bench: %s round %d/%d: ours %s ms, peer %s ms, ratio %.3f\n", c, k+1, rounds, fmtMs(om), fmtMs(pm), om/pm)
	}
	return r, nil
}

// OursStats are the statistics of all our timed calls, every round pooled.
func (r Rounds) OursStats() Stats { return StatsOf(slices.Concat(r.Ours...)) }

// PeerStats are those of the peer's calls (zero without a peer).
func (r Rounds) PeerStats() Stats {
	if len(r.Peer) == 0 {
		return Stats{}
	}
	return StatsOf(slices.Concat(r.Peer...))
}

// Result is the row of results.json for r on backend: the pooled medians of
// each side, and the median of the per-round ratios with its min and max
// (ratios 0 without a peer).
func (r Rounds) Result(backend string) Result {
	res := Result{Name: r.Case, Backend: backend, OursMs: r.OursStats().MedianMs, Rounds: len(r.Ours)}
	if len(r.Ratios) > 0 {
		res.PeerMs = r.PeerStats().MedianMs
		res.Ratio = StatsOf(r.Ratios).MedianMs
		res.RatioMin, res.RatioMax = slices.Min(r.Ratios), slices.Max(r.Ratios)
	}
	return res
}
