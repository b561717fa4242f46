// Package schema owns the AppC 0.8.11 manifests: ImageManifest and
// PodManifest, their parsing (ParseImageManifest, ParsePodManifest,
// SniffKind) and their canonical JSON form.
//
// Decoding follows the reference actool 0.8.11: every value validates itself
// (package types), unknown keys are ignored, keys match case-insensitively
// as in encoding/json, and cross-field rules run once after decoding. Every
// failure is a *Error naming the JSON path of the bad value
// ("app.environment[2].name: ...") or, for JSON syntax errors, the line and
// column; all are marked errkind.Invalid.
//
// The spec text decides what is valid, the reference only where the text
// is silent (docs/conformance.md). Beyond the rules of package types:
//   - a missing acKind is an error (the reference panics);
//   - a pod app mount needs a volume name and a path;
//   - an exposed port needs a name.
//
// Checks stricter than the text are warnings: Warnings() on a parsed
// manifest lists them (actool validate prints them and refuses them with
// --strict). A pod manifest whose apps name their images without an ID is a
// template (IsTemplate), valid until it is run.
//
// The package never opens files; callers read manifests through a size cap
// (MaxManifestSize).
package schema

import "github.com/acikit/acikit/internal/schema/types"

// AppContainerVersion is the spec version acikit implements and writes.
const AppContainerVersion = "0.8.11"

// MaxManifestSize caps how many bytes callers should read for a manifest.
const MaxManifestSize = 1 << 20

// AppContainerSemVer is AppContainerVersion parsed.
var AppContainerSemVer = types.MustSemVer(AppContainerVersion)

// The two manifest kinds, as SniffKind returns them.
const (
	KindImage = types.ImageManifestKind
	KindPod   = types.PodManifestKind
)
