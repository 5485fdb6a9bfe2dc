package ckpt_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/ddpm-go/ddpm-go/ckpt"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// Save writes a store's variables and a JSON metadata value to a .ddpm file;
// Load reads them back into another store.
func Example() {
	dir, err := os.MkdirTemp("", "ckpt-example-")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "weights.ddpm")

	s := model.NewStore()
	s.VariableWithValue("/net/w", [][]float32{{1, 2, 3}, {4, 5, 6}})
	s.VariableWithValue("/ddpm/step", int64(42)).SetTrainable(false)
	if err := ckpt.Save(s, path, map[string]any{"steps": 42}); err != nil {
		fmt.Println(err)
		return
	}

	r := model.NewStore()
	meta, err := ckpt.Load(r, path)
	if err != nil {
		fmt.Println(err)
		return
	}
	w := r.GetVariable("/net/w").MustValue()
	fmt.Println(string(meta), w.Shape(), tensors.MustCopyFlatData[float32](w))
	fmt.Println(tensors.ToScalar[int64](r.GetVariable("/ddpm/step").MustValue()))

	// A file that is not a checkpoint: one line naming it.
	if err := os.WriteFile(filepath.Join(dir, "x.ddpm"), []byte("hello"), 0o644); err != nil {
		fmt.Println(err)
		return
	}
	_, err = ckpt.Load(model.NewStore(), filepath.Join(dir, "x.ddpm"))
	fmt.Println(strings.ReplaceAll(fmt.Sprint(err), dir, "DIR"))
	// Output:
	// {"steps":42} (Float32)[2, 3] [1 2 3 4 5 6]
	// 42
	// ckpt: DIR/x.ddpm: not a ddpm checkpoint (bad magic bytes)
}
