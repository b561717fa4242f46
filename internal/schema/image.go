package schema

import (
	"path"

	"github.com/acikit/acikit/internal/errkind"
	"github.com/acikit/acikit/internal/schema/types"
)

// ImageManifest is the manifest of an ACI. MarshalJSON writes the
// reference's compact field order with empty fields omitted.
type ImageManifest struct {
	ACKind        types.ACKind       `json:"acKind"`
	ACVersion     types.SemVer       `json:"acVersion"`
	Name          types.ACIdentifier `json:"name"`
	Labels        types.Labels       `json:"labels,omitempty"`
	App           *types.App         `json:"app,omitempty"`
	Annotations   types.Annotations  `json:"annotations,omitempty"`
	Dependencies  types.Dependencies `json:"dependencies,omitempty"`
	PathWhitelist []string           `json:"pathWhitelist,omitempty"`
}

// BlankImageManifest returns a manifest with kind and version set.
func BlankImageManifest() *ImageManifest {
	return &ImageManifest{ACKind: types.ImageManifestKind, ACVersion: AppContainerSemVer}
}

// ParseImageManifest decodes and validates an image manifest.
func ParseImageManifest(data []byte) (*ImageManifest, error) {
	var m ImageManifest
	if err := m.UnmarshalJSON(data); err != nil {
		return nil, err
	}
	return &m, nil
}

func (m *ImageManifest) UnmarshalJSON(data []byte) error {
	if err := syntaxError(data); err != nil {
		return err
	}
	type plain ImageManifest
	var v plain
	if err := types.DecodeStruct(data, &v); err != nil {
		return toError(err)
	}
	if err := (*ImageManifest)(&v).AssertValid(); err != nil {
		return err
	}
	*m = ImageManifest(v)
	return nil
}

// AssertValid runs the manifest-level checks: kind, version, name, and the
// rules of its parts.
func (m *ImageManifest) AssertValid() error {
	if m.ACKind != types.ImageManifestKind {
		return &Error{Path: "acKind", Err: invalidf(types.ErrACKind, "missing or bad ACKind (must be %q)", types.ImageManifestKind)}
	}
	if m.ACVersion.Empty() {
		return &Error{Path: "acVersion", Err: invalidf(types.ErrSemVer, "acVersion must be set")}
	}
	if m.Name.Empty() {
		return &Error{Path: "name", Err: invalidf(types.ErrACIdentifier, "name must be set")}
	}
	for _, c := range []struct {
		path string
		err  func() error
	}{
		{"acVersion", m.ACVersion.AssertValid},
		{"name", m.Name.AssertValid},
		{"labels", m.Labels.AssertValid},
		{"app", func() error {
			if m.App == nil {
				return nil
			}
			return m.App.AssertValid()
		}},
		{"annotations", m.Annotations.AssertValid},
		{"dependencies", func() error { return types.AssertListValid(m.Dependencies) }},
		{"pathWhitelist", func() error {
			// aci.md: "whitelist of absolute paths".
			for i, p := range m.PathWhitelist {
				if !path.IsAbs(p) {
					return types.AtIndex(i, invalidf(types.ErrApp, "pathWhitelist entries must be absolute paths, got %q", p))
				}
			}
			return nil
		}},
	} {
		if err := c.err(); err != nil {
			return toError(types.AtField(c.path, err))
		}
	}
	return nil
}

func (m ImageManifest) MarshalJSON() ([]byte, error) {
	if err := m.AssertValid(); err != nil {
		return nil, err
	}
	type plain ImageManifest
	return types.Marshal(plain(m))
}

func invalidf(kind error, format string, a ...any) error {
	return &types.ValueError{Kind: kind, Msg: errkind.Invalidf(format, a...).Error()}
}
