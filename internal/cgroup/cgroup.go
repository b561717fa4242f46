//go:build linux

// Package cgroup owns acrun's use of Linux control groups: it detects the
// host's layout (cgroup v1, pure v2, or hybrid: v1 controllers plus a cgroup2
// mount owning some of them), creates a cgroup per pod and per app in the
// hierarchies that carry the controllers asked for, writes memory and CPU
// limits, moves processes in, reads OOM kills, and removes the cgroups again,
// also for a crashed pod whose directories were recorded.
//
// A Cgroup is just the list of its directories, one per hierarchy
// (Cgroup.Dirs); Load rebuilds one from that list so `gc` can remove the
// cgroups of a pod whose runtime died. Whether a directory is v1 or v2 is read
// from the directory itself (v2 directories hold cgroup.controllers).
//
//	l, _ := cgroup.Detect()
//	cg, _ := l.Create("acikit/"+uuid, []string{"memory", "cpu"})
//	_ = cg.Set(cgroup.Resources{Memory: 64 << 20, CPUMillis: 500})
//	_ = cg.Add(pid)
//	n, _ := cg.OOMKills()
//	_ = cg.Remove()
package cgroup

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/acikit/acikit/internal/errkind"
)

// Mode is the kind of cgroup layout a host has.
type Mode int

// The layouts.
const (
	// None: no cgroup file system is mounted.
	None Mode = iota
	// V1: only v1 hierarchies carry controllers (a cgroup2 mount without
	// controllers, as systemd's "unified" tracking mount, may exist).
	V1
	// Hybrid: v1 hierarchies plus a cgroup2 mount that owns some controllers.
	Hybrid
	// V2: a single cgroup2 hierarchy.
	V2
)

func (m Mode) String() string {
	switch m {
	case V1:
		return "v1"
	case Hybrid:
		return "hybrid"
	case V2:
		return "v2"
	}
	return "none"
}

// Layout says where each controller lives on this host.
type Layout struct {
	Mode Mode
	// V1 maps a v1 controller name (memory, cpu, name=systemd...) to its
	// mount point. Co-mounted controllers (cpu,cpuacct) map to the same path.
	V1 map[string]string
	// Unified is the cgroup2 mount point, "" when there is none.
	Unified string
	// UnifiedControllers are the controllers available in the cgroup2 root.
	UnifiedControllers []string
	// self is this process's cgroup path per v1 controller, and "" for v2,
	// from /proc/self/cgroup; relative names in Create are joined to it.
	self map[string]string
}

// Detect reads /proc/self/mountinfo and /proc/self/cgroup.
func Detect() (*Layout, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, fmt.Errorf("detect cgroups: %w", err)
	}
	defer f.Close()
	l, err := ParseMountinfo(f)
	if err != nil {
		return nil, err
	}
	cf, err := os.Open("/proc/self/cgroup")
	if err != nil {
		return nil, fmt.Errorf("detect cgroups: %w", err)
	}
	defer cf.Close()
	if l.self, err = ParseProcCgroup(cf); err != nil {
		return nil, err
	}
	return l, nil
}

