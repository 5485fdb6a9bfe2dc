package inputfile_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/ddpm-go/ddpm-go/internal/inputfile"
)

// An input is read only when it is a regular file of a size it may have:
// a device, a folder or a file too large for its kind gets one line saying
// so, before a byte is read.
func ExampleReadFile() {
	dir, err := os.MkdirTemp("", "inputfile-example-")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	runJSON := filepath.Join(dir, "run.json")
	if err := os.WriteFile(runJSON, []byte(`{"data":"moons"}`), 0o644); err != nil {
		fmt.Println(err)
		return
	}
	show := func(b []byte, err error) { // the temporary folder printed as DIR
		if err != nil {
			fmt.Println(strings.ReplaceAll(err.Error(), dir, "DIR"))
			return
		}
		fmt.Printf("%s\n", b)
	}
	show(inputfile.ReadFile(runJSON, 1<<20))
	show(inputfile.ReadFile(runJSON, 8)) // a limit of 8 bytes
	show(inputfile.ReadFile("/dev/zero", 1<<20))
	show(inputfile.ReadFile(dir, 1<<20))
	show(inputfile.ReadFile(filepath.Join(dir, "history.json"), 1<<20))
	// Output:
	// {"data":"moons"}
	// DIR/run.json: 16 bytes, more than the 8 such a file can hold
	// /dev/zero is a character device, not a regular file
	// DIR is a folder, not a file
	// DIR/history.json: no such file or directory
}
