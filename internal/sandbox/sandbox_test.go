//go:build linux

package sandbox

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/acikit/acikit/internal/log"
	"github.com/acikit/acikit/internal/testutil"
)

func TestMain(m *testing.M) {
	Init()
	os.Exit(m.Run())
}

var applets = []string{"sh", "true", "false", "cat", "echo", "id", "hostname", "ls", "sleep",
	"grep", "test", "touch", "readlink", "wc", "head", "mkdir"}

// busyboxRoot builds an app root from Debian's busybox-static with an
// /etc/passwd and /etc/group naming a user "app" (1000) and groups.
func busyboxRoot(t testing.TB) string {
	t.Helper()
	testutil.RequireRoot(t)
	bb := testutil.RequireCommand(t, "busybox", "busybox-static")
	if out, _ := exec.Command("file", "-L", bb).Output(); len(out) > 0 && !bytes.Contains(out, []byte("statically")) {
		testutil.Skip(t, "busybox is not static (apt-get install busybox-static)")
	}
	root := t.TempDir()
	for _, d := range []string{"bin", "etc", "tmp"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(bb)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "bin/busybox"), b, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, a := range applets {
		if err := os.Symlink("busybox", filepath.Join(root, "bin", a)); err != nil {
			t.Fatal(err)
		}
	}
	write(t, filepath.Join(root, "etc/passwd"), "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/tmp:/bin/sh\n")
	write(t, filepath.Join(root, "etc/group"), "root:x:0:\napp:x:1000:\nstaff:x:50:app\n")
	return root
}

