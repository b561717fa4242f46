//go:build linux

package netcni

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/acikit/acikit/internal/atomicfile"
	"github.com/acikit/acikit/internal/errkind"
	"github.com/acikit/acikit/internal/log"
	"github.com/containernetworking/cni/libcni"
	cnitypes "github.com/containernetworking/cni/pkg/types"
	current "github.com/containernetworking/cni/pkg/types/100"
)

// Well-known network names.
const (
	DefaultNetwork = "default" // ptp + host-local on DefaultSubnet, masqueraded
	DefaultSubnet  = "172.16.28.0/24"
	cniVersion     = "1.0.0"
)

// Options say where configs, plugins and state live.
type Options struct {
	ConfDir    string   // *.conf and *.conflist network configs (e.g. /etc/acikit/net.d)
	PluginDirs []string // directories holding the plugin binaries
	StateDir   string   // libcni cache, host-local leases, per-pod records
	Log        *log.Logger
}

// PortMapping publishes a pod port on the host through the portmap plugin.
type PortMapping struct {
	HostPort      int    `json:"hostPort"`
	ContainerPort int    `json:"containerPort"`
	Protocol      string `json:"protocol"`
	HostIP        string `json:"hostIP,omitempty"`
}

// Attachment is one network interface of a pod.
type Attachment struct {
	Network string      `json:"network"`
	IfName  string      `json:"ifName"`
	IPs     []net.IPNet `json:"-"`
	Addrs   []string    `json:"addresses"` // CIDR text of IPs
	Gateway string      `json:"gateway,omitempty"`
}

// record is what Setup saved for one attachment, enough for DEL.
type record struct {
	Network string        `json:"network"`
	IfName  string        `json:"ifName"`
	NetNS   string        `json:"netns"`
	Config  []byte        `json:"config"`
	Ports   []PortMapping `json:"ports,omitempty"`
}

// ErrUnknownNetwork is returned for a network name with no config.
var ErrUnknownNetwork = errors.New("unknown network")

func (o *Options) cni() *libcni.CNIConfig {
	return libcni.NewCNIConfigWithCacheDir(o.PluginDirs, filepath.Join(o.StateDir, "cache"), nil)
}

func (o *Options) podDir(podID string) string { return filepath.Join(o.StateDir, "pods", podID) }

// DefaultConfig is the conflist of the default network; with ports, portmap
// is chained after ptp.
func (o *Options) DefaultConfig(withPorts bool) []byte {
	plugins := []map[string]any{{
		"type":   "ptp",
		"ipMasq": true,
		"mtu":    1500,
		"ipam": map[string]any{
			"type":    "host-local",
			"subnet":  DefaultSubnet,
			"routes":  []map[string]string{{"dst": "0.0.0.0/0"}},
			"dataDir": filepath.Join(o.StateDir, "ipam"),
		},
	}}
	if withPorts {
		plugins = append(plugins, map[string]any{"type": "portmap", "capabilities": map[string]bool{"portMappings": true}, "snat": true})
	}
	b, _ := json.Marshal(map[string]any{"cniVersion": cniVersion, "name": DefaultNetwork, "plugins": plugins})
	return b
}

// loadNetwork finds the config list of a named network. With ports, a
// portmap plugin is chained after the network's own plugins unless one of
// them already takes port mappings: libcni hands the mappings only to a
// plugin that declares the capability, so without it they would be dropped
// without a word.
func (o *Options) loadNetwork(name string, withPorts bool) (*libcni.NetworkConfigList, error) {
	list, err := o.loadUserNetwork(name)
	if name == DefaultNetwork && errors.Is(err, ErrUnknownNetwork) {
		return libcni.ConfListFromBytes(o.DefaultConfig(withPorts))
	}
	if err != nil || !withPorts {
		return list, err
	}
	return chainPortmap(list)
}

