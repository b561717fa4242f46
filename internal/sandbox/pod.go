//go:build linux

package sandbox

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/acikit/acikit/internal/cgroup"
	"github.com/acikit/acikit/internal/errkind"
	"github.com/acikit/acikit/internal/log"
)

// Pod is a running pod, returned by Start.
type Pod struct {
	cmd    *exec.Cmd
	log    *log.Logger
	ctrl   *os.File
	cg     *cgroup.Cgroup
	appCg  map[string]*cgroup.Cgroup
	names  []string
	copies sync.WaitGroup

	mu       sync.Mutex
	status   map[string]*AppStatus
	reported map[string]bool // "started" or "exited" seen
	allUp    chan struct{}
	ended    map[string]bool // "exited" seen
	appsDone chan struct{}
	failed   chan struct{} // closed when the first app fails
	failedBy string        // that app
	done     chan struct{}
	waitErr  error
	killOnce sync.Once
}

var (
	layoutOnce sync.Once
	layout     *cgroup.Layout
	layoutErr  error
)

func cgroupLayout() (*cgroup.Layout, error) {
	layoutOnce.Do(func() { layout, layoutErr = cgroup.Detect() })
	return layout, layoutErr
}

// Start launches the pod: it creates the pod's cgroups, starts the pod's
// init (Self in init mode) in new pid, uts and ipc namespaces, calls
// opts.Prepare (while init starts up), hands init the apps, which it starts
// in the pod's network namespace (new, joined or the host's) and mount
// namespaces of their own, and returns once every app's main process has
// exec'd. If an app fails before that, the pod is stopped and the error
// returned. Cancelling ctx kills the pod.
func Start(ctx context.Context, spec *PodSpec, opts *Options) (_ *Pod, err error) {
	if opts == nil {
		opts = &Options{}
	}
	if opts.Prepare == nil {
		if err := validate(spec); err != nil {
			return nil, err
		}
	} else if err := validateNames(spec); err != nil {
		return nil, err
	}
	p := &Pod{
		log:      opts.Log,
		appCg:    map[string]*cgroup.Cgroup{},
		status:   map[string]*AppStatus{},
		reported: map[string]bool{},
		allUp:    make(chan struct{}),
		ended:    map[string]bool{},
		appsDone: make(chan struct{}),
		failed:   make(chan struct{}),
		done:     make(chan struct{}),
	}
	// What init needs at its start (stdio, cgroups) is taken from spec
	// now; the rest once Prepare has returned.
	cfg := podConfig{Apps: make([]appConfig, len(spec.Apps))}
	for _, a := range spec.Apps {
		p.names = append(p.names, a.Name)
		p.status[a.Name] = &AppStatus{Name: a.Name}
	}

	// Close and clean everything made so far when anything below fails.
	var closers []io.Closer
	defer func() {
		for _, c := range closers {
			c.Close()
		}
		if err != nil && p.cg != nil {
			_ = p.cg.Remove()
		}
	}()

	initCg, err := p.makeCgroups(spec, cfg.Apps)
	if err != nil {
		return nil, err
	}

	cfgR, cfgW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("start pod: %w", err)
	}
	closers = append(closers, cfgR, cfgW)
	repR, repW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("start pod: %w", err)
	}
	closers = append(closers, repW)
	ctrlR, ctrlW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("start pod: %w", err)
	}
	closers = append(closers, ctrlR)
	p.ctrl = ctrlW

	extra := []*os.File{cfgR, repW, ctrlR}
	var null *os.File
	// One pipe per distinct writer across the pod, so a writer shared by
	// several apps (or by stdout and stderr) never sees concurrent writes.
	shared := map[any]int{}
	for i, a := range spec.Apps {
		streams := []any{a.Stdin, a.Stdout, a.Stderr}
		for j, s := range streams {
			key := j > 0 && s != nil && reflect.TypeOf(s).Comparable()
			if key {
				if fd, ok := shared[s]; ok {
					cfg.Apps[i].Stdio[j] = fd
					continue
				}
			}
			f, c, err := p.stdioFile(s, j == 0, &null)
			if err != nil {
				repR.Close()
				return nil, err
			}
			if c != nil {
				closers = append(closers, c)
			}
			cfg.Apps[i].Stdio[j] = 3 + len(extra)
			if key {
				shared[s] = cfg.Apps[i].Stdio[j]
			}
			extra = append(extra, f)
		}
	}
	if null != nil {
		closers = append(closers, null)
	}

	self := opts.Self
	if self == "" {
		self = "/proc/self/exe"
	}
	// No mount namespace: each app makes its own, and joins the pod's
	// network namespace too (see spawn), so init starts without waiting
	// for the network.
	flags := uintptr(unix.CLONE_NEWPID | unix.CLONE_NEWUTS | unix.CLONE_NEWIPC)
	cmd := &exec.Cmd{
		Path:       self,
		Args:       []string{"acikit-pod-init"},
		Env:        []string{initEnv + "=" + modeInit},
		ExtraFiles: extra,
		Stderr:     initStderr(opts.Log),
		SysProcAttr: &syscall.SysProcAttr{
			Cloneflags: flags,
			// Its own process group: a terminal's ^C reaches the caller,
			// which decides what to forward.
			Setpgid: true,
		},
	}
	placed, err := startPlaced(cmd, initCg)
	if err != nil {
		repR.Close()
		ctrlW.Close()
		return nil, fmt.Errorf("start pod init %s: %w", self, err)
	}
	p.cmd = cmd
	if initCg != nil && !placed {
		if err := initCg.Add(cmd.Process.Pid); err != nil {
			p.abort(repR)
			return nil, err
		}
	}
	netns, err := p.finishConfig(&cfg, spec, opts)
	if err != nil {
		p.abort(repR)
		return nil, err
	}
	if netns != nil {
		// init opens it through /proc once it has the config.
		defer netns.Close()
	}
	b, _ := json.Marshal(cfg)
	if _, err := cfgW.Write(b); err != nil {
		p.abort(repR)
		return nil, fmt.Errorf("send pod config: %w", err)
	}
	// Drop our copies of the child's ends so EOFs arrive when init ends.
	for _, c := range closers {
		c.Close()
	}
	closers = nil
	go p.readReports(repR)
	if ctx.Done() != nil {
		go func() {
			select {
			case <-ctx.Done():
				p.kill()
			case <-p.done:
			}
		}()
	}
	select {
	case <-p.allUp:
	case <-p.done:
	}
	p.mu.Lock()
	var failed []string
	for _, n := range p.names {
		if s := p.status[n]; s.Err != "" {
			failed = append(failed, "app "+n+": "+s.Err)
		}
	}
	p.mu.Unlock()
	if len(failed) > 0 {
		p.kill()
		<-p.done
		return nil, errors.New(strings.Join(failed, "; "))
	}
	return p, nil
}

