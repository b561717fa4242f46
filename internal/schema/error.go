package schema

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/acikit/acikit/internal/errkind"
	"github.com/acikit/acikit/internal/schema/types"
)

// Error is a manifest that breaks a rule: at a JSON path (for values) or at
// a line and column (for JSON syntax errors). It unwraps to the type-level
// error (a *types.ValueError for rule breaks) and is errkind.Invalid.
type Error struct {
	Path         string // e.g. "app.environment[2].name"; "" for the whole manifest
	Line, Column int    // 1-based, set only for JSON syntax errors
	Err          error
}

func (e *Error) Error() string {
	switch {
	case e.Line > 0:
		return fmt.Sprintf("line %d, column %d: %v", e.Line, e.Column, e.Err)
	case e.Path != "":
		return e.Path + ": " + e.Err.Error()
	}
	return e.Err.Error()
}

func (e *Error) Unwrap() []error { return []error{e.Err, errkind.Invalid} }

// toError converts a decode error (a *types.FieldError or a type-level
// error) into a *Error.
func toError(err error) error {
	if err == nil {
		return nil
	}
	if e, ok := err.(*Error); ok {
		return e
	}
	path, inner := types.SplitPath(err)
	return &Error{Path: path, Err: inner}
}

// position gives the 1-based line and column of the byte before offset.
func position(data []byte, off int64) (line, col int) {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	if off < 1 {
		return 1, 1
	}
	prefix := data[:off]
	line = bytes.Count(prefix, []byte("\n")) + 1
	col = len(prefix) - (bytes.LastIndexByte(prefix, '\n') + 1)
	if col < 1 {
		col = 1
	}
	return line, col
}

// syntaxError reports a JSON syntax error in data with its position.
func syntaxError(data []byte) error {
	var v any
	err := json.Unmarshal(data, &v)
	if err == nil {
		return nil
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		line, col := position(data, se.Offset)
		msg := strings.TrimPrefix(se.Error(), "json: ")
		if len(bytes.TrimSpace(data)) == 0 {
			msg = "empty manifest"
		}
		return &Error{Line: line, Column: col, Err: errkind.Invalidf("%s", msg)}
	}
	return &Error{Err: errkind.Invalidf("%s", err)}
}
