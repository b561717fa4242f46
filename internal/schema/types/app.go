package types

import (
	"path"
	"regexp"
)

// App is how to run an image: the command, identity, environment and the
// resources it needs.
type App struct {
	Exec              Exec            `json:"exec,omitempty"`
	EventHandlers     []EventHandler  `json:"eventHandlers,omitempty"`
	User              string          `json:"user"`
	Group             string          `json:"group"`
	SupplementaryGIDs []int           `json:"supplementaryGIDs,omitempty"`
	WorkingDirectory  string          `json:"workingDirectory,omitempty"`
	Environment       Environment     `json:"environment,omitempty"`
	Isolators         Isolators       `json:"isolators,omitempty"`
	MountPoints       []MountPoint    `json:"mountPoints,omitempty"`
	Ports             []Port          `json:"ports,omitempty"`
	UserAnnotations   UserAnnotations `json:"userAnnotations,omitempty"`
	UserLabels        UserLabels      `json:"userLabels,omitempty"`
}

// Exec is the command line; a first element without "/" is looked up in
// PATH by the executor. It is optional (aci.md): an image without one runs
// only with a command given by the executor, or serves as a dependency.
type Exec []string

// AssertValid checks the app's own rules (the elements validated
// themselves when decoded; this re-checks them for values built in code).
func (a App) AssertValid() error {
	if a.User == "" {
		return atField("user", invalid(ErrApp, "user is required"))
	}
	if a.Group == "" {
		return atField("group", invalid(ErrApp, "group is required"))
	}
	for i, g := range a.SupplementaryGIDs {
		// aci.md: "list of unsigned integers".
		if g < 0 {
			return atField("supplementaryGIDs", atIndex(i, invalid(ErrApp, "supplementary GID %d is negative", g)))
		}
	}
	if a.WorkingDirectory != "" && !path.IsAbs(a.WorkingDirectory) {
		return atField("workingDirectory", invalid(ErrApp, "workingDirectory must be an absolute path, got %q", a.WorkingDirectory))
	}
	seen := map[string]bool{}
	for i, h := range a.EventHandlers {
		if err := h.AssertValid(); err != nil {
			return atField("eventHandlers", atIndex(i, err))
		}
		if seen[h.Name] {
			return atField("eventHandlers", atIndex(i, invalid(ErrEventHandler, "Only one eventHandler of name %q allowed", h.Name)))
		}
		seen[h.Name] = true
	}
	if err := a.Environment.AssertValid(); err != nil {
		return atField("environment", err)
	}
	if err := a.Isolators.assertValid(true); err != nil {
		return atField("isolators", err)
	}
	for i, m := range a.MountPoints {
		if err := m.AssertValid(); err != nil {
			return atField("mountPoints", atIndex(i, err))
		}
	}
	for i, p := range a.Ports {
		if err := p.AssertValid(); err != nil {
			return atField("ports", atIndex(i, err))
		}
	}
	return nil
}

// Lint lists what in the app breaks a check stricter than the spec text
// (each a *FieldError inside the app): an exec or event handler exec
// whose program is missing or empty, and the isolators' (see
// Isolators.Lint).
func (a App) Lint() []error {
	var out []error
	if len(a.Exec) > 0 && a.Exec[0] == "" {
		out = append(out, atField("exec", atIndex(0, invalid(ErrApp, "exec[0] is empty: there is no program to run"))))
	}
	for i, h := range a.EventHandlers {
		if len(h.Exec) == 0 || h.Exec[0] == "" {
			out = append(out, atField("eventHandlers", atIndex(i, atField("exec", invalid(ErrEventHandler, "eventHandler %q has no program to run", h.Name)))))
		}
	}
	for _, w := range a.Isolators.Lint(true) {
		out = append(out, atField("isolators", w))
	}
	return out
}

func (a *App) UnmarshalJSON(data []byte) error {
	type plain App
	var v plain
	if err := decodeStruct(data, &v); err != nil {
		return err
	}
	if err := App(v).AssertValid(); err != nil {
		return err
	}
	if len(v.Exec) == 0 {
		v.Exec = nil // an empty exec is an absent one
	}
	*a = App(v)
	return nil
}

func (a App) MarshalJSON() ([]byte, error) {
	if err := a.AssertValid(); err != nil {
		return nil, err
	}
	type plain App
	return Marshal(plain(a))
}

// Event handler names.
const (
	EventPreStart = "pre-start"
	EventPostStop = "post-stop"
)

// EventHandler runs exec at a point of the app's life.
type EventHandler struct {
	Name string `json:"name"`
	Exec Exec   `json:"exec"`
}

