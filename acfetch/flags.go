package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	ucli "github.com/urfave/cli/v2"

	"github.com/acikit/acikit/internal/cli"
	"github.com/acikit/acikit/internal/discovery"
	"github.com/acikit/acikit/internal/store"
	"github.com/acikit/acikit/internal/trust"
)

// Environment variables read by acfetch (only here, never by the libraries).
const (
	envStoreDir       = "ACIKIT_STORE_DIR"
	envTrustDir       = "ACIKIT_TRUST_DIR"
	envSystemTrustDir = "ACIKIT_SYSTEM_TRUST_DIR"
	envAuthDir        = "ACIKIT_AUTH_DIR"
)

func storeDirFlag() ucli.Flag {
	return &ucli.StringFlag{
		Name:    "store-dir",
		Usage:   "image store `DIR` (default /var/lib/acikit for root, else $XDG_DATA_HOME/acikit)",
		EnvVars: []string{envStoreDir},
	}
}

func commonFlags(extra ...ucli.Flag) []ucli.Flag {
	return append([]ucli.Flag{cli.DebugFlag, cli.QuietFlag, storeDirFlag()}, extra...)
}

// defaultStoreDir is /var/lib/acikit for root, else $XDG_DATA_HOME/acikit
// (~/.local/share/acikit).
func defaultStoreDir() string {
	if os.Geteuid() == 0 {
		return "/var/lib/acikit"
	}
	if x := os.Getenv("XDG_DATA_HOME"); x != "" {
		return filepath.Join(x, "acikit")
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, ".local", "share", "acikit")
}

func openStore(c *ucli.Context) (*store.Store, error) {
	dir := c.String("store-dir")
	if dir == "" {
		dir = defaultStoreDir()
	}
	return store.Open(dir, store.Options{Log: cli.Logger(c)})
}

func trustFlags() []ucli.Flag {
	return []ucli.Flag{
		&ucli.StringFlag{
			Name:    "trust-dir",
			Usage:   "local trust store `DIR` (as acsign trust writes it); default /etc/acikit/trustedkeys for root, else $XDG_CONFIG_HOME/acikit/trustedkeys",
			EnvVars: []string{envTrustDir},
		},
		&ucli.StringFlag{
			Name:    "system-trust-dir",
			Usage:   "read-only vendor trust store `DIR` under the local one (\"\" for none)",
			Value:   trust.SystemDir,
			EnvVars: []string{envSystemTrustDir},
		},
		&ucli.StringSliceFlag{
			Name:    "auth-dir",
			Usage:   "credential `DIR`s holding rkt-style *.json files (default /etc/acikit/auth.d, then the user's config dir)",
			EnvVars: []string{envAuthDir},
		},
	}
}

func trustStore(c *ucli.Context) *trust.Store {
	local := c.String("trust-dir")
	if local == "" {
		home, _ := os.UserHomeDir()
		local = trust.DefaultLocalDir(os.Geteuid(), os.Getenv("XDG_CONFIG_HOME"), home)
	}
	return trust.New(trust.Options{LocalDir: local, SystemDir: c.String("system-trust-dir")})
}

func authDirs(c *ucli.Context) []string {
	if d := c.StringSlice("auth-dir"); len(d) > 0 {
		return d
	}
	dirs := []string{"/etc/acikit/auth.d"}
	if os.Geteuid() != 0 {
		if cfg, err := os.UserConfigDir(); err == nil {
			dirs = append(dirs, filepath.Join(cfg, "acikit", "auth.d"))
		}
	}
	return dirs
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
