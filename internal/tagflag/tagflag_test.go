package tagflag

import (
	"bytes"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ddpm-go/ddpm-go/internal/field"
)

// Test configurations, shaped as the project's: a package's configuration
// (TrainConfig) embedded in a run's (config), a named sub-configuration
// (Schedule), a text value (mode) and a duration.
type (
	kind  string
	mode  int
	sched struct {
		Kind kind `flag:"schedule" usage:"noise schedule"`
		T    int  `flag:"T,zerodefault" usage:"diffusion steps"`
	}
	TrainConfig struct {
		LearningRate float64 `flag:"lr,zerodefault" usage:"learning rate"`
		Seed         int64   `flag:"seed" usage:"random seed"`
		EMAWarmup    bool    `flag:"ema-warmup" usage:"EMA warm-up"`
		Mode         mode    `flag:"mode" usage:"a text value"`
		Devices      int     // no tag: no flag
	}
	config struct {
		Data     string        `flag:"data" usage:"data set"`
		Mults    []int         `flag:"mults" usage:"multipliers"`
		Cases    []string      `flag:"cases" usage:"cases"`
		MaxWall  time.Duration `flag:"max-time,zerodefault" usage:"wall time"`
		Schedule sched
		TrainConfig
		hidden int `flag:"hidden"` // unexported: no flag
	}
)

// The unexported field is read here so that it exists for the "-hidden" case
// below (refused: an unexported field gets no flag).
var _ = config{}.hidden

func (m mode) MarshalText() ([]byte, error) { return []byte([]string{"off", "on"}[m]), nil }
func (m *mode) UnmarshalText(b []byte) error {
	switch string(b) {
	case "off":
		*m = 0
	case "on":
		*m = 1
	default:
		return fmt.Errorf("mode %q: use off or on", b)
	}
	return nil
}

func parsed(t *testing.T, args ...string) (*Set, *config, error) {
	t.Helper()
	c := &config{Data: "swissroll"}
	s := New("train")
	s.SetOutput(io.Discard)
	s.Bind(c)
	if err := s.Parse(args); err != nil {
		return s, c, err
	}
	return s, c, s.Check()
}

// Every kind a field may have, read from its flag; the error of a value
// that is not one names what is wanted.
func TestKinds(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		args []string
		get  func(*config) any
		want any    // the field's value
		err  string // in the error, "" for none
	}{
		{[]string{"-data", "mnist"}, func(c *config) any { return c.Data }, "mnist", ""},
		{[]string{"-seed", "-7"}, func(c *config) any { return c.Seed }, int64(-7), ""},
		{[]string{"-seed", "x"}, nil, nil, "want an integer"},
		{[]string{"-T", "50"}, func(c *config) any { return c.Schedule.T }, 50, ""},
		{[]string{"-schedule", "cosine"}, func(c *config) any { return c.Schedule.Kind }, kind("cosine"), ""},
		{[]string{"-lr", "1e-3"}, func(c *config) any { return c.LearningRate }, 1e-3, ""},
		{[]string{"-lr", "fast"}, nil, nil, "want a number"},
		{[]string{"-ema-warmup"}, func(c *config) any { return c.EMAWarmup }, true, ""},
		{[]string{"-ema-warmup=false"}, func(c *config) any { return c.EMAWarmup }, false, ""},
		{[]string{"-mode", "on"}, func(c *config) any { return c.Mode }, mode(1), ""},
		{[]string{"-mode", "maybe"}, nil, nil, `mode "maybe": use off or on`},
		{[]string{"-max-time", "8m"}, func(c *config) any { return c.MaxWall }, 8 * time.Minute, ""},
		{[]string{"-max-time", "8"}, nil, nil, "want a duration"},
		{[]string{"-mults", "1, 2,2"}, func(c *config) any { return c.Mults }, []int{1, 2, 2}, ""},
		{[]string{"-mults", "1,two"}, nil, nil, `"two" is none`},
		{[]string{"-cases", "a,b"}, func(c *config) any { return c.Cases }, []string{"a", "b"}, ""},
		{[]string{"-lr", "NaN"}, nil, nil, "-lr NaN: must be a finite number"},
		{[]string{"-lr", "-Inf"}, nil, nil, "-lr -Inf: must be a finite number"},
		{[]string{"-hidden", "3"}, nil, nil, "flag provided but not defined: -hidden"},
		{[]string{"-Devices", "3"}, nil, nil, "not defined"},
	} {
		_, cfg, err := parsed(t, c.args...)
		switch {
		case c.err != "":
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%v: error %v, want %q", c.args, err, c.err)
			}
		case err != nil:
			t.Errorf("%v: %v", c.args, err)
		case !reflect.DeepEqual(c.get(cfg), c.want):
			t.Errorf("%v: %#v, want %#v", c.args, c.get(cfg), c.want)
		}
	}
}

