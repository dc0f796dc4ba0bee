// Package atomicfile writes a file so that readers see either the old
// contents or the complete new contents, never a partial write: results
// and reports are written to a temporary file in the same directory and
// renamed over the target only once fully written.
package atomicfile

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Write creates or replaces path with what write produces. On any error the
// previous file at path is left untouched and the temporary file removed.
func Write(path string, write func(w io.Writer) error) error {
	f, err := Create(path)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Abort()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Commit()
}

// File is a file being written in the place of its target: a temporary
// file in the target's directory, which replaces the target only on
// Commit. Until then the target is untouched; Abort removes the temporary
// file. A writer that produces its contents over a long time (a sweep
// writing each point as it finishes) holds a File open for that time.
type File struct {
	f      *os.File
	path   string
	closed bool // committed or aborted
}

// Create starts a File that will replace path.
func Create(path string) (*File, error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return nil, err
	}
	return &File{f: f, path: path}, nil
}

// Write writes to the temporary file.
func (f *File) Write(p []byte) (int, error) { return f.f.Write(p) }

// Commit renames the temporary file over the target.
func (f *File) Commit() error { return f.CommitAs(f.path) }

// ErrClosed is returned by a Commit after a Commit or an Abort.
var ErrClosed = errors.New("atomicfile: already committed or aborted")

// CommitAs renames the temporary file to path instead of the target (an
// interrupted run's part next to it, say); path must be in the target's
// directory, so that the rename stays within one file system. On error
// the temporary file is removed.
func (f *File) CommitAs(path string) (err error) {
	if f.closed {
		return ErrClosed
	}
	f.closed = true
	defer func() {
		if err != nil {
			f.f.Close()
			os.Remove(f.f.Name())
		}
	}()
	if filepath.Dir(path) != filepath.Dir(f.path) {
		return fmt.Errorf("atomicfile: commit %s as %s: not in the same directory", f.path, path)
	}
	// CreateTemp makes the file 0600; results are for everyone to read.
	if err := f.f.Chmod(0o644); err != nil {
		return err
	}
	if err := f.f.Close(); err != nil {
		return err
	}
	return os.Rename(f.f.Name(), path)
}

// Abort removes the temporary file, leaving the target as it was; after a
// Commit it does nothing.
func (f *File) Abort() {
	if f.closed {
		return
	}
	f.closed = true
	f.f.Close()
	os.Remove(f.f.Name())
}
