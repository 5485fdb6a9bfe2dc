package flagbind_test

import (
	"fmt"

	"github.com/ddpm-go/ddpm-go/internal/field"
	"github.com/ddpm-go/ddpm-go/internal/flagbind"
)

// A flag bound to the configuration field it sets: the owning package's
// error about the field becomes a line naming the flag.
func Example() {
	type TrainConfig struct{ LearningRate float64 } // 0: the package's default
	cfg := TrainConfig{}
	s := flagbind.New("train")
	s.Bind(&cfg.LearningRate, "lr", "TrainConfig.LearningRate", "learning rate (default 1e-3)", true)

	if err := s.Parse([]string{"-lr", "-1"}); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(cfg.LearningRate, s.Given("lr"), s.Check())
	// What the package that owns TrainConfig says of it:
	err := field.New("ddpm", "TrainConfig", "LearningRate", cfg.LearningRate, "must be a finite number > 0")
	fmt.Println(err)
	fmt.Println(s.Explain(err))

	// An explicit 0 would stand for the default: refused.
	s0 := flagbind.New("train")
	s0.Bind(&cfg.LearningRate, "lr", "TrainConfig.LearningRate", "learning rate", true)
	if err := s0.Parse([]string{"-lr", "0"}); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(s0.Check())
	// Output:
	// -1 true <nil>
	// ddpm: TrainConfig.LearningRate = -1 must be a finite number > 0
	// -lr -1 must be a finite number > 0 true
	// -lr 0 would stand for its default: leave the flag out for that, or give a value
}
