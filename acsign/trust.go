package main

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	ucli "github.com/urfave/cli/v2"

	"github.com/acikit/acikit/internal/cli"
	"github.com/acikit/acikit/internal/discovery"
	"github.com/acikit/acikit/internal/errkind"
	"github.com/acikit/acikit/internal/httpidle"
	"github.com/acikit/acikit/internal/pgp"
	"github.com/acikit/acikit/internal/toolflags"
	"github.com/acikit/acikit/internal/trust"
)

func trustCommand() *ucli.Command {
	// The shared trailing-flag check would take "list --json" for a flag
	// after an argument; trustAdd checks its own arguments instead.
	return cli.AllowFlagsAfterArgs(&ucli.Command{
		Name:      "trust",
		Usage:     "trust a key for an image name prefix or for all images",
		UsageText: "acsign trust [--prefix NAME | --root] [flags] [KEYFILE|URL...]",
		Description: `Adds public keys to the local trust store, in rkt's layout: prefix.d/NAME/<fingerprint> or
root.d/<fingerprint>, each file the armored key. A key is a file (- for stdin), an https URL,
or an http URL with --insecure-options=http. With --prefix and no key, the keys are found by
AppC meta discovery (ac-discovery-pubkeys) on NAME.

Each key's fingerprint, user IDs and expiry are shown and must be accepted with "yes" on a
terminal; --skip-fingerprint-review accepts without asking (for scripts that checked the
fingerprint another way). Without a terminal and without that flag nothing is trusted.
Prints "<fingerprint><TAB><path>" on stdout for each key file written.`,
		Flags: append([]ucli.Flag{
			&ucli.StringFlag{Name: "prefix", Usage: "trust the keys for image names under `NAME` (by path segment)"},
			&ucli.BoolFlag{Name: "root", Usage: "trust the keys for every image name"},
			&ucli.BoolFlag{Name: "skip-fingerprint-review", Usage: "accept the keys without asking"},
			cli.InsecureOptionsFlag(),
			&ucli.IntFlag{Name: "discovery-port", Hidden: true, Usage: "port for discovery requests (tests)"},
			toolflags.IdleTimeout(),
		}, toolflags.Trust()...),
		Subcommands: []*ucli.Command{trustListCommand(), trustRemoveCommand()},
		Action:      trustAdd,
	})
}

// maxKeySize caps a key read from a file; maxRemoteKeySize one downloaded,
// so that a server sending without end is cut early (a real key is a few
// KiB).
const (
	maxKeySize       = pgp.MaxKeyringSize
	maxRemoteKeySize = 1 << 20
)

type keySource struct {
	location string // what the user gave or discovery found
	armored  []byte
	keys     openpgp.EntityList
}

