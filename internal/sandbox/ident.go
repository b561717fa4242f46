//go:build linux

package sandbox

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"

	"github.com/acikit/acikit/internal/errkind"
)

// Identity is a resolved user and group.
type Identity struct {
	UID, GID int
	// Groups are the supplementary group IDs.
	Groups []int
}

// maxAccountFile caps how much of an image's /etc/passwd or /etc/group is read.
const maxAccountFile = 4 << 20

// ResolveIdentity turns the spec's user and group strings into IDs for the
// app whose root file system is rootDir: a number is used as is, an absolute
// path names a file in the image whose owner (user) or group (group) is used,
// anything else is a name looked up in the image's /etc/passwd or /etc/group.
// Files are read through os.Root, so image symlinks cannot reach host files.
// Empty strings mean 0 (root).
func ResolveIdentity(rootDir, user, group string, supplementary []int) (Identity, error) {
	id := Identity{Groups: supplementary}
	var root *os.Root
	open := func() (*os.Root, error) {
		if root != nil {
			return root, nil
		}
		r, err := os.OpenRoot(rootDir)
		if err != nil {
			return nil, fmt.Errorf("open app root: %w", err)
		}
		root = r
		return r, nil
	}
	defer func() {
		if root != nil {
			root.Close()
		}
	}()
	var err error
	if id.UID, err = resolveOne(open, user, "/etc/passwd", true); err != nil {
		return id, fmt.Errorf("resolve user %q: %w", user, err)
	}
	if id.GID, err = resolveOne(open, group, "/etc/group", false); err != nil {
		// Docker's "USER app" means app's primary group, and converted
		// images carry it as group "app", which /etc/group often lacks.
		gid, ok := primaryGroup(open, user, group)
		if !ok {
			return id, fmt.Errorf("resolve group %q: %w", group, err)
		}
		id.GID = gid
	}
	return id, nil
}

// primaryGroup returns the GID field of user's /etc/passwd entry when the
// group asked for is the user's own name.
func primaryGroup(open func() (*os.Root, error), user, group string) (int, bool) {
	if group != user || strings.HasPrefix(user, "/") {
		return 0, false
	}
	if _, err := strconv.Atoi(user); err == nil {
		return 0, false
	}
	r, err := open()
	if err != nil {
		return 0, false
	}
	f, err := r.Open("etc/passwd")
	if err != nil {
		return 0, false
	}
	defer f.Close()
	gid, found, err := lookupColon(f, user, 3)
	return gid, found && err == nil
}

func resolveOne(open func() (*os.Root, error), s, file string, user bool) (int, error) {
	if s == "" {
		return 0, nil
	}
	if n, err := strconv.ParseUint(s, 10, 32); err == nil {
		return int(n), nil
	}
	r, err := open()
	if err != nil {
		return 0, err
	}
	if strings.HasPrefix(s, "/") {
		fi, err := r.Stat(strings.TrimLeft(s, "/"))
		if err != nil {
			return 0, errkind.Invalidf("owner of %s in the image: %w", s, err)
		}
		st := fi.Sys().(*syscall.Stat_t)
		if user {
			return int(st.Uid), nil
		}
		return int(st.Gid), nil
	}
	f, err := r.Open(strings.TrimLeft(file, "/"))
	if err != nil {
		return 0, errkind.Invalidf("look up %q in the image's %s: %w", s, file, err)
	}
	defer f.Close()
	var n int
	var found bool
	if user {
		n, found, err = LookupPasswd(f, s)
	} else {
		n, found, err = LookupGroup(f, s)
	}
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", file, err)
	}
	if !found {
		return 0, errkind.Invalidf("%q not found in the image's %s", s, file)
	}
	return n, nil
}

// LookupPasswd finds name in a passwd(5) file and returns its UID.
func LookupPasswd(r io.Reader, name string) (uid int, found bool, err error) {
	return lookupColon(r, name, 2)
}

// LookupGroup finds name in a group(5) file and returns its GID.
func LookupGroup(r io.Reader, name string) (gid int, found bool, err error) {
	return lookupColon(r, name, 2)
}

// lookupColon scans colon-separated records for one whose first field is
// name and returns field idx as a 32-bit ID. Comment, blank, NIS (+/-) and
// malformed lines are skipped; the first match wins, as in glibc.
func lookupColon(r io.Reader, name string, idx int) (int, bool, error) {
	if name == "" {
		return 0, false, nil
	}
	// ReadString, not a Scanner: one overlong line (a comment, say) must not
	// end the scan and hide the names after it. The file cap bounds memory.
	br := bufio.NewReader(io.LimitReader(r, maxAccountFile))
	for {
		line, err := br.ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return 0, false, err
		}
		line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
		if line != "" && line[0] != '#' && line[0] != '+' && line[0] != '-' {
			f := strings.Split(line, ":")
			if len(f) > idx && f[0] == name {
				if n, perr := strconv.ParseUint(f[idx], 10, 32); perr == nil {
					return int(n), true, nil
				}
			}
		}
		if err != nil {
			return 0, false, nil
		}
	}
}
