package main

import (
	"flag"
	"io"
	"net/netip"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/acikit/acikit/internal/cli"
	"github.com/acikit/acikit/internal/errkind"
	"github.com/acikit/acikit/internal/httpidle"
	"github.com/acikit/acikit/internal/sandbox"
	"github.com/acikit/acikit/internal/schema/types"
	"github.com/acikit/acikit/internal/toolflags"
)

// The run command's command line is rkt's: pod flags, then each image
// followed by its own flags and, after "--", its arguments; "---" starts
// the next image. urfave/cli cannot express that, so run parses its
// arguments with flag.FlagSets built from the definitions below, which
// also produce the help text.

type podOpts struct {
	insecure, net, hostname, uuidFile                string
	storeDir, trustDir, systemTrustDir, podDir       string
	cniPath, netConfDir                              string
	ports, dns, volumes, mounts, env                 list
	dnsSearch, dnsOpt, hostsEntries, envFiles        list
	fileEnv                                          []string // NAME=VALUE from --set-env-file
	dnsDomain                                        string
	inheritEnv, interactive, noOverlay, debug, quiet bool
	stopTimeout, idleTimeout                         time.Duration
	vols                                             []types.Volume  // parsed --volume
	set                                              map[string]bool // flags given
	podManifest                                      string          // --pod-manifest FILE
	annotations                                      types.Annotations
}

type appOpts struct {
	image                                            string
	name, exec, user, group, workingDir, memory, cpu string
	capsRetain, capsRemove, supplementaryGIDs        string
	cpuShares, oomScoreAdj                           string
	env, mounts                                      list
	noNewPrivs, readOnlyRootFS                       bool
	args                                             []string
	argsGiven                                        bool
	podApp                                           *types.App // a pod manifest's app, replacing the image's
	annotations                                      types.Annotations
}

// list is a repeatable string flag.
type list []string

func (l *list) String() string     { return strings.Join(*l, ",") }
func (l *list) Set(s string) error { *l = append(*l, s); return nil }

