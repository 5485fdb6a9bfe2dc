package field_test

import (
	"fmt"

	"github.com/ddpm-go/ddpm-go/internal/field"
)

// The package that owns a configuration returns a field error; a caller
// that knows which flag sets the field finds it in the error's chain.
func Example() {
	err := fmt.Errorf("sampling: %w", field.New("ddpm", "SampleConfig", "Eta", 1.5, "must lie in [%g, %g]", 0.0, 1.0))
	fmt.Println(err)
	if fe := field.As(err); fe != nil {
		fmt.Println(fe.Path(), fe.Value)
	}
	fmt.Println(field.As(fmt.Errorf("not a field error")) == nil)
	// Output:
	// sampling: ddpm: SampleConfig.Eta = 1.5 must lie in [0, 1]
	// SampleConfig.Eta 1.5
	// true
}
