package main

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/acikit/acikit/internal/cli"
	"github.com/acikit/acikit/internal/discovery"
	"github.com/acikit/acikit/internal/errkind"
	"github.com/acikit/acikit/internal/toolflags"
	ucli "github.com/urfave/cli/v2"
)

func discoverCommand() *ucli.Command {
	return &ucli.Command{
		Name:      "discover",
		Usage:     "find where an image and its signature and keys can be fetched",
		ArgsUsage: "NAME[:version][,label=value]...",
		Description: `Runs AppC meta discovery (and, when it finds nothing, the older simple discovery) for each
app string and prints the endpoints: "ACI: <url>, ASC: <url>" lines and a "PublicKeys: a,b" line,
or with --json one object {"ACIEndpoints":[{"ACI":..,"ASC":..}],"PublicKeys":[..],"Source":..}
per app. os and arch default to this machine's (AppC names), version to "latest".
Requests that failed along the way (an https try before the http fallback, a deeper prefix
without a page) are shown on stderr only with --debug; a failed discovery is one line
counting them and naming the last.`,
		Flags: []ucli.Flag{
			&ucli.BoolFlag{Name: "insecure", Usage: "allow plain http and skip TLS verification (same as --insecure-options=http,tls)"},
			cli.InsecureOptionsFlag(),
			&ucli.IntFlag{Name: "port", Usage: "port to use for discovery requests (`N`)"},
			&ucli.BoolFlag{Name: "json", Usage: "print the result as JSON"},
			toolflags.IdleTimeout(),
			cli.DebugFlag,
		},
		Action: discover,
	}
}

type discoverJSON struct {
	ACIEndpoints []discovery.Endpoint
	PublicKeys   []string
	Source       string
}

func discover(c *ucli.Context) error {
	if err := cli.NArgs(c, 1, -1); err != nil {
		return err
	}
	in, err := cli.Insecurities(c)
	if err != nil {
		return err
	}
	if c.Bool("insecure") {
		in.HTTP, in.TLS = true, true
	}
	port := c.Int("port")
	if port < 0 || port > 65535 {
		return errkind.Usagef("--port %d: port must be in 0-65535", port)
	}
	opts := discovery.Options{InsecureHTTP: in.HTTP, InsecureTLS: in.TLS, Port: port, Log: cli.Logger(c),
		IdleTimeout: toolflags.IdleTime(c)}
	apps := make([]*discovery.App, 0, c.NArg())
	for _, s := range c.Args().Slice() {
		app, err := discovery.ParseApp(s)
		if err != nil {
			return err
		}
		apps = append(apps, app.WithDefaults())
	}
	for _, app := range apps {
		// Each failed request goes to opts.Log at debug level as it
		// happens; once discovery succeeds they are noise, and a failure
		// sums them up in its error.
		eps, err := discovery.DiscoverEndpoints(c.Context, app, opts)
		if err != nil {
			return fmt.Errorf("discover %s: %w", app, err)
		}
		keys, kerr := discovery.DiscoverPublicKeys(c.Context, app, opts)
		var pub []string
		if kerr == nil {
			pub = keys.PublicKeys
		} else {
			opts.Log.Debugf("discover %s: %v", app, kerr)
		}
		if c.Bool("json") {
			enc := json.NewEncoder(cli.Stdout(c))
			enc.SetEscapeHTML(false)
			enc.SetIndent("", "    ")
			if err := enc.Encode(discoverJSON{eps.Endpoints, pub, eps.Source.String()}); err != nil {
				return err
			}
			continue
		}
		for _, ep := range eps.Endpoints {
			cli.Printf(c, "ACI: %s, ASC: %s\n", ep.ACI, ep.ASC)
		}
		if len(pub) > 0 {
			cli.Printf(c, "PublicKeys: %s\n", strings.Join(pub, ","))
		}
	}
	return nil
}
