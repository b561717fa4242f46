package pod

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/acikit/acikit/internal/log"
	"github.com/acikit/acikit/internal/netcni"
)

func TestNewUUID(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		u := NewUUID()
		if !validUUID(u) || u[14] != '4' || !strings.ContainsRune("89ab", rune(u[19])) {
			t.Fatalf("NewUUID() = %q, want a version 4 RFC 4122 UUID", u)
		}
		if seen[u] {
			t.Fatalf("NewUUID() repeated %q", u)
		}
		seen[u] = true
	}
}

func TestValidUUID(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"0f5e1c5a-8f5e-4c3a-9d0e-0123456789ab", true},
		{"0F5E1C5A-8F5E-4C3A-9D0E-0123456789AB", false},
		{"0f5e1c5a8f5e4c3a9d0e0123456789ab", false},
		{"../../../../etc/passwd-aaaaaaaaaaaaaa", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := validUUID(tt.in); got != tt.want {
			t.Errorf("validUUID(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func newPods(t *testing.T) *Pods {
	ps, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return ps
}

func TestLifecycle(t *testing.T) {
	ps := newPods(t)
	u := NewUUID()
	p, err := ps.Create(u)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ps.Create(u); err == nil {
		t.Errorf("Create(%s) twice succeeded", u)
	}
	if err := p.WriteManifest([]byte(`{"acKind":"PodManifest"}`)); err != nil {
		t.Fatal(err)
	}
	if err := p.WriteStatus(&Status{UUID: u, Created: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if got := p.StateName(); got != "preparing" {
		t.Errorf("StateName() of a locked prepared pod = %q, want preparing", got)
	}
	if err := p.SetState(Run); err != nil {
		t.Fatal(err)
	}
	got, err := ps.Get(u[:8])
	if err != nil {
		t.Fatalf("Get(prefix) = %v", err)
	}
	if got.State != Run || got.StateName() != "running" {
		t.Errorf("Get(prefix) = state %s (%s), want run (running)", got.State, got.StateName())
	}
	if !got.Locked() {
		t.Errorf("Locked() = false while this process holds the lock")
	}
	if err := ps.Remove(context.Background(), u, nil); err == nil {
		t.Errorf("Remove of a running pod succeeded")
	}
	// A GC while the owner lives leaves the pod alone.
	if removed, err := ps.GC(context.Background(), GCOptions{}); err != nil || len(removed) != 0 {
		t.Errorf("GC with a live owner = %v, %v; want nothing removed", removed, err)
	}
	if _, err := os.Stat(p.Dir); err != nil {
		t.Fatalf("GC touched a running pod: %v", err)
	}
	if err := p.SetState(Exited); err != nil {
		t.Fatal(err)
	}
	p.Unlock()
	b, err := got.Manifest()
	if err == nil {
		t.Errorf("Manifest() through the old path = %s, want an error after the rename", b)
	}
	got, _ = ps.Get(u)
	if got.StateName() != "exited" {
		t.Errorf("StateName() = %s, want exited", got.StateName())
	}
	if b, err := got.Manifest(); err != nil || !strings.Contains(string(b), "PodManifest") {
		t.Errorf("Manifest() = %s, %v", b, err)
	}
}

// An acrun that dies leaves its pod in run/ with the lock free; GC marks it
// exited at once and removes it after the grace period.
func TestGCAbandoned(t *testing.T) {
	ps := newPods(t)
	u := NewUUID()
	p, err := ps.Create(u)
	if err != nil {
		t.Fatal(err)
	}
	mnt := p.Path("apps", "x", "rootfs")
	os.MkdirAll(mnt, 0o755)
	p.WriteStatus(&Status{UUID: u, Created: time.Now(), Apps: []AppStatus{{Name: "x"}}})
	p.SetState(Run)
	p.Unlock() // the kernel does this when acrun is killed

	lg := log.ForTest(t.Logf)
	removed, err := ps.GC(context.Background(), GCOptions{Grace: time.Hour, Log: lg})
	if err != nil || len(removed) != 0 {
		t.Fatalf("GC(grace 1h) = %v, %v; want nothing removed yet", removed, err)
	}
	got, err := ps.Get(u)
	if err != nil || got.State != Exited {
		t.Fatalf("after GC the pod is %v (%v), want exited", got, err)
	}
	st, _ := got.Status()
	if st.Exited.IsZero() || st.Apps[0].Error == "" {
		t.Errorf("GC status = %+v, want an exit time and an app error", st)
	}
	now := func() time.Time { return time.Now().Add(2 * time.Hour) }
	removed, err = ps.GC(context.Background(), GCOptions{Grace: time.Hour, Log: lg, Now: now})
	if err != nil || len(removed) != 1 || removed[0] != u {
		t.Fatalf("GC after the grace = %v, %v; want [%s]", removed, err, u)
	}
	for _, s := range states {
		if _, err := os.Stat(filepath.Join(ps.Dir(), s, u)); !os.IsNotExist(err) {
			t.Errorf("pod directory left in %s: %v", s, err)
		}
	}
}

func TestRemove(t *testing.T) {
	ps := newPods(t)
	u := NewUUID()
	p, _ := ps.Create(u)
	p.SetState(Exited)
	p.Unlock()
	if err := ps.Remove(context.Background(), u, nil); err != nil {
		t.Fatalf("Remove = %v", err)
	}
	if _, err := ps.Get(u); err == nil {
		t.Errorf("Get after Remove found the pod")
	}
}

func TestUnescape(t *testing.T) {
	tests := []struct{ in, want string }{
		{`/a\040b`, "/a b"},
		{`/plain`, "/plain"},
		{`/end\04`, `/end\04`},
		{`\134`, `\`},
	}
	for _, tt := range tests {
		if got := unescape(tt.in); got != tt.want {
			t.Errorf("unescape(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzUnescape(f *testing.F) {
	f.Add(`/a\040b`)
	f.Add(`\`)
	f.Fuzz(func(t *testing.T, s string) {
		if got := unescape(s); len(got) > len(s) {
			t.Errorf("unescape(%q) = %q, longer than its input", s, got)
		}
	})
}

// Network records of a pod whose directory is gone are torn down by GC.
func TestGCSweepsNetworkRecords(t *testing.T) {
	ps := newPods(t)
	state := t.TempDir()
	gone, live := NewUUID(), NewUUID()
	p, _ := ps.Create(live)
	defer p.Unlock()
	for _, u := range []string{gone, live} {
		os.MkdirAll(filepath.Join(state, "pods", u), 0o700)
	}
	if _, err := ps.GC(context.Background(), GCOptions{Net: &netcni.Options{StateDir: state}}); err != nil {
		t.Fatalf("GC = %v", err)
	}
	if _, err := os.Stat(filepath.Join(state, "pods", gone)); !os.IsNotExist(err) {
		t.Errorf("records of the vanished pod are still there: %v", err)
	}
	if _, err := os.Stat(filepath.Join(state, "pods", live)); err != nil {
		t.Errorf("records of a live pod were removed: %v", err)
	}
}
