// Package types holds the AppC 0.8.11 value types (identifiers, names,
// versions, hashes, labels, annotations, apps, isolators, volumes, ports...).
//
// Every type validates itself through one validator shared by its
// constructor (NewX), MustX, Set (flag.Value), UnmarshalJSON and
// MarshalJSON, so a value obtained from JSON or a flag is always valid and
// an invalid value can't be written out. Errors are *ValueError values whose
// Kind is one of the ErrX sentinels; all are marked errkind.Invalid.
// Compound types report where inside them a bad value sits with *FieldError
// (a JSON path such as "environment[2].name"), which package schema turns
// into its own positioned error.
//
// The package does no I/O.
//
// The AppC 0.8.11 spec text decides what is valid; the reference actool
// 0.8.11 decides only where the text is silent (docs/conformance.md lists
// every rule and every difference). So we refuse, where the reference does
// not:
//   - an ACName with separators in a row ("a--b"; the spec regex);
//   - a Hash whose value is not 128 lowercase hex digits (NewHashKey also
//     accepts the 64-digit store key form);
//   - a mount point without name or path, a port without name or protocol
//     or with count 0, an exposed port without name or hostPort, a hostIP
//     that is not IPv4, a negative supplementary GID, a label, annotation
//     or environment object without value, pod annotation names that are
//     not AC Names;
//   - a known isolator without value (the reference panics), capabilities
//     retain and remove sets together;
//   - an acVersion that is not strict SemVer 2.0 (leading zeros).
//
// Checks stricter than the text are not errors but warnings, listed by the
// Lint methods (ACIdentifier, Labels, Annotations, App, Isolators,
// Volume): ACIdentifier separators in a row (the spec regex forbids them,
// its own example "example.com/~user/app_v1" has one), an exec or event
// handler without a program, a repeated isolator the spec is silent about,
// a negative resource quantity, an isolator an app does not know, a host
// volume's ignored mode/uid/gid, an empty volume's non-octal mode.
//
// os/linux/apparmor-profile is in neither the 0.8.11 text nor the 0.8.11
// code (later spec versions define it); we know it, and a value its later
// definition refuses is a warning.
package types
