package trained

import (
	"fmt"

	"github.com/ddpm-go/ddpm-go/ddpm"
	"github.com/ddpm-go/ddpm-go/internal/field"
	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/tensors"
)

// Guidance is the Guidance of o for n samples of m: none for an
// unconditional model or o.Unconditional, else the labels of o (one label
// for all, or BalancedLabels) with weight o.W. The error names the field of
// o that does not fit the model.
func (m *Model) Guidance(o GuidanceOptions, n int) (Guidance, error) {
	bad := func(name string, v any, want string, args ...any) error {
		return field.New("trained", "GuidanceOptions", name, v, want, args...)
	}
	k := m.Config.NumClasses
	switch {
	case !(o.W >= 0) || o.W > ddpm.MaxGuidance:
		return Guidance{}, bad("W", o.W, "must be a finite number in [0, %g] (what float32 carries)", ddpm.MaxGuidance)
	case k == 0 && o.Label >= 0:
		return Guidance{}, bad("Label", o.Label, "needs class-conditional weights (trained with labels); %s is unconditional", m.Path)
	case k == 0 && o.W != 0:
		return Guidance{}, bad("W", o.W, "needs class-conditional weights (trained with labels); %s is unconditional", m.Path)
	case k == 0 && o.Unconditional:
		return Guidance{}, bad("Unconditional", o.Unconditional, "needs class-conditional weights (trained with labels); %s is unconditional", m.Path)
	case k == 0 && !o.Interval.IsZero():
		return Guidance{}, bad("Interval", o.Interval, "needs class-conditional weights (trained with labels); %s is unconditional", m.Path)
	case o.Interval.Validate() != nil:
		return Guidance{}, bad("Interval", o.Interval, "must be σ_lo,σ_hi with 0 ≤ σ_lo < σ_hi")
	case !o.Interval.IsZero() && o.W == 0:
		return Guidance{}, bad("Interval", o.Interval, "limits guidance: give a guidance weight w > 0 too")
	case o.Unconditional && (o.Label >= 0 || o.W != 0):
		return Guidance{}, bad("Unconditional", o.Unconditional, "samples the null label: leave out the label and the guidance")
	case o.Label < -1 || o.Label >= max(k, 1):
		return Guidance{}, bad("Label", o.Label, "is not a label of these weights (0…%d)", k-1)
	case k == 0 || o.Unconditional:
		return Guidance{}, nil
	}
	if err := field.CheckFloats("trained", "GuidanceOptions", o); err != nil {
		return Guidance{}, err
	}
	if o.Label >= 0 {
		return Guidance{Labels: []int32{int32(o.Label)}, W: o.W, Interval: o.Interval}, nil
	}
	return Guidance{Labels: BalancedLabels(n, k), W: o.W, Interval: o.Interval}, nil
}

// DefaultGuidance is the guidance weight the weights' provenance names for
// sampling when none is asked for: 0 for unconditional weights or none named.
func (m *Model) DefaultGuidance() float64 {
	if m.Config.NumClasses == 0 || m.Provenance.Guidance == nil {
		return 0
	}
	return *m.Provenance.Guidance
}

// DefaultGuidanceInterval is the noise levels the weights' provenance limits
// default guidance to: the zero value (every step) when it names none.
func (m *Model) DefaultGuidanceInterval() ddpm.GuidanceInterval {
	if m.DefaultGuidance() == 0 || m.Provenance.GuidanceInterval == nil {
		return ddpm.GuidanceInterval{}
	}
	return *m.Provenance.GuidanceInterval
}

// CompleteGuidance fills what a sampling command left out from the weights'
// own defaults: w when wGiven is false, and the interval when intervalGiven
// is false and guidance is on (the recipe's interval was measured with its
// weight). Unconditional sampling takes neither.
func (m *Model) CompleteGuidance(o GuidanceOptions, wGiven, intervalGiven bool) GuidanceOptions {
	if o.Unconditional {
		return o
	}
	if !wGiven {
		o.W = m.DefaultGuidance()
	}
	if !intervalGiven && o.W > 0 {
		o.Interval = m.DefaultGuidanceInterval()
	}
	return o
}

// GuidedSampler prepares a sampler of kind cfg over the model (as the model
// samples it: [Model.Adapt]) with the labels and guidance
// weight of g, for a class-conditional model (trained with NumClasses > 0);
// with the zero Guidance a class-conditional model samples its
// unconditional network.
func (m *Model) GuidedSampler(backend compute.Backend, cfg ddpm.SampleConfig, g Guidance) (*ddpm.Sampler, error) {
	if err := m.Usable(); err != nil {
		return nil, err
	}
	net := m.Net()
	if g.Labels != nil || g.W != 0 {
		k := m.Config.NumClasses
		if k == 0 {
			return nil, fmt.Errorf("trained: %s is an unconditional model (trained without labels): labels and guidance need a class-conditional one", m.Path)
		}
		if len(g.Labels) == 0 {
			return nil, fmt.Errorf("trained: guidance w=%g needs labels (classes 0…%d)", g.W, k-1)
		}
		guided, err := ddpm.GuidedWithin(m.Config.Network.CondNet(), k, g.Labels, g.W, g.Interval.Mask(m.Schedule))
		if err != nil {
			return nil, err
		}
		net = guided
	}
	cfg, err := m.Adapt(cfg)
	if err != nil {
		return nil, err
	}
	return ddpm.NewSampler(backend, m.Store, m.Schedule, net, cfg)
}

// Sample draws n examples with the sampler cfg from seed; it returns them
// flattened [n, …] and the snapshots (nil unless cfg.SnapshotEvery > 0).
func (m *Model) Sample(backend compute.Backend, cfg ddpm.SampleConfig, n int, seed int64) (x0, snapshots *tensors.Tensor, err error) {
	return m.SampleGuided(backend, cfg, Guidance{}, n, seed)
}

// SampleGuided is [Model.Sample] with guidance g (see [Model.GuidedSampler]),
// in one compiled call (for large n see [Model.SampleMany]). Samples holding
// a NaN or an infinity are an error (they are neither written nor scored).
func (m *Model) SampleGuided(backend compute.Backend, cfg ddpm.SampleConfig, g Guidance, n int, seed int64) (x0, snapshots *tensors.Tensor, err error) {
	if n < 1 {
		return nil, nil, fmt.Errorf("trained: %d samples: at least 1", n)
	}
	sm, err := m.GuidedSampler(backend, cfg, g)
	if err != nil {
		return nil, nil, err
	}
	x0, snapshots, err = sm.SampleNoise(backend, append([]int{n}, m.Config.ExampleDims()...), seed)
	if err != nil {
		return nil, nil, err
	}
	if err := checkFiniteSamples(tensors.MustCopyFlatData[float32](x0), m.Path); err != nil {
		return nil, nil, err
	}
	return x0, snapshots, nil
}
