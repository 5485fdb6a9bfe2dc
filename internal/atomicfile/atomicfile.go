// Package atomicfile is the one writer of ddpm-go's files (checkpoints,
// weights, loss logs, figures, run.json, bench results). It does two things:
//
//   - it writes atomically: the data goes to a temporary file next to the
//     target (".NAME.tmp-*"), is synced, and is renamed over the target, so
//     that a crash leaves either the old file or the new one, never a torn one;
//   - it writes only what the command exists to write ([CheckDest], the rule
//     cp and rsync follow): a path that does not exist, or an existing regular
//     file of the kind being written (a PNG over a PNG, a JSON file over one).
//     Never a folder, device, FIFO or socket (a rename would replace the node
//     itself: /dev/full became a PNG); never one of the command's own inputs
//     (same inode: -weights, -init, a data file); never a file of a run folder
//     that belongs to the run (run.json, checkpoints, loss.csv…), except by
//     the training that holds that folder's lock ([WriteOwned]). The file name
//     must end in the kind's extension (a PNG is not written as x.jpg).
//
// Symbolic links are written through: a symlink at the destination is
// resolved, its target must pass the same rules, and the target is replaced
// (the link stays a link). A dangling symlink is refused, as cp refuses it.
// An existing empty file counts as a file of every kind (there is nothing in
// it to lose).
package atomicfile

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"syscall"
	"unicode/utf8"

	"github.com/ddpm-go/ddpm-go/internal/fault"
)

// Kind is what a command writes; it decides the file name's extension and
// which existing files may be replaced.
type Kind int

const (
	PNG  Kind = iota + 1 // a PNG image (.png): recognised by its 8-byte signature
	JSON                 // a JSON document (.json): recognised by parsing it
	CSV                  // a comma-separated table (.csv): recognised by its header line
	DDPM                 // a ckpt file, checkpoint or weights (.ddpm): recognised by its magic bytes
)

// DDPMMagic are the first bytes of a ckpt file (package ckpt's format; its
// tests check that the two agree).
const DDPMMagic = "DDPMCKP1"

var pngSignature = []byte("\x89PNG\r\n\x1a\n")