// ParseMountinfo builds a Layout from a mountinfo table (proc(5)). The
// cgroup2 mount's controllers are read from its cgroup.controllers file, so
// a test can point a fake mountinfo at a fake tree.
func ParseMountinfo(r io.Reader) (*Layout, error) {
	l := &Layout{V1: map[string]string{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		// Fields: id parent major:minor root mountpoint options [optional...] - fstype source superopts
		pre, post, ok := strings.Cut(line, " - ")
		if !ok {
			continue
		}
		pf := strings.Fields(pre)
		sf := strings.Fields(post)
		if len(pf) < 5 || len(sf) < 3 {
			continue
		}
		mnt := unescapeMount(pf[4])
		switch sf[0] {
		case "cgroup2":
			if l.Unified == "" {
				l.Unified = mnt
			}
		case "cgroup":
			for _, opt := range strings.Split(sf[2], ",") {
				if isV1Controller(opt) {
					if _, dup := l.V1[opt]; !dup {
						l.V1[opt] = mnt
					}
				}
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read mountinfo: %w", err)
	}
	if l.Unified != "" {
		b, err := os.ReadFile(filepath.Join(l.Unified, "cgroup.controllers"))
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("read cgroup2 controllers: %w", err)
		}
		l.UnifiedControllers = strings.Fields(string(b))
	}
	switch {
	case len(l.V1) == 0 && l.Unified != "":
		l.Mode = V2
	case len(l.V1) > 0 && len(l.UnifiedControllers) > 0:
		l.Mode = Hybrid
	case len(l.V1) > 0:
		l.Mode = V1
	}
	return l, nil
}

// isV1Controller tells controller names from ordinary mount options in a v1
// cgroup mount's super options.
func isV1Controller(opt string) bool {
	switch opt {
	case "rw", "ro", "relatime", "noatime", "nosuid", "nodev", "noexec", "clone_children", "xattr", "noprefix":
		return false
	}
	if strings.HasPrefix(opt, "name=") {
		return true
	}
	return opt != "" && !strings.ContainsAny(opt, "=/")
}

// unescapeMount undoes mountinfo's octal escapes (\040 for space).
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// ParseProcCgroup parses /proc/PID/cgroup ("id:controllers:path" lines) into
// controller → path; the v2 entry (id 0, empty controller list) is keyed "".
func ParseProcCgroup(r io.Reader) (map[string]string, error) {
	m := map[string]string{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() {
		parts := strings.SplitN(sc.Text(), ":", 3)
		if len(parts) != 3 {
			continue
		}
		if parts[1] == "" {
			m[""] = parts[2]
			continue
		}
		for _, c := range strings.Split(parts[1], ",") {
			m[c] = parts[2]
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read proc cgroup: %w", err)
	}
	return m, nil
}

// Cgroup is one logical cgroup: a directory in each hierarchy it spans.
type Cgroup struct {
	dirs []string
}

// Create makes the cgroup name (relative: under this process's own cgroup
// in each v1 hierarchy and under the root of the v2 one; absolute: from each
// hierarchy's root) in the
// hierarchies that carry the given controllers, preferring v1 where both
// have one. On a pure v2 host the controllers are enabled in the parents'
// cgroup.subtree_control. Controllers the host lacks are skipped; Set then
// fails for a limit that needs them. Existing directories are reused.
func (l *Layout) Create(name string, controllers []string) (*Cgroup, error) {
	// A name that cleans to a hierarchy root or to the caller's own cgroup
	// would make Remove kill every process in it.
	if clean := filepath.Clean(name); name == "" || clean == "/" || clean == "." || strings.Contains("/"+name+"/", "/../") {
		return nil, errkind.Invalidf("create cgroup %q: bad name", name)
	}
	cg := &Cgroup{}
	var v2 []string
	for _, c := range controllers {
		if mnt, ok := l.V1[c]; ok {
			dir := filepath.Join(mnt, l.base(c, name))
			if !slices.Contains(cg.dirs, dir) {
				cg.dirs = append(cg.dirs, dir)
			}
			continue
		}
		if slices.Contains(l.UnifiedControllers, c) {
			v2 = append(v2, c)
		}
	}
	if l.Unified != "" && (len(v2) > 0 || l.Mode == V2) {
		rel := l.base("", name)
		if err := enableV2(l.Unified, filepath.Dir(rel), v2); err != nil {
			return nil, err
		}
		cg.dirs = append(cg.dirs, filepath.Join(l.Unified, rel))
	}
	for _, d := range cg.dirs {
		if err := os.MkdirAll(d, 0o755); err != nil {
			_ = cg.Remove()
			return nil, fmt.Errorf("create cgroup: %w", err)
		}
	}
	return cg, nil
}

// base is name's path inside one hierarchy. In the unified hierarchy a
// relative name starts at the root, not at the caller's cgroup: a v2 cgroup
// holding processes (the caller's own) cannot hand controllers to children.
func (l *Layout) base(controller, name string) string {
	if strings.HasPrefix(name, "/") || controller == "" {
		return filepath.Join("/", name)
	}
	return filepath.Join("/", l.self[controller], name)
}

// enableV2 turns the controllers on in subtree_control from the mount root
// down to rel (the new cgroup's parent), creating the parents as needed.
func enableV2(mnt, rel string, controllers []string) error {
	if len(controllers) == 0 {
		return nil
	}
	var b strings.Builder
	for _, c := range controllers {
		b.WriteString(" +" + c)
	}
	want := strings.TrimSpace(b.String())
	dir := mnt
	for _, part := range append([]string{""}, strings.Split(strings.Trim(rel, "/"), "/")...) {
		if part != "" {
			dir = filepath.Join(dir, part)
			if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
				return fmt.Errorf("create cgroup %s: %w", dir, err)
			}
		}
		cur, _ := os.ReadFile(filepath.Join(dir, "cgroup.subtree_control"))
		missing := false
		for _, c := range controllers {
			if !slices.Contains(strings.Fields(string(cur)), c) {
				missing = true
			}
		}
		if missing {
			if err := os.WriteFile(filepath.Join(dir, "cgroup.subtree_control"), []byte(want), 0); err != nil {
				return fmt.Errorf("enable %s in cgroup %s: %w", want, dir, err)
			}
		}
	}
	return nil
}

// Load returns the Cgroup made of dirs, as recorded from Dirs, without
// touching the file system.
func Load(dirs []string) *Cgroup { return &Cgroup{dirs: slices.Clone(dirs)} }

// Dirs lists the cgroup's directories, one per hierarchy.
func (c *Cgroup) Dirs() []string { return slices.Clone(c.dirs) }

// Sub creates the child cgroup name in every hierarchy of c. On v2 the
// controllers c has are enabled for its children first.
func (c *Cgroup) Sub(name string) (*Cgroup, error) {
	if name == "" || strings.ContainsAny(name, "/") || name == "." || name == ".." {
		return nil, errkind.Invalidf("create sub-cgroup %q: bad name", name)
	}
	sub := &Cgroup{}
	for _, d := range c.dirs {
		if isV2(d) {
			ctl, _ := os.ReadFile(filepath.Join(d, "cgroup.controllers"))
			if f := strings.Fields(string(ctl)); len(f) > 0 {
				if err := enableV2(d, "", f); err != nil {
					return nil, err
				}
			}
		}
		nd := filepath.Join(d, name)
		if err := os.Mkdir(nd, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
			_ = sub.Remove()
			return nil, fmt.Errorf("create cgroup: %w", err)
		}
		sub.dirs = append(sub.dirs, nd)
	}
	return sub, nil
}

func isV2(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, "cgroup.controllers"))
	return err == nil
}

// Resources are the limits Set writes. Zero fields are left alone.
type Resources struct {
	// Memory is the hard limit in bytes.
	Memory int64
	// CPUMillis is the CPU quota in thousandths of a CPU (500 = half a CPU),
	// enforced with a 100 ms CFS period.
	CPUMillis int64
	// CPUShares is the relative weight in v1 units (2..262144); v2 gets the
	// equivalent cpu.weight.
	CPUShares int64
}

const cfsPeriod = 100000 // µs

// Set writes the limits. A limit whose controller is in none of c's
// hierarchies is an error, so an isolator is never silently dropped.
func (c *Cgroup) Set(r Resources) error {
	type write struct{ file, val string }
	var done = map[string]bool{}
	for _, d := range c.dirs {
		var ws []write
		if isV2(d) {
			if r.Memory > 0 && exists(d, "memory.max") {
				ws = append(ws, write{"memory.max", strconv.FormatInt(r.Memory, 10)})
				if exists(d, "memory.swap.max") {
					// As memsw on v1: without this the limit only moves
					// pages to swap and the OOM killer never fires.
					ws = append(ws, write{"memory.swap.max", "0"})
				}
				done["memory"] = true
			}
			if r.CPUMillis > 0 && exists(d, "cpu.max") {
				ws = append(ws, write{"cpu.max", fmt.Sprintf("%d %d", r.CPUMillis*cfsPeriod/1000, cfsPeriod)})
				done["cpu"] = true
			}
			if r.CPUShares > 0 && exists(d, "cpu.weight") {
				ws = append(ws, write{"cpu.weight", strconv.FormatInt(SharesToWeight(r.CPUShares), 10)})
				done["shares"] = true
			}
		} else {
			if r.Memory > 0 && exists(d, "memory.limit_in_bytes") {
				ws = append(ws, write{"memory.limit_in_bytes", strconv.FormatInt(r.Memory, 10)})
				if exists(d, "memory.memsw.limit_in_bytes") {
					// Without this the limit only moves pages to swap.
					ws = append(ws, write{"memory.memsw.limit_in_bytes", strconv.FormatInt(r.Memory, 10)})
				}
				done["memory"] = true
			}
			if r.CPUMillis > 0 && exists(d, "cpu.cfs_quota_us") {
				ws = append(ws, write{"cpu.cfs_period_us", strconv.Itoa(cfsPeriod)},
					write{"cpu.cfs_quota_us", strconv.FormatInt(r.CPUMillis*cfsPeriod/1000, 10)})
				done["cpu"] = true
			}
			if r.CPUShares > 0 && exists(d, "cpu.shares") {
				ws = append(ws, write{"cpu.shares", strconv.FormatInt(r.CPUShares, 10)})
				done["shares"] = true
			}
		}
		for _, w := range ws {
			if err := os.WriteFile(filepath.Join(d, w.file), []byte(w.val), 0); err != nil {
				return fmt.Errorf("set cgroup limit %s: %w", w.file, err)
			}
		}
	}
	for _, need := range []struct {
		set  bool
		name string
	}{{r.Memory > 0, "memory"}, {r.CPUMillis > 0, "cpu"}, {r.CPUShares > 0, "shares"}} {
		if need.set && !done[need.name] {
			return errkind.Invalidf("set cgroup limit: no %s controller available in %v", need.name, c.dirs)
		}
	}
	return nil
}

// SharesToWeight maps v1 cpu.shares (2..262144) onto v2 cpu.weight (1..10000).
func SharesToWeight(shares int64) int64 {
	shares = min(max(shares, 2), 262144)
	return 1 + (shares-2)*9999/262142
}

func exists(dir, file string) bool {
	_, err := os.Stat(filepath.Join(dir, file))
	return err == nil
}

// Add moves process pid (as seen by the caller) into every hierarchy of c.
func (c *Cgroup) Add(pid int) error {
	s := []byte(strconv.Itoa(pid))
	for _, d := range c.dirs {
		if err := os.WriteFile(filepath.Join(d, "cgroup.procs"), s, 0); err != nil {
			return fmt.Errorf("add process %d to cgroup %s: %w", pid, d, err)
		}
	}
	return nil
}

// ProcsFiles lists the cgroup.procs files, for a child process that places
// itself or another process without the Cgroup value.
func (c *Cgroup) ProcsFiles() []string {
	var fs []string
	for _, d := range c.dirs {
		fs = append(fs, filepath.Join(d, "cgroup.procs"))
	}
	return fs
}

// Procs lists the processes in c and its children (union over hierarchies).
func (c *Cgroup) Procs() ([]int, error) {
	var pids []int
	for _, d := range c.dirs {
		err := filepath.WalkDir(d, func(p string, e os.DirEntry, err error) error {
			if err != nil {
				if errors.Is(err, os.ErrNotExist) {
					return nil
				}
				return err
			}
			if !e.IsDir() {
				return nil
			}
			b, err := os.ReadFile(filepath.Join(p, "cgroup.procs"))
			if err != nil {
				if errors.Is(err, os.ErrNotExist) {
					return nil
				}
				return err
			}
			for _, f := range strings.Fields(string(b)) {
				if n, err := strconv.Atoi(f); err == nil && !slices.Contains(pids, n) {
					pids = append(pids, n)
				}
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("list cgroup processes: %w", err)
		}
	}
	return pids, nil
}

// OOMKills returns how many processes the kernel's OOM killer killed in c
// because of c's memory limit (v1 memory.oom_control oom_kill, v2
// memory.events oom_kill). On an old v1 kernel without that counter it
// returns 1 when memory.failcnt shows the limit was hit.
func (c *Cgroup) OOMKills() (int64, error) {
	var total int64
	for _, d := range c.dirs {
		file := "memory.oom_control"
		if isV2(d) {
			file = "memory.events"
		}
		b, err := os.ReadFile(filepath.Join(d, file))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("read oom kills: %w", err)
		}
		if n, ok := keyedValue(b, "oom_kill"); ok {
			total += n
			continue
		}
		if fb, err := os.ReadFile(filepath.Join(d, "memory.failcnt")); err == nil {
			if n, _ := strconv.ParseInt(strings.TrimSpace(string(fb)), 10, 64); n > 0 {
				total++
			}
		}
	}
	return total, nil
}

// keyedValue finds "key N" in a flat-keyed cgroup file.
func keyedValue(b []byte, key string) (int64, bool) {
	for line := range bytes.Lines(b) {
		k, v, ok := strings.Cut(strings.TrimSpace(string(line)), " ")
		if ok && k == key {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			return n, err == nil
		}
	}
	return 0, false
}

// Remove kills any process left in c or its children, then removes their
// directories, deepest first. Missing directories are not an error, so
// Remove can finish a teardown that was interrupted.
func (c *Cgroup) Remove() error {
	var errs []error
	for _, d := range c.dirs {
		if err := removeTree(d); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func removeTree(dir string) error {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("remove cgroup: %w", err)
	}
	for _, e := range ents {
		if e.IsDir() {
			if err := removeTree(filepath.Join(dir, e.Name())); err != nil {
				return err
			}
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	killed := false
	for {
		err := syscall.Rmdir(dir)
		if err == nil || errors.Is(err, syscall.ENOENT) {
			return nil
		}
		if !errors.Is(err, syscall.EBUSY) || time.Now().After(deadline) {
			return fmt.Errorf("remove cgroup %s: %w", dir, err)
		}
		if !killed {
			killAll(dir)
			killed = true
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// killAll SIGKILLs the processes of one cgroup directory (cgroup.kill on v2
// where the kernel has it).
func killAll(dir string) {
	if err := os.WriteFile(filepath.Join(dir, "cgroup.kill"), []byte("1"), 0); err == nil {
		return
	}
	b, _ := os.ReadFile(filepath.Join(dir, "cgroup.procs"))
	for _, f := range strings.Fields(string(b)) {
		if n, err := strconv.Atoi(f); err == nil && n > 0 {
			_ = syscall.Kill(n, syscall.SIGKILL)
		}
	}
}

// DefaultDevices is the allow-list every app gets, as runc's and rkt's
// default: the standard nodes of /dev, the devpts ptys, and mknod (not
// open) of any node, so an image that makes its own /dev/null still works
// while a node made for a host disk cannot be opened.
var DefaultDevices = []string{
	"c *:* m",
	"b *:* m",
	"c 1:3 rwm",   // null
	"c 1:5 rwm",   // zero
	"c 1:7 rwm",   // full
	"c 1:8 rwm",   // random
	"c 1:9 rwm",   // urandom
	"c 5:0 rwm",   // tty
	"c 5:1 rwm",   // console
	"c 5:2 rwm",   // ptmx
	"c 136:* rwm", // pts
}

// SetDevices confines c's v1 devices hierarchy to the allow-list rules
// (devices.allow lines): it denies everything first, then allows each rule.
// Cgroups created under c afterwards inherit the list. It returns false
// when c spans no v1 devices hierarchy (pure v2 hosts, where the kernel
// wants a BPF program instead).
func (c *Cgroup) SetDevices(rules []string) (bool, error) {
	set := false
	for _, d := range c.dirs {
		if isV2(d) || !exists(d, "devices.deny") {
			continue
		}
		if err := os.WriteFile(filepath.Join(d, "devices.deny"), []byte("a"), 0); err != nil {
			return false, fmt.Errorf("set cgroup devices %s: %w", d, err)
		}
		for _, r := range rules {
			if err := os.WriteFile(filepath.Join(d, "devices.allow"), []byte(r), 0); err != nil {
				return false, fmt.Errorf("allow device %q in cgroup %s: %w", r, d, err)
			}
		}
		set = true
	}
	return set, nil
}
