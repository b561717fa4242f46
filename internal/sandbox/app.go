//go:build linux

package sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strconv"
	"strings"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// runAppSetup is an app's setup process: it runs in the pod's pid, net,
// ipc and uts namespaces and in a mount namespace of its own, builds the
// app's file system view, takes the app's identity and execs the app. On
// failure it writes the reason to fd 4 and exits 1.
func runAppSetup() int {
	errW := os.NewFile(4, "error")
	unix.CloseOnExec(3)
	unix.CloseOnExec(4)
	b, err := io.ReadAll(os.NewFile(3, "config"))
	if err == nil {
		var a appConfig
		if err = json.Unmarshal(b, &a); err == nil {
			err = setupAndExec(&a)
		}
	}
	_, _ = errW.WriteString(err.Error())
	return 1
}

// maskedPaths are hidden from apps (files under /dev/null, directories
// under an empty read-only tmpfs); readOnlyPaths are remounted read-only.
var (
	maskedPaths = []string{"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
		"/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
		"/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap"}
	readOnlyPaths = []string{"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}
)

func setupAndExec(a *appConfig) error {
	if a.Terminal {
		if _, err := unix.Setsid(); err != nil {
			return fmt.Errorf("new session: %w", err)
		}
		if err := unix.IoctlSetInt(0, unix.TIOCSCTTY, 1); err != nil {
			return fmt.Errorf("set controlling terminal: %w", err)
		}
	} else if _, err := unix.Setsid(); err != nil {
		return fmt.Errorf("new session: %w", err)
	}

	// Detached copies of everything from the host side, taken before the
	// host file system goes away; they are attached after pivot_root, when
	// no path can lead out of the app root any more.
	trees := make([]int, len(a.Mounts))
	for i, m := range a.Mounts {
		fl := uint(unix.OPEN_TREE_CLONE | unix.OPEN_TREE_CLOEXEC)
		if m.Recursive {
			fl |= unix.AT_RECURSIVE
		}
		fd, err := unix.OpenTree(unix.AT_FDCWD, m.Source, fl)
		if err != nil {
			return fmt.Errorf("volume %s: %w", m.Source, err)
		}
		if m.ReadOnly {
			var setFl uint = unix.AT_EMPTY_PATH
			if m.Recursive {
				setFl |= unix.AT_RECURSIVE
			}
			if err := unix.MountSetattr(fd, "", setFl, &unix.MountAttr{Attr_set: unix.MOUNT_ATTR_RDONLY}); err != nil {
				return fmt.Errorf("volume %s read-only: %w", m.Source, err)
			}
		}
		trees[i] = fd
	}
	console := -1
	if a.Terminal {
		tty, err := os.Readlink("/proc/self/fd/0")
		if err != nil {
			return fmt.Errorf("find terminal: %w", err)
		}
		if console, err = unix.OpenTree(unix.AT_FDCWD, tty, unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC); err != nil {
			return fmt.Errorf("terminal %s: %w", tty, err)
		}
	}

	if err := unix.Mount(a.Root, a.Root, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("bind app root %s: %w", a.Root, err)
	}
	if err := unix.Chdir(a.Root); err != nil {
		return fmt.Errorf("enter app root: %w", err)
	}
	if err := unix.PivotRoot(".", "."); err != nil {
		return fmt.Errorf("pivot_root to %s: %w", a.Root, err)
	}
	if err := unix.Unmount(".", unix.MNT_DETACH); err != nil {
		return fmt.Errorf("detach host root: %w", err)
	}
	if err := unix.Chdir("/"); err != nil {
		return err
	}

	if err := mountSpecial(a.Terminal, console); err != nil {
		return err
	}
	for i, m := range a.Mounts {
		if err := attach(trees[i], m.Target); err != nil {
			return fmt.Errorf("volume %s on %s: %w", m.Source, m.Target, err)
		}
	}
	if err := writeIfAbsent("/etc/hosts", a.Hosts); err != nil {
		return err
	}
	if err := writeIfAbsent("/etc/resolv.conf", a.ResolvConf); err != nil {
		return err
	}
	if a.OOMScoreAdj != nil {
		if err := os.WriteFile("/proc/self/oom_score_adj", []byte(strconv.Itoa(*a.OOMScoreAdj)), 0); err != nil {
			return fmt.Errorf("set oom_score_adj: %w", err)
		}
	}
	if a.ReadOnlyRootFS {
		if err := unix.MountSetattr(unix.AT_FDCWD, "/", 0, &unix.MountAttr{Attr_set: unix.MOUNT_ATTR_RDONLY}); err != nil {
			return fmt.Errorf("make root read-only: %w", err)
		}
	}
	wd := a.WorkingDir
	if wd == "" {
		wd = "/"
	}
	if err := unix.Chdir(wd); err != nil {
		return fmt.Errorf("working directory %s: %w", wd, err)
	}
	prog, err := lookPath(a.Argv[0], a.Env)
	if err != nil {
		return err
	}

	if err := dropBounding(a.Caps); err != nil {
		return err
	}
	if err := setIdentity(a.UID, a.GID, a.Groups); err != nil {
		return err
	}
	if err := finishCaps(a.Caps); err != nil {
		return err
	}
	if a.NoNewPrivs {
		if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
			return fmt.Errorf("set no_new_privs: %w", err)
		}
	}
	err = unix.Exec(prog, a.Argv, a.Env)
	return fmt.Errorf("exec %s: %w", prog, err)
}

