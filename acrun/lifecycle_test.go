package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/acikit/acikit/internal/testutil"
)

// podGone checks that no state directory holds the pod any more.
func podGone(t *testing.T, e *env, uuid string) {
	t.Helper()
	for _, s := range []string{"prepared", "run", "exited", "garbage"} {
		if _, err := os.Stat(filepath.Join(e.pods, s, uuid)); !os.IsNotExist(err) {
			t.Errorf("pod %s: directory left in %s", uuid, s)
		}
	}
	if r := e.run("list"); strings.Contains(r.Stdout, uuid) {
		t.Errorf("list = %q, still shows %s", r.Stdout, uuid)
	}
}

// brokenNetPod runs a pod whose network setup fails (no CNI plugin in
// --cni-path) and returns its UUID.
func brokenNetPod(t *testing.T, e *env, img string) string {
	t.Helper()
	uf := filepath.Join(t.TempDir(), "uuid")
	r := e.run("--uuid-file-save", uf, "--cni-path="+t.TempDir(), "--insecure-options=image", "--net=default", img, "--exec=/bin/true")
	if r.Code == 0 {
		t.Fatalf("run with an empty --cni-path = 0, want a failure; stderr %q", r.Stderr)
	}
	b, err := os.ReadFile(uf)
	if err != nil || len(strings.TrimSpace(string(b))) != 36 {
		t.Fatalf("no pod uuid after the failed run: %v %q", err, b)
	}
	return strings.TrimSpace(string(b))
}

// A pod whose network setup failed goes with rm and with gc: the teardown
// that cannot run is reported and skipped.
func TestRemoveBrokenNetPod(t *testing.T) {
	e := newEnv(t)
	img := e.busybox("example.com/busybox", "")
	t.Run("rm", func(t *testing.T) {
		uuid := brokenNetPod(t, e, img)
		r := e.run("rm", uuid)
		if r.Code != 0 {
			t.Errorf("rm %s = %d, stderr %q; want 0", uuid, r.Code, r.Stderr)
		}
		podGone(t, e, uuid)
	})
	t.Run("gc twice", func(t *testing.T) {
		uuid := brokenNetPod(t, e, img)
		for i := 0; i < 2; i++ {
			r := e.run("gc", "--grace=0s")
			if r.Code != 0 {
				t.Errorf("gc #%d = %d, stderr %q; want 0", i+1, r.Code, r.Stderr)
			}
			if i == 0 && !strings.Contains(r.Stdout, uuid) {
				t.Errorf("gc #1 stdout = %q, want %s", r.Stdout, uuid)
			}
		}
		podGone(t, e, uuid)
	})
	t.Run("gc with --cni-path", func(t *testing.T) {
		// The flag names the plugins teardown needs; the environment
		// names an empty directory and the flag wins.
		uuid := brokenNetPod(t, e, img)
		cmd := e.cmd("gc", "--grace=0s", "--cni-path="+cniDir(t))
		cmd.Env = append(cmd.Env, "ACIKIT_CNI_PATH="+t.TempDir())
		out, err := cmd.CombinedOutput()
		if err != nil || strings.Contains(string(out), "skipped") {
			t.Errorf("gc --cni-path = %v, output %q; want a clean teardown", err, out)
		}
		podGone(t, e, uuid)
	})
	t.Run("killed pod whose plugins went", func(t *testing.T) {
		plugins := t.TempDir()
		entries, err := os.ReadDir(cniDir(t))
		if err != nil {
			t.Fatal(err)
		}
		for _, en := range entries {
			b, err := os.ReadFile(filepath.Join(cniDir(t), en.Name()))
			if err != nil || os.WriteFile(filepath.Join(plugins, en.Name()), b, 0o755) != nil {
				t.Fatalf("copy plugin %s: %v", en.Name(), err)
			}
		}
		cmd, _, uuid := e.start("--cni-path="+plugins, "--insecure-options=image", "--net=default", img, "--exec=/bin/sleep", "--", "60")
		waitRunning(t, e, uuid)
		cmd.Process.Kill()
		cmd.Wait()
		// The skipped DEL leaves ptp's masquerading rules behind.
		t.Cleanup(func() { dropMasquerade(t, uuid) })
		os.RemoveAll(plugins)
		gc := e.cmd("gc", "--grace=0s")
		gc.Env = append(gc.Env, "ACIKIT_CNI_PATH=")
		out, err := gc.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "skipped") {
			t.Errorf("gc = %v, output %q; want 0 and the skipped teardown reported", err, out)
		}
		podGone(t, e, uuid)
		mi, _ := os.ReadFile("/proc/self/mountinfo")
		if strings.Contains(string(mi), uuid) {
			t.Errorf("mounts of pod %s left", uuid)
		}
	})
	t.Run("rm of a pod in garbage", func(t *testing.T) {
		uuid := brokenNetPod(t, e, img)
		var from string
		for _, s := range []string{"run", "exited"} {
			if _, err := os.Stat(filepath.Join(e.pods, s, uuid)); err == nil {
				from = filepath.Join(e.pods, s, uuid)
			}
		}
		if from == "" {
			t.Fatalf("pod %s is neither in run nor in exited", uuid)
		}
		// What an interrupted rm or gc leaves.
		if err := os.Rename(from, filepath.Join(e.pods, "garbage", uuid)); err != nil {
			t.Fatal(err)
		}
		r := e.run("rm", uuid)
		if r.Code != 0 {
			t.Errorf("rm %s (in garbage) = %d, stderr %q; want 0", uuid, r.Code, r.Stderr)
		}
		podGone(t, e, uuid)
	})
}

