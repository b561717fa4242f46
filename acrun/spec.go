package main

import (
	"fmt"
	"io"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/acikit/acikit/internal/errkind"
	"github.com/acikit/acikit/internal/log"
	"github.com/acikit/acikit/internal/pod"
	"github.com/acikit/acikit/internal/sandbox"
	"github.com/acikit/acikit/internal/schema"
	"github.com/acikit/acikit/internal/schema/types"
)

// emptyPrefix marks a mount source that is an empty volume, resolved to
// the pod directory once it exists.
const emptyPrefix = "empty-volume:"

// effectiveApp is the image's app with the command line's overrides, as
// it goes into the pod manifest.
func effectiveApp(m *schema.ImageManifest, po *podOpts, a *appOpts) (*types.App, error) {
	var app types.App
	src := m.App
	if a.podApp != nil {
		src = a.podApp // a pod manifest's app replaces the image's (pods.md)
	}
	switch {
	case src != nil:
		app = *src
		app.Exec = slices.Clone(app.Exec)
		app.Environment = slices.Clone(app.Environment)
		app.Isolators = slices.Clone(app.Isolators)
	case a.exec == "":
		return nil, errkind.Usagef("image %s has no app to run: give --exec", m.Name)
	default:
		app = types.App{User: "0", Group: "0"}
	}
	switch {
	case a.exec != "":
		app.Exec = append([]string{a.exec}, a.args...)
	case len(app.Exec) == 0:
		// Valid (exec is optional), but there is nothing to run: such an
		// image serves as a dependency, or runs with --exec.
		return nil, errkind.Usagef("image %s has no exec: it cannot run alone without --exec", m.Name)
	case a.argsGiven:
		app.Exec = append(app.Exec[:1:1], a.args...)
	}
	for _, s := range []struct {
		dst *string
		v   string
	}{{&app.User, a.user}, {&app.Group, a.group}, {&app.WorkingDirectory, a.workingDir}} {
		if s.v != "" {
			*s.dst = s.v
		}
	}
	if a.supplementaryGIDs != "" {
		app.SupplementaryGIDs = nil
		for _, g := range strings.Split(a.supplementaryGIDs, ",") {
			n, err := strconv.Atoi(g)
			if err != nil || n < 0 {
				return nil, errkind.Usagef("--supplementary-gids %s: %q is not a group ID", a.supplementaryGIDs, g)
			}
			app.SupplementaryGIDs = append(app.SupplementaryGIDs, n)
		}
	}
	for _, kv := range slices.Concat(po.fileEnv, po.env, a.env) {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, errkind.Usagef("--set-env %q: want NAME=VALUE", kv)
		}
		app.Environment.Set(k, v)
	}
	set := func(flag, given, name string, value any, drop ...string) error {
		iso, err := types.NewIsolator(name, value)
		if err != nil {
			return errkind.Usagef("%s %s: %v", flag, given, err)
		}
		// A flag is held to the stricter checks too (no negative limit).
		if ws := (types.Isolators{*iso}).Lint(true); len(ws) > 0 {
			return errkind.Usagef("%s %s: %v", flag, given, ws[0])
		}
		app.Isolators = slices.DeleteFunc(app.Isolators, func(i types.Isolator) bool {
			return string(i.Name) == name || slices.Contains(drop, string(i.Name))
		})
		app.Isolators = append(app.Isolators, *iso)
		return nil
	}
	var errs []error
	if a.memory != "" {
		errs = append(errs, set("--memory", a.memory, types.ResourceMemoryName, map[string]string{"limit": a.memory}))
	}
	if a.cpu != "" {
		errs = append(errs, set("--cpu", a.cpu, types.ResourceCPUName, map[string]string{"limit": a.cpu}))
	}
	for _, n := range []struct{ flag, name, v string }{{"--cpu-shares", types.CPUSharesName, a.cpuShares}, {"--oom-score-adj", types.OOMScoreAdjName, a.oomScoreAdj}} {
		if n.v == "" {
			continue
		}
		i, err := strconv.Atoi(n.v)
		if err != nil {
			return nil, errkind.Usagef("%s %q: not an integer", n.flag, n.v)
		}
		errs = append(errs, set(n.flag, n.v, n.name, i))
	}
	if a.capsRetain != "" && a.capsRemove != "" {
		return nil, errkind.Usagef("--caps-retain and --caps-remove cannot be combined")
	}
	if a.capsRetain != "" {
		errs = append(errs, set("--caps-retain", a.capsRetain, types.CapabilitiesRetainSetName, map[string][]string{"set": capNames(a.capsRetain)}, types.CapabilitiesRemoveSetName))
	}
	if a.capsRemove != "" {
		errs = append(errs, set("--caps-remove", a.capsRemove, types.CapabilitiesRemoveSetName, map[string][]string{"set": capNames(a.capsRemove)}, types.CapabilitiesRetainSetName))
	}
	if a.noNewPrivs {
		errs = append(errs, set("--no-new-privileges", "", types.NoNewPrivilegesName, true))
	}
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	if err := app.AssertValid(); err != nil {
		return nil, errkind.Mark(fmt.Errorf("app of image %s: %w", m.Name, err), errkind.Usage)
	}
	return &app, nil
}

