//go:build linux

package sandbox

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/acikit/acikit/internal/cgroup"
	"github.com/acikit/acikit/internal/errkind"
	"github.com/acikit/acikit/internal/log"
	"github.com/acikit/acikit/internal/testutil"
)

const hogSource = `#include <stdlib.h>
#include <string.h>
int main(void) {
	for (int i = 0; i < 1024; i++) { char *p = malloc(1 << 20); if (!p) return 2; memset(p, 1, 1 << 20); }
	return 0;
}
`

// TestMemoryLimitOOM runs a static helper that touches 1 GiB under a 32 MiB
// limit: the kernel must kill it and the pod must say it was the OOM killer.
func TestMemoryLimitOOM(t *testing.T) {
	root := busyboxRoot(t)
	gcc := testutil.RequireCommand(t, "gcc", "gcc")
	src := filepath.Join(t.TempDir(), "hog.c")
	write(t, src, hogSource)
	if out, err := exec.Command(gcc, "-static", "-O1", "-o", filepath.Join(root, "bin/hog"), src).CombinedOutput(); err != nil {
		testutil.Skip(t, "gcc -static failed (apt-get install libc6-dev): "+string(out))
	}
	tests := []struct {
		name    string
		memory  int64
		wantOOM bool
	}{
		{"over the limit", 32 << 20, true},
		{"no limit", 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			app := AppSpec{Name: "hog", Root: root, Exec: []string{"/bin/hog"}, Memory: tc.memory}
			st, out := runPod(t, &PodSpec{Apps: []AppSpec{app}})
			if st.OOMKilled != tc.wantOOM {
				t.Errorf("OOMKilled = %v, want %v (status %+v, output %q)", st.OOMKilled, tc.wantOOM, st, out)
			}
			if tc.wantOOM && (st.Signal != syscall.SIGKILL || st.ExitCode != 137) {
				t.Errorf("status = %+v, want killed by SIGKILL, code 137", st)
			}
			if !tc.wantOOM && st.ExitCode != 0 {
				t.Errorf("exit code = %d, want 0", st.ExitCode)
			}
		})
	}
}

func startPod(t *testing.T, spec *PodSpec) *Pod {
	t.Helper()
	pod, err := Start(context.Background(), spec, &Options{Log: log.ForTest(t.Logf)})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { _ = pod.Stop(0) })
	return pod
}

func waitFile(t *testing.T, p string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if _, err := os.Stat(p); err == nil {
			return
		}
	}
	t.Fatalf("%s did not appear", p)
}

