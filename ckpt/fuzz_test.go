package ckpt

import (
	"bytes"
	"encoding/binary"
	"os"
	"strings"
	"testing"

	"github.com/ddpm-go/ddpm-go/internal/fuzzcount"

	"github.com/gomlx/gomlx/ml/model"
)

// FuzzLoad feeds checkpoint and weight files, real ones (testdata/) and
// mutations of them, to the reader: it must return a one-line error or a
// store, never panic, and never allocate more than the file's bytes allow
// (the data of every variable is checked against the file before it is
// allocated).
func FuzzLoad(f *testing.F) {
	for _, name := range []string{"testdata/tiny-ckpt.ddpm", "testdata/tiny-weights.ddpm"} {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		f.Add(b[:len(b)/2])
	}
	f.Add(file(`{"vars":[{"path":"/net/w","dtype":"Float32","dims":[-1,4],"offset":0,"bytes":0}]}`, nil))
	f.Add(file(`{"vars":[{"path":"/net/w","dtype":"Float32","dims":[4611686018427387904,4],"offset":0,"bytes":0}]}`, nil))
	f.Add(file(`{"vars":[{"path":"","dtype":"Int8","dims":[],"offset":0,"bytes":1,"crc32":3523407757}]}`, []byte{0}))
	f.Fuzz(func(t *testing.T, b []byte) {
		fuzzcount.Exec("FuzzLoad")
		h, data, err := parse(b, "f.ddpm")
		if err == nil {
			_, err = load(model.NewStore(), h, data, "f.ddpm")
		}
		if err != nil && strings.Contains(err.Error(), "\n") {
			t.Errorf("multi-line error: %q", err)
		}
	})
}

// file builds a checkpoint file from a JSON header and data.
func file(hdr string, data []byte) []byte {
	var buf bytes.Buffer
	buf.WriteString(magic)
	_ = binary.Write(&buf, binary.LittleEndian, uint32(len(hdr)))
	buf.WriteString(hdr)
	buf.Write(data)
	return buf.Bytes()
}