// finishConfig runs opts.Prepare, then completes cfg from spec: the apps
// (keeping the stdio and cgroup fields set before init started) and the
// network namespace, which init reaches through this process's open file
// (returned, to be closed once the apps run).
func (p *Pod) finishConfig(cfg *podConfig, spec *PodSpec, opts *Options) (*os.File, error) {
	if opts.Prepare != nil {
		if err := opts.Prepare(); err != nil {
			return nil, err
		}
		if err := validate(spec); err != nil {
			return nil, err
		}
	}
	cfg.Hostname = spec.Hostname
	for i := range spec.Apps {
		ac, err := appConfigFor(&spec.Apps[i], spec)
		if err != nil {
			return nil, err
		}
		ac.Stdio, ac.Birth, ac.CgroupProcs, ac.NodevDev = cfg.Apps[i].Stdio, cfg.Apps[i].Birth, cfg.Apps[i].CgroupProcs, cfg.Apps[i].NodevDev
		cfg.Apps[i] = ac
	}
	switch spec.NetNS {
	case "", NetHost:
		cfg.NetNS = spec.NetNS
		return nil, nil
	}
	f, err := os.Open(spec.NetNS)
	if err != nil {
		return nil, errkind.Invalidf("open network namespace: %w", err)
	}
	cfg.NetNS = fmt.Sprintf("/proc/%d/fd/%d", os.Getpid(), f.Fd())
	return f, nil
}

// initStderr is where the pod init's own complaints go; nil (the null
// device) when nobody listens, which saves a pipe and a goroutine.
func initStderr(l *log.Logger) io.Writer {
	if !l.Enabled(log.LevelWarn) {
		return nil
	}
	return l.Writer()
}

