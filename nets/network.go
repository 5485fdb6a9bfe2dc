package nets

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
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
// (see [Params]); its default, printed in the help, is read from
// [Network.For]'s completion of the zero configuration.
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

// Param is a configuration field of a network exposed as a flag (the
// struct tag `flag:"name" usage:"…"`).
type Param struct {
	Flag    string // flag name, without the dash
	Owner   string // the configuration type that holds the field ("UNetConfig"), as a *field.Error names it
	Field   string // the Go field name
	Usage   string
	Default string // the default For gives the zero configuration for spec, "" when it depends on the data
}

// Params lists the flag fields of the registered network name (those of
// embedded configurations included), with the defaults For gives them for
// spec's data.
func Params(name string, spec Spec) []Param {
	r, ok := lookup(name)
	if !ok {
		return nil
	}
	var def reflect.Value
	if n, err := reflect.New(r.typ).Elem().Interface().(Network).For(spec); err == nil {
		def = reflect.ValueOf(n)
	}
	var out []Param
	var walk func(t reflect.Type, def reflect.Value)
	walk = func(t reflect.Type, def reflect.Value) {
		for i := range t.NumField() {
			f := t.Field(i)
			var dv reflect.Value
			if def.IsValid() {
				dv = def.Field(i)
			}
			if f.Anonymous && f.Type.Kind() == reflect.Struct {
				walk(f.Type, dv)
				continue
			}
			flag, ok := f.Tag.Lookup("flag")
			if !ok {
				continue
			}
			p := Param{Flag: flag, Owner: t.Name(), Field: f.Name, Usage: f.Tag.Get("usage")}
			if dv.IsValid() {
				p.Default = formatValue(dv)
			}
			out = append(out, p)
		}
	}
	walk(r.typ, def)
	return out
}

func formatValue(v reflect.Value) string {
	if v.Kind() == reflect.Slice {
		parts := make([]string, v.Len())
		for i := range parts {
			parts[i] = fmt.Sprint(v.Index(i).Interface())
		}
		return strings.Join(parts, ",")
	}
	return fmt.Sprint(v.Interface())
}

// Set returns n with the field behind flag set from its command-line text:
// integers (0, which a zero field means as "the default", is refused),
// floats, booleans, strings and comma-separated lists of integers. The
// error names the flag and what it wants.
func Set(n Network, flag, text string) (Network, error) {
	v := reflect.New(reflect.TypeOf(n)).Elem()
	v.Set(reflect.ValueOf(n))
	f, ok := flagField(v, flag)
	if !ok {
		return n, fmt.Errorf("-%s is not a setting of network %s (its settings: %s)", flag, n.Name(), strings.Join(flagNames(n.Name()), ", "))
	}
	text = strings.TrimSpace(text)
	switch f.Kind() {
	case reflect.Int:
		x, err := strconv.Atoi(text)
		if err != nil {
			return n, fmt.Errorf("-%s %q: want an integer", flag, text)
		}
		if x == 0 { // a zero size is the field's "default"
			return n, fmt.Errorf("-%s 0 would stand for its default: leave the flag out for that, or give a value", flag)
		}
		f.SetInt(int64(x))
	case reflect.Float64:
		x, err := strconv.ParseFloat(text, 64)
		if err != nil {
			return n, fmt.Errorf("-%s %q: want a number", flag, text)
		}
		f.SetFloat(x)
	case reflect.Bool:
		x, err := strconv.ParseBool(text)
		if err != nil {
			return n, fmt.Errorf("-%s %q: want true or false", flag, text)
		}
		f.SetBool(x)
	case reflect.String:
		f.SetString(text)
	case reflect.Slice:
		if f.Type().Elem().Kind() != reflect.Int {
			return n, fmt.Errorf("nets: flag -%s: unsupported list type %s", flag, f.Type())
		}
		list, err := IntList(text)
		if err != nil {
			return n, fmt.Errorf("-%s %q: want comma-separated positive integers, e.g. 1,2,2 (%v)", flag, text, err)
		}
		f.Set(reflect.ValueOf(list))
	default:
		return n, fmt.Errorf("nets: flag -%s: unsupported type %s", flag, f.Type())
	}
	return v.Interface().(Network), nil
}

