package aci

import (
	"archive/tar"
	"fmt"
	"path"
	"strconv"
	"strings"

	"github.com/acikit/acikit/internal/errkind"
)

// The two top-level names of an image.
const (
	ManifestName = "manifest"
	RootfsName   = "rootfs"
)

// checker applies the archive rules to a sequence of tar headers.
type checker struct {
	seen     nameSet // every entry so far, see names.go
	manifest bool
	rootfs   bool
	odd      bool // some symlink or non-directory entry seen: check parents
	// okDir is the last directory whose ancestors, itself included, were
	// found to be directories or not entries at all: entries in a row
	// usually share their directory, so most skip the walk up.
	okDir string
}

// qname quotes a name only when it needs it, so that plain names read
// naturally in messages and odd ones cannot break the one-line rule.
func qname(s string) string {
	for _, r := range s {
		if r <= ' ' || r == '"' || r == '\\' || r == 0x7f || !strconv.IsPrint(r) {
			return strconv.Quote(s)
		}
	}
	if s == "" {
		return `""`
	}
	return s
}

func invalidf(format string, a ...any) error {
	return errkind.Mark(fmt.Errorf(format, a...), errkind.Invalid)
}

func inRootfs(clean string) bool {
	return clean == RootfsName || strings.HasPrefix(clean, RootfsName+"/")
}

// cleanName checks the form of an entry name and returns its clean form
// ("." for the archive's top directory, which check only allows as a
// directory).
func cleanName(raw string) (string, error) {
	if raw == "" {
		return "", invalidf("entry with an empty name")
	}
	if strings.HasPrefix(raw, "/") {
		return "", invalidf("%s: absolute entry name", qname(raw))
	}
	clean := path.Clean(raw)
	for el := range strings.SplitSeq(raw, "/") {
		if el != ".." {
			continue
		}
		first, _, _ := strings.Cut(strings.TrimPrefix(raw, "./"), "/")
		if clean == ".." || strings.HasPrefix(clean, "../") || (first == RootfsName && !inRootfs(clean)) {
			return "", invalidf("%s: entry escapes the image", qname(raw))
		}
		return "", invalidf("%s: entry name has a \"..\" element", qname(raw))
	}
	if clean != ManifestName && !inRootfs(clean) && clean != "." {
		return "", invalidf("unrecognized file path in archive: %q", clean)
	}
	return clean, nil
}

// check applies the rules to the next entry and records it. It returns the
// clean name.
func (c *checker) check(hdr *tar.Header) (string, error) {
	name, err := cleanName(hdr.Name)
	if err != nil {
		return "", err
	}
	typ := hdr.Typeflag
	if typ == tar.TypeRegA {
		typ = tar.TypeReg
	}
	switch typ {
	case tar.TypeReg, tar.TypeDir, tar.TypeSymlink, tar.TypeLink, tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
	default:
		return "", invalidf("%s: unsupported entry type %q", qname(name), typ)
	}
	if name == "." {
		// "./", the archive's own top directory, as `tar -C dir -cf x .`
		// writes it: harmless as a directory, never recorded.
		if typ != tar.TypeDir {
			return "", invalidf("unrecognized file path in archive: %q", name)
		}
		return name, nil
	}
	key := c.seen.hash(name)
	if c.seen.find(key) != classNone {
		return "", invalidf("duplicate entry %q in archive", name)
	}
	switch {
	case name == ManifestName:
		if typ != tar.TypeReg {
			return "", invalidf("manifest is not a regular file")
		}
		c.manifest = true
	case name == RootfsName:
		if typ != tar.TypeDir {
			return "", invalidf("rootfs is not a directory")
		}
		c.rootfs = true
	}
	if dir := path.Dir(name); c.odd && dir != "." && dir != c.okDir {
		// Every ancestor that is an entry must be a real directory.
		for i := len(RootfsName); i <= len(dir); i++ {
			if i < len(dir) && dir[i] != '/' {
				continue
			}
			parent := dir[:i]
			switch c.seen.find(c.seen.hash(parent)) {
			case classNone, classDir:
			case classSymlink:
				return "", invalidf("%s: entry is beneath symlink %q", qname(name), parent)
			default:
				return "", invalidf("%s: entry is beneath non-directory %q", qname(name), parent)
			}
		}
		c.okDir = dir
	}
	switch typ {
	case tar.TypeSymlink:
		if hdr.Linkname == "" {
			return "", invalidf("%s: symlink with an empty target", qname(name))
		}
		if !path.IsAbs(hdr.Linkname) && !inRootfs(path.Join(path.Dir(name), hdr.Linkname)) {
			return "", invalidf("%s: symlink target %q escapes rootfs", qname(name), hdr.Linkname)
		}
	case tar.TypeLink:
		target := path.Clean(hdr.Linkname)
		if hdr.Linkname == "" || path.IsAbs(hdr.Linkname) || !inRootfs(target) || target == RootfsName {
			return "", invalidf("%s: hard link target %q is outside rootfs", qname(name), hdr.Linkname)
		}
		switch c.seen.find(c.seen.hash(target)) {
		case classNone:
			return "", invalidf("%s: hard link to %q, which is not an earlier entry", qname(name), hdr.Linkname)
		case classDir:
			return "", invalidf("%s: hard link to directory %q", qname(name), hdr.Linkname)
		}
	}
	class := byte(classDir)
	if typ != tar.TypeDir {
		class = classOther
		if typ == tar.TypeSymlink {
			class = classSymlink
		}
		c.odd = true
		if c.okDir == name || strings.HasPrefix(c.okDir, name+"/") {
			c.okDir = "" // now beneath a non-directory
		}
	}
	c.seen.add(key, class)
	return name, nil
}

// finish reports what is missing once all entries were seen.
func (c *checker) finish() error {
	if !c.manifest {
		return invalidf("no image manifest found in archive")
	}
	if !c.rootfs {
		return invalidf("no rootfs found in archive")
	}
	return nil
}
