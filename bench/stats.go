package bench

import (
	"math"
	"os"
	"slices"
	"sort"
	"strings"
	"time"
)

// Stats summarises timed calls, in milliseconds.
type Stats struct {
	MedianMs float64 `json:"median_ms"`
	P10Ms    float64 `json:"p10_ms"`
	P90Ms    float64 `json:"p90_ms"`
	N        int     `json:"n"` // number of timed calls
}

// StatsOf summarises durations in ms: median and 10th/90th percentiles by
// linear interpolation between order statistics (numpy.percentile's default,
// and peer.py's). It panics on an empty slice.
func StatsOf(msTimes []float64) Stats {
	s := slices.Clone(msTimes)
	sort.Float64s(s)
	return Stats{MedianMs: percentile(s, 50), P10Ms: percentile(s, 10), P90Ms: percentile(s, 90), N: len(s)}
}

func percentile(sorted []float64, q float64) float64 {
	if len(sorted) == 1 {
		return sorted[0]
	}
	pos := float64(len(sorted)-1) * q / 100
	lo := int(math.Floor(pos))
	hi := min(lo+1, len(sorted)-1)
	return sorted[lo] + (sorted[hi]-sorted[lo])*(pos-float64(lo))
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// loadAvg is /proc/loadavg's 1, 5 and 15-minute averages, or "?".
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}
