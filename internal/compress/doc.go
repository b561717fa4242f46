// Package compress owns the compression layer of image files: it recognises
// gzip, bzip2, xz, zstd and plain tar streams by peeking at their first bytes
// (never seeking, so pipes work), opens a decompressing reader for each, and
// writes gzip, plain and, as a documented extension, zstd streams.
//
// The gzip we write is a series of independent members that carry their own
// length (members.go), compressed in parallel; any gzip reader reads it as
// one stream, and ours inflates the members in parallel too. Other gzip
// streams are inflated by klauspost/pgzip in a read-ahead goroutine.
//
// It knows nothing about ACIs or tar beyond the "ustar" magic used to tell a
// plain tar from unknown data, and it never runs external programs.
package compress