func podFlags(o *podOpts) *flag.FlagSet {
	fs := flag.NewFlagSet("acrun run", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&o.insecure, "insecure-options", "none", "comma list of checks to skip: none, image, tls, http, pubkey, all")
	fs.StringVar(&o.net, "net", "default", "networks: none (lo only), host, default (ptp, 172.16.28.0/24, masquerade) or NAME[,NAME...] from --net-config-dir")
	fs.Var(&o.ports, "port", "forward a host port to an app port: NAME:HOSTPORT (NAME from the image's ports; repeatable)")
	fs.Var(&o.dns, "dns", "nameserver for the pod's /etc/resolv.conf (repeatable; default: the host's file)")
	fs.Var(&o.dnsSearch, "dns-search", "search domain for the pod's /etc/resolv.conf (repeatable)")
	fs.Var(&o.dnsOpt, "dns-opt", "resolver option for the pod's /etc/resolv.conf, e.g. rotate (repeatable)")
	fs.StringVar(&o.dnsDomain, "dns-domain", "", "local domain for the pod's /etc/resolv.conf")
	fs.Var(&o.hostsEntries, "hosts-entry", "an /etc/hosts entry IP=NAME, or host for the host's file (repeatable; replaces the apps' /etc/hosts)")
	fs.StringVar(&o.hostname, "hostname", "", "the pod's host name (default acrun-UUID)")
	fs.Var(&o.volumes, "volume", "a pod volume: NAME,kind=host,source=PATH[,readOnly=true][,recursive=false] or NAME,kind=empty[,mode=0755,uid=0,gid=0] (repeatable)")
	fs.Var(&o.mounts, "mount", "mount a volume in every app: volume=NAME,target=PATH (repeatable; after an image: that app only)")
	fs.Var(&o.env, "set-env", "set NAME=VALUE in every app (repeatable; after an image: that app only)")
	fs.Var(&o.envFiles, "set-env-file", "set every app's NAME=VALUE lines of `FILE` (- for stdin; repeatable; --set-env wins)")
	fs.BoolVar(&o.inheritEnv, "inherit-env", false, "start the apps' environment from acrun's own")
	fs.StringVar(&o.uuidFile, "uuid-file-save", "", "write the pod's UUID to `FILE` (- for stdout, before the apps' output)")
	fs.DurationVar(&o.stopTimeout, "stop-timeout", 10*time.Second, "on SIGINT or SIGTERM, how long the apps get before SIGKILL")
	fs.DurationVar(&o.idleTimeout, "idle-timeout", httpidle.DefaultTimeout, "fail a network read of an image fetch that receives no byte for `DURATION` (0: never; $"+httpidle.Env+")")
	fs.BoolVar(&o.interactive, "interactive", false, "give the (only) app acrun's terminal as its stdin, stdout and controlling tty")
	fs.StringVar(&o.storeDir, "store-dir", "", "image store `DIR` (default /var/lib/acikit for root; $"+toolflags.EnvStoreDir+")")
	fs.StringVar(&o.trustDir, "trust-dir", "", "trust store `DIR` (default /etc/acikit/trustedkeys for root; $"+toolflags.EnvTrustDir+")")
	fs.StringVar(&o.systemTrustDir, "system-trust-dir", "/usr/lib/acikit/trustedkeys", "read-only vendor trust store `DIR` (\"\" for none)")
	fs.StringVar(&o.podDir, "pod-dir", "", "pods `DIR` (default /var/lib/acikit/pods; $"+envPodDir+")")
	fs.StringVar(&o.cniPath, "cni-path", "", "colon list of CNI plugin dirs (default $"+envCNIPath+", cni/ beside acrun, /usr/lib/acikit/cni, /usr/lib/cni, /opt/cni/bin)")
	fs.StringVar(&o.netConfDir, "net-config-dir", "/etc/acikit/net.d", "CNI network configs for --net=NAME")
	fs.BoolVar(&o.noOverlay, "no-overlay", false, "copy the image trees instead of mounting an overlay")
	fs.BoolVar(&o.debug, "debug", false, "print debugging messages on stderr")
	fs.BoolVar(&o.quiet, "quiet", false, "print only errors and warnings (not the pod's UUID)")
	fs.StringVar(&o.podManifest, "pod-manifest", "", "run the pod manifest `FILE` (- for stdin) instead of images; a template's apps are resolved by image name and labels")
	return fs
}

func appFlags(a *appOpts) *flag.FlagSet {
	fs := flag.NewFlagSet("acrun run IMAGE", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&a.name, "name", "", "[app] the app's name in the pod (default: the image name's last element)")
	fs.StringVar(&a.exec, "exec", "", "[app] run this command instead of the image's")
	fs.StringVar(&a.user, "user", "", "[app] user: a number, a name from the image's /etc/passwd, or a file whose owner is used")
	fs.StringVar(&a.group, "group", "", "[app] group: a number, a name from /etc/group, or a file")
	fs.StringVar(&a.supplementaryGIDs, "supplementary-gids", "", "[app] comma list of extra group IDs")
	fs.StringVar(&a.workingDir, "working-dir", "", "[app] working directory")
	fs.Var(&a.env, "set-env", "[app] set NAME=VALUE in this app (repeatable)")
	fs.Var(&a.mounts, "mount", "[app] mount a volume in this app: volume=NAME,target=PATH (repeatable)")
	fs.StringVar(&a.memory, "memory", "", "[app] memory limit (e.g. 128M, 1Gi)")
	fs.StringVar(&a.cpu, "cpu", "", "[app] CPU limit (e.g. 500m, 2)")
	fs.StringVar(&a.cpuShares, "cpu-shares", "", "[app] relative CPU weight (2-262144)")
	fs.StringVar(&a.oomScoreAdj, "oom-score-adj", "", "[app] oom_score_adj (-1000..1000)")
	fs.StringVar(&a.capsRetain, "caps-retain", "", "[app] comma list: the app's capabilities are exactly these")
	fs.StringVar(&a.capsRemove, "caps-remove", "", "[app] comma list removed from the default capability set")
	fs.BoolVar(&a.noNewPrivs, "no-new-privileges", false, "[app] set no_new_privs")
	fs.BoolVar(&a.readOnlyRootFS, "readonly-rootfs", false, "[app] mount the app's root file system read-only")
	return fs
}

