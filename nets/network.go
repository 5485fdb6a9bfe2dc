package nets

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/ddpm-go/ddpm-go/ddpm"
)

// Network is an ε-network architecture together with its configuration:
// one value of a configuration struct (such as [UNetConfig]) registered by
// name with [Register]. Everything above package nets — weight files, run
// folders, validation, the command line's flags, provenance — is derived
// from this interface and the registry, so a new network is one file of
// nets (its config type, its graph, its parameter count, its init
// registration) and its test.
//
// A Network's configuration fields are plain exported fields; their JSON
// encoding is what weight files and run.json store (keep field names stable:
// files written before a change must still load). A field tagged
// `flag:"name" usage:"…"` becomes the command-line flag -name of ddpm train
// (",zerodefault": 0 stands for the default, so an explicit 0 is refused);
// the command line reads the tags (internal/tagflag), and the default its
// help prints is [Network.For]'s completion of the zero configuration.
type Network interface {
	// Name is the name the network is registered and stored under.
	Name() string
	// For returns the configuration completed for the data and objective
	// of spec — its zero fields set to their defaults, its input and output
	// sizes and label count set from spec — and checked. A field the user
	// set that contradicts spec, or a value out of range, is a *field.Error
	// naming the field.
	For(spec Spec) (Network, error)
	// Net is the network as a ddpm.Net (the null label for a
	// class-conditional configuration), CondNet with labels. Both panic on
	// a configuration For has not completed, or on inputs of other shapes.
	Net() ddpm.Net
	CondNet() ddpm.CondNet
	// NumParameters is the number of scalar parameters, counted on the host
	// from the architecture (each network's test checks it against the
	// variables its graph creates).
	NumParameters() int
	// ExampleDims are the dimensions of one input example: [D] or [H, W, C].
	ExampleDims() []int
	// Summary is a short human description of the sizes ("base 16, mults
	// [1 2 2], 28×28×1"), for messages.
	Summary() string
}

// Spec is what the data and the training objective ask of a network.
type Spec struct {
	// Dims are one example's dimensions: [D] for points, [H, W, C] for
	// images (NHWC).
	Dims []int
	// OutFactor is the output's size as a multiple of the input's channels:
	// 1 (default, 0 too) for a prediction of the shape of x_t, 2 for a
	// learned-variance network (ddpm.Learned: the prediction, then Σθ's v).
	OutFactor int
	// NumClasses > 0 asks for a class-conditional network (a label
	// embedding of NumClasses classes and the null label).
	NumClasses int
}

func (s Spec) outFactor() int { return max(s.OutFactor, 1) }

// IsImage says whether the spec's examples are images [H, W, C].
func (s Spec) IsImage() bool { return len(s.Dims) == 3 }

// registration is one network of the registry.
type registration struct {
	name  string
	typ   reflect.Type // the configuration struct type (a value type)
	doc   string
	image bool // for images (else for points)
}

var registry []registration

// Register adds the network whose zero configuration is zero to the
// registry, under zero.Name(); doc is its one-line description for help
// texts; image says whether it takes images (else points). It panics on a
// duplicate name or a configuration that is not a struct value; networks
// call it from an init function.
func Register(zero Network, image bool, doc string) {
	t := reflect.TypeOf(zero)
	if t.Kind() != reflect.Struct {
		panic(fmt.Sprintf("nets.Register: %T is not a struct value", zero))
	}
	name := zero.Name()
	if _, ok := lookup(name); ok || name == "" || strings.ContainsAny(name, " ,") {
		panic(fmt.Sprintf("nets.Register: network name %q is taken or invalid", name))
	}
	registry = append(registry, registration{name: name, typ: t, doc: doc, image: image})
	slices.SortFunc(registry, func(a, b registration) int { return strings.Compare(a.name, b.name) })
}

func lookup(name string) (registration, bool) {
	for _, r := range registry {
		if r.name == name {
			return r, true
		}
	}
	return registration{}, false
}

// Names lists the registered networks, sorted; with images true only those
// for images, with false only those for points.
func Names(images bool) []string {
	var out []string
	for _, r := range registry {
		if r.image == images {
			out = append(out, r.name)
		}
	}
	return out
}

// Doc is the one-line description of the registered network name.
func Doc(name string) string {
	r, _ := lookup(name)
	return r.doc
}

// New is the zero configuration of the registered network name.
func New(name string) (Network, error) {
	r, ok := lookup(name)
	if !ok {
		return nil, unknown(name)
	}
	return reflect.New(r.typ).Elem().Interface().(Network), nil
}

func unknown(name string) error {
	return fmt.Errorf("nets: unknown network %q: use one of %s (images) or %s (points)", name, strings.Join(Names(true), ", "), strings.Join(Names(false), ", "))
}

// IsImageNet says whether the registered network name takes images.
func IsImageNet(name string) bool {
	r, _ := lookup(name)
	return r.image
}

// Decode reads the configuration of the registered network name from its
// JSON encoding (as weight files and run.json store it). Unknown fields
// are refused, so that a file written by a newer version is not silently
// read as another network.
func Decode(name string, raw json.RawMessage) (Network, error) {
	r, ok := lookup(name)
	if !ok {
		return nil, unknown(name)
	}
	p := reflect.New(r.typ)
	if len(raw) > 0 && string(raw) != "null" {
		dec := json.NewDecoder(strings.NewReader(string(raw)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(p.Interface()); err != nil {
			return nil, fmt.Errorf("nets: the %s configuration: %v", name, err) // not raw: it may span lines
		}
	}
	return p.Elem().Interface().(Network), nil
}

// imageSpec checks that spec holds square images and returns their side and
// channels; owner names the configuration type for the error.
func imageSpec(owner string, spec Spec) (side, channels int, err error) {
	if len(spec.Dims) != 3 || spec.Dims[0] != spec.Dims[1] || spec.Dims[0] < 1 || spec.Dims[2] < 1 {
		return 0, 0, fmt.Errorf("nets: %s is for square images [H, W, C], not examples of shape %v", owner, spec.Dims)
	}
	return spec.Dims[0], spec.Dims[2], nil
}
