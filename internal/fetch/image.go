package fetch

import (
	"context"
	"io"

	"github.com/acikit/acikit/internal/aci"
	"github.com/acikit/acikit/internal/discovery"
	"github.com/acikit/acikit/internal/schema"
	"github.com/acikit/acikit/internal/schema/types"
)

// checked is what one pass over an archive established.
type checked struct {
	ID          string
	Manifest    *schema.ImageManifest
	RawManifest []byte
}

// checkArchive validates the archive read from r (archive rules, manifest,
// image ID of the uncompressed tar) in one pass.
func checkArchive(ctx context.Context, r io.Reader) (*checked, error) {
	res, err := aci.Validate(ctx, r, aci.ValidateOptions{})
	if err != nil {
		return nil, err
	}
	return &checked{ID: res.ID, Manifest: res.Manifest, RawManifest: res.RawManifest}, nil
}

// labelsOf returns a manifest's labels as a plain map (the store's form).
func labelsOf(m *schema.ImageManifest) map[string]string {
	out := map[string]string{}
	for _, l := range m.Labels {
		out[string(l.Name)] = l.Value
	}
	return out
}

// appLabels returns an app's labels as a plain map.
func appLabels(a *discovery.App) map[string]string {
	out := make(map[string]string, len(a.Labels))
	for k, v := range a.Labels {
		out[string(k)] = v
	}
	return out
}

func newApp(name types.ACIdentifier, labels types.Labels) *discovery.App {
	a := &discovery.App{Name: name, Labels: map[types.ACIdentifier]string{}}
	for _, l := range labels {
		a.Labels[l.Name] = l.Value
	}
	return a
}