// helpFlags turns both flag sets into urfave flags, for run's --help.
func helpFlags() []ucli.Flag {
	var out []ucli.Flag
	for _, fs := range []*flag.FlagSet{podFlags(&podOpts{}), appFlags(&appOpts{})} {
		fs.VisitAll(func(f *flag.Flag) {
			if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
				out = append(out, &ucli.BoolFlag{Name: f.Name, Usage: f.Usage})
				return
			}
			def := f.DefValue
			if _, ok := f.Value.(*list); ok || def == "" {
				out = append(out, &ucli.StringFlag{Name: f.Name, Usage: f.Usage})
				return
			}
			out = append(out, &ucli.StringFlag{Name: f.Name, Usage: f.Usage, Value: def})
		})
	}
	// --mount and --set-env exist at both levels; show them once.
	seen := map[string]bool{}
	return slices.DeleteFunc(out, func(f ucli.Flag) bool {
		n := f.Names()[0]
		d := seen[n]
		seen[n] = true
		return d
	})
}

// errHelp asks for run's help text.
var errHelp = flag.ErrHelp

// parseRun splits run's arguments into pod options and apps.
func parseRun(args []string) (*podOpts, []*appOpts, error) {
	po := &podOpts{}
	fs := podFlags(po)
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return nil, nil, errHelp
		}
		return nil, nil, errkind.Usagef("%v", err)
	}
	po.set = map[string]bool{}
	fs.Visit(func(f *flag.Flag) { po.set[f.Name] = true })
	if err := po.fromEnv(); err != nil {
		return nil, nil, err
	}
	rest := fs.Args()
	var apps []*appOpts
	for len(rest) > 0 {
		if rest[0] == "---" {
			rest = rest[1:]
			continue
		}
		if rest[0] == "--" {
			return nil, nil, errkind.Usagef("arguments after -- need an image before them")
		}
		a := &appOpts{image: rest[0]}
		rest = rest[1:]
		end := slices.Index(rest, "---")
		if end < 0 {
			end = len(rest)
		}
		seg, after := rest[:end], rest[end:]
		flagsPart := seg
		var argsPart []string
		dd := slices.Index(seg, "--")
		if dd >= 0 {
			flagsPart, argsPart = seg[:dd], seg[dd+1:]
		}
		afs := appFlags(a)
		if err := afs.Parse(flagsPart); err != nil {
			if err == flag.ErrHelp {
				return nil, nil, errHelp
			}
			return nil, nil, errkind.Usagef("image %s: %v", a.image, err)
		}
		apps = append(apps, a)
		if more := afs.Args(); len(more) > 0 {
			// Without "--", the next word is another image (rkt's rule);
			// the "--" arguments then belong to the last of them.
			next := slices.Clone(more)
			if dd >= 0 {
				next = append(append(next, "--"), argsPart...)
			}
			rest = append(next, after...)
			continue
		}
		if dd >= 0 {
			a.args, a.argsGiven = argsPart, true
		}
		rest = after
	}
	switch {
	case po.podManifest != "" && len(apps) > 0:
		return nil, nil, errkind.Usagef("--pod-manifest runs the manifest's apps: give no image (got %s)", apps[0].image)
	case po.podManifest != "" && po.stopTimeout < 0:
		return nil, nil, errkind.Usagef("--stop-timeout %v is negative", po.stopTimeout)
	case po.podManifest != "":
		// The apps come from the manifest: see readPodManifest.
		return po, nil, checkValues(po, nil)
	case len(apps) == 0:
		return nil, nil, errkind.Usagef("run needs at least one image")
	}
	if po.interactive && len(apps) != 1 {
		return nil, nil, errkind.Usagef("--interactive needs exactly one image, got %d", len(apps))
	}
	if po.stopTimeout < 0 {
		return nil, nil, errkind.Usagef("--stop-timeout %v is negative", po.stopTimeout)
	}
	if err := checkValues(po, apps); err != nil {
		return nil, nil, err
	}
	return po, apps, nil
}

