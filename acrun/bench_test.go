package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/acikit/acikit/internal/testutil"
)

// BenchmarkRunTrue is start-to-exit of a cached busybox-static image
// running /bin/true, with --net=none and --net=default. The comparison with
// crun on the same rootfs, which needs the cgroup2 mount hidden in a
// private mount namespace on this machine, is acrun/contrib/bench-crun.sh
// (part of make bench).
func BenchmarkRunTrue(b *testing.B) {
	e := newEnv(b)
	img := e.busybox("example.com/bench-true", `{"exec":["/bin/true"],"user":"0","group":"0"}`)
	r := e.run("--insecure-options=image", "--net=none", img)
	if r.Code != 0 {
		b.Fatalf("first run: %d %s", r.Code, r.Stderr)
	}
	id := imageID(b, e, img)
	for _, net := range []string{"none", "default"} {
		b.Run("net="+net, func(b *testing.B) {
			for b.Loop() {
				cmd := e.cmd("--quiet", "--insecure-options=image", "--net="+net, id)
				if out, err := cmd.CombinedOutput(); err != nil {
					b.Fatalf("acrun: %v\n%s", err, out)
				}
			}
		})
	}
	b.Run("chroot-floor", func(b *testing.B) {
		// unshare + chroot of the same tree: the namespace floor.
		unshare := testutil.RequireCommand(b, "unshare", "util-linux")
		tree := filepath.Join(e.store, "trees", id, "rootfs")
		for b.Loop() {
			if out, err := exec.Command(unshare, "-m", "-p", "-n", "-u", "-i", "-f", "chroot", tree, "/bin/true").CombinedOutput(); err != nil {
				b.Fatalf("unshare: %v\n%s", err, out)
			}
		}
	})
}

func imageID(b *testing.B, e *env, img string) string {
	out, err := exec.Command(toolBin(b, "actool"), "image-id", img).Output()
	if err != nil {
		b.Fatalf("actool image-id: %v", err)
	}
	id := strings.TrimSpace(strings.Fields(string(out))[0])
	if _, err := os.Stat(filepath.Join(e.store, "trees", id)); err != nil {
		b.Fatalf("no cached tree for %s: %v", id, err)
	}
	return id
}
