package schema

import (
	"github.com/acikit/acikit/internal/schema/types"
)

// PodManifest describes a pod: its apps (by image ID), volumes, isolators,
// annotations and exposed ports.
type PodManifest struct {
	ACVersion       types.SemVer          `json:"acVersion,omitzero"`
	ACKind          types.ACKind          `json:"acKind"`
	Apps            AppList               `json:"apps"`
	Volumes         []types.Volume        `json:"volumes,omitempty"`
	Isolators       []types.Isolator      `json:"isolators,omitempty"`
	Annotations     types.Annotations     `json:"annotations,omitempty"`
	Ports           []types.ExposedPort   `json:"ports,omitempty"`
	UserAnnotations types.UserAnnotations `json:"userAnnotations,omitempty"`
	UserLabels      types.UserLabels      `json:"userLabels,omitempty"`
}

// AppList is the pod's apps, with unique names.
type AppList []RuntimeApp

// Get returns the app named name.
func (l AppList) Get(name types.ACName) *RuntimeApp {
	for i := range l {
		if l[i].Name == name {
			return &l[i]
		}
	}
	return nil
}

// RuntimeApp is one app of a pod: an image plus optional overrides.
type RuntimeApp struct {
	Name           types.ACName      `json:"name"`
	Image          RuntimeImage      `json:"image"`
	App            *types.App        `json:"app,omitempty"`
	ReadOnlyRootFS bool              `json:"readOnlyRootFS,omitempty"`
	Mounts         []Mount           `json:"mounts,omitempty"`
	Annotations    types.Annotations `json:"annotations,omitempty"`
}

// RuntimeImage names the image of a pod app: by ID in a runtime
// manifest, or by name and labels in a template (pods.md), which is
// resolved to an ID before it runs.
type RuntimeImage struct {
	Name   *types.ACIdentifier `json:"name,omitempty"`
	ID     types.Hash          `json:"id,omitzero"`
	Labels types.Labels        `json:"labels,omitempty"`
}

// Mount binds a pod volume at a path of an app.
type Mount struct {
	Volume    types.ACName  `json:"volume"`
	Path      string        `json:"path"`
	AppVolume *types.Volume `json:"appVolume,omitempty"`
}

// AssertValid checks the mount (volume and path required).
func (m Mount) AssertValid() error {
	if m.Volume.Empty() {
		return types.AtField("volume", invalidf(types.ErrMountPoint, "mount volume must be set"))
	}
	if err := m.Volume.AssertValid(); err != nil {
		return types.AtField("volume", err)
	}
	if m.Path == "" {
		return types.AtField("path", invalidf(types.ErrMountPoint, "mount path must be set"))
	}
	if m.AppVolume != nil {
		return types.AtField("appVolume", m.AppVolume.AssertValid())
	}
	return nil
}

// AssertValid checks the image reference.
func (ri RuntimeImage) AssertValid() error {
	if ri.ID.Empty() && ri.Name == nil {
		return invalidf(types.ErrHash, "image needs an id, or a name in a template")
	}
	if !ri.ID.Empty() {
		if err := ri.ID.AssertValid(); err != nil {
			return types.AtField("id", err)
		}
	}
	if ri.Name != nil {
		if err := ri.Name.AssertValid(); err != nil {
			return types.AtField("name", err)
		}
	}
	return types.AtField("labels", ri.Labels.AssertValid())
}

// AssertValid checks the app.
func (ra RuntimeApp) AssertValid() error {
	if ra.Name.Empty() {
		return types.AtField("name", invalidf(types.ErrACName, "app name must be set"))
	}
	if err := ra.Name.AssertValid(); err != nil {
		return types.AtField("name", err)
	}
	if err := ra.Image.AssertValid(); err != nil {
		return types.AtField("image", err)
	}
	if ra.App != nil {
		if err := ra.App.AssertValid(); err != nil {
			return types.AtField("app", err)
		}
	}
	if err := types.AssertListValid(ra.Mounts); err != nil {
		return types.AtField("mounts", err)
	}
	return types.AtField("annotations", ra.Annotations.AssertPodValid())
}

