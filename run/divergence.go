package run

import (
	"fmt"
	"math"
	"slices"
)

// Divergence detection. A run diverges when a loss is not finite, or when
// at least divergenceSuspects of the last divergencePatience steps had a
// loss above divergenceFactor times the median of the last divergenceWindow
// normal losses. Counting within a window, rather than requiring a
// stretch in a row, tolerates dips: a run at 1e15–1e18 with a few steps
// back near its old loss (44 of steps 2–57 of a swissroll run at -lr 5)
// broke every stretch of the old 50-in-a-row rule and ran on to write
// weights that sampled NaN. The detector sees only the losses, which an
// exact resume reproduces, so a resumed run stops at the same step as a
// straight one.
const (
	divergenceWindow   = 200
	divergenceMinSeen  = 1 // losses needed before the median is trusted: a run can blow up at step 2
	divergenceFactor   = 10
	divergencePatience = 50 // the window of recent steps in which suspects are counted
	divergenceSuspects = 25 // suspect steps in it that stop the run: half
)

// divergence watches the loss of each step.
type divergence struct {
	recent  []float64 // the last divergenceWindow losses that were not suspect
	suspect []int64   // the suspect steps among the last divergencePatience, oldest first
}

// observe records the loss of step and reports whether the run has
// diverged, with the first step of the divergence (the oldest suspect step
// of the window) and why.
func (d *divergence) observe(step int64, loss float64) (diverged bool, since int64, why string) {
	for len(d.suspect) > 0 && d.suspect[0] <= step-divergencePatience {
		d.suspect = d.suspect[1:]
	}
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		since = step
		if len(d.suspect) > 0 {
			since = d.suspect[0]
		}
		return true, since, fmt.Sprintf("the loss is %g", loss)
	}
	if len(d.recent) >= divergenceMinSeen {
		med := median(d.recent)
		if loss > divergenceFactor*med {
			d.suspect = append(d.suspect, step)
			if n := len(d.suspect); n >= divergenceSuspects {
				return true, d.suspect[0], fmt.Sprintf("the loss was above %g× its running median %.4g on %d of the last %d steps (now %.4g)", float64(divergenceFactor), med, n, min(step, divergencePatience), loss)
			}
			return false, 0, ""
		}
	}
	d.recent = append(d.recent, loss)
	if len(d.recent) > divergenceWindow {
		d.recent = d.recent[1:]
	}
	return false, 0, ""
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
