//go:build linux

package sandbox

import (
	"bytes"
	"context"
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

func TestBasic(t *testing.T) {
	root := busyboxRoot(t)
	st, out := runPod(t, &PodSpec{Hostname: "podhost", Apps: []AppSpec{sh("a", root, "echo $$; hostname; ls /sys/class/net; exit 3")}})
	t.Logf("status %+v out %q", st, out)
	if st.ExitCode != 3 {
		t.Errorf("exit code = %d, want 3", st.ExitCode)
	}
	if got, want := strings.Fields(out), []string{"2", "podhost", "lo"}; strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("output = %q, want %q", got, want)
	}
}