func trustAdd(c *ucli.Context) error {
	for i, a := range c.Args().Slice() {
		if a == "--" {
			break
		}
		if i > 0 && len(a) > 1 && a[0] == '-' {
			return errkind.Usagef("flag %s after argument %q: flags go before arguments", a, c.Args().First())
		}
	}
	prefix, root := c.String("prefix"), c.Bool("root")
	switch {
	case prefix != "" && root:
		return errkind.Usagef("trust: --root and --prefix exclude each other")
	case prefix == "" && !root:
		return errkind.Usagef("trust: give --prefix NAME or --root (a root key verifies every image)")
	case root && c.NArg() == 0:
		return errkind.Usagef("trust --root: give the key file or URL")
	}
	where := trust.Root
	if prefix != "" {
		where = trust.Prefix
		if err := trust.ValidatePrefix(prefix); err != nil {
			return err
		}
	}
	in, err := cli.Insecurities(c)
	if err != nil {
		return err
	}
	locations := c.Args().Slice()
	if len(locations) == 0 {
		app, err := discovery.ParseApp(prefix)
		if err != nil {
			return err
		}
		res, err := discovery.DiscoverPublicKeys(c.Context, app, discovery.Options{
			InsecureHTTP: in.HTTP, InsecureTLS: in.TLS, Port: c.Int("discovery-port"), Log: cli.Logger(c),
			IdleTimeout: toolflags.IdleTime(c),
		})
		if err != nil {
			return fmt.Errorf("trust --prefix %s: %w", prefix, err)
		}
		locations = res.PublicKeys
	}
	var sources []keySource
	for _, loc := range locations {
		b, err := readKey(c, loc, in)
		if err != nil {
			return err
		}
		keys, err := pgp.ReadKeyring(bytes.NewReader(b))
		if err != nil {
			return fmt.Errorf("key %s: %w", loc, err)
		}
		sources = append(sources, keySource{location: loc, armored: b, keys: keys})
	}
	store := toolflags.TrustStore(c)
	for _, src := range sources {
		if err := review(c, where, prefix, src); err != nil {
			return err
		}
		added, err := store.Add(where, prefix, src.armored)
		if err != nil {
			return fmt.Errorf("trust %s: %w", src.location, err)
		}
		for _, a := range added {
			cli.Printf(c, "%s\t%s\n", a.Fingerprint, a.Path)
			if where == trust.Root {
				cli.Logger(c).Infof("Added root key at %q", a.Path)
			} else {
				cli.Logger(c).Infof("Added key for prefix %q at %q", prefix, a.Path)
			}
		}
	}
	return nil
}

// readKey reads a key from a file, stdin, or an https (or allowed http) URL.
func readKey(c *ucli.Context, loc string, in cli.Insecure) ([]byte, error) {
	u, err := url.Parse(loc)
	if err != nil || u.Scheme == "" || u.Scheme == "file" {
		name := loc
		if err == nil && u.Scheme == "file" {
			name = u.Path
		}
		r, err := cli.OpenInput(c, name)
		if err != nil {
			return nil, fmt.Errorf("open key: %w", err)
		}
		defer r.Close()
		return readLimited(r, maxKeySize, "key "+loc)
	}
	switch {
	case u.Scheme == "http" && !in.HTTP:
		return nil, errkind.Usagef("key %s: plain http needs --insecure-options=http", loc)
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, errkind.Usagef("key %s: unsupported URL scheme %q (want https)", loc, u.Scheme)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if in.TLS {
		tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true}
	}
	// No overall timeout: the idle timeout ends a silent server, and a slow
	// one that keeps sending is bounded by the size cap.
	client := &http.Client{Transport: httpidle.Wrap(tr, toolflags.IdleTime(c)),
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if req.URL.Scheme != "https" && !in.HTTP {
				return errkind.Usagef("redirect to %s needs --insecure-options=http", req.URL)
			}
			if len(via) >= 10 {
				return errors.New("too many redirects")
			}
			return nil
		}}
	req, err := http.NewRequestWithContext(c.Context, http.MethodGet, loc, nil)
	if err != nil {
		return nil, fmt.Errorf("fetch key %s: %w", loc, err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch key %s: %w", loc, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		err := fmt.Errorf("fetch key %s: %s", loc, resp.Status)
		if resp.StatusCode == http.StatusNotFound {
			err = errkind.Mark(err, errkind.NotFound)
		}
		return nil, err
	}
	return readLimited(resp.Body, maxRemoteKeySize, "key "+loc)
}

