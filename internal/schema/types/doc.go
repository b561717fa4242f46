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
// Where we are stricter than the reference actool 0.8.11 (each is tested):
//   - ACIdentifier and ACName follow the spec regexes, so doubled separators
//     ("a..b", "a--b", "a./b") are refused;
//   - a Hash must be "sha512-" plus 128 lowercase hex digits (the reference
//     only checks that the value is not empty); NewHashKey additionally
//     accepts the 64-digit store key form;
//   - a non-empty exec must not start with an empty string;
//   - an event handler must have a non-empty exec;
//   - a mount point must have a name and a path; a port must have a name and
//     a protocol; an exposed port must have a name and a hostPort <= 65535;
//   - a known isolator must have a value (the reference panics);
//   - capabilities retain and remove sets can't be combined (the spec's rule);
//   - resource quantities can't be negative, and each resource/* isolator may
//     appear once per app;
//   - acVersion follows SemVer 2.0 strictly (no leading zeros);
//   - an empty volume's mode must be an octal number.
//
// os/linux/apparmor-profile is in the spec text but unknown to the 0.8.11
// code (which rejects it in an app); we know and validate it.
package types