// capNames normalizes "net_raw,CAP_CHOWN" to the spec's CAP_ names.
func capNames(s string) []string {
	var out []string
	for _, c := range strings.Split(s, ",") {
		c = strings.ToUpper(strings.TrimSpace(c))
		if c == "" {
			continue
		}
		if !strings.HasPrefix(c, "CAP_") {
			c = "CAP_" + c
		}
		out = append(out, c)
	}
	return out
}

// planMounts matches --mount flags and the image's mount points with the
// pod's volumes. A mount point without a volume gets an empty volume of its
// own (in po.vols), as rkt gave it.
func (p *prepared) planMounts(lg *log.Logger, po *podOpts) error {
	find := func(name string) *types.Volume {
		for i := range po.vols {
			if string(po.vols[i].Name) == name {
				return &po.vols[i]
			}
		}
		return nil
	}
	add := func(v *types.Volume, target string, ro bool) {
		src := v.Source
		if v.Kind == types.VolumeEmpty {
			src = emptyPrefix + string(v.Name)
		}
		p.rtMounts = append(p.rtMounts, schema.Mount{Volume: v.Name, Path: target})
		p.mounts = append(p.mounts, sandbox.Mount{Source: src, Target: target, ReadOnly: v.IsReadOnly() || ro,
			Recursive: v.Kind == types.VolumeHost && v.IsRecursive()})
	}
	for _, s := range append(slices.Clone(po.mounts), p.opts.mounts...) {
		_, kv, err := keyValues(s, false)
		if err != nil {
			return err
		}
		name, target := kv["volume"], kv["target"]
		if name == "" || target == "" || len(kv) != 2 {
			return errkind.Usagef("--mount %s: want volume=NAME,target=PATH", s)
		}
		v := find(name)
		if v == nil {
			return errkind.Usagef("--mount %s: no volume %s (add --volume %s,kind=...)", s, name, name)
		}
		if !path.IsAbs(target) {
			// As in rkt: target=data is /data in the app.
			target = "/" + target
		}
		// The image's read-only mount point at that path stays read-only
		// under the volume that replaces it, as in rkt.
		ro := slices.ContainsFunc(p.app.MountPoints, func(mp types.MountPoint) bool {
			return mp.ReadOnly && path.Clean(mp.Path) == path.Clean(target)
		})
		add(v, target, ro)
	}
	for _, mp := range p.app.MountPoints {
		if slices.ContainsFunc(p.mounts, func(m sandbox.Mount) bool { return path.Clean(m.Target) == path.Clean(mp.Path) }) {
			continue
		}
		v := find(string(mp.Name))
		if v == nil {
			// Named after the app too, so two apps' mount points of one
			// name get one volume each.
			name := p.name + "-" + string(mp.Name)
			if find(name) != nil {
				return errkind.Usagef("app %s: mount point %s (%s) has no volume, and the name of its implicit volume %s is taken: add --volume %s,kind=empty",
					p.name, mp.Name, mp.Path, name, mp.Name)
			}
			lg.Warnf("app %s: mount point %s (%s) has no volume: using an empty volume %s, removed with the pod (give --volume %s,kind=... to choose)",
				p.name, mp.Name, mp.Path, name, mp.Name)
			po.vols = append(po.vols, types.Volume{Name: types.ACName(name), Kind: types.VolumeEmpty})
			v = &po.vols[len(po.vols)-1]
		}
		add(v, mp.Path, mp.ReadOnly)
	}
	return nil
}

