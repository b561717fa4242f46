// Package render turns a stored image and its dependencies into the root
// file system an app runs in.
//
// Resolve finds the dependency closure in the store (by image ID when a
// dependency pins one, else by name and labels) and orders it as the AppC
// spec does: depth first, dependencies in listed order, the parent last.
// Render extracts that list into a tree under Options.CacheDir, keyed by the
// image ID (plus a digest of the closure when there are dependencies): the
// images are read top-down, the first image to provide a path wins, a path
// below a non-directory provided by a higher image is skipped, pathWhitelist
// filters as the spec says, and each image's SHA-512 is checked against its
// ID while it streams. Extraction goes through os.Root, so no entry can land
// outside the tree. A "rendered" marker is written last; a tree without it is
// thrown away and extracted again, and a tree with it is reused as is.
//
// NewRootfs gives one app of one pod a private, writable view of a cached
// tree: an overlayfs mount whose lower layer is the tree (a copy where
// overlayfs cannot be used). RemoveRootfs undoes it.
//
// The package does not fetch (a missing dependency is a
// *MissingDependencyError the caller may fetch and retry), start processes
// or know pods.
package render
