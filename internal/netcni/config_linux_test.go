//go:build linux

package netcni

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/acikit/acikit/internal/errkind"
	"github.com/google/go-cmp/cmp"
)

func pluginTypes(t *testing.T, o Options, name string, withPorts bool) ([]string, error) {
	t.Helper()
	list, err := o.loadNetwork(name, withPorts)
	if err != nil {
		return nil, err
	}
	var types []string
	for _, p := range list.Plugins {
		types = append(types, p.Network.Type)
	}
	return types, nil
}

// TestLoadNetworkPorts: port mappings need a plugin that declares the
// portMappings capability, else libcni drops them silently; portmap is
// chained onto user networks that lack one.
func TestLoadNetworkPorts(t *testing.T) {
	conf := t.TempDir()
	files := map[string]string{
		"10-plain.conf": `{"cniVersion":"1.0.0","name":"plain","type":"bridge","ipam":{"type":"host-local","subnet":"10.99.0.0/24"}}`,
		"20-mapped.conflist": `{"cniVersion":"1.0.0","name":"mapped","plugins":[{"type":"ptp","ipam":{"type":"host-local","subnet":"10.98.0.0/24"}},` +
			`{"type":"portmap","capabilities":{"portMappings":true}}]}`,
	}
	for n, c := range files {
		if err := os.WriteFile(filepath.Join(conf, n), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	o := Options{ConfDir: conf, StateDir: t.TempDir()}
	tests := []struct {
		name      string
		withPorts bool
		want      []string
	}{
		{"plain", false, []string{"bridge"}},
		{"plain", true, []string{"bridge", "portmap"}},
		{"mapped", true, []string{"ptp", "portmap"}},
		{DefaultNetwork, false, []string{"ptp"}},
		{DefaultNetwork, true, []string{"ptp", "portmap"}},
	}
	for _, tt := range tests {
		got, err := pluginTypes(t, o, tt.name, tt.withPorts)
		if err != nil {
			t.Errorf("loadNetwork(%q, %v) error = %v", tt.name, tt.withPorts, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("loadNetwork(%q, %v) plugins (-want +got):\n%s", tt.name, tt.withPorts, diff)
		}
	}
	if _, err := o.loadNetwork("nope", true); !errors.Is(err, ErrUnknownNetwork) || !errors.Is(err, errkind.NotFound) {
		t.Errorf("loadNetwork(nope) = %v, want ErrUnknownNetwork marked not found", err)
	}

	// A broken config is reported, not skipped in favour of the built-in default.
	if err := os.WriteFile(filepath.Join(conf, "00-broken.conf"), []byte(`{"name":`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := o.loadNetwork(DefaultNetwork, false); !errors.Is(err, errkind.Invalid) || !strings.Contains(err.Error(), "00-broken.conf") {
		t.Errorf("loadNetwork(default) with a broken config = %v, want an invalid-config error naming it", err)
	}
}

// TestBadPodID: the pod ID names a directory under StateDir; nothing may
// escape it.
func TestBadPodID(t *testing.T) {
	o := Options{StateDir: t.TempDir()}
	for _, id := range []string{"", "..", "../x", "a/b", "/abs"} {
		if _, err := Setup(context.Background(), id, "/nonexistent", nil, nil, o); !errors.Is(err, errkind.Invalid) {
			t.Errorf("Setup(%q) = %v, want an invalid pod id error", id, err)
		}
		if err := Teardown(context.Background(), id, o); !errors.Is(err, errkind.Invalid) {
			t.Errorf("Teardown(%q) = %v, want an invalid pod id error", id, err)
		}
	}
}