// abort kills a just-started init whose setup failed and reaps it.
func (p *Pod) abort(repR *os.File) {
	_ = p.cmd.Process.Kill()
	_ = p.cmd.Wait()
	repR.Close()
	p.ctrl.Close()
}

func appConfigFor(a *AppSpec, spec *PodSpec) (appConfig, error) {
	id, err := ResolveIdentity(a.Root, a.User, a.Group, a.SupplementaryGIDs)
	if err != nil {
		return appConfig{}, wrapApp(a.Name, err)
	}
	for _, m := range a.Mounts {
		if err := checkSource(m.Source); err != nil {
			return appConfig{}, wrapApp(a.Name, err)
		}
	}
	caps := DefaultCaps
	if a.Caps != nil {
		caps = *a.Caps
	}
	return appConfig{
		Name: a.Name, Root: a.Root, Argv: a.Exec, Env: a.Env, WorkingDir: a.WorkingDir,
		UID: id.UID, GID: id.GID, Groups: id.Groups, Mounts: a.Mounts,
		ReadOnlyRootFS: a.ReadOnlyRootFS, Caps: caps, NoNewPrivs: a.NoNewPrivs,
		OOMScoreAdj: a.OOMScoreAdj, PreStart: a.PreStart, PostStop: a.PostStop,
		Terminal: a.Terminal, Hosts: spec.Hosts, ResolvConf: spec.ResolvConf,
	}, nil
}

// checkSource applies the spec's rule that a host volume source must exist
// and must not be or pass through a symlink.
func checkSource(src string) error {
	if _, err := os.Stat(src); err != nil {
		return errkind.Invalidf("volume source: %w", err)
	}
	real, err := filepath.EvalSymlinks(src)
	if err != nil {
		return fmt.Errorf("volume source: %w", err)
	}
	if real != filepath.Clean(src) {
		return errkind.Invalidf("volume source %s passes through a symlink (to %s)", src, real)
	}
	return nil
}

// makeCgroups creates the pod's cgroup and one per app, writes the apps'
// limits and returns the cgroup init goes into. With no cgroup support and
// no limits asked for, it creates nothing.
func (p *Pod) makeCgroups(spec *PodSpec, apps []appConfig) (*cgroup.Cgroup, error) {
	limits := false
	for _, a := range spec.Apps {
		limits = limits || a.Memory > 0 || a.CPUMillis > 0 || a.CPUShares > 0
	}
	l, err := cgroupLayout()
	if err != nil || l.Mode == cgroup.None {
		if limits {
			return nil, errkind.Invalidf("resource limits need cgroups: %v", err)
		}
		markNodevDev(apps)
		return nil, nil
	}
	name := spec.Cgroup
	if name == "" {
		var b [8]byte
		_, _ = rand.Read(b[:])
		name = "acikit/pod-" + hex.EncodeToString(b[:])
	}
	cg, err := l.Create(name, []string{"memory", "cpu", "devices"})
	if err != nil {
		return nil, err
	}
	p.cg = cg
	// Before any process or child cgroup: children inherit the list, and
	// v1 refuses "deny all" in a cgroup that has children.
	set := false
	if !noDevicesCgroup {
		if set, err = cg.SetDevices(append(slices.Clone(cgroup.DefaultDevices), volumeDevices(spec)...)); err != nil {
			return nil, err
		}
	}
	if !set {
		markNodevDev(apps)
	}
	initCg := cg
	v2 := false
	for _, d := range cg.Dirs() {
		if _, err := os.Stat(filepath.Join(d, "cgroup.controllers")); err == nil {
			v2 = true
		}
	}
	if v2 {
		// v2 allows no processes in a cgroup whose children use controllers.
		if initCg, err = cg.Sub("init"); err != nil {
			return nil, err
		}
	}
	for i, a := range spec.Apps {
		if a.Memory == 0 && a.CPUMillis == 0 && a.CPUShares == 0 {
			// Nothing to limit: the app stays in init's cgroup, where
			// init's threads fork it anyway.
			continue
		}
		sub, err := cg.Sub("app-" + a.Name)
		if err != nil {
			return nil, err
		}
		if err := sub.Set(cgroup.Resources{Memory: a.Memory, CPUMillis: a.CPUMillis, CPUShares: a.CPUShares}); err != nil {
			return nil, wrapApp(a.Name, err)
		}
		p.appCg[a.Name] = sub
		apps[i].CgroupProcs = sub.ProcsFiles()
		// init forks the app from a thread in initCg (see birth); without
		// a plan it moves the app by pid.
		if plan, err := planBirth(l, sub.Dirs(), initCg.Dirs()); err == nil {
			apps[i].Birth = &plan
		}
	}
	return initCg, nil
}

