// Package pod owns acrun's pod directories: a UUID per pod, the state a pod
// is in, its pod manifest and status record, and garbage collection.
//
// Layout under the pods directory (rkt's):
//
//	prepared/<uuid>   being set up (locked by its acrun)
//	run/<uuid>        running while locked; unlocked, its acrun died
//	exited/<uuid>     ended; kept for status until gc's grace period passed
//	garbage/<uuid>    being cleaned up and removed
//
// In each: "pod" (the reified pod manifest), "status.json" (Status),
// "apps/<name>/" (the app's rootfs mount, overlay upper and work dirs) and
// "volumes/<name>" (empty volumes).
//
// The acrun that owns a pod holds an exclusive flock on the pod directory
// for as long as it lives; the kernel drops it when that process dies, even
// by SIGKILL. A state change is a rename of the directory made under that
// lock, so there is exactly one winner. A pod in run/ whose lock is free
// was abandoned, and GC finishes its cleanup: it unmounts what is mounted
// below the pod directory, runs CNI DEL for its networks, removes its
// network namespace and cgroups, then the directory.
package pod

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/acikit/acikit/internal/errkind"
)

// The state directories.
const (
	Prepared = "prepared"
	Run      = "run"
	Exited   = "exited"
	Garbage  = "garbage"
)

var states = []string{Prepared, Run, Exited, Garbage}

// File names inside a pod directory.
const (
	ManifestFile = "pod"
	StatusFile   = "status.json"
)

// Pods is a pods directory.
type Pods struct {
	dir string
	// pluginDirs, when set, replace the CNI plugin directories a pod
	// recorded for its network teardown.
	pluginDirs []string
}

// OpenExisting opens the pods directory dir for reading and cleaning up
// without creating anything: a directory that does not exist is a
// NotFound error (wrapping fs.ErrNotExist).
func OpenExisting(dir string) (*Pods, error) {
	fi, err := os.Stat(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, errkind.Mark(fmt.Errorf("pods directory %s: %w", dir, err), errkind.NotFound)
		}
		return nil, fmt.Errorf("pods directory %s: %w", dir, err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("pods directory %s: not a directory", dir)
	}
	return &Pods{dir: dir}, nil
}

// View is the pods directory dir, which may not exist (a pods directory
// with no pods); nothing is checked or created.
func View(dir string) *Pods { return &Pods{dir: dir} }

// SetPluginDirs makes teardown look for the CNI plugins in dirs rather
// than where each pod's run found them.
func (ps *Pods) SetPluginDirs(dirs []string) { ps.pluginDirs = dirs }

// Open prepares the pods directory dir.
func Open(dir string) (*Pods, error) {
	for _, s := range states {
		if err := os.MkdirAll(filepath.Join(dir, s), 0o700); err != nil {
			return nil, fmt.Errorf("pods directory %s: %w", dir, err)
		}
	}
	return &Pods{dir: dir}, nil
}

// Dir is the pods directory.
func (ps *Pods) Dir() string { return ps.dir }

// NewUUID returns a random (version 4) RFC 4122 UUID.
func NewUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// Pod is one pod directory.
type Pod struct {
	UUID  string
	State string
	Dir   string
	lock  *os.File // the held lock, nil when not ours
	ps    *Pods
}

// Create makes prepared/<uuid> and locks it for the calling process.
func (ps *Pods) Create(uuid string) (*Pod, error) {
	if !validUUID(uuid) {
		return nil, errkind.Invalidf("pod uuid %q is not valid", uuid)
	}
	dir := filepath.Join(ps.dir, Prepared, uuid)
	if err := os.Mkdir(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create pod %s: %w", uuid, err)
	}
	p := &Pod{UUID: uuid, State: Prepared, Dir: dir, ps: ps}
	if err := p.tryLock(); err != nil {
		os.Remove(dir)
		return nil, err
	}
	return p, nil
}

func validUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, c := range s {
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if c != '-' {
				return false
			}
		case !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f'):
			return false
		}
	}
	return true
}

var errLocked = errors.New("pod is locked by a running acrun")

// tryLock takes the pod's exclusive lock without waiting.
func (p *Pod) tryLock() error {
	f, err := os.Open(p.Dir)
	if err != nil {
		return fmt.Errorf("lock pod %s: %w", p.UUID, err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return fmt.Errorf("pod %s: %w", p.UUID, errLocked)
		}
		return fmt.Errorf("lock pod %s: %w", p.UUID, err)
	}
	p.lock = f
	return nil
}

// Unlock releases the pod's lock (if this process holds it).
func (p *Pod) Unlock() {
	if p.lock != nil {
		p.lock.Close()
		p.lock = nil
	}
}

// Locked reports whether a live process holds the pod's lock (this one
// included).
func (p *Pod) Locked() bool {
	if p.lock != nil {
		return true
	}
	f, err := os.Open(p.Dir)
	if err != nil {
		return false
	}
	defer f.Close()
	if err := unix.Flock(int(f.Fd()), unix.LOCK_SH|unix.LOCK_NB); err != nil {
		return errors.Is(err, unix.EWOULDBLOCK)
	}
	return false
}

