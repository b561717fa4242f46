package discovery

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/acikit/acikit/internal/schema/types"
)

// simple tries the pre-0.8 simple discovery: the image is expected at
// https://{name}-{version}-{os}-{arch}.aci on the name's host, with the
// signature next to it. The URL is reported only when the server says the
// image is there. It returns nil (and records an attempt) when not.
func (d *discoverer) simple(ctx context.Context, res *Result) (*Endpoint, error) {
	name := string(d.app.Name)
	if !strings.Contains(name, "/") {
		res.Attempts = append(res.Attempts, Attempt{Prefix: name,
			Err: errors.New("simple discovery needs a name with a path after the host")})
		return nil, nil
	}
	osl, arch := d.app.Labels[types.LabelOS], d.app.Labels[types.LabelArch]
	if osl == "" || arch == "" {
		res.Attempts = append(res.Attempts, Attempt{Prefix: name,
			Err: errors.New("simple discovery needs the os and arch labels")})
		return nil, nil
	}
	host, path := d.hostPath(name)
	path += "-" + d.app.Version() + "-" + osl + "-" + arch + ".aci"
	for _, scheme := range d.schemes() {
		u := (&url.URL{Scheme: scheme, Host: host, Path: path}).String()
		err := d.probe(ctx, u)
		if err == nil {
			return &Endpoint{ACI: u, ASC: u + ".asc"}, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		d.opts.Log.Debugf("discovery: %s: %v", u, err)
		res.Attempts = append(res.Attempts, Attempt{Prefix: name, URL: u, Err: err})
	}
	return nil, nil
}

// probe asks whether u serves something: HEAD must answer 200; servers that
// refuse HEAD (anything but 200, 404 and 410) get a GET for one byte, which
// must answer 200 or 206.
func (d *discoverer) probe(ctx context.Context, u string) error {
	status, err := d.status(ctx, http.MethodHead, u)
	if err != nil {
		return err
	}
	switch status {
	case http.StatusOK:
		return nil
	case http.StatusNotFound, http.StatusGone:
		return fmt.Errorf("HEAD %s: expected 200 OK, got %d %s", u, status, http.StatusText(status))
	}
	status, err = d.status(ctx, http.MethodGet, u)
	if err != nil {
		return err
	}
	if status != http.StatusOK && status != http.StatusPartialContent {
		return fmt.Errorf("GET %s: expected 200 OK, got %d %s", u, status, http.StatusText(status))
	}
	return nil
}

func (d *discoverer) status(ctx context.Context, method, u string) (int, error) {
	req, err := d.newRequest(ctx, method, u)
	if err != nil {
		return 0, err
	}
	if method == http.MethodGet {
		req.Header.Set("Range", "bytes=0-0")
	}
	d.opts.Log.Debugf("discovery: %s %s", method, u)
	resp, err := d.client.Do(req)
	if err != nil {
		return 0, err
	}
	// Only the status matters; closing without draining drops the
	// connection, which is cheaper than reading an image we don't want.
	resp.Body.Close()
	return resp.StatusCode, nil
}