// hostnameRE is a host name as RFC 1123 has it: dot-separated labels of
// letters, digits and inner hyphens.
var hostnameRE = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$`)

// checkValues refuses flag values that would otherwise reach the pod
// unchecked (a nameserver that is no address, a host name the kernel or
// resolvers would refuse) or fail later as an invalid image.
func checkValues(po *podOpts, apps []*appOpts) error {
	for _, d := range po.dns {
		if _, err := netip.ParseAddr(d); err != nil {
			return errkind.Usagef("--dns %q: not an IP address", d)
		}
	}
	for _, f := range []struct {
		flag string
		vs   []string
	}{{"--dns-search", po.dnsSearch}, {"--dns-opt", po.dnsOpt}, {"--dns-domain", []string{po.dnsDomain}}} {
		for _, v := range f.vs {
			// One word each: a space or newline would make another entry.
			if strings.ContainsAny(v, " \t\r\n#;") || (v == "" && f.flag != "--dns-domain") {
				return errkind.Usagef("%s %q: want one word", f.flag, v)
			}
		}
	}
	for _, h := range po.hostsEntries {
		if h == "host" {
			if len(po.hostsEntries) > 1 {
				return errkind.Usagef("--hosts-entry host cannot be combined with other entries")
			}
			continue
		}
		ip, name, _ := strings.Cut(h, "=")
		if _, err := netip.ParseAddr(ip); err != nil || !hostnameRE.MatchString(name) {
			return errkind.Usagef("--hosts-entry %q: want IP=NAME or host", h)
		}
	}
	// 64 is the kernel's limit (HOST_NAME_MAX).
	if h := po.hostname; h != "" && (len(h) > 64 || !hostnameRE.MatchString(h)) {
		return errkind.Usagef("--hostname %q: not a host name (letters, digits, inner hyphens and dots; at most 64)", h)
	}
	for _, a := range apps {
		for _, f := range []struct{ flag, v string }{{"--caps-retain", a.capsRetain}, {"--caps-remove", a.capsRemove}} {
			for _, c := range capNames(f.v) {
				if _, err := sandbox.ParseCap(c); err != nil {
					return errkind.Usagef("%s %s: unknown capability %q", f.flag, f.v, c)
				}
			}
		}
	}
	return nil
}

// keyValues parses "a=b,c=d" (after an optional leading bare word when
// first is set, returned separately).
func keyValues(s string, first bool) (string, map[string]string, error) {
	parts := strings.Split(s, ",")
	head := ""
	if first {
		head, parts = parts[0], parts[1:]
	}
	kv := map[string]string{}
	for _, p := range parts {
		k, v, ok := strings.Cut(p, "=")
		if !ok || k == "" {
			return "", nil, errkind.Usagef("%q: want key=value, got %q", s, p)
		}
		kv[k] = v
	}
	return head, kv, nil
}

// idleTime turns --idle-timeout into fetch's ReadTimeout: 0 (or less)
// turns the timeout off, which fetch spells as a negative value.
func idleTime(d time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return -1
}

// fromEnv fills the directory flags (and the idle timeout) not given from
// the environment, as the other tools do.
func (po *podOpts) fromEnv() error {
	if v := os.Getenv(httpidle.Env); v != "" && !po.set["idle-timeout"] {
		d, err := time.ParseDuration(v)
		if err != nil {
			return errkind.Usagef("$%s: %v", httpidle.Env, err)
		}
		po.idleTimeout = d
	}
	for _, e := range []struct {
		flag, env string
		dst       *string
	}{
		{"store-dir", toolflags.EnvStoreDir, &po.storeDir},
		{"trust-dir", toolflags.EnvTrustDir, &po.trustDir},
		{"system-trust-dir", toolflags.EnvSystemTrustDir, &po.systemTrustDir},
		{"pod-dir", envPodDir, &po.podDir},
		{"cni-path", envCNIPath, &po.cniPath},
	} {
		if v, ok := os.LookupEnv(e.env); ok && !po.set[e.flag] {
			*e.dst = v
		}
	}
	// Made absolute as every tool's directory flags are (cli.AbsDir).
	for _, d := range []*string{&po.storeDir, &po.trustDir, &po.systemTrustDir, &po.podDir, &po.netConfDir} {
		*d = cli.AbsDir(*d)
	}
	po.cniPath = cli.AbsPathList(po.cniPath)
	return nil
}
