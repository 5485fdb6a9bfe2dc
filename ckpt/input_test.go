package ckpt

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Issue 27, part 1: every input goes through one reader that looks at a
// file's kind, magic bytes and header before its body. Each case once hung,
// grew without bound, read gigabytes, or was accepted: /dev/zero and
// /dev/urandom were read until the process was killed, a FIFO blocked, a
// 20 GB sparse file was read whole before its magic bytes were looked at
// (22 s), and a weight file with 1,000 trailing zero bytes was accepted.
func TestInputsCheckedBeforeRead(t *testing.T) {
	dir := t.TempDir()
	good, err := os.ReadFile("testdata/tiny-weights.ddpm")
	if err != nil {
		t.Fatal(err)
	}
	put := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// sparse is a file of 20 GB holding only head: no disk used, but a
	// reader that reads it whole takes tens of seconds (or runs out of memory).
	sparse := func(name string, head []byte) string {
		p := put(name, head)
		if err := os.Truncate(p, 20<<30); err != nil {
			t.Skipf("no sparse files here: %v", err)
		}
		return p
	}
	fifo := filepath.Join(dir, "fifo.ddpm")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, path, want string }{
		{"dev-zero", "/dev/zero", "character device"},
		{"dev-urandom", "/dev/urandom", "character device"},
		{"fifo", fifo, "FIFO"},
		{"folder", dir, "is a folder"},
		{"trailing zeros", put("trailing.ddpm", append(append([]byte(nil), good...), make([]byte, 1000)...)), "1000 bytes after the"},
		{"one trailing byte", put("trailing1.ddpm", append(append([]byte(nil), good...), 0)), "1 bytes after the"},
		{"sparse, no magic", sparse("sparse0.ddpm", nil), "bad magic bytes"},
		{"sparse, a weight file's head", sparse("sparse1.ddpm", good), "bytes after the"},
		{"huge header length", put("hdr.ddpm", append([]byte(magic), 0xff, 0xff, 0xff, 0xff)), "truncated: header needs 4294967295 bytes"},
		{"empty", put("empty.ddpm", nil), "bad magic bytes"},
		{"magic only", put("magic.ddpm", []byte(magic)), "truncated"},
	} {
		for _, read := range []struct {
			fn   string
			call func(string) error
		}{
			{"Load", func(p string) error { _, err := Load(testStore(), p); return err }},
			{"ReadMeta", func(p string) error { _, err := ReadMeta(p); return err }},
		} {
			done := make(chan error, 1)
			t0 := time.Now()
			go func() { done <- read.call(c.path) }()
			select {
			case err := <-done:
				if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), c.path) || strings.Contains(err.Error(), "\n") {
					t.Errorf("%s: %s = %v, want one line naming the file and %q", c.name, read.fn, err, c.want)
				}
				if d := time.Since(t0); d > 2*time.Second {
					t.Errorf("%s: %s took %v", c.name, read.fn, d)
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("%s: %s blocked", c.name, read.fn)
			}
		}
	}
	// The file itself still reads, through both.
	p := put("good.ddpm", good)
	if _, err := Load(testStore(), p); err != nil {
		t.Errorf("a good weight file: %v", err)
	}
	if _, err := ReadMeta(p); err != nil {
		t.Errorf("a good weight file's metadata: %v", err)
	}
}