// noDevicesCgroup makes tests on a host with a v1 devices controller take
// the path of one without it.
var noDevicesCgroup = false

// markNodevDev has the apps' init mount /dev nodev (see nodevDev in app.go)
// where no devices cgroup guards the pod.
func markNodevDev(apps []appConfig) {
	for i := range apps {
		apps[i].NodevDev = true
	}
}

// volumeDevices allows the device nodes the user bound into the pod: a
// volume whose source is a device node, or the nodes under a directory
// volume (as /dev), as rkt allowed host volumes' devices.
func volumeDevices(spec *PodSpec) []string {
	var rules []string
	add := func(fi os.FileInfo, ro bool) {
		st, ok := fi.Sys().(*syscall.Stat_t)
		if !ok || fi.Mode()&os.ModeDevice == 0 {
			return
		}
		kind := "b"
		if fi.Mode()&os.ModeCharDevice != 0 {
			kind = "c"
		}
		// A read-only mount does not stop writes to a device: the list does.
		access := "rwm"
		if ro {
			access = "rm"
		}
		r := fmt.Sprintf("%s %d:%d %s", kind, unix.Major(uint64(st.Rdev)), unix.Minor(uint64(st.Rdev)), access)
		if !slices.Contains(rules, r) {
			rules = append(rules, r)
		}
	}
	for _, a := range spec.Apps {
		for _, m := range a.Mounts {
			fi, err := os.Lstat(m.Source)
			if err != nil {
				continue
			}
			if !fi.IsDir() {
				add(fi, m.ReadOnly)
				continue
			}
			// Bounded: a volume of a large tree is not a device directory.
			seen := 0
			_ = filepath.WalkDir(m.Source, func(_ string, e os.DirEntry, err error) error {
				if seen++; err != nil || seen > 20000 {
					return filepath.SkipAll
				}
				if e.Type()&os.ModeDevice != 0 {
					if fi, err := e.Info(); err == nil {
						add(fi, m.ReadOnly)
					}
				}
				return nil
			})
		}
	}
	return rules
}

// stdioFile turns an os/exec-style stream into a file for the child. The
// returned closer is the child's end, closed after the start.
func (p *Pod) stdioFile(s any, input bool, null **os.File) (*os.File, io.Closer, error) {
	if f, ok := s.(*os.File); ok && f != nil {
		return f, nil, nil
	}
	if s == nil || s == io.Reader(nil) || s == io.Writer(nil) || isNilIface(s) {
		if *null == nil {
			f, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
			if err != nil {
				return nil, nil, err
			}
			*null = f
		}
		return *null, nil, nil
	}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, nil, err
	}
	if input {
		// Not waited for: like os/exec, a reader that never ends must not
		// keep Wait from returning.
		go func() {
			_, _ = io.Copy(w, s.(io.Reader))
			w.Close()
		}()
		return r, r, nil
	}
	p.copies.Add(1)
	go func() {
		defer p.copies.Done()
		_, _ = io.Copy(s.(io.Writer), r)
		r.Close()
	}()
	return w, w, nil
}

func isNilIface(s any) bool {
	switch v := s.(type) {
	case io.Reader:
		return v == nil
	case io.Writer:
		return v == nil
	}
	return false
}

// startPlaced starts cmd from a locked thread of its own, switched into
// cg's cgroups (see birth) so init is born there. placed reports the
// latter; when false the caller moves init the slow way. A thread that
// cannot be switched back is never handed back to the scheduler: it ends
// with its goroutine.
func startPlaced(cmd *exec.Cmd, cg *cgroup.Cgroup) (placed bool, err error) {
	onThread(func() (clean bool) {
		placed, clean, err = startOnThread(cmd, cg)
		return clean
	})
	return placed, err
}

