package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/acikit/acikit/internal/testutil"
)

// hostPeer returns the host-side interface index of the pod's eth0 (the
// other end of its veth), read inside the pod's network namespace. Tests
// check that exact interface, not every veth on the host: other pods may
// come and go meanwhile.
func hostPeer(t *testing.T, netns string) string {
	t.Helper()
	out, err := exec.Command("nsenter", "--net="+netns, "ip", "-o", "link", "show", "eth0").Output()
	if err != nil {
		t.Fatalf("ip link in %s: %v", netns, err)
	}
	m := regexp.MustCompile(`eth0@if(\d+):`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("no veth peer in %q", out)
	}
	return string(m[1])
}

// hostLinkExists reports whether the host has an interface with index idx.
func hostLinkExists(t *testing.T, idx string) bool {
	out, err := exec.Command("ip", "-o", "link", "show").Output()
	if err != nil {
		t.Fatalf("ip link: %v", err)
	}
	for _, l := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(l, idx+": ") {
			return true
		}
	}
	return false
}

// leasesOf lists the host-local lease files that name the pod.
func leasesOf(t *testing.T, stateDir, uuid string) []string {
	var found []string
	filepath.Walk(stateDir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && fi.Mode().IsRegular() {
			if b, _ := os.ReadFile(p); strings.Contains(string(b), uuid) && !strings.HasSuffix(p, ".json") && !strings.Contains(p, "/results/") {
				found = append(found, p)
			}
		}
		return nil
	})
	return found
}

func addr(in podInfo) string {
	if len(in.Status.Networks) == 0 || len(in.Status.Networks[0].Addresses) == 0 {
		return ""
	}
	return strings.SplitN(in.Status.Networks[0].Addresses[0], "/", 2)[0]
}

// Two pods on the default network get distinct addresses and reach each
// other; their interfaces, leases and namespaces are gone afterwards.
func TestDefaultNetwork(t *testing.T) {
	e := newEnv(t)
	testutil.RequireCommand(t, "ip", "iproute2")
	img := e.busybox("example.com/busybox", "")
	a, aout, ua := e.start("--insecure-options=image", "--net=default", img, "--exec=/bin/sh", "--", "-c",
		"ls /sys/class/net | tr '\\n' ' '; echo; sleep 30")
	defer func() { a.Process.Signal(syscall.SIGTERM); a.Wait() }()
	ia := waitRunning(t, e, ua)
	peerA := hostPeer(t, ia.Status.NetNS)
	b, _, ub := e.start("--insecure-options=image", "--net=default", img, "--exec=/bin/sh", "--", "-c", "sleep 30")
	defer func() { b.Process.Signal(syscall.SIGTERM); b.Wait() }()
	ib := waitRunning(t, e, ub)
	peerB := hostPeer(t, ib.Status.NetNS)
	ipA, ipB := addr(ia), addr(ib)
	if ipA == "" || ipB == "" || ipA == ipB || !strings.HasPrefix(ipA, "172.16.28.") {
		t.Fatalf("pod addresses %q and %q, want two distinct ones in 172.16.28.0/24", ipA, ipB)
	}
	r := e.run("enter", ub, "/bin/ping", "-c", "1", "-W", "3", ipA)
	if r.Code != 0 {
		t.Errorf("pod B ping pod A (%s): exit %d, %q %q", ipA, r.Code, r.Stdout, r.Stderr)
	}
	stateDir := ia.Status.NetStateDir
	if len(leasesOf(t, stateDir, ua)) == 0 {
		t.Errorf("no host-local lease names pod %s under %s", ua, stateDir)
	}
	a.Process.Signal(syscall.SIGTERM)
	a.Wait()
	b.Process.Signal(syscall.SIGTERM)
	b.Wait()
	if got := aout.String(); !strings.Contains(got, "eth0 lo") {
		t.Errorf("pod A's interfaces: %q, want eth0 and lo only", got)
	}
	checkReleased(t, e, ua, stateDir, ia.Status.NetNS, peerA)
	checkReleased(t, e, ub, stateDir, ib.Status.NetNS, peerB)
}

