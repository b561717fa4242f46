//go:build linux

package cgroup

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/acikit/acikit/internal/testutil"
)

// hostLike is this dev machine's table: v1 controllers on a tmpfs plus a
// cgroup2 mount at unified (whose controllers come from the fake tree).
const hostLike = `25 1 254:0 / / rw,relatime - ext4 /dev/vda rw
30 25 0:26 / /sys/fs/cgroup ro,nosuid,nodev,noexec - tmpfs tmpfs ro,mode=755
31 30 0:27 / /sys/fs/cgroup/cpu rw,relatime shared:5 - cgroup cgroup rw,cpu
32 30 0:28 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
33 30 0:29 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd
34 30 0:30 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct
35 30 0:31 / UNIFIED rw,relatime - cgroup2 cgroup2 rw
`

func fakeUnified(t *testing.T, controllers string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "un ified")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if controllers != "-" {
		if err := os.WriteFile(filepath.Join(dir, "cgroup.controllers"), []byte(controllers+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestParseMountinfo(t *testing.T) {
	tests := []struct {
		name, table, controllers string
		wantMode                 Mode
		wantV1                   map[string]string
		wantUnified              []string
	}{
		{"hybrid as on the dev VM", hostLike, "hugetlb", Hybrid,
			map[string]string{"cpu": "/sys/fs/cgroup/cpu", "memory": "/sys/fs/cgroup/memory",
				"name=systemd": "/sys/fs/cgroup/systemd", "cpuacct": "/sys/fs/cgroup/cpu,cpuacct"}, []string{"hugetlb"}},
		{"v1 with an empty unified mount", hostLike, "", V1,
			map[string]string{"cpu": "/sys/fs/cgroup/cpu", "memory": "/sys/fs/cgroup/memory",
				"name=systemd": "/sys/fs/cgroup/systemd", "cpuacct": "/sys/fs/cgroup/cpu,cpuacct"}, nil},
		{"pure v2", "29 25 0:26 / UNIFIED rw,nosuid shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot\n",
			"cpuset cpu io memory hugetlb pids", V2, map[string]string{}, []string{"cpuset", "cpu", "io", "memory", "hugetlb", "pids"}},
		{"none", "25 1 254:0 / / rw - ext4 /dev/vda rw\ngarbage\n - \n", "-", None, map[string]string{}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := fakeUnified(t, tc.controllers)
			table := strings.ReplaceAll(tc.table, "UNIFIED", strings.ReplaceAll(dir, " ", `\040`))
			l, err := ParseMountinfo(strings.NewReader(table))
			if err != nil {
				t.Fatal(err)
			}
			if l.Mode != tc.wantMode {
				t.Errorf("Mode = %v, want %v", l.Mode, tc.wantMode)
			}
			if diff := cmp.Diff(tc.wantV1, l.V1); diff != "" {
				t.Errorf("V1 mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantUnified, l.UnifiedControllers, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("UnifiedControllers mismatch (-want +got):\n%s", diff)
			}
			if strings.Contains(tc.table, "UNIFIED") && l.Unified != dir {
				t.Errorf("Unified = %q, want %q (octal escapes undone)", l.Unified, dir)
			}
		})
	}
}

func FuzzParseMountinfo(f *testing.F) {
	f.Add(hostLike)
	f.Add("1 2 3:4 / /x\\04 rw - cgroup2 c rw\n")
	f.Add(" - cgroup a name=,=,/\n")
	f.Fuzz(func(t *testing.T, table string) {
		l, err := ParseMountinfo(strings.NewReader(table))
		if err != nil {
			return
		}
		if l.Mode == V2 && len(l.V1) != 0 || l.Mode == Hybrid && len(l.UnifiedControllers) == 0 {
			t.Errorf("ParseMountinfo(%q): inconsistent layout %+v", table, l)
		}
	})
}

func TestParseProcCgroup(t *testing.T) {
	in := "9:name=systemd:/\n4:memory:/process_api/x\n2:cpu,cpuacct:/a/b\n0::/user.slice\nbroken\n"
	want := map[string]string{"name=systemd": "/", "memory": "/process_api/x", "cpu": "/a/b", "cpuacct": "/a/b", "": "/user.slice"}
	got, err := ParseProcCgroup(strings.NewReader(in))
	if err != nil || !cmp.Equal(got, want) {
		t.Errorf("ParseProcCgroup(%q) = %v, %v, want %v", in, got, err, want)
	}
}

func FuzzParseProcCgroup(f *testing.F) {
	f.Add("4:memory:/process_api/x\n0::/\n")
	f.Add(":::\n")
	f.Fuzz(func(t *testing.T, in string) {
		m, err := ParseProcCgroup(strings.NewReader(in))
		if err == nil && len(m) > strings.Count(in, ",")+strings.Count(in, "\n")+1 {
			t.Errorf("ParseProcCgroup(%q) = %d entries, more than the input holds", in, len(m))
		}
	})
}

// TestSetFakeV2 checks the files written in a v2 directory (a fake tree:
// this host's cgroup2 mount has no memory or cpu controller).
func TestSetFakeV2(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"cgroup.controllers", "memory.max", "memory.swap.max", "cpu.max", "cpu.weight"} {
		if err := os.WriteFile(filepath.Join(dir, f), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cg := Load([]string{dir})
	if err := cg.Set(Resources{Memory: 1 << 20, CPUMillis: 250, CPUShares: 1024}); err != nil {
		t.Fatal(err)
	}
	for f, want := range map[string]string{"memory.max": "1048576", "memory.swap.max": "0", "cpu.max": "25000 100000", "cpu.weight": "39"} {
		if b, _ := os.ReadFile(filepath.Join(dir, f)); string(b) != want {
			t.Errorf("%s = %q, want %q", f, b, want)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "memory.events"), []byte("low 0\nhigh 0\nmax 9\noom 2\noom_kill 2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if n, err := cg.OOMKills(); n != 2 || err != nil {
		t.Errorf("OOMKills() = %d, %v, want 2", n, err)
	}
}

// TestCreateBadNames: a name that is a hierarchy root or the caller's own
// cgroup must be refused before any directory is touched (Remove would kill
// every process in it).
func TestCreateBadNames(t *testing.T) {
	dir := fakeUnified(t, "memory cpu")
	l := &Layout{Mode: V2, V1: map[string]string{"memory": dir}, Unified: dir, UnifiedControllers: []string{"memory", "cpu"}}
	for _, name := range []string{"", "/", "//", ".", "./", "/.", "a/../..", "../x", "a/../../b"} {
		t.Run(name, func(t *testing.T) {
			cg, err := l.Create(name, []string{"memory", "cpu"})
			if err == nil {
				t.Errorf("Create(%q) = %v, nil, want an error", name, cg.Dirs())
			}
		})
	}
}

func TestSharesToWeight(t *testing.T) {
	for _, tc := range []struct{ in, want int64 }{{2, 1}, {1024, 39}, {262144, 10000}, {0, 1}, {1 << 30, 10000}} {
		if got := SharesToWeight(tc.in); got != tc.want {
			t.Errorf("SharesToWeight(%d) = %d, want %d", tc.in, got, tc.want)
		}
	}
}

func sleeper(t *testing.T) *exec.Cmd {
	t.Helper()
	cmd := exec.Command("sleep", "30")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd
}

// TestLive creates real cgroups: v1 memory and cpu here (or v2 on a pure v2
// host), and a bare cgroup in this host's cgroup2 mount.
func TestLive(t *testing.T) {
	testutil.RequireRoot(t)
	l, err := Detect()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("layout: %v v1=%v unified=%s %v", l.Mode, l.V1, l.Unified, l.UnifiedControllers)
	if l.Mode == None {
		testutil.Skip(t, "no cgroups mounted")
	}
	name := fmt.Sprintf("acikit-test/%d", os.Getpid())
	t.Run("memory and cpu", func(t *testing.T) {
		cg, err := l.Create(name, []string{"memory", "cpu"})
		if err != nil {
			t.Fatal(err)
		}
		defer cg.Remove()
		app, err := cg.Sub("app")
		if err != nil {
			t.Fatal(err)
		}
		if err := app.Set(Resources{Memory: 48 << 20, CPUMillis: 1500, CPUShares: 256}); err != nil {
			t.Fatal(err)
		}
		for _, d := range app.Dirs() {
			for f, want := range map[string]string{"memory.limit_in_bytes": "50331648", "cpu.cfs_quota_us": "150000",
				"cpu.shares": "256", "memory.max": "50331648", "cpu.max": "150000 100000"} {
				if b, err := os.ReadFile(filepath.Join(d, f)); err == nil && strings.TrimSpace(string(b)) != want {
					t.Errorf("%s/%s = %q, want %q", d, f, b, want)
				}
			}
		}
		cmd := sleeper(t)
		if err := app.Add(cmd.Process.Pid); err != nil {
			t.Fatal(err)
		}
		if pids, err := cg.Procs(); err != nil || !slices.Contains(pids, cmd.Process.Pid) {
			t.Errorf("Procs() = %v, %v, want it to contain %d", pids, err, cmd.Process.Pid)
		}
		if n, err := app.OOMKills(); n != 0 || err != nil {
			t.Errorf("OOMKills() = %d, %v, want 0", n, err)
		}
		// A crashed pod: only the recorded directories are left; Remove
		// must kill the stray process and delete everything.
		dirs := cg.Dirs()
		if err := Load(dirs).Remove(); err != nil {
			t.Fatal(err)
		}
		for _, d := range append(dirs, app.Dirs()...) {
			if _, err := os.Stat(d); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("%s still exists (%v)", d, err)
			}
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Errorf("the process in the removed cgroup is still running")
		}
	})
	t.Run("cgroup2 mount", func(t *testing.T) {
		if l.Unified == "" {
			testutil.Skip(t, "no cgroup2 mount")
		}
		v2 := &Layout{Mode: V2, Unified: l.Unified, UnifiedControllers: l.UnifiedControllers, self: map[string]string{"": l.self[""]}}
		cg, err := v2.Create(name, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer cg.Remove()
		if len(cg.Dirs()) != 1 || !strings.HasPrefix(cg.Dirs()[0], l.Unified) || !isV2(cg.Dirs()[0]) {
			t.Fatalf("Dirs() = %v, want one v2 directory under %s", cg.Dirs(), l.Unified)
		}
		if err := cg.Set(Resources{Memory: 1 << 20}); err == nil && !slices.Contains(l.UnifiedControllers, "memory") {
			t.Errorf("Set(Memory) without a memory controller = nil, want an error")
		}
		cmd := sleeper(t)
		if err := cg.Add(cmd.Process.Pid); err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile("/proc/" + strconv.Itoa(cmd.Process.Pid) + "/cgroup")
		if !strings.Contains(string(b), "0::/"+name+"\n") {
			t.Errorf("/proc/PID/cgroup = %q, want the v2 path %s", b, name)
		}
		if err := cg.Remove(); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(cg.Dirs()[0]); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s still exists", cg.Dirs()[0])
		}
	})
	// The parent "acikit-test" directories stay; remove them when empty.
	for c, d := range l.V1 {
		_ = os.Remove(filepath.Join(d, l.self[c], "acikit-test"))
	}
	if l.Unified != "" {
		_ = os.Remove(filepath.Join(l.Unified, "acikit-test"))
	}
}

// TestSetDevices: deny all, then the allow-list, inherited by a child made
// afterwards; a v2-only cgroup reports that it has no devices list.
func TestSetDevices(t *testing.T) {
	v2 := t.TempDir()
	if err := os.WriteFile(filepath.Join(v2, "cgroup.controllers"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if set, err := Load([]string{v2}).SetDevices(DefaultDevices); set || err != nil {
		t.Errorf("SetDevices on v2 = %v, %v, want false, nil", set, err)
	}
	testutil.RequireRoot(t)
	l, err := Detect()
	if err != nil {
		t.Fatal(err)
	}
	if l.V1["devices"] == "" {
		testutil.Skip(t, "no v1 devices controller")
	}
	cg, err := l.Create(fmt.Sprintf("acikit-test/dev-%d", os.Getpid()), []string{"devices"})
	if err != nil {
		t.Fatal(err)
	}
	defer cg.Remove()
	if set, err := cg.SetDevices([]string{"c 1:3 rwm", "c 136:* rw"}); !set || err != nil {
		t.Fatalf("SetDevices = %v, %v, want true, nil", set, err)
	}
	sub, err := cg.Sub("app")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range sub.Dirs() {
		b, err := os.ReadFile(filepath.Join(d, "devices.list"))
		if err != nil {
			t.Fatal(err)
		}
		if got, want := string(b), "c 1:3 rwm\nc 136:* rw\n"; got != want {
			t.Errorf("%s/devices.list = %q, want %q", d, got, want)
		}
	}
}
