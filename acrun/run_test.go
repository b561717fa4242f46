package main

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestIsolation runs one busybox app per case and checks what it sees from
// inside the pod.
func TestIsolation(t *testing.T) {
	e := newEnv(t)
	img := e.busybox("example.com/busybox", "")
	hostFile := filepath.Join(e.dir, "host-secret")
	os.WriteFile(hostFile, []byte("secret"), 0o644)
	roDir := t.TempDir()
	run := func(flags []string, appFlags []string, script string) (string, string, int) {
		args := append([]string{"--insecure-options=image", "--net=none"}, flags...)
		args = append(append(append(args, img), appFlags...), "--exec=/bin/sh", "--", "-c", script)
		r := e.run(args...)
		return r.Stdout, r.Stderr, r.Code
	}
	tests := []struct {
		name     string
		flags    []string
		app      []string
		script   string
		want     string // regexp on stdout
		wantCode int
	}{
		{"image command", nil, nil, "", "", 0},
		{"pid 1 is the pod's init", nil, nil, "cat /proc/1/cmdline; echo; ls /proc | grep -c '^[0-9]'", `^acikit-pod-init\x00?\n[1-5]\n$`, 0},
		{"hostname", []string{"--hostname=box1"}, nil, "hostname", "^box1\n$", 0},
		{"only lo", nil, nil, "ls /sys/class/net", "^lo\n$", 0},
		{"host files invisible", nil, nil, "ls " + hostFile + " 2>&1; cat /etc/hostname 2>&1 | head -1", "No such file", 0},
		{"environment", []string{"--set-env=POD=p"}, []string{"--set-env=APP=a"},
			"echo $PATH $AC_APP_NAME $POD $APP; echo $AC_METADATA_URL",
			`^/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin busybox p a\nhttp://127\.0\.0\.1:\d+/[0-9a-f]{32}\n$`, 0},
		{"uid and gid by number", nil, []string{"--user=1000", "--group=1001"}, "id -u; id -g", "^1000\n1001\n$", 0},
		{"user and group by name", nil, []string{"--user=app", "--group=app"}, "id -u; id -g", "^1234\n1234\n$", 0},
		{"working dir", nil, []string{"--working-dir=/tmp"}, "pwd", "^/tmp\n$", 0},
		{"caps retain", nil, []string{"--caps-retain=CAP_NET_ADMIN,CAP_CHOWN"}, "grep -E '^(CapBnd|CapEff)' /proc/self/status",
			`CapEff:\s+0000000000001001\nCapBnd:\s+0000000000001001`, 0},
		{"caps remove", nil, []string{"--caps-remove=CHOWN"}, "grep CapBnd /proc/self/status", `CapBnd:\s+[0-9a-f]*[02468ace]\n`, 0},
		{"no new privileges", nil, []string{"--no-new-privileges"}, "grep NoNewPrivs /proc/self/status", `NoNewPrivs:\s+1`, 0},
		{"new privileges by default", nil, nil, "grep NoNewPrivs /proc/self/status", `NoNewPrivs:\s+0`, 0},
		{"read-only volume", []string{"--volume=data,kind=host,source=" + roDir + ",readOnly=true", "--mount=volume=data,target=/data"}, nil,
			"touch /data/x 2>&1; echo rc=$?", `Read-only file system\nrc=1\n`, 0},
		{"empty volume", []string{"--volume=scratch,kind=empty,mode=0700,uid=1234"}, []string{"--mount=volume=scratch,target=/scratch"},
			"stat -c '%a %u' /scratch 2>/dev/null || ls -ld /scratch; touch /scratch/x && echo ok", `ok\n$`, 0},
		{"exit code", nil, nil, "exit 7", "", 7},
		{"killed by a signal", nil, nil, "kill -9 $$", "", 137},
		{"missing command", nil, []string{"--exec=/nonexistent"}, "", "", exitAppNotStarted},
		{"rootfs is writable, tree untouched", nil, nil, "echo x > /etc/passwd && echo wrote", "^wrote\n$", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			script := tt.script
			if tt.name == "image command" {
				r := e.run("--insecure-options=image", "--net=none", img)
				if r.Code != 0 || r.Stdout != "hello from busybox\n" {
					t.Errorf("acrun IMAGE = %d, %q (stderr %q), want 0 and the image's output", r.Code, r.Stdout, r.Stderr)
				}
				return
			}
			app := tt.app
			if tt.name == "missing command" {
				r := e.run(append(append([]string{"--insecure-options=image", "--net=none"}, img), app...)...)
				if r.Code != tt.wantCode || !strings.Contains(r.Stderr, "/nonexistent") {
					t.Errorf("acrun --exec=/nonexistent = %d, stderr %q; want %d", r.Code, r.Stderr, tt.wantCode)
				}
				return
			}
			out, stderr, code := run(tt.flags, app, script)
			if code != tt.wantCode {
				t.Errorf("exit code = %d, want %d (stdout %q, stderr %q)", code, tt.wantCode, out, stderr)
			}
			if !regexp.MustCompile(tt.want).MatchString(out) {
				t.Errorf("stdout = %q, want a match for %q (stderr %q)", out, tt.want, stderr)
			}
		})
	}
	// The read-only volume stayed empty, and the cached tree unchanged.
	if ents, _ := os.ReadDir(roDir); len(ents) != 0 {
		t.Errorf("the read-only volume got %d entries", len(ents))
	}
	r := e.run("--insecure-options=image", "--net=none", img, "--exec=/bin/sh", "--", "-c", "head -1 /etc/passwd")
	if r.Stdout != "root:x:0:0::/:/bin/sh\n" {
		t.Errorf("after an app wrote /etc/passwd, the next pod sees %q, want the image's file", r.Stdout)
	}
}