func (k Kind) String() string {
	switch k {
	case PNG:
		return "PNG"
	case JSON:
		return "JSON"
	case CSV:
		return "CSV"
	case DDPM:
		return "ddpm (checkpoint or weights)"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Ext is the file name extension of the kind, with its dot.
func (k Kind) Ext() string {
	switch k {
	case PNG:
		return ".png"
	case JSON:
		return ".json"
	case CSV:
		return ".csv"
	case DDPM:
		return ".ddpm"
	}
	return ""
}

// RunMarker is the file that makes a folder a run folder (package ckpt
// writes it first).
const RunMarker = "run.json"

var (
	runFilesMu sync.RWMutex
	runFiles   = []func(name string) bool{func(n string) bool { return n == RunMarker || n == ".lock" }}
)

// RegisterRunFiles declares the names (no folder) of the files a training
// run owns in its run folder: ckpt registers its checkpoints, run its
// loss log, loss curve, weights and history. A path in a run folder whose
// name one of them matches is written only by [WriteOwned].
func RegisterRunFiles(match func(name string) bool) {
	runFilesMu.Lock()
	defer runFilesMu.Unlock()
	runFiles = append(runFiles, match)
}

func isRunFile(name string) bool {
	runFilesMu.RLock()
	defer runFilesMu.RUnlock()
	for _, m := range runFiles {
		if m(name) {
			return true
		}
	}
	return false
}

// tempName matches the temporary files of [WriteFile] (os.CreateTemp
// replaces the "*" of ".NAME.tmp-*" by decimal digits).
var tempName = regexp.MustCompile(`^\..+\.tmp-\d+$`)

// IsTemp says whether a file name (no folder) is one of WriteFile's temporary files.
func IsTemp(name string) bool { return tempName.MatchString(name) }

// CheckDest says, before any work, whether a command may write a file of
// kind at path; inputs are the files (or folders) the command reads, which
// it must not overwrite. The error is one line naming the path and why.
// It creates nothing: a missing folder on the way is created by WriteFile.
func CheckDest(path string, kind Kind, inputs ...string) error {
	_, err := check(path, kind, "", inputs)
	return err
}

// WriteFile checks path as [CheckDest] does (again, right before writing)
// and writes data there atomically, creating its folder if needed. The file
// gets mode 0644. Errors name the path.
func WriteFile(path string, kind Kind, data []byte, inputs ...string) error {
	target, err := check(path, kind, "", inputs)
	if err != nil {
		return err
	}
	return write(target, data)
}

// CheckOwned is [CheckDest] for the training that holds the lock of run
// folder runDir, writing one of its own files: the run-folder rule does not
// apply, and a file directly in runDir is replaced whatever it holds (a
// checkpoint or loss log the run itself left torn or corrupt). Folders,
// devices, FIFOs, sockets and dangling symlinks are still refused, and a
// symlink out of the folder is written through only to a file of the kind.
func CheckOwned(runDir, path string, kind Kind) error {
	_, err := check(path, kind, runDir, nil)
	return err
}

// WriteOwned is [WriteFile] under the rules of [CheckOwned].
func WriteOwned(runDir, path string, kind Kind, data []byte) error {
	target, err := check(path, kind, runDir, nil)
	if err != nil {
		return err
	}
	return write(target, data)
}

// check applies the rule and returns the file to replace (path with a
// symlink at its end resolved). owner is the run folder of an owned write
// ("" for none).
func check(path string, kind Kind, owner string, inputs []string) (string, error) {
	if path == "" {
		return "", fmt.Errorf("no output file given (an empty path)")
	}
	if ext := kind.Ext(); ext == "" {
		return "", fmt.Errorf("%s: unknown kind of file %v", path, kind)
	} else if filepath.Ext(path) != ext {
		return "", fmt.Errorf("%s: a %s file's name must end in %s", path, kind, ext)
	}
	target := path
	st, err := os.Lstat(path)
	switch {
	case err == nil && st.Mode()&os.ModeSymlink != 0:
		resolved, rerr := filepath.EvalSymlinks(path)
		if rerr != nil {
			link, _ := os.Readlink(path)
			return "", fmt.Errorf("%s is a symlink to %s, which does not exist: a symlink is written through only to an existing file", path, link)
		}
		target = resolved
		if st, err = os.Lstat(target); err != nil {
			return "", fmt.Errorf("%s: %w", path, err)
		}
		if filepath.Ext(target) != kind.Ext() {
			return "", fmt.Errorf("%s is a symlink to %s: a %s file's name must end in %s", path, target, kind, kind.Ext())
		}
	case err != nil && !errors.Is(err, os.ErrNotExist):
		if errors.Is(err, syscall.ENOTDIR) {
			return "", fmt.Errorf("%s: a file on the way is not a folder", path)
		}
		return "", fmt.Errorf("%s: %w", path, err)
	}
	name := path
	if target != path {
		name = fmt.Sprintf("%s (a symlink to %s)", path, target)
	}
	exists := err == nil
	if exists {
		switch m := st.Mode(); {
		case m.IsDir():
			return "", fmt.Errorf("%s is a folder, not a file", name)
		case m&os.ModeDevice != 0:
			return "", fmt.Errorf("%s is a device, not a regular file: only regular files are written", name)
		case m&os.ModeNamedPipe != 0:
			return "", fmt.Errorf("%s is a FIFO, not a regular file: only regular files are written", name)
		case m&os.ModeSocket != 0:
			return "", fmt.Errorf("%s is a socket, not a regular file: only regular files are written", name)
		case !m.IsRegular():
			return "", fmt.Errorf("%s is not a regular file (%v): only regular files are written", name, m.Type())
		}
	}
	dir := filepath.Dir(target)
	ownDir := owner != "" && sameFile(dir, owner)
	if !ownDir && inRunFolder(dir) && isRunFile(filepath.Base(target)) {
		return "", fmt.Errorf("%s is a file of the run in %s: only the training in that folder writes it; choose another name", name, dir)
	}
	if exists {
		for _, in := range inputs {
			if in == "" {
				continue
			}
			ist, err := os.Stat(in)
			if err != nil {
				continue // an input that does not exist cannot be overwritten
			}
			if ist.IsDir() {
				if dst, err := os.Stat(dir); err == nil && os.SameFile(dst, ist) {
					return "", fmt.Errorf("%s is in %s, which this command reads: writing it could destroy its data; choose another name", name, in)
				}
			} else if os.SameFile(st, ist) {
				return "", fmt.Errorf("%s is %s, which this command reads: writing it would destroy it; choose another name", name, in)
			}
		}
		if !ownDir {
			ok, err := isKind(target, st, kind)
			if err != nil {
				return "", fmt.Errorf("%s: %w", name, err)
			}
			if !ok {
				return "", fmt.Errorf("%s exists and is not a %s file: only a %s file is replaced (what is there would be lost); choose another name or remove it", name, kind, kind)
			}
		}
	}
	if err := checkFolder(dir); err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	return target, nil
}

// inRunFolder says whether dir holds a run.json (a regular file).
func inRunFolder(dir string) bool {
	st, err := os.Lstat(filepath.Join(dir, RunMarker))
	return err == nil && st.Mode().IsRegular()
}

func sameFile(a, b string) bool {
	sa, err1 := os.Stat(a)
	sb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(sa, sb)
}

// checkFolder checks that dir, or its nearest existing ancestor when dir is
// still to be created, is a folder this process can write in.
func checkFolder(dir string) error {
	for d := dir; ; d = filepath.Dir(d) {
		st, err := os.Stat(d)
		if errors.Is(err, os.ErrNotExist) {
			if p := filepath.Dir(d); p != d {
				continue
			}
		}
		if err != nil {
			if errors.Is(err, syscall.ENOTDIR) {
				return fmt.Errorf("a file on the way is not a folder")
			}
			return err
		}
		if !st.IsDir() {
			return fmt.Errorf("%s is a file, not a folder", d)
		}
		if err := syscall.Access(d, 2 /* W_OK */); err != nil {
			return fmt.Errorf("cannot write in folder %s: %w", d, err)
		}
		return nil
	}
}

// maxSniff bounds what isKind reads of a JSON file (a larger one is not one
// of the kind: ddpm-go writes none that large).
const maxSniff = 256 << 20

// isKind says whether the regular file path (st its Lstat) holds a file of
// kind; an empty file is of every kind.
func isKind(path string, st os.FileInfo, kind Kind) (bool, error) {
	if st.Size() == 0 {
		return true, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	switch kind {
	case PNG, DDPM:
		want := pngSignature
		if kind == DDPM {
			want = []byte(DDPMMagic)
		}
		head := make([]byte, len(want))
		if _, err := io.ReadFull(f, head); err != nil {
			return false, nil
		}
		return bytes.Equal(head, want), nil
	case JSON:
		if st.Size() > maxSniff {
			return false, nil
		}
		raw, err := io.ReadAll(f)
		if err != nil {
			return false, err
		}
		return json.Valid(raw), nil
	case CSV:
		// The header line: valid UTF-8 text without NUL, at least two fields.
		head := make([]byte, 4096)
		n, _ := io.ReadFull(f, head)
		line, _, _ := bytes.Cut(head[:n], []byte("\n"))
		if !utf8.Valid(line) || bytes.IndexByte(line, 0) >= 0 {
			return false, nil
		}
		rec, err := csv.NewReader(bytes.NewReader(line)).Read()
		return err == nil && len(rec) >= 2, nil
	}
	return false, nil
}

// write writes data to target atomically, creating its folder if needed.
func write(target string, data []byte) error {
	dir := filepath.Dir(target)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("cannot create folder %s: %w", dir, err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(target)+".tmp-*")
	if err != nil {
		return fmt.Errorf("cannot write in %s: %w", dir, err)
	}
	tmp := f.Name()
	half := len(data) / 2
	_, err = f.Write(data[:half])
	if err == nil {
		fault.Point("atomicfile-mid-write")                          // tests: a kill with half the bytes written
		fault.Point("atomicfile-mid-write:" + filepath.Base(target)) // the same, of one file (weights.ddpm, say)
		_, err = f.Write(data[half:])
	}
	if err == nil {
		err = f.Chmod(0o644) // CreateTemp makes 0600 files
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, target)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", target, err)
	}
	// Sync the folder so that the rename itself survives a power cut.
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// CheckWritable fails early, with the reason, when a file could not be
// written at path later: it creates the folder if needed, then creates and
// removes a temporary file there. It refuses a folder, device, FIFO or
// socket at path but knows nothing of kinds, inputs or run folders: a
// command's output is checked by [CheckDest].
func CheckWritable(path string) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("cannot create folder %s: %w", dir, err)
	}
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return fmt.Errorf("%s is a folder, not a file", path)
	} else if err == nil && !st.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file (%v): only regular files are written", path, st.Mode().Type())
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("cannot write in %s: %w", dir, err)
	}
	f.Close()
	return os.Remove(f.Name())
}

// RemoveTemps deletes the temporary files that an interrupted write left in
// dir (not its subfolders) and returns their names. Call it only where no
// other process may be writing (a locked run folder).
func RemoveTemps(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var removed []string
	for _, e := range entries {
		if e.Type().IsRegular() && IsTemp(e.Name()) {
			if err := os.Remove(filepath.Join(dir, e.Name())); err != nil && !os.IsNotExist(err) {
				return removed, err
			}
			removed = append(removed, e.Name())
		}
	}
	return removed, nil
}