// TestCgroupLimitsAndRemoval checks the limits written for an app and that
// the pod's cgroups are gone after Wait.
func TestCgroupLimitsAndRemoval(t *testing.T) {
	root := busyboxRoot(t)
	app := sh("a", root, "sleep 30")
	app.Memory, app.CPUMillis, app.CPUShares = 64<<20, 500, 512
	pod := startPod(t, &PodSpec{Apps: []AppSpec{app}})
	dirs := pod.CgroupDirs("a")
	if len(dirs) == 0 {
		t.Fatal("CgroupDirs(a) is empty")
	}
	found := map[string]string{}
	for _, d := range dirs {
		for _, f := range []string{"memory.limit_in_bytes", "memory.max", "cpu.cfs_quota_us", "cpu.max", "cpu.shares", "cpu.weight"} {
			if b, err := os.ReadFile(filepath.Join(d, f)); err == nil {
				found[f] = strings.TrimSpace(string(b))
			}
		}
		// The app's main process is in its cgroup.
		b, _ := os.ReadFile(filepath.Join(d, "cgroup.procs"))
		pid, err := pod.AppPid("a")
		if err != nil || !strings.Contains(" "+strings.Join(strings.Fields(string(b)), " ")+" ", " "+itoa(pid)+" ") {
			t.Errorf("cgroup.procs of %s = %q, want the app's pid %d (%v)", d, b, pid, err)
		}
	}
	wants := map[string]string{"memory.limit_in_bytes": "67108864", "cpu.cfs_quota_us": "50000", "cpu.shares": "512"}
	if _, v2 := found["memory.max"]; v2 {
		wants = map[string]string{"memory.max": "67108864", "cpu.max": "50000 100000", "cpu.weight": "20"}
	}
	for f, w := range wants {
		if found[f] != w {
			t.Errorf("%s = %q, want %q", f, found[f], w)
		}
	}
	podDirs := pod.CgroupDirs("")
	// init is born in the pod's cgroup (v2: its "init" child), and the
	// threads that forked it and the app went back to their own.
	initIn := false
	for _, d := range podDirs {
		for _, sub := range []string{"", "init"} {
			b, _ := os.ReadFile(filepath.Join(d, sub, "cgroup.procs"))
			initIn = initIn || slices.Contains(strings.Fields(string(b)), itoa(pod.Pid()))
		}
	}
	if !initIn {
		t.Errorf("pod init %d is in none of %v", pod.Pid(), podDirs)
	}
	own, _ := os.ReadFile("/proc/self/cgroup")
	tasks, _ := filepath.Glob("/proc/self/task/*/cgroup")
	for _, f := range tasks {
		if b, _ := os.ReadFile(f); string(b) != string(own) {
			t.Errorf("%s = %q, want the process's %q", f, b, own)
		}
	}
	if err := pod.Stop(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	st, err := pod.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if st[0].Signal != syscall.SIGTERM {
		t.Errorf("status = %+v, want killed by SIGTERM", st[0])
	}
	for _, d := range append(podDirs, dirs...) {
		if _, err := os.Stat(d); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("cgroup %s still exists after Wait (%v)", d, err)
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestStop(t *testing.T) {
	root := busyboxRoot(t)
	tests := []struct {
		name     string
		script   string
		timeout  time.Duration
		wantCode int
		wantSig  syscall.Signal
	}{
		{"SIGTERM is forwarded", "trap 'exit 3' TERM; touch /v/ready; while true; do sleep 0.05; done", 10 * time.Second, 3, 0},
		{"SIGKILL after the timeout", "trap '' TERM; touch /v/ready; while true; do sleep 0.05; done", 300 * time.Millisecond, 137, syscall.SIGKILL},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			vol := t.TempDir()
			app := sh("a", root, tc.script)
			app.Mounts = []Mount{{Source: vol, Target: "/v"}}
			pod := startPod(t, &PodSpec{Apps: []AppSpec{app}})
			waitFile(t, filepath.Join(vol, "ready"))
			start := time.Now()
			if err := pod.Stop(tc.timeout); err != nil {
				t.Fatal(err)
			}
			st, err := pod.Wait()
			if err != nil {
				t.Fatal(err)
			}
			if st[0].ExitCode != tc.wantCode || st[0].Signal != tc.wantSig {
				t.Errorf("status = %+v, want code %d signal %v", st[0], tc.wantCode, tc.wantSig)
			}
			if d := time.Since(start); d > tc.timeout+3*time.Second {
				t.Errorf("Stop took %v, want about %v at most", d, tc.timeout)
			}
		})
	}
}

func TestHandlersAndMultipleApps(t *testing.T) {
	root1, root2 := busyboxRoot(t), busyboxRoot(t)
	vol := t.TempDir()
	// Each app waits for the other's namespaces to be read, so both are
	// alive then: a namespace's number is reused once it is gone.
	const waitFor = "; i=0; while [ ! -e /v/ns-%s ] && [ $i -lt 200 ]; do sleep 0.02; i=$((i+1)); done"
	a := sh("a", root1, "test -e /v/pre && echo main >> /v/log; for n in pid net mnt; do readlink /proc/self/ns/$n; done > /v/ns-a"+fmt.Sprintf(waitFor, "b")+"; exit 5")
	a.PreStart = []string{"/bin/sh", "-c", "echo pre >> /v/log; touch /v/pre"}
	a.PostStop = []string{"/bin/sh", "-c", "echo post >> /v/log"}
	a.Mounts = []Mount{{Source: vol, Target: "/v"}}
	b := sh("b", root2, "for n in pid net mnt; do readlink /proc/self/ns/$n; done > /v/ns-b"+fmt.Sprintf(waitFor, "a"))
	b.Mounts = a.Mounts
	var out bytes.Buffer
	a.Stdout, b.Stdout = &out, &out
	pod := startPod(t, &PodSpec{Apps: []AppSpec{a, b}})
	st, err := pod.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if len(st) != 2 || st[0].Name != "a" || st[0].ExitCode != 5 || st[1].Name != "b" || st[1].ExitCode != 0 {
		t.Errorf("statuses = %+v, want a exit 5, b exit 0", st)
	}
	logb, _ := os.ReadFile(filepath.Join(vol, "log"))
	if got := strings.Join(strings.Fields(string(logb)), " "); got != "pre main post" {
		t.Errorf("handler order = %q, want %q", got, "pre main post")
	}
	nsa, _ := os.ReadFile(filepath.Join(vol, "ns-a"))
	nsb, _ := os.ReadFile(filepath.Join(vol, "ns-b"))
	fa, fb := strings.Fields(string(nsa)), strings.Fields(string(nsb))
	if len(fa) != 3 || len(fb) != 3 || fa[0] != fb[0] || fa[1] != fb[1] || fa[2] == fb[2] {
		t.Errorf("namespaces a=%q b=%q, want shared pid and net, separate mnt", fa, fb)
	}
}

func TestStartErrors(t *testing.T) {
	root := busyboxRoot(t)
	link := filepath.Join(t.TempDir(), "link")
	if err := os.Symlink(t.TempDir(), link); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		app     func(*AppSpec)
		want    string
		invalid bool
	}{
		{"missing working dir", func(a *AppSpec) { a.WorkingDir = "/nonexistent" }, "working directory /nonexistent", false},
		{"missing program", func(a *AppSpec) { a.Exec = []string{"/bin/nonexistent"} }, "exec /bin/nonexistent", false},
		{"failing pre-start", func(a *AppSpec) { a.PreStart = []string{"/bin/false"} }, "pre-start: exit status 1", false},
		{"unknown user", func(a *AppSpec) { a.User = "nobody" }, `"nobody" not found`, true},
		{"nested mounts", func(a *AppSpec) {
			a.Mounts = []Mount{{Source: "/tmp", Target: "/a"}, {Source: "/tmp", Target: "/a/b"}}
		}, "nested", true},
		{"symlinked source", func(a *AppSpec) { a.Mounts = []Mount{{Source: link, Target: "/a"}} }, "symlink", true},
		{"duplicate", nil, "duplicate app name", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			spec := &PodSpec{Apps: []AppSpec{sh("a", root, "true")}}
			if tc.app != nil {
				tc.app(&spec.Apps[0])
			} else {
				spec.Apps = append(spec.Apps, spec.Apps[0])
			}
			pod, err := Start(context.Background(), spec, nil)
			if err == nil {
				pod.Wait()
				t.Fatalf("Start = nil error, want %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Start = %v, want an error containing %q", err, tc.want)
			}
			if got := errors.Is(err, errkind.Invalid); got != tc.invalid {
				t.Errorf("errors.Is(%v, Invalid) = %v, want %v", err, got, tc.invalid)
			}
		})
	}
}

