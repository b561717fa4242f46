//go:build linux

package sandbox

import (
	"errors"
	"fmt"
	"os"
	"path"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// spawn starts argv in app a's environment and returns its pid. The work
// happens on a thread of its own that is never handed back to the Go
// scheduler (it ends with its goroutine): the thread joins the pod's
// network namespace (netns, nil for the host's), unshares a mount
// namespace, enters the app's cgroups, builds the app's file system view
// and drops the bounding set, then forks the program with the app's
// identity, which the child inherits with the thread's namespace, root,
// cgroups and no_new_privs. This costs no exec of a setup program. fork
// wraps the fork itself (init registers the child under its lock).
func spawn(a *appConfig, argv []string, netns *os.File, fork func(func() (int, error)) (int, error)) (pid int, placed bool, err error) {
	onThread(func() bool {
		pid, placed, err = setupAndFork(a, argv, netns, fork)
		return false
	})
	return pid, placed, err
}

func setupAndFork(a *appConfig, argv []string, netns *os.File, fork func(func() (int, error)) (int, error)) (int, bool, error) {
	// The pod's network namespace first: /sys mounted below shows the
	// mounter's.
	if netns != nil {
		if err := unix.Setns(int(netns.Fd()), unix.CLONE_NEWNET); err != nil {
			return 0, false, fmt.Errorf("join the pod's network namespace: %w", err)
		}
	}
	// A mount namespace, root and cwd for this thread alone: a copy of
	// the host's (init has none of its own, so it has none to tear down),
	// made private before anything is mounted in it, so that no mount
	// reaches the host.
	if err := unix.Unshare(unix.CLONE_NEWNS); err != nil {
		return 0, false, fmt.Errorf("new mount namespace: %w", err)
	}
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return 0, false, fmt.Errorf("make mounts private: %w", err)
	}
	// The cgroups first: their files are out of reach after pivot_root.
	placed := false
	var sys syscall.SysProcAttr
	if a.Birth != nil {
		plan := *a.Birth
		plan.Home = nil // the thread never goes back
		if b, err := plan.open(); err == nil {
			defer b.close()
			if b.enterThread() == nil {
				placed = true
				b.apply(&sys)
			}
		}
	}
	prog, err := buildView(a, argv)
	if err != nil {
		return 0, false, err
	}
	if err := dropBounding(a.Caps); err != nil {
		return 0, false, err
	}
	if err := setInheritable(a.Caps); err != nil {
		return 0, false, err
	}
	if a.NoNewPrivs {
		if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
			return 0, false, fmt.Errorf("set no_new_privs: %w", err)
		}
	}
	groups := make([]uint32, len(a.Groups))
	for i, g := range a.Groups {
		groups[i] = uint32(g)
	}
	sys.Setsid = true
	sys.Setctty, sys.Ctty = a.Terminal, 0
	sys.Credential = &syscall.Credential{Uid: uint32(a.UID), Gid: uint32(a.GID), Groups: groups}
	for _, name := range a.Caps.Names() {
		n, _ := ParseCap(name)
		sys.AmbientCaps = append(sys.AmbientCaps, uintptr(n))
	}
	attr := &syscall.ProcAttr{
		Env:   a.Env,
		Files: []uintptr{uintptr(a.Stdio[0]), uintptr(a.Stdio[1]), uintptr(a.Stdio[2])},
		Sys:   &sys,
	}
	pid, err := fork(func() (int, error) {
		// oom_score_adj is per process and inherited: init takes the
		// app's value for the moment of the fork (under init's lock, so
		// no other fork sees it).
		if a.OOMScoreAdj != nil {
			old, err := os.ReadFile("/proc/self/oom_score_adj")
			if err != nil {
				return 0, fmt.Errorf("read oom_score_adj: %w", err)
			}
			if err := os.WriteFile("/proc/self/oom_score_adj", []byte(strconv.Itoa(*a.OOMScoreAdj)), 0); err != nil {
				return 0, fmt.Errorf("set oom_score_adj: %w", err)
			}
			defer os.WriteFile("/proc/self/oom_score_adj", old, 0)
		}
		pid, err := syscall.ForkExec(prog, argv, attr)
		if err != nil {
			return 0, fmt.Errorf("exec %s: %w", prog, err)
		}
		return pid, nil
	})
	return pid, placed, err
}

