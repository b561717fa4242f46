package aci

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/acikit/acikit/internal/compress"
	"github.com/acikit/acikit/internal/log"
	"golang.org/x/sys/unix"
)

// BuildOptions tune Build.
type BuildOptions struct {
	// Compression is compress.Gzip (the zero value), compress.None, or the
	// zstd extension.
	Compression compress.Kind
	// Compress tunes the compressor (level, goroutines).
	Compress compress.WriterOptions
	// OwnerRoot records every entry as owned by 0/0 (root/root) instead of
	// the owner on disk.
	OwnerRoot bool
	// ManifestModTime is the manifest entry's mtime. The CLI fills it from
	// SOURCE_DATE_EPOCH or the manifest file's mtime; the zero value means
	// the Unix epoch, so builds are reproducible by default.
	ManifestModTime time.Time
	// MaxManifestSize caps the manifest file (default 1 MiB).
	MaxManifestSize int64
	// Log receives a debug line per skipped entry (sockets).
	Log *log.Logger
}

// Build validates the layout in dir and writes it to w as an image,
// returning the image ID. The output is reproducible: the manifest comes
// first, re-serialised compact through schema, with mode 0644, owner 0/0
// and ManifestModTime; then rootfs and everything below it, depth first in
// byte order of names, with modes, owners (or 0/0), mtimes (whole seconds),
// xattrs of files and directories (PAX SCHILY.xattr.*), symlinks, FIFOs and
// devices; a second name for an inode already written becomes a hard link.
// Sockets are skipped. Atime and ctime are not recorded.
//
// The walk goes through os.Root with O_NOFOLLOW opens, so a symlink in the
// layout cannot redirect it, and each opened file is checked to be the
// inode that was listed. Files stream through; nothing is buffered whole.
func Build(ctx context.Context, dir string, w io.Writer, opts BuildOptions) (id string, err error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return "", fmt.Errorf("open layout: %w", err)
	}
	defer root.Close()
	m, _, err := readLayout(root, LayoutOptions{MaxManifestSize: opts.MaxManifestSize})
	if err != nil {
		return "", err
	}
	compact, err := m.MarshalJSON()
	if err != nil {
		return "", fmt.Errorf("serialise manifest: %w", err)
	}
	aw, err := NewWriter(w, WriterOptions{Compression: opts.Compression, Compress: opts.Compress})
	if err != nil {
		return "", err
	}
	defer aw.Abort()
	mtime := opts.ManifestModTime
	if mtime.IsZero() {
		mtime = time.Unix(0, 0)
	}
	mh := &tar.Header{
		Name: ManifestName, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(compact)),
		Uname: "root", Gname: "root", ModTime: mtime.Truncate(time.Second),
	}
	if err := aw.AddFile(mh, bytes.NewReader(compact)); err != nil {
		return "", err
	}
	b := &builder{ctx: ctx, aw: aw, opts: opts, links: map[inode]string{}}
	if err := b.walk(root, RootfsName, RootfsName); err != nil {
		return "", err
	}
	if err := aw.Close(); err != nil {
		return "", err
	}
	return aw.ID(), nil
}

type inode struct{ dev, ino uint64 }

type builder struct {
	ctx   context.Context
	aw    *Writer
	opts  BuildOptions
	links map[inode]string
	xbuf  []byte
}

// walk writes the entry base of the directory parent (name is its path in
// the image) and, for a directory, everything below it. Each directory is
// opened once as an os.Root, so every operation is one openat-style call
// on a single name, and nothing can lead out of the layout.
func (b *builder) walk(parent *os.Root, base, name string) error {
	if err := b.ctx.Err(); err != nil {
		return err
	}
	fi, err := parent.Lstat(base)
	if err != nil {
		return fmt.Errorf("stat %s: %w", name, err)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fmt.Errorf("stat %s: no unix stat data", name)
	}
	hdr := &tar.Header{
		Name:    name,
		Mode:    tarMode(fi.Mode()),
		Uid:     int(st.Uid),
		Gid:     int(st.Gid),
		ModTime: fi.ModTime().Truncate(time.Second),
	}
	if b.opts.OwnerRoot {
		hdr.Uid, hdr.Gid, hdr.Uname, hdr.Gname = 0, 0, "root", "root"
	}
	mode := fi.Mode()
	if mode&fs.ModeSocket != 0 {
		b.opts.Log.Debugf("skipping socket %s", name)
		return nil
	}
	if !mode.IsDir() && st.Nlink > 1 {
		key := inode{uint64(st.Dev), uint64(st.Ino)}
		if first, ok := b.links[key]; ok {
			hdr.Typeflag, hdr.Linkname = tar.TypeLink, first
			return b.aw.AddFile(hdr, nil)
		}
		b.links[key] = name
	}
	switch {
	case mode.IsDir():
		return b.dir(parent, base, name, hdr, st)
	case mode.IsRegular():
		return b.file(parent, base, name, hdr, st)
	case mode&fs.ModeSymlink != 0:
		target, err := parent.Readlink(base)
		if err != nil {
			return fmt.Errorf("read symlink %s: %w", name, err)
		}
		hdr.Typeflag, hdr.Linkname = tar.TypeSymlink, target
	case mode&fs.ModeNamedPipe != 0:
		hdr.Typeflag = tar.TypeFifo
	case mode&fs.ModeDevice != 0:
		hdr.Typeflag = tar.TypeBlock
		if mode&fs.ModeCharDevice != 0 {
			hdr.Typeflag = tar.TypeChar
		}
		hdr.Devmajor, hdr.Devminor = int64(unix.Major(uint64(st.Rdev))), int64(unix.Minor(uint64(st.Rdev)))
	default:
		return fmt.Errorf("%s: unsupported file type %v", name, mode.Type())
	}
	return b.aw.AddFile(hdr, nil)
}

