package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/acikit/acikit/internal/aci"
	"github.com/acikit/acikit/internal/testutil"
)

func TestWithRun(t *testing.T) {
	tests := []struct {
		in, want []string
	}{
		{[]string{"acrun", "x.aci"}, []string{"acrun", "run", "x.aci"}},
		{[]string{"acrun", "--net=host", "x.aci"}, []string{"acrun", "run", "--net=host", "x.aci"}},
		{[]string{"acrun", "--debug", "x.aci"}, []string{"acrun", "--debug", "run", "x.aci"}},
		{[]string{"acrun", "list"}, []string{"acrun", "list"}},
		{[]string{"acrun", "--help"}, []string{"acrun", "--help"}},
		{[]string{"acrun"}, []string{"acrun"}},
	}
	for _, tt := range tests {
		if got := withRun(tt.in); !cmp.Equal(got, tt.want) {
			t.Errorf("withRun(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseRun(t *testing.T) {
	type app struct {
		Image, Name, Exec string
		Args              []string
		Env, Mounts       []string
	}
	tests := []struct {
		name    string
		args    []string
		net     string
		env     []string
		want    []app
		wantErr string
	}{
		{"one image", []string{"a.aci"}, "default", nil, []app{{Image: "a.aci"}}, ""},
		{"pod and app flags", []string{"--net=none", "--set-env=A=1", "a.aci", "--name=x", "--set-env=B=2", "--", "-c", "echo hi"},
			"none", []string{"A=1"}, []app{{Image: "a.aci", Name: "x", Args: []string{"-c", "echo hi"}, Env: []string{"B=2"}}}, ""},
		{"two apps with ---", []string{"a.aci", "--exec=/bin/sh", "--", "-c", "x", "---", "b.aci", "--mount", "volume=v,target=/v"}, "default", nil,
			[]app{{Image: "a.aci", Exec: "/bin/sh", Args: []string{"-c", "x"}}, {Image: "b.aci", Mounts: []string{"volume=v,target=/v"}}}, ""},
		{"images without ---", []string{"a.aci", "b.aci", "--name=b"}, "default", nil, []app{{Image: "a.aci"}, {Image: "b.aci", Name: "b"}}, ""},
		{"dashes in args stay args", []string{"a.aci", "--", "--name", "---x"}, "default", nil, []app{{Image: "a.aci", Args: []string{"--name", "---x"}}}, ""},
		{"no image", []string{"--net=none"}, "", nil, nil, "needs at least one image"},
		{"unknown pod flag", []string{"--bogus", "a.aci"}, "", nil, nil, "flag provided but not defined: -bogus"},
		{"unknown app flag", []string{"a.aci", "--bogus"}, "", nil, nil, "image a.aci: flag provided but not defined"},
		{"interactive with two", []string{"--interactive", "a.aci", "---", "b.aci"}, "", nil, nil, "--interactive needs exactly one image"},
		{"pod manifest", []string{"--net=none", "--pod-manifest", "pod.json"}, "none", nil, nil, ""},
		{"pod manifest and image", []string{"--pod-manifest=pod.json", "a.aci"}, "", nil, nil, "--pod-manifest runs the manifest's apps: give no image (got a.aci)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			po, apps, err := parseRun(tt.args)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("parseRun(%q) error = %v, want %q", tt.args, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseRun(%q) = %v", tt.args, err)
			}
			var got []app
			for _, a := range apps {
				got = append(got, app{Image: a.image, Name: a.name, Exec: a.exec, Args: a.args, Env: a.env, Mounts: a.mounts})
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("parseRun(%q) apps (-want +got):\n%s", tt.args, diff)
			}
			if po.net != tt.net || !cmp.Equal([]string(po.env), tt.env) {
				t.Errorf("parseRun(%q) = net %q env %q, want %q %q", tt.args, po.net, po.env, tt.net, tt.env)
			}
		})
	}
}

func FuzzParseRun(f *testing.F) {
	f.Add("--net=none a.aci --exec /x -- a b --- b.aci")
	f.Add("a.aci b.aci -- c")
	f.Fuzz(func(t *testing.T, s string) {
		po, apps, err := parseRun(strings.Fields(s))
		if err == nil && (po == nil || len(apps) == 0) {
			t.Errorf("parseRun(%q) = no error and no apps", s)
		}
	})
}

