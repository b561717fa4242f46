package dockerconv

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/acikit/acikit/internal/errkind"
	"github.com/acikit/acikit/internal/log"
	"github.com/acikit/acikit/internal/schema"
	"github.com/acikit/acikit/internal/schema/types"
)

// Annotation names written by the converter (as the reference writes them).
const (
	annoOriginalName  = "appc.io/docker/originalname"
	annoRegistryURL   = "appc.io/docker/registryurl"
	annoRepository    = "appc.io/docker/repository"
	annoImageID       = "appc.io/docker/imageid"
	annoParentImageID = "appc.io/docker/parentimageid"
	annoManifestHash  = "appc.io/docker/manifesthash"
	annoTag           = "appc.io/docker/tag"
	annoEntrypoint    = "appc.io/docker/entrypoint"
	annoCmd           = "appc.io/docker/cmd"
	annoComment       = "docker-comment"
)

// aciName is the image name: "<registry>/<repository>" for registry
// images, "<repository>" for files, sanitised to an AC identifier
// (":" becomes "_": 127.0.0.1_5000/research/busybox).
func (im *Image) aciName() (types.ACIdentifier, error) {
	n := im.repository
	if im.registry != "" {
		n = im.registry + "/" + n
	}
	if n == "" {
		n = "image"
	}
	s, err := types.SanitizeACIdentifier(n)
	if err != nil {
		return "", errkind.Invalidf("image name %q: %w", n, err)
	}
	return types.ACIdentifier(s), nil
}

// Name is the image's repository and tag as the source names them
// (example/tool:1.0), or "" when it has none.
func (im *Image) Name() string {
	if im.repository == "" || im.tag == "" {
		return im.repository
	}
	return im.repository + ":" + im.tag
}

// FileBase is the output file name without ".aci": the repository with "/"
// as "-", then "-<tag>" when there is a tag (library-busybox-latest).
func (im *Image) FileBase() string {
	repo := im.repository
	if repo == "" {
		repo = "image"
	}
	base := strings.ReplaceAll(repo, "/", "-")
	if im.tag != "" {
		base += "-" + im.tag
	}
	// Names come from archives and registries: keep them to one safe path
	// element whatever they hold.
	base = strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			return r
		}
		return '_'
	}, base)
	// No leading "." (a hidden file) or "-" (read as a flag by the next
	// tool in a pipeline), and never empty.
	base = strings.TrimLeft(base, ".-")
	if base == "" {
		base = "image"
	}
	return base
}

// osArchLabels maps the config's os/architecture/variant to AppC labels.
func osArchLabels(c *dockerConfig) (types.Labels, error) {
	if c.OS == "" && c.Architecture == "" {
		return nil, nil
	}
	goarm := strings.TrimPrefix(c.Variant, "v")
	if c.Architecture != "arm" {
		goarm = ""
	}
	os, arch, err := types.GoOSArchToAppc(c.OS, c.Architecture, goarm)
	if err != nil {
		return nil, errkind.Invalidf("image platform %s/%s: %w", c.OS, c.Architecture, err)
	}
	return types.Labels{{Name: types.LabelOS, Value: os}, {Name: types.LabelArch, Value: arch}}, nil
}

// manifest maps the Docker config the way the reference docker2aci does
// (see the package README section), with its bugs fixed: user labels on
// every path, one "authors" key, correct dependency labels.
func (im *Image) manifest(lg *log.Logger) (*schema.ImageManifest, error) {
	c := im.cfg
	m := schema.BlankImageManifest()
	var err error
	if m.Name, err = im.aciName(); err != nil {
		return nil, err
	}
	if im.tag != "" {
		m.Labels = append(m.Labels, types.Label{Name: types.LabelVersion, Value: im.tag})
	}
	osarch, err := osArchLabels(c)
	if err != nil {
		return nil, err
	}
	m.Labels = append(m.Labels, osarch...)
	m.App = mapApp(c.Config, lg)

	add := func(name, value string) {
		if value != "" {
			m.Annotations = append(m.Annotations, types.Annotation{Name: types.ACIdentifier(name), Value: value})
		}
	}
	if c.Created != nil && !c.Created.IsZero() && c.Created.Unix() != 0 {
		add(types.AnnotationCreated, c.Created.UTC().Format(time.RFC3339))
	}
	add(types.AnnotationAuthors, c.Author)
	add(annoComment, c.Comment)
	add(annoOriginalName, im.src.Original)
	if im.registry != "" {
		add(annoRegistryURL, im.registry)
	}
	add(annoRepository, im.repository)
	add(annoImageID, im.imageID)
	add(annoParentImageID, im.parentID)
	add(annoManifestHash, im.manifestHash)
	add(annoTag, im.tag)
	if c.Config.Entrypoint.present {
		add(annoEntrypoint, jsonString(c.Config.Entrypoint.list))
	}
	if c.Config.Cmd.present {
		add(annoCmd, jsonString(c.Config.Cmd.list))
	}
	if err := m.AssertValid(); err != nil {
		return nil, errkind.Invalidf("image config does not map to a valid AppC manifest: %w", err)
	}
	return m, nil
}

