package types

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/acikit/acikit/internal/errkind"
)

// Kinds of invalid values; a *ValueError's Kind is one of these, and
// errors.Is(err, ErrX) tells which type refused a value.
var (
	ErrACIdentifier = errors.New("bad ACIdentifier")
	ErrACName       = errors.New("bad ACName")
	ErrACKind       = errors.New("bad ACKind")
	ErrSemVer       = errors.New("bad SemVer")
	ErrHash         = errors.New("bad hash")
	ErrLabels       = errors.New("bad labels")
	ErrAnnotations  = errors.New("bad annotations")
	ErrDependency   = errors.New("bad dependency")
	ErrApp          = errors.New("bad app")
	ErrEventHandler = errors.New("bad event handler")
	ErrEnvironment  = errors.New("bad environment")
	ErrMountPoint   = errors.New("bad mount point")
	ErrPort         = errors.New("bad port")
	ErrExposedPort  = errors.New("bad exposed port")
	ErrVolume       = errors.New("bad volume")
	ErrUUID         = errors.New("bad UUID")
	ErrDate         = errors.New("bad date")
	ErrURL          = errors.New("bad URL")
	ErrIsolator     = errors.New("bad isolator")
	ErrQuantity     = errors.New("bad quantity")
	// ErrJSONType: a JSON value of the wrong type (a string where a list
	// belongs, a negative number for an unsigned field...).
	ErrJSONType = errors.New("wrong JSON type")
)

// ValueError is a value refused by one of the types. Its message is the
// reference tool's text where it has one.
type ValueError struct {
	Kind error // one of the ErrX sentinels
	Msg  string
}

func (e *ValueError) Error() string   { return e.Msg }
func (e *ValueError) Unwrap() []error { return []error{e.Kind, errkind.Invalid} }

func invalid(kind error, format string, a ...any) error {
	return &ValueError{Kind: kind, Msg: fmt.Sprintf(format, a...)}
}

// FieldError places an error at a JSON path inside a compound value, such as
// "environment[2].name" or "[1]". Paths compose as decoding unwinds.
type FieldError struct {
	Path string
	Err  error
}

func (e *FieldError) Error() string {
	if e.Path == "" {
		return e.Err.Error()
	}
	return e.Path + ": " + e.Err.Error()
}
func (e *FieldError) Unwrap() error { return e.Err }

// atField prefixes err's path with the object key name.
func atField(name string, err error) error { return atPath(name, err) }

// atIndex prefixes err's path with the list index i.
func atIndex(i int, err error) error { return atPath("["+strconv.Itoa(i)+"]", err) }

func atPath(prefix string, err error) error {
	if err == nil {
		return nil
	}
	var fe *FieldError
	if errors.As(err, &fe) && fe == err {
		switch {
		case fe.Path == "":
			return &FieldError{Path: prefix, Err: fe.Err}
		case strings.HasPrefix(fe.Path, "["):
			return &FieldError{Path: prefix + fe.Path, Err: fe.Err}
		default:
			return &FieldError{Path: prefix + "." + fe.Path, Err: fe.Err}
		}
	}
	return &FieldError{Path: prefix, Err: err}
}

// SplitPath returns the JSON path and the innermost type-level error of err.
func SplitPath(err error) (path string, inner error) {
	if fe, ok := err.(*FieldError); ok {
		return fe.Path, fe.Err
	}
	return "", err
}
