//go:build linux

package netcni

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/acikit/acikit/internal/sandbox"
)

var nsDirOnce sync.Map // dir -> error, so each dir is prepared once per process

// prepareNSDir makes dir a mount point with shared propagation, as iproute2
// does for /run/netns, so that unmounting a namespace file propagates into
// the pods' mount namespaces (which are slaves) and the namespace can die.
func prepareNSDir(dir string) error {
	if v, ok := nsDirOnce.Load(dir); ok {
		if v == nil {
			return nil
		}
		return v.(error)
	}
	err := func() error {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		err := unix.Mount("", dir, "none", unix.MS_SHARED|unix.MS_REC, "")
		if errors.Is(err, unix.EINVAL) {
			// Not a mount point yet: bind it onto itself, then share it.
			if err := unix.Mount(dir, dir, "none", unix.MS_BIND|unix.MS_REC, ""); err != nil {
				return err
			}
			err = unix.Mount("", dir, "none", unix.MS_SHARED|unix.MS_REC, "")
		}
		return err
	}()
	if err != nil {
		err = fmt.Errorf("prepare netns directory %s: %w", dir, err)
		nsDirOnce.Store(dir, err)
		return err
	}
	nsDirOnce.Store(dir, nil)
	return nil
}

// CreateNetNS makes a new network namespace that outlives this process,
// bind-mounted at path, with loopback up.
func CreateNetNS(path string) error {
	if err := prepareNSDir(filepath.Dir(path)); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_RDONLY, 0o444)
	if err != nil {
		return fmt.Errorf("create netns file %s: %w", path, err)
	}
	f.Close()
	// The namespace is made (lo up) by the sandbox and bind-mounted at path
	// from inside it; the file NewNetNS returns is then not needed.
	ns, err := sandbox.NewNetNS(func() error {
		return unix.Mount("/proc/thread-self/ns/net", path, "none", unix.MS_BIND, "")
	})
	if err != nil {
		unix.Unmount(path, unix.MNT_DETACH)
		os.Remove(path)
		return fmt.Errorf("create netns %s: %w", path, err)
	}
	ns.Close()
	return nil
}

// RemoveNetNS unmounts and removes a namespace made by CreateNetNS. A path
// that is already gone is not an error.
func RemoveNetNS(path string) error {
	err := unix.Unmount(path, unix.MNT_DETACH)
	if err != nil && !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("unmount netns %s: %w", path, err)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove netns %s: %w", path, err)
	}
	return nil
}