func startOnThread(cmd *exec.Cmd, cg *cgroup.Cgroup) (placed, clean bool, err error) {
	clean = true
	if cg != nil {
		if b := birthFor(cg); b != nil {
			defer b.close()
			if err := b.enterThread(); err != nil {
				if errors.Is(err, errThreadAway) {
					return false, false, err
				}
			} else {
				placed = true
				b.apply(cmd.SysProcAttr)
				defer func() {
					if lerr := b.leaveThread(); lerr != nil {
						clean = false
						err = errors.Join(err, lerr)
					}
				}()
			}
		}
	}
	return placed, clean, cmd.Start()
}

// birthFor plans the calling thread's fork into cg; nil means the child is
// to be moved after it started.
func birthFor(cg *cgroup.Cgroup) *birth {
	l, err := cgroupLayout()
	if err != nil {
		return nil
	}
	home, err := threadCgroups(l)
	if err != nil {
		return nil
	}
	plan, err := planBirth(l, cg.Dirs(), home)
	if err != nil {
		return nil
	}
	b, err := plan.open()
	if err != nil {
		return nil
	}
	return b
}

// readReports follows init's report stream until it closes, then reaps init
// and removes the cgroups.
func (p *Pod) readReports(r *os.File) {
	defer r.Close()
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() {
		var rep report
		if json.Unmarshal(sc.Bytes(), &rep) != nil {
			continue
		}
		p.handle(rep)
	}
	err := p.cmd.Wait()
	p.copies.Wait()
	p.ctrl.Close()
	p.mu.Lock()
	for _, n := range p.names {
		if !p.reported[n] {
			p.status[n].Err = "pod init ended before the app did"
			p.status[n].ExitCode = -1
		}
	}
	if err != nil {
		p.waitErr = fmt.Errorf("pod init: %w", err)
	}
	p.mu.Unlock()
	if p.cg != nil {
		if err := p.cg.Remove(); err != nil {
			p.mu.Lock()
			p.waitErr = errors.Join(p.waitErr, err)
			p.mu.Unlock()
		}
	}
	p.markAllUp()
	p.mu.Lock()
	p.markAppsDoneLocked()
	p.mu.Unlock()
	close(p.done)
}

func (p *Pod) handle(rep report) {
	p.mu.Lock()
	defer p.mu.Unlock()
	s, ok := p.status[rep.App]
	if !ok {
		return
	}
	if rep.PID != 0 {
		s.PID = rep.PID
	}
	switch rep.Event {
	case "started":
		p.log.Debugf("app %s started as pid %d", rep.App, rep.PID)
	case "exited":
		s.Err, s.PostStopErr = rep.Err, rep.PostStopErr
		ws := rep.Status
		switch {
		case rep.Err != "":
			s.ExitCode = -1
		case ws.Signaled():
			s.Signal = ws.Signal()
			s.ExitCode = 128 + int(s.Signal)
			if s.Signal == syscall.SIGKILL && p.appCg[rep.App] != nil {
				if n, err := p.appCg[rep.App].OOMKills(); err == nil && n > 0 {
					s.OOMKilled = true
				}
			}
		default:
			s.ExitCode = ws.ExitStatus()
		}
		p.log.Debugf("app %s exited: code %d signal %v oom %v %s", rep.App, s.ExitCode, s.Signal, s.OOMKilled, s.Err)
		if s.ExitCode != 0 && p.failedBy == "" {
			p.failedBy = rep.App
			close(p.failed)
		}
	}
	p.reported[rep.App] = true
	if rep.Event == "exited" {
		p.ended[rep.App] = true
		if len(p.ended) == len(p.names) {
			p.markAppsDoneLocked()
		}
	}
	if len(p.reported) == len(p.names) {
		p.markAllUpLocked()
	}
}

func (p *Pod) markAppsDoneLocked() {
	select {
	case <-p.appsDone:
	default:
		close(p.appsDone)
	}
}

func (p *Pod) markAllUp() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.markAllUpLocked()
}

func (p *Pod) markAllUpLocked() {
	select {
	case <-p.allUp:
	default:
		close(p.allUp)
	}
}

