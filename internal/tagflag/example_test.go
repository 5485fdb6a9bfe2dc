package tagflag_test

import (
	"fmt"
	"os"

	"github.com/ddpm-go/ddpm-go/internal/field"
	"github.com/ddpm-go/ddpm-go/internal/tagflag"
)

// TrainConfig is a package's configuration: its tags name its flags, its
// zero fields take the package's defaults.
type TrainConfig struct {
	LearningRate float64 `flag:"lr,zerodefault" usage:"learning rate"` // default 2e-4
	Seed         int64   `flag:"seed" usage:"random seed"`
}

// WithDefaults is the package's completion of c: the one place that states
// the default.
func (c TrainConfig) WithDefaults() TrainConfig {
	if c.LearningRate == 0 {
		c.LearningRate = 2e-4
	}
	return c
}

// Flags bound to the fields of a configuration: the help states the
// default the package completes, the flags given are laid over a preset,
// and the package's error about a field becomes a line naming the flag.
func Example() {
	var flags TrainConfig
	s := tagflag.New("train")
	s.Bind(&flags)
	s.Defaults(TrainConfig{}.WithDefaults())
	s.SetOutput(os.Stdout)
	s.PrintDefaults()

	if err := s.Parse([]string{"-lr", "-1"}); err != nil {
		panic(err)
	}
	preset := TrainConfig{LearningRate: 1e-3, Seed: 7}
	if err := s.Overlay(&preset, &flags); err != nil {
		panic(err)
	}
	fmt.Printf("%+v\n", preset)
	// What the package that owns TrainConfig says of it:
	err := field.New("ddpm", "TrainConfig", "LearningRate", preset.LearningRate, "must be a finite number > 0")
	fmt.Println(err)
	fmt.Println(s.Explain(err))
	// Output:
	//   -lr float
	//     	learning rate (default 0.0002)
	//   -seed int
	//     	random seed
	// {LearningRate:-1 Seed:7}
	// ddpm: TrainConfig.LearningRate = -1 must be a finite number > 0
	// -lr -1 must be a finite number > 0 true
}
