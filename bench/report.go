package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"unicode/utf8"

	"github.com/ddpm-go/ddpm-go/internal/atomicfile"
)

// Result is one line of the comparison (a row of results.json), per case
// and backend: our median over the peer's. From [Rounds.Result], Ratio is
// the median of the per-round ratios, RatioMin and RatioMax their range,
// and Rounds their number; from [Compare], Ratio = OursMs/PeerMs and Rounds
// is 0. Ratios are 0 when the peer has no time.
type Result struct {
	Name     string  `json:"name"`
	Backend  string  `json:"backend"`
	OursMs   float64 `json:"ours_ms"`
	PeerMs   float64 `json:"peer_ms"`
	Ratio    float64 `json:"ratio"`
	Rounds   int     `json:"rounds"`
	RatioMin float64 `json:"ratio_min"`
	RatioMax float64 `json:"ratio_max"`
}

// Compare pairs our medians with the peer's, in [Cases] order, for every
// case we timed. A case the peer lacks gets PeerMs = Ratio = 0.
func Compare(backend string, ours, peer map[string]Stats) []Result {
	var rs []Result
	for _, c := range Cases {
		o, ok := ours[c]
		if !ok {
			continue
		}
		r := Result{Name: c, Backend: backend, OursMs: o.MedianMs}
		if p, ok := peer[c]; ok && p.MedianMs > 0 {
			r.PeerMs = p.MedianMs
			r.Ratio = o.MedianMs / p.MedianMs
		}
		rs = append(rs, r)
	}
	return rs
}

// Table prints results as an aligned table: case and backend (left-aligned),
// our median and the peer's (ms), and ours/peer ("-" where the peer has no
// time); when any result comes from rounds, three more columns: the number
// of rounds and the smallest and largest per-round ratio.
func Table(w io.Writer, results []Result) {
	rounds := slices.ContainsFunc(results, func(r Result) bool { return r.Rounds > 0 })
	rows := [][]string{{"case", "backend", "ours ms", "peer ms", "ours/peer"}}
	if rounds {
		rows[0] = append(rows[0], "rounds", "min", "max")
	}
	for _, r := range results {
		peer, ratio, lo, hi := "-", "-", "-", "-"
		if r.PeerMs > 0 {
			peer, ratio = fmtMs(r.PeerMs), fmt.Sprintf("%.2f×", r.Ratio)
			if r.RatioMin > 0 {
				lo, hi = fmt.Sprintf("%.2f×", r.RatioMin), fmt.Sprintf("%.2f×", r.RatioMax)
			}
		}
		row := []string{r.Name, r.Backend, fmtMs(r.OursMs), peer, ratio}
		if rounds {
			row = append(row, fmt.Sprint(r.Rounds), lo, hi)
		}
		rows = append(rows, row)
	}
	width := make([]int, len(rows[0]))
	for _, row := range rows {
		for i, cell := range row {
			width[i] = max(width[i], utf8.RuneCountInString(cell))
		}
	}
	for _, row := range rows {
		fmt.Fprintf(w, "%-*s  %-*s", width[0], row[0], width[1], row[1])
		for i := 2; i < len(row); i++ {
			fmt.Fprintf(w, "  %*s", width[i], row[i])
		}
		fmt.Fprintln(w)
	}
}

func fmtMs(v float64) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 1:
		return fmt.Sprintf("%.2f", v)
	}
	return fmt.Sprintf("%.4f", v)
}

// ChainVsForward is the chain time over T × one forward on the same points
// (1 would mean no per-step overhead beyond the network; the target is ≤ 1.2).
// ok is false unless stats holds both mlp_chain and mlp_forward.
func ChainVsForward(stats map[string]Stats, T int) (ratio float64, ok bool) {
	c, ok1 := stats[MLPChain]
	f, ok2 := stats[MLPForward]
	if !ok1 || !ok2 || f.MedianMs <= 0 || T < 1 {
		return 0, false
	}
	return c.MedianMs / (float64(T) * f.MedianMs), true
}

// ChainTargetRatio is the target of [ChainVsForward].
const ChainTargetRatio = 1.2

// PrintChainVsForward prints one line "chain vs T × forward" for label (a backend or "torch").
func PrintChainVsForward(w io.Writer, label string, stats map[string]Stats, T int) {
	r, ok := ChainVsForward(stats, T)
	if !ok {
		fmt.Fprintf(w, "chain vs %d × forward (%s): needs both %s and %s\n", T, label, MLPChain, MLPForward)
		return
	}
	verdict := "within target"
	if r > ChainTargetRatio {
		verdict = "OVER target"
	}
	fmt.Fprintf(w, "chain vs %d × forward (%s): chain %s ms, %d × forward %s ms → %.2f× (target ≤ %.1f×: %s)\n",
		T, label, fmtMs(stats[MLPChain].MedianMs), T, fmtMs(float64(T)*stats[MLPForward].MedianMs), r, ChainTargetRatio, verdict)
}

// WriteJSON writes results as a JSON array to path atomically (a temporary
// file in the same folder, then a rename), under atomicfile's writing rule
// (a new file or a JSON file; see [CheckOut]).
func WriteJSON(path string, results []Result) error {
	if results == nil {
		results = []Result{}
	}
	data, err := json.MarshalIndent(results, "", "  ")
	if err != nil {
		return err
	}
	data = append(data, '\n')
	if err := atomicfile.WriteFile(path, atomicfile.JSON, data); err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	return nil
}

// ReadJSON reads a file written by [WriteJSON].
func ReadJSON(path string) ([]Result, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var rs []Result
	if err := json.Unmarshal(data, &rs); err != nil {
		return nil, fmt.Errorf("bench: %s: %w", path, err)
	}
	return rs, nil
}
