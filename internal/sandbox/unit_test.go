//go:build linux

package sandbox

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/acikit/acikit/internal/errkind"
	"github.com/acikit/acikit/internal/schema/types"
)

func TestParseCap(t *testing.T) {
	tests := []struct {
		in      string
		want    int
		wantErr bool
	}{
		{"CAP_CHOWN", 0, false},
		{"net_raw", 13, false},
		{"SYS_ADMIN", 21, false},
		{" CAP_CHECKPOINT_RESTORE ", 40, false},
		{"CAP_NOPE", 0, true},
		{"", 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseCap(tc.in)
			if (err != nil) != tc.wantErr || got != tc.want {
				t.Errorf("ParseCap(%q) = %d, %v, want %d, error %v", tc.in, got, err, tc.want, tc.wantErr)
			}
			if err != nil && !errors.Is(err, errkind.Invalid) {
				t.Errorf("ParseCap(%q) error %v is not marked Invalid", tc.in, err)
			}
		})
	}
}

func TestComputeCaps(t *testing.T) {
	tests := []struct {
		name           string
		retain, remove []string
		want           []string
		wantErr        bool
	}{
		{"default", nil, nil, DefaultCaps.Names(), false},
		{"default has the spec's 14", nil, nil, []string{"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID",
			"CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_NET_RAW",
			"CAP_SYS_CHROOT", "CAP_MKNOD", "CAP_AUDIT_WRITE", "CAP_SETFCAP"}, false},
		{"retain", []string{"NET_ADMIN", "CAP_CHOWN"}, nil, []string{"CAP_CHOWN", "CAP_NET_ADMIN"}, false},
		{"remove", nil, []string{"CAP_NET_RAW", "SETPCAP", "SYS_ADMIN"}, []string{"CAP_CHOWN", "CAP_DAC_OVERRIDE",
			"CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_NET_BIND_SERVICE",
			"CAP_SYS_CHROOT", "CAP_MKNOD", "CAP_AUDIT_WRITE", "CAP_SETFCAP"}, false},
		{"both", []string{"CHOWN"}, []string{"KILL"}, nil, true},
		{"unknown", nil, []string{"CAP_BOGUS"}, nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ComputeCaps(tc.retain, tc.remove)
			if (err != nil) != tc.wantErr {
				t.Fatalf("ComputeCaps(%v, %v) error = %v, want error %v", tc.retain, tc.remove, err, tc.wantErr)
			}
			if err != nil {
				return
			}
			if diff := cmp.Diff(tc.want, got.Names()); diff != "" {
				t.Errorf("ComputeCaps(%v, %v) mismatch (-want +got):\n%s", tc.retain, tc.remove, diff)
			}
		})
	}
	if all := AllCaps(); !all.Has(0) || !all.Has(21) || all.Has(63) {
		t.Errorf("AllCaps() = %s, want CAP_CHOWN..CAP_SYS_ADMIN.. and not bit 63", all)
	}
}

const passwd = `# comment
root:x:0:0:root:/root:/bin/sh
+nis
bad line
web:x:33:33::/var/www:/bin/false
big:x:4294967295:1::/:/bin/sh
over:x:4294967296:1::/:/bin/sh
web:x:99:99::/:/bin/false
`

func TestLookupPasswd(t *testing.T) {
	tests := []struct {
		name  string
		want  int
		found bool
	}{
		{"root", 0, true},
		{"web", 33, true}, // the first entry wins
		{"big", 4294967295, true},
		{"over", 0, false},
		{"+nis", 0, false},
		{"nobody", 0, false},
		{"", 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, found, err := LookupPasswd(strings.NewReader(passwd), tc.name)
			if err != nil || got != tc.want || found != tc.found {
				t.Errorf("LookupPasswd(%q) = %d, %v, %v, want %d, %v, nil", tc.name, got, found, err, tc.want, tc.found)
			}
		})
	}
}

// TestLookupPasswdLongLine: an overlong line does not hide the entries after
// it, and nothing past the file cap is read.
func TestLookupPasswdLongLine(t *testing.T) {
	long := "#" + strings.Repeat("x", 200<<10) + "\n"
	tests := []struct {
		name, file string
		want       int
		found      bool
	}{
		{"after a long comment", long + "web:x:33:33::/:/bin/sh\n", 33, true},
		{"crlf", "web:x:33:33::/:/bin/sh\r\n", 33, true},
		{"no final newline", "web:x:33:33", 33, true},
		{"past the cap", strings.Repeat(long, maxAccountFile/len(long)+1) + "web:x:33:33::/:/bin/sh\n", 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, found, err := LookupPasswd(strings.NewReader(tc.file), "web")
			if err != nil || got != tc.want || found != tc.found {
				t.Errorf("LookupPasswd(%s, web) = %d, %v, %v, want %d, %v, nil", tc.name, got, found, err, tc.want, tc.found)
			}
		})
	}
}

