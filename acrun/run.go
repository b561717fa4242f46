package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/acikit/acikit/internal/atomicfile"
	"github.com/acikit/acikit/internal/cli"
	"github.com/acikit/acikit/internal/errkind"
	"github.com/acikit/acikit/internal/fetch"
	"github.com/acikit/acikit/internal/log"
	"github.com/acikit/acikit/internal/metadata"
	"github.com/acikit/acikit/internal/netcni"
	"github.com/acikit/acikit/internal/pod"
	"github.com/acikit/acikit/internal/render"
	"github.com/acikit/acikit/internal/sandbox"
	"github.com/acikit/acikit/internal/schema"
	"github.com/acikit/acikit/internal/schema/types"
)

// defaultPath is the spec's PATH for every app.
const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// netnsDir holds the pods' network namespaces.
const netnsDir = "/run/acikit/netns"

func runCommand(r *runner) *ucli.Command {
	return cli.AllowFlagsAfterArgs(&ucli.Command{
		Name:      "run",
		Usage:     "run images as a pod (the default command)",
		ArgsUsage: "[pod flags] IMAGE [app flags] [-- ARGS...] [--- IMAGE [app flags] [-- ARGS...]]...",
		Description: `IMAGE is a file (its signature IMAGE.asc beside it), an image ID or name in the store, or
a name or URL fetched and verified as acfetch does. Flags marked [app] go after the image they
apply to; --mount and --set-env apply to every app before the first image and to one app after
it. Arguments after "--" replace the image's; "---" starts the next app.`,
		SkipFlagParsing: true,
		Flags:           helpFlags(),
		Action: func(c *ucli.Context) error {
			po, apps, err := parseRun(c.Args().Slice())
			if errors.Is(err, errHelp) {
				return ucli.ShowCommandHelp(c.Lineage()[1], "run")
			}
			if err != nil {
				return err
			}
			if po.podManifest != "" {
				if apps, err = readPodManifest(c, po); err != nil {
					return err
				}
			}
			return r.run(c, po, apps)
		},
	})
}

// prepared is one app ready to start.
type prepared struct {
	opts     *appOpts
	name     string
	id       string
	tree     *render.Tree
	app      *types.App
	rootfs   *render.Rootfs
	mounts   []sandbox.Mount
	rtMounts []schema.Mount
}

