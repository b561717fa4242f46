// Package sandbox is acrun's process-isolation layer: it runs a pod (apps
// sharing pid, network, ipc and uts namespaces) with each app pivot_root'ed
// into its own, already rendered, root file system, and owns everything from
// namespace creation to the app's exec: /proc (sensitive paths masked or
// read-only), a read-only /sys, a minimal /dev, volumes, /etc/hosts and
// /etc/resolv.conf, the hostname, user and groups, capabilities,
// no_new_privs, oom_score_adj and per-app cgroup limits (internal/cgroup).
// It does not render images, configure networks beyond lo, or know
// manifests: the caller turns those into a PodSpec.
//
// Design: Start creates the pod's cgroups and executes Options.Self (a
// small helper such as acrun-init, else the running binary) in "init" mode
// in new pid, uts and ipc namespaces, in the host's mount namespace (which
// it never changes) and network namespace; while it starts up, the caller's
// Options.Prepare may finish the pod (roots, network). That process is pid
// 1 of the pod: it starts each app (and handler) from a thread of its own
// that joins the pod's network namespace (new, given or the host's),
// unshares a mount namespace, enters the app's cgroups, builds the file
// system view and drops the bounding set, then forks the program with the
// app's identity; the child inherits all of it, and the thread ends (see
// spawn in app.go: no setup program is executed, and no process is moved
// between cgroups, which costs a global kernel lock, see birth.go).
// Init forwards SIGINT, SIGTERM and friends to the apps' main processes,
// reaps every zombie, runs pre-start and post-stop handlers in the app's
// environment, and reports each app's start and exit to the parent as JSON
// lines on a pipe. The pod ends when its apps have ended.
//
// Because Self may be the running binary, every program that calls Start
// must call Init first thing in main (tests: in TestMain); Init returns at
// once in a normal run.
//
//	func main() {
//		sandbox.Init()
//		...
//		caps, _ := sandbox.ComputeCaps(nil, []string{"NET_RAW"})
//		pod, err := sandbox.Start(ctx, &sandbox.PodSpec{
//			Hostname: "web",
//			Hosts:    []byte("127.0.0.1 localhost web\n"),
//			Apps: []sandbox.AppSpec{{
//				Name: "web", Root: rootfs, Exec: []string{"/bin/httpd", "-f"},
//				Env: env, User: "www", Group: "www", Caps: &caps,
//				Memory: 64 << 20, Stdout: os.Stdout, Stderr: os.Stderr,
//			}},
//		}, &sandbox.Options{Log: logger})
//		...
//		statuses, err := pod.Wait() // or pod.Stop(10 * time.Second)
//
// API: Start (Options.Prepare), Pod.WaitApps, Pod.Wait, Pod.Signal,
// Pod.Stop, Pod.Pid, Pod.AppPid, Pod.CgroupDirs, NewNetNS, Enter (run a command inside a running app, for
// `acrun enter`), ResolveIdentity, ComputeCaps/ParseCaps/DefaultCaps/AllCaps.
// Everything is Linux-only; elsewhere Start and Enter return an error.
package sandbox
