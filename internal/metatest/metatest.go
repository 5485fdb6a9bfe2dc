// Package metatest is test support for readers of checkpoint and weight
// files (run and trained): a real file with its metadata edited, re-encoded
// so that it passes the file's own checks and reaches the reader's. It is
// apart from package fuzzcount because ckpt's own tests import that one.
package metatest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ddpm-go/ddpm-go/ckpt"
	"github.com/gomlx/gomlx/ml/model"
)

// WithMeta returns the checkpoint or weight file b with old replaced by new
// in its metadata, re-encoded by ckpt.Save (header length and checksums
// right), so that a fuzz seed reaches the checks after the file's own.
func WithMeta(tb testing.TB, b []byte, old, new string) []byte {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "w.ddpm")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		tb.Fatal(err)
	}
	store := model.NewStore()
	meta, err := ckpt.Load(store, path)
	if err != nil {
		tb.Fatal(err)
	}
	meta = json.RawMessage(strings.Replace(string(meta), old, new, 1))
	if err := ckpt.Save(store, path, meta); err != nil {
		tb.Fatal(err)
	}
	out, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return out
}
