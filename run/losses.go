package run

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/ddpm-go/ddpm-go/ckpt"
	"github.com/ddpm-go/ddpm-go/figs"
	"github.com/ddpm-go/ddpm-go/internal/atomicfile"
	"github.com/ddpm-go/ddpm-go/internal/inputfile"
	"github.com/ddpm-go/ddpm-go/recipe"
)

// writeLosses writes loss.csv and loss.png (a smoothed curve) in the run's folder.
func writeLosses(run *ckpt.Run, cfg recipe.Config, losses []float64) error {
	var buf bytes.Buffer
	buf.WriteString("step,loss\n")
	for i, l := range losses {
		if math.IsNaN(l) {
			continue // a step whose loss an earlier version's loss.csv lost
		}
		fmt.Fprintf(&buf, "%d,%s\n", i+1, strconv.FormatFloat(l, 'g', -1, 64)) // round-trips exactly
	}
	if err := run.WriteFile(lossLogName, atomicfile.CSV, buf.Bytes()); err != nil {
		return err
	}
	png, err := LossCurve(cfg, losses)
	if err != nil {
		return err
	}
	return run.WriteFile(lossCurveName, atomicfile.PNG, png)
}

// LossCurve plots the per-step loss of a run of cfg (named by
// [recipe.Config.LossName]) and its moving average (window 1 % of the steps, at
// least 10) on a log scale.
func LossCurve(cfg recipe.Config, losses []float64) ([]byte, error) {
	losses = slices.DeleteFunc(slices.Clone(losses), math.IsNaN) // placeholders of lost rows
	n := len(losses)
	x, avg := make([]float64, n), make([]float64, n)
	w := max(n/100, 10)
	positive := true
	for i, l := range losses {
		x[i] = float64(i + 1)
		// Summed afresh for each step: a running sum loses everything to
		// cancellation once a diverging loss reaches 1e30 (its mean went
		// negative and the log axis panicked).
		sum := 0.0
		for _, v := range losses[max(i+1-w, 0) : i+1] {
			sum += v
		}
		avg[i] = sum / float64(min(i+1, w))
		positive = positive && l > 0 && avg[i] > 0 && !math.IsInf(avg[i], 0)
	}
	// A log axis needs a range: with fewer than 2 losses the axis is linear.
	return figs.Lines(figs.Options{Title: cfg.LossName() + " during training", XLabel: "step", YLabel: "loss", LogY: n >= 2 && positive},
		figs.Series{Name: "per step", X: x, Y: losses}, figs.Series{Name: fmt.Sprintf("mean of %d", w), X: x, Y: avg})
}

// readLosses reads loss.csv, keeping the steps ≤ upTo (those a checkpoint covers).
func readLosses(path string, upTo int64) ([]float64, error) {
	f, _, err := inputfile.Open(path)
	if err != nil {
		return nil, fmt.Errorf("run: %w", err)
	}
	defer f.Close()
	losses, err := ParseLosses(f, upTo)
	if err != nil {
		return nil, fmt.Errorf("run: %s: %w", path, err)
	}
	return losses, nil
}

// ParseLosses reads a loss log ("step,loss" then one row per step, steps
// 1, 2, … in order) and returns the losses of the steps ≤ upTo. A row out
// of order, a missing step, or a loss that is not a finite number is an
// error naming the line.
func ParseLosses(r io.Reader, upTo int64) ([]float64, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = 2
	cr.ReuseRecord = true
	var out []float64
	for line := 1; ; line++ {
		rec, err := cr.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("not a step,loss table: %v", err)
		}
		if line == 1 {
			if rec[0] != "step" || rec[1] != "loss" {
				return nil, fmt.Errorf("line 1 is %q, want the header step,loss", strings.Join(rec, ","))
			}
			continue
		}
		s, err1 := strconv.ParseInt(rec[0], 10, 64)
		l, err2 := strconv.ParseFloat(strings.TrimSpace(rec[1]), 64)
		switch {
		case err1 != nil || err2 != nil:
			return nil, fmt.Errorf("line %d: not a step,loss pair", line)
		case s != int64(line-1):
			return nil, fmt.Errorf("line %d holds step %d, want %d (rows lost or out of order)", line, s, line-1)
		case math.IsNaN(l) || math.IsInf(l, 0):
			return nil, fmt.Errorf("line %d: loss %g is not a finite number", line, l)
		}
		if s > upTo {
			return out, nil
		}
		out = append(out, l)
	}
}
