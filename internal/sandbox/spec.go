//go:build linux

package sandbox

import (
	"io"
	"path"
	"strings"
	"syscall"

	"github.com/acikit/acikit/internal/errkind"
	"github.com/acikit/acikit/internal/log"
)

// NetHost as PodSpec.NetNS keeps the caller's network namespace.
const NetHost = "host"

// PodSpec describes one pod: shared pid, ipc, uts and network namespaces and
// the apps that run in them.
type PodSpec struct {
	// Hostname is set in the pod's UTS namespace ("" keeps "localhost").
	Hostname string
	// NetNS is "" for a new network namespace with only lo (up), a path
	// (/var/run/netns/NAME, /proc/PID/ns/net) to join, or NetHost.
	NetNS string
	// Hosts and ResolvConf become /etc/hosts and /etc/resolv.conf in an
	// app root that lacks them (an image's own file is never replaced).
	// nil creates nothing.
	Hosts, ResolvConf []byte
	// Cgroup names the pod's cgroup (see cgroup.Layout.Create for relative
	// and absolute names); "" picks "acikit/pod-RANDOM". Each app with a
	// limit gets a child "app-NAME" (the others share init's cgroup); on v2
	// the pod's init goes into a child "init".
	Cgroup string
	Apps   []AppSpec
}

// AppSpec is one app of a pod.
type AppSpec struct {
	// Name is unique in the pod (an AppC ACName).
	Name string
	// Root is the app's rendered root file system (a directory or a mount
	// the caller made); the app is pivot_root'ed into it.
	Root string
	// Exec is the command; Exec[0] is absolute or looked up in Env's PATH
	// inside the root.
	Exec []string
	// Env is the complete environment (the caller adds the spec's
	// AC_APP_NAME, PATH and so on).
	Env []string
	// WorkingDir defaults to "/"; a missing directory fails the app.
	WorkingDir string
	// User and Group: a number, a name from the root's /etc/passwd or
	// /etc/group, or an absolute path in the root whose owner is used.
	User, Group       string
	SupplementaryGIDs []int
	// Mounts are bound into the root in order.
	Mounts         []Mount
	ReadOnlyRootFS bool
	// Caps is the capability set (bounding, effective, permitted,
	// inheritable and ambient); nil means DefaultCaps. See ComputeCaps.
	Caps       *CapSet
	NoNewPrivs bool
	// OOMScoreAdj, when set, is written to the app's oom_score_adj.
	OOMScoreAdj *int
	// Memory (bytes), CPUMillis (1000 = one CPU) and CPUShares (v1 units)
	// are cgroup limits for the app; zero means none.
	Memory, CPUMillis, CPUShares int64
	// PreStart runs to completion in the app's environment before Exec;
	// a failure fails the app. PostStop runs after Exec ended.
	PreStart, PostStop []string
	// Stdin, Stdout, Stderr as in os/exec: nil is the null device, an
	// *os.File is passed as is, anything else goes through a pipe.
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// Terminal makes the app a session leader with stdin as its
	// controlling terminal, bound at /dev/console; stdin must be a tty.
	Terminal bool
}

// Mount binds a host directory or file into an app root.
type Mount struct {
	// Source is an existing absolute host path; for an empty volume the
	// caller makes the (pod-lifetime) directory. It must not be or pass
	// through a symlink.
	Source string
	// Target is the absolute path in the app root; missing directories are
	// created (0755, root). Symlinks in it resolve inside the root.
	Target   string
	ReadOnly bool
	// Recursive also binds the mounts below Source (and makes them
	// read-only too). The spec's default is true: callers set it.
	Recursive bool
}

// AppStatus is how an app ended.
type AppStatus struct {
	Name string
	// PID is the app's main process in the pod's pid namespace.
	PID int
	// ExitCode is the exit status, or 128+signal when killed (shell style).
	ExitCode int
	// Signal is the signal that killed the app, 0 when it exited.
	Signal syscall.Signal
	// OOMKilled is set when the kernel's OOM killer ended the app because
	// of its memory limit.
	OOMKilled bool
	// Err is set when the app never ran (setup, pre-start or exec failed).
	Err string
	// PostStopErr is set when the post-stop handler failed.
	PostStopErr string
}

// Options tune Start.
type Options struct {
	// Log gets debug lines and the pod init's own stderr.
	Log *log.Logger
	// Self is the executable run as the pod's init; it must call Init
	// first thing. Default /proc/self/exe.
	Self string
	// Prepare, when set, is called once the pod's init has been started
	// and before the apps are handed to it, so the caller can finish what
	// the apps need (their roots, the network namespace, the environment)
	// while init starts up. Until it returns, Start reads only the pod's
	// Cgroup and the apps' Name, Stdin, Stdout, Stderr, Memory, CPUMillis
	// and CPUShares; everything else may still be filled in. An error
	// stops the pod and is returned by Start.
	Prepare func() error
}

// validateNames checks what Start needs before Prepare: apps, names.
func validateNames(spec *PodSpec) error {
	if len(spec.Apps) == 0 {
		return errkind.Invalidf("pod has no apps")
	}
	seen := map[string]bool{}
	for _, a := range spec.Apps {
		if a.Name == "" || strings.ContainsAny(a.Name, "/ \x00") || a.Name == "." || a.Name == ".." {
			return errkind.Invalidf("app name %q is not valid", a.Name)
		}
		if seen[a.Name] {
			return errkind.Invalidf("duplicate app name %q", a.Name)
		}
		seen[a.Name] = true
	}
	return nil
}

func validate(spec *PodSpec) error {
	if err := validateNames(spec); err != nil {
		return err
	}
	for _, a := range spec.Apps {
		if a.Root == "" || len(a.Exec) == 0 || a.Exec[0] == "" {
			return errkind.Invalidf("app %q: root and exec are required", a.Name)
		}
		if err := validateMounts(a.Mounts); err != nil {
			return errkind.Mark(wrapApp(a.Name, err), errkind.Invalid)
		}
	}
	return nil
}

func wrapApp(name string, err error) error {
	return &appError{name, err}
}

type appError struct {
	app string
	err error
}

func (e *appError) Error() string { return "app " + e.app + ": " + e.err.Error() }
func (e *appError) Unwrap() error { return e.err }

// validateMounts enforces the spec's target rules: absolute, clean, and no
// target inside another one (nested targets are an error).
func validateMounts(ms []Mount) error {
	for i, m := range ms {
		if !path.IsAbs(m.Source) || !path.IsAbs(m.Target) {
			return errkind.Invalidf("mount %s on %s: source and target must be absolute", m.Source, m.Target)
		}
		t := path.Clean(m.Target)
		if t == "/" {
			return errkind.Invalidf("mount %s: cannot mount over the app root", m.Source)
		}
		for _, o := range ms[:i] {
			ot := path.Clean(o.Target)
			if ot == t || strings.HasPrefix(t, ot+"/") || strings.HasPrefix(ot, t+"/") {
				return errkind.Invalidf("mount targets %s and %s are nested", ot, t)
			}
		}
	}
	return nil
}
