// Package dockerconv converts Docker and OCI images into AppC images (ACIs).
//
// It owns reading every shape of image people bring: docker save archives of
// every era (legacy repositories + <id>/json, manifest.json, Docker 25+
// index.json archives, with layer tarballs stored as files, symlinks or hard
// links), OCI image layouts and oci-archives, and registries (schema1,
// schema2, OCI manifests, manifest lists and OCI indexes) through
// go-containerregistry. It maps the image config to an ImageManifest the way
// the reference docker2aci does (without its bugs) and squashes layers as a
// stream, top layer first, applying whiteouts and opaque directories without
// extracting anything to disk. It never talks to a Docker daemon, prints, or
// reads the environment: callers pass credentials, keychains and loggers in
// Options.
package dockerconv
