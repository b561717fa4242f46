//go:build linux

package sandbox

import "syscall"

// The re-exec protocol. The parent starts Self with initEnv=modeInit and
// these fds: 3 the pod config (JSON, written once Options.Prepare has
// returned), 4 the report stream (JSON lines, one per app event), 5 the control
// pipe ("kill" lines; EOF also kills the pod), 6... the apps' stdio. Init
// forks each app (and handler) itself, from a thread set up as the app's
// (see spawn).
//
// Self may be a separate program (acrun-init) built apart from its caller,
// so the mode carries the protocol's version: a change to the fds or the
// config types bumps it, and a mismatched pair fails with a clear message
// instead of misreading each other.
const (
	initEnv  = "_ACIKIT_SANDBOX"
	modeInit = "init.4"
)

// podConfig is what the parent sends to the pod's init.
type podConfig struct {
	Hostname string `json:"hostname,omitempty"`
	// NetNS is the apps' network namespace: "" a new one (lo up), NetHost
	// the host's, else a path init opens.
	NetNS string      `json:"netns,omitempty"`
	Apps  []appConfig `json:"apps"`
}

// appConfig is one app as init needs it to start it, identity resolved.
type appConfig struct {
	Name           string   `json:"name"`
	Root           string   `json:"root"`
	Argv           []string `json:"argv"`
	Env            []string `json:"env,omitempty"`
	WorkingDir     string   `json:"workingDir,omitempty"`
	UID            int      `json:"uid"`
	GID            int      `json:"gid"`
	Groups         []int    `json:"groups,omitempty"`
	Mounts         []Mount  `json:"mounts,omitempty"`
	ReadOnlyRootFS bool     `json:"readOnlyRootFS,omitempty"`
	Caps           CapSet   `json:"caps"`
	NoNewPrivs     bool     `json:"noNewPrivs,omitempty"`
	OOMScoreAdj    *int     `json:"oomScoreAdj,omitempty"`
	PreStart       []string `json:"preStart,omitempty"`
	PostStop       []string `json:"postStop,omitempty"`
	Terminal       bool     `json:"terminal,omitempty"`
	// NodevDev mounts /dev nodev with only the standard nodes usable, for
	// a pod without a devices cgroup (pure cgroup v2, no cgroups at all).
	NodevDev   bool   `json:"nodevDev,omitempty"`
	Hosts      []byte `json:"hosts,omitempty"`
	ResolvConf []byte `json:"resolvConf,omitempty"`
	// Birth places the app's processes in its cgroup as they are forked;
	// without it init writes each pid to the CgroupProcs files.
	Birth       *birthPlan `json:"birth,omitempty"`
	CgroupProcs []string   `json:"cgroupProcs,omitempty"`
	// Stdio are init's fd numbers for the app's stdin, stdout, stderr.
	Stdio [3]int `json:"stdio"`
}

// report is one line of init's report stream.
type report struct {
	App   string `json:"app"`
	Event string `json:"event"` // "started" or "exited"
	PID   int    `json:"pid,omitempty"`
	// Status is the raw wait status of an exited app.
	Status      syscall.WaitStatus `json:"status,omitempty"`
	Err         string             `json:"err,omitempty"`
	PostStopErr string             `json:"postStopErr,omitempty"`
}

// birthPlan is where a child is born (see birth): v1 tasks files the
// forking thread enters and the ones that take it home, and a v2 cgroup
// directory for clone3.
type birthPlan struct {
	Enter []string `json:"enter,omitempty"`
	Home  []string `json:"home,omitempty"`
	V2    string   `json:"v2,omitempty"`
}