func TestEnter(t *testing.T) {
	root := busyboxRoot(t)
	write(t, filepath.Join(root, "marker"), "inside\n")
	pod := startPod(t, &PodSpec{Hostname: "entered", Apps: []AppSpec{sh("a", root, "sleep 30")}})
	pid, err := pod.AppPid("a")
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	code, err := Enter(context.Background(), pid, EnterSpec{
		Exec: []string{"sh", "-c", "cat /marker; hostname; ls /sys/class/net; head -c 15 /proc/1/cmdline; echo; exit 4"},
		Env:  []string{"PATH=/bin"}, Stdout: &out, Stderr: &out,
	})
	if err != nil {
		t.Fatal(err)
	}
	if code != 4 {
		t.Errorf("Enter code = %d, want 4", code)
	}
	want("inside entered lo acikit-pod-init")(t, out.String())
}

func TestJoinNetNS(t *testing.T) {
	root := busyboxRoot(t)
	unshare := testutil.RequireCommand(t, "unshare", "util-linux")
	holder := exec.Command(unshare, "-n", "sleep", "30")
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { holder.Process.Kill(); holder.Wait() }()
	nsPath := "/proc/" + itoa(holder.Process.Pid) + "/ns/net"
	var wantNS string
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		host, _ := os.Readlink("/proc/self/ns/net")
		if wantNS, _ = os.Readlink(nsPath); wantNS != "" && wantNS != host {
			break
		}
	}
	st, out := runPod(t, &PodSpec{NetNS: nsPath, Apps: []AppSpec{sh("a", root, "readlink /proc/self/ns/net")}})
	if st.ExitCode != 0 {
		t.Fatalf("status %+v", st)
	}
	want(wantNS)(t, out)
	if self, _ := os.Readlink("/proc/thread-self/ns/net"); self == wantNS {
		t.Errorf("the caller's thread stayed in the joined namespace")
	}
}

