// Package inputfile opens the files a command reads from outside — weight
// files, checkpoints, the classifier, data files, a run's own JSON files —
// under one rule: an input is a regular file (or a symlink to one), never a
// device, FIFO, socket or folder, and its size is known before a byte is
// read, so that each reader can compare it with what the file's header
// announces before it reads the body.
//
// Without the rule, `-weights /dev/zero` grew the process by about 300 MB a
// second until it was killed, a FIFO blocked with no message (opening a FIFO
// for reading waits for a writer), and a 20 GB sparse file was read whole
// before its first eight bytes were looked at (issue 27, part 1).
package inputfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// kind names what a non-regular file is, for the error.
func kind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a folder"
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO (named pipe)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	}
	return "not a regular file (" + m.Type().String() + ")"
}

// Check says, without opening it, whether path is a regular file (symlinks
// followed): the error is one line, "PATH is a FIFO (named pipe), not a
// regular file", or the stat error with its cause (errors.Is(err,
// fs.ErrNotExist) works).
func Check(path string) (fs.FileInfo, error) {
	st, err := os.Stat(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			return nil, fmt.Errorf("%s: %w", path, pe.Err)
		}
		return nil, err
	}
	if !st.Mode().IsRegular() {
		if st.IsDir() {
			return nil, fmt.Errorf("%s is a folder, not a file", path)
		}
		return nil, fmt.Errorf("%s is %s, not a regular file", path, kind(st.Mode()))
	}
	return st, nil
}

// Open opens path for reading if it is a regular file and returns it with
// its size. It never blocks: the file is checked before it is opened, and
// opened non-blocking (a FIFO put in its place between the two would
// otherwise wait for a writer), then checked again on the open descriptor.
func Open(path string) (*os.File, int64, error) {
	if _, err := Check(path); err != nil {
		return nil, 0, err
	}
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, 0, fmt.Errorf("%s: %w", path, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("%s: %w", path, err)
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, 0, fmt.Errorf("%s is %s, not a regular file", path, kind(st.Mode()))
	}
	return f, st.Size(), nil
}

// ReadFile is os.ReadFile of a regular file of at most max bytes (a run's
// run.json or history.json): anything larger is refused before it is read.
func ReadFile(path string, max int64) ([]byte, error) {
	f, size, err := Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if size > max {
		return nil, fmt.Errorf("%s: %d bytes, more than the %d such a file can hold", path, size, max)
	}
	// Read one byte more than the size: a file that grew since is refused
	// rather than read without bound.
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%s: more than the %d bytes such a file can hold", path, max)
	}
	return b, nil
}
