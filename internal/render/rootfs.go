package render

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// Rootfs is one app's writable view of a tree.
type Rootfs struct {
	// Path is the directory the app is pivot_root'ed into.
	Path string
	// Overlay is set when Path is an overlayfs mount (else a copy).
	Overlay bool
}

// RootfsOptions tune NewRootfs.
type RootfsOptions struct {
	// NoOverlay copies the tree even where overlayfs works.
	NoOverlay bool
}

// NewRootfs makes dir/rootfs a private writable view of the tree: an
// overlayfs mount with the tree as its lower layer and dir/upper and
// dir/work beside it, or, where overlayfs cannot be mounted, a copy of the
// tree.
func NewRootfs(t *Tree, dir string, opts RootfsOptions) (*Rootfs, error) {
	mnt := filepath.Join(dir, "rootfs")
	if err := os.MkdirAll(mnt, 0o755); err != nil {
		return nil, fmt.Errorf("app rootfs %s: %w", dir, err)
	}
	if !opts.NoOverlay {
		err := mountOverlay(t.Rootfs, dir, mnt)
		if err == nil {
			return &Rootfs{Path: mnt, Overlay: true}, nil
		}
		if !errors.Is(err, errNoOverlay) {
			return nil, err
		}
	}
	if err := copyTree(t.Rootfs, mnt); err != nil {
		return nil, fmt.Errorf("copy tree into %s: %w", mnt, err)
	}
	return &Rootfs{Path: mnt}, nil
}

var errNoOverlay = errors.New("overlayfs not usable")

func mountOverlay(lower, dir, mnt string) error {
	upper, work := filepath.Join(dir, "upper"), filepath.Join(dir, "work")
	for _, p := range []string{lower, upper, work} {
		// The option string has no escaping for these.
		if strings.ContainsAny(p, ",:\\") {
			return errNoOverlay
		}
	}
	for _, d := range []string{upper, work} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("overlay %s: %w", d, err)
		}
	}
	opts := "lowerdir=" + lower + ",upperdir=" + upper + ",workdir=" + work
	// The upper layer lives as long as the pod and is thrown away with it, so
	// "volatile" (Linux 5.10+) skips the sync of the whole file system that
	// unmounting would otherwise do; older kernels refuse it with EINVAL.
	err := unix.Mount("overlay", mnt, "overlay", unix.MS_NODEV, opts+",volatile")
	if errors.Is(err, unix.EINVAL) {
		err = unix.Mount("overlay", mnt, "overlay", unix.MS_NODEV, opts)
	}
	switch {
	case err == nil:
		return nil
	case errors.Is(err, unix.ENODEV), errors.Is(err, unix.EINVAL), errors.Is(err, unix.EPERM),
		errors.Is(err, unix.EOPNOTSUPP), errors.Is(err, unix.ELOOP):
		// No overlayfs, an upper fs it refuses, no privilege, overlay on
		// overlay: copy instead.
		return errNoOverlay
	}
	return fmt.Errorf("mount overlay on %s: %w", mnt, err)
}

// RemoveRootfs unmounts dir/rootfs if it is mounted and removes dir.
func RemoveRootfs(dir string) error {
	mnt := filepath.Join(dir, "rootfs")
	if err := unix.Unmount(mnt, unix.MNT_DETACH); err != nil && !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("unmount %s: %w", mnt, err)
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("remove %s: %w", dir, err)
	}
	return nil
}

// copyTree copies src to dst (an existing directory) keeping modes, owners,
// times, symlinks, devices and FIFOs. Hard links become separate files.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		st := fi.Sys().(*syscall.Stat_t)
		switch m := fi.Mode(); {
		case m.IsDir():
			if rel != "." {
				if err := os.Mkdir(target, 0o700); err != nil {
					return err
				}
			}
		case m&fs.ModeSymlink != 0:
			l, err := os.Readlink(p)
			if err != nil {
				return err
			}
			if err := os.Symlink(l, target); err != nil {
				return err
			}
			return os.Lchown(target, int(st.Uid), int(st.Gid))
		case m.IsRegular():
			if err := copyFile(p, target); err != nil {
				return err
			}
		default:
			if err := unix.Mknod(target, st.Mode, int(st.Rdev)); err != nil {
				return err
			}
		}
		if err := os.Lchown(target, int(st.Uid), int(st.Gid)); err != nil && os.Geteuid() == 0 {
			return err
		}
		if err := unix.Chmod(target, st.Mode&0o7777); err != nil {
			return err
		}
		return os.Chtimes(target, fi.ModTime(), fi.ModTime())
	})
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return err
}
