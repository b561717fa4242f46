package main

import (
	"fmt"
	"io"
	"slices"
	"strings"

	ucli "github.com/urfave/cli/v2"

	"github.com/acikit/acikit/internal/cli"
	"github.com/acikit/acikit/internal/discovery"
	"github.com/acikit/acikit/internal/errkind"
	"github.com/acikit/acikit/internal/fetch"
	"github.com/acikit/acikit/internal/schema"
	"github.com/acikit/acikit/internal/schema/types"
)

// A pod manifest given with --pod-manifest (rkt run --pod-manifest) runs
// instead of images named on the command line. It may be a template
// (pods.md): apps that name their image by name and labels are resolved
// from the store, or fetched by discovery and verified, exactly as an
// image name on the command line is; apps with an image ID use that image.
// The manifest's volumes, mounts, exposed ports and annotations become the
// pod's, and an app's "app" replaces its image's.

// readPodManifest reads and checks the pod manifest named by
// --pod-manifest ("-" for stdin) and returns the apps to run.
func readPodManifest(c *ucli.Context, po *podOpts) ([]*appOpts, error) {
	in, err := cli.OpenInput(c, po.podManifest)
	if err != nil {
		return nil, err
	}
	defer in.Close()
	data, err := io.ReadAll(io.LimitReader(in, schema.MaxManifestSize+1))
	if err != nil {
		return nil, fmt.Errorf("read pod manifest %s: %w", po.podManifest, err)
	}
	if len(data) > schema.MaxManifestSize {
		return nil, errkind.Invalidf("pod manifest %s: larger than %d bytes", po.podManifest, schema.MaxManifestSize)
	}
	kind, err := schema.SniffKind(data)
	if err == nil && kind != schema.KindPod {
		err = errkind.Invalidf("acKind is %s, not %s", kind, schema.KindPod)
	}
	if err != nil {
		return nil, fmt.Errorf("pod manifest %s: %w", po.podManifest, err)
	}
	m, err := schema.ParsePodManifest(data)
	if err != nil {
		return nil, fmt.Errorf("pod manifest %s: %w", po.podManifest, err)
	}
	lg := cli.Logger(c)
	for _, w := range m.Warnings() {
		lg.Warnf("pod manifest %s: %v", po.podManifest, w)
	}
	for _, iso := range m.Isolators {
		// ace.md: the executor must say which isolators it ignored.
		lg.Warnf("pod manifest %s: pod isolator %s is not enforced", po.podManifest, iso.Name)
	}
	apps, err := podApps(po, m)
	if err != nil {
		return nil, fmt.Errorf("pod manifest %s: %w", po.podManifest, err)
	}
	if po.interactive && len(apps) != 1 {
		return nil, errkind.Usagef("--interactive needs exactly one app, pod manifest %s has %d", po.podManifest, len(apps))
	}
	return apps, nil
}

// podApps turns m into apps and pod options: each app's image as the image
// argument resolve takes (its ID, or name and labels as an app string),
// volumes and ports as their flags' values.
func podApps(po *podOpts, m *schema.PodManifest) ([]*appOpts, error) {
	if len(m.Apps) == 0 {
		return nil, errkind.Invalidf("no apps to run")
	}
	var apps []*appOpts
	for _, ra := range m.Apps {
		a := &appOpts{name: string(ra.Name), readOnlyRootFS: ra.ReadOnlyRootFS, podApp: ra.App, annotations: ra.Annotations}
		img, err := imageArg(ra.Image)
		if err != nil {
			return nil, fmt.Errorf("app %s: %w", ra.Name, err)
		}
		a.image = img
		for _, mt := range ra.Mounts {
			if mt.AppVolume != nil {
				return nil, errkind.Invalidf("app %s: mount %s: appVolume is not supported; declare the volume in volumes", ra.Name, mt.Volume)
			}
			a.mounts = append(a.mounts, "volume="+string(mt.Volume)+",target="+mt.Path)
		}
		apps = append(apps, a)
	}
	for _, v := range m.Volumes {
		po.volumes = append(po.volumes, v.String())
	}
	for _, p := range m.Ports {
		if p.HostIP != "" || p.PodPort != nil {
			return nil, errkind.Invalidf("port %s: hostIP and podPort are not supported", p.Name)
		}
		po.ports = append(po.ports, fmt.Sprintf("%s:%d", p.Name, p.HostPort))
	}
	po.annotations = m.Annotations
	return apps, nil
}

// imageArg is the image argument for a pod app's image: its ID when the
// manifest has one, else its name and labels as an app string (what
// "acrun NAME,LABEL=VALUE" takes), which resolve looks up in the store or
// discovers, fetches and verifies.
func imageArg(ri schema.RuntimeImage) (string, error) {
	if !ri.ID.Empty() {
		return ri.ID.String(), nil
	}
	app := &discovery.App{Name: *ri.Name, Labels: map[types.ACIdentifier]string{}}
	for _, l := range ri.Labels {
		if strings.ContainsAny(l.Value, ",:=") || l.Value == "" {
			return "", errkind.Invalidf("image %s: label %s=%q cannot be resolved by name (give the image id)", *ri.Name, l.Name, l.Value)
		}
		app.Labels[l.Name] = l.Value
	}
	s := app.String()
	if ref, err := fetch.ParseRef(s); err != nil || ref.Kind != fetch.KindName {
		return "", errkind.Invalidf("image %s reads as a file or URL here, not a name (give the image id)", s)
	}
	return s, nil
}

// appAnnotations are the app's annotations as the metadata service serves
// them: the image's, overridden by the pod manifest's for the app (pods.md:
// "values in this list take precedence over those in the image manifest").
func appAnnotations(p *prepared) types.Annotations {
	out := slices.Clone(p.tree.Manifest.Annotations)
	for _, a := range p.opts.annotations {
		out.Set(a.Name, a.Value)
	}
	return out
}
