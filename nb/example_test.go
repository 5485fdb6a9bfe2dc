package nb_test

import (
	"fmt"

	"github.com/ddpm-go/ddpm-go/nb"
)

// A notebook cell's knob and output: nb.Interact (which needs a GoNB kernel)
// redraws the Out its view returns for the knobs' positions.
func Example() {
	// x₀ from −1 to 1 by 0.05, set to 0.5: positions −20 … 20, at 10.
	k := nb.Range("x₀", -1, 1, 20, 0.5)
	fmt.Println(k.Min, k.Max, k.Value, k.Show(k.Value))
	fmt.Println(k.At(-14)) // the decimal −0.7, not −1 + 6·0.05
	// What a view returns: lines of text and tables, as one HTML fragment
	// (ᾱ_1 = 1 − β_1 = 0.9999 on Ho et al.'s linear schedule, β_1 = 10⁻⁴, §4).
	out := nb.NewOut().Printf("paper t = %d", 100).Table([]string{"t", "ᾱ_t"}, []any{1, 0.9999})
	fmt.Println(out.HTML())
	// Output:
	// -20 20 10 x₀ = 0.5
	// -0.7
	// <pre style="margin: 0.2em 0">paper t = 100</pre><table><tr><th>t</th><th>ᾱ_t</th></tr><tr><td>1</td><td>0.9999</td></tr></table>
}