// flagField is the field of the struct v tagged flag, searched in embedded
// configurations too.
func flagField(v reflect.Value, flag string) (reflect.Value, bool) {
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Anonymous && f.Type.Kind() == reflect.Struct {
			if x, ok := flagField(v.Field(i), flag); ok {
				return x, true
			}
			continue
		}
		if f.Tag.Get("flag") == flag {
			return v.Field(i), true
		}
	}
	return reflect.Value{}, false
}

func flagNames(name string) []string {
	var out []string
	for _, p := range Params(name, Spec{}) {
		out = append(out, "-"+p.Flag)
	}
	return out
}

// Flag is a command-line flag of one or more registered networks: the
// union of their [Params], for a command that lets the user choose the
// network after its flags are parsed.
type Flag struct {
	Name  string
	Usage string   // the first network's usage, with the defaults for the data ("default 2", or "default 2 for s2d-unet, 4 for uvit" when they differ)
	Nets  []string // the networks that have it
	Paths []string // the fields it sets, Owner.Field, as a *field.Error names them
}

// Flags lists the flags of every registered network, sorted by name, with
// the defaults for image data of imageDims and point data of pointDims.
func Flags(imageDims, pointDims []int) []Flag {
	byName := map[string]*Flag{}
	defaults := map[string][]string{} // flag → "value for net" of each network with a default
	for _, r := range registry {
		dims := pointDims
		if r.image {
			dims = imageDims
		}
		for _, p := range Params(r.name, Spec{Dims: dims}) {
			f, ok := byName[p.Flag]
			if !ok {
				f = &Flag{Name: p.Flag, Usage: p.Usage}
				byName[p.Flag] = f
			}
			f.Nets = append(f.Nets, r.name)
			f.Paths = append(f.Paths, p.Owner+"."+p.Field)
			if p.Default != "" {
				defaults[p.Flag] = append(defaults[p.Flag], p.Default+" for "+r.name)
			}
		}
	}
	var out []Flag
	for _, f := range byName {
		// One default for all the networks that have one is said once.
		if d := defaults[f.Name]; len(d) > 0 {
			values := map[string]bool{}
			for _, s := range d {
				values[s[:strings.LastIndex(s, " for ")]] = true
			}
			if len(values) == 1 {
				d = []string{d[0][:strings.LastIndex(d[0], " for ")]}
			}
			f.Usage += " (default " + strings.Join(d, ", ") + ")"
		}
		out = append(out, *f)
	}
	slices.SortFunc(out, func(a, b Flag) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// Choose returns the network name with settings applied (flag name → its
// text, as [Set] reads it): name "" keeps current (nil: def); a current
// network of another name is replaced by the zero configuration of name.
func Choose(current Network, def, name string, settings map[string]string) (Network, error) {
	switch {
	case name == "" && current == nil:
		name = def
	case name == "":
		name = current.Name()
	}
	n := current
	if n == nil || n.Name() != name {
		var err error
		if n, err = New(name); err != nil {
			return nil, err
		}
	}
	keys := make([]string, 0, len(settings))
	for k := range settings {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		var err error
		if n, err = Set(n, k, settings[k]); err != nil {
			return nil, err
		}
	}
	return n, nil
}

// IntList parses a comma-separated list of positive integers ("" is none).
func IntList(s string) ([]int, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var out []int
	for _, r := range strings.Split(s, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(r))
		if err != nil || v < 1 {
			return nil, fmt.Errorf("%q is not a positive integer", strings.TrimSpace(r))
		}
		out = append(out, v)
	}
	return out, nil
}

// imageSpec checks that spec holds square images and returns their side and
// channels; owner names the configuration type for the error.
func imageSpec(owner string, spec Spec) (side, channels int, err error) {
	if len(spec.Dims) != 3 || spec.Dims[0] != spec.Dims[1] || spec.Dims[0] < 1 || spec.Dims[2] < 1 {
		return 0, 0, fmt.Errorf("nets: %s is for square images [H, W, C], not examples of shape %v", owner, spec.Dims)
	}
	return spec.Dims[0], spec.Dims[2], nil
}
