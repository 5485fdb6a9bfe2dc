package inputfile

import (
	"errors"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Every kind of path an input may name: only a regular file (or a symlink
// to one) is opened, and nothing blocks (issue 27, part 1: a FIFO given as
// -weights blocked with no message; /dev/zero was read without end).
func TestOnlyRegularFiles(t *testing.T) {
	dir := t.TempDir()
	reg := filepath.Join(dir, "w.ddpm")
	if err := os.WriteFile(reg, []byte("12345"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.ddpm")
	os.Symlink(reg, link)
	fifo := filepath.Join(dir, "fifo.ddpm")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "s.sock")
	if l, err := net.Listen("unix", sock); err == nil {
		defer l.Close()
	}
	dangling := filepath.Join(dir, "dangling.ddpm")
	os.Symlink(filepath.Join(dir, "nowhere"), dangling)

	for _, p := range []string{reg, link} {
		f, size, err := Open(p)
		if err != nil || size != 5 {
			t.Errorf("%s: size %d, %v; want 5, nil", p, size, err)
			continue
		}
		f.Close()
	}
	for _, c := range []struct{ path, want string }{
		{dir, "is a folder"},
		{fifo, "is a FIFO"},
		{sock, "is a socket"},
		{"/dev/zero", "is a character device"},
		{"/dev/urandom", "is a character device"},
		{dangling, "no such file"},
		{filepath.Join(dir, "missing"), "no such file"},
	} {
		if c.path == sock {
			if _, err := os.Stat(sock); err != nil {
				continue // no unix sockets here
			}
		}
		done := make(chan error, 1)
		go func() { _, _, err := Open(c.path); done <- err }()
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), c.path) || strings.Contains(err.Error(), "\n") {
				t.Errorf("Open(%s) = %v, want one line starting with the path and saying %q", c.path, err, c.want)
			}
			if c.want == "no such file" && !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("Open(%s): %v does not wrap fs.ErrNotExist", c.path, err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("Open(%s) blocked", c.path)
		}
	}
}

// ReadFile refuses a file above its bound before reading it.
func TestReadFileBound(t *testing.T) {
	p := filepath.Join(t.TempDir(), "run.json")
	os.WriteFile(p, []byte(`{"a":1}`), 0o644)
	if b, err := ReadFile(p, 7); err != nil || string(b) != `{"a":1}` {
		t.Errorf("ReadFile at its bound: %q, %v", b, err)
	}
	if _, err := ReadFile(p, 6); err == nil || !strings.Contains(err.Error(), "more than the 6") {
		t.Errorf("ReadFile above its bound: %v", err)
	}
	if _, err := ReadFile("/dev/zero", 1<<20); err == nil || !strings.Contains(err.Error(), "character device") {
		t.Errorf("ReadFile(/dev/zero): %v", err)
	}
}