func (r *runner) run(c *ucli.Context, po *podOpts, apps []*appOpts) error {
	ctx := c.Context
	// A closed stdout or stderr (acrun ... | head) must not kill acrun
	// with SIGPIPE while it supervises a pod, which would leave the pod
	// to gc: writes fail with EPIPE instead, an app whose output acrun
	// copies gets its own SIGPIPE, and the pod ends as usual. (A handled
	// signal is reset to the default in the pod's init and apps.)
	sigpipe := make(chan os.Signal, 1)
	signal.Notify(sigpipe, syscall.SIGPIPE)
	defer signal.Stop(sigpipe)
	level := log.LevelInfo
	for _, l := range c.Lineage() {
		po.debug = po.debug || l.Bool("debug")
		po.quiet = po.quiet || l.Bool("quiet")
	}
	if po.debug {
		level = log.LevelDebug
	} else if po.quiet {
		level = log.LevelWarn
	}
	stderr := cli.Stderr(c)
	lg := log.New(stderr, "acrun", level)
	t0 := time.Now()
	phase := func(what string) { lg.Debugf("%s (%.1f ms)", what, float64(time.Since(t0).Microseconds())/1000) }

	ins, err := cli.ParseInsecure(po.insecure)
	if err != nil {
		return err
	}
	host, nets, err := parseNet(po.net)
	if err != nil {
		return err
	}
	if len(po.ports) > 0 && (host || len(nets) == 0) {
		return errkind.Usagef("--port needs a network (not --net=%s)", po.net)
	}
	if po.fileEnv, err = readEnvFiles(cli.Stdin(c), po.envFiles); err != nil {
		return err
	}
	vols, err := parseVolumes(po.volumes)
	if err != nil {
		return err
	}
	po.vols = vols

	// Images: find, verify, render.
	st, err := openStore(po.storeDir, c)
	if err != nil {
		return err
	}
	f, err := fetch.New(fetch.Options{
		Store: st, Trust: trustStore(po.trustDir, po.systemTrustDir), Pull: fetch.PullNew, Log: lg, Stdin: cli.Stdin(c),
		Insecure:    fetch.Insecure{Image: ins.Image, TLS: ins.TLS, HTTP: ins.HTTP, PubKey: ins.PubKey},
		ReadTimeout: idleTime(po.idleTimeout),
	})
	if err != nil {
		return err
	}
	ims := &images{st: st, fetcher: f, insecure: ins, log: lg, cacheDir: filepath.Join(st.Dir(), "trees")}
	var preps []*prepared
	names := map[string]bool{}
	for _, a := range apps {
		id, err := ims.resolve(ctx, a.image)
		if err != nil {
			return err
		}
		// Before rendering: an image for another system is not extracted.
		im, err := st.Get(id)
		if err != nil {
			return err
		}
		if err := checkOSArch(im); err != nil {
			return err
		}
		tree, err := ims.render(ctx, id)
		if err != nil {
			return err
		}
		p := &prepared{opts: a, id: id, tree: tree, name: a.name}
		if p.name == "" {
			p.name = path.Base(string(tree.Manifest.Name))
		}
		if _, err := types.NewACName(p.name); err != nil {
			return errkind.Usagef("app name %q (use --name): %v", p.name, err)
		}
		if names[p.name] {
			return errkind.Usagef("two apps are named %q: give one of them --name", p.name)
		}
		names[p.name] = true
		if p.app, err = effectiveApp(tree.Manifest, po, a); err != nil {
			return err
		}
		preps = append(preps, p)
	}
	phase("images resolved and rendered")
	ports, exposed, err := parsePorts(po.ports, preps)
	if err != nil {
		return err
	}
	for _, p := range preps {
		if err := p.planMounts(lg, po); err != nil {
			return err
		}
		if len(po.hostsEntries) > 0 {
			p.mounts = append(p.mounts, sandbox.Mount{Source: emptyPrefix + hostsVolume, Target: "/etc/hosts"})
		}
	}
	pm := schema.BlankPodManifest()
	pm.Volumes, pm.Ports, pm.Annotations = po.vols, exposed, po.annotations
	for _, p := range preps {
		iname := p.tree.Manifest.Name
		pm.Apps = append(pm.Apps, schema.RuntimeApp{
			Name:           types.ACName(p.name),
			Image:          schema.RuntimeImage{ID: types.MustHash(p.id), Name: &iname, Labels: p.tree.Manifest.Labels},
			App:            p.app,
			ReadOnlyRootFS: p.opts.readOnlyRootFS,
			Mounts:         p.rtMounts,
			Annotations:    p.opts.annotations,
		})
	}
	pmBytes, err := json.Marshal(pm)
	if err != nil {
		return errkind.Mark(fmt.Errorf("pod manifest: %w", err), errkind.Invalid)
	}

	// The pod directory.
	pods, err := openPods(po.podDir)
	if err != nil {
		return err
	}
	uuid := pod.NewUUID()
	pd, err := pods.Create(uuid)
	if err != nil {
		return err
	}
	defer pd.Unlock()
	if !po.quiet {
		fmt.Fprintln(stderr, uuid)
	}
	if err := saveUUID(cli.Stdout(c), po.uuidFile, uuid); err != nil {
		pd.Unlock()
		os.RemoveAll(pd.Dir)
		return err
	}
	status := &pod.Status{UUID: uuid, Created: time.Now().UTC()}
	for _, p := range preps {
		status.Apps = append(status.Apps, pod.AppStatus{Name: p.name, ImageName: string(p.tree.Manifest.Name), ImageID: p.id})
	}
	if len(nets) > 0 {
		// --net=none needs no file: see sandbox.NewNetNS.
		status.NetNS = filepath.Join(netnsDir, uuid)
	}
	netOpts := netcni.Options{ConfDir: po.netConfDir, PluginDirs: cniPath(po.cniPath), StateDir: netStateDir(pods), Log: lg}
	if len(nets) > 0 {
		status.NetStateDir, status.PluginDirs, status.NetConfDir = netOpts.StateDir, netOpts.PluginDirs, netOpts.ConfDir
	}
	// Recorded before anything is made, so gc can undo it after a crash.
	if err := errors.Join(pd.WriteManifest(pmBytes), pd.WriteStatus(status), pd.SetState(pod.Run)); err != nil {
		pd.Cleanup(ctx, lg)
		os.RemoveAll(pd.Dir)
		return err
	}
	phase("pod directory ready")
	code, err := r.start(ctx, lg, phase, c, po, pd, status, preps, pmBytes, host, nets, ports, netOpts)
	phase("pod ended")
	if err != nil && code >= 0 {
		// The apps could not start: the pod is kept for status, the
		// error reported, and the exit code says the app never ran.
		for i := range status.Apps {
			status.Apps[i].Exited, status.Apps[i].ExitCode, status.Apps[i].Error = true, code, err.Error()
		}
		cli.Report(stderr, "acrun", err)
	}
	cerr := pd.Cleanup(context.WithoutCancel(ctx), lg)
	if cerr != nil {
		lg.Warnf("pod %s: cleanup: %v (acrun gc retries)", uuid, cerr)
	}
	if code < 0 {
		// The pod never ran: nothing to keep.
		if cerr == nil {
			os.RemoveAll(pd.Dir)
		}
		return err
	}
	if !r.statusWritten {
		status.Exited = time.Now().UTC()
		if err := pd.WriteStatus(status); err != nil {
			lg.Warnf("pod %s: %v", uuid, err)
		}
	}
	if err := pd.SetState(pod.Exited); err != nil {
		lg.Warnf("pod %s: %v", uuid, err)
	}
	r.exitCode = code
	phase("cleaned up")
	return nil
}

