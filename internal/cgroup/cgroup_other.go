//go:build !linux

// Package cgroup is Linux-only; elsewhere it is empty.
package cgroup
