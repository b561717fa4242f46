package dockerconv

import (
	"path"
	"strings"

	"github.com/acikit/acikit/internal/errkind"
)

// Whiteout markers (OCI image-spec layer.md, AUFS heritage).
const (
	whiteoutPrefix = ".wh."
	whiteoutMeta   = ".wh..wh."
	opaqueMarker   = ".wh..wh..opq"
)

// cleanName turns a layer entry name into a slash-separated path relative to
// the image root; "" is the root itself ("." and "./" entries). Names with a
// ".." element are refused even when they would clean to a local path: no
// honest layer writer produces them and they are the classic escape.
func cleanName(name string) (string, error) {
	if strings.IndexByte(name, 0) >= 0 {
		return "", errkind.Invalidf("entry %q: NUL byte in name", name)
	}
	for _, el := range strings.Split(name, "/") {
		if el == ".." {
			return "", errkind.Invalidf("entry %q: name climbs out of the root with ..", name)
		}
	}
	p := path.Clean("/" + name)
	if p == "/" {
		return "", nil
	}
	return p[1:], nil
}

type whiteoutKind int

const (
	notWhiteout    whiteoutKind = iota
	whiteoutFile                // .wh.NAME: NAME and everything below it are deleted
	whiteoutOpaque              // .wh..wh..opq: the directory's lower contents are hidden
	whiteoutOther               // other .wh..wh.* AUFS bookkeeping: dropped
)

// parseWhiteout classifies a cleaned entry path. For whiteoutFile the target
// is the deleted path, for whiteoutOpaque the opaque directory ("" = root).
func parseWhiteout(p string) (whiteoutKind, string) {
	dir, base := path.Split(p)
	if !strings.HasPrefix(base, whiteoutPrefix) {
		return notWhiteout, ""
	}
	dir = strings.TrimSuffix(dir, "/")
	switch {
	case base == opaqueMarker:
		return whiteoutOpaque, dir
	case strings.HasPrefix(base, whiteoutMeta):
		return whiteoutOther, ""
	}
	name := base[len(whiteoutPrefix):]
	if name == "" || name == "." || name == ".." {
		return whiteoutOther, ""
	}
	if dir == "" {
		return whiteoutFile, name
	}
	return whiteoutFile, dir + "/" + name
}

// symlinkEscapes reports whether a symlink at linkPath (cleaned, relative to
// the root) with the given target leaves the root when resolved lexically.
//
// The rule: an absolute target is resolved from the image root, a relative one
// from the link's directory; the link escapes if a ".." element would climb
// above the root. So /bin/sh -> /bin/busybox and lib -> usr/lib are fine (any
// AppC renderer resolves absolute targets inside the container root), while
// etc/x -> ../../etc/shadow and x -> /../etc are refused: they only make sense
// as an attempt to reach the host when a tool extracts the tree without a
// chroot. Targets through other symlinks are judged when those are written,
// and extraction in acikit goes through os.Root anyway.
func symlinkEscapes(linkPath, target string) bool {
	var depth int
	if !strings.HasPrefix(target, "/") {
		if d := path.Dir(linkPath); d != "." {
			depth = strings.Count(d, "/") + 1
		}
	}
	for _, el := range strings.Split(target, "/") {
		switch el {
		case "", ".":
		case "..":
			if depth == 0 {
				return true
			}
			depth--
		default:
			depth++
		}
	}
	return false
}
