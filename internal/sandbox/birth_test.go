//go:build linux

package sandbox

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/acikit/acikit/internal/cgroup"
)

func TestPlanBirth(t *testing.T) {
	fake := t.TempDir()
	v2 := filepath.Join(fake, "unified", "acikit", "pod-1", "app-a")
	if err := os.MkdirAll(v2, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(v2, "cgroup.controllers"), []byte("memory cpu\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	l := &cgroup.Layout{Mode: cgroup.V1, V1: map[string]string{
		"memory": "/sys/fs/cgroup/memory", "cpu": "/sys/fs/cgroup/cpu,cpuacct", "cpuacct": "/sys/fs/cgroup/cpu,cpuacct",
		"name=systemd": "/sys/fs/cgroup/systemd",
	}}
	tests := []struct {
		name       string
		dirs, home []string
		want       birthPlan
		wantErr    bool
	}{
		{
			name: "v1, home in the other order",
			dirs: []string{"/sys/fs/cgroup/memory/user/acikit/pod-1/app-a", "/sys/fs/cgroup/cpu,cpuacct/acikit/pod-1/app-a"},
			home: []string{"/sys/fs/cgroup/cpu,cpuacct", "/sys/fs/cgroup/systemd/x", "/sys/fs/cgroup/memory/user"},
			want: birthPlan{
				Enter: []string{"/sys/fs/cgroup/memory/user/acikit/pod-1/app-a/tasks", "/sys/fs/cgroup/cpu,cpuacct/acikit/pod-1/app-a/tasks"},
				Home:  []string{"/sys/fs/cgroup/memory/user/tasks", "/sys/fs/cgroup/cpu,cpuacct/tasks"},
			},
		},
		{
			name: "v2 by clone3",
			dirs: []string{v2},
			want: birthPlan{V2: v2},
		},
		{
			name:    "no home in the hierarchy",
			dirs:    []string{"/sys/fs/cgroup/memory/acikit/pod-1"},
			home:    []string{"/sys/fs/cgroup/cpu,cpuacct"},
			wantErr: true,
		},
		{
			name:    "not under any mount",
			dirs:    []string{"/sys/fs/cgroup/blkio/acikit/pod-1"},
			home:    []string{"/sys/fs/cgroup/blkio", "/sys/fs/cgroup/memory"},
			wantErr: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := planBirth(l, tt.dirs, tt.home)
			if (err != nil) != tt.wantErr {
				t.Fatalf("planBirth(%v, %v) error = %v, want error %v", tt.dirs, tt.home, err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); !tt.wantErr && diff != "" {
				t.Errorf("planBirth(%v, %v) mismatch (-want +got):\n%s", tt.dirs, tt.home, diff)
			}
		})
	}
}