// One meaning per value: an empty value is refused, and so is an explicit
// 0 of a zerodefault field (0 stands for the owner's default), but not of
// another; a flag left out is not given.
func TestEmptyAndExplicitZero(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		args []string
		err  string
	}{
		{[]string{"-data", ""}, `-data "": an empty value is not a setting`},
		{[]string{"-mults", ""}, `-mults "": an empty value`},
		{[]string{"-lr", ""}, `-lr "": an empty value`},
		{[]string{"-lr", "0"}, "-lr 0 would stand for its default: leave the flag out for that, or give a value"},
		{[]string{"-T", "0"}, "-T 0 would stand for its default"},
		{[]string{"-max-time", "0s"}, "-max-time 0 would stand for its default"},
		{[]string{"-seed", "0"}, ""},
		{[]string{"-lr", "-0.5"}, ""},
	} {
		s, _, err := parsed(t, c.args...)
		if (c.err == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), c.err) {
			t.Errorf("%v: error %v, want %q", c.args, err, c.err)
		}
		if name := strings.TrimPrefix(c.args[0], "-"); !s.Given(name) || s.Given("cases") {
			t.Errorf("%v: Given(%s) %v, Given(cases) %v", c.args, name, s.Given(name), s.Given("cases"))
		}
	}
}

// A *field.Error from the owner of a field becomes a line naming its flag,
// by every name the owner may give the field: its own type's, an outer
// owner's for a promoted field, Outer.Sub.Field for a named sub-struct. A
// field no flag sets keeps its own name; other errors are not explained.
func TestExplain(t *testing.T) {
	t.Parallel()
	s, _, _ := parsed(t)
	for _, c := range []struct {
		err  error
		want string // "" not explained
	}{
		{field.New("ddpm", "TrainConfig", "LearningRate", -1.0, "must be a finite number > 0"), "-lr -1 must be a finite number > 0"},
		{fmt.Errorf("wrapped: %w", field.New("experiment", "config", "LearningRate", 1e39, "overflows float32")), "-lr 1e+39 overflows float32"},
		{field.New("ddpm", "sched", "T", 0, "must lie in [1, 100000]"), "-T 0 must lie in [1, 100000]"},
		{field.New("experiment", "config", "Schedule.T", 7, "is odd"), "-T 7 is odd"},
		{field.New("experiment", "config", "Mults", "1,2,2,2", "has 4 levels"), "-mults 1,2,2,2 has 4 levels"},
		{field.New("experiment", "config", "Devices", 3, "is odd"), ""},  // unknown field
		{field.New("nets", "UNetConfig", "Base", -1, "must be ≥ 1"), ""}, // unknown owner
		{fmt.Errorf("not a field error"), ""},
		// A field named in the message becomes its flag too.
		{field.New("experiment", "config", "Data", "x", "has no labels: use TrainConfig.Seed or config.Schedule.T, not xconfig.Data"), "-data x has no labels: use -seed or -T, not xconfig.Data"},
	} {
		line, ok := s.Explain(c.err)
		switch fe := field.As(c.err); {
		case c.want != "" && (!ok || line != c.want):
			t.Errorf("%v: %q, %v; want %q", c.err, line, ok, c.want)
		case c.want == "" && fe != nil && (!ok || line != fmt.Sprintf("%s = %v %s", fe.Path(), fe.Value, fe.Want)):
			t.Errorf("%v: %q, %v; want the field's own line", c.err, line, ok)
		case c.want == "" && fe == nil && ok:
			t.Errorf("%v: explained as %q", c.err, line)
		}
	}
}

