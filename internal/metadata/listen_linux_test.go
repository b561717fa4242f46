//go:build linux

package metadata

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/acikit/acikit/internal/sandbox"

	"github.com/acikit/acikit/internal/netcni"
	"github.com/acikit/acikit/internal/testutil"
	"golang.org/x/sys/unix"
)

// The service is reachable from inside the pod's netns and not from the host.
func TestListenInNetNS(t *testing.T) {
	testutil.RequireRoot(t)
	dir := filepath.Join(t.TempDir(), "netns")
	t.Cleanup(func() { unix.Unmount(dir, unix.MNT_DETACH) })
	ns := filepath.Join(dir, "pod")
	if err := netcni.CreateNetNS(ns); err != nil {
		t.Fatal(err)
	}
	defer netcni.RemoveNetNS(ns)
	ln, err := ListenInNetNS(ns)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := NewServer(Pod{UUID: "u-1", Manifest: []byte(`{}`)})
	go http.Serve(ln, s)
	defer ln.Close()
	url := s.URL(ln.Addr().String()) + PathBase + "/pod/uuid"

	// http.Client dials from another goroutine (another thread, outside the
	// netns), so the request is written by hand on this thread's socket.
	get := func() error {
		c, err := net.DialTimeout("tcp4", ln.Addr().String(), 2*time.Second)
		if err != nil {
			return err
		}
		defer c.Close()
		req, _ := http.NewRequest("GET", url, nil)
		req.Header.Set("Metadata-Flavor", "AppContainer")
		if err := req.Write(c); err != nil {
			return err
		}
		resp, err := http.ReadResponse(bufio.NewReader(c), req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || string(body) != "u-1" {
			return fmt.Errorf("status %d body %q, want 200 %q", resp.StatusCode, body, "u-1")
		}
		return nil
	}
	if err := sandbox.InNetNS(ns, get); err != nil {
		t.Errorf("GET from inside the pod netns: %v", err)
	}
	if c, err := net.DialTimeout("tcp4", ln.Addr().String(), time.Second); err == nil {
		c.Close()
		t.Errorf("metadata service at %v reachable from the host netns", ln.Addr())
	}
}