// list, status and the other commands that only look at pods create no
// directory, not even with a mistyped --pod-dir.
func TestLookingCreatesNothing(t *testing.T) {
	e := newEnv(t)
	missing := filepath.Join(e.dir, "typo", "pods")
	for _, tt := range []struct {
		args []string
		code int
	}{
		{[]string{"list", "--pod-dir=" + missing}, 5},
		{[]string{"list", "--json", "--pod-dir=" + missing}, 5},
		{[]string{"status", "--pod-dir=" + missing, "0123"}, 5},
		{[]string{"cat-manifest", "--pod-dir=" + missing, "0123"}, 5},
		{[]string{"rm", "--pod-dir=" + missing, "0123"}, 5},
		{[]string{"gc", "--pod-dir=" + missing}, 5},
		{[]string{"enter", "--pod-dir=" + missing, "0123"}, 5},
	} {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			r := e.run(tt.args...)
			if r.Code != tt.code || !strings.Contains(r.Stderr, missing) || strings.Contains(r.Stderr, "--help") {
				t.Errorf("acrun %q = %d, stderr %q; want %d naming %s", tt.args, r.Code, r.Stderr, tt.code, missing)
			}
			if _, err := os.Stat(filepath.Join(e.dir, "typo")); !os.IsNotExist(err) {
				t.Errorf("acrun %q made %s", tt.args, filepath.Join(e.dir, "typo"))
			}
		})
	}
	// The environment variable too, and a relative path.
	t.Run("env", func(t *testing.T) {
		cmd := e.cmd("list")
		cmd.Env = append(cmd.Env, "ACIKIT_POD_DIR=typo/pods")
		cmd.Dir = e.dir
		if out, err := cmd.CombinedOutput(); err == nil {
			t.Errorf("list with a missing $ACIKIT_POD_DIR = ok (%q), want an error", out)
		}
		if _, err := os.Stat(filepath.Join(e.dir, "typo")); !os.IsNotExist(err) {
			t.Errorf("list made %s", filepath.Join(e.dir, "typo"))
		}
	})
}

