package types

import (
	"net/netip"
	"path"
	"strconv"
	"strings"
)

// Volume kinds.
const (
	VolumeEmpty = "empty"
	VolumeHost  = "host"
)

// Defaults of an empty volume.
const (
	DefaultEmptyVolumeMode = "0755"
	DefaultEmptyVolumeUID  = 0
	DefaultEmptyVolumeGID  = 0
)

// Volume is a pod volume: a fresh directory ("empty") or a host path
// ("host"). Decoding fills an empty volume's mode/uid/gid defaults.
type Volume struct {
	Name      ACName  `json:"name"`
	Kind      string  `json:"kind"`
	Source    string  `json:"source,omitempty"`
	ReadOnly  *bool   `json:"readOnly,omitempty"`
	Recursive *bool   `json:"recursive,omitempty"`
	Mode      *string `json:"mode,omitempty"`
	UID       *int    `json:"uid,omitempty"`
	GID       *int    `json:"gid,omitempty"`
}

// AssertValid checks the volume.
func (v Volume) AssertValid() error {
	if v.Name.Empty() {
		return atField("name", invalid(ErrVolume, "volume name must be set"))
	}
	if err := v.Name.AssertValid(); err != nil {
		return atField("name", err)
	}
	switch v.Kind {
	case VolumeEmpty:
		if v.Source != "" {
			return atField("source", invalid(ErrVolume, "source for empty volume must be empty"))
		}
	case VolumeHost:
		if v.Source == "" {
			return atField("source", invalid(ErrVolume, "source for host volume cannot be empty"))
		}
		if !path.IsAbs(v.Source) {
			return atField("source", invalid(ErrVolume, "source for host volume must be absolute path, got %q", v.Source))
		}
	default:
		return atField("kind", invalid(ErrVolume, `unrecognized volume kind: should be one of "empty", "host", got %q`, v.Kind))
	}
	return nil
}

// Lint lists what in the volume breaks a check stricter than the spec
// text: an empty volume's mode that is not an octal number, and mode, uid
// or gid on a host volume (pods.md: "only interpreted if kind is
// "empty"", so they are ignored there; the reference refuses them).
func (v Volume) Lint() []error {
	var out []error
	switch v.Kind {
	case VolumeEmpty:
		if v.Mode != nil {
			if _, err := strconv.ParseUint(*v.Mode, 8, 32); err != nil {
				out = append(out, atField("mode", invalid(ErrVolume, "mode %q of an empty volume is not an octal number", *v.Mode)))
			}
		}
	case VolumeHost:
		for _, f := range []struct {
			name string
			set  bool
		}{{"mode", v.Mode != nil}, {"uid", v.UID != nil}, {"gid", v.GID != nil}} {
			if f.set {
				out = append(out, atField(f.name, invalid(ErrVolume, "%s of a host volume is ignored", f.name)))
			}
		}
	}
	return out
}

func (v *Volume) setDefaults() {
	if v.Kind != VolumeEmpty {
		return
	}
	if v.Mode == nil {
		m := DefaultEmptyVolumeMode
		v.Mode = &m
	}
	if v.UID == nil {
		u := DefaultEmptyVolumeUID
		v.UID = &u
	}
	if v.GID == nil {
		g := DefaultEmptyVolumeGID
		v.GID = &g
	}
}

// IsReadOnly reports the readOnly flag (default false).
func (v Volume) IsReadOnly() bool { return v.ReadOnly != nil && *v.ReadOnly }

// IsRecursive reports the recursive flag (default true).
func (v Volume) IsRecursive() bool { return v.Recursive == nil || *v.Recursive }

func (v *Volume) UnmarshalJSON(data []byte) error {
	type plain Volume
	var n plain
	if err := decodeStruct(data, &n); err != nil {
		return err
	}
	vol := Volume(n)
	if err := vol.AssertValid(); err != nil {
		return err
	}
	vol.setDefaults()
	*v = vol
	return nil
}

func (v Volume) MarshalJSON() ([]byte, error) {
	if err := v.AssertValid(); err != nil {
		return nil, err
	}
	type plain Volume
	return Marshal(plain(v))
}