// mountSpecial builds /proc, /dev and /sys in the (pivoted) app root.
func mountSpecial(terminal bool, console int) error {
	const nsd = unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC
	type mnt struct {
		src, dst, fstype string
		flags            uintptr
		data             string
	}
	mounts := []mnt{
		{"proc", "/proc", "proc", nsd, ""},
		{"tmpfs", "/dev", "tmpfs", unix.MS_NOSUID | unix.MS_STRICTATIME, "mode=755,size=65536k"},
		{"devpts", "/dev/pts", "devpts", unix.MS_NOSUID | unix.MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620,gid=5"},
		{"shm", "/dev/shm", "tmpfs", nsd, "mode=1777,size=65536k"},
		{"sysfs", "/sys", "sysfs", nsd | unix.MS_RDONLY, ""},
	}
	for _, m := range mounts {
		if err := os.MkdirAll(m.dst, 0o755); err != nil {
			return fmt.Errorf("create %s: %w", m.dst, err)
		}
		if err := unix.Mount(m.src, m.dst, m.fstype, m.flags, m.data); err != nil {
			return fmt.Errorf("mount %s on %s: %w", m.fstype, m.dst, err)
		}
		if m.dst == "/dev" {
			if err := makeDev(); err != nil {
				return err
			}
		}
	}
	if terminal {
		if err := os.WriteFile("/dev/console", nil, 0o600); err != nil {
			return err
		}
		if err := attach(console, "/dev/console"); err != nil {
			return fmt.Errorf("bind terminal on /dev/console: %w", err)
		}
	}
	for _, p := range maskedPaths {
		fi, err := os.Stat(p)
		if err != nil {
			continue
		}
		if fi.IsDir() {
			err = unix.Mount("tmpfs", p, "tmpfs", unix.MS_RDONLY, "size=0")
		} else {
			err = unix.Mount("/dev/null", p, "", unix.MS_BIND, "")
		}
		if err != nil {
			return fmt.Errorf("mask %s: %w", p, err)
		}
	}
	for _, p := range readOnlyPaths {
		if err := unix.Mount(p, p, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
			if errors.Is(err, unix.ENOENT) {
				continue
			}
			return fmt.Errorf("read-only %s: %w", p, err)
		}
		if err := unix.Mount(p, p, "", unix.MS_BIND|unix.MS_REMOUNT|unix.MS_RDONLY|nsd, ""); err != nil {
			return fmt.Errorf("read-only %s: %w", p, err)
		}
	}
	return nil
}

// makeDev fills the fresh /dev tmpfs.
func makeDev() error {
	old := unix.Umask(0)
	defer unix.Umask(old)
	nodes := []struct {
		name         string
		major, minor uint32
	}{{"null", 1, 3}, {"zero", 1, 5}, {"full", 1, 7}, {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0}}
	for _, n := range nodes {
		if err := unix.Mknod("/dev/"+n.name, unix.S_IFCHR|0o666, int(unix.Mkdev(n.major, n.minor))); err != nil {
			return fmt.Errorf("create /dev/%s: %w", n.name, err)
		}
	}
	links := [][2]string{{"pts/ptmx", "/dev/ptmx"}, {"/proc/self/fd", "/dev/fd"},
		{"/proc/self/fd/0", "/dev/stdin"}, {"/proc/self/fd/1", "/dev/stdout"},
		{"/proc/self/fd/2", "/dev/stderr"}, {"/proc/kcore", "/dev/core"}}
	for _, l := range links {
		if err := os.Symlink(l[0], l[1]); err != nil {
			return fmt.Errorf("create %s: %w", l[1], err)
		}
	}
	return nil
}

// attach moves a detached mount tree onto target inside the current root,
// creating the target (a directory, or an empty file for a file tree).
func attach(tree int, target string) error {
	var st unix.Stat_t
	if err := unix.Fstat(tree, &st); err != nil {
		return err
	}
	isDir := st.Mode&unix.S_IFMT == unix.S_IFDIR
	fi, err := os.Stat(target)
	switch {
	case err == nil && fi.IsDir() != isDir:
		return fmt.Errorf("target exists and is a %s", map[bool]string{true: "directory", false: "file"}[fi.IsDir()])
	case errors.Is(err, os.ErrNotExist):
		if isDir {
			err = os.MkdirAll(target, 0o755)
		} else if err = os.MkdirAll(path.Dir(target), 0o755); err == nil {
			err = os.WriteFile(target, nil, 0o644)
		}
		if err != nil {
			return fmt.Errorf("create target: %w", err)
		}
	case err != nil:
		return err
	}
	return unix.MoveMount(tree, "", unix.AT_FDCWD, target, unix.MOVE_MOUNT_F_EMPTY_PATH)
}

// writeIfAbsent creates file with content unless it (or a symlink by that
// name, even a dangling one) exists: an image's own file always wins.
func writeIfAbsent(file string, content []byte) error {
	if content == nil {
		return nil
	}
	if _, err := os.Lstat(file); err == nil {
		return nil
	}
	if err := os.MkdirAll(path.Dir(file), 0o755); err != nil {
		return fmt.Errorf("create %s: %w", path.Dir(file), err)
	}
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, os.ErrExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("create %s: %w", file, err)
	}
	_, err = f.Write(content)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", file, err)
	}
	return nil
}

