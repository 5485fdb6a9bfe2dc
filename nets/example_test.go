package nets_test

import (
	"fmt"

	"github.com/ddpm-go/ddpm-go/nets"
)

// The parameter counts of the default networks: the reference networks of
// testdata/REFERENCES.md, then the CPU-shaped ones (s2dunet.go, uvit.go).
func Example_numParameters() {
	fmt.Println("2-D ε-MLP:     ", nets.MLPConfig{}.NumParameters())
	fmt.Println("MNIST ε-U-Net: ", nets.UNetConfig{}.NumParameters())
	fmt.Println("  with attention at 7×7:", nets.UNetConfig{AttentionRes: []int{7}}.NumParameters())
	fmt.Println("space-to-depth U-Net (p = 2):", nets.S2DUNetConfig{}.NumParameters())
	fmt.Println("  p = 4, base 64, one level:", nets.S2DUNetConfig{Patch: 4}.NumParameters())
	fmt.Println("U-ViT (p = 4, width 128, 7 blocks):", nets.UViTConfig{}.NumParameters())
	// Output:
	// 2-D ε-MLP:      141058
	// MNIST ε-U-Net:  776929
	//   with attention at 7×7: 827233
	// space-to-depth U-Net (p = 2): 494820
	//   p = 4, base 64, one level: 500368
	// U-ViT (p = 4, width 128, 7 blocks): 1518224
}

// A network by its registry name, its zero configuration given a base of
// 16 channels (as -base 16 would), completed for MNIST digits with learned
// variances (twice the output channels), and counted: the base-16 U-Net's
// 196,465 parameters plus the second output channel's 3×3×16 weights and
// bias (145).
func ExampleNew() {
	n, err := nets.New("unet")
	if err != nil {
		panic(err)
	}
	u := n.(nets.UNetConfig)
	u.Base = 16
	n, err = u.For(nets.Spec{Dims: []int{28, 28, 1}, OutFactor: 2})
	if err != nil {
		panic(err)
	}
	fmt.Println(n.Name(), n.Summary(), n.NumParameters())
	// Output:
	// unet base 16, mults 1,2,2, 28×28×1 196610
}