// Rewrite names the flags of the fields a message names, whole words only;
// Rename gives a tag's field another flag.
func TestRewriteAndRename(t *testing.T) {
	t.Parallel()
	s, _, _ := parsed(t)
	for msg, want := range map[string]string{
		"set TrainConfig.LearningRate":             "set -lr",
		"(config.Schedule.T, sched.T)":             "(-T, -T)",
		"MyTrainConfig.LearningRate, config.Data.": "MyTrainConfig.LearningRate, -data.",
		"config.DataDir and config.Devices":        "config.DataDir and config.Devices",
	} {
		if got := s.Rewrite(msg); got != want {
			t.Errorf("Rewrite(%q) = %q, want %q", msg, got, want)
		}
	}
	c := &sched{}
	r := New("schedule")
	r.Bind(c, Rename{Tag: "schedule", Flag: "kind"})
	if err := r.Parse([]string{"-kind", "cosine"}); err != nil || c.Kind != "cosine" || r.Lookup("schedule") != nil {
		t.Errorf("renamed: %v, %+v", err, c)
	}
	if line, _ := r.Explain(field.New("ddpm", "sched", "Kind", "warp", "is not a schedule")); line != "-kind warp is not a schedule" {
		t.Errorf("renamed: %q", line)
	}
}

// The flags given are laid over a preset field by field; the others keep
// the preset's values. A source that is not what was bound is an error,
// never a silent skip.
func TestOverlay(t *testing.T) {
	t.Parallel()
	s, flags, err := parsed(t, "-lr", "1e-3", "-T", "50", "-mults", "1,2")
	if err != nil {
		t.Fatal(err)
	}
	preset := config{Data: "mnist", Mults: []int{1, 2, 2}, Schedule: sched{Kind: "cosine", T: 1000}, TrainConfig: TrainConfig{LearningRate: 2e-4, Seed: 9}}
	if err := s.Overlay(&preset, flags); err != nil {
		t.Fatal(err)
	}
	want := config{Data: "mnist", Mults: []int{1, 2}, Schedule: sched{Kind: "cosine", T: 50}, TrainConfig: TrainConfig{LearningRate: 1e-3, Seed: 9}}
	if !reflect.DeepEqual(preset, want) {
		t.Errorf("overlay:\n%+v, want\n%+v", preset, want)
	}
	// A sub-configuration of what was bound is bound too.
	sub := sched{Kind: "sigmoid", T: 10}
	if err := s.Overlay(&sub, &flags.Schedule); err != nil || sub != (sched{Kind: "sigmoid", T: 50}) {
		t.Errorf("sub-configuration: %+v, %v", sub, err)
	}
	if !s.Bound("T", &flags.Schedule) || s.Bound("lr", &flags.Schedule) || s.Bound("T", &config{}) {
		t.Error("Bound: wrong")
	}
	for _, c := range []struct {
		dst, src any
		err      string
	}{
		{&preset, &config{}, "-data) of *tagflag.config is not bound to its flag"},
		{&preset, flags.Schedule, "two pointers to one struct type"},
		{&sub, flags, "two pointers to one struct type"},
	} {
		if err := s.Overlay(c.dst, c.src); err == nil || !strings.Contains(err.Error(), c.err) {
			t.Errorf("Overlay(%T, %T): %v, want %q", c.dst, c.src, err, c.err)
		}
	}
}

// One name bound to the fields of two configurations (two networks that
// share a setting) sets both; Bound tells which configuration has it.
func TestOneFlagTwoConfigurations(t *testing.T) {
	t.Parallel()
	type UNet struct {
		Base  int   `flag:"base,zerodefault" usage:"channels"`
		Mults []int `flag:"mults" usage:"multipliers"`
	}
	type s2d struct {
		Patch int `flag:"patch,zerodefault" usage:"patch side"`
		UNet
	}
	type uvit struct {
		Patch int `flag:"patch,zerodefault" usage:"patch side"`
	}
	a, b, c := &UNet{}, &s2d{}, &uvit{}
	s := New("train")
	s.Bind(a)
	s.Bind(b)
	s.Bind(c)
	if err := s.Parse([]string{"-patch", "4", "-base", "16"}); err != nil {
		t.Fatal(err)
	}
	if a.Base != 16 || b.Base != 16 || b.Patch != 4 || c.Patch != 4 {
		t.Errorf("%+v %+v %+v", a, b, c)
	}
	if s.Bound("patch", a) || !s.Bound("patch", b) || !s.Bound("mults", b) || s.Bound("mults", c) {
		t.Error("Bound: wrong")
	}
}