// lookPath resolves a command without a slash through PATH from env.
func lookPath(name string, env []string) (string, error) {
	if strings.Contains(name, "/") {
		return name, nil
	}
	pathVar := "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	for _, e := range env {
		if v, ok := strings.CutPrefix(e, "PATH="); ok {
			pathVar = v
		}
	}
	for _, dir := range strings.Split(pathVar, ":") {
		if dir == "" {
			dir = "."
		}
		p := path.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("exec %s: not found in PATH", name)
}

// setIdentity switches this thread only (raw syscalls): the Go wrappers
// change every thread, which is pointless right before execve and would
// fight the per-thread capability state set up here.
func setIdentity(uid, gid int, groups []int) error {
	gs := make([]uint32, len(groups))
	for i, g := range groups {
		gs[i] = uint32(g)
	}
	var p unsafe.Pointer
	if len(gs) > 0 {
		p = unsafe.Pointer(&gs[0])
	}
	if _, _, e := syscall.RawSyscall(unix.SYS_SETGROUPS, uintptr(len(gs)), uintptr(p), 0); e != 0 {
		return fmt.Errorf("setgroups %v: %w", groups, e)
	}
	if _, _, e := syscall.RawSyscall(unix.SYS_SETRESGID, uintptr(gid), uintptr(gid), uintptr(gid)); e != 0 {
		return fmt.Errorf("setgid %d: %w", gid, e)
	}
	if _, _, e := syscall.RawSyscall(unix.SYS_SETRESUID, uintptr(uid), uintptr(uid), uintptr(uid)); e != 0 {
		return fmt.Errorf("setuid %d: %w", uid, e)
	}
	return nil
}
