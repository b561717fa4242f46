//go:build linux

package sandbox

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/acikit/acikit/internal/testutil"
)

// BenchmarkStartToExit measures start-to-exit of a static /bin/true from a
// prepared busybox root: our pod (new mount, pid, uts, ipc and net
// namespaces, cgroups, /proc /sys /dev, caps), the namespace floor with
// unshare+chroot, and crun on an OCI bundle of the same root. The target is
// at most 2x crun.
//
//	go test ./sandbox -run XXX -bench StartToExit -benchtime 50x
func BenchmarkStartToExit(b *testing.B) {
	root := busyboxRoot(b)
	b.Run("acikit", func(b *testing.B) {
		spec := &PodSpec{Hostname: "bench", Apps: []AppSpec{{Name: "true", Root: root, Exec: []string{"/bin/true"}}}}
		for b.Loop() {
			pod, err := Start(context.Background(), spec, nil)
			if err != nil {
				b.Fatal(err)
			}
			st, err := pod.Wait()
			if err != nil || st[0].ExitCode != 0 {
				b.Fatalf("Wait = %+v, %v", st, err)
			}
		}
		reportMS(b)
	})
	b.Run("unshare-chroot", func(b *testing.B) {
		unshare := testutil.RequireCommand(b, "unshare", "util-linux")
		for b.Loop() {
			if out, err := exec.Command(unshare, "-m", "-p", "-n", "-u", "-i", "-f", "chroot", root, "/bin/true").CombinedOutput(); err != nil {
				b.Fatalf("unshare: %v %s", err, out)
			}
		}
		reportMS(b)
	})
	b.Run("crun", func(b *testing.B) {
		crun := testutil.RequireCommand(b, "crun", "crun")
		bundle := crunBundle(b, crun, root)
		// crun refuses a hybrid host whose cgroup2 mount owns a controller;
		// hide that mount in a mount namespace of one locked thread, from
		// which crun is started (the host is untouched).
		errc := make(chan string, 1)
		go func() {
			runtime.LockOSThread() // never unlocked: the thread dies with the goroutine
			if err := unix.Unshare(unix.CLONE_NEWNS); err != nil {
				errc <- "unshare: " + err.Error()
				return
			}
			if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
				errc <- "private mounts: " + err.Error()
				return
			}
			_ = unix.Unmount("/sys/fs/cgroup/unified", unix.MNT_DETACH)
			for b.Loop() {
				if out, err := exec.Command(crun, "run", "-b", bundle, "acikit-bench").CombinedOutput(); err != nil {
					errc <- "crun cannot run here: " + err.Error() + ": " + string(out)
					return
				}
			}
			errc <- ""
		}()
		if msg := <-errc; msg != "" {
			testutil.Skip(b, msg)
		}
		reportMS(b)
	})
}

func reportMS(b *testing.B) {
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/op")
}

// crunBundle writes an OCI bundle around root running /bin/true, from
// `crun spec` with the process and root adjusted.
func crunBundle(b *testing.B, crun, root string) string {
	dir := b.TempDir()
	cmd := exec.Command(crun, "spec")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		testutil.Skip(b, "crun spec: "+err.Error()+string(out))
	}
	p := filepath.Join(dir, "config.json")
	raw, err := os.ReadFile(p)
	if err != nil {
		b.Fatal(err)
	}
	var cfg map[string]any
	if err := json.Unmarshal(raw, &cfg); err != nil {
		b.Fatal(err)
	}
	proc := cfg["process"].(map[string]any)
	proc["args"] = []string{"/bin/true"}
	proc["terminal"] = false
	cfg["root"] = map[string]any{"path": root, "readonly": true}
	raw, _ = json.Marshal(cfg)
	if err := os.WriteFile(p, raw, 0o644); err != nil {
		b.Fatal(err)
	}
	return dir
}