// review shows each key as rkt does and asks for "yes" on a terminal.
func review(c *ucli.Context, where trust.Where, prefix string, src keySource) error {
	if c.Bool("skip-fingerprint-review") {
		return nil
	}
	if _, ok := terminal(c); !ok {
		return errkind.Trustf("trust %s: standard input is not a terminal, so the key cannot be reviewed; check its fingerprint and pass --skip-fingerprint-review", src.location)
	}
	w := cli.Stderr(c)
	if where == trust.Root {
		fmt.Fprintf(w, "Root key: %q\n", src.location)
	} else {
		fmt.Fprintf(w, "Prefix: %q\nKey: %q\n", prefix, src.location)
	}
	for _, e := range src.keys {
		describeKey(w, e)
	}
	r := bufio.NewReader(cli.Stdin(c))
	for {
		fmt.Fprint(w, "Are you sure you want to trust this key (yes/no)? ")
		line, err := r.ReadString('\n')
		switch strings.TrimSpace(line) {
		case "yes":
			fmt.Fprintf(w, "Trusting %q for %s after fingerprint review.\n", src.location, whereText(where, prefix))
			return nil
		case "no":
			return errkind.Trustf("key %s not trusted: declined at review", src.location)
		}
		if err != nil {
			return errkind.Trustf("key %s not trusted: no answer (%v)", src.location, err)
		}
		fmt.Fprintln(w, "Please enter 'yes' or 'no'")
	}
}

func whereText(where trust.Where, prefix string) string {
	if where == trust.Root {
		return "all images (root)"
	}
	return fmt.Sprintf("prefix %q", prefix)
}

func describeKey(w io.Writer, e *openpgp.Entity) {
	fmt.Fprintf(w, "GPG key fingerprint is: %s\n", pgp.FormatFingerprint(pgp.Fingerprint(e)))
	for _, s := range e.Subkeys {
		fmt.Fprintf(w, "\tSubkey fingerprint: %s\n", pgp.FormatFingerprint(fmt.Sprintf("%x", s.PublicKey.Fingerprint)))
	}
	for _, id := range pgp.UserIDs(e) {
		fmt.Fprintf(w, "\t%s\n", id)
	}
	if exp := pgp.Expiry(e); !exp.IsZero() {
		fmt.Fprintf(w, "\tExpires: %s\n", exp.UTC().Format(time.RFC3339))
	} else {
		fmt.Fprintf(w, "\tExpires: never\n")
	}
	if e.Revoked(time.Now()) {
		fmt.Fprintf(w, "\tWARNING: this key is revoked\n")
	}
}

func trustListCommand() *ucli.Command {
	return &ucli.Command{
		Name:      "list",
		Usage:     "list the trusted keys",
		UsageText: "acsign trust list [--json]",
		Description: `Prints one line per effective key: kind (root or prefix), prefix ("*" for root keys),
fingerprint, primary user ID and source (local or system), tab-separated. Masked system keys
are left out. --json prints an array of objects instead.`,
		Flags: append([]ucli.Flag{
			&ucli.BoolFlag{Name: "json", Usage: "print JSON"},
		}, toolflags.Trust()...),
		Action: trustList,
	}
}

type listEntry struct {
	Kind        trust.Where `json:"kind"`
	Prefix      string      `json:"prefix,omitempty"`
	Fingerprint string      `json:"fingerprint"`
	UserIDs     []string    `json:"userIDs"`
	Expires     *time.Time  `json:"expires,omitempty"`
	Revoked     bool        `json:"revoked"`
	Source      string      `json:"source"`
	Path        string      `json:"path"`
}

func trustList(c *ucli.Context) error {
	if err := cli.NArgs(c, 0, 0); err != nil {
		return err
	}
	entries, err := toolflags.TrustStore(c).List()
	if err != nil {
		return err
	}
	out := make([]listEntry, 0, len(entries))
	for _, e := range entries {
		le := listEntry{Kind: e.Where, Prefix: e.Prefix, Fingerprint: e.Fingerprint, UserIDs: pgp.UserIDs(e.Key),
			Revoked: e.Key.Revoked(time.Now()), Source: "local", Path: e.Path}
		if e.System {
			le.Source = "system"
		}
		if exp := pgp.Expiry(e.Key); !exp.IsZero() {
			exp = exp.UTC()
			le.Expires = &exp
		}
		out = append(out, le)
	}
	if c.Bool("json") {
		enc := json.NewEncoder(cli.Stdout(c))
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(out)
	}
	for _, e := range out {
		prefix := e.Prefix
		if e.Kind == trust.Root {
			prefix = "*"
		}
		uid := ""
		if len(e.UserIDs) > 0 {
			uid = e.UserIDs[0]
		}
		cli.Printf(c, "%s\t%s\t%s\t%s\t%s\n", e.Kind, prefix, e.Fingerprint, uid, e.Source)
	}
	return nil
}

