// Package aci owns AppC image archives (ACIs) and image layouts: streaming
// reading with the archive rules enforced entry by entry and the image ID
// computed in the same pass, manifest extraction, layout validation,
// reproducible builds from a directory, and copying an image with a new
// manifest.
//
// Nothing here holds a whole image in memory: entries stream from the
// decompressor through the tar reader to the caller, the manifest is read
// through a size cap, and writers hash the tar stream while compressing it.
// The package never extracts to disk and never touches the network or keys.
//
// Archive rules (stricter than the reference actool where noted):
//   - the only top-level names are "manifest" and "rootfs" (a top-level
//     "rootfs.bak" or "rootfsX" is rejected; the reference accepts them);
//   - names are relative and never contain a ".." element;
//   - no name appears twice after cleaning ("manifest" and "rootfs"
//     included, unlike the reference);
//   - "manifest" is a regular file that parses as an ImageManifest, and
//     "rootfs" is a directory entry that must be present;
//   - a relative symlink target is resolved from the link's own directory
//     and must stay inside rootfs; an absolute target is allowed, because
//     inside an image it resolves against the container's root, so whoever
//     extracts must resolve it within the rootfs (os.Root does);
//   - no entry may be placed beneath an earlier symlink or non-directory
//     entry (writing through a link is how extraction gets redirected);
//   - a hard link must name an earlier non-directory entry inside rootfs;
//   - a "./" directory entry (the archive's top, as `tar -C dir -cf x .`
//     writes it) is allowed and ignored by the rules;
//   - entry types are regular files, directories, symlinks, hard links,
//     character and block devices and FIFOs; PAX global headers are skipped;
//   - the tar ends with its end-of-archive marker (two zero blocks; archive/tar
//     alone takes a stream cut at an entry boundary for a whole archive), and
//     the compressed stream is read to its end, trailer included, even when
//     the image ID is not wanted.
package aci
