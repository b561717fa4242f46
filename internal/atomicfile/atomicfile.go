// Package atomicfile writes a file so that readers see either the old content
// or the complete new one, never a partial file: the data goes to a temporary
// file in the same directory, is fsynced, then renamed over the target.
package atomicfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// ErrExists is returned by Create when the target exists and overwriting was
// not allowed.
var ErrExists = errors.New("file exists")

// File is a pending file. Write to it, then Commit to put it in place, or
// Abort (safe to defer after Commit) to throw it away.
type File struct {
	*os.File
	target    string
	overwrite bool
	perm      fs.FileMode
	done      bool
}

// Create starts writing target. Without overwrite an existing target is an
// error (checked now and again at Commit, where a link(2) makes it race-free).
func Create(target string, perm fs.FileMode, overwrite bool) (*File, error) {
	if !overwrite {
		if _, err := os.Lstat(target); err == nil {
			return nil, fmt.Errorf("%s: %w", target, ErrExists)
		}
	}
	dir, base := filepath.Split(target)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("create temporary file for %s: %w", target, err)
	}
	return &File{File: f, target: target, overwrite: overwrite, perm: perm}, nil
}

// Commit fsyncs the data and moves it to the target name.
func (f *File) Commit() error {
	if f.done {
		return errors.New("atomicfile: commit after commit or abort")
	}
	f.done = true
	tmp := f.File.Name()
	err := f.File.Chmod(f.perm)
	if err == nil {
		err = f.File.Sync()
	}
	if cerr := f.File.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", f.target, err)
	}
	if f.overwrite {
		err = os.Rename(tmp, f.target)
	} else {
		// link fails if the target appeared meanwhile, rename would clobber it.
		err = os.Link(tmp, f.target)
		if errors.Is(err, fs.ErrExist) {
			err = fmt.Errorf("%s: %w", f.target, ErrExists)
		}
		os.Remove(tmp)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("put %s in place: %w", f.target, err)
	}
	return syncDir(filepath.Dir(f.target))
}

// Abort removes the temporary file. It does nothing after Commit.
func (f *File) Abort() {
	if f.done {
		return
	}
	f.done = true
	f.File.Close()
	os.Remove(f.File.Name())
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	return nil
}

// WriteFile writes the content of r to target atomically.
func WriteFile(target string, r io.Reader, perm fs.FileMode, overwrite bool) error {
	f, err := Create(target, perm, overwrite)
	if err != nil {
		return err
	}
	defer f.Abort()
	if _, err := io.Copy(f, r); err != nil {
		return fmt.Errorf("write %s: %w", target, err)
	}
	return f.Commit()
}
