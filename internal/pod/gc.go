package pod

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/acikit/acikit/internal/cgroup"
	"github.com/acikit/acikit/internal/log"
	"github.com/acikit/acikit/internal/netcni"
)

// Cleanup releases what a pod holds outside its directory: mounts below
// the directory (app roots, volumes), its CNI attachments (DEL, which frees
// leases and veths), its network namespace and its cgroups. It keeps going
// after a failure and returns the errors joined. Safe to repeat.
func (p *Pod) Cleanup(ctx context.Context, lg *log.Logger) error {
	// Unmounting an overlay waits for its upper layer to be synced: done
	// while the rest is.
	unmounted := make(chan error, 1)
	go func() { unmounted <- unmountBelow(p.Dir) }()
	errs := p.release(ctx, lg)
	return errors.Join(append(errs, <-unmounted)...)
}

// Unmount detaches the mounts below the pod directory (app roots,
// volumes), the part of Cleanup a caller may start early, as soon as the
// apps have ended.
func (p *Pod) Unmount() error { return unmountBelow(p.Dir) }

// release is Cleanup but the mounts.
func (p *Pod) release(ctx context.Context, lg *log.Logger) []error {
	var errs []error
	st, err := p.Status()
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return []error{err}
	}
	if st.NetStateDir != "" {
		lg.Debugf("pod %s: network teardown", p.UUID)
		o := netcni.Options{StateDir: st.NetStateDir, PluginDirs: st.PluginDirs, ConfDir: st.NetConfDir, Log: lg}
		if p.ps != nil && len(p.ps.pluginDirs) > 0 {
			o.PluginDirs = p.ps.pluginDirs
		}
		if err := netcni.Teardown(context.WithoutCancel(ctx), p.UUID, o); err != nil {
			errs = append(errs, err)
		}
	}
	if st.NetNS != "" {
		if err := netcni.RemoveNetNS(st.NetNS); err != nil {
			errs = append(errs, err)
		}
	}
	if len(st.Cgroups) > 0 {
		if err := cgroup.Load(st.Cgroups).Remove(); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// unmountBelow detaches every mount point below dir, deepest first,
// whatever path the mount was made with: mountinfo holds absolute paths.
// A mount that will not go (busy) is detached lazily.
func unmountBelow(dir string) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return fmt.Errorf("unmount below %s: %w", dir, err)
	}
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return err
	}
	defer f.Close()
	prefix := abs + "/"
	var mnts []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 5 {
			continue
		}
		mp := unescape(fields[4])
		if strings.HasPrefix(mp, prefix) {
			mnts = append(mnts, mp)
		}
	}
	sort.Sort(sort.Reverse(sort.StringSlice(mnts)))
	var errs []error
	for _, m := range mnts {
		err := unix.Unmount(m, 0)
		if err != nil && !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOENT) {
			err = unix.Unmount(m, unix.MNT_DETACH)
		}
		if err != nil && !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOENT) {
			errs = append(errs, fmt.Errorf("unmount %s: %w", m, err))
		}
	}
	return errors.Join(errs...)
}

// unescape undoes mountinfo's octal escapes (\040 for a space).
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
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

// GCOptions tune GC.
type GCOptions struct {
	// Grace is how long an exited pod is kept for status and cat-manifest.
	Grace time.Duration
	Log   *log.Logger
	Now   func() time.Time
	// Net, when set, names the network state that pods record into; CNI
	// records of pods whose directory is gone (a lost status after a
	// reboot) are torn down from it.
	Net *netcni.Options
}

// GC marks abandoned pods (in run/ or prepared/ with no live acrun) as
// exited or garbage, cleaning up what they hold at once, and removes exited
// pods older than the grace period. It returns the UUIDs removed.
func (ps *Pods) GC(ctx context.Context, opts GCOptions) ([]string, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	all, err := ps.List()
	if err != nil {
		return nil, err
	}
	var errs []error
	var removed []string
	for _, p := range all {
		if err := ctx.Err(); err != nil {
			return removed, err
		}
		if p.tryLock() != nil {
			continue // its acrun is alive, or another gc has it
		}
		switch p.State {
		case Run:
			// Its acrun died: finish what it would have done at exit.
			opts.Log.Infof("pod %s: acrun is gone, cleaning up", p.UUID)
			if err := p.markExited(ctx, opts); err != nil {
				errs = append(errs, err)
			}
		case Prepared:
			if err := p.SetState(Garbage); err != nil {
				errs = append(errs, err)
			}
		}
		if p.State == Exited && opts.Now().Sub(p.exitTime()) >= opts.Grace {
			if err := p.SetState(Garbage); err != nil {
				errs = append(errs, err)
			}
		}
		if p.State == Garbage {
			if err := p.destroy(ctx, opts.Log); err != nil {
				errs = append(errs, err)
			} else {
				removed = append(removed, p.UUID)
			}
		}
		p.Unlock()
	}
	if opts.Net != nil {
		if err := ps.sweepNetworks(ctx, opts); err != nil {
			errs = append(errs, err)
		}
	}
	return removed, errors.Join(errs...)
}