// makeEmptyVolumes creates the pod's empty volumes, with their mode and
// owner.
func makeEmptyVolumes(pd *pod.Pod, vols []types.Volume) error {
	for _, v := range vols {
		if v.Kind != types.VolumeEmpty {
			continue
		}
		dir := pd.Path("volumes", string(v.Name))
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return err
		}
		mode := uint64(0o755)
		if v.Mode != nil {
			m, err := strconv.ParseUint(*v.Mode, 8, 32)
			if err != nil {
				return errkind.Usagef("volume %s: mode %q is not octal", v.Name, *v.Mode)
			}
			mode = m
		}
		uid, gid := 0, 0
		if v.UID != nil {
			uid = *v.UID
		}
		if v.GID != nil {
			gid = *v.GID
		}
		if err := os.Chown(dir, uid, gid); err != nil {
			return err
		}
		if err := os.Chmod(dir, os.FileMode(mode)&os.ModePerm); err != nil {
			return err
		}
	}
	return nil
}

// podSpec turns the prepared apps into the sandbox's PodSpec. flush writes
// out the last partial line of each prefixed output.
func podSpec(lg *log.Logger, po *podOpts, pd *pod.Pod, preps []*prepared, mdsURL, nsPath string, stdout, stderr io.Writer) (*sandbox.PodSpec, func(), error) {
	hostname := podHostname(po, pd.UUID)
	spec := &sandbox.PodSpec{
		Hostname: hostname,
		NetNS:    nsPath,
		Hosts:    defaultHosts(hostname),
		Cgroup:   "acikit/pod-" + pd.UUID,
	}
	if len(po.dns) > 0 || len(po.dnsSearch) > 0 || len(po.dnsOpt) > 0 || po.dnsDomain != "" {
		// rkt's file: any of the flags makes it, from the flags alone.
		var b strings.Builder
		for _, d := range po.dns {
			fmt.Fprintf(&b, "nameserver %s\n", d)
		}
		if po.dnsDomain != "" {
			fmt.Fprintf(&b, "domain %s\n", po.dnsDomain)
		}
		if len(po.dnsSearch) > 0 {
			fmt.Fprintf(&b, "search %s\n", strings.Join(po.dnsSearch, " "))
		}
		if len(po.dnsOpt) > 0 {
			fmt.Fprintf(&b, "options %s\n", strings.Join(po.dnsOpt, " "))
		}
		spec.ResolvConf = []byte(b.String())
	} else if b, err := os.ReadFile("/etc/resolv.conf"); err == nil {
		spec.ResolvConf = b
	}
	var mu sync.Mutex
	var flushers []*prefixWriter
	for _, p := range preps {
		as := sandbox.AppSpec{
			Name: p.name, Exec: p.app.Exec, Env: appEnv(po, p, mdsURL),
			WorkingDir: p.app.WorkingDirectory, User: p.app.User, Group: p.app.Group,
			SupplementaryGIDs: p.app.SupplementaryGIDs, Mounts: p.mounts, ReadOnlyRootFS: p.opts.readOnlyRootFS,
			Stdout: stdout, Stderr: stderr,
		}
		if len(preps) > 1 {
			o := &prefixWriter{mu: &mu, w: stdout, prefix: p.name + ": "}
			e := &prefixWriter{mu: &mu, w: stderr, prefix: p.name + ": "}
			as.Stdout, as.Stderr = o, e
			flushers = append(flushers, o, e)
		}
		if po.interactive {
			as.Stdin = os.Stdin
			if fi, err := os.Stdin.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
				as.Terminal = true
			}
		}
		for _, h := range p.app.EventHandlers {
			switch h.Name {
			case types.EventPreStart:
				as.PreStart = h.Exec
			case types.EventPostStop:
				as.PostStop = h.Exec
			}
		}
		if p.rootfs != nil {
			as.Root = p.rootfs.Path
		}
		if err := applyIsolators(lg, p, &as); err != nil {
			return nil, nil, err
		}
		spec.Apps = append(spec.Apps, as)
	}
	flush := func() {
		for _, f := range flushers {
			f.flush()
		}
	}
	return spec, flush, nil
}