// SetState moves the pod to another state directory. The caller holds the
// lock.
func (p *Pod) SetState(state string) error {
	if p.lock == nil {
		return fmt.Errorf("pod %s: state change without the lock", p.UUID)
	}
	dst := filepath.Join(p.ps.dir, state, p.UUID)
	if p.State == state {
		return nil
	}
	if err := os.Rename(p.Dir, dst); err != nil {
		return fmt.Errorf("pod %s: %s -> %s: %w", p.UUID, p.State, state, err)
	}
	p.Dir, p.State = dst, state
	return nil
}

// Path returns a path inside the pod directory.
func (p *Pod) Path(elem ...string) string {
	return filepath.Join(append([]string{p.Dir}, elem...)...)
}

// WriteManifest stores the pod manifest.
func (p *Pod) WriteManifest(b []byte) error {
	return writeFile(p.Path(ManifestFile), b)
}

// writeFile replaces a file by rename, without fsync: a pod directory is
// runtime state that a reboot makes moot (the CNI records that must survive
// one are netcni's own), and fsyncs would dominate a pod's start.
func writeFile(target string, b []byte) error {
	f, err := os.CreateTemp(filepath.Dir(target), ".tmp-"+filepath.Base(target)+"-*")
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(f.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(f.Name(), target)
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("write %s: %w", target, err)
	}
	return nil
}

// Manifest returns the stored pod manifest.
func (p *Pod) Manifest() ([]byte, error) {
	b, err := os.ReadFile(p.Path(ManifestFile))
	if err != nil {
		return nil, fmt.Errorf("pod %s: %w", p.UUID, err)
	}
	return b, nil
}

// Get finds a pod by UUID or unique UUID prefix, in any state.
func (ps *Pods) Get(id string) (*Pod, error) {
	all, err := ps.List()
	if err != nil {
		return nil, err
	}
	var found []*Pod
	for _, p := range all {
		if p.UUID == id {
			return p, nil
		}
		if id != "" && strings.HasPrefix(p.UUID, id) {
			found = append(found, p)
		}
	}
	switch len(found) {
	case 0:
		return nil, errkind.NotFoundf("pod %s not found", id)
	case 1:
		return found[0], nil
	}
	return nil, fmt.Errorf("pod uuid prefix %s is ambiguous (%d pods): give more of the uuid", id, len(found))
}

// List returns every pod, oldest first.
func (ps *Pods) List() ([]*Pod, error) {
	var out []*Pod
	type withTime struct {
		p *Pod
		t time.Time
	}
	var all []withTime
	for _, s := range states {
		entries, err := os.ReadDir(filepath.Join(ps.dir, s))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		for _, e := range entries {
			if !e.IsDir() || !validUUID(e.Name()) {
				continue
			}
			p := &Pod{UUID: e.Name(), State: s, Dir: filepath.Join(ps.dir, s, e.Name()), ps: ps}
			var t time.Time
			if st, err := p.Status(); err == nil {
				t = st.Created
			}
			all = append(all, withTime{p, t})
		}
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].t.Before(all[j].t) })
	for _, w := range all {
		out = append(out, w.p)
	}
	return out, nil
}

// StateName is the state shown to users: prepared, running, exited or
// garbage. A pod in run/ whose acrun is gone shows as exited.
func (p *Pod) StateName() string {
	switch p.State {
	case Run:
		if p.Locked() {
			return "running"
		}
		return "exited"
	case Prepared:
		if p.Locked() {
			return "preparing"
		}
		return "prepared"
	}
	return p.State
}

// Status is the pod's status record.
type Status struct {
	UUID     string      `json:"uuid"`
	Created  time.Time   `json:"created"`
	Started  time.Time   `json:"started,omitzero"`
	Exited   time.Time   `json:"exited,omitzero"`
	Pid      int         `json:"pid,omitempty"` // the pod's init, host pid
	Apps     []AppStatus `json:"apps"`
	Networks []Network   `json:"networks,omitempty"`
	// What gc must undo.
	NetNS       string   `json:"netns,omitempty"`
	NetStateDir string   `json:"netStateDir,omitempty"`
	NetConfDir  string   `json:"netConfDir,omitempty"`
	PluginDirs  []string `json:"pluginDirs,omitempty"`
	Cgroups     []string `json:"cgroups,omitempty"`
}

// AppStatus is one app of the pod.
type AppStatus struct {
	Name      string `json:"name"`
	ImageName string `json:"imageName"`
	ImageID   string `json:"imageID"`
	Pid       int    `json:"pid,omitempty"` // host pid of the app's main process
	Exited    bool   `json:"exited"`
	ExitCode  int    `json:"exitCode"`
	Signal    string `json:"signal,omitempty"`
	OOMKilled bool   `json:"oomKilled,omitempty"`
	Error     string `json:"error,omitempty"`
}

// Network is one network attachment.
type Network struct {
	Name      string   `json:"name"`
	IfName    string   `json:"ifName"`
	Addresses []string `json:"addresses"`
	Gateway   string   `json:"gateway,omitempty"`
}

// WriteStatus replaces the status record.
func (p *Pod) WriteStatus(s *Status) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	return writeFile(p.Path(StatusFile), append(b, '\n'))
}

// Status reads the status record.
func (p *Pod) Status() (*Status, error) {
	b, err := os.ReadFile(p.Path(StatusFile))
	if err != nil {
		return nil, fmt.Errorf("pod %s status: %w", p.UUID, err)
	}
	var s Status
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("pod %s status: %w", p.UUID, err)
	}
	return &s, nil
}
