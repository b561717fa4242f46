//go:build linux

package sandbox

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// Init must be the first call in main (and in TestMain) of every program
// that starts pods. In a normal run it returns at once; in the process
// Start executed as the pod's init, it runs the init and never returns.
func Init() {
	switch os.Getenv(initEnv) {
	case "":
		return
	case modeInit:
		os.Exit(runInit())
	default:
		fmt.Fprintf(os.Stderr, "pod init: sandbox protocol %q is not this program's (%s): the init helper and its caller come from different builds\n",
			os.Getenv(initEnv), modeInit)
		os.Exit(125)
	}
}

// initProc is the pod's pid 1: it starts the apps, reaps every child
// (including orphans the kernel hands it), forwards signals and reports.
type initProc struct {
	mu      sync.Mutex
	waiters map[int]chan syscall.WaitStatus
	running map[int]bool // main app pids, targets of forwarded signals
	killed  bool
	repMu   sync.Mutex
	rep     *json.Encoder
	netns   *os.File // nil: the host's
}

func runInit() int {
	// Nothing of ours may leak into the apps.
	if err := unix.CloseRange(3, ^uint(0), unix.CLOSE_RANGE_CLOEXEC); err != nil {
		for fd := 3; fd < 1024; fd++ {
			unix.CloseOnExec(fd)
		}
	}
	b, err := io.ReadAll(os.NewFile(3, "config"))
	if err != nil {
		fmt.Fprintf(os.Stderr, "pod init: read config: %v\n", err)
		return 1
	}
	var cfg podConfig
	if err := json.Unmarshal(b, &cfg); err != nil {
		fmt.Fprintf(os.Stderr, "pod init: parse config: %v\n", err)
		return 1
	}
	ip := &initProc{
		waiters: map[int]chan syscall.WaitStatus{},
		running: map[int]bool{},
		rep:     json.NewEncoder(os.NewFile(4, "report")),
	}
	fail := func(err error) int {
		for _, a := range cfg.Apps {
			ip.report(report{App: a.Name, Event: "exited", Err: err.Error()})
		}
		return 1
	}
	if cfg.Hostname != "" {
		if err := unix.Sethostname([]byte(cfg.Hostname)); err != nil {
			return fail(fmt.Errorf("set hostname: %w", err))
		}
	}
	// The apps' network namespace, which each app thread joins.
	switch cfg.NetNS {
	case NetHost:
	case "":
		f, err := NewNetNS(nil)
		if err != nil {
			return fail(err)
		}
		ip.netns = f
	default:
		f, err := os.Open(cfg.NetNS)
		if err != nil {
			return fail(fmt.Errorf("open network namespace: %w", err))
		}
		ip.netns = f
	}
	sigs := make(chan os.Signal, 16)
	signal.Notify(sigs, syscall.SIGCHLD, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP,
		syscall.SIGQUIT, syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGWINCH)
	go ip.control(os.NewFile(5, "control"))

	var wg sync.WaitGroup
	for i := range cfg.Apps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ip.runApp(&cfg.Apps[i])
		}()
	}
	allDone := make(chan struct{})
	go func() { wg.Wait(); close(allDone) }()
	for {
		select {
		case <-allDone:
			// The kernel kills what is left when pid 1 exits.
			return 0
		case s := <-sigs:
			if s == syscall.SIGCHLD {
				ip.reap()
				continue
			}
			ip.mu.Lock()
			for pid := range ip.running {
				_ = syscall.Kill(pid, s.(syscall.Signal))
			}
			ip.mu.Unlock()
		}
	}
}

// control reads the parent's commands; "kill" or EOF (the parent died)
// kills every process in the pod.
func (ip *initProc) control(f *os.File) {
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if strings.TrimSpace(sc.Text()) == "kill" {
			break
		}
	}
	ip.mu.Lock()
	ip.killed = true
	ip.mu.Unlock()
	_ = syscall.Kill(-1, syscall.SIGKILL)
}

func (ip *initProc) reap() {
	ip.mu.Lock()
	defer ip.mu.Unlock()
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
		if pid <= 0 || err != nil {
			return
		}
		if ch, ok := ip.waiters[pid]; ok {
			ch <- ws
			delete(ip.waiters, pid)
		}
	}
}

func (ip *initProc) report(r report) {
	ip.repMu.Lock()
	defer ip.repMu.Unlock()
	_ = ip.rep.Encode(r)
}

// runApp runs pre-start, main and post-stop of one app in turn.
func (ip *initProc) runApp(a *appConfig) {
	exited := report{App: a.Name, Event: "exited"}
	if len(a.PreStart) > 0 {
		ws, _, err := ip.runOne(a, a.PreStart, false)
		if err == nil && ws.ExitStatus() != 0 {
			err = fmt.Errorf("%s", describe(ws))
		}
		if err != nil {
			exited.Err = "pre-start: " + err.Error()
			ip.report(exited)
			return
		}
	}
	ws, pid, err := ip.runOne(a, a.Argv, true)
	if err != nil {
		exited.Err = err.Error()
		ip.report(exited)
		return
	}
	exited.PID, exited.Status = pid, ws
	ip.mu.Lock()
	killed := ip.killed
	ip.mu.Unlock()
	if len(a.PostStop) > 0 && !killed {
		pws, _, err := ip.runOne(a, a.PostStop, false)
		if err == nil && pws.ExitStatus() != 0 {
			err = fmt.Errorf("%s", describe(pws))
		}
		if err != nil {
			exited.PostStopErr = err.Error()
		}
	}
	ip.report(exited)
}

func describe(ws syscall.WaitStatus) string {
	if ws.Signaled() {
		return "killed by " + ws.Signal().String()
	}
	return "exit status " + strconv.Itoa(ws.ExitStatus())
}

// runOne starts argv in the app's environment and waits for it. For the
// main process it reports "started" once the exec succeeded.
func (ip *initProc) runOne(a *appConfig, argv []string, main bool) (syscall.WaitStatus, int, error) {
	ch := make(chan syscall.WaitStatus, 1)
	pid, placed, err := spawn(a, argv, ip.netns, func(fork func() (int, error)) (int, error) {
		// The waiter is registered before any SIGCHLD can be reaped.
		ip.mu.Lock()
		defer ip.mu.Unlock()
		if ip.killed {
			return 0, fmt.Errorf("pod is being killed")
		}
		pid, err := fork()
		if err == nil {
			ip.waiters[pid] = ch
		}
		return pid, err
	})
	if err != nil {
		return 0, 0, err
	}
	// Born elsewhere (no cgroup plan, or the thread could not enter it):
	// moved now, a moment after it started.
	for _, f := range a.CgroupProcs {
		if placed {
			break
		}
		if err := os.WriteFile(f, []byte(strconv.Itoa(pid)), 0); err != nil {
			_ = syscall.Kill(pid, syscall.SIGKILL)
			<-ch
			return 0, 0, fmt.Errorf("add app to cgroup %s: %w", f, err)
		}
	}
	if main {
		ip.mu.Lock()
		ip.running[pid] = true
		ip.mu.Unlock()
		ip.report(report{App: a.Name, Event: "started", PID: pid})
	}
	ws := <-ch
	ip.mu.Lock()
	delete(ip.running, pid)
	ip.mu.Unlock()
	return ws, pid, nil
}

// loopbackUp brings lo up in a fresh network namespace.
func loopbackUp() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("bring lo up: %w", err)
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return fmt.Errorf("bring lo up: %w", err)
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	if err := unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr); err != nil {
		return fmt.Errorf("bring lo up: %w", err)
	}
	return nil
}