func FuzzLookupPasswd(f *testing.F) {
	f.Add(passwd, "web")
	f.Add("a:b:c\n::::\n", "a")
	f.Add("x:x:1:1\n", "x")
	f.Fuzz(func(t *testing.T, file, name string) {
		n, found, err := LookupPasswd(strings.NewReader(file), name)
		if err != nil {
			return
		}
		if !found && n != 0 {
			t.Errorf("LookupPasswd(%q, %q) = %d not found, want 0", file, name, n)
		}
		if found && (name == "" || !strings.Contains(file, name+":")) {
			t.Errorf("LookupPasswd(%q, %q) found a name that is not in the file", file, name)
		}
		g, gfound, _ := LookupGroup(strings.NewReader(file), name)
		if g != n || gfound != found {
			t.Errorf("LookupGroup differs from LookupPasswd on %q: %d,%v vs %d,%v", file, g, gfound, n, found)
		}
	})
}

func TestResolveIdentity(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(root, "etc/passwd"), passwd)
	write(t, filepath.Join(root, "etc/group"), "root:x:0:\nwww:x:82:\n")
	write(t, filepath.Join(root, "file"), "")
	canChown := os.Chown(filepath.Join(root, "file"), 7, 8) == nil
	escape := t.TempDir()
	if err := os.MkdirAll(filepath.Join(escape, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	// An image whose /etc/passwd points at the host's must not be read.
	if err := os.Symlink("/etc/passwd", filepath.Join(escape, "etc/passwd")); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, root, user, group string
		want                    Identity
		wantErr                 string
	}{
		{"numbers", root, "1000", "2000", Identity{UID: 1000, GID: 2000}, ""},
		{"names", root, "web", "www", Identity{UID: 33, GID: 82}, ""},
		{"empty is root", root, "", "", Identity{}, ""},
		{"unknown user", root, "nobody", "0", Identity{}, `"nobody" not found`},
		{"unknown group", root, "0", "wheel", Identity{}, `"wheel" not found`},
		{"missing path", root, "/nope", "0", Identity{}, "owner of /nope"},
		{"symlink out of the root", escape, "root", "0", Identity{}, "look up"},
	}
	if canChown {
		tests = append(tests, struct {
			name, root, user, group string
			want                    Identity
			wantErr                 string
		}{"path owner", root, "/file", "/file", Identity{UID: 7, GID: 8}, ""})
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ResolveIdentity(tc.root, tc.user, tc.group, nil)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("ResolveIdentity(%q, %q) = %v, %v, want error containing %q", tc.user, tc.group, got, err, tc.wantErr)
				}
				return
			}
			if err != nil || !cmp.Equal(got, tc.want) {
				t.Errorf("ResolveIdentity(%q, %q) = %+v, %v, want %+v", tc.user, tc.group, got, err, tc.want)
			}
		})
	}
}

func TestValidateMounts(t *testing.T) {
	tests := []struct {
		name    string
		mounts  []Mount
		wantErr bool
	}{
		{"disjoint", []Mount{{Source: "/a", Target: "/x"}, {Source: "/b", Target: "/xy"}}, false},
		{"nested", []Mount{{Source: "/a", Target: "/x"}, {Source: "/b", Target: "/x/y"}}, true},
		{"nested reversed", []Mount{{Source: "/a", Target: "/x/y/"}, {Source: "/b", Target: "/x"}}, true},
		{"same target", []Mount{{Source: "/a", Target: "/x"}, {Source: "/b", Target: "/x/"}}, true},
		{"relative", []Mount{{Source: "a", Target: "/x"}}, true},
		{"root", []Mount{{Source: "/a", Target: "/"}}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := validateMounts(tc.mounts); (err != nil) != tc.wantErr {
				t.Errorf("validateMounts(%v) = %v, want error %v", tc.mounts, err, tc.wantErr)
			}
		})
	}
}

// Every name a capabilities isolator may hold maps to its number and back,
// and the mapping is the shared list itself, so the two cannot drift.
func TestCapNamesShared(t *testing.T) {
	for i, name := range types.CapabilityNames {
		n, err := ParseCap(name)
		if err != nil || n != i {
			t.Errorf("ParseCap(%q) = %d, %v, want %d", name, n, err, i)
		}
		if got := capName(i); got != name {
			t.Errorf("capName(%d) = %q, want %q", i, got, name)
		}
	}
	saved := types.CapabilityNames
	t.Cleanup(func() { types.CapabilityNames = saved })
	types.CapabilityNames = append(append([]string(nil), saved...), "CAP_FUTURE")
	if n, err := ParseCap("CAP_FUTURE"); err != nil || n != len(saved) {
		t.Errorf("ParseCap(%q) after extending types.CapabilityNames = %d, %v, want %d", "CAP_FUTURE", n, err, len(saved))
	}
}