// open opens base in parent without following a final symlink and checks
// that it is still the inode Lstat saw.
func open(parent *os.Root, base, name string, st *syscall.Stat_t) (*os.File, error) {
	f, err := parent.OpenFile(base, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", name, err)
	}
	var now unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &now); err != nil {
		f.Close()
		return nil, fmt.Errorf("stat %s: %w", name, err)
	}
	if !sameInode(&now, st) {
		f.Close()
		return nil, fmt.Errorf("%s: replaced while building", name)
	}
	return f, nil
}

func sameInode(a *unix.Stat_t, b *syscall.Stat_t) bool {
	return uint64(a.Dev) == uint64(b.Dev) && a.Ino == b.Ino
}

func (b *builder) dir(parent *os.Root, base, name string, hdr *tar.Header, st *syscall.Stat_t) error {
	d, err := parent.OpenRoot(base)
	if err != nil {
		return fmt.Errorf("open %s: %w", name, err)
	}
	defer d.Close()
	f, err := d.Open(".")
	if err != nil {
		return fmt.Errorf("open %s: %w", name, err)
	}
	var now unix.Stat_t
	err = unix.Fstat(int(f.Fd()), &now)
	if err == nil && !sameInode(&now, st) {
		err = errors.New("replaced while building")
	}
	var names []string
	if err == nil {
		names, err = f.Readdirnames(-1)
	}
	if err == nil {
		err = b.xattrs(f, hdr)
	}
	f.Close()
	if err != nil {
		return fmt.Errorf("read directory %s: %w", name, err)
	}
	hdr.Typeflag = tar.TypeDir
	hdr.Name += "/"
	if err := b.aw.AddFile(hdr, nil); err != nil {
		return err
	}
	slices.Sort(names)
	for _, n := range names {
		if err := b.walk(d, n, name+"/"+n); err != nil {
			return err
		}
	}
	return nil
}

func (b *builder) file(parent *os.Root, base, name string, hdr *tar.Header, st *syscall.Stat_t) error {
	f, err := open(parent, base, name, st)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := b.xattrs(f, hdr); err != nil {
		return fmt.Errorf("read xattrs of %s: %w", name, err)
	}
	hdr.Typeflag, hdr.Size = tar.TypeReg, st.Size
	return b.aw.AddFile(hdr, f)
}

// xattrs records the extended attributes of an open file in hdr.
func (b *builder) xattrs(f *os.File, hdr *tar.Header) error {
	fd := int(f.Fd())
	if b.xbuf == nil {
		b.xbuf = make([]byte, 64<<10)
	}
	n, err := unix.Flistxattr(fd, b.xbuf)
	if errors.Is(err, unix.ERANGE) {
		b.xbuf = make([]byte, 1<<20)
		n, err = unix.Flistxattr(fd, b.xbuf)
	}
	if errors.Is(err, unix.ENOTSUP) || n == 0 {
		return nil
	}
	if err != nil {
		return err
	}
	list := string(b.xbuf[:n])
	for len(list) > 0 {
		var key string
		if i := strings.IndexByte(list, 0); i >= 0 {
			key, list = list[:i], list[i+1:]
		} else {
			key, list = list, ""
		}
		if key == "" {
			continue
		}
		vn, err := unix.Fgetxattr(fd, key, b.xbuf)
		if errors.Is(err, unix.ERANGE) {
			b.xbuf = make([]byte, 1<<20)
			vn, err = unix.Fgetxattr(fd, key, b.xbuf)
		}
		if errors.Is(err, unix.ENODATA) {
			continue // removed meanwhile
		}
		if err != nil {
			return fmt.Errorf("xattr %s: %w", key, err)
		}
		if hdr.PAXRecords == nil {
			hdr.PAXRecords = map[string]string{}
		}
		hdr.PAXRecords["SCHILY.xattr."+key] = string(b.xbuf[:vn])
	}
	return nil
}

// tarMode turns a FileMode into tar's permission bits, with setuid, setgid
// and sticky in their Unix places.
func tarMode(m fs.FileMode) int64 {
	mode := int64(m.Perm())
	if m&fs.ModeSetuid != 0 {
		mode |= 0o4000
	}
	if m&fs.ModeSetgid != 0 {
		mode |= 0o2000
	}
	if m&fs.ModeSticky != 0 {
		mode |= 0o1000
	}
	return mode
}