// mapApp builds the app section. An image without Entrypoint and Cmd gets
// an app without exec (exec is optional in AppC): it keeps its user,
// environment and ports, and runs with a command given to the executor.
func mapApp(rc *runConfig, lg *log.Logger) *types.App {
	var exec types.Exec
	exec = append(append(exec, rc.Entrypoint.list...), rc.Cmd.list...)
	if len(exec) == 0 {
		lg.Infof("image has no Entrypoint or Cmd: the ACI's app has no exec")
	}
	app := &types.App{Exec: exec, User: "0", Group: "0", WorkingDirectory: rc.WorkingDir}
	if rc.User != "" {
		u, g, ok := strings.Cut(rc.User, ":")
		if !ok || g == "" {
			g = u
		}
		if u == "" {
			u = "0"
		}
		app.User, app.Group = u, g
	}
	if app.WorkingDirectory != "" && !strings.HasPrefix(app.WorkingDirectory, "/") {
		app.WorkingDirectory = "/" + app.WorkingDirectory
	}
	for _, kv := range rc.Env {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			continue
		}
		app.Environment.Set(k, v)
	}
	if err := app.Environment.AssertValid(); err != nil {
		// Keep the valid ones: Docker accepts names AppC does not.
		var keep types.Environment
		for _, e := range app.Environment {
			if (types.Environment{e}).AssertValid() == nil {
				keep = append(keep, e)
			} else {
				lg.Warnf("environment variable %q dropped: not a valid AppC name", e.Name)
			}
		}
		app.Environment = keep
	}
	app.Ports = mapPorts(rc, lg)
	app.MountPoints = mapVolumes(rc.Volumes)
	if len(rc.Labels) > 0 {
		app.UserLabels = types.UserLabels(rc.Labels)
	}
	return app
}

func mapPorts(rc *runConfig, lg *log.Logger) []types.Port {
	specs := make([]string, 0, len(rc.ExposedPorts))
	for p := range rc.ExposedPorts {
		specs = append(specs, p)
	}
	if rc.ExposedPorts == nil {
		specs = append(specs, rc.PortSpecs...)
	}
	var ports []types.Port
	seen := map[string]bool{}
	for _, s := range specs {
		num, proto, ok := strings.Cut(s, "/")
		if !ok || proto == "" {
			proto = "tcp"
		}
		n, err := strconv.ParseUint(num, 10, 16)
		if err != nil || n == 0 {
			lg.Warnf("exposed port %q skipped: not a port number", s)
			continue
		}
		nm, err := types.SanitizeACName(fmt.Sprintf("%d-%s", n, proto))
		if err != nil || seen[nm] {
			continue
		}
		seen[nm] = true
		ports = append(ports, types.Port{Name: types.ACName(nm), Protocol: proto, Port: uint(n), Count: 1})
	}
	sort.Slice(ports, func(i, j int) bool { return ports[i].Name < ports[j].Name })
	return ports
}

func mapVolumes(vols map[string]struct{}) []types.MountPoint {
	paths := make([]string, 0, len(vols))
	for p := range vols {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	var mps []types.MountPoint
	used := map[string]bool{}
	for _, p := range paths {
		base, err := types.SanitizeACName("volume/" + p)
		if err != nil {
			continue
		}
		nm := base
		for i := 2; used[nm]; i++ {
			nm = fmt.Sprintf("%s-%d", base, i)
		}
		used[nm] = true
		mps = append(mps, types.MountPoint{Name: types.ACName(nm), Path: p})
	}
	sort.Slice(mps, func(i, j int) bool { return mps[i].Name < mps[j].Name })
	return mps
}
