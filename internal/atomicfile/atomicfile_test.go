package atomicfile

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

var (
	pngBytes  = append([]byte("\x89PNG\r\n\x1a\n"), "rest of a PNG"...)
	ddpmBytes = []byte(DDPMMagic + "\x00\x00\x00\x00")
)

func TestWriteCreatesFolderAndReplaces(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a", "b", "f.json")
	for _, s := range []string{`"first"`, `"second"`} {
		if err := WriteFile(path, JSON, []byte(s)); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(path)
		if err != nil || string(got) != s {
			t.Fatalf("read %q, %v; want %q", got, err, s)
		}
	}
	st, _ := os.Stat(path)
	if st.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644", st.Mode().Perm())
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("folder holds %d entries, want only the file", len(entries))
	}
}

// TestDestinations is the writing rule against every kind of existing
// destination: each refused one is left as it was, by CheckDest and by
// WriteFile alike.
func TestDestinations(t *testing.T) {
	dir := t.TempDir()
	at := func(name string) string { return filepath.Join(dir, name) }
	put := func(name string, b []byte) string {
		if err := os.WriteFile(at(name), b, 0o644); err != nil {
			t.Fatal(err)
		}
		return at(name)
	}
	put("old.png", pngBytes)
	put("text.png", []byte("my notes, not a picture"))
	put("empty.png", nil)
	put("old.json", []byte(`{"a": 1}`))
	put("broken.json", []byte(`{"a": `))
	put("log.csv", []byte("step,loss\n1,0.5\n"))
	put("binary.csv", pngBytes)
	put("w.ddpm", ddpmBytes)
	put("notes.ddpm", []byte("hello"))
	put("input.png", pngBytes)
	os.Mkdir(at("folder.png"), 0o755)
	if err := syscall.Mkfifo(at("fifo.png"), 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("unix", at("sock.png"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	os.Symlink("old.png", at("link-to-png.png"))
	os.Symlink("text.png", at("link-to-text.png"))
	os.Symlink("nowhere.png", at("dangling.png"))
	os.Symlink("old.json", at("link-to-json.png"))
	os.Link(at("input.png"), at("hardlink.png"))
	haveDevice := os.Geteuid() == 0 && syscall.Mknod(at("null.png"), syscall.S_IFCHR|0o666, 1<<8|3) == nil // /dev/null's numbers
	run := at("run")
	os.Mkdir(run, 0o755)
	os.WriteFile(filepath.Join(run, RunMarker), []byte("{}\n"), 0o644)
	RegisterRunFiles(func(n string) bool { return n == "loss.csv" || n == "weights.ddpm" })
	os.WriteFile(filepath.Join(run, "weights.ddpm"), ddpmBytes, 0o644)

	for _, c := range []struct {
		path   string
		kind   Kind
		inputs []string
		want   string // "" when allowed
	}{
		{at("new.png"), PNG, nil, ""},
		{at("sub/new.png"), PNG, nil, ""},
		{at("old.png"), PNG, nil, ""},
		{at("empty.png"), PNG, nil, ""},
		{at("old.json"), JSON, nil, ""},
		{at("log.csv"), CSV, nil, ""},
		{at("w.ddpm"), DDPM, nil, ""},
		{at("link-to-png.png"), PNG, nil, ""},
		{filepath.Join(run, "samples.png"), PNG, nil, ""},
		{"", PNG, nil, "no output file"},
		{at("x.jpg"), PNG, nil, "must end in .png"},
		{at("old.png"), JSON, nil, "must end in .json"},
		{at("text.png"), PNG, nil, "is not a PNG file"},
		{at("broken.json"), JSON, nil, "is not a JSON file"},
		{at("binary.csv"), CSV, nil, "is not a CSV file"},
		{at("notes.ddpm"), DDPM, nil, "is not a ddpm"},
		{at("folder.png"), PNG, nil, "is a folder"},
		{at("fifo.png"), PNG, nil, "is a FIFO"},
		{at("sock.png"), PNG, nil, "is a socket"},
		{at("link-to-text.png"), PNG, nil, "a symlink to"},
		{at("dangling.png"), PNG, nil, "which does not exist"},
		{at("link-to-json.png"), PNG, nil, "must end in .png"},
		{at("input.png"), PNG, []string{at("input.png")}, "which this command reads"},
		{at("hardlink.png"), PNG, []string{at("input.png")}, "which this command reads"},
		{at("link-to-png.png"), PNG, []string{at("old.png")}, "which this command reads"},
		{at("old.png"), PNG, []string{dir}, "which this command reads"},
		{at("brand-new.png"), PNG, []string{dir}, ""}, // a new file beside the data is fine
		{filepath.Join(run, RunMarker), JSON, nil, "a file of the run"},
		{filepath.Join(run, "loss.csv"), CSV, nil, "a file of the run"}, // even before it exists
		{filepath.Join(run, "weights.ddpm"), DDPM, nil, "a file of the run"},
		{filepath.Join(at("old.png"), "x.png"), PNG, nil, "not a folder"},
	} {
		var before []byte
		var beforeMode os.FileMode
		if st, err := os.Lstat(c.path); err == nil {
			beforeMode = st.Mode()
			if st.Mode().IsRegular() {
				before, _ = os.ReadFile(c.path)
			}
		}
		err := CheckDest(c.path, c.kind, c.inputs...)
		werr := WriteFile(c.path, c.kind, pngBytes, c.inputs...)
		switch {
		case c.want == "" && (err != nil || werr != nil):
			t.Errorf("%s as %v: refused (%v; %v)", c.path, c.kind, err, werr)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n")):
			t.Errorf("%s as %v: CheckDest %v, want a one-line error with %q", c.path, c.kind, err, c.want)
		case c.want != "" && werr == nil:
			t.Errorf("%s as %v: WriteFile wrote it", c.path, c.kind)
		case c.want != "":
			st, err := os.Lstat(c.path)
			if (beforeMode == 0) != (err != nil) || (err == nil && st.Mode() != beforeMode) {
				t.Errorf("%s: refused, but it changed (%v → %v)", c.path, beforeMode, st)
			}
			if before != nil {
				if now, _ := os.ReadFile(c.path); !bytes.Equal(now, before) {
					t.Errorf("%s: refused, but its content changed", c.path)
				}
			}
		}
	}
	// Written through: the link is still a link, its target holds the data.
	if st, _ := os.Lstat(at("link-to-png.png")); st.Mode()&os.ModeSymlink == 0 {
		t.Error("the symlink was replaced by a file")
	}
	if haveDevice {
		if err := CheckDest(at("null.png"), PNG); err == nil || !strings.Contains(err.Error(), "is a device") {
			t.Errorf("a device node: %v", err)
		}
		if err := WriteFile(at("null.png"), PNG, pngBytes); err == nil {
			t.Error("WriteFile replaced a device node")
		}
		if st, _ := os.Lstat(at("null.png")); st.Mode()&os.ModeDevice == 0 {
			t.Error("the device node was replaced")
		}
	} else {
		t.Log("not root: the device-node case is covered by the FIFO and socket cases only")
	}
	if ents, _ := os.ReadDir(dir); len(ents) == 0 {
		t.Fatal("no files")
	} else {
		for _, e := range ents {
			if IsTemp(e.Name()) {
				t.Errorf("temporary file %s left", e.Name())
			}
		}
	}
}

// The training that holds a run folder writes its own files, even torn ones,
// but not through a symlink to another kind of file, nor over a folder.
func TestOwnedWrites(t *testing.T) {
	run := t.TempDir()
	os.WriteFile(filepath.Join(run, RunMarker), []byte("{}\n"), 0o644)
	torn := filepath.Join(run, "ckpt.ddpm")
	os.WriteFile(torn, []byte("garbage"), 0o644)
	if err := WriteOwned(run, torn, DDPM, ddpmBytes); err != nil {
		t.Errorf("a torn checkpoint of the run: %v", err)
	}
	if err := WriteOwned(run, filepath.Join(run, RunMarker), JSON, []byte("{}")); err != nil {
		t.Errorf("run.json by its run: %v", err)
	}
	other := t.TempDir()
	os.WriteFile(filepath.Join(other, "notes.csv"), []byte("\x00\x01"), 0o644)
	os.Symlink(filepath.Join(other, "notes.csv"), filepath.Join(run, "loss.csv"))
	if err := WriteOwned(run, filepath.Join(run, "loss.csv"), CSV, []byte("step,loss\n")); err == nil {
		t.Error("an owned write went through a symlink over another kind of file")
	}
	os.Mkdir(filepath.Join(run, "loss.png"), 0o755)
	if err := WriteOwned(run, filepath.Join(run, "loss.png"), PNG, pngBytes); err == nil {
		t.Error("an owned write replaced a folder")
	}
}

func TestRemoveTemps(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{".ckpt-000000010.ddpm.tmp-123", ".loss.csv.tmp-9", "ckpt-000000010.ddpm", ".tmp-1", "notes.tmp-3"} {
		if err := os.WriteFile(filepath.Join(dir, n), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	removed, err := RemoveTemps(dir)
	if err != nil || len(removed) != 2 {
		t.Fatalf("removed %v, %v; want the two temporary files", removed, err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 3 {
		t.Errorf("%d files left, want 3", len(entries))
	}
}

func TestCheckWritable(t *testing.T) {
	dir := t.TempDir()
	if err := CheckWritable(filepath.Join(dir, "new", "r.json")); err != nil {
		t.Fatal(err)
	}
	if err := CheckWritable(dir); err == nil {
		t.Error("a folder as the output file was accepted")
	}
	fifo := filepath.Join(dir, "fifo")
	syscall.Mkfifo(fifo, 0o644)
	if err := CheckWritable(fifo); err == nil {
		t.Error("a FIFO as the output file was accepted")
	}
	ro := filepath.Join(dir, "ro")
	os.Mkdir(ro, 0o555)
	if os.Geteuid() != 0 { // root writes anywhere
		if err := CheckWritable(filepath.Join(ro, "r.json")); err == nil {
			t.Error("a read-only folder was accepted")
		}
		if err := CheckDest(filepath.Join(ro, "r.json"), JSON); err == nil {
			t.Error("CheckDest accepted a read-only folder")
		}
	}
	if entries, _ := os.ReadDir(filepath.Join(dir, "new")); len(entries) != 0 {
		t.Errorf("CheckWritable left %d files", len(entries))
	}
}