// TestTerminal gives the app a pty: it must be the controlling terminal
// and /dev/console.
func TestTerminal(t *testing.T) {
	root := busyboxRoot(t)
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		testutil.Skip(t, "no /dev/ptmx: "+err.Error())
	}
	defer m.Close()
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	s, err := os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	app := sh("a", root, `test -t 0 && echo tty; test -c /dev/console && echo console; set -- $(cat /proc/$$/stat); test "$7" != 0 && echo ctty`)
	app.Terminal, app.Stdin, app.Stdout, app.Stderr = true, s, s, s
	pod := startPod(t, &PodSpec{Apps: []AppSpec{app}})
	s.Close()
	out := make(chan string, 1)
	go func() { b, _ := io.ReadAll(m); out <- string(b) }()
	st, err := pod.Wait()
	if err != nil || st[0].ExitCode != 0 {
		t.Fatalf("Wait = %+v, %v", st, err)
	}
	want("tty console ctty")(t, strings.ReplaceAll(<-out, "\r", ""))
}

// TestNewNetNS: a namespace held by a file, with lo up, a socket made
// inside it, joined by a pod through /proc/self/fd/N.
func TestNewNetNS(t *testing.T) {
	root := busyboxRoot(t)
	var inside string
	ns, err := NewNetNS(func() error {
		var err error
		inside, err = os.Readlink("/proc/thread-self/ns/net")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	own, _ := os.Readlink("/proc/thread-self/ns/net")
	held, _ := os.Readlink("/proc/self/fd/" + itoa(int(ns.Fd())))
	if inside == "" || inside == own || held != inside {
		t.Fatalf("NewNetNS: inside %q, held %q, caller %q; want a new namespace, held", inside, held, own)
	}
	st, out := runPod(t, &PodSpec{NetNS: "/proc/self/fd/" + itoa(int(ns.Fd())),
		Apps: []AppSpec{sh("a", root, "readlink /proc/self/ns/net; cat /sys/class/net/lo/flags")}})
	if st.ExitCode != 0 {
		t.Fatalf("status %+v", st)
	}
	want(inside+" 0x9")(t, out)
	if _, err := NewNetNS(func() error { return errors.New("boom") }); err == nil || err.Error() != "boom" {
		t.Errorf("NewNetNS with a failing inside = %v, want boom", err)
	}
	if now, _ := os.Readlink("/proc/thread-self/ns/net"); now != own {
		t.Errorf("caller's namespace changed to %s", now)
	}
}

// TestThreadsStayHome: joining a pod (Enter), starting one in a given
// namespace (NetNS) or a new one (NewNetNS) leaves no thread of the caller
// in the pod's namespaces, the main thread included.
func TestThreadsStayHome(t *testing.T) {
	root := busyboxRoot(t)
	pod := startPod(t, &PodSpec{Apps: []AppSpec{sh("a", root, "sleep 30")}})
	defer func() { pod.Stop(time.Second); pod.Wait() }()
	pid, err := pod.AppPid("a")
	if err != nil {
		t.Fatal(err)
	}
	for range 8 {
		if code, err := Enter(context.Background(), pid, EnterSpec{Exec: []string{"/bin/true"}}); err != nil || code != 0 {
			t.Fatalf("Enter = %d, %v", code, err)
		}
		ns, err := NewNetNS(nil)
		if err != nil {
			t.Fatal(err)
		}
		runPod(t, &PodSpec{NetNS: "/proc/self/fd/" + itoa(int(ns.Fd())), Apps: []AppSpec{sh("b", root, "true")}})
		ns.Close()
	}
	for _, kind := range []string{"net", "mnt", "pid"} {
		home, _ := os.Readlink("/proc/" + itoa(os.Getppid()) + "/ns/" + kind)
		tasks, _ := filepath.Glob("/proc/self/task/*/ns/" + kind)
		for _, f := range tasks {
			if got, _ := os.Readlink(f); got != home {
				t.Errorf("%s = %s, want the caller's %s", f, got, home)
			}
		}
	}
}

// TestNoLimitsNoAppCgroup: an app without limits gets no cgroup of its own
// and runs in init's, inside the pod's.
func TestNoLimitsNoAppCgroup(t *testing.T) {
	root := busyboxRoot(t)
	pod := startPod(t, &PodSpec{Apps: []AppSpec{sh("a", root, "sleep 30")}})
	defer func() { pod.Stop(time.Second); pod.Wait() }()
	if d := pod.CgroupDirs("a"); d != nil {
		t.Errorf("CgroupDirs(a) = %v, want none", d)
	}
	podDirs := pod.CgroupDirs("")
	if len(podDirs) == 0 {
		testutil.Skip(t, "no cgroups here")
	}
	pid, err := pod.AppPid("a")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile("/proc/" + itoa(pid) + "/cgroup")
	for _, d := range podDirs {
		rel := d[strings.Index(d, "/acikit/"):]
		if !strings.Contains(string(b), rel) {
			t.Errorf("app's cgroups %q: none under %s", b, rel)
		}
	}
}

// TestPrepare: Prepare runs once init is up and may fill in the apps; its
// error stops the pod and leaves nothing behind.
func TestPrepare(t *testing.T) {
	root := busyboxRoot(t)
	t.Run("fills the apps", func(t *testing.T) {
		spec := &PodSpec{Apps: []AppSpec{{Name: "a"}}}
		var out bytes.Buffer
		spec.Apps[0].Stdout = &out
		initUp := false
		pod, err := Start(context.Background(), spec, &Options{Prepare: func() error {
			// init is pid 1 of a new pid namespace and running by now.
			kids, _ := filepath.Glob("/proc/self/task/*/children")
			for _, k := range kids {
				b, _ := os.ReadFile(k)
				initUp = initUp || len(strings.Fields(string(b))) > 0
			}
			spec.Apps[0].Root, spec.Apps[0].Exec = root, []string{"/bin/sh", "-c", "echo filled"}
			return nil
		}})
		if err != nil {
			t.Fatal(err)
		}
		st, err := pod.Wait()
		if err != nil || st[0].ExitCode != 0 || strings.TrimSpace(out.String()) != "filled" {
			t.Errorf("Wait = %+v, %v, output %q; want exit 0 and the filled-in command's output", st, err, out.String())
		}
		if !initUp {
			t.Errorf("Prepare ran before the pod's init was started")
		}
	})
	t.Run("error", func(t *testing.T) {
		spec := &PodSpec{Cgroup: "acikit/prepare-test-" + itoa(os.Getpid()), Apps: []AppSpec{{Name: "a", Memory: 64 << 20}}}
		boom := errors.New("boom")
		pod, err := Start(context.Background(), spec, &Options{Prepare: func() error { return boom }})
		if !errors.Is(err, boom) || pod != nil {
			t.Fatalf("Start = %v, %v; want boom", pod, err)
		}
		l, lerr := cgroupLayout()
		f, ferr := os.Open("/proc/self/cgroup")
		if lerr != nil || ferr != nil {
			return
		}
		defer f.Close()
		own, _ := cgroup.ParseProcCgroup(f)
		for c, m := range l.V1 {
			if d := filepath.Join(m, own[c], spec.Cgroup); dirExists(d) {
				t.Errorf("cgroup %s left", d)
			}
		}
	})
}

func dirExists(d string) bool {
	fi, err := os.Stat(d)
	return err == nil && fi.IsDir()
}