// Bind refuses, by panicking, what is a bug of its caller.
func TestBindPanics(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		bind func(s *Set)
		want string
	}{
		{"not a pointer", func(s *Set) { s.Bind(config{}) }, "not a pointer to a struct"},
		{"no flag reads it", func(s *Set) {
			s.Bind(&struct {
				F map[string]int `flag:"f"`
			}{})
		}, "no flag reads it"},
		{"two types", func(s *Set) {
			s.Bind(&struct {
				A int `flag:"x"`
			}{})
			s.Bind(&struct {
				B string `flag:"x"`
			}{})
		}, "-x is bound to a int"},
		{"a plain flag", func(s *Set) { s.String("data", "", ""); s.Bind(&config{}) }, "-data is already a flag"},
	} {
		func() {
			defer func() {
				if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), c.want) {
					t.Errorf("%s: panic %v, want %q", c.name, r, c.want)
				}
			}()
			c.bind(New("x"))
		}()
	}
}

// The help prints one default per flag, from the completed configurations
// given to Defaults and DefaultsWhen: a value said once when all agree, else
// each value with the labels it holds for; a zerodefault field's 0 under a
// label (the owner's own rule) is not a value; a default in the usage's
// words, or SetDefault's, takes the place of the rest; a flag off by
// default says none.
func TestHelp(t *testing.T) {
	t.Parallel()
	c := &config{Data: "swissroll"}
	s := New("train")
	s.Bind(c)
	s.String("model", "", "network (default `unet` for images)")
	s.Defaults(config{Data: "swissroll", Mults: []int{1, 2}, Schedule: sched{Kind: "linear", T: 1000}, TrainConfig: TrainConfig{LearningRate: 1e-3}})
	s.DefaultsWhen("images", config{Data: "mnist", Mults: []int{1, 2}, Schedule: sched{Kind: "linear", T: 1000}, TrainConfig: TrainConfig{LearningRate: 2e-4, Mode: 1}}, "data")
	s.DefaultsWhen("cifar10", &config{Data: "cifar10", Mults: []int{1, 2, 2}, Schedule: sched{Kind: "linear", T: 1000}, TrainConfig: TrainConfig{LearningRate: 2e-4}}, "data")
	s.SetDefault("max-time", "the preset's budget")
	var b bytes.Buffer
	s.SetOutput(&b)
	s.PrintDefaults()
	for _, want := range []string{
		"  -T int\n    \tdiffusion steps (default 1000)\n",
		"  -data string\n    \tdata set (default \"swissroll\")\n",
		"  -lr float\n    \tlearning rate (default 0.001; 0.0002 for images and cifar10)\n",
		"  -mults list\n    \tmultipliers (default 1,2; 1,2,2 for cifar10)\n",
		"  -mode value\n    \ta text value (default off; on for images)\n",
		"  -schedule string\n    \tnoise schedule (default \"linear\")\n",
		"  -max-time duration\n    \twall time (default the preset's budget)\n",
		"  -model unet\n    \tnetwork (default unet for images)\n",
		"  -ema-warmup\n    \tEMA warm-up\n",
		"  -seed int\n    \trandom seed\n",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("help lacks %q:\n%s", want, b.String())
		}
	}
	if n := strings.Count(b.String(), "(default"); n != 8 {
		t.Errorf("%d defaults, want 8:\n%s", n, b.String())
	}

	// Labels alone; a zerodefault 0 is left out (it stands for the owner's
	// rule, which the usage says in words); where the completed
	// configurations say nothing, the value bound speaks.
	type net struct {
		Patch int    `flag:"patch,zerodefault" usage:"patch side"`
		Steps int    `flag:"steps,zerodefault" usage:"steps"`
		Out   string `flag:"out" usage:"output"`
	}
	s2 := New("sample")
	s2.Bind(&net{Out: "samples.png"})
	s2.Defaults(net{})
	s2.DefaultsWhen("s2d-unet", net{Patch: 2, Steps: 50})
	s2.DefaultsWhen("uvit", net{Patch: 4, Steps: 50})
	s2.DefaultsWhen("ancestral", net{Patch: 0})
	b.Reset()
	s2.SetOutput(&b)
	s2.PrintDefaults()
	for _, want := range []string{"patch side (default 2 for s2d-unet; 4 for uvit)\n", "steps (default 50)\n", "output (default \"samples.png\")\n"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("help lacks %q:\n%s", want, b.String())
		}
	}
}