// AssertValid checks the apps and the uniqueness of their names.
func (l AppList) AssertValid() error {
	seen := map[types.ACName]bool{}
	for i, a := range l {
		if err := a.AssertValid(); err != nil {
			return types.AtIndex(i, err)
		}
		if seen[a.Name] {
			return types.AtIndex(i, types.AtField("name", invalidf(types.ErrACName, "duplicate apps of name %q", string(a.Name))))
		}
		seen[a.Name] = true
	}
	return nil
}

// BlankPodManifest returns a pod manifest with kind and version set.
func BlankPodManifest() *PodManifest {
	return &PodManifest{ACKind: types.PodManifestKind, ACVersion: AppContainerSemVer}
}

// ParsePodManifest decodes and validates a pod manifest.
func ParsePodManifest(data []byte) (*PodManifest, error) {
	var m PodManifest
	if err := m.UnmarshalJSON(data); err != nil {
		return nil, err
	}
	return &m, nil
}

func (m *PodManifest) UnmarshalJSON(data []byte) error {
	if err := syntaxError(data); err != nil {
		return err
	}
	type plain PodManifest
	var v plain
	if err := types.DecodeStruct(data, &v); err != nil {
		return toError(err)
	}
	if err := (*PodManifest)(&v).AssertValid(); err != nil {
		return err
	}
	*m = PodManifest(v)
	return nil
}

// AssertValid runs the manifest-level checks. acVersion and apps are
// required (pods.md), though the reference requires neither.
func (m *PodManifest) AssertValid() error {
	if m.ACKind != types.PodManifestKind {
		return &Error{Path: "acKind", Err: invalidf(types.ErrACKind, "missing or bad ACKind (must be %q)", types.PodManifestKind)}
	}
	// pods.md: "acVersion (string, required)", "apps (list of objects,
	// required)" (an empty list is a list).
	if m.ACVersion.Empty() {
		return &Error{Path: "acVersion", Err: invalidf(types.ErrSemVer, "acVersion must be set")}
	}
	if m.Apps == nil {
		return &Error{Path: "apps", Err: invalidf(types.ErrACName, "apps must be set")}
	}
	checks := []struct {
		path string
		err  func() error
	}{
		{"acVersion", m.ACVersion.AssertValid},
		{"apps", m.Apps.AssertValid},
		{"volumes", func() error {
			seen := map[types.ACName]bool{}
			for i, v := range m.Volumes {
				if err := v.AssertValid(); err != nil {
					return types.AtIndex(i, err)
				}
				if seen[v.Name] {
					return types.AtIndex(i, types.AtField("name", invalidf(types.ErrVolume, "duplicate volume name %q", string(v.Name))))
				}
				seen[v.Name] = true
			}
			return nil
		}},
		{"isolators", types.Isolators(m.Isolators).AssertPodValid},
		{"annotations", m.Annotations.AssertPodValid},
		{"ports", func() error { return types.AssertListValid(m.Ports) }},
	}
	for _, c := range checks {
		if err := c.err(); err != nil {
			return toError(types.AtField(c.path, err))
		}
	}
	return nil
}

func (m PodManifest) MarshalJSON() ([]byte, error) {
	if err := m.AssertValid(); err != nil {
		return nil, err
	}
	type plain PodManifest
	return types.Marshal(plain(m))
}

// SniffKind reads only acKind and acVersion to tell which manifest data
// holds. A missing acKind is an error; a missing acVersion is not (pod
// manifests may omit it).
func SniffKind(data []byte) (types.ACKind, error) {
	if err := syntaxError(data); err != nil {
		return "", err
	}
	var v struct {
		ACKind    *types.ACKind `json:"acKind"`
		ACVersion *types.SemVer `json:"acVersion"`
	}
	if err := types.DecodeStruct(data, &v); err != nil {
		return "", toError(err)
	}
	if v.ACKind == nil {
		return "", &Error{Path: "acKind", Err: invalidf(types.ErrACKind, "ACKind must be set")}
	}
	return *v.ACKind, nil
}

// IsTemplate reports whether some app names its image without an ID: the
// manifest is a deployable template (pods.md), to be resolved (reified)
// before it runs.
func (m *PodManifest) IsTemplate() bool {
	for _, a := range m.Apps {
		if a.Image.ID.Empty() {
			return true
		}
	}
	return false
}