func TestMemoryAndCPU(t *testing.T) {
	e := newEnv(t)
	img := e.busybox("example.com/busybox", "")
	// Doubling a string past 32 MiB.
	r := e.run("--insecure-options=image", "--net=none", img, "--memory=32M", "--exec=/bin/awk", "--", `BEGIN { s = "x"; while (1) s = s s }`)
	if r.Code != 137 || !strings.Contains(r.Stderr, "OOM") {
		t.Errorf("app over its memory limit: exit %d, stderr %q; want 137 and an OOM report", r.Code, r.Stderr)
	}

	cmd, out, uuid := e.start("--insecure-options=image", "--net=none", img, "--cpu=250m", "--cpu-shares=512",
		"--exec=/bin/sh", "--", "-c", "echo up; sleep 30")
	defer cmd.Process.Kill()
	st := waitRunning(t, e, uuid)
	var dirs []string
	for _, d := range st.Status.Cgroups {
		dirs = append(dirs, filepath.Join(d, "app-busybox"))
	}
	quota, shares := "", ""
	for _, d := range dirs {
		if b, err := os.ReadFile(filepath.Join(d, "cpu.cfs_quota_us")); err == nil {
			quota = strings.TrimSpace(string(b))
			b, _ = os.ReadFile(filepath.Join(d, "cpu.shares"))
			shares = strings.TrimSpace(string(b))
		}
		if b, err := os.ReadFile(filepath.Join(d, "cpu.max")); err == nil {
			quota = strings.Fields(string(b))[0]
			shares = "512"
		}
	}
	if quota != "25000" || shares != "512" {
		t.Errorf("app cgroup %v: quota %q shares %q, want 25000 and 512", dirs, quota, shares)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	cmd.Wait()
	if !strings.Contains(out.String(), "up") {
		t.Errorf("output %q", out)
	}
	for _, d := range st.Status.Cgroups {
		if _, err := os.Stat(d); err == nil {
			t.Errorf("cgroup %s left after the pod ended", d)
		}
	}
}

// waitRunning waits until acrun status says running with the apps started.
func waitRunning(t *testing.T, e *env, uuid string) podInfo {
	t.Helper()
	var in podInfo
	waitFor(t, 20*time.Second, "pod "+uuid+" running", func() bool {
		r := e.run("status", "--json", uuid)
		if r.Code != 0 || json.Unmarshal([]byte(r.Stdout), &in) != nil {
			return false
		}
		return in.State == "running" && in.Status != nil && in.Status.Pid != 0
	})
	return in
}

func TestSignalsAndExitCodes(t *testing.T) {
	e := newEnv(t)
	img := e.busybox("example.com/busybox", "")
	t.Run("SIGTERM reaches the app", func(t *testing.T) {
		cmd, out, uuid := e.start("--insecure-options=image", "--net=none", img, "--exec=/bin/sh", "--", "-c",
			"trap 'echo got TERM; exit 42' TERM; echo ready; while :; do sleep 0.1; done")
		waitRunning(t, e, uuid)
		time.Sleep(200 * time.Millisecond) // the trap is set once the shell runs
		cmd.Process.Signal(syscall.SIGTERM)
		err := cmd.Wait()
		if code := exitCode(err); code != 42 || !strings.Contains(out.String(), "got TERM") {
			t.Errorf("after SIGTERM: exit %d, output %q; want 42 and the trap's output", code, out)
		}
		r := e.run("status", uuid)
		if !strings.Contains(r.Stdout, "state=exited") || !strings.Contains(r.Stdout, "app-busybox=42") {
			t.Errorf("status = %q, want exited and app-busybox=42", r.Stdout)
		}
	})
	t.Run("stop timeout then SIGKILL", func(t *testing.T) {
		cmd, _, uuid := e.start("--insecure-options=image", "--net=none", "--stop-timeout=300ms", img, "--exec=/bin/sh", "--", "-c",
			"trap '' TERM; while :; do sleep 0.1; done")
		waitRunning(t, e, uuid)
		start := time.Now()
		cmd.Process.Signal(syscall.SIGTERM)
		code := exitCode(cmd.Wait())
		if code != 137 || time.Since(start) > 5*time.Second {
			t.Errorf("app ignoring SIGTERM: exit %d after %v, want 137 soon after the timeout", code, time.Since(start))
		}
	})
	t.Run("several apps: the first to fail stops the pod, prefixed output", func(t *testing.T) {
		start := time.Now()
		r := e.run("--insecure-options=image", "--net=none",
			img, "--name=a", "--exec=/bin/sh", "--", "-c", "echo one; exit 0", "---",
			img, "--name=b", "--exec=/bin/sh", "--", "-c", "echo two; sleep 0.3; exit 3", "---",
			img, "--name=c", "--exec=/bin/sh", "--", "-c", "sleep 30; exit 4")
		if r.Code != 3 || !strings.Contains(r.Stdout, "a: one\n") || !strings.Contains(r.Stdout, "b: two\n") {
			t.Errorf("three apps = exit %d, stdout %q; want 3 and prefixed lines", r.Code, r.Stdout)
		}
		if d := time.Since(start); d > 20*time.Second {
			t.Errorf("three apps took %v: the failing app did not stop the sleeping one", d)
		}
	})
	t.Run("apps share a volume, pid namespace and handlers", func(t *testing.T) {
		r := e.run("--insecure-options=image", "--net=none", "--volume=shared,kind=empty", "--mount=volume=shared,target=/shared",
			img, "--name=writer", "--exec=/bin/sh", "--", "-c", "echo hi > /shared/f", "---",
			img, "--name=reader", "--exec=/bin/sh", "--", "-c", "while [ ! -s /shared/f ]; do sleep 0.05; done; cat /shared/f")
		if r.Code != 0 || !strings.Contains(r.Stdout, "reader: hi") {
			t.Errorf("shared volume: exit %d, stdout %q stderr %q", r.Code, r.Stdout, r.Stderr)
		}
	})
	t.Run("mount point without a volume", func(t *testing.T) {
		// Each app gets an empty volume of its own (rkt's implicit volume).
		mimg := e.busybox("example.com/withmp", `{"exec":["/bin/sh","-c","echo $AC_APP_NAME > /data/f; sleep 0.2; cat /data/f"],"user":"0","group":"0","mountPoints":[{"name":"data","path":"/data"}]}`)
		r := e.run("--insecure-options=image", "--net=none", mimg, "--name=a", "---", mimg, "--name=b")
		if r.Code != 0 || !strings.Contains(r.Stderr, "app a: mount point data (/data) has no volume: using an empty volume a-data") ||
			!strings.Contains(r.Stdout, "a: a\n") || !strings.Contains(r.Stdout, "b: b\n") {
			t.Errorf("unsatisfied mount points: exit %d, stdout %q, stderr %q; want 0, a warning and a volume for each app", r.Code, r.Stdout, r.Stderr)
		}
		// A volume of the implicit name, given for something else, is not taken over.
		r = e.run("--insecure-options=image", "--net=none", "--volume=a-data,kind=empty", mimg, "--name=a")
		if r.Code != 2 || !strings.Contains(r.Stderr, "implicit volume a-data is taken") {
			t.Errorf("implicit volume name taken: exit %d, stderr %q; want 2", r.Code, r.Stderr)
		}
	})
	t.Run("uuid-file-save", func(t *testing.T) {
		// "-" is stdout: the UUID line comes before the app's output.
		r := e.run("--insecure-options=image", "--net=none", "--uuid-file-save", "-", img, "--exec=/bin/echo", "--", "app")
		lines := strings.Split(r.Stdout, "\n")
		if r.Code != 0 || len(lines) != 3 || len(lines[0]) != 36 || lines[1] != "app" || !strings.Contains(r.Stderr, lines[0]) {
			t.Errorf("--uuid-file-save - = exit %d, stdout %q, stderr %q; want the UUID, then app", r.Code, r.Stdout, r.Stderr)
		}
		// A file that cannot be written fails the run and leaves no pod behind.
		before := e.run("list").Stdout
		r = e.run("--insecure-options=image", "--net=none", "--uuid-file-save", filepath.Join(t.TempDir(), "no", "uuid"), img)
		if r.Code != 1 || !strings.Contains(r.Stderr, "save pod UUID") {
			t.Errorf("--uuid-file-save into a missing dir = exit %d, stderr %q; want 1 and save pod UUID", r.Code, r.Stderr)
		}
		if after := e.run("list").Stdout; after != before {
			t.Errorf("list after a failed --uuid-file-save = %q, want %q", after, before)
		}
	})
	t.Run("image from stdin", func(t *testing.T) {
		f, err := os.Open(img)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		cmd := e.cmd("--insecure-options=image", "--net=none", "-")
		var so, se bytes.Buffer
		cmd.Stdin, cmd.Stdout, cmd.Stderr = f, &so, &se
		if err := cmd.Run(); err != nil || so.String() != "hello from busybox\n" {
			t.Errorf("acrun - < %s = %v, stdout %q, stderr %q; want hello from busybox", img, err, so.String(), se.String())
		}
	})
	t.Run("stored unverified image refused by name", func(t *testing.T) {
		// Stored by a run with --insecure-options=image; by name, it is
		// refused for its missing signature (4), not for the failed discovery.
		uimg := e.busybox("localhost/unverified", "")
		if r := e.run("--insecure-options=image", "--net=none", uimg); r.Code != 0 {
			t.Fatalf("run %s with --insecure-options=image = exit %d, stderr %q", uimg, r.Code, r.Stderr)
		}
		r := e.run("--net=none", "localhost/unverified")
		if r.Code != 4 || !strings.Contains(r.Stderr, "in the store has no verified signature") || r.Stdout != "" {
			t.Errorf("run localhost/unverified = exit %d, stdout %q, stderr %q; want 4 and no verified signature", r.Code, r.Stdout, r.Stderr)
		}
		if r := e.run("--insecure-options=image", "--net=none", "localhost/unverified"); r.Code != 0 || r.Stdout != "hello from busybox\n" {
			t.Errorf("run localhost/unverified with --insecure-options=image = exit %d, stdout %q, stderr %q", r.Code, r.Stdout, r.Stderr)
		}
	})
	t.Run("quiet", func(t *testing.T) {
		// --quiet: nothing on stderr when all goes well, not even the UUID.
		for _, q := range []string{"--quiet", "-q"} {
			r := e.run(q, "--net=none", "--insecure-options=all", img)
			if r.Code != 0 || r.Stdout != "hello from busybox\n" || uuidRE.MatchString(r.Stderr) {
				t.Errorf("acrun %s = exit %d, stdout %q, stderr %q; want the app's output and no UUID", q, r.Code, r.Stdout, r.Stderr)
			}
		}
	})
	t.Run("stdout closed early", func(t *testing.T) {
		// acrun a --- b | head -2: acrun, which copies the prefixed lines,
		// survives the closed pipe; the app that writes to it gets SIGPIPE
		// (141), and the pod ends and is recorded as usual.
		uf := filepath.Join(t.TempDir(), "uuid")
		cmd := e.cmd("--insecure-options=image", "--net=none", "--uuid-file-save="+uf,
			img, "--name=a", "--exec=/bin/sh", "--", "-c", "while :; do echo line; done",
			"---", img, "--name=b", "--exec=/bin/cat", "--", "/proc/self/status")
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var se bytes.Buffer
		cmd.Stderr = &se
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 64)
		if _, err := io.ReadFull(out, buf); err != nil {
			t.Fatalf("read acrun's stdout: %v", err)
		}
		out.Close()
		if code := exitCode(cmd.Wait()); code != 141 {
			t.Errorf("acrun with its stdout closed = exit %d, stderr %q; want 141 (app a's SIGPIPE)", code, se.String())
		}
		b, _ := os.ReadFile(uf)
		uuid := strings.TrimSpace(string(b))
		if _, err := os.Stat(filepath.Join(e.pods, "exited", uuid)); err != nil {
			t.Errorf("pod %s after acrun's stdout closed: %v; want it exited (not left to gc)", uuid, err)
		}
		if r := e.run("status", uuid); !strings.Contains(r.Stdout, "app-a=141") {
			t.Errorf("status = %q, want app-a=141", r.Stdout)
		}
	})
	t.Run("bad isolator flags name the flag", func(t *testing.T) {
		for _, tt := range []struct{ flag, want string }{
			{"--memory=bogus", "--memory bogus: "},
			{"--cpu=x", "--cpu x: "},
			{"--cpu-shares=1", "--cpu-shares 1: "},
			{"--oom-score-adj=5000", "--oom-score-adj 5000: "},
		} {
			r := e.run("--insecure-options=image", "--net=none", img, tt.flag)
			if r.Code != 2 || !strings.Contains(r.Stderr, "acrun: "+tt.want) {
				t.Errorf("acrun IMAGE %s = exit %d, stderr %q; want 2 and %q", tt.flag, r.Code, r.Stderr, tt.want)
			}
		}
	})
	t.Run("unsigned image refused", func(t *testing.T) {
		r := e.run("--net=none", img)
		if r.Code != 4 {
			t.Errorf("unsigned image without --insecure-options=image: exit %d, stderr %q; want 4", r.Code, r.Stderr)
		}
	})
	t.Run("list, cat-manifest, rm", func(t *testing.T) {
		uf := filepath.Join(t.TempDir(), "uuid")
		e.run("--insecure-options=image", "--net=none", "--uuid-file-save="+uf, img, "--exec=/bin/true")
		b, _ := os.ReadFile(uf)
		uuid := strings.TrimSpace(string(b))
		if r := e.run("list"); !strings.Contains(r.Stdout, uuid) || !strings.Contains(r.Stdout, "exited") {
			t.Errorf("list = %q, want %s exited", r.Stdout, uuid)
		}
		r := e.run("cat-manifest", uuid)
		var pm struct {
			ACKind string `json:"acKind"`
			Apps   []struct {
				Name  string              `json:"name"`
				Image struct{ ID string } `json:"image"`
			} `json:"apps"`
		}
		if err := json.Unmarshal([]byte(r.Stdout), &pm); err != nil || pm.ACKind != "PodManifest" || len(pm.Apps) != 1 ||
			!strings.HasPrefix(pm.Apps[0].Image.ID, "sha512-") {
			t.Errorf("cat-manifest = %q (%v), want a reified pod manifest", r.Stdout, err)
		}
		if r := e.run("rm", uuid); r.Code != 0 {
			t.Errorf("rm = %d %q", r.Code, r.Stderr)
		}
		if r := e.run("status", uuid); r.Code != 5 {
			t.Errorf("status after rm = %d, want 5 (not found)", r.Code)
		}
	})
	t.Run("rm of several pods, some missing", func(t *testing.T) {
		var uuids []string
		for range 2 {
			uf := filepath.Join(t.TempDir(), "uuid")
			e.run("--insecure-options=image", "--net=none", "--uuid-file-save="+uf, img, "--exec=/bin/true")
			b, _ := os.ReadFile(uf)
			uuids = append(uuids, strings.TrimSpace(string(b)))
		}
		r := e.run("rm", "nosuchpod1", uuids[0], "nosuchpod2", uuids[1])
		if r.Code != 5 || strings.Count(r.Stderr, "\n") != 2 || !strings.Contains(r.Stderr, "acrun: pod nosuchpod1 not found\n") ||
			!strings.Contains(r.Stderr, "acrun: pod nosuchpod2 not found\n") {
			t.Errorf("rm with missing pods = exit %d, stderr %q; want 5 and a line for each missing pod", r.Code, r.Stderr)
		}
		for _, u := range uuids {
			if r := e.run("status", u); r.Code != 5 {
				t.Errorf("status %s after rm = %d, want 5 (not found)", u, r.Code)
			}
		}
	})
	t.Run("enter", func(t *testing.T) {
		cmd, _, uuid := e.start("--insecure-options=image", "--net=none", "--hostname=entered", img, "--exec=/bin/sh", "--", "-c", "sleep 30")
		defer func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() }()
		waitRunning(t, e, uuid)
		r := e.run("enter", uuid, "/bin/sh", "-c", "hostname; exit 5")
		if r.Code != 5 || r.Stdout != "entered\n" {
			t.Errorf("enter = %d, %q (stderr %q); want 5 and the pod's hostname", r.Code, r.Stdout, r.Stderr)
		}
	})
}

var uuidRE = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)

func exitCode(err error) int {
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}

// TestInitHelper: the pod's init and the apps' setup are acrun-init when it
// sits beside acrun, and acrun itself (slower, same behaviour) when it is
// missing, as after a plain go install.
func TestInitHelper(t *testing.T) {
	e := newEnv(t)
	if _, err := os.Stat(filepath.Join(filepath.Dir(e.bin), initHelperName)); err != nil {
		t.Fatalf("no %s beside %s: %v", initHelperName, e.bin, err)
	}
	img := e.busybox("example.com/busybox", "")
	alone := filepath.Join(t.TempDir(), "acrun")
	b, err := os.ReadFile(e.bin)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(alone, b, 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, bin, want string
	}{
		{"helper beside acrun", e.bin, initHelperName},
		{"no helper", alone, "exe"}, // the name of /proc/self/exe
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(tt.bin, "--insecure-options=image", "--net=none", img,
				"--exec=/bin/sh", "--", "-c", "cat /proc/1/comm")
			cmd.Env = e.environ()
			out, err := cmd.Output()
			if got, want := string(out), tt.want+"\n"; err != nil || got != want {
				t.Errorf("%s: pod init %q, %v; want %q", tt.bin, got, err, want)
			}
		})
	}
}