// chainPortmap returns list with a portmap plugin appended when no plugin in
// it declares the portMappings capability.
func chainPortmap(list *libcni.NetworkConfigList) (*libcni.NetworkConfigList, error) {
	for _, p := range list.Plugins {
		if p.Network != nil && p.Network.Capabilities["portMappings"] {
			return list, nil
		}
	}
	var raw map[string]any
	if err := json.Unmarshal(list.Bytes, &raw); err != nil {
		return nil, errkind.Invalidf("network %q: config: %w", list.Name, err)
	}
	plugins, _ := raw["plugins"].([]any)
	raw["plugins"] = append(plugins, map[string]any{"type": "portmap", "capabilities": map[string]bool{"portMappings": true}, "snat": true})
	b, err := json.Marshal(raw)
	if err != nil {
		return nil, fmt.Errorf("network %q: add portmap: %w", list.Name, err)
	}
	return libcni.ConfListFromBytes(b)
}

func (o *Options) loadUserNetwork(name string) (*libcni.NetworkConfigList, error) {
	if o.ConfDir == "" {
		return nil, errkind.NotFoundf("network %q: %w", name, ErrUnknownNetwork)
	}
	files, err := libcni.ConfFiles(o.ConfDir, []string{".conf", ".conflist", ".json"})
	if err != nil {
		return nil, fmt.Errorf("read network configs in %s: %w", o.ConfDir, err)
	}
	sort.Strings(files)
	for _, f := range files {
		var list *libcni.NetworkConfigList
		if strings.HasSuffix(f, ".conflist") {
			list, err = libcni.ConfListFromFile(f)
		} else {
			var conf *libcni.NetworkConfig
			conf, err = libcni.ConfFromFile(f)
			if err == nil {
				list, err = libcni.ConfListFromConf(conf)
			}
		}
		if err != nil {
			return nil, errkind.Invalidf("network config %s: %w", f, err)
		}
		if list.Name == name {
			return list, nil
		}
	}
	return nil, errkind.NotFoundf("network %q: no config in %s: %w", name, o.ConfDir, ErrUnknownNetwork)
}

// Networks lists the names of the configured networks (default included).
func (o *Options) Networks() ([]string, error) {
	names := []string{DefaultNetwork}
	if o.ConfDir == "" {
		return names, nil
	}
	files, err := libcni.ConfFiles(o.ConfDir, []string{".conf", ".conflist", ".json"})
	if err != nil {
		return nil, fmt.Errorf("read network configs in %s: %w", o.ConfDir, err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("read network config: %w", err)
		}
		var v struct{ Name string }
		if json.Unmarshal(b, &v) == nil && v.Name != "" && v.Name != DefaultNetwork {
			names = append(names, v.Name)
		}
	}
	return names, nil
}

// Setup attaches the pod's netns to each network in order (eth0, eth1, ...),
// with the port mappings on the first network. On failure everything already
// attached is torn down again.
func Setup(ctx context.Context, podID, netnsPath string, networks []string, ports []PortMapping, o Options) ([]Attachment, error) {
	if !filepath.IsLocal(podID) || strings.ContainsRune(podID, filepath.Separator) {
		return nil, errkind.Invalidf("network setup: bad pod id %q", podID)
	}
	dir := o.podDir(podID)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("network state for pod %s: %w", podID, err)
	}
	c := o.cni()
	var atts []Attachment
	for i, name := range networks {
		var pm []PortMapping
		if i == 0 {
			pm = ports
		}
		list, err := o.loadNetwork(name, len(pm) > 0)
		if err != nil {
			Teardown(context.WithoutCancel(ctx), podID, o)
			return nil, err
		}
		rec := record{Network: name, IfName: fmt.Sprintf("eth%d", i), NetNS: netnsPath, Config: list.Bytes, Ports: pm}
		// The record goes down before ADD so a crash during ADD still leaves
		// enough behind for gc to DEL.
		if err := writeRecord(dir, i, rec); err != nil {
			Teardown(context.WithoutCancel(ctx), podID, o)
			return nil, err
		}
		o.Log.Debugf("network %s: ADD %s in %s", name, rec.IfName, netnsPath)
		res, err := c.AddNetworkList(ctx, list, runtimeConf(podID, rec))
		if err != nil {
			Teardown(context.WithoutCancel(ctx), podID, o)
			return nil, fmt.Errorf("network %s: %w", name, err)
		}
		att, err := attachment(name, rec.IfName, res)
		if err != nil {
			Teardown(context.WithoutCancel(ctx), podID, o)
			return nil, fmt.Errorf("network %s: %w", name, err)
		}
		atts = append(atts, att)
	}
	return atts, nil
}

