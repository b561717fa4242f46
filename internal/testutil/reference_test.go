package testutil

import (
	"debug/elf"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestReference(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  string // substring of stdout+stderr
	}{
		{"actool", []string{"version"}, 0, "actool version 0.8.11"},
		{"actool", []string{"validate"}, 1, "must pass one or more files"},
		// The validator refuses to run without a mode (usage exit 64).
		{"ace", nil, 64, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name+" "+strings.Join(tt.args, " "), func(t *testing.T) {
			bin := Reference(t, tt.name)
			if again := Reference(t, tt.name); again != bin {
				t.Errorf("Reference(%q) second call = %s, want %s", tt.name, again, bin)
			}
			if got, want := filepath.Base(filepath.Dir(filepath.Dir(bin))), "oracle"; got != want {
				t.Errorf("Reference(%q) = %s, want it under an %s cache directory", tt.name, bin, want)
			}
			r := Run(t, nil, bin, tt.args...)
			if r.Code != tt.wantCode {
				t.Errorf("%s %v exit = %d, want %d (stderr %q)", tt.name, tt.args, r.Code, tt.wantCode, r.Stderr)
			}
			if out := r.Stdout + r.Stderr; !strings.Contains(out, tt.wantOut) {
				t.Errorf("%s %v output = %q, want it to contain %q", tt.name, tt.args, out, tt.wantOut)
			}
		})
	}
}

func TestLockFile(t *testing.T) {
	if runtime.GOOS == "windows" || runtime.GOOS == "plan9" {
		t.Skip("no flock here; Reference relies on rename alone")
	}
	path := filepath.Join(t.TempDir(), "x.lock")
	unlock, err := lockFile(path)
	if err != nil {
		t.Fatalf("lockFile(%s) = %v, want nil", path, err)
	}
	got := make(chan struct{})
	go func() {
		// A second open file description conflicts even in one process.
		u2, err := lockFile(path)
		if err != nil {
			t.Errorf("second lockFile(%s) = %v, want nil", path, err)
		} else {
			u2()
		}
		close(got)
	}()
	select {
	case <-got:
		t.Fatalf("second lockFile(%s) returned while the first lock was held", path)
	case <-time.After(200 * time.Millisecond):
	}
	unlock()
	select {
	case <-got:
	case <-time.After(10 * time.Second):
		t.Fatalf("second lockFile(%s) still blocked after unlock", path)
	}
}

func TestAppcArch(t *testing.T) {
	tests := []struct{ goos, goarch, want string }{
		{"linux", "amd64", "amd64"},
		{"linux", "386", "i386"},
		{"linux", "arm64", "aarch64"},
		{"linux", "arm", "armv7l"},
		{"linux", "ppc64le", "ppc64le"},
		{"linux", "s390x", "s390x"},
		{"darwin", "amd64", "x86_64"},
		{"freebsd", "amd64", "amd64"},
	}
	for _, tt := range tests {
		if got := AppcArch(tt.goos, tt.goarch); got != tt.want {
			t.Errorf("AppcArch(%q, %q) = %q, want %q", tt.goos, tt.goarch, got, tt.want)
		}
	}
}

func TestACEValidatorLayouts(t *testing.T) {
	mainDir, sidekickDir := ACEValidatorLayouts(t)
	actool := Reference(t, "actool")
	tests := []struct {
		dir, name string
		exec      []string
	}{
		{mainDir, "coreos.com/ace-validator-main", []string{"/ace-validator", "main"}},
		{sidekickDir, "coreos.com/ace-validator-sidekick", []string{"/ace-validator", "sidekick"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if r := Run(t, nil, actool, "validate", tt.dir); r.Code != 0 {
				t.Errorf("reference actool validate %s exit = %d, want 0 (stderr %q)", tt.dir, r.Code, r.Stderr)
			}
			b, err := os.ReadFile(filepath.Join(tt.dir, "manifest"))
			if err != nil {
				t.Fatal(err)
			}
			var m struct {
				Name   string
				Labels []struct{ Name, Value string }
				App    struct{ Exec []string }
			}
			if err := json.Unmarshal(b, &m); err != nil {
				t.Fatalf("manifest of %s: %v", tt.dir, err)
			}
			labels := map[string]string{}
			for _, l := range m.Labels {
				labels[l.Name] = l.Value
			}
			want := map[string]string{"version": "0.8.11", "os": runtime.GOOS, "arch": AppcArch(runtime.GOOS, runtime.GOARCH)}
			for k, v := range want {
				if labels[k] != v {
					t.Errorf("label %s = %q, want %q", k, labels[k], v)
				}
			}
			if m.Name != tt.name || strings.Join(m.App.Exec, " ") != strings.Join(tt.exec, " ") {
				t.Errorf("manifest name, exec = %q, %q, want %q, %q", m.Name, m.App.Exec, tt.name, tt.exec)
			}
			for _, p := range []string{"rootfs", "rootfs/ace-validator", "rootfs/opt", "rootfs/opt/acvalidator"} {
				fi, err := os.Stat(filepath.Join(tt.dir, p))
				if err != nil {
					t.Fatal(err)
				}
				if !fi.ModTime().Equal(time.Unix(0, 0)) {
					t.Errorf("mtime of %s = %v, want the epoch", p, fi.ModTime())
				}
				if p == "rootfs/ace-validator" && (!fi.Mode().IsRegular() || fi.Mode()&0o111 == 0) {
					t.Errorf("mode of %s = %v, want an executable file", p, fi.Mode())
				}
				if p == "rootfs/ace-validator" && runtime.GOOS == "linux" {
					// The image has no libc: a dynamic binary would not start.
					if interp := elfInterp(t, filepath.Join(tt.dir, p)); interp {
						t.Errorf("%s has a program interpreter, want a static binary", p)
					}
				}
				if p == "rootfs/opt/acvalidator" && !fi.IsDir() {
					t.Errorf("mode of %s = %v, want a directory", p, fi.Mode())
				}
			}
		})
	}
}

func TestReferenceValidate(t *testing.T) {
	layouts := filepath.Join(RepoRoot(t), "testdata", "layouts")
	dir := t.TempDir()
	noKind := filepath.Join(dir, "no-kind.json")
	if err := os.WriteFile(noKind, []byte(`{"acVersion":"0.8.11","name":"example.com/x"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, typ, path string
		want            string // prefix of ReferenceVerdict.String()
	}{
		{"valid layout", "", filepath.Join(layouts, "valid"), "valid"},
		{"invalid layout", "layout", filepath.Join(layouts, "missing-rootfs"), "invalid: " + filepath.Join(layouts, "missing-rootfs") + ": invalid image layout: no rootfs found"},
		{"panic without acKind", "manifest", noKind, "panic: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ReferenceValidate(t, tt.typ, tt.path).String(); !strings.HasPrefix(got, tt.want) {
				t.Errorf("ReferenceValidate(%q, %s) = %q, want prefix %q", tt.typ, tt.path, got, tt.want)
			}
		})
	}
}

func elfInterp(t *testing.T, path string) bool {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		t.Fatalf("open %s as ELF: %v", path, err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return true
		}
	}
	return false
}
