// Package discovery turns an AppC app string (name[:version][,label=value...])
// into the URLs of an image, its signature and its signers' public keys.
//
// It owns AppC meta discovery (HTML <meta name="ac-discovery"> and
// "ac-discovery-pubkeys" tags fetched from https://PREFIX?ac-discovery=1 for
// each path prefix of the name, longest first) and, when that finds nothing,
// the older simple discovery (https://{name}-{version}-{os}-{arch}.aci on the
// name's host). HTTPS comes first; plain HTTP and unverified TLS are used
// only when Options asks for them by name.
//
// It does not download images or judge signatures: callers fetch the URLs it
// returns (internal/fetch) and verify them (internal/pgp). It keeps no
// package state; the *http.Client comes in through Options.
//
// Prefix matching: a meta tag counts when its PREFIX is the image name or a
// path-segment prefix of it ("example.com/app" matches "example.com/app" and
// "example.com/app/sub", never "example.com/application"). The reference
// implementation compares plain strings; segments match how the walk builds
// prefixes and how trust prefixes read.
package discovery
