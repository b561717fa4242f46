package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/acikit/acikit/internal/testutil"
)

// storeClean checks what every fault must leave: verify passes and the
// store lists exactly want images.
func storeClean(t *testing.T, fx *fixture, want int) {
	t.Helper()
	if r := fx.run(t, "verify"); r.Code != 0 {
		t.Errorf("verify: exit %d\n%s", r.Code, r.Stderr)
	}
	r := fx.run(t, "list", "--json")
	if r.Code != 0 {
		t.Fatalf("list: exit %d\n%s", r.Code, r.Stderr)
	}
	if n := strings.Count(r.Stdout, `"sha512-`); n != want {
		t.Errorf("list holds %d images, want %d:\n%s", n, want, r.Stdout)
	}
}

func tmpFiles(t *testing.T, storeDir string) []string {
	t.Helper()
	ents, _ := filepath.Glob(filepath.Join(storeDir, "tmp", "*"))
	return ents
}

// SIGKILL at several points of a large, slow fetch (while the image
// arrives, when all of it is in, once the blob is in place): the store
// verifies, lists no partial image, and a new fetch works and cleans up.
func TestKilledFetchAtPoints(t *testing.T) {
	if testing.Short() {
		t.Skip("64 MiB fetches")
	}
	fx := newFixture(t, 64<<20)
	bin := testutil.Binary(t, "acfetch")
	total := int64(len(fx.image))
	for _, point := range []struct {
		name string
		at   func() bool
	}{
		{"10%", func() bool { return tmpSize(fx.storeDir) >= total/10 }},
		{"50%", func() bool { return tmpSize(fx.storeDir) >= total/2 }},
		{"95%", func() bool { return tmpSize(fx.storeDir) >= total*95/100 }},
		{"after rename", func() bool {
			blobs, _ := filepath.Glob(filepath.Join(fx.storeDir, "blobs", "*", "*", "*"))
			return len(blobs) > 0
		}},
	} {
		t.Run(point.name, func(t *testing.T) {
			os.RemoveAll(fx.storeDir)
			fx.delay.Store(int64(2 * time.Millisecond))
			cmd := exec.Command(bin, "fetch", "--store-dir", fx.storeDir, "--trust-dir", fx.trustDir,
				"--system-trust-dir", "", "--insecure-options=http", fx.url)
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			exited := make(chan error, 1)
			go func() { exited <- cmd.Wait() }()
			deadline := time.After(60 * time.Second)
		wait:
			for {
				select {
				case err := <-exited:
					// Too fast for the point: still a valid outcome to check.
					t.Logf("fetch ended before the kill: %v", err)
					break wait
				case <-deadline:
					cmd.Process.Kill()
					<-exited
					t.Fatal("the fetch never reached the point")
				default:
				}
				if point.at() {
					cmd.Process.Signal(syscall.SIGKILL)
					<-exited
					break
				}
				time.Sleep(2 * time.Millisecond)
			}
			fx.delay.Store(0)
			if r := fx.run(t, "verify"); r.Code != 0 {
				t.Errorf("verify after SIGKILL: exit %d\n%s", r.Code, r.Stderr)
			}
			r := fx.run(t, "list", "--json")
			if strings.Count(r.Stdout, `"sha512-`) > 1 {
				t.Errorf("list after SIGKILL: %s, want at most the whole image", r.Stdout)
			}
			r = fx.run(t, "fetch", "--insecure-options=http", fx.url)
			if r.Code != 0 || !strings.HasPrefix(r.Stdout, "sha512-") {
				t.Fatalf("fetch after SIGKILL: exit %d\n%s", r.Code, r.Stderr)
			}
			storeClean(t, fx, 1)
			if left := tmpFiles(t, fx.storeDir); len(left) != 0 {
				t.Errorf("tmp/ after a new fetch holds %v, want nothing", left)
			}
		})
	}
}

// tmpSize is the size of the largest file in the store's tmp/.
func tmpSize(storeDir string) int64 {
	var max int64
	ents, _ := filepath.Glob(filepath.Join(storeDir, "tmp", "*"))
	for _, e := range ents {
		if fi, err := os.Stat(e); err == nil && fi.Size() > max {
			max = fi.Size()
		}
	}
	return max
}

// A store on a full file system: the fetch fails with one line, indexes
// nothing and leaves no temporary file.
func TestFetchNoSpace(t *testing.T) {
	testutil.RequireRoot(t)
	fx := newFixture(t, 16<<20)
	if err := os.MkdirAll(fx.storeDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount("tmpfs", fx.storeDir, "tmpfs", 0, "size=8m"); err != nil {
		t.Fatalf("mount tmpfs: %v", err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(fx.storeDir, syscall.MNT_DETACH); err != nil {
			t.Errorf("unmount %s: %v", fx.storeDir, err)
		}
	})
	r := fx.run(t, "fetch", "--insecure-options=http", fx.url)
	msg := strings.TrimSpace(r.Stderr)
	t.Logf("stderr: %s", msg)
	if r.Code == 0 || strings.Count(msg, "\n") > 1 || !strings.Contains(msg, "no space left on device") || strings.Count(msg, "write ") != 1 {
		t.Errorf("fetch into a full store: exit %d, stderr %q; want one line saying so", r.Code, msg)
	}
	storeClean(t, fx, 0)
	if left := tmpFiles(t, fx.storeDir); len(left) != 0 {
		t.Errorf("tmp/ after a failed fetch holds %v, want nothing", left)
	}
}

// Four fetches at once into one store, two of one image and two of
// another: all succeed, and the store holds both, intact.
func TestConcurrentFetches(t *testing.T) {
	images := map[string][]byte{
		"/a.aci": makeImage(t, "example.com/a", 4<<20),
		"/b.aci": makeImage(t, "example.com/b", 4<<20),
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		data, ok := images[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		testutil.ServeSlowly(w, data, 64<<10, time.Millisecond)
	}))
	t.Cleanup(srv.Close)
	fx := &fixture{dir: t.TempDir()}
	fx.storeDir = filepath.Join(fx.dir, "store")
	bin := testutil.Binary(t, "acfetch")
	var wg sync.WaitGroup
	results := make([]testutil.Result, 4)
	for i, p := range []string{"/a.aci", "/b.aci", "/a.aci", "/b.aci"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = testutil.Run(t, nil, bin, "fetch", "--store-dir", fx.storeDir, "--insecure-options=http,image", srv.URL+p)
		}()
	}
	wg.Wait()
	ids := map[string]bool{}
	for i, r := range results {
		if r.Code != 0 {
			t.Errorf("fetch %d: exit %d\n%s", i, r.Code, r.Stderr)
			continue
		}
		ids[strings.TrimSpace(r.Stdout)] = true
	}
	if len(ids) != 2 {
		t.Errorf("fetches printed IDs %v, want two distinct", ids)
	}
	storeClean(t, fx, 2)
	if left := tmpFiles(t, fx.storeDir); len(left) != 0 {
		t.Errorf("tmp/ after the fetches holds %v, want nothing", left)
	}
}
