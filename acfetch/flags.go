package main

import (
	"fmt"
	"strings"

	ucli "github.com/urfave/cli/v2"

	"github.com/acikit/acikit/internal/cli"
	"github.com/acikit/acikit/internal/discovery"
	"github.com/acikit/acikit/internal/store"
	"github.com/acikit/acikit/internal/toolflags"
)

func commonFlags(extra ...ucli.Flag) []ucli.Flag {
	return append([]ucli.Flag{cli.DebugFlag, cli.QuietFlag, toolflags.StoreDir()}, extra...)
}

func openStore(c *ucli.Context) (*store.Store, error) {
	return store.Open(toolflags.StorePath(c), store.Options{Log: cli.Logger(c)})
}

func trustFlags() []ucli.Flag {
	return append(toolflags.Trust(), toolflags.AuthDir())
}

// lookup finds a stored image by ID prefix (sha512-...) or by name as rkt
// does (name and every given label; latest, then newest).
func lookup(st *store.Store, ref string) (*store.Image, error) {
	if strings.HasPrefix(ref, "sha512-") {
		return st.ResolveID(ref)
	}
	app, err := discovery.ParseApp(ref)
	if err != nil {
		return nil, err
	}
	labels := map[string]string{}
	for k, v := range app.Labels {
		labels[string(k)] = v
	}
	im, err := st.Resolve(string(app.Name), labels)
	if err != nil {
		return nil, fmt.Errorf("look up %s: %w", ref, err)
	}
	return im, nil
}
