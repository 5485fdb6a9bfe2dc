package atomicfile_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/ddpm-go/ddpm-go/internal/atomicfile"
)

// WriteFile writes a new file, replaces a file of its kind, and refuses
// anything else in one line before writing.
func ExampleWriteFile() {
	dir, err := os.MkdirTemp("", "atomicfile-example-")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	show := func(err error) { fmt.Println(strings.ReplaceAll(fmt.Sprint(err), dir, "DIR")) }

	path := filepath.Join(dir, "report.json")
	show(atomicfile.WriteFile(path, atomicfile.JSON, []byte(`{"fd": 1}`)))
	show(atomicfile.WriteFile(path, atomicfile.JSON, []byte(`{"fd": 2}`))) // a JSON file over a JSON file
	b, _ := os.ReadFile(path)
	fmt.Println(string(b))

	// A folder, a file that is not of the kind written (the user's own
	// notes), a wrong extension: refused, nothing written.
	if err := os.Mkdir(filepath.Join(dir, "sub.json"), 0o755); err != nil {
		fmt.Println(err)
		return
	}
	show(atomicfile.WriteFile(filepath.Join(dir, "sub.json"), atomicfile.JSON, []byte(`{}`)))
	notes := filepath.Join(dir, "notes.json")
	if err := os.WriteFile(notes, []byte("my notes, not JSON"), 0o644); err != nil {
		fmt.Println(err)
		return
	}
	show(atomicfile.WriteFile(notes, atomicfile.JSON, []byte(`{}`)))
	b, _ = os.ReadFile(notes)
	fmt.Println(string(b))
	show(atomicfile.WriteFile(filepath.Join(dir, "report.txt"), atomicfile.JSON, []byte(`{}`)))
	// Output:
	// <nil>
	// <nil>
	// {"fd": 2}
	// DIR/sub.json is a folder, not a file
	// DIR/notes.json exists and is not a JSON file: only a JSON file is replaced (what is there would be lost); choose another name or remove it
	// my notes, not JSON
	// DIR/report.txt: a JSON file's name must end in .json
}
