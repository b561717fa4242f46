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
	"github.com/acikit/acikit/internal/schema/types"
)

// DefaultVersion is the version label discovery assumes when an app string
// names none.
const DefaultVersion = "latest"

// App is a parsed app string: an image name and the labels that pick one
// image under it (version, os, arch and any others).
type App struct {
	Name   types.ACIdentifier
	Labels map[types.ACIdentifier]string
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
	name, err := types.NewACIdentifier(parts[0])
	if err != nil {
		return nil, fmt.Errorf("name: %w", err)
	}
	a := &App{Name: *name, Labels: map[types.ACIdentifier]string{}}
	for _, p := range parts[1:] {
		k, v, ok := strings.Cut(p, "=")
		if !ok {
			return nil, fmt.Errorf("label %q has no value", k)
		}
		if k == "name" {
			return nil, errors.New(`label "name" given twice (the name comes first)`)
		}
		label, err := types.NewACIdentifier(k)
		if err != nil {
			return nil, fmt.Errorf("label name: %w", err)
		}
		if _, dup := a.Labels[*label]; dup {
			return nil, fmt.Errorf("label %q given twice", k)
		}
		if v == "" {
			return nil, fmt.Errorf("label %q has an empty value", k)
		}
		a.Labels[*label] = v
	}
	return a, nil
}

// String formats a as an app string that ParseApp reads back to the same
// App: the name, ":version" when a version label is set, then the other
// labels sorted by name. (A value holding "," or ":" cannot be written in
// this syntax at all; ParseApp never produces one.)
func (a *App) String() string {
	var b strings.Builder
	b.WriteString(string(a.Name))
	if v, ok := a.Labels[types.LabelVersion]; ok {
		b.WriteString(":")
		b.WriteString(v)
	}
	for _, k := range slices.Sorted(maps.Keys(a.Labels)) {
		if k == types.LabelVersion {
			continue
		}
		fmt.Fprintf(&b, ",%s=%s", k, a.Labels[k])
	}
	return b.String()
}

// Copy returns a deep copy of a.
func (a *App) Copy() *App {
	c := &App{Name: a.Name, Labels: make(map[types.ACIdentifier]string, len(a.Labels))}
	maps.Copy(c.Labels, a.Labels)
	return c
}

// Version returns the version label, or DefaultVersion when none is set.
func (a *App) Version() string {
	if v := a.Labels[types.LabelVersion]; v != "" {
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
	if _, ok := c.Labels[types.LabelOS]; !ok {
		c.Labels[types.LabelOS] = os
	}
	if _, ok := c.Labels[types.LabelArch]; !ok {
		c.Labels[types.LabelArch] = arch
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
