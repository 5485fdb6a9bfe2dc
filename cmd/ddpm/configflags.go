package main

import (
	"flag"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"

	"github.com/ddpm-go/ddpm-go/data"
	"github.com/ddpm-go/ddpm-go/ddpm"
	"github.com/ddpm-go/ddpm-go/nets"
	"github.com/ddpm-go/ddpm-go/recipe"
)

// configFlags registers on f the flags of a run's recipe.Config, ddpm
// train's: the tagged fields of recipe.Config (the data, the batch, the
// schedule, ddpm.TrainConfig) and of every registered network, with
// -preset, -model and -cond. It returns the function that builds the
// configuration after parsing: the preset's (-preset), each flag given laid
// over its field, the network chosen (-model, else the preset's, else the
// data's default) with its flags given laid over it, completed once by
// recipe.Config.WithDefaults.
func configFlags(f *flags) func() (recipe.Config, recipe.Preset, error) {
	var c recipe.Config
	f.Bind(&c)
	f.Lookup("data").Usage += fmt.Sprintf(": %s (points) or %s (images)", strings.Join(data.ToyNames(), ", "), strings.Join(data.ImageNames(), ", "))
	f.Lookup("data-dir").Usage += ": " + data.DirHelp()
	preset := f.String("preset", "", "start from a named recipe: "+strings.Join(recipe.PresetNames(), ", ")+" (the other flags change it)")
	model := f.String("model", "", fmt.Sprintf("network: %s (images) or %s (points)", strings.Join(nets.Names(true), ", "), strings.Join(nets.Names(false), ", ")))
	cond := f.Bool("cond", false, "class-conditional network for classifier-free guidance (labelled data: "+strings.Join(data.LabelledNames(), ", ")+")")

	// Every network's flags, bound to its zero configuration; the help says
	// which networks have each one.
	byNet := map[string]any{}
	names := slices.Concat(nets.Names(true), nets.Names(false))
	slices.Sort(names)
	for _, name := range names {
		n, err := nets.New(name)
		if err != nil {
			panic(err) // cannot happen: a registered name
		}
		byNet[name] = pointerTo(n)
		f.Bind(byNet[name])
	}
	have := map[string][]string{} // net flag → the networks that have it
	f.VisitAll(func(fl *flag.Flag) {
		for _, name := range names {
			if f.Bound(fl.Name, byNet[name]) {
				have[fl.Name] = append(have[fl.Name], name)
			}
		}
	})
	for fl, l := range have {
		f.Lookup(fl).Usage += "; network " + strings.Join(l, ", ")
	}

	// The defaults, as the code completes a zero configuration: for the
	// default data (points) and for images; each network's for its data.
	points, errP := recipe.Config{}.WithDefaults()
	images, errI := recipe.Config{Data: recipe.MNIST}.WithDefaults()
	if errP != nil || errI != nil {
		panic(fmt.Sprintf("the zero configuration does not complete: %v, %v", errP, errI)) // a bug of recipe
	}
	f.Defaults(points)
	f.Defaults(ddpm.ScheduleConfig{}.WithDefaults())
	f.DefaultsWhen("images", images, "data")
	f.SetDefault("model", fmt.Sprintf("%s for images, %s for points", images.ModelName(), points.ModelName()))
	f.SetDefault("p-uncond", fmt.Sprint(ddpm.DefaultPUncond))
	f.SetDefault("adam-beta2", fmt.Sprint(ddpm.DefaultAdamBeta2))
	for _, name := range names {
		spec := points.Spec()
		if nets.IsImageNet(name) {
			spec = images.Spec()
		}
		if def, err := netOf(byNet[name]).For(spec); err == nil {
			f.DefaultsWhen(name, def)
		}
	}

	return func() (recipe.Config, recipe.Preset, error) {
		var p recipe.Preset
		if *preset != "" {
			var err error
			if p, err = recipe.GetPreset(*preset); err != nil {
				return c, p, badFlag("-preset %q: use one of %s", *preset, strings.Join(recipe.PresetNames(), ", "))
			}
		}
		cfg := p.Config
		if err := f.Overlay(&cfg, &c); err != nil {
			return cfg, p, err
		}
		if *cond {
			if cfg.NumClasses = recipe.DataClasses(cfg.Data); cfg.NumClasses == 0 {
				return cfg, p, badFlag("-cond needs labelled data: %s, not %s", strings.Join(data.LabelledNames(), ", "), cfg.Data)
			}
		}
		// The network: -model's, else the preset's, else the data's
		// default, with its flags given laid over it.
		name := *model
		switch {
		case name == "" && cfg.Network != nil:
			name = cfg.Network.Name()
		case name == "" && recipe.IsImageData(cfg.Data):
			name = images.ModelName()
		case name == "":
			name = points.ModelName()
		}
		src, ok := byNet[name]
		if !ok {
			return cfg, p, badFlag("-model %s: use one of %s (images) or %s (points)", name, strings.Join(nets.Names(true), ", "), strings.Join(nets.Names(false), ", "))
		}
		dst := pointerTo(netOf(src))
		if cfg.Network != nil && cfg.Network.Name() == name {
			dst = pointerTo(cfg.Network) // the preset's network, changed by the flags given
		}
		for _, fl := range slices.Sorted(maps.Keys(have)) {
			if f.Given(fl) && !f.Bound(fl, src) {
				var own []string
				for other, l := range have {
					if slices.Contains(l, name) {
						own = append(own, "-"+other)
					}
				}
				slices.Sort(own)
				return cfg, p, badFlag("-%s is not a setting of network %s (its settings: %s)", fl, name, strings.Join(own, ", "))
			}
		}
		if err := f.Overlay(dst, src); err != nil {
			return cfg, p, err
		}
		cfg.Network = netOf(dst)
		var err error
		cfg, err = cfg.WithDefaults()
		return cfg, p, err
	}
}

// pointerTo is a pointer to a copy of v (a configuration held in an
// interface, such as a nets.Network), for binding its fields.
func pointerTo(v any) any {
	p := reflect.New(reflect.TypeOf(v))
	p.Elem().Set(reflect.ValueOf(v))
	return p.Interface()
}

// netOf is the network *p holds (p from pointerTo).
func netOf(p any) nets.Network { return reflect.ValueOf(p).Elem().Interface().(nets.Network) }
