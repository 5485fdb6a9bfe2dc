package experiment

import (
	"fmt"
	"math"
	"slices"
)

// Divergence detection. A run diverges when a loss is not finite, or when
// the loss stays above divergenceFactor times the median of the last
// divergenceWindow normal losses for divergencePatience consecutive steps.
// The detector sees only the losses, which an exact resume reproduces, so a
// resumed run stops at the same step as a straight one.
const (
	divergenceWindow   = 200
	divergenceMinSeen  = 1 // losses needed before the median is trusted: a run can blow up at step 2
	divergenceFactor   = 10
	divergencePatience = 50
)

// divergence watches the loss of each step.
type divergence struct {
	recent []float64 // the last divergenceWindow losses that were not suspect
	since  int64     // first step of the current stretch of suspect losses; 0 when none
}

// observe records the loss of step and reports whether the run has
// diverged, with the first step of the divergence and why.
func (d *divergence) observe(step int64, loss float64) (diverged bool, since int64, why string) {
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		if d.since == 0 {
			d.since = step
		}
		return true, d.since, fmt.Sprintf("the loss is %g", loss)
	}
	if len(d.recent) >= divergenceMinSeen {
		med := median(d.recent)
		if loss > divergenceFactor*med {
			if d.since == 0 {
				d.since = step
			}
			if step-d.since+1 >= divergencePatience {
				return true, d.since, fmt.Sprintf("the loss stayed above %g× its running median %.4g for %d steps (now %.4g)", float64(divergenceFactor), med, step-d.since+1, loss)
			}
			return false, 0, ""
		}
	}
	d.since = 0
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
