package ddpm

import (
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// The sampler registry (in the manner of database/sql.Register): each
// sampler is one file of this package that declares, in one samplerDef
// registered from its init, its name, its own knobs (fields of
// SampleConfig that no other sampler reads) with their validation, its
// default number of steps, its numbers of loop iterations and of network
// evaluations, and the loop it runs. SampleConfig's methods, SampleGraph,
// the command line's flags and the figures read the registry: none of them
// switches on a sampler's name, and a name that is not registered is an
// error everywhere.
//
// Adding a sampler is its file (a SamplerKind constant, its loop, an init
// calling registerSampler) and its test; a sampler with knobs also adds
// their fields to SampleConfig, the one configuration callers fill (see
// heun.go, dpmsolver.go).

// samplerDef describes one registered sampler.
type samplerDef struct {
	kind    SamplerKind
	summary string        // one line for -h: "DDIM (Song et al. 2021), S steps, η ∈ [0, 1]"
	knobs   []SamplerKnob // the SampleConfig fields only this sampler reads
	// defaultSteps is the default SampleConfig.Steps over T diffusion steps
	// (0: all T).
	defaultSteps func(T int) int
	// withDefaults fills the sampler's own zero knobs (c.Steps is already
	// set); nil for none.
	withDefaults func(c SampleConfig, s *Schedule) SampleConfig
	// validate checks the sampler's own knobs and its rules on the shared
	// fields (before or after WithDefaults; c.Kind is the sampler's, and the
	// shared fields are already checked); nil for none.
	validate func(c SampleConfig, T int) error
	// timesteps are the array indices visited, noisiest first (c.Steps may
	// be 0: the default); nil: the S indices of c.Spacing ([spacedTimesteps]).
	timesteps func(c SampleConfig, T int) []int
	// iterations and evaluations are the number of iterations of the
	// chain (the snapshots count them) and of network calls, for c with its
	// defaults.
	iterations, evaluations func(c SampleConfig, T int) int
	// build makes the chain; cfg holds its defaults.
	build func(scope *model.Scope, s *Schedule, net Net, cfg SampleConfig, shape shapes.Shape) chain
}

// SamplerKnob is a field of [SampleConfig] that belongs to one sampler:
// every other sampler refuses it when it is set (not its zero value).
type SamplerKnob struct {
	Sampler SamplerKind
	Field   string // the SampleConfig field: "Eta"
	What    string // what it is, for errors: "DDIM's η"
	// Ptr is the address of the field in *c. (Its command-line flag is the
	// field's tag.)
	Ptr func(c *SampleConfig) any
	// set, when not nil, says whether the knob is set in place of "the
	// field is not its zero value".
	set func(c SampleConfig) bool
}

// isSet says whether c sets the knob.
func (k SamplerKnob) isSet(c SampleConfig) bool {
	if k.set != nil {
		return k.set(c)
	}
	return !reflect.ValueOf(k.Ptr(&c)).Elem().IsZero()
}

// value is the knob's value in c, for errors.
func (k SamplerKnob) value(c SampleConfig) any { return reflect.ValueOf(k.Ptr(&c)).Elem().Interface() }

// chain is a sampler's loop as [SampleGraph] runs it: loops iterations of
// step in one graph.While, then the optional last and denoise.
type chain struct {
	loops int
	// init is the sampler's own loop state besides x and the RNG (the
	// previous x̂_0 of DPM-Solver++) from x_T, carried from iteration to
	// iteration; nil for most samplers.
	init func(xT *Node) []*Node
	step func(j, x, rng *Node, state []*Node) (xNew, rngNew *Node, stateNew []*Node)
	// last, when set, is one more iteration after the loop, unlike the
	// others (Heun's last step to σ = 0, with one network call instead of
	// two); it counts as an iteration and fills the last snapshot.
	last func(x, rng *Node, state []*Node) *Node
	// denoise, when set, maps the chain's end to x_0 outside the count of
	// iterations and snapshots (Langevin's final Tweedie step).
	denoise func(x *Node) *Node
}

// simpleStep is a chain step with no state of its own besides x and the RNG.
func simpleStep(f func(j, x, rng *Node) (*Node, *Node)) func(j, x, rng *Node, state []*Node) (*Node, *Node, []*Node) {
	return func(j, x, rng *Node, state []*Node) (*Node, *Node, []*Node) {
		x, rng = f(j, x, rng)
		return x, rng, state
	}
}

var samplerRegistry = map[SamplerKind]*samplerDef{}

// registerSampler adds d to the registry (from the init of its file).
func registerSampler(d samplerDef) {
	if _, dup := samplerRegistry[d.kind]; dup || d.kind == "" || d.defaultSteps == nil || d.iterations == nil || d.evaluations == nil || d.build == nil {
		panic(fmt.Sprintf("ddpm: sampler %q registered twice or incomplete", d.kind))
	}
	for i := range d.knobs {
		d.knobs[i].Sampler = d.kind
	}
	samplerRegistry[d.kind] = &d
}

// lookupSampler is the registered sampler of kind ("" is Ancestral).
func lookupSampler(kind SamplerKind) (*samplerDef, bool) {
	if kind == "" {
		kind = Ancestral
	}
	d, ok := samplerRegistry[kind]
	return d, ok
}

// mustSampler is lookupSampler for callers whose configuration must have
// passed [SampleConfig.Validate]: an unknown kind panics, naming the fix.
func mustSampler(kind SamplerKind) *samplerDef {
	d, ok := lookupSampler(kind)
	if !ok {
		panicf("ddpm: %q is not a sampler (use %s): SampleConfig.Validate refuses it", kind, samplerList())
	}
	return d
}

// SamplerInfo describes a registered sampler, for help texts.
type SamplerInfo struct {
	Kind    SamplerKind
	Summary string
	Knobs   []SamplerKnob
}

// Samplers lists the registered samplers, sorted by name.
func Samplers() []SamplerInfo {
	var out []SamplerInfo
	for _, d := range samplerRegistry {
		out = append(out, SamplerInfo{Kind: d.kind, Summary: d.summary, Knobs: slices.Clone(d.knobs)})
	}
	slices.SortFunc(out, func(a, b SamplerInfo) int { return strings.Compare(string(a.Kind), string(b.Kind)) })
	return out
}

// SamplerKnobs lists the knobs of every registered sampler (sorted by
// sampler, then in the order each declares them).
func SamplerKnobs() []SamplerKnob {
	var out []SamplerKnob
	for _, s := range Samplers() {
		out = append(out, s.Knobs...)
	}
	return out
}

// samplerList is "ancestral, ddim, … or langevin".
func samplerList() string {
	var names []string
	for _, s := range Samplers() {
		names = append(names, string(s.Kind))
	}
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// Iterations is the number of iterations of the sampler's chain over T
// diffusion steps — what [SampleConfig.SnapshotEvery] counts — with c's
// zero fields at their defaults. It panics for a kind that is not
// registered ([SampleConfig.Validate] refuses it with an error).
func (c SampleConfig) Iterations(T int) int {
	return mustSampler(c.Kind).iterations(c.stepDefaults(T), T)
}

// Evaluations is the number of network evaluations (NFE) of one chain over
// T diffusion steps, with c's zero fields at their defaults (a guided
// network doubles each one's batch). It panics for a kind that is not
// registered.
func (c SampleConfig) Evaluations(T int) int {
	return mustSampler(c.Kind).evaluations(c.stepDefaults(T), T)
}

// stepDefaults is c with its kind and steps at their defaults (the others
// stay: iterations and evaluations apply their own).
func (c SampleConfig) stepDefaults(T int) SampleConfig {
	d := mustSampler(c.Kind)
	c.Kind = d.kind
	if c.Steps == 0 {
		c.Steps = d.defaultSteps(T)
	}
	return c
}