func TestParseNet(t *testing.T) {
	tests := []struct {
		in      string
		host    bool
		nets    []string
		wantErr bool
	}{
		{"none", false, nil, false},
		{"host", true, nil, false},
		{"default", false, []string{"default"}, false},
		{"a,b", false, []string{"a", "b"}, false},
		{"a,host", false, nil, true},
		{"a,a", false, nil, true},
		{"Bad_Name", false, nil, true},
	}
	for _, tt := range tests {
		host, nets, err := parseNet(tt.in)
		if (err != nil) != tt.wantErr || host != tt.host || !cmp.Equal(nets, tt.nets) {
			t.Errorf("parseNet(%q) = %v, %q, %v; want %v, %q, error %v", tt.in, host, nets, err, tt.host, tt.nets, tt.wantErr)
		}
	}
}

func TestHelp(t *testing.T) {
	bin := acrunBin(t)
	for _, args := range [][]string{{"--help"}, {"run", "--help"}, {"list", "--help"}, {"status", "--help"},
		{"gc", "--help"}, {"rm", "--help"}, {"enter", "--help"}, {"cat-manifest", "--help"}} {
		r := testutil.Run(t, nil, bin, args...)
		if r.Code != 0 {
			t.Errorf("acrun %s = exit %d, stderr %q", strings.Join(args, " "), r.Code, r.Stderr)
		}
		name := "acrun"
		if args[0] != "--help" {
			name += "-" + args[0]
		}
		testutil.Golden(t, filepath.Join("testdata", name+".golden"), []byte(r.Stdout))
	}
}

func TestUsageErrors(t *testing.T) {
	bin := acrunBin(t)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--bogus", "a.aci"}, "flag provided but not defined"},
		{[]string{"--net=none", "--port=www:8080", "a.aci"}, "--port needs a network"},
		{[]string{"--insecure-options=nope", "a.aci"}, "unknown option"},
		{[]string{"status"}, "status needs 1 argument"},
		{[]string{"--dns=notanip", "a.aci"}, `--dns "notanip": not an IP address`},
		{[]string{"--hostname=bad host!", "a.aci"}, `--hostname "bad host!": not a host name`},
		{[]string{"--hostname=" + strings.Repeat("a", 65), "a.aci"}, "not a host name"},
		{[]string{"a.aci", "--caps-retain=CAP_NET_RAW,bogus"}, `--caps-retain CAP_NET_RAW,bogus: unknown capability "CAP_BOGUS"`},
		{[]string{"a.aci", "--caps-remove=CAP_NOPE"}, `--caps-remove CAP_NOPE: unknown capability "CAP_NOPE"`},
	}
	for _, tt := range tests {
		r := testutil.Run(t, nil, bin, tt.args...)
		if r.Code != 2 || !strings.Contains(r.Stderr, tt.want) {
			t.Errorf("acrun %q = exit %d, stderr %q; want 2 and %q", tt.args, r.Code, r.Stderr, tt.want)
		}
	}
}

// acrunBin is the acrun under test: $ACIKIT_BIN/acrun when make built it
// (with acrun-init beside it), else built now with its init helper.
func acrunBin(t testing.TB) string {
	if d := os.Getenv("ACIKIT_BIN"); d != "" {
		if _, err := os.Stat(filepath.Join(d, "acrun")); err == nil {
			return filepath.Join(d, "acrun")
		}
	}
	bin := testutil.Binary(t, "acrun")
	helperOnce.Do(func() {
		cmd := exec.Command("go", "build", "-trimpath", "-o", filepath.Join(filepath.Dir(bin), initHelperName), "./cmd/acrun-init")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			helperErr = fmt.Sprintf("build %s: %v\n%s", initHelperName, err, out)
		}
	})
	if helperErr != "" {
		t.Fatal(helperErr)
	}
	return bin
}

var (
	helperOnce sync.Once
	helperErr  string
)

// env is one test's acrun world: its own store, pods and trust dirs.
type env struct {
	t                       testing.TB
	dir, store, pods, trust string
	bin                     string
	wd                      string // acrun's working directory, "" for the test's
}

func newEnv(t testing.TB) *env {
	testutil.RequireRoot(t)
	testutil.RequireLinux(t)
	dir := t.TempDir()
	e := &env{t: t, dir: dir, store: filepath.Join(dir, "store"), pods: filepath.Join(dir, "pods"),
		trust: filepath.Join(dir, "trust"), bin: acrunBin(t)}
	t.Cleanup(func() {
		// Whatever a failed test left running or mounted.
		e.cmd("gc", "--grace=0s").Run()
	})
	return e
}