func runtimeConf(podID string, rec record) *libcni.RuntimeConf {
	rt := &libcni.RuntimeConf{ContainerID: podID, NetNS: rec.NetNS, IfName: rec.IfName}
	if len(rec.Ports) > 0 {
		rt.CapabilityArgs = map[string]any{"portMappings": rec.Ports}
	}
	return rt
}

func writeRecord(dir string, i int, rec record) error {
	b, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(filepath.Join(dir, fmt.Sprintf("%02d.json", i)), strings.NewReader(string(b)), 0o600, true)
}

func attachment(name, ifName string, res cnitypes.Result) (Attachment, error) {
	r, err := current.NewResultFromResult(res)
	if err != nil {
		return Attachment{}, fmt.Errorf("read plugin result: %w", err)
	}
	att := Attachment{Network: name, IfName: ifName}
	for _, ip := range r.IPs {
		att.IPs = append(att.IPs, ip.Address)
		att.Addrs = append(att.Addrs, ip.Address.String())
		if att.Gateway == "" && ip.Gateway != nil {
			att.Gateway = ip.Gateway.String()
		}
	}
	return att, nil
}

// Teardown runs DEL for every attachment recorded for the pod, last first,
// then removes the record. It keeps going after a failed DEL and returns the
// errors joined; a pod with no record is not an error.
func Teardown(ctx context.Context, podID string, o Options) error {
	if !filepath.IsLocal(podID) || strings.ContainsRune(podID, filepath.Separator) {
		return errkind.Invalidf("network teardown: bad pod id %q", podID)
	}
	dir := o.podDir(podID)
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("network state for pod %s: %w", podID, err)
	}
	c := o.cni()
	var errs []error
	for i := len(entries) - 1; i >= 0; i-- {
		e := entries[i]
		if !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		path := filepath.Join(dir, e.Name())
		b, err := os.ReadFile(path)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		var rec record
		if err := json.Unmarshal(b, &rec); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", path, err))
			continue
		}
		list, err := libcni.ConfListFromBytes(rec.Config)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", path, err))
			continue
		}
		o.Log.Debugf("network %s: DEL %s", rec.Network, rec.IfName)
		if err := c.DelNetworkList(ctx, list, runtimeConf(podID, rec)); err != nil {
			errs = append(errs, fmt.Errorf("network %s: DEL: %w", rec.Network, err))
			continue
		}
		os.Remove(path)
	}
	if len(errs) == 0 {
		os.Remove(dir)
	}
	return errors.Join(errs...)
}

// Forget drops the network records of a pod whose teardown cannot run,
// so that gc does not retry it forever.
func Forget(podID string, o Options) error {
	if !filepath.IsLocal(podID) || strings.ContainsRune(podID, filepath.Separator) {
		return errkind.Invalidf("network records: bad pod id %q", podID)
	}
	if err := os.RemoveAll(o.podDir(podID)); err != nil {
		return fmt.Errorf("network records of pod %s: %w", podID, err)
	}
	return nil
}

// Attached lists the pods that still have network records (for gc).
func Attached(o Options) ([]string, error) {
	entries, err := os.ReadDir(filepath.Join(o.StateDir, "pods"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	var ids []string
	for _, e := range entries {
		ids = append(ids, e.Name())
	}
	return ids, err
}
