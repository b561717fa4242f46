//go:build !linux

package sandbox

import (
	"context"
	"errors"
)

// ErrUnsupported is returned on systems other than Linux.
var ErrUnsupported = errors.New("sandbox: pods need linux")

// Init does nothing outside Linux.
func Init() {}

// PodSpec is empty outside Linux.
type PodSpec struct{}

// Options is empty outside Linux.
type Options struct{}

// Pod is never returned outside Linux.
type Pod struct{}

// Start always fails outside Linux.
func Start(ctx context.Context, spec *PodSpec, opts *Options) (*Pod, error) {
	return nil, ErrUnsupported
}