func (e *env) environ() []string {
	return append(os.Environ(), "ACIKIT_STORE_DIR="+e.store, "ACIKIT_POD_DIR="+e.pods,
		"ACIKIT_TRUST_DIR="+e.trust, "ACIKIT_SYSTEM_TRUST_DIR=", "ACIKIT_CNI_PATH="+cniDir(e.t))
}

var (
	cniOnce    sync.Once
	testCNIDir string
)

func cniDir(t testing.TB) string {
	cniOnce.Do(func() { testCNIDir = testutil.CNIPlugins(t) })
	return testCNIDir
}

func (e *env) cmd(args ...string) *exec.Cmd {
	cmd := exec.Command(e.bin, args...)
	cmd.Env = e.environ()
	cmd.Dir = e.wd
	return cmd
}

// run runs acrun and returns what it printed and its exit code.
func (e *env) run(args ...string) testutil.Result {
	e.t.Helper()
	cmd := e.cmd(args...)
	var so, se bytes.Buffer
	cmd.Stdout, cmd.Stderr = &so, &se
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		e.t.Fatalf("run acrun: %v", err)
	}
	return testutil.Result{Stdout: so.String(), Stderr: se.String(), Code: code}
}

// busyboxLayout makes an image layout from busybox-static: /bin/busybox,
// applet links, an /etc/passwd and /etc/group with user "app" (1234).
func busyboxLayout(t testing.TB, name, manifestApp string) string {
	testutil.RequireCommand(t, "busybox", "busybox-static")
	dir := t.TempDir()
	root := filepath.Join(dir, "rootfs")
	for _, d := range []string{"bin", "etc", "tmp"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	bb, err := os.ReadFile("/bin/busybox")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(bb[:4096], []byte("ELF")) {
		t.Fatal("/bin/busybox is not an ELF file")
	}
	if err := os.WriteFile(filepath.Join(root, "bin", "busybox"), bb, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, a := range strings.Fields("sh true false cat echo id hostname ls sleep head tr ip ping grep touch wc nc dd mkdir kill awk seq") {
		os.Symlink("busybox", filepath.Join(root, "bin", a))
	}
	os.WriteFile(filepath.Join(root, "etc", "passwd"), []byte("root:x:0:0::/:/bin/sh\napp:x:1234:1234::/:/bin/sh\n"), 0o644)
	os.WriteFile(filepath.Join(root, "etc", "group"), []byte("root:x:0:\napp:x:1234:\n"), 0o644)
	if manifestApp == "" {
		manifestApp = `{"exec":["/bin/sh","-c","echo hello from busybox"],"user":"0","group":"0"}`
	}
	m := `{"acKind":"ImageManifest","acVersion":"0.8.11","name":"` + name + `","labels":[{"name":"os","value":"linux"},{"name":"arch","value":"amd64"}],"app":` + manifestApp + `}`
	if err := os.WriteFile(filepath.Join(dir, "manifest"), []byte(m), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// buildImage writes the layout as an image file and returns its path.
func buildImage(t testing.TB, layout, out string) string {
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := aci.Build(context.Background(), layout, f, aci.BuildOptions{OwnerRoot: true}); err != nil {
		t.Fatalf("build %s: %v", layout, err)
	}
	return out
}

// busybox returns an unsigned busybox image (run with --insecure-options=image).
func (e *env) busybox(name, app string) string {
	return buildImage(e.t, busyboxLayout(e.t, name, app), filepath.Join(e.dir, strings.ReplaceAll(name, "/", "_")+".aci"))
}

// waitFor polls cond until it holds or d passes.
func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// start starts acrun in the background with the uuid saved to a file.
func (e *env) start(args ...string) (*exec.Cmd, *bytes.Buffer, string) {
	e.t.Helper()
	uf := filepath.Join(e.t.TempDir(), "uuid")
	cmd := e.cmd(append([]string{"--uuid-file-save", uf}, args...)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	var uuid string
	waitFor(e.t, 20*time.Second, "the pod's uuid", func() bool {
		b, _ := os.ReadFile(uf)
		uuid = strings.TrimSpace(string(b))
		return uuid != ""
	})
	return cmd, &out, uuid
}
