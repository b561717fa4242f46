package main

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"

	"github.com/acikit/acikit/internal/cli"
	"github.com/acikit/acikit/internal/discovery"
	"github.com/acikit/acikit/internal/errkind"
	"github.com/acikit/acikit/internal/fetch"
	"github.com/acikit/acikit/internal/log"
	"github.com/acikit/acikit/internal/render"
	"github.com/acikit/acikit/internal/schema/types"
	"github.com/acikit/acikit/internal/store"
)

// images finds and renders the images of a run, fetching what is missing.
type images struct {
	st       *store.Store
	fetcher  *fetch.Fetcher
	insecure cli.Insecure
	log      *log.Logger
	cacheDir string
}

// resolve turns an image argument into a stored image ID: an image ID
// (prefix) or a name in the store, else a file, URL or name fetched and
// verified through internal/fetch (which also fetches dependencies).
func (ims *images) resolve(ctx context.Context, arg string) (string, error) {
	if strings.HasPrefix(arg, "sha512-") {
		im, err := ims.st.ResolveID(arg)
		if err != nil {
			return "", err
		}
		return im.ID, ims.accept(im)
	}
	ref, err := fetch.ParseRef(arg)
	if err != nil {
		return "", err
	}
	var unverified *store.Image
	if ref.Kind == fetch.KindName {
		if im, err := lookupName(ims.st, ref.App); err == nil {
			if err := ims.accept(im); err == nil {
				ims.log.Debugf("using %s from the store for %s", im.ID, arg)
				return im.ID, nil
			}
			unverified = im
		}
	}
	res, err := ims.fetcher.Fetch(ctx, arg)
	if err != nil && unverified != nil {
		// The store has the image, unverified: that is why it is refused
		// (exit 4), whatever the fetch that might have verified it said.
		return "", cli.WithHint(errkind.Trustf("image %s (%s) in the store has no verified signature, and fetching it failed: %v",
			unverified.Name, unverified.ID, err), "fetch it again with its signature, or run with --insecure-options=image")
	}
	if err != nil {
		return "", err
	}
	return res[0].ID, nil
}

// accept refuses a stored image that was not verified when it was fetched,
// unless image verification is off.
func (ims *images) accept(im *store.Image) error {
	if im.Signed || ims.insecure.Image {
		return nil
	}
	return cli.WithHint(errkind.Trustf("image %s (%s) in the store has no verified signature", im.Name, im.ID),
		"fetch it again with its signature, or run with --insecure-options=image")
}

func lookupName(st *store.Store, app *discovery.App) (*store.Image, error) {
	labels := map[string]string{}
	for k, v := range app.Labels {
		labels[string(k)] = v
	}
	return st.Resolve(string(app.Name), labels)
}

// render renders id, fetching missing dependencies by name and retrying.
func (ims *images) render(ctx context.Context, id string) (*render.Tree, error) {
	opts := render.Options{Store: ims.st, CacheDir: ims.cacheDir, Log: ims.log}
	for range 16 {
		t, err := render.Render(ctx, id, opts)
		var miss *render.MissingDependencyError
		if !errors.As(err, &miss) {
			return t, err
		}
		name := miss.Name
		for k, v := range miss.Labels {
			name += "," + k + "=" + v
		}
		ims.log.Infof("fetching %s", miss.Error())
		res, ferr := ims.fetcher.Fetch(ctx, name)
		if ferr != nil {
			return nil, fmt.Errorf("%w: %w", err, ferr)
		}
		if miss.ID != "" && res[0].ID != miss.ID {
			return nil, errkind.Invalidf("dependency %s: fetched %s, want %s", miss.Name, res[0].ID, miss.ID)
		}
	}
	return nil, errkind.Invalidf("image %s: too many rounds of fetching dependencies", id)
}

// checkOSArch refuses an image made for another system, as rkt did: its os
// label must be linux and its arch label this host's. The spec makes both
// labels optional, and an image without them runs.
func checkOSArch(im *store.Image) error {
	osl, hasOS := im.Labels[types.LabelOS]
	arch, hasArch := im.Labels[types.LabelArch]
	_, host, err := types.GoOSArchToAppc("linux", runtime.GOARCH, "")
	if err != nil || (!hasOS && !hasArch) {
		return nil
	}
	// An arm host runs both arm flavours of the labels.
	armOK := runtime.GOARCH == "arm" && (arch == "armv6l" || arch == "armv7l")
	if (!hasOS || osl == "linux") && (!hasArch || arch == host || armOK) {
		return nil
	}
	if !hasOS {
		osl = "any"
	}
	if !hasArch {
		arch = "any"
	}
	return errkind.Invalidf("image %s is for os/arch %s/%s, not this host's linux/%s", im.Name, osl, arch, host)
}
