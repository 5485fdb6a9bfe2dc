package nets_test

import (
	"fmt"

	"github.com/ddpm-go/ddpm-go/nets"
)

// The parameter counts of the default networks, the reference networks of
// testdata/REFERENCES.md.
func Example_numParameters() {
	fmt.Println("2-D ε-MLP:     ", nets.MLPConfig{}.NumParameters())
	fmt.Println("MNIST ε-U-Net: ", nets.UNetConfig{}.NumParameters())
	fmt.Println("  with attention at 7×7:", nets.UNetConfig{AttentionRes: []int{7}}.NumParameters())
	// Output:
	// 2-D ε-MLP:      141058
	// MNIST ε-U-Net:  776929
	//   with attention at 7×7: 827233
}

// A network by its registry name, set as a command line would (-base 16),
// completed for MNIST digits with learned variances (twice the output
// channels), and counted: the base-16 U-Net's 196,465 parameters plus the
// second output channel's 3×3×16 weights and bias (145).
func ExampleNew() {
	n, err := nets.New("unet")
	if err != nil {
		panic(err)
	}
	if n, err = nets.Set(n, "base", "16"); err != nil {
		panic(err)
	}
	n, err = n.For(nets.Spec{Dims: []int{28, 28, 1}, OutFactor: 2})
	if err != nil {
		panic(err)
	}
	fmt.Println(n.Name(), n.Summary(), n.NumParameters())
	// Output:
	// unet base 16, mults 1,2,2, 28×28×1 196610
}