// AssertValid checks the handler.
func (h EventHandler) AssertValid() error {
	switch h.Name {
	case EventPreStart, EventPostStop:
	case "":
		return atField("name", invalid(ErrEventHandler, `eventHandler "name" cannot be empty`))
	default:
		return atField("name", invalid(ErrEventHandler, `bad eventHandler "name": %q`, h.Name))
	}
	return nil
}

// EnvironmentVariable is one {name, value} pair.
type EnvironmentVariable struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Environment is the ordered list of variables with unique valid names.
type Environment []EnvironmentVariable

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z_0-9.-]*$`)

// Get returns the value of name.
func (e Environment) Get(name string) (string, bool) {
	for _, v := range e {
		if v.Name == name {
			return v.Value, true
		}
	}
	return "", false
}

// Set replaces the value of name or appends it.
func (e *Environment) Set(name, value string) {
	for i, v := range *e {
		if v.Name == name {
			(*e)[i].Value = value
			return
		}
	}
	*e = append(*e, EnvironmentVariable{Name: name, Value: value})
}

// AssertValid checks names and duplicates.
func (e Environment) AssertValid() error {
	seen := map[string]bool{}
	for i, v := range e {
		if !envName.MatchString(v.Name) {
			return atIndex(i, atField("name", invalid(ErrEnvironment, "environment variable does not have valid identifier %q", v.Name)))
		}
		if seen[v.Name] {
			return atIndex(i, atField("name", invalid(ErrEnvironment, "duplicate environment variable of name %q", v.Name)))
		}
		seen[v.Name] = true
	}
	return nil
}

// MountPoint is a path in the app where a volume must be mounted.
type MountPoint struct {
	Name     ACName `json:"name"`
	Path     string `json:"path"`
	ReadOnly bool   `json:"readOnly,omitempty"`
}

// AssertValid checks the mount point (name and path are required).
func (m MountPoint) AssertValid() error {
	if m.Name.Empty() {
		return atField("name", invalid(ErrMountPoint, "mountPoint name must be set"))
	}
	if err := m.Name.AssertValid(); err != nil {
		return atField("name", err)
	}
	if m.Path == "" {
		return atField("path", invalid(ErrMountPoint, "mountPoint path must be set"))
	}
	return nil
}

// Port is a port the app listens on (count consecutive ports from Port).
type Port struct {
	Name            ACName `json:"name"`
	Protocol        string `json:"protocol"`
	Port            uint   `json:"port"`
	Count           uint   `json:"count"`
	SocketActivated bool   `json:"socketActivated"`
}

// AssertValid checks the port.
func (p Port) AssertValid() error {
	if p.Name.Empty() {
		return atField("name", invalid(ErrPort, "port name must be set"))
	}
	if err := p.Name.AssertValid(); err != nil {
		return atField("name", err)
	}
	if p.Protocol == "" {
		return atField("protocol", invalid(ErrPort, "port protocol must be set"))
	}
	if p.Port < 1 || p.Port > 65535 {
		return atField("port", invalid(ErrPort, "port must be in 1-65535 range, got %d", p.Port))
	}
	if p.Count < 1 {
		// aci.md: count "defaults to 1 if unset ... Must be >=1".
		return atField("count", invalid(ErrPort, "count must be at least 1, got %d", p.Count))
	}
	if p.Port+p.Count > 65536 {
		return atField("count", invalid(ErrPort, "end of port range must be in 1-65535 range, got %d+%d", p.Port, p.Count))
	}
	return nil
}

func (p *Port) UnmarshalJSON(data []byte) error {
	type plain Port
	v := plain{Count: 1} // count defaults to 1 when absent
	if err := decodeStruct(data, &v); err != nil {
		return err
	}
	if err := Port(v).AssertValid(); err != nil {
		return err
	}
	*p = Port(v)
	return nil
}

func (p Port) MarshalJSON() ([]byte, error) {
	if err := p.AssertValid(); err != nil {
		return nil, err
	}
	type plain Port
	return Marshal(plain(p))
}

func (m *MountPoint) UnmarshalJSON(data []byte) error {
	type plain MountPoint
	var v plain
	if err := decodeStruct(data, &v); err != nil {
		return err
	}
	if err := MountPoint(v).AssertValid(); err != nil {
		return err
	}
	*m = MountPoint(v)
	return nil
}

func (m MountPoint) MarshalJSON() ([]byte, error) {
	if err := m.AssertValid(); err != nil {
		return nil, err
	}
	type plain MountPoint
	return Marshal(plain(m))
}

func (e *EnvironmentVariable) UnmarshalJSON(data []byte) error {
	return pairValue(data, "environment variable", &e.Name, &e.Value)
}
