package render

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/acikit/acikit/internal/aci"
	"github.com/acikit/acikit/internal/atomicfile"
	"github.com/acikit/acikit/internal/errkind"
	"github.com/acikit/acikit/internal/schema"
)

// Marker is the file written last into a complete tree.
const Marker = "rendered"

// Tree is a rendered, cached image tree. It is shared by every pod that
// runs the image and must not be written to.
type Tree struct {
	// Dir holds Rootfs, the top image's manifest and the marker.
	Dir    string
	Rootfs string
	// Manifest is the top image's manifest; Raw its bytes.
	Manifest *schema.ImageManifest
	Raw      []byte
	// Images is the rendering list (override order, the image last).
	Images []Image
	// Cached is set when the tree was already there.
	Cached bool
}

// Key names the cache directory of a rendering list: the image ID alone
// when it has no dependencies, else the ID and a digest of the whole list
// (names resolve to other images over time).
func Key(images []Image) string {
	top := images[len(images)-1].ID
	if len(images) == 1 {
		return top
	}
	h := sha256.New()
	for _, im := range images {
		io.WriteString(h, im.ID+"\n")
	}
	return top + "-deps-" + hex.EncodeToString(h.Sum(nil))[:16]
}

// Render resolves id's dependencies and returns its tree, extracting it
// unless a complete one is cached. Concurrent renders of one tree (in any
// process) wait for each other through a lock file.
func Render(ctx context.Context, id string, opts Options) (*Tree, error) {
	images, err := Resolve(ctx, opts.Store, id)
	if err != nil {
		return nil, err
	}
	key := Key(images)
	dir := filepath.Join(opts.CacheDir, key)
	top := images[len(images)-1]
	t := &Tree{Dir: dir, Rootfs: filepath.Join(dir, "rootfs"), Manifest: top.Manifest, Images: images}
	if err := os.MkdirAll(opts.CacheDir, 0o700); err != nil {
		return nil, fmt.Errorf("render cache %s: %w", opts.CacheDir, err)
	}
	if t.ready() {
		t.Cached = true
		return t, t.readManifest()
	}
	unlock, err := lockFile(dir+".lock", ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if t.ready() {
		t.Cached = true
		return t, t.readManifest()
	}
	opts.Log.Debugf("rendering %s (%d images) into %s", id, len(images), dir)
	if err := os.RemoveAll(dir); err != nil {
		return nil, fmt.Errorf("remove incomplete tree %s: %w", dir, err)
	}
	if err := os.MkdirAll(t.Rootfs, 0o755); err != nil {
		return nil, fmt.Errorf("render %s: %w", id, err)
	}
	if err := extractAll(ctx, opts, t); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if err := syncDir(dir); err != nil {
		return nil, err
	}
	// The marker comes last: a crash before it leaves a tree that the next
	// run throws away.
	if err := atomicfile.WriteFile(filepath.Join(dir, Marker), strings.NewReader(key+"\n"), 0o644, true); err != nil {
		return nil, fmt.Errorf("render %s: %w", id, err)
	}
	return t, t.readManifest()
}

func (t *Tree) ready() bool {
	_, err := os.Stat(filepath.Join(t.Dir, Marker))
	return err == nil
}

func (t *Tree) readManifest() error {
	b, err := os.ReadFile(filepath.Join(t.Dir, aci.ManifestName))
	if err != nil {
		return fmt.Errorf("rendered tree %s: %w", t.Dir, err)
	}
	t.Raw = b
	return nil
}

// syncDir flushes the file system holding dir once, instead of an fsync
// per extracted file.
func syncDir(dir string) error {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	defer unix.Close(fd)
	if err := unix.Syncfs(fd); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}

// extractAll writes the images top-down; the first image to provide a path
// keeps it, which is the spec's "later overwrites earlier" read backwards.
func extractAll(ctx context.Context, opts Options, t *Tree) error {
	root, err := os.OpenRoot(t.Dir)
	if err != nil {
		return err
	}
	defer root.Close()
	x := &extractor{root: root, seen: map[string]bool{}, chown: os.Geteuid() == 0}
	var upper map[string]bool // whitelist of the nearest image above that has one
	for i := len(t.Images) - 1; i >= 0; i-- {
		im := t.Images[i]
		own := whitelist(im.Manifest.PathWhitelist)
		if err := x.image(ctx, opts, im, i == len(t.Images)-1, own, upper); err != nil {
			return fmt.Errorf("render image %s (%s): %w", im.Manifest.Name, im.ID, err)
		}
		if upper == nil && own != nil {
			upper = own
		}
	}
	// Directory times last: creating entries in a directory changes its
	// mtime.
	for i := len(x.dirTimes) - 1; i >= 0; i-- {
		d := x.dirTimes[i]
		_ = root.Chtimes(d.name, d.t, d.t)
	}
	return nil
}

// whitelist maps a pathWhitelist to rootfs-relative names, with every
// parent directory of a listed path allowed too (else nothing below the
// root could be reached). nil means no filtering.
func whitelist(list []string) map[string]bool {
	if len(list) == 0 {
		return nil
	}
	m := map[string]bool{aci.RootfsName: true}
	for _, p := range list {
		name := path.Join(aci.RootfsName, path.Clean("/"+p))
		m[name] = true
		for d := path.Dir(name); d != aci.RootfsName && d != "."; d = path.Dir(d) {
			m[d+"/"] = true // parents: directories only
		}
	}
	return m
}

type dirTime struct {
	name string
	t    time.Time
}

type extractor struct {
	root     *os.Root
	seen     map[string]bool // name -> is a directory, for names already provided
	chown    bool
	dirTimes []dirTime
}

func (x *extractor) image(ctx context.Context, opts Options, im Image, top bool, own, upper map[string]bool) error {
	f, err := opts.Store.OpenBlob(im.ID)
	if err != nil {
		return err
	}
	defer f.Close()
	r, err := aci.NewReader(ctx, f, aci.Options{})
	if err != nil {
		return err
	}
	defer r.Close()
	mine := map[string]bool{} // names this image wrote, for its hard links
	for {
		hdr, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		name := path.Clean(hdr.Name)
		if name == aci.ManifestName {
			if top {
				_, raw := r.Manifest() // Next already read and checked it
				if err := x.root.WriteFile(aci.ManifestName, raw, 0o644); err != nil {
					return err
				}
			}
			continue
		}
		if name == "." || (name != aci.RootfsName && !strings.HasPrefix(name, aci.RootfsName+"/")) {
			continue
		}
		isDir := hdr.Typeflag == tar.TypeDir
		if !allowed(name, isDir, own, false) || !allowed(name, isDir, upper, true) {
			continue
		}
		if _, done := x.seen[name]; done || x.underNonDir(name) {
			continue
		}
		if err := x.write(hdr, name, r, mine); err != nil {
			return fmt.Errorf("extract %s: %w", name, err)
		}
		x.seen[name] = isDir
		mine[name] = true
	}
	if r.ID() != im.ID {
		return errkind.Invalidf("image hash does not match expected: got %s, want %s", r.ID(), im.ID)
	}
	return nil
}

// allowed applies a whitelist. An image's own list drops only its
// non-directories; a list from above drops directories too, except the
// parents of listed paths.
func allowed(name string, isDir bool, wl map[string]bool, dirsToo bool) bool {
	if wl == nil || wl[name] {
		return true
	}
	if isDir {
		return !dirsToo || wl[name+"/"]
	}
	return false
}

// underNonDir reports whether a parent of name was provided as something
// other than a directory (a symlink is replaced, never followed).
func (x *extractor) underNonDir(name string) bool {
	for d := path.Dir(name); d != "." && d != "/"; d = path.Dir(d) {
		if isDir, ok := x.seen[d]; ok && !isDir {
			return true
		}
	}
	return false
}

func (x *extractor) write(hdr *tar.Header, name string, r io.Reader, mine map[string]bool) error {
	mode := fs.FileMode(hdr.Mode) & fs.ModePerm
	if err := x.root.MkdirAll(path.Dir(name), 0o755); err != nil {
		return err
	}
	switch hdr.Typeflag {
	case tar.TypeDir:
		if err := x.root.Mkdir(name, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
			return err
		}
		x.dirTimes = append(x.dirTimes, dirTime{name, hdr.ModTime})
	case tar.TypeReg, tar.TypeRegA:
		f, err := x.root.OpenFile(name, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err != nil {
			return err
		}
		_, err = io.Copy(f, r)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	case tar.TypeSymlink:
		return x.finish(hdr, name, x.root.Symlink(hdr.Linkname, name), true)
	case tar.TypeLink:
		target := path.Clean(hdr.Linkname)
		if !mine[target] {
			// The target was provided by a higher image: copy semantics
			// would be wrong either way; link what is there.
			if _, err := x.root.Lstat(target); err != nil {
				return nil
			}
		}
		return x.root.Link(target, name)
	case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
		if err := x.mknod(hdr, name); err != nil {
			return err
		}
	default:
		return nil
	}
	if err := x.finish(hdr, name, nil, false); err != nil {
		return err
	}
	// chown clears set-id bits, so the mode goes last.
	return x.root.Chmod(name, mode|specialBits(hdr.Mode))
}

func (x *extractor) finish(hdr *tar.Header, name string, err error, link bool) error {
	if err != nil {
		return err
	}
	if x.chown {
		if err := x.root.Lchown(name, hdr.Uid, hdr.Gid); err != nil {
			return err
		}
	}
	if !link && hdr.Typeflag != tar.TypeDir {
		_ = x.root.Chtimes(name, hdr.ModTime, hdr.ModTime)
	}
	return nil
}

func specialBits(m int64) fs.FileMode {
	var out fs.FileMode
	if m&0o4000 != 0 {
		out |= fs.ModeSetuid
	}
	if m&0o2000 != 0 {
		out |= fs.ModeSetgid
	}
	if m&0o1000 != 0 {
		out |= fs.ModeSticky
	}
	return out
}

// mknod creates a device or FIFO relative to its parent opened through the
// root, so the name cannot escape it.
func (x *extractor) mknod(hdr *tar.Header, name string) error {
	dir, err := x.root.Open(path.Dir(name))
	if err != nil {
		return err
	}
	defer dir.Close()
	var typ uint32
	switch hdr.Typeflag {
	case tar.TypeChar:
		typ = unix.S_IFCHR
	case tar.TypeBlock:
		typ = unix.S_IFBLK
	default:
		typ = unix.S_IFIFO
	}
	dev := unix.Mkdev(uint32(hdr.Devmajor), uint32(hdr.Devminor))
	return unix.Mknodat(int(dir.Fd()), path.Base(name), typ|0o600, int(dev))
}

// lockFile takes an exclusive flock on path, waiting for ctx.
func lockFile(p string, ctx context.Context) (func(), error) {
	f, err := os.OpenFile(p, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", p, err)
	}
	for {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			return func() { f.Close() }, nil
		}
		if !errors.Is(err, unix.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", p, err)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}