// checkReleased checks that nothing of a pod's network or mounts is left.
func checkReleased(t *testing.T, e *env, uuid, stateDir, netns, hostIfIndex string) {
	t.Helper()
	if l := leasesOf(t, stateDir, uuid); len(l) != 0 {
		t.Errorf("pod %s: leases left: %v", uuid, l)
	}
	if _, err := os.Stat(netns); !os.IsNotExist(err) {
		t.Errorf("pod %s: netns %s left: %v", uuid, netns, err)
	}
	if hostLinkExists(t, hostIfIndex) {
		t.Errorf("pod %s: host interface %s (its veth) left", uuid, hostIfIndex)
	}
	mi, _ := os.ReadFile("/proc/self/mountinfo")
	if strings.Contains(string(mi), uuid) {
		t.Errorf("pod %s: mounts left:\n%s", uuid, grepLines(string(mi), uuid))
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// An acrun killed with SIGKILL leaves its pod behind; gc releases the
// network (DEL: leases, veth), the netns, the overlay mounts and the
// cgroups, and removes the pod directory.
func TestGCAfterKill(t *testing.T) {
	for _, tt := range []struct {
		name     string
		relative bool
	}{{"absolute dirs", false}, {"relative dirs", true}} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			testutil.RequireCommand(t, "ip", "iproute2")
			img := e.busybox("example.com/busybox", "")
			// With relative --pod-dir and --store-dir the overlay options
			// and the recorded paths held relative paths, and gc from
			// elsewhere could never unmount them.
			dirs := func(args ...string) []string {
				if tt.relative {
					return append([]string{"--pod-dir=pods", "--store-dir=store"}, args...)
				}
				return append([]string{"--pod-dir=" + e.pods, "--store-dir=" + e.store}, args...)
			}
			e.wd = e.dir
			cmd, _, uuid := e.start(dirs("--insecure-options=image", "--net=default", img, "--exec=/bin/sleep", "--", "60")...)
			in := waitRunning(t, e, uuid)
			peer := hostPeer(t, in.Status.NetNS)
			cmd.Process.Kill()
			cmd.Wait()
			if r := e.run("status", uuid); !strings.Contains(r.Stdout, "state=exited") {
				t.Errorf("status after SIGKILL = %q, want exited (the lock is gone)", r.Stdout)
			}
			if len(leasesOf(t, in.Status.NetStateDir, uuid)) == 0 {
				t.Fatalf("the killed pod has no lease to clean up: test cannot tell")
			}
			gc := []string{"gc", "--grace=0s"}
			if tt.relative {
				gc = []string{"gc", "--grace=0s", "--pod-dir=pods"}
			}
			r := e.run(gc...)
			if r.Code != 0 || !strings.Contains(r.Stdout, uuid) {
				t.Errorf("gc = %d, stdout %q stderr %q; want %s removed", r.Code, r.Stdout, r.Stderr, uuid)
			}
			checkReleased(t, e, uuid, in.Status.NetStateDir, in.Status.NetNS, peer)
			mi, _ := os.ReadFile("/proc/self/mountinfo")
			if strings.Contains(string(mi), e.pods+"/") {
				t.Errorf("mounts left under %s:\n%s", e.pods, grepLines(string(mi), e.pods+"/"))
			}
			for _, s := range []string{"prepared", "run", "exited", "garbage"} {
				if _, err := os.Stat(filepath.Join(e.pods, s, uuid)); !os.IsNotExist(err) {
					t.Errorf("pod directory left in %s", s)
				}
			}
			for _, d := range in.Status.Cgroups {
				if _, err := os.Stat(d); !os.IsNotExist(err) {
					t.Errorf("cgroup %s left", d)
				}
			}
			if r := e.run("list"); strings.Contains(r.Stdout, uuid) {
				t.Errorf("list after gc = %q, still shows %s", r.Stdout, uuid)
			}
		})
	}
}

// --port NAME:HOSTPORT forwards a host port to the app port of that name.
func TestPortForward(t *testing.T) {
	e := newEnv(t)
	testutil.RequireCommand(t, "busybox", "busybox-static")
	img := e.busybox("example.com/web", `{"exec":["/bin/sh","-c","echo hi-from-pod | nc -l -p 80"],"user":"0","group":"0",`+
		`"ports":[{"name":"www","protocol":"tcp","port":80}]}`)
	cmd, _, uuid := e.start("--insecure-options=image", "--port=www:18089", img)
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	in := waitRunning(t, e, uuid)
	gw := in.Status.Networks[0].Gateway
	var out []byte
	waitFor(t, 10*time.Second, "the forwarded port", func() bool {
		out, _ = exec.Command("busybox", "nc", "-w", "2", gw, "18089").Output()
		return strings.Contains(string(out), "hi-from-pod")
	})
	r := e.run("cat-manifest", uuid)
	if !strings.Contains(r.Stdout, `"hostPort":18089`) {
		t.Errorf("pod manifest %s lacks the exposed port", r.Stdout)
	}
}