func trustRemoveCommand() *ucli.Command {
	return &ucli.Command{
		Name:      "rm",
		Usage:     "stop trusting a key",
		UsageText: "acsign trust rm [--prefix NAME] FINGERPRINT|KEYID",
		Description: `Removes the key from root.d, or from prefix.d/NAME with --prefix. Without --prefix, a key
that is not a root key is removed from the one prefix it is trusted for; if it is trusted for
several, each is named and nothing is removed. The key is a 40-hex fingerprint or a 16-hex
key ID (its last 16 hex, or a subkey's), in any case, with an optional 0x; an ID matching several trusted
keys is refused. A key that only the system store holds is masked by an empty file of the
same name in the local store.`,
		Flags: append([]ucli.Flag{
			&ucli.StringFlag{Name: "prefix", Usage: "remove the key trusted for `NAME` (default: the root key, else the one prefix it has)"},
		}, toolflags.Trust()...),
		Action: trustRemove,
	}
}

func trustRemove(c *ucli.Context) error {
	if err := cli.NArgs(c, 1, 1); err != nil {
		return err
	}
	store := toolflags.TrustStore(c)
	fp, places, err := store.Resolve(c.Args().First())
	if err != nil {
		return fmt.Errorf("remove key: %w", err)
	}
	prefix := c.String("prefix")
	where := trust.Root
	if prefix != "" {
		where = trust.Prefix
	} else if len(places) > 0 && !slices.ContainsFunc(places, isRoot) {
		// Not a root key: like gpg's delete-key, the key named is removed
		// where it is trusted, when that is one place; several are listed
		// rather than all removed at once.
		if len(places) > 1 {
			return errkind.Usagef("remove key %s: not a root key; it is trusted for %s: give --prefix (%s)", fp, placesText(places), removeHint(places, fp))
		}
		where, prefix = trust.Prefix, places[0].Prefix
	}
	if err := store.Remove(fp, prefix); err != nil {
		var others []trust.Entry
		for _, p := range places {
			if p.Where != where || p.Prefix != prefix {
				others = append(others, p)
			}
		}
		if errors.Is(err, errkind.NotFound) && len(others) > 0 {
			return fmt.Errorf("%w; it is trusted for %s (%s)", err, placesText(others), removeHint(others, fp))
		}
		return err
	}
	log := cli.Logger(c)
	if where == trust.Root {
		log.Infof("removed root key %s (trusted for all images)", fp)
	} else {
		log.Infof("removed key %s trusted for %s", fp, prefix)
	}
	var still []trust.Entry
	for _, p := range places {
		if p.Where != where || p.Prefix != prefix {
			still = append(still, p)
		}
	}
	if len(still) > 0 {
		log.Infof("key %s is still trusted for %s", fp, placesText(still))
	}
	return nil
}

func isRoot(e trust.Entry) bool { return e.Where == trust.Root }

// placesText names where a key is trusted: "all images (root)", "prefix
// example.com/app", ...
func placesText(places []trust.Entry) string {
	var out []string
	for _, p := range places {
		if p.Where == trust.Root {
			out = append(out, "all images (root)")
		} else {
			out = append(out, "prefix "+p.Prefix)
		}
	}
	return strings.Join(out, ", ")
}

// removeHint gives the commands that remove the key from each place.
func removeHint(places []trust.Entry, fp string) string {
	var out []string
	for _, p := range places {
		if p.Where == trust.Root {
			out = append(out, "acsign trust rm "+fp)
		} else {
			out = append(out, "acsign trust rm --prefix "+p.Prefix+" "+fp)
		}
	}
	return strings.Join(out, "; ")
}
