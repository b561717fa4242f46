package discovery

import (
	"errors"
	"fmt"
	"maps"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"

	"github.com/acikit/acikit/internal/errkind"
)

// DefaultVersion is the version label discovery assumes when an app string
// names none.
const DefaultVersion = "latest"

// App is a parsed app string: an image name and the labels that pick one
// image under it (version, os, arch and any others).
type App struct {
	Name   string
	Labels map[string]string
}

// ParseApp parses name[:version][,label=value...] the way the reference
// discover command does: the colon may appear once and only right after the
// name, where it stands for ",version="; every label needs a value; a label
// given twice is an error. Values are taken literally (the reference escapes
// and then unescapes them, which amounts to the same). Unlike the reference
// it also refuses empty values and label names with percent escapes, and it
// fills no defaults: see Version and WithDefaults.
//
// Errors are marked errkind.Usage: an app string comes from the command line.
func ParseApp(s string) (*App, error) {
	a, err := parseApp(s)
	if err != nil {
		return nil, errkind.Mark(fmt.Errorf("parse app %q: %w", s, err), errkind.Usage)
	}
	return a, nil
}

func parseApp(s string) (*App, error) {
	if s == "" {
		return nil, errors.New("empty app string")
	}
	if strings.Count(s, ":") > 1 {
		return nil, errors.New("colon may appear at most once")
	}
	colon, comma := strings.IndexByte(s, ':'), strings.IndexByte(s, ',')
	if colon >= 0 && comma >= 0 && colon > comma {
		return nil, errors.New("colon may appear only right after the name")
	}
	s = strings.Replace(s, ":", ",version=", 1)
	parts := strings.Split(s, ",")
	a := &App{Labels: map[string]string{}}
	if err := validateIdentifier(parts[0]); err != nil {
		return nil, fmt.Errorf("name: %w", err)
	}
	a.Name = parts[0]
	for _, p := range parts[1:] {
		k, v, ok := strings.Cut(p, "=")
		if !ok {
			return nil, fmt.Errorf("label %q has no value", k)
		}
		if k == "name" {
			return nil, errors.New(`label "name" given twice (the name comes first)`)
		}
		if err := validateIdentifier(k); err != nil {
			return nil, fmt.Errorf("label name: %w", err)
		}
		if _, dup := a.Labels[k]; dup {
			return nil, fmt.Errorf("label %q given twice", k)
		}
		if v == "" {
			return nil, fmt.Errorf("label %q has an empty value", k)
		}
		a.Labels[k] = v
	}
	return a, nil
}

// validateIdentifier checks the AppC ACIdentifier rule,
// ^[a-z0-9]+([-._~/][a-z0-9]+)*$, until internal/schema/types provides it.
func validateIdentifier(s string) error {
	if s == "" {
		return errors.New("ACIdentifier cannot be empty")
	}
	alnum := func(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !alnum(c) && strings.IndexByte("-._~/", c) < 0 {
			return fmt.Errorf("ACIdentifier must contain only lower case alphanumeric characters plus \"-._~/\", got %q", s)
		}
		if !alnum(c) && (i == 0 || i == len(s)-1 || !alnum(s[i-1])) {
			return fmt.Errorf("ACIdentifier must start and end with a lower case alphanumeric character and not repeat separators, got %q", s)
		}
	}
	return nil
}

// String formats a as an app string that ParseApp reads back to the same
// App: the name, ":version" when a version label is set, then the other
// labels sorted by name. (A value holding "," or ":" cannot be written in
// this syntax at all; ParseApp never produces one.)
func (a *App) String() string {
	var b strings.Builder
	b.WriteString(a.Name)
	if v, ok := a.Labels["version"]; ok {
		b.WriteString(":")
		b.WriteString(v)
	}
	for _, k := range slices.Sorted(maps.Keys(a.Labels)) {
		if k == "version" {
			continue
		}
		fmt.Fprintf(&b, ",%s=%s", k, a.Labels[k])
	}
	return b.String()
}

// Copy returns a deep copy of a.
func (a *App) Copy() *App {
	c := &App{Name: a.Name, Labels: make(map[string]string, len(a.Labels))}
	maps.Copy(c.Labels, a.Labels)
	return c
}

// Version returns the version label, or DefaultVersion when none is set.
func (a *App) Version() string {
	if v := a.Labels["version"]; v != "" {
		return v
	}
	return DefaultVersion
}

// WithDefaults returns a copy of a whose os and arch labels, when missing,
// hold the AppC names of the running platform (linux/arm64 is "aarch64",
// 386 is "i386", darwin/amd64 is "x86_64", arm is armv6l or armv7l after
// GOARM). The reference fills in Go's names, which no AppC image uses.
// The version label is left alone; Version supplies its default.
func (a *App) WithDefaults() *App {
	return a.withDefaults(runtime.GOOS, runtime.GOARCH, goarm())
}

func (a *App) withDefaults(goos, goarch, goarm string) *App {
	c := a.Copy()
	os, arch := appcOSArch(goos, goarch, goarm)
	if _, ok := c.Labels["os"]; !ok {
		c.Labels["os"] = os
	}
	if _, ok := c.Labels["arch"]; !ok {
		c.Labels["arch"] = arch
	}
	return c
}

// appcOSArch maps Go's GOOS/GOARCH (and GOARM) to the AppC os and arch
// label values (spec/types.md). Pairs AppC never named keep the generic
// mapping (386→i386, arm64→aarch64) or Go's own name.
func appcOSArch(goos, goarch, goarm string) (string, string) {
	switch {
	case goos == "darwin" && goarch == "amd64":
		return goos, "x86_64"
	case goos == "freebsd" && goarch == "arm":
		return goos, "arm"
	case goarch == "arm":
		if strings.HasPrefix(goarm, "7") {
			return goos, "armv7l"
		}
		return goos, "armv6l"
	}
	switch goarch {
	case "386":
		return goos, "i386"
	case "arm64":
		return goos, "aarch64"
	case "arm64be":
		return goos, "aarch64_be"
	case "armbe":
		return goos, "armv7b"
	}
	return goos, goarch
}

// goarm reports the GOARM this binary was built with ("" off arm).
func goarm() string {
	if runtime.GOARCH != "arm" {
		return ""
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "GOARM" {
				return s.Value
			}
		}
	}
	return ""
}
