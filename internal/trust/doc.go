// Package trust owns acikit's store of trusted signing keys, laid out on disk
// exactly as rkt lays out its own so a user coming from rkt keeps their keys
// (point the local tree at /etc/rkt/trustedkeys):
//
//	<dir>/root.d/<fingerprint>                  trusted for every image name
//	<dir>/prefix.d/<prefix path>/<fingerprint>  trusted for names under prefix
//
// Each file holds one armored public key and is named by the key's
// fingerprint in lowercase hex (40 characters); directories are 0755 and
// files 0644. A local tree (written by `acsign trust`) lies over a read-only
// system tree; a local file overrides the system file of the same name, and
// an empty local file masks it.
//
// Unlike rkt, which matches prefixes as strings, a prefix key applies by path
// segment: a key for example.com/foo verifies example.com/foo and
// example.com/foo/bar, never example.com/foobar.
//
// The package reads no environment and asks no questions: paths come in
// Options, and the CLI reviews keys with the user before calling Add.
package trust
