package data

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// idxBytes encodes a uint8 IDX file with the given magic, dimensions and
// payload.
func idxBytes(magic uint32, dims []uint32, payload []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, magic)
	for _, d := range dims {
		b = binary.BigEndian.AppendUint32(b, d)
	}
	return append(b, payload...)
}

func gzipBytes(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func writeFile(t *testing.T, dir, name string, b []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// ramp returns n bytes 0, 1, 2, … (mod 256).
func ramp(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i)
	}
	return b
}

// checkErr fails unless err is a one-line error naming path and containing
// every fragment.
func checkErr(t *testing.T, err error, path string, fragments ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one containing %q", fragments)
	}
	msg := err.Error()
	if strings.Contains(msg, "\n") {
		t.Errorf("error is not one line: %q", msg)
	}
	if path != "" && !strings.Contains(msg, path) {
		t.Errorf("error %q does not name the file %s", msg, path)
	}
	for _, f := range fragments {
		if !strings.Contains(msg, f) {
			t.Errorf("error %q does not contain %q", msg, f)
		}
	}
}

func TestReadIDXImages(t *testing.T) {
	dir := t.TempDir()
	raw := idxBytes(IDXMagicImages, []uint32{3, 2, 4}, ramp(24))
	gz := gzipBytes(t, raw)
	// Compression is detected from content, not the name: the misnamed
	// files must read the same.
	for name, b := range map[string][]byte{
		"plain": raw, "plain.gz": raw, "zipped.gz": gz, "zipped-no-ext": gz,
	} {
		t.Run(name, func(t *testing.T) {
			im, err := ReadIDXImages(writeFile(t, dir, name, b))
			if err != nil {
				t.Fatal(err)
			}
			if im.N != 3 || im.H != 2 || im.W != 4 || im.C != 1 {
				t.Fatalf("dims = %d×%d×%d×%d, want 3×2×4×1", im.N, im.H, im.W, im.C)
			}
			if !slices.Equal(im.Pix, ramp(24)) {
				t.Fatalf("pixels = %v, want 0..23", im.Pix)
			}
		})
	}
}

func TestReadIDXLabels(t *testing.T) {
	dir := t.TempDir()
	want := []byte{5, 0, 4, 1, 9}
	raw := idxBytes(IDXMagicLabels, []uint32{5}, want)
	for name, b := range map[string][]byte{"plain": raw, "zipped.gz": gzipBytes(t, raw)} {
		got, err := ReadIDXLabels(writeFile(t, dir, name, b))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: labels = %v, want %v", name, got, want)
		}
	}
	// An empty label file (N = 0) is valid.
	got, err := ReadIDXLabels(writeFile(t, dir, "empty", idxBytes(IDXMagicLabels, []uint32{0}, nil)))
	if err != nil || len(got) != 0 {
		t.Errorf("N=0: got %v, %v; want no labels, no error", got, err)
	}
}

func TestReadIDXErrors(t *testing.T) {
	dir := t.TempDir()
	images := idxBytes(IDXMagicImages, []uint32{2, 2, 3}, ramp(12))
	gz := gzipBytes(t, images)
	badCRC := slices.Clone(gz)
	badCRC[len(badCRC)-8] ^= 0xff // first byte of the CRC-32 trailer

	tests := []struct {
		name      string
		content   []byte
		labels    bool // read with ReadIDXLabels instead of ReadIDXImages
		fragments []string
	}{
		{"empty", nil, false, []string{"truncated header", "expected 16 bytes, got 0"}},
		{"short-header", images[:6], false, []string{"truncated header", "expected 16 bytes, got 6"}},
		{"truncated", images[:16+7], false, []string{"truncated payload (2×2×3)", "expected 12 bytes, got 7"}},
		{"trailing", append(slices.Clone(images), 1, 2, 3), false, []string{"3 unexpected bytes", "2×2×3"}},
		{"labels-as-images", idxBytes(IDXMagicLabels, []uint32{4}, ramp(4)), false,
			[]string{"bad IDX magic 0x00000801, want 0x00000803", "a label file"}},
		{"images-as-labels", images, true, []string{"bad IDX magic 0x00000803, want 0x00000801", "an image file"}},
		{"text", []byte("<!DOCTYPE html><html>not found</html>"), false, []string{"not an IDX file"}},
		{"float-idx", idxBytes(0x00000d03, []uint32{1, 1, 1}, make([]byte, 4)), false, []string{"3-D float32 IDX data"}},
		{"huge-dims", idxBytes(IDXMagicImages, []uint32{0xffffffff, 0xffffffff, 0xffffffff}, nil), false,
			[]string{"4294967295×4294967295×4294967295", "exceed"}},
		{"zero-width", idxBytes(IDXMagicImages, []uint32{1, 28, 0}, nil), false, []string{"28×0"}},
		{"gzip-cut", gz[:len(gz)/2], false, []string{"read error", "re-download"}},
		{"gzip-short-payload", gzipBytes(t, images[:20]), false, []string{"expected 12 bytes, got 4"}},
		{"gzip-bad-crc", badCRC, false, []string{"corrupt data after the 12-byte payload", "checksum"}},
		{"gzip-bad-header", []byte{0x1f, 0x8b, 0, 0}, false, []string{"gzip header is corrupt"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := writeFile(t, dir, tc.name, tc.content)
			var err error
			if tc.labels {
				_, err = ReadIDXLabels(path)
			} else {
				_, err = ReadIDXImages(path)
			}
			checkErr(t, err, path, tc.fragments...)
		})
	}

	t.Run("missing", func(t *testing.T) {
		path := filepath.Join(dir, "no-such-file")
		_, err := ReadIDXImages(path)
		checkErr(t, err, path, "no such file")
		if !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("errors.Is(%v, fs.ErrNotExist) = false", err)
		}
	})
	t.Run("directory", func(t *testing.T) {
		_, err := ReadIDXLabels(dir)
		checkErr(t, err, dir, "is a directory")
	})
}