// start sets up the pod's mounts, network and metadata service, runs it and
// returns the exit code (-1 when it never ran).
func (r *runner) start(ctx context.Context, lg *log.Logger, phase func(string), c *ucli.Context, po *podOpts, pd *pod.Pod,
	status *pod.Status, preps []*prepared, pmBytes []byte, host bool, nets []string, ports []netcni.PortMapping, netOpts netcni.Options) (int, error) {
	// The pod's init starts up while the app roots, the network and the
	// metadata service are made (sandbox.Options.Prepare); the roots and
	// the network do not depend on each other either. A failure of any is
	// undone by the pod's cleanup, which waits for all.
	roots := make(chan error, 1)
	go func() { roots <- makeRoots(pd, po, preps) }()
	rootsDone := false
	spec, flush, err := podSpec(lg, po, pd, preps, "", "", cli.Stdout(c), cli.Stderr(c))
	if err != nil {
		<-roots
		return -1, err
	}
	var prepErr error
	var hs *http.Server
	closeNS := func() {}
	defer func() {
		closeNS()
		if hs != nil {
			hs.Close()
		}
	}()
	prepare := func() error {
		var nsPath string
		var ln net.Listener
		nsPath, ln, closeNS, prepErr = r.network(ctx, pd, status, host, nets, ports, netOpts)
		rerr := <-roots
		rootsDone = true
		if prepErr == nil {
			prepErr = rerr
		}
		if prepErr == nil {
			hs, prepErr = metadataServer(pd, preps, pmBytes, ln)
		}
		if prepErr != nil {
			if ln != nil {
				ln.Close()
			}
			return prepErr
		}
		mdsURL := hs.Handler.(*metadata.Server).URL(ln.Addr().String())
		spec.NetNS = nsPath
		for i, p := range preps {
			spec.Apps[i].Root = p.rootfs.Path
			spec.Apps[i].Env = appEnv(po, p, mdsURL)
		}
		phase("app roots, network and metadata service ready")
		return nil
	}
	sp, err := sandbox.Start(context.WithoutCancel(ctx), spec, &sandbox.Options{Log: lg, Self: initHelper(), Prepare: prepare})
	if !rootsDone {
		<-roots
	}
	if err != nil {
		flush()
		if prepErr != nil {
			return -1, prepErr
		}
		return exitAppNotStarted, err
	}
	phase("apps started")
	status.Started = time.Now().UTC()
	status.Pid = sp.Pid()
	status.Cgroups = sp.CgroupDirs("")
	// The running record (the apps' pids, for enter and status) is
	// written while the apps run, from a copy.
	running := *status
	running.Apps = slices.Clone(status.Apps)
	recorded := make(chan struct{})
	go func() {
		defer close(recorded)
		for i, p := range preps {
			running.Apps[i].Pid, _ = sp.AppPid(p.name)
		}
		if err := pd.WriteStatus(&running); err != nil {
			lg.Warnf("pod %s: %v", pd.UUID, err)
		}
	}()
	done := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			lg.Infof("stopping pod %s (SIGTERM, SIGKILL after %v)", pd.UUID, po.stopTimeout)
			sp.Stop(po.stopTimeout)
		case <-sp.Failed():
			// A pod fails as one, as in rkt: the first app to fail stops
			// the others, and its code is acrun's.
			if len(preps) > 1 {
				lg.Infof("app %s failed: stopping pod %s (SIGTERM, SIGKILL after %v)", sp.FailedApp(), pd.UUID, po.stopTimeout)
			}
			sp.Stop(po.stopTimeout)
		case <-done:
		}
	}()
	results := sp.WaitApps()
	// The statuses are final: the pod's record is written and the app
	// roots go while the pod's init ends (each waits on the kernel: the
	// overlay's sync, the namespaces' teardown). The messages about the
	// apps' ends come after their output, below.
	appsExit(log.Discard, status, results)
	status.Exited = time.Now().UTC()
	unmounted, written := make(chan error, 1), make(chan error, 1)
	go func() { unmounted <- pd.Unmount() }()
	go func() {
		<-recorded
		for i := range status.Apps {
			status.Apps[i].Pid = running.Apps[i].Pid
		}
		written <- pd.WriteStatus(status)
	}()
	_, werr := sp.Wait()
	close(done)
	flush()
	if err := <-unmounted; err != nil {
		lg.Warnf("pod %s: %v (the cleanup retries)", pd.UUID, err)
	}
	if err := <-written; err != nil {
		lg.Warnf("pod %s: %v", pd.UUID, err)
	} else {
		r.statusWritten = true
	}
	if werr != nil {
		lg.Warnf("pod %s: %v", pd.UUID, werr)
	}
	code := appsExit(lg, status, results)
	if first := sp.FailedApp(); first != "" {
		for i, res := range results {
			if res.Name == first {
				code = status.Apps[i].ExitCode
			}
		}
	}
	return code, nil
}

