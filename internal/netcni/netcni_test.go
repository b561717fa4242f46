//go:build linux

package netcni

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/acikit/acikit/internal/sandbox"

	"github.com/acikit/acikit/internal/log"
	"github.com/acikit/acikit/internal/testutil"
	"golang.org/x/sys/unix"
)

func requireNet(t *testing.T) Options {
	t.Helper()
	testutil.RequireLinux(t)
	testutil.RequireRoot(t)
	testutil.RequireCommand(t, "iptables", "iptables")
	state := t.TempDir()
	return Options{PluginDirs: []string{testutil.CNIPlugins(t)}, StateDir: state, Log: log.ForTest(t.Logf)}
}

func interfaces(t *testing.T, path string) []string {
	var names []string
	if err := sandbox.InNetNS(path, func() error {
		ifs, err := net.Interfaces()
		for _, i := range ifs {
			up := ""
			if i.Flags&net.FlagUp != 0 {
				up = "+up"
			}
			names = append(names, i.Name+up)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return names
}

// nsDir returns a fresh directory for namespace files, unmounted at the end
// (CreateNetNS makes it a shared bind mount).
func nsDir(t *testing.T) string {
	dir := filepath.Join(t.TempDir(), "netns")
	t.Cleanup(func() { unix.Unmount(dir, unix.MNT_DETACH) })
	return dir
}

func TestNetNSLoopbackOnly(t *testing.T) {
	testutil.RequireLinux(t)
	testutil.RequireRoot(t)
	path := filepath.Join(nsDir(t), "pod")
	if err := CreateNetNS(path); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(interfaces(t, path), ","); got != "lo+up" {
		t.Errorf("interfaces in a new netns = %q, want %q", got, "lo+up")
	}
	if err := RemoveNetNS(path); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("netns file still there after RemoveNetNS: %v", err)
	}
	if err := RemoveNetNS(path); err != nil {
		t.Errorf("second RemoveNetNS = %v, want nil", err)
	}
}

func TestDefaultNetworkTwoPods(t *testing.T) {
	o := requireNet(t)
	ctx := context.Background()
	nsd := nsDir(t)
	type pod struct {
		id, ns string
		att    Attachment
	}
	pods := []*pod{{id: fmt.Sprintf("test-a-%d", os.Getpid())}, {id: fmt.Sprintf("test-b-%d", os.Getpid())}}
	for _, p := range pods {
		p.ns = filepath.Join(nsd, p.id)
		if err := CreateNetNS(p.ns); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		atts, err := Setup(ctx, p.id, p.ns, []string{DefaultNetwork}, nil, o)
		if err != nil {
			RemoveNetNS(p.ns)
			t.Fatal(err)
		}
		t.Logf("pod %s: default network set up in %v: %+v", p.id, time.Since(start), atts)
		p.att = atts[0]
		t.Cleanup(func() {
			Teardown(context.Background(), p.id, o)
			RemoveNetNS(p.ns)
		})
	}
	_, subnet, _ := net.ParseCIDR(DefaultSubnet)
	a, b := pods[0].att.IPs[0].IP, pods[1].att.IPs[0].IP
	for _, ip := range []net.IP{a, b} {
		if !subnet.Contains(ip) {
			t.Errorf("pod address %v not in %s", ip, DefaultSubnet)
		}
	}
	if a.Equal(b) {
		t.Fatalf("two pods got the same address %v", a)
	}
	if got := strings.Join(interfaces(t, pods[0].ns), ","); !strings.Contains(got, "eth0+up") {
		t.Errorf("interfaces of pod a = %q, want eth0 up", got)
	}

	// Pod a listens on its address; pod b connects to it.
	var ln net.Listener
	if err := sandbox.InNetNS(pods[0].ns, func() (err error) {
		ln, err = net.Listen("tcp4", net.JoinHostPort(a.String(), "0"))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err == nil {
			c.Write([]byte("hello from a"))
			c.Close()
		}
	}()
	var got string
	if err := sandbox.InNetNS(pods[1].ns, func() error {
		c, err := net.DialTimeout("tcp4", ln.Addr().String(), 5*time.Second)
		if err != nil {
			return err
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(5 * time.Second))
		buf := make([]byte, 64)
		n, err := c.Read(buf)
		got = string(buf[:n])
		return err
	}); err != nil {
		t.Fatalf("pod b cannot reach pod a at %v: %v", ln.Addr(), err)
	}
	if got != "hello from a" {
		t.Errorf("pod b read %q, want %q", got, "hello from a")
	}

	// Teardown releases the leases and removes the records.
	for _, p := range pods {
		if err := Teardown(ctx, p.id, o); err != nil {
			t.Errorf("Teardown(%s) = %v", p.id, err)
		}
	}
	leases, _ := filepath.Glob(filepath.Join(o.StateDir, "ipam", DefaultNetwork, "172.*"))
	if len(leases) != 0 {
		t.Errorf("leases left after teardown: %v", leases)
	}
	if ids, _ := Attached(o); len(ids) != 0 {
		t.Errorf("pods with network records after teardown: %v", ids)
	}
	if got := strings.Join(interfaces(t, pods[0].ns), ","); got != "lo+up" {
		t.Errorf("interfaces of pod a after teardown = %q, want only lo", got)
	}
}

func TestUnknownNetwork(t *testing.T) {
	o := requireNet(t)
	o.ConfDir = t.TempDir()
	ns := filepath.Join(nsDir(t), "x")
	if err := CreateNetNS(ns); err != nil {
		t.Fatal(err)
	}
	defer RemoveNetNS(ns)
	_, err := Setup(context.Background(), "unknown-net", ns, []string{"nope"}, nil, o)
	if err == nil || !strings.Contains(err.Error(), `network "nope"`) {
		t.Fatalf("Setup(nope) = %v, want an unknown network error", err)
	}
	if ids, _ := Attached(o); len(ids) != 0 {
		t.Errorf("records left after a failed setup: %v", ids)
	}
}
