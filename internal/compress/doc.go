// Package compress owns the compression layer of image files: it recognises
// gzip, bzip2, xz, zstd and plain tar streams by peeking at their first bytes
// (never seeking, so pipes work), opens a decompressing reader for each, and
// writes gzip (single or multi-threaded), plain and, as a documented
// extension, zstd streams.
//
// It knows nothing about ACIs or tar beyond the "ustar" magic used to tell a
// plain tar from unknown data, and it never runs external programs.
package compress