// metadataServer serves the metadata service for the pod's apps on ln.
func metadataServer(pd *pod.Pod, preps []*prepared, pmBytes []byte, ln net.Listener) (*http.Server, error) {
	mapps := map[string]metadata.App{}
	for _, p := range preps {
		var ann []byte
		if merged := appAnnotations(p); len(merged) > 0 {
			ann, _ = json.Marshal(merged)
		}
		mapps[p.name] = metadata.App{ImageManifest: p.tree.Raw, ImageID: p.id, Annotations: ann}
	}
	srv, err := metadata.NewServer(metadata.Pod{UUID: pd.UUID, Manifest: pmBytes, Apps: mapps})
	if err != nil {
		return nil, err
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	go hs.Serve(ln)
	return hs, nil
}

// makeRoots makes each app's root file system and the empty volumes.
func makeRoots(pd *pod.Pod, po *podOpts, preps []*prepared) error {
	for _, p := range preps {
		rf, err := render.NewRootfs(p.tree, pd.Path("apps", p.name), render.RootfsOptions{NoOverlay: po.noOverlay})
		if err != nil {
			return err
		}
		p.rootfs = rf
		for i := range p.mounts {
			if src, ok := strings.CutPrefix(p.mounts[i].Source, emptyPrefix); ok {
				p.mounts[i].Source = pd.Path("volumes", src)
			}
		}
	}
	if err := makeEmptyVolumes(pd, po.vols); err != nil {
		return err
	}
	hosts, err := hostsFile(po, podHostname(po, pd.UUID))
	if err != nil || hosts == nil {
		return err
	}
	if err := os.MkdirAll(pd.Path("volumes"), 0o700); err != nil {
		return err
	}
	return os.WriteFile(pd.Path("volumes", hostsVolume), hosts, 0o644)
}

// network makes the pod's network namespace (every pod has one, also with
// --net=none, so the metadata service can listen in it; --net=host keeps
// the host's) with its CNI networks, and the metadata service's listener
// in it. nsPath is for PodSpec.NetNS; closeNS releases what only the
// caller holds.
func (r *runner) network(ctx context.Context, pd *pod.Pod, status *pod.Status, host bool, nets []string,
	ports []netcni.PortMapping, netOpts netcni.Options) (nsPath string, ln net.Listener, closeNS func(), err error) {
	closeNS = func() {}
	switch {
	case host:
		ln, err = net.Listen("tcp4", "127.0.0.1:0")
		return sandbox.NetHost, ln, closeNS, err
	case len(nets) == 0:
		// --net=none: a namespace held by an open file, nothing to undo.
		ns, err := sandbox.NewNetNS(func() (err error) {
			ln, err = net.Listen("tcp4", "127.0.0.1:0")
			return err
		})
		if err != nil {
			return "", nil, closeNS, err
		}
		return fmt.Sprintf("/proc/self/fd/%d", ns.Fd()), ln, func() { ns.Close() }, nil
	}
	nsPath = status.NetNS
	if err := netcni.CreateNetNS(nsPath); err != nil {
		return "", nil, closeNS, err
	}
	atts, err := netcni.Setup(ctx, pd.UUID, nsPath, nets, ports, netOpts)
	if err != nil {
		return "", nil, closeNS, err
	}
	for _, a := range atts {
		status.Networks = append(status.Networks, pod.Network{Name: a.Network, IfName: a.IfName, Addresses: a.Addrs, Gateway: a.Gateway})
	}
	ln, err = metadata.ListenInNetNS(nsPath)
	return nsPath, ln, closeNS, err
}

// appsExit records the apps' ends and picks acrun's exit code: the app's
// for one app, the first failing app's (in the order given) for several.
func appsExit(lg *log.Logger, status *pod.Status, results []sandbox.AppStatus) int {
	code := 0
	for i, s := range results {
		a := &status.Apps[i]
		a.Exited, a.ExitCode, a.OOMKilled, a.Error = true, s.ExitCode, s.OOMKilled, s.Err
		c := s.ExitCode
		switch {
		case s.Err != "":
			lg.Warnf("app %s did not run: %s", s.Name, s.Err)
			c = exitAppNotStarted
			a.ExitCode = c
		case s.OOMKilled:
			a.Signal = s.Signal.String()
			lg.Warnf("app %s was killed by the OOM killer (memory limit reached)", s.Name)
		case s.Signal != 0:
			a.Signal = s.Signal.String()
			lg.Infof("app %s was killed by signal %d (%v)", s.Name, int(s.Signal), s.Signal)
		}
		if s.PostStopErr != "" {
			lg.Warnf("app %s: post-stop: %s", s.Name, s.PostStopErr)
		}
		if code == 0 && c != 0 {
			code = c
		}
	}
	return code
}

func netStateDir(pods *pod.Pods) string {
	return filepath.Join(pods.Dir(), "net")
}

// parseNet reads --net: none, host, default or NAME[,NAME...].
func parseNet(s string) (host bool, nets []string, err error) {
	switch s {
	case "none":
		return false, nil, nil
	case "host":
		return true, nil, nil
	case "", "default":
		return false, []string{netcni.DefaultNetwork}, nil
	}
	for _, n := range strings.Split(s, ",") {
		if n == "none" || n == "host" {
			return false, nil, errkind.Usagef("--net=%s: %s cannot be combined with other networks", s, n)
		}
		if _, err := types.NewACName(n); err != nil {
			return false, nil, errkind.Usagef("--net=%s: network name %q: %v", s, n, err)
		}
		if slices.Contains(nets, n) {
			return false, nil, errkind.Usagef("--net=%s: %s given twice", s, n)
		}
		nets = append(nets, n)
	}
	return false, nets, nil
}

func parseVolumes(specs []string) ([]types.Volume, error) {
	var out []types.Volume
	for _, s := range specs {
		v, err := types.VolumeFromString(s)
		if err != nil {
			return nil, errkind.Usagef("--volume %s: %v", s, err)
		}
		for _, o := range out {
			if o.Name == v.Name {
				return nil, errkind.Usagef("--volume %s: volume %s given twice", s, v.Name)
			}
		}
		out = append(out, *v)
	}
	return out, nil
}

// parsePorts maps --port NAME:HOSTPORT to the port named in an app.
func parsePorts(specs []string, preps []*prepared) ([]netcni.PortMapping, []types.ExposedPort, error) {
	var pms []netcni.PortMapping
	var exposed []types.ExposedPort
	for _, s := range specs {
		name, hp, ok := strings.Cut(s, ":")
		n, err := strconv.Atoi(hp)
		if !ok || err != nil || n < 1 || n > 65535 {
			return nil, nil, errkind.Usagef("--port %s: want NAME:HOSTPORT", s)
		}
		var found *types.Port
		for _, p := range preps {
			for i, pt := range p.app.Ports {
				if string(pt.Name) == name {
					found = &p.app.Ports[i]
				}
			}
		}
		if found == nil {
			return nil, nil, errkind.Usagef("--port %s: no app has a port named %s", s, name)
		}
		pms = append(pms, netcni.PortMapping{HostPort: n, ContainerPort: int(found.Port), Protocol: found.Protocol})
		exposed = append(exposed, types.ExposedPort{Name: found.Name, HostPort: uint(n)})
	}
	return pms, exposed, nil
}

// prefixWriter writes whole lines, each prefixed with the app's name.
type prefixWriter struct {
	mu     *sync.Mutex
	w      io.Writer
	prefix string
	buf    []byte
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	p.buf = append(p.buf, b...)
	for {
		i := slices.Index(p.buf, '\n')
		if i < 0 {
			break
		}
		p.mu.Lock()
		_, err := fmt.Fprintf(p.w, "%s%s", p.prefix, p.buf[:i+1])
		p.mu.Unlock()
		p.buf = p.buf[i+1:]
		if err != nil {
			return len(b), err
		}
	}
	return len(b), nil
}

func (p *prefixWriter) flush() {
	if len(p.buf) > 0 {
		p.Write([]byte("\n"))
	}
}

// saveUUID writes the pod's UUID to --uuid-file-save: a file, or stdout for "-"
// (before any output of the apps, so `acrun --uuid-file-save - ... | head -1` is the UUID).
func saveUUID(stdout io.Writer, file, uuid string) error {
	switch file {
	case "":
		return nil
	case "-":
		if _, err := io.WriteString(stdout, uuid+"\n"); err != nil {
			return fmt.Errorf("write pod UUID to stdout: %w", err)
		}
		return nil
	}
	if err := atomicfile.WriteFile(file, strings.NewReader(uuid+"\n"), 0o644, true); err != nil {
		return fmt.Errorf("save pod UUID: %w", err)
	}
	return nil
}