// sweepNetworks tears down network records that no pod directory names.
func (ps *Pods) sweepNetworks(ctx context.Context, opts GCOptions) error {
	ids, err := netcni.Attached(*opts.Net)
	if err != nil {
		return err
	}
	var errs []error
	for _, id := range ids {
		if _, err := ps.Get(id); err == nil || !validUUID(id) {
			continue
		}
		opts.Log.Infof("network records of vanished pod %s: tearing down", id)
		o := *opts.Net
		o.Log = opts.Log
		if err := netcni.Teardown(context.WithoutCancel(ctx), id, o); err != nil {
			skipped(opts.Log, id, err)
			if err := netcni.Forget(id, o); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// skipped reports each teardown step of pod id that could not run, one
// line each: the pod is removed anyway, as a pod that can never be removed
// helps nobody.
func skipped(lg *log.Logger, id string, err error) {
	var multi interface{ Unwrap() []error }
	if errors.As(err, &multi) {
		for _, e := range multi.Unwrap() {
			skipped(lg, id, e)
		}
		return
	}
	lg.Warnf("pod %s: skipped: %v", id, err)
}

// cleanupOrSkip is Cleanup where a step that fails is reported and skipped
// (and the pod's network records dropped, else every later gc would try
// the same DEL again); only a mount below the pod directory that will not
// go is an error, as it stops the directory's removal.
func (p *Pod) cleanupOrSkip(ctx context.Context, lg *log.Logger) error {
	err := p.Cleanup(ctx, lg)
	if err == nil {
		return nil
	}
	skipped(lg, p.UUID, err)
	if st, serr := p.Status(); serr == nil && st.NetStateDir != "" {
		if err := netcni.Forget(p.UUID, netcni.Options{StateDir: st.NetStateDir}); err != nil {
			lg.Warnf("pod %s: %v", p.UUID, err)
		}
	}
	return unmountBelow(p.Dir)
}

func (p *Pod) markExited(ctx context.Context, opts GCOptions) error {
	err := p.cleanupOrSkip(ctx, opts.Log)
	if st, serr := p.Status(); serr == nil && st.Exited.IsZero() {
		st.Exited = opts.Now()
		for i := range st.Apps {
			if !st.Apps[i].Exited {
				st.Apps[i].Error = "acrun ended before the app"
			}
		}
		_ = p.WriteStatus(st)
	}
	return errors.Join(err, p.SetState(Exited))
}

func (p *Pod) exitTime() time.Time {
	if st, err := p.Status(); err == nil && !st.Exited.IsZero() {
		return st.Exited
	}
	if fi, err := os.Stat(p.Dir); err == nil {
		return fi.ModTime()
	}
	return time.Time{}
}

// destroy cleans up a pod in garbage/ and removes its directory. Teardown
// steps that fail (CNI plugins gone, a cgroup that will not go) are
// reported and skipped; what is still mounted below the directory stops
// its removal.
func (p *Pod) destroy(ctx context.Context, lg *log.Logger) error {
	if err := p.cleanupOrSkip(ctx, lg); err != nil {
		return fmt.Errorf("pod %s: %w", p.UUID, err)
	}
	if err := os.RemoveAll(p.Dir); err != nil {
		return fmt.Errorf("remove pod %s: %w", p.UUID, err)
	}
	return nil
}

// Remove deletes a pod that is not running, whatever its age.
func (ps *Pods) Remove(ctx context.Context, id string, lg *log.Logger) error {
	p, err := ps.Get(id)
	if err != nil {
		return err
	}
	if err := p.tryLock(); err != nil {
		if errors.Is(err, errLocked) {
			// Not a usage error: the same command works once the pod ended.
			return fmt.Errorf("pod %s is running: stop it first", p.UUID)
		}
		return err
	}
	defer p.Unlock()
	if err := p.SetState(Garbage); err != nil {
		return err
	}
	return p.destroy(ctx, lg)
}
