//go:build tools

// Package oracle pins the reference AppC tools so that
// `go build github.com/appc/spec/actool` and `go build github.com/appc/spec/ace`
// work in this module. The build tag keeps the file out of every build: main
// packages cannot be imported, only recorded as module requirements.
package oracle

import (
	_ "github.com/appc/spec/ace"
	_ "github.com/appc/spec/actool"
)