func write(t testing.TB, p, s string) {
	t.Helper()
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

// runPod runs a one-app pod to completion and returns its status and output.
func runPod(t testing.TB, spec *PodSpec) (AppStatus, string) {
	t.Helper()
	var out bytes.Buffer
	for i := range spec.Apps {
		if spec.Apps[i].Stdout == nil {
			spec.Apps[i].Stdout = &out
		}
		if spec.Apps[i].Stderr == nil {
			spec.Apps[i].Stderr = &out
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pod, err := Start(ctx, spec, &Options{Log: log.ForTest(t.Logf)})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	st, err := pod.Wait()
	if err != nil {
		t.Fatalf("Wait: %v", err)
	}
	return st[0], out.String()
}

func sh(name, root, script string) AppSpec {
	return AppSpec{Name: name, Root: root, Exec: []string{"/bin/sh", "-c", script},
		Env: []string{"PATH=/bin"}}
}

func status(t *testing.T, out, key string) string {
	t.Helper()
	for line := range strings.Lines(out) {
		if v, ok := strings.CutPrefix(line, key+":"); ok {
			return strings.Join(strings.Fields(v), " ")
		}
	}
	return "<missing " + key + ">"
}

func capHex(s CapSet) string { return fmt.Sprintf("%016x", uint64(s)) }

func TestIsolation(t *testing.T) {
	root := busyboxRoot(t)
	write(t, filepath.Join(root, "etc/resolv.conf"), "nameserver 192.0.2.1 # image's own\n")
	owned := filepath.Join(root, "tmp/owned")
	write(t, owned, "")
	if err := os.Chown(owned, 1234, 1235); err != nil {
		t.Fatal(err)
	}
	roVol, rwVol := t.TempDir(), t.TempDir()
	write(t, filepath.Join(roVol, "f"), "data\n")
	noRaw, _ := ComputeCaps(nil, []string{"NET_RAW"})
	chownOnly, _ := ComputeCaps([]string{"CAP_CHOWN"}, nil)
	adj := 500
	// init takes the app's oom_score_adj only for the fork (and a moment
	// after it, until the fork call returns).
	ownAdj, _ := os.ReadFile("/proc/self/oom_score_adj")
	hostNet, _ := os.Readlink("/proc/self/ns/net")

	tests := []struct {
		name   string
		app    func(*AppSpec)
		pod    func(*PodSpec)
		script string
		check  func(t *testing.T, out string)
	}{
		{name: "pid namespace and pod init", script: "echo $$; cat /proc/1/cmdline; echo",
			check: func(t *testing.T, out string) {
				f := strings.Fields(out)
				if len(f) < 2 || f[0] == "1" || !strings.HasPrefix(f[1], "acikit-pod-init") {
					t.Errorf("pid, pid 1 cmdline = %q, want a pid > 1 and acikit-pod-init", f)
				}
				if len(f) > 0 && len(f[0]) > 3 {
					t.Errorf("app pid = %s, want a small pid of a new namespace", f[0])
				}
			}},
		{name: "hostname", script: "hostname", check: want("podhost")},
		{name: "only lo in a new netns", script: "ls /sys/class/net; cat /sys/class/net/lo/operstate /sys/class/net/lo/flags",
			check: want("lo unknown 0x9")},
		{name: "host net", pod: func(p *PodSpec) { p.NetNS = NetHost }, script: "readlink /proc/self/ns/net", check: want(hostNet)},
		{name: "host files invisible", script: "ls /", check: want("bin dev etc proc sys tmp")},
		{name: "minimal dev", script: "ls /dev; echo x > /dev/null; head -c 3 /dev/zero | wc -c",
			check: want("core fd full null ptmx pts random shm stderr stdin stdout tty urandom zero 3")},
		{name: "proc masked and read-only", script: "wc -c < /proc/timer_list; ls /proc/acpi | wc -l; (echo x > /proc/sys/kernel/domainname) 2>/dev/null && echo writable || echo ro; touch /sys/x 2>/dev/null && echo syswritable || echo sysro",
			check: want("0 0 ro sysro")},
		{name: "etc files created only when absent", script: "cat /etc/hosts /etc/resolv.conf",
			check: want("127.0.0.1 localhost podhost nameserver 192.0.2.1 # image's own")},
		{name: "default caps as root", script: "grep -E '^(Cap|NoNewPrivs|Uid|Groups)' /proc/self/status",
			check: func(t *testing.T, out string) {
				for _, k := range []string{"CapBnd", "CapEff", "CapPrm"} {
					if got := status(t, out, k); got != capHex(DefaultCaps) {
						t.Errorf("%s = %s, want %s", k, got, capHex(DefaultCaps))
					}
				}
				if got := status(t, out, "NoNewPrivs"); got != "0" {
					t.Errorf("NoNewPrivs = %s, want 0", got)
				}
				if got := status(t, out, "Groups"); got != "" {
					t.Errorf("Groups = %q, want none", got)
				}
			}},
		{name: "user, groups, removed cap, no_new_privs",
			app: func(a *AppSpec) {
				a.User, a.Group, a.SupplementaryGIDs, a.Caps, a.NoNewPrivs = "app", "staff", []int{7, 50}, &noRaw, true
			},
			script: "grep -E '^(Cap|NoNewPrivs|Uid|Gid|Groups)' /proc/self/status",
			check: func(t *testing.T, out string) {
				wants := map[string]string{"Uid": "1000 1000 1000 1000", "Gid": "50 50 50 50", "Groups": "7 50",
					"NoNewPrivs": "1", "CapBnd": capHex(noRaw), "CapEff": capHex(noRaw), "CapAmb": capHex(noRaw)}
				for k, w := range wants {
					if got := status(t, out, k); got != w {
						t.Errorf("%s = %s, want %s", k, got, w)
					}
				}
				if noRaw.Has(13) || !noRaw.Has(0) {
					t.Errorf("ComputeCaps(remove NET_RAW) = %s", noRaw)
				}
			}},
		{name: "retain set", app: func(a *AppSpec) { a.Caps = &chownOnly },
			script: "grep -E '^Cap(Bnd|Eff)' /proc/self/status",
			check:  want("CapEff: 0000000000000001 CapBnd: 0000000000000001")},
		{name: "user and group from a path's owner", app: func(a *AppSpec) { a.User, a.Group = "/tmp/owned", "/tmp/owned" },
			script: "id -u; id -g", check: want("1234 1235")},
		{name: "volumes", app: func(a *AppSpec) {
			a.Mounts = []Mount{{Source: roVol, Target: "/data/ro", ReadOnly: true}, {Source: rwVol, Target: "/rw"}}
		},
			script: "cat /data/ro/f; touch /data/ro/x 2>/dev/null && echo rowritable || echo ro; touch /rw/y && echo rw",
			check: func(t *testing.T, out string) {
				want("data ro rw")(t, out)
				if _, err := os.Stat(filepath.Join(rwVol, "y")); err != nil {
					t.Errorf("file written in the read-write volume is not on the host: %v", err)
				}
			}},
		{name: "read-only root", app: func(a *AppSpec) { a.ReadOnlyRootFS = true },
			script: "touch /z 2>/dev/null && echo rootwritable || echo ro; touch /dev/shm/z && echo shm",
			check:  want("ro shm")},
		{name: "working dir and oom_score_adj", app: func(a *AppSpec) { a.WorkingDir = "/tmp"; a.OOMScoreAdj = &adj },
			script: "echo $PWD; cat /proc/self/oom_score_adj; sleep 0.2; cat /proc/1/oom_score_adj", check: want("/tmp 500 " + strings.TrimSpace(string(ownAdj)))},
		{name: "orphans are reaped", script: "sh -c 'sleep 0.05 &'; sleep 0.5; cat /proc/[0-9]*/stat | grep -c ' Z '; true",
			check: want("0")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			spec := &PodSpec{Hostname: "podhost", Hosts: []byte("127.0.0.1 localhost podhost\n"),
				ResolvConf: []byte("nameserver 192.0.2.53\n"), Apps: []AppSpec{sh("a", root, tc.script)}}
			if tc.pod != nil {
				tc.pod(spec)
			}
			if tc.app != nil {
				tc.app(&spec.Apps[0])
			}
			st, out := runPod(t, spec)
			if st.ExitCode != 0 || st.Err != "" {
				t.Errorf("app status = %+v (output %q), want exit 0", st, out)
			}
			tc.check(t, out)
		})
	}
}

// want checks the whitespace-separated output.
func want(w string) func(t *testing.T, out string) {
	return func(t *testing.T, out string) {
		t.Helper()
		if got := strings.Join(strings.Fields(out), " "); got != strings.Join(strings.Fields(w), " ") {
			t.Errorf("output = %q, want %q", got, w)
		}
	}
}

// TestInitProtocolMismatch: a re-executed program that speaks another
// version of the init protocol (an acrun-init from another build) refuses
// clearly instead of misreading its fds.
func TestInitProtocolMismatch(t *testing.T) {
	tests := []struct {
		mode     string
		wantCode int
	}{
		{"init.1", 125},
		{"init", 125},
		{"app.999", 125},
	}
	for _, tt := range tests {
		t.Run(tt.mode, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), initEnv+"="+tt.mode)
			out, err := cmd.CombinedOutput()
			code := cmd.ProcessState.ExitCode()
			if err == nil || code != tt.wantCode || !strings.Contains(string(out), "different builds") {
				t.Errorf("Init with %s=%s = exit %d, %q; want %d and a message", initEnv, tt.mode, code, out, tt.wantCode)
			}
		})
	}
}

