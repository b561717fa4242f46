// Package errkind holds the few error kinds that decide a process exit code.
//
// Libraries mark their errors with a kind (errkind.Mark) without importing the
// CLI layer, and internal/cli maps kinds to exit codes with errors.Is. The
// package is a leaf: it imports only the standard library, so every tool can
// link it without pulling in anything else.
package errkind

import "errors"

// The kinds. Each maps to one exit code in internal/cli.
var (
	// Usage: the command line itself is wrong (bad flag, wrong argument count).
	Usage = errors.New("usage error")
	// Invalid: an image, layout or manifest breaks the AppC rules.
	Invalid = errors.New("invalid image or manifest")
	// Trust: a signature is missing, bad, or made by a key that is not trusted.
	Trust = errors.New("signature or trust failure")
	// NotFound: discovery, a download or a store lookup found nothing.
	NotFound = errors.New("not found")
)

type marked struct {
	err  error
	kind error
}

func (m *marked) Error() string   { return m.err.Error() }
func (m *marked) Unwrap() []error { return []error{m.err, m.kind} }

// Mark returns err tagged with kind: errors.Is(Mark(err, k), k) holds, the
// message is unchanged, and err stays reachable through errors.Is/As.
// Mark(nil, k) is nil.
func Mark(err, kind error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, kind) {
		return err
	}
	return &marked{err: err, kind: kind}
}

// Usagef, Invalidf, Trustf and NotFoundf are fmt.Errorf shorthands that mark
// the result with their kind.
func Usagef(format string, a ...any) error    { return Mark(errorf(format, a...), Usage) }
func Invalidf(format string, a ...any) error  { return Mark(errorf(format, a...), Invalid) }
func Trustf(format string, a ...any) error    { return Mark(errorf(format, a...), Trust) }
func NotFoundf(format string, a ...any) error { return Mark(errorf(format, a...), NotFound) }
