package backend_test

import (
	"fmt"

	"github.com/ddpm-go/ddpm-go/backend"
)

// A backend of one's own from a $GOMLX_BACKEND-style configuration: here
// GoMLX's pure-Go backend (with the deadlock workaround of SafeConfig),
// named and classified as the rest of the project sees it. [New], the
// process-wide choice, depends on the machine (XLA when a plugin is
// installed), so it has no example with a fixed output.
func ExampleNewWithConfig() {
	b, err := backend.NewWithConfig(backend.SafeConfig("go"))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(backend.NameOf(b), backend.PlatformOf(b), backend.DefaultDevices(b))
	// Output:
	// go go 1
}
