// Package patch edits an image manifest the way `actool patch-manifest`
// flags describe: name, exec, user and group, supplementary groups,
// capability and seccomp sets, mount points, ports and isolators.
//
// It keeps the reference tool's flag syntax and order of effects (mount
// points and ports are appended, an isolator replaces one of its name; capability and seccomp flags
// replace the isolators of their kind) but validates the result: a patch that
// would produce an invalid manifest is refused with the reason.
package patch

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/acikit/acikit/internal/errkind"
	"github.com/acikit/acikit/internal/schema"
	"github.com/acikit/acikit/internal/schema/types"
)

// Options are the edits; an empty field means "leave alone".
type Options struct {
	Name              string // new image name
	Exec              string // command line, split on spaces
	User, Group       string
	SupplementaryGIDs string // "1,2,3"
	Capability        string // retain set "CAP_A,CAP_B"
	RevokeCapability  string // remove set
	Mounts            string // "name,path=/p,readOnly=true[:...]"
	Ports             string // "name,protocol=tcp,port=80[,count=N][,socketActivated=B][:...]"
	Isolators         string // "NAME,key=value[,...][:...]" (resource/*), or "NAME,VALUE" for no-new-privileges and oom-score-adj
	SeccompMode       string // "retain|remove[,errno=EXXX]"
	SeccompSet        string // "sys1,sys2"
}

// ErrNoApp is returned when app fields are edited in a manifest without an
// app and no exec is given to create one.
var ErrNoApp = errors.New("no app in the supplied manifest and no exec command provided")

// TouchesApp reports whether any edit changes the app section.
func (o Options) TouchesApp() bool {
	return o.Exec != "" || o.User != "" || o.Group != "" || o.SupplementaryGIDs != "" ||
		o.Capability != "" || o.RevokeCapability != "" || o.Mounts != "" || o.Ports != "" ||
		o.Isolators != "" || o.SeccompMode != "" || o.SeccompSet != ""
}

// Apply edits m in place and checks the result. On error m may be partly
// edited; callers discard it.
func Apply(m *schema.ImageManifest, o Options) error {
	if err := apply(m, o); err != nil {
		return errkind.Mark(err, errkind.Invalid)
	}
	if err := m.AssertValid(); err != nil {
		return fmt.Errorf("patched manifest is invalid: %w", err)
	}
	return nil
}

func apply(m *schema.ImageManifest, o Options) error {
	if o.Name != "" {
		name, err := types.NewACIdentifier(o.Name)
		if err != nil {
			return fmt.Errorf("--name: %w", err)
		}
		m.Name = *name
	}
	if !o.TouchesApp() {
		return nil
	}
	if m.App == nil {
		if o.Exec == "" {
			return ErrNoApp
		}
		m.App = &types.App{User: "0", Group: "0"}
	}
	app := m.App
	if o.Exec != "" {
		app.Exec = types.Exec(strings.Split(o.Exec, " "))
	}
	if o.User != "" {
		app.User = o.User
	}
	if o.Group != "" {
		app.Group = o.Group
	}
	if o.SupplementaryGIDs != "" {
		gids, err := parseGIDs(o.SupplementaryGIDs)
		if err != nil {
			return err
		}
		app.SupplementaryGIDs = gids
	}
	if err := patchCaps(app, o); err != nil {
		return err
	}
	if err := patchSeccomp(app, o); err != nil {
		return err
	}
	if o.Mounts != "" {
		mps, err := parseMounts(o.Mounts)
		if err != nil {
			return err
		}
		app.MountPoints = append(app.MountPoints, mps...)
	}
	if o.Ports != "" {
		ports, err := parsePorts(o.Ports)
		if err != nil {
			return err
		}
		app.Ports = append(app.Ports, ports...)
	}
	if o.Isolators != "" {
		isos, err := parseIsolators(o.Isolators)
		if err != nil {
			return err
		}
		// An isolator named again replaces the old one: two of one name
		// make the image invalid.
		for _, iso := range isos {
			app.Isolators = append(without(app.Isolators, string(iso.Name)), iso)
		}
	}
	return nil
}

func parseGIDs(s string) ([]int, error) {
	var gids []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 0 {
			return nil, fmt.Errorf("--supplementary-groups: %q is not a group ID", f)
		}
		gids = append(gids, n)
	}
	return gids, nil
}

// without returns isos minus those whose name is in names.
func without(isos types.Isolators, names ...string) types.Isolators {
	var out types.Isolators
	for _, iso := range isos {
		drop := false
		for _, n := range names {
			if string(iso.Name) == n {
				drop = true
			}
		}
		if !drop {
			out = append(out, iso)
		}
	}
	return out
}

func patchCaps(app *types.App, o Options) error {
	if o.Capability == "" && o.RevokeCapability == "" {
		return nil
	}
	if o.Capability != "" && o.RevokeCapability != "" {
		return errors.New("conflicting capabilities isolators provided: use --capability or --revoke-capability, not both")
	}
	name, list := types.CapabilitiesRetainSetName, o.Capability
	if o.RevokeCapability != "" {
		name, list = types.CapabilitiesRemoveSetName, o.RevokeCapability
	}
	caps := splitList(list)
	for _, c := range caps {
		if !types.IsCapability(c) {
			return fmt.Errorf("capabilities: unknown capability %q", c)
		}
	}
	iso, err := types.NewIsolator(name, types.CapabilitySet{Set: caps})
	if err != nil {
		return fmt.Errorf("capabilities: %w", err)
	}
	app.Isolators = append(without(app.Isolators, types.CapabilitiesRetainSetName, types.CapabilitiesRemoveSetName), *iso)
	return nil
}

