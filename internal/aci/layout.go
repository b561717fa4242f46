package aci

import (
	"fmt"
	"io"
	"os"
	"slices"
	"syscall"

	"github.com/acikit/acikit/internal/errkind"
	"github.com/acikit/acikit/internal/schema"
)

// LayoutOptions tune layout reading.
type LayoutOptions struct {
	// MaxManifestSize caps the manifest file (default 1 MiB).
	MaxManifestSize int64
}

// ValidateLayout checks an image layout: a directory holding a regular file
// "manifest" that parses as an ImageManifest, a directory "rootfs", and
// nothing else. The checks and messages follow the reference actool, in its
// order of precedence, except that a top-level "rootfs.bak" or "rootfsX" is
// an unrecognized path here. Errors about the layout are marked
// errkind.Invalid.
func ValidateLayout(dir string) error {
	_, _, err := ReadLayout(dir, LayoutOptions{})
	return err
}

// ReadLayout validates the layout in dir like ValidateLayout and returns its
// manifest, parsed and raw.
func ReadLayout(dir string, opts LayoutOptions) (*schema.ImageManifest, []byte, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("open layout: %w", err)
	}
	defer root.Close()
	return readLayout(root, opts)
}

// readLayout only looks at the top level: what lies under rootfs is the
// image's content, checked (or packed) by whoever walks it.
func readLayout(root *os.Root, opts LayoutOptions) (*schema.ImageManifest, []byte, error) {
	d, err := root.Open(".")
	if err != nil {
		return nil, nil, fmt.Errorf("open layout: %w", err)
	}
	names, err := d.Readdirnames(-1)
	d.Close()
	if err != nil {
		return nil, nil, fmt.Errorf("read layout: %w", err)
	}
	slices.Sort(names)
	var (
		manifest os.FileInfo
		rootfs   bool
		stray    []string
	)
	for _, n := range names {
		switch n {
		case ManifestName:
			if manifest, err = root.Lstat(n); err != nil {
				return nil, nil, fmt.Errorf("read layout: %w", err)
			}
		case RootfsName:
			fi, err := root.Lstat(n)
			if err != nil {
				return nil, nil, fmt.Errorf("read layout: %w", err)
			}
			if !fi.IsDir() {
				return nil, nil, invalidf("rootfs is not a directory")
			}
			rootfs = true
		default:
			stray = append(stray, n)
		}
	}
	if manifest == nil {
		return nil, nil, invalidf("no image manifest found in layout")
	}
	if !rootfs {
		return nil, nil, invalidf("no rootfs found in layout")
	}
	if !manifest.Mode().IsRegular() {
		return nil, nil, invalidf("manifest is not a regular file")
	}
	max := opts.MaxManifestSize
	if max <= 0 {
		max = DefaultMaxManifestSize
	}
	if manifest.Size() > max {
		return nil, nil, invalidf("manifest is %d bytes, more than the limit of %d bytes", manifest.Size(), max)
	}
	f, err := root.OpenFile(ManifestName, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("open manifest: %w", err)
	}
	raw, err := io.ReadAll(io.LimitReader(f, max+1))
	f.Close()
	if err != nil {
		return nil, nil, fmt.Errorf("read manifest: %w", err)
	}
	if int64(len(raw)) > max {
		return nil, nil, invalidf("manifest is more than the limit of %d bytes", max)
	}
	m, err := schema.ParseImageManifest(raw)
	if err != nil {
		return nil, nil, errkind.Mark(fmt.Errorf("image manifest validation failed: %w", err), errkind.Invalid)
	}
	if len(stray) > 0 {
		return nil, nil, invalidf("unrecognized file path in layout: %q", stray[0])
	}
	return m, raw, nil
}