// VolumeFromString parses the command-line form
// "NAME,kind=host,source=/path[,readOnly=true][,recursive=false]" or
// "NAME,kind=empty[,mode=0755][,uid=N][,gid=N]".
func VolumeFromString(s string) (*Volume, error) {
	parts := strings.Split(s, ",")
	name, err := NewACName(parts[0])
	if err != nil {
		return nil, err
	}
	v := Volume{Name: *name}
	for _, p := range parts[1:] {
		key, val, ok := strings.Cut(p, "=")
		if !ok {
			return nil, invalid(ErrVolume, "volume %q: %q is not key=value", s, p)
		}
		switch key {
		case "kind":
			v.Kind = val
		case "source":
			v.Source = val
		case "readOnly", "recursive":
			b, err := strconv.ParseBool(val)
			if err != nil {
				return nil, invalid(ErrVolume, "volume %q: %s must be true or false", s, key)
			}
			if key == "readOnly" {
				v.ReadOnly = &b
			} else {
				v.Recursive = &b
			}
		case "mode":
			m := val
			v.Mode = &m
		case "uid", "gid":
			n, err := strconv.Atoi(val)
			if err != nil {
				return nil, invalid(ErrVolume, "volume %q: %s must be an integer", s, key)
			}
			if key == "uid" {
				v.UID = &n
			} else {
				v.GID = &n
			}
		default:
			return nil, invalid(ErrVolume, "volume %q: unknown key %q", s, key)
		}
	}
	if err := v.AssertValid(); err != nil {
		return nil, err
	}
	v.setDefaults()
	return &v, nil
}

// Set implements flag.Value with the VolumeFromString syntax.
func (v *Volume) Set(s string) error {
	n, err := VolumeFromString(s)
	if err != nil {
		return err
	}
	*v = *n
	return nil
}

// String gives the VolumeFromString syntax.
func (v Volume) String() string {
	s := string(v.Name) + ",kind=" + v.Kind
	if v.Source != "" {
		s += ",source=" + v.Source
	}
	if v.ReadOnly != nil {
		s += ",readOnly=" + strconv.FormatBool(*v.ReadOnly)
	}
	if v.Recursive != nil {
		s += ",recursive=" + strconv.FormatBool(*v.Recursive)
	}
	if v.Mode != nil {
		s += ",mode=" + *v.Mode
	}
	if v.UID != nil {
		s += ",uid=" + strconv.Itoa(*v.UID)
	}
	if v.GID != nil {
		s += ",gid=" + strconv.Itoa(*v.GID)
	}
	return s
}

// ExposedPort maps a host port to an app port of a pod.
type ExposedPort struct {
	Name     ACName `json:"name"`
	HostPort uint   `json:"hostPort"`
	HostIP   string `json:"hostIP,omitempty"`
	PodPort  *Port  `json:"podPort,omitempty"`
}

// AssertValid checks the exposed port.
func (p ExposedPort) AssertValid() error {
	if p.Name.Empty() {
		return atField("name", invalid(ErrExposedPort, "exposed port name must be set"))
	}
	if err := p.Name.AssertValid(); err != nil {
		return atField("name", err)
	}
	if p.HostPort == 0 {
		// pods.md: "hostPort (integer, required)".
		return atField("hostPort", invalid(ErrExposedPort, "hostPort must be set"))
	}
	if p.HostPort > 65535 {
		return atField("hostPort", invalid(ErrExposedPort, "hostPort must be in 0-65535 range, got %d", p.HostPort))
	}
	if p.HostIP != "" {
		// pods.md: "an IPv4 address ... Must be in dotted-quad notation".
		if a, err := netip.ParseAddr(p.HostIP); err != nil || !a.Is4() {
			return atField("hostIP", invalid(ErrExposedPort, "hostIP must be an IPv4 address in dotted-quad notation, got %q", p.HostIP))
		}
	}
	if p.PodPort != nil {
		return atField("podPort", p.PodPort.AssertValid())
	}
	return nil
}

func (p *ExposedPort) UnmarshalJSON(data []byte) error {
	type plain ExposedPort
	var n plain
	if err := decodeStruct(data, &n); err != nil {
		return err
	}
	if err := ExposedPort(n).AssertValid(); err != nil {
		return err
	}
	*p = ExposedPort(n)
	return nil
}

func (p ExposedPort) MarshalJSON() ([]byte, error) {
	if err := p.AssertValid(); err != nil {
		return nil, err
	}
	type plain ExposedPort
	return Marshal(plain(p))
}