// applyIsolators enforces what the sandbox can and says what it cannot.
func applyIsolators(lg *log.Logger, p *prepared, as *sandbox.AppSpec) error {
	var retain, remove []string
	for _, iso := range p.app.Isolators {
		switch string(iso.Name) {
		case types.ResourceMemoryName:
			as.Memory, _ = iso.Memory()
		case types.ResourceCPUName:
			as.CPUMillis, _ = iso.CPUMillis()
		case types.CPUSharesName:
			n, _ := iso.CPUShares()
			as.CPUShares = int64(n)
		case types.OOMScoreAdjName:
			n, _ := iso.OOMScoreAdj()
			as.OOMScoreAdj = &n
		case types.NoNewPrivilegesName:
			as.NoNewPrivs, _ = iso.NoNewPrivileges()
		case types.CapabilitiesRetainSetName, types.CapabilitiesRemoveSetName:
			cs, _ := iso.Capabilities()
			if cs.Retain {
				retain = append(retain, cs.Set...)
			} else {
				remove = append(remove, cs.Set...)
			}
		default:
			lg.Warnf("app %s: isolator %s is not enforced", p.name, iso.Name)
		}
	}
	if len(retain) > 0 || len(remove) > 0 {
		caps, err := sandbox.ComputeCaps(retain, remove)
		if err != nil {
			return fmt.Errorf("app %s: %w", p.name, err)
		}
		as.Caps = &caps
	}
	return nil
}

// appEnv is the app's environment: the spec's PATH, acrun's own with
// --inherit-env, the image's and the flags' (the pod manifest's), then
// the spec's AC_APP_NAME, AC_METADATA_URL and container.
func appEnv(po *podOpts, p *prepared, mdsURL string) []string {
	var keys []string
	vals := map[string]string{}
	set := func(k, v string) {
		if _, ok := vals[k]; !ok {
			keys = append(keys, k)
		}
		vals[k] = v
	}
	set("PATH", defaultPath)
	if po.inheritEnv {
		for _, kv := range os.Environ() {
			if k, v, ok := strings.Cut(kv, "="); ok {
				set(k, v)
			}
		}
	}
	for _, e := range p.app.Environment {
		set(e.Name, e.Value)
	}
	set("AC_APP_NAME", p.name)
	set("AC_METADATA_URL", mdsURL)
	set("container", "acrun")
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		out = append(out, k+"="+vals[k])
	}
	return out
}

// podHostname is --hostname, else acrun-UUID.
func podHostname(po *podOpts, uuid string) string {
	if po.hostname != "" {
		return po.hostname
	}
	return "acrun-" + uuid
}

// hostsVolume is the --hosts-entry file in the pod directory's volumes: a
// name no volume can have (volume names are AC names).
const hostsVolume = ".hosts"

// defaultHosts is the /etc/hosts an app gets when its image has none.
func defaultHosts(hostname string) []byte {
	return fmt.Appendf(nil, "127.0.0.1\tlocalhost %s\n::1\tlocalhost ip6-localhost ip6-loopback\n", hostname)
}

// hostsFile is the pod's /etc/hosts for --hosts-entry (nil without it):
// the host's file, or the default entries and the flags'. Unlike the
// default file it replaces the image's, as rkt's did.
func hostsFile(po *podOpts, hostname string) ([]byte, error) {
	switch {
	case len(po.hostsEntries) == 0:
		return nil, nil
	case po.hostsEntries[0] == "host":
		b, err := os.ReadFile("/etc/hosts")
		if err != nil {
			return nil, fmt.Errorf("--hosts-entry host: %w", err)
		}
		return b, nil
	}
	b := defaultHosts(hostname)
	for _, h := range po.hostsEntries {
		ip, name, _ := strings.Cut(h, "=")
		b = fmt.Appendf(b, "%s\t%s\n", ip, name)
	}
	return b, nil
}

// readEnvFiles reads --set-env-file: NAME=VALUE lines; blank lines and
// lines starting with # are skipped.
func readEnvFiles(stdin io.Reader, files []string) ([]string, error) {
	var env []string
	for _, f := range files {
		var b []byte
		var err error
		if f == "-" {
			b, err = io.ReadAll(io.LimitReader(stdin, 1<<20))
		} else {
			b, err = os.ReadFile(f)
		}
		if err != nil {
			return nil, fmt.Errorf("--set-env-file: %w", err)
		}
		for i, line := range strings.Split(string(b), "\n") {
			line = strings.TrimSuffix(line, "\r")
			if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
				continue
			}
			if k, _, ok := strings.Cut(line, "="); !ok || k == "" || strings.ContainsAny(k, " \t") {
				return nil, errkind.Usagef("--set-env-file %s:%d: want NAME=VALUE, got %q", f, i+1, line)
			}
			env = append(env, line)
		}
	}
	return env, nil
}