// A non-root user with no pod directory of their own sees no pods, and
// nothing is made.
func TestListAsUserCreatesNothing(t *testing.T) {
	testutil.RequireRoot(t)
	// A copy nobody may run (the built one is in a private directory).
	dir := t.TempDir()
	os.Chmod(dir, 0o755)
	os.Chmod(filepath.Dir(dir), 0o755)
	bin := filepath.Join(dir, "acrun")
	b, err := os.ReadFile(acrunBin(t))
	if err != nil || os.WriteFile(bin, b, 0o755) != nil {
		t.Fatalf("copy acrun: %v", err)
	}
	const root = "/var/lib/acikit/pods"
	_, statErr := os.Stat(root)
	for _, args := range [][]string{{"list"}, {"gc"}, {"status", "0123"}} {
		cmd := exec.Command(bin, args...)
		cmd.Dir = "/"
		cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=/nonexistent"}
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		var se bytes.Buffer
		cmd.Stderr = &se
		err := cmd.Run()
		if _, err := os.Stat(root); os.IsNotExist(statErr) && !os.IsNotExist(err) {
			t.Errorf("acrun %q as nobody made %s", args, root)
		}
		if strings.Contains(se.String(), "--help") || strings.Contains(se.String(), "mkdir") {
			t.Errorf("acrun %q as nobody = %v, stderr %q", args, err, se.String())
		}
		if args[0] == "list" && err != nil {
			t.Errorf("acrun list as nobody = %v, stderr %q; want an empty list", err, se.String())
		}
	}
}

// Failures that are not usage errors neither exit 2 nor point at --help.
func TestLifecycleExitCodes(t *testing.T) {
	e := newEnv(t)
	img := e.busybox("example.com/busybox", "")
	cmd, _, uuid := e.start("--insecure-options=image", "--net=none", img, "--exec=/bin/sleep", "--", "60")
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	waitRunning(t, e, uuid)
	if err := os.WriteFile(filepath.Join(e.dir, "noexec"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	// Two exited pods sharing a prefix.
	for _, u := range []string{"abcdef01-0000-4000-8000-000000000001", "abcdef01-0000-4000-8000-000000000002"} {
		if err := os.MkdirAll(filepath.Join(e.pods, "exited", u), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	for _, tt := range []struct {
		name string
		args []string
		code int
	}{
		{"rm of a running pod", []string{"rm", uuid}, 1},
		{"ambiguous prefix", []string{"status", "abcdef01"}, 1},
		{"unknown uuid", []string{"status", "fedcba98"}, 5},
		{"rm unknown uuid", []string{"rm", "fedcba98"}, 5},
		{"enter an exited pod", []string{"enter", "abcdef01-0000-4000-8000-000000000001", "/bin/true"}, 1},
		{"enter a missing command", []string{"enter", uuid, "/nonexistent"}, 127},
		{"enter a command not in PATH", []string{"enter", uuid, "nonexistent-cmd"}, 127},
		{"enter a file not executable", []string{"enter", uuid, "/etc/passwd"}, 126},
		{"enter a directory", []string{"enter", uuid, "/etc"}, 126},
		{"enter runs", []string{"enter", uuid, "/bin/sh", "-c", "exit 7"}, 7},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := e.run(tt.args...)
			if r.Code != tt.code || strings.Contains(r.Stderr, "--help") {
				t.Errorf("acrun %q = %d, stderr %q; want %d and no --help", tt.args, r.Code, r.Stderr, tt.code)
			}
			if tt.code != 7 && !strings.HasPrefix(r.Stderr, "acrun: ") {
				t.Errorf("acrun %q stderr = %q, want an acrun: line", tt.args, r.Stderr)
			}
		})
	}
}

// dropMasquerade removes the nat rules and chains CNI made for pod uuid
// (what a skipped teardown leaves).
func dropMasquerade(t *testing.T, uuid string) {
	out, err := exec.Command("iptables", "-t", "nat", "-S", "POSTROUTING").Output()
	if err != nil {
		t.Logf("iptables -S: %v", err)
		return
	}
	for _, l := range strings.Split(string(out), "\n") {
		if !strings.HasPrefix(l, "-A POSTROUTING") || !strings.Contains(l, uuid) {
			continue
		}
		f := strings.Fields(l)
		chain := f[len(f)-1]
		if o, err := exec.Command("sh", "-c", "iptables -t nat -D"+strings.TrimPrefix(l, "-A")).CombinedOutput(); err != nil {
			t.Logf("drop %q: %v %s", l, err, o)
		}
		if strings.HasPrefix(chain, "CNI-") {
			exec.Command("iptables", "-t", "nat", "-F", chain).Run()
			exec.Command("iptables", "-t", "nat", "-X", chain).Run()
		}
	}
}