func patchSeccomp(app *types.App, o Options) error {
	if o.SeccompMode == "" {
		if o.SeccompSet != "" {
			return errors.New("--seccomp-set needs --seccomp-mode")
		}
		return nil
	}
	fields := strings.Split(o.SeccompMode, ",")
	var name string
	switch fields[0] {
	case "retain":
		name = types.SeccompRetainSetName
	case "remove":
		name = types.SeccompRemoveSetName
	default:
		return fmt.Errorf("--seccomp-mode: unknown mode %q (must be retain or remove)", fields[0])
	}
	value := types.SeccompSet{Set: splitList(o.SeccompSet)}
	for _, f := range fields[1:] {
		k, v, ok := strings.Cut(f, "=")
		if !ok || k != "errno" {
			return fmt.Errorf("--seccomp-mode: unknown option %q (only errno=EXXX)", f)
		}
		value.Errno = v
	}
	if o.SeccompSet == "" {
		return errors.New("--seccomp-mode needs --seccomp-set")
	}
	iso, err := types.NewIsolator(name, value)
	if err != nil {
		return fmt.Errorf("seccomp: %w", err)
	}
	app.Isolators = append(without(app.Isolators, types.SeccompRetainSetName, types.SeccompRemoveSetName), *iso)
	return nil
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// fields parses "first,key=value,..." into the first field and the pairs.
func fields(flag, s string) (string, map[string]string, error) {
	parts := strings.Split(s, ",")
	kv := map[string]string{}
	for _, p := range parts[1:] {
		k, v, ok := strings.Cut(p, "=")
		if !ok || k == "" {
			return "", nil, fmt.Errorf("%s: %q is not key=value", flag, p)
		}
		if _, dup := kv[k]; dup {
			return "", nil, fmt.Errorf("%s: %s given twice", flag, k)
		}
		kv[k] = v
	}
	return parts[0], kv, nil
}

func parseBool(flag, key, v string) (bool, error) {
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("%s: %s=%q is not true or false", flag, key, v)
	}
	return b, nil
}

func parseMounts(s string) ([]types.MountPoint, error) {
	var out []types.MountPoint
	for _, spec := range strings.Split(s, ":") {
		name, kv, err := fields("--mounts", spec)
		if err != nil {
			return nil, err
		}
		n, err := types.NewACName(name)
		if err != nil {
			return nil, fmt.Errorf("--mounts: %w", err)
		}
		mp := types.MountPoint{Name: *n}
		for k, v := range kv {
			switch k {
			case "path":
				mp.Path = v
			case "readOnly":
				if mp.ReadOnly, err = parseBool("--mounts", k, v); err != nil {
					return nil, err
				}
			default:
				return nil, fmt.Errorf("--mounts: unknown key %q (path, readOnly)", k)
			}
		}
		if mp.Path == "" {
			return nil, fmt.Errorf("--mounts: mount point %s needs path=", name)
		}
		out = append(out, mp)
	}
	return out, nil
}

func parsePorts(s string) ([]types.Port, error) {
	var out []types.Port
	for _, spec := range strings.Split(s, ":") {
		name, kv, err := fields("--ports", spec)
		if err != nil {
			return nil, err
		}
		n, err := types.NewACName(name)
		if err != nil {
			return nil, fmt.Errorf("--ports: %w", err)
		}
		p := types.Port{Name: *n, Count: 1}
		for k, v := range kv {
			switch k {
			case "protocol":
				p.Protocol = v
			case "port", "count":
				u, err := strconv.ParseUint(v, 10, 32)
				if err != nil {
					return nil, fmt.Errorf("--ports: %s=%q is not a number", k, v)
				}
				if k == "port" {
					p.Port = uint(u)
				} else {
					p.Count = uint(u)
				}
			case "socketActivated":
				if p.SocketActivated, err = parseBool("--ports", k, v); err != nil {
					return nil, err
				}
			default:
				return nil, fmt.Errorf("--ports: unknown key %q (protocol, port, count, socketActivated)", k)
			}
		}
		if p.Protocol == "" || p.Port == 0 {
			return nil, fmt.Errorf("--ports: port %s needs protocol= and port=", name)
		}
		if err := p.AssertValid(); err != nil {
			return nil, fmt.Errorf("--ports: %w", err)
		}
		out = append(out, p)
	}
	return out, nil
}

func parseIsolators(s string) (types.Isolators, error) {
	var out types.Isolators
	for _, spec := range strings.Split(s, ":") {
		name, rest, _ := strings.Cut(spec, ",")
		var value any
		switch {
		case strings.HasPrefix(name, "resource/"):
			_, kv, err := fields("--isolators", spec)
			if err != nil {
				return nil, err
			}
			v := map[string]any{}
			for k, val := range kv {
				switch k {
				case "request", "limit":
					v[k] = val
				case "default":
					b, err := parseBool("--isolators", k, val)
					if err != nil {
						return nil, err
					}
					v[k] = b
				default:
					return nil, fmt.Errorf("--isolators: %s: unknown key %q (request, limit, default)", name, k)
				}
			}
			value = v
		case name == types.NoNewPrivilegesName:
			b, err := parseBool("--isolators", name, rest)
			if err != nil {
				return nil, err
			}
			value = b
		case name == types.OOMScoreAdjName:
			n, err := strconv.Atoi(rest)
			if err != nil {
				return nil, fmt.Errorf("--isolators: %s: %q is not a number", name, rest)
			}
			value = n
		default:
			return nil, fmt.Errorf("--isolators: isolator %s is not supported for patching (resource/*, %s, %s)",
				name, types.NoNewPrivilegesName, types.OOMScoreAdjName)
		}
		iso, err := types.NewIsolator(name, value)
		if err != nil {
			return nil, fmt.Errorf("--isolators: %w", err)
		}
		out = append(out, *iso)
	}
	return out, nil
}
