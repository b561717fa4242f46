// Package toolflags holds the flags that locate acikit's on-disk state (the
// trust store, the image store, credentials) and their environment
// variables, shared by acsign, acfetch and acrun so each name means the same
// thing everywhere. It is CLI glue: the libraries get plain paths.
package toolflags

import (
	"os"
	"path/filepath"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/acikit/acikit/internal/httpidle"
	"github.com/acikit/acikit/internal/trust"
)

// Environment variables that override the defaults.
const (
	EnvTrustDir       = "ACIKIT_TRUST_DIR"
	EnvSystemTrustDir = "ACIKIT_SYSTEM_TRUST_DIR"
	EnvStoreDir       = "ACIKIT_STORE_DIR"
	EnvAuthDir        = "ACIKIT_AUTH_DIR"
)

// IdleTimeout returns --idle-timeout ($ACIKIT_IDLE_TIMEOUT), the time a
// network read may receive nothing before it fails; every tool that reads
// the network has it, with the same name, variable and default.
func IdleTimeout() ucli.Flag {
	return &ucli.DurationFlag{
		Name:    "idle-timeout",
		Usage:   "fail a network read that receives no byte for `DURATION` (an image download is resumed first; 0: never)",
		Value:   httpidle.DefaultTimeout,
		EnvVars: []string{httpidle.Env},
	}
}

// IdleTime is the idle timeout the flag gives, as the libraries take it:
// 0 (or less) turns the timeout off, which they spell as a negative value.
func IdleTime(c *ucli.Context) time.Duration {
	if d := c.Duration("idle-timeout"); d > 0 {
		return d
	}
	return -1
}

// Trust returns --trust-dir and --system-trust-dir.
func Trust() []ucli.Flag {
	return []ucli.Flag{
		&ucli.StringFlag{
			Name:    "trust-dir",
			Usage:   "local trust store `DIR` (holds root.d and prefix.d; /etc/rkt/trustedkeys works); default /etc/acikit/trustedkeys for root, else $XDG_CONFIG_HOME/acikit/trustedkeys",
			EnvVars: []string{EnvTrustDir},
		},
		&ucli.StringFlag{
			Name:    "system-trust-dir",
			Usage:   "read-only vendor trust store `DIR` under the local one (\"\" for none)",
			Value:   trust.SystemDir,
			EnvVars: []string{EnvSystemTrustDir},
		},
	}
}

// TrustStore opens the trust store the flags name.
func TrustStore(c *ucli.Context) *trust.Store {
	local := c.String("trust-dir")
	if local == "" {
		home, _ := os.UserHomeDir()
		local = trust.DefaultLocalDir(os.Geteuid(), os.Getenv("XDG_CONFIG_HOME"), home)
	}
	return trust.New(trust.Options{LocalDir: local, SystemDir: c.String("system-trust-dir")})
}

// StoreDir returns --store-dir.
func StoreDir() ucli.Flag {
	return &ucli.StringFlag{
		Name:    "store-dir",
		Usage:   "image store `DIR` (default /var/lib/acikit for root, else $XDG_DATA_HOME/acikit)",
		EnvVars: []string{EnvStoreDir},
	}
}

// StorePath is the image store directory the flags name: /var/lib/acikit
// for root, else $XDG_DATA_HOME/acikit (~/.local/share/acikit).
func StorePath(c *ucli.Context) string {
	home, _ := os.UserHomeDir()
	return storePath(c.String("store-dir"), os.Geteuid(), os.Getenv("XDG_DATA_HOME"), home)
}

func storePath(flag string, euid int, xdgDataHome, home string) string {
	switch {
	case flag != "":
		return flag
	case euid == 0:
		return "/var/lib/acikit"
	// A relative XDG_DATA_HOME is ignored (XDG spec), and without a home
	// the answer is "" (store.Open refuses it) rather than a store made
	// in the working directory.
	case filepath.IsAbs(xdgDataHome):
		return filepath.Join(xdgDataHome, "acikit")
	case filepath.IsAbs(home):
		return filepath.Join(home, ".local", "share", "acikit")
	}
	return ""
}

// AuthDir returns --auth-dir.
func AuthDir() ucli.Flag {
	return &ucli.StringSliceFlag{
		Name:    "auth-dir",
		Usage:   "credential `DIR`s holding rkt-style *.json files (default /etc/acikit/auth.d, then the user's config dir)",
		EnvVars: []string{EnvAuthDir},
	}
}

// AuthDirs are the credential directories the flags name.
func AuthDirs(c *ucli.Context) []string {
	if d := c.StringSlice("auth-dir"); len(d) > 0 {
		// Absolute, as internal/cli makes the single directory flags.
		out := make([]string, len(d))
		for i, p := range d {
			out[i] = p
			if abs, err := filepath.Abs(p); err == nil && p != "" {
				out[i] = abs
			}
		}
		return out
	}
	dirs := []string{"/etc/acikit/auth.d"}
	if os.Geteuid() != 0 {
		if cfg, err := os.UserConfigDir(); err == nil {
			dirs = append(dirs, filepath.Join(cfg, "acikit", "auth.d"))
		}
	}
	return dirs
}