// Failed is closed when an app of the pod first fails (exits non-zero, by
// a signal, or does not start); FailedApp then names it. A pod is one unit,
// as in rkt: the caller stops the others.
func (p *Pod) Failed() <-chan struct{} { return p.failed }

// FailedApp is the first app that failed, "" while none has.
func (p *Pod) FailedApp() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.failedBy
}

// Pid is the host pid of the pod's init (pid 1 inside the pod).
func (p *Pod) Pid() int { return p.cmd.Process.Pid }

// AppPid returns the host pid of the app's running main process, for Enter.
func (p *Pod) AppPid(name string) (int, error) {
	p.mu.Lock()
	s, ok := p.status[name]
	podPid := 0
	if ok {
		podPid = s.PID
	}
	p.mu.Unlock()
	if !ok {
		return 0, errkind.NotFoundf("app %q is not in the pod", name)
	}
	if pid := hostPid(p.Pid(), podPid); pid > 0 {
		return pid, nil
	}
	return 0, errkind.NotFoundf("app %q is not running", name)
}

// hostPid finds the child of init whose pid in the pod is podPid.
func hostPid(initPid, podPid int) int {
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", initPid))
	for _, t := range tasks {
		b, _ := os.ReadFile(t)
		for _, f := range strings.Fields(string(b)) {
			st, err := os.ReadFile("/proc/" + f + "/status")
			if err != nil {
				continue
			}
			for line := range strings.Lines(string(st)) {
				if rest, ok := strings.CutPrefix(line, "NSpid:"); ok {
					ids := strings.Fields(rest)
					if len(ids) > 0 && ids[len(ids)-1] == strconv.Itoa(podPid) {
						n, _ := strconv.Atoi(f)
						return n
					}
				}
			}
		}
	}
	return 0
}

// CgroupDirs returns the pod's cgroup directories (for a pod directory, so
// a later gc can cgroup.Load(dirs).Remove() after a crash), or with an app
// name that app's (none for an app without limits: it is in init's).
func (p *Pod) CgroupDirs(app string) []string {
	if app == "" {
		if p.cg == nil {
			return nil
		}
		return p.cg.Dirs()
	}
	if c := p.appCg[app]; c != nil {
		return c.Dirs()
	}
	return nil
}

// Signal sends sig to the pod's init, which forwards SIGINT, SIGTERM,
// SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 and SIGWINCH to each app's main process.
func (p *Pod) Signal(sig syscall.Signal) error {
	select {
	case <-p.done:
		return nil
	default:
	}
	if err := p.cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("signal pod: %w", err)
	}
	return nil
}

// Stop sends SIGTERM to the apps and, if the pod has not ended after
// timeout, SIGKILL to everything in it. It returns when the pod has ended.
func (p *Pod) Stop(timeout time.Duration) error {
	if err := p.Signal(syscall.SIGTERM); err != nil {
		return err
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-p.done:
		return nil
	case <-t.C:
	}
	p.kill()
	<-p.done
	return nil
}

// kill asks init to SIGKILL every process of the pod; if init does not end
// soon, init itself is killed (which takes the pid namespace with it).
func (p *Pod) kill() {
	p.killOnce.Do(func() {
		_, _ = p.ctrl.Write([]byte("kill\n"))
		go func() {
			select {
			case <-p.done:
			case <-time.After(3 * time.Second):
				_ = p.cmd.Process.Kill()
			}
		}()
	})
}

// WaitApps waits until every app (with its post-stop handler) has ended
// and returns their statuses in spec order, final, while the pod's init
// may still be going away. Wait is still to be called: it waits for init
// and removes the cgroups. The time between lets a caller start its own
// teardown (unmounting the app roots) sooner.
func (p *Pod) WaitApps() []AppStatus {
	<-p.appsDone
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.statusesLocked()
}

func (p *Pod) statusesLocked() []AppStatus {
	out := make([]AppStatus, 0, len(p.names))
	for _, n := range p.names {
		out = append(out, *p.status[n])
	}
	return out
}

// Wait waits for the pod to end and returns each app's status in spec
// order. The error is about the pod machinery (init died, cgroups could not
// be removed), never about an app's own exit code.
func (p *Pod) Wait() ([]AppStatus, error) {
	<-p.done
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.statusesLocked(), p.waitErr
}