// TestDevices: the standard nodes and the host volumes' nodes open, a node
// the app makes does not, both under the devices cgroup (EPERM) and under
// the nodev /dev of a pod without one (EACCES).
func TestDevices(t *testing.T) {
	root := busyboxRoot(t)
	if _, err := os.Stat("/dev/loop-control"); err != nil {
		t.Skip("no /dev/loop-control on this host")
	}
	script := `echo x > /dev/null && head -c 3 /dev/zero | wc -c && head -c 3 /dev/urandom | wc -c && head -c 1 /dev/full | wc -c
mknod /dev/fuse2 c 10 229 && head -c 1 /dev/fuse2 2>&1
mknod /dev/loop9x b 7 0 && head -c 1 /dev/loop9x 2>&1
head -c 1 /dev/lc 2>&1 | grep -c 'Operation not permitted\|Permission denied'
head -c 1 /vol/lc 2>&1 | grep -c 'Operation not permitted\|Permission denied'
true`
	for _, tc := range []struct {
		name   string
		nodev  bool
		denied string
	}{{"devices cgroup", false, "Operation not permitted"}, {"nodev dev", true, "Permission denied"}} {
		t.Run(tc.name, func(t *testing.T) {
			l, err := cgroupLayout()
			if !tc.nodev && (err != nil || l.V1["devices"] == "") {
				t.Skip("no v1 devices controller")
			}
			noDevicesCgroup = tc.nodev
			defer func() { noDevicesCgroup = false }()
			app := sh("a", root, script)
			app.Mounts = []Mount{{Source: "/dev/loop-control", Target: "/dev/lc"}, {Source: "/dev/loop-control", Target: "/vol/lc"}}
			spec := &PodSpec{Apps: []AppSpec{app}}
			st, out := runPod(t, spec)
			if st.ExitCode != 0 || st.Err != "" {
				t.Errorf("app status = %+v (output %q), want exit 0", st, out)
			}
			want := "3\n3\n1\nhead: /dev/fuse2: " + tc.denied + "\nhead: /dev/loop9x: " + tc.denied + "\n0\n0\n"
			if out != want {
				t.Errorf("output = %q, want %q", out, want)
			}
		})
	}
}

// TestDevicesReadOnlyVolume: a read-only mount does not stop writes to a
// device node, so the devices cgroup allows a read-only volume's node for
// reading only.
func TestDevicesReadOnlyVolume(t *testing.T) {
	root := busyboxRoot(t)
	if _, err := os.Stat("/dev/loop-control"); err != nil {
		t.Skip("no /dev/loop-control on this host")
	}
	if l, err := cgroupLayout(); err != nil || l.V1["devices"] == "" {
		t.Skip("no v1 devices controller")
	}
	app := sh("a", root, `head -c 1 /ro/lc 2>&1 | grep -c 'Operation not permitted'; (echo x > /ro/lc) 2>&1 | grep -c 'Operation not permitted'; true`)
	app.Mounts = []Mount{{Source: "/dev/loop-control", Target: "/ro/lc", ReadOnly: true}}
	st, out := runPod(t, &PodSpec{Apps: []AppSpec{app}})
	if st.ExitCode != 0 || st.Err != "" {
		t.Errorf("app status = %+v (output %q), want exit 0", st, out)
	}
	if want := "0\n1\n"; out != want {
		t.Errorf("output = %q, want %q (read allowed, write refused)", out, want)
	}
}