// maskedPaths are hidden from apps (files under /dev/null, directories
// under an empty read-only tmpfs); readOnlyPaths are remounted read-only.
var (
	maskedPaths = []string{"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
		"/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
		"/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap"}
	readOnlyPaths = []string{"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}
)

// buildView makes the calling thread's (fresh) mount namespace the app's
// file system view: the root pivoted to, /proc, /dev, /sys, volumes,
// /etc/hosts and /etc/resolv.conf, the working directory. It returns the
// program to run.
func buildView(a *appConfig, argv []string) (string, error) {
	// Detached copies of everything from the host side, taken before the
	// host file system goes away; they are attached after pivot_root, when
	// no path can lead out of the app root any more.
	trees := make([]int, len(a.Mounts))
	console := -1
	// init lives on: the detached trees are its fds until closed.
	defer func() {
		for _, fd := range trees {
			if fd > 0 {
				unix.Close(fd)
			}
		}
		if console >= 0 {
			unix.Close(console)
		}
	}()
	for i, m := range a.Mounts {
		fl := uint(unix.OPEN_TREE_CLONE | unix.OPEN_TREE_CLOEXEC)
		if m.Recursive {
			fl |= unix.AT_RECURSIVE
		}
		fd, err := unix.OpenTree(unix.AT_FDCWD, m.Source, fl)
		if err != nil {
			return "", fmt.Errorf("volume %s: %w", m.Source, err)
		}
		if m.ReadOnly {
			var setFl uint = unix.AT_EMPTY_PATH
			if m.Recursive {
				setFl |= unix.AT_RECURSIVE
			}
			if err := unix.MountSetattr(fd, "", setFl, &unix.MountAttr{Attr_set: unix.MOUNT_ATTR_RDONLY}); err != nil {
				return "", fmt.Errorf("volume %s read-only: %w", m.Source, err)
			}
		}
		trees[i] = fd
	}
	if a.Terminal {
		tty, err := os.Readlink("/proc/self/fd/" + strconv.Itoa(a.Stdio[0]))
		if err != nil {
			return "", fmt.Errorf("find terminal: %w", err)
		}
		if console, err = unix.OpenTree(unix.AT_FDCWD, tty, unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC); err != nil {
			return "", fmt.Errorf("terminal %s: %w", tty, err)
		}
	}

	if err := unix.Mount(a.Root, a.Root, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return "", fmt.Errorf("bind app root %s: %w", a.Root, err)
	}
	if err := unix.Chdir(a.Root); err != nil {
		return "", fmt.Errorf("enter app root: %w", err)
	}
	if err := unix.PivotRoot(".", "."); err != nil {
		return "", fmt.Errorf("pivot_root to %s: %w", a.Root, err)
	}
	if err := unix.Unmount(".", unix.MNT_DETACH); err != nil {
		return "", fmt.Errorf("detach host root: %w", err)
	}
	if err := unix.Chdir("/"); err != nil {
		return "", err
	}

	if err := mountSpecial(a.Terminal, a.NodevDev, console); err != nil {
		return "", err
	}
	for i, m := range a.Mounts {
		if err := attach(trees[i], m.Target); err != nil {
			return "", fmt.Errorf("volume %s on %s: %w", m.Source, m.Target, err)
		}
	}
	if err := writeIfAbsent("/etc/hosts", a.Hosts); err != nil {
		return "", err
	}
	if err := writeIfAbsent("/etc/resolv.conf", a.ResolvConf); err != nil {
		return "", err
	}
	// /etc/hostname names the pod's host (set before the apps start), as
	// in rkt; an image's own file wins, as for /etc/hosts.
	if a.Hosts != nil {
		if h, err := os.Hostname(); err == nil {
			if err := writeIfAbsent("/etc/hostname", []byte(h+"\n")); err != nil {
				return "", err
			}
		}
	}
	if a.ReadOnlyRootFS {
		if err := unix.MountSetattr(unix.AT_FDCWD, "/", 0, &unix.MountAttr{Attr_set: unix.MOUNT_ATTR_RDONLY}); err != nil {
			return "", fmt.Errorf("make root read-only: %w", err)
		}
	}
	wd := a.WorkingDir
	if wd == "" {
		wd = "/"
	}
	if err := unix.Chdir(wd); err != nil {
		return "", fmt.Errorf("working directory %s: %w", wd, err)
	}
	return lookPath(argv[0], a.Env)
}

// mountSpecial builds /proc, /dev and /sys in the (pivoted) app root.
func mountSpecial(terminal, nodev bool, console int) error {
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
			if nodev {
				if err := nodevDev(); err != nil {
					return err
				}
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

// nodevDev is the allow-list where no devices cgroup enforces one: each
// standard node is bound onto itself (a mount of its own, without nodev),
// then /dev is remounted nodev, so a node the app makes there cannot be
// opened. The app lacks CAP_SYS_ADMIN to undo either.
func nodevDev() error {
	for _, n := range []string{"null", "zero", "full", "random", "urandom", "tty"} {
		p := "/dev/" + n
		if err := unix.Mount(p, p, "", unix.MS_BIND, ""); err != nil {
			return fmt.Errorf("bind %s: %w", p, err)
		}
	}
	if err := unix.Mount("tmpfs", "/dev", "", unix.MS_REMOUNT|unix.MS_NOSUID|unix.MS_NODEV|unix.MS_STRICTATIME, "mode=755,size=65536k"); err != nil {
		return fmt.Errorf("remount /dev nodev: %w", err)
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
	return "", fmt.Errorf("exec %s: %w", name, errNotInPath)
}

var errNotInPath = errors.New("not found in PATH")
