//go:build linux

package sandbox

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/acikit/acikit/internal/cgroup"
)

// birth makes a child process start life in its cgroup instead of being
// moved there once it runs. Moving another process (its pid written to
// cgroup.procs) takes the kernel's global threadgroup lock, whose first
// taker after a quiet spell waits for an RCU grace period: about 10 ms on
// the test VM, more than the rest of a pod start. A thread that moves
// itself through a v1 hierarchy's tasks file skips that lock, and a fork
// inherits the forking thread's cgroups; on v2, clone3's CLONE_INTO_CGROUP
// (Go's SysProcAttr.UseCgroupFD) places the child directly. So the forking
// thread (locked) enters the v1 directories, forks, and goes home.
type birth struct {
	enter, home []string // v1 tasks files: the child's cgroups, the thread's own
	v2          *os.File // the child's v2 directory, for CLONE_INTO_CGROUP
}

// planBirth pairs each v1 directory of dirs (a cgroup.Cgroup's) with the
// directory of home (the forking thread's own cgroups) in the same
// hierarchy of layout l; the v2 directory, if any, is placed by clone3.
func planBirth(l *cgroup.Layout, dirs, home []string) (birthPlan, error) {
	var p birthPlan
	for _, d := range dirs {
		if isV2Dir(d) {
			p.V2 = d
			continue
		}
		m := mountOf(l, d)
		h := ""
		for _, c := range home {
			if m != "" && mountOf(l, c) == m {
				h = c
			}
		}
		if h == "" {
			return birthPlan{}, fmt.Errorf("cgroup %s: the thread has no cgroup in its hierarchy", d)
		}
		p.Enter = append(p.Enter, filepath.Join(d, "tasks"))
		p.Home = append(p.Home, filepath.Join(h, "tasks"))
	}
	return p, nil
}

// mountOf is the v1 mount point of l that dir lies in, "" for none.
func mountOf(l *cgroup.Layout, dir string) string {
	best := ""
	for _, m := range l.V1 {
		if (dir == m || strings.HasPrefix(dir, m+"/")) && len(m) > len(best) {
			best = m
		}
	}
	return best
}

// open turns a plan into a birth.
func (p birthPlan) open() (*birth, error) {
	b := &birth{enter: p.Enter, home: p.Home}
	if p.V2 != "" {
		f, err := os.Open(p.V2)
		if err != nil {
			return nil, fmt.Errorf("open cgroup %s: %w", p.V2, err)
		}
		b.v2 = f
	}
	return b, nil
}

func isV2Dir(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, "cgroup.controllers"))
	return err == nil
}

// apply adds the v2 placement to a child's attributes.
func (b *birth) apply(sys *syscall.SysProcAttr) {
	if b.v2 != nil {
		sys.UseCgroupFD, sys.CgroupFD = true, int(b.v2.Fd())
	}
}

// enterThread moves the calling (locked) thread into the child's v1
// cgroups. On failure the thread is back home, or the error says it is not.
func (b *birth) enterThread() error {
	for i, f := range b.enter {
		if err := writeTasks(f); err != nil {
			if herr := writeAll(b.home[:i]); herr != nil {
				return errors.Join(err, errThreadAway, herr)
			}
			return err
		}
	}
	return nil
}

// leaveThread moves the calling thread back to its own cgroups.
func (b *birth) leaveThread() error {
	if err := writeAll(b.home); err != nil {
		return errors.Join(errThreadAway, err)
	}
	return nil
}

// errThreadAway marks a thread that could not return to its cgroups: it
// must not be handed back to the Go scheduler.
var errThreadAway = errors.New("thread left in a pod cgroup")

func (b *birth) close() {
	if b.v2 != nil {
		b.v2.Close()
	}
}

func writeAll(files []string) error {
	for _, f := range files {
		if err := writeTasks(f); err != nil {
			return err
		}
	}
	return nil
}

// writeTasks moves the calling thread ("0") into the cgroup of a v1 tasks
// file.
func writeTasks(file string) error {
	fd, err := unix.Open(file, unix.O_WRONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("enter cgroup: %w", err)
	}
	defer unix.Close(fd)
	if _, err := unix.Write(fd, []byte("0")); err != nil {
		return fmt.Errorf("enter cgroup %s: %w", filepath.Dir(file), err)
	}
	return nil
}

// threadCgroups lists the calling thread's directories in the v1
// hierarchies of layout l.
func threadCgroups(l *cgroup.Layout) ([]string, error) {
	f, err := os.Open("/proc/thread-self/cgroup")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	paths, err := cgroup.ParseProcCgroup(f)
	if err != nil {
		return nil, err
	}
	var dirs []string
	seen := map[string]bool{}
	for c, mnt := range l.V1 {
		p, ok := paths[c]
		if !ok || seen[mnt] {
			continue
		}
		seen[mnt] = true
		dirs = append(dirs, filepath.Join(mnt, p))
	}
	return dirs, nil
}
