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
