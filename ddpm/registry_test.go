package ddpm

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/ddpm-go/ddpm-go/internal/field"
	"github.com/gomlx/gomlx/ml/model"
)

// Every registered sampler's declared number of iterations is the number
// of iterations its chain runs (the snapshots count them), and its last
// snapshot is its output (Langevin's output is the Tweedie denoising of it).
func TestSamplersIterationsAreTheirChains(t *testing.T) {
	t.Parallel()
	backend := testBackend(t)
	s := MustNewSchedule(ScheduleConfig{T: 10})
	net := GaussianDataEps(s, 0.5, 0.25)
	for _, info := range Samplers() {
		for _, cfg := range []SampleConfig{{Kind: info.Kind}, {Kind: info.Kind, Steps: 4}} {
			cfg.SnapshotEvery = 1
			if info.Kind == Langevin {
				cfg.LangevinK = 2
			}
			sm, err := NewSampler(backend, model.NewStore(), s, net, cfg)
			if err != nil {
				t.Fatal(err)
			}
			x0, snaps, err := sm.SampleNoise(backend, []int{3, 1}, 2)
			if err != nil {
				t.Fatal(err)
			}
			n := cfg.Iterations(s.T)
			if got := snaps.Shape().Dimensions[0]; got != n+1 {
				t.Errorf("%s steps %d: %d snapshots, want Iterations()+1 = %d", info.Kind, cfg.Steps, got, n+1)
			}
			last, out := flat32(snaps)[3*n:], flat32(x0)
			for i := range out {
				if (last[i] == out[i]) != (info.Kind != Langevin) {
					t.Errorf("%s steps %d: last snapshot %v, output %v", info.Kind, cfg.Steps, last, out)
					break
				}
			}
		}
	}
}

// What each sampler declares: the default steps, the iterations and the
// network evaluations (NFE) over T = 1000.
func TestSamplersDeclareStepsAndEvaluations(t *testing.T) {
	t.Parallel()
	const T = 1000
	for _, c := range []struct {
		cfg                      SampleConfig
		steps, iterations, evals int
	}{
		{SampleConfig{}, 0, 1000, 1000},
		{SampleConfig{Kind: Ancestral, Steps: 50}, 50, 50, 50}, // respaced: 50, not T
		{SampleConfig{Kind: DDIM}, 50, 50, 50},
		{SampleConfig{Kind: Langevin}, 100, 1000, 1001}, // 100 levels × 10, then Tweedie's
		{SampleConfig{Kind: DPMSolverPP2M, Steps: 20}, 20, 20, 20},
		{SampleConfig{Kind: Heun, Steps: 20}, 20, 20, 39}, // 2 per step, 1 at the last
		{SampleConfig{Kind: Heun}, 50, 50, 99},
	} {
		kind := c.cfg.Kind
		if kind == "" {
			kind = Ancestral
		}
		if got := DefaultSteps(kind, T); c.cfg.Steps == 0 && got != c.steps {
			t.Errorf("%s: DefaultSteps %d, want %d", kind, got, c.steps)
		}
		if it, ev := c.cfg.Iterations(T), c.cfg.Evaluations(T); it != c.iterations || ev != c.evals {
			t.Errorf("%+v: %d iterations, %d evaluations; want %d, %d", c.cfg, it, ev, c.iterations, c.evals)
		}
	}
}

// A kind that is not registered is an error from Validate and NewSampler,
// and a panic naming the fix from the functions that assume a valid
// configuration (Timesteps used to run it over all T steps).
func TestUnknownSamplerIsAnError(t *testing.T) {
	t.Parallel()
	cfg := SampleConfig{Kind: "euler"}
	err := cfg.Validate(1000)
	if fe := field.As(err); fe == nil || fe.Field != "Kind" || !strings.Contains(err.Error(), "use ancestral, ddim, dpm++2m, heun or langevin") {
		t.Errorf("Validate: %v", err)
	}
	s := MustNewSchedule(ScheduleConfig{T: 10})
	if _, err := NewSampler(testBackend(t), model.NewStore(), s, GaussianDataEps(s, 0, 1), cfg); err == nil {
		t.Error("NewSampler accepted an unknown kind")
	}
	if got := cfg.WithDefaults(s); got != cfg {
		t.Errorf("WithDefaults changed an unknown kind's config: %+v", got)
	}
	for name, f := range map[string]func(){
		"Timesteps":    func() { cfg.Timesteps(10) },
		"DefaultSteps": func() { DefaultSteps("euler", 10) },
		"Iterations":   func() { cfg.Iterations(10) },
		"Evaluations":  func() { cfg.Evaluations(10) },
	} {
		func() {
			defer func() {
				if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), `"euler" is not a sampler`) {
					t.Errorf("%s of an unknown kind: recovered %v, want a panic naming it", name, r)
				}
			}()
			f()
		}()
	}
}

// Each sampler's knobs, set, are refused by every other sampler with an
// error naming the field; the sampler itself accepts a valid value.
func TestSamplerKnobsBelongToOneSampler(t *testing.T) {
	t.Parallel()
	knobs := SamplerKnobs()
	if len(knobs) < 9 {
		t.Fatalf("%d knobs registered, want DDIM's 3, Langevin's 2, Heun's 4 and ancestral's Variance", len(knobs))
	}
	for _, k := range knobs {
		for _, other := range Samplers() {
			cfg := SampleConfig{Kind: other.Kind}
			v := reflect.ValueOf(k.Ptr(&cfg)).Elem()
			switch v.Kind() {
			case reflect.Bool:
				v.SetBool(true)
			case reflect.Float64:
				v.SetFloat(0.5)
			default: // ints: LangevinK; Variance (FixedSmall)
				v.SetInt(1)
			}
			if k.Field == "STMin" || k.Field == "STMax" || k.Field == "SNoise" {
				cfg.SChurn = 1 // only with churn
				if other.Kind != Heun {
					cfg.SChurn = 0
				}
			}
			err := cfg.Validate(1000)
			fe := field.As(err)
			if other.Kind == k.Sampler {
				if err != nil {
					t.Errorf("%s refuses its own knob %s: %v", other.Kind, k.Field, err)
				}
				continue
			}
			if fe == nil || fe.Field != k.Field || !strings.Contains(err.Error(), "not for the "+string(other.Kind)+" sampler") {
				t.Errorf("%s with %s's %s set: %v, want it refused", other.Kind, k.Sampler, k.Field, err)
			}
		}
	}
}
