// Package store owns acikit's local image store: content-addressed blobs
// kept exactly as they were fetched (so an export returns the signed bytes
// and their .asc), and an index in go.etcd.io/bbolt holding each image's
// name, labels, source URL, HTTP cache data, size, import time and last use.
//
// Layout under the store directory:
//
//	lock                          store-wide flock (shared: readers, exclusive: writers, gc)
//	index.db                      bbolt index, opened per operation so processes can share it
//	blobs/sha512/<2 hex>/<id>     the image as fetched (compressed or not)
//	blobs/sha512/<2 hex>/<id>.asc its detached signature, when there was one
//	tmp/                          imports in flight, each flocked by its writer
//
// Crash safety: a blob is written to tmp/, fsynced and renamed into place, and
// only then is the index transaction committed, so the index never names a
// blob that is not complete. Temporary files whose writer died (their flock is
// free) are removed by Open; blobs that no index entry names are removed by GC.
//
// The store does not fetch, verify signatures or decide trust: callers
// (internal/fetch) verify an image before they Commit it. Lookups are used by
// acfetch and acrun alike.
package store
