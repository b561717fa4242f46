package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/ProtonMail/go-crypto/openpgp"
	ucli "github.com/urfave/cli/v2"
	"golang.org/x/term"

	"github.com/acikit/acikit/internal/cli"
	"github.com/acikit/acikit/internal/errkind"
	"github.com/acikit/acikit/internal/pgp"
)

// envPassphrase is read here only, never by the libraries.
const envPassphrase = "ACSIGN_PASSPHRASE"

func passphraseFileFlag() *ucli.StringFlag {
	return &ucli.StringFlag{
		Name:  "passphrase-file",
		Usage: "read the passphrase from the first line of `FILE` (- for stdin; else $" + envPassphrase + ", else a prompt on a terminal)",
	}
}

// maxPassphraseFile caps what --passphrase-file reads.
const maxPassphraseFile = 64 << 10

// readPassphrase gets a passphrase from --passphrase-file, the environment
// or the terminal. confirm asks twice (for a new key). It returns nil when
// none is available and no terminal can ask.
func readPassphrase(c *ucli.Context, what string, confirm bool) ([]byte, error) {
	if f := c.String("passphrase-file"); f != "" {
		r, err := cli.OpenInput(c, f)
		if err != nil {
			return nil, fmt.Errorf("read passphrase: %w", err)
		}
		defer r.Close()
		// Capped: a passphrase is a line, and /dev/zero must not fill memory.
		b, err := readLimited(r, maxPassphraseFile, "passphrase file "+f)
		if err != nil {
			return nil, errkind.Mark(err, errkind.Usage)
		}
		line, _, _ := strings.Cut(string(b), "\n")
		return []byte(strings.TrimSuffix(line, "\r")), nil
	}
	if p, ok := os.LookupEnv(envPassphrase); ok {
		return []byte(p), nil
	}
	fd, ok := terminal(c)
	if !ok {
		return nil, nil
	}
	fmt.Fprintf(cli.Stderr(c), "Passphrase for %s: ", what)
	p, err := term.ReadPassword(fd)
	fmt.Fprintln(cli.Stderr(c))
	if err != nil {
		return nil, fmt.Errorf("read passphrase: %w", err)
	}
	if confirm {
		fmt.Fprintf(cli.Stderr(c), "Repeat the passphrase: ")
		again, err := term.ReadPassword(fd)
		fmt.Fprintln(cli.Stderr(c))
		if err != nil {
			return nil, fmt.Errorf("read passphrase: %w", err)
		}
		if !bytes.Equal(p, again) {
			return nil, errkind.Usagef("the passphrases differ")
		}
	}
	return p, nil
}

// terminal returns stdin's descriptor when stdin is a terminal.
func terminal(c *ucli.Context) (int, bool) {
	f, ok := cli.Stdin(c).(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return 0, false
	}
	return int(f.Fd()), true
}

// loadSecretKey reads a secret key file and unlocks it.
func loadSecretKey(c *ucli.Context, name string) (*openpgp.Entity, error) {
	r, err := cli.OpenInput(c, name)
	if err != nil {
		return nil, fmt.Errorf("open secret key: %w", err)
	}
	defer r.Close()
	el, err := pgp.ReadKeyring(r)
	if err != nil {
		return nil, fmt.Errorf("secret key %s: %w", name, err)
	}
	if len(el) != 1 {
		return nil, errkind.Usagef("secret key %s: holds %d keys, want one", name, len(el))
	}
	key := el[0]
	if !pgp.IsSecret(key) {
		return nil, errkind.Usagef("secret key %s: is a public key", name)
	}
	if pgp.Locked(key) {
		p, err := readPassphrase(c, fmt.Sprintf("%s (%s)", firstUID(key), pgp.Fingerprint(key)), false)
		if err != nil {
			return nil, err
		}
		if p == nil {
			return nil, errkind.Usagef("secret key %s is protected: give --passphrase-file, set $%s, or run on a terminal", name, envPassphrase)
		}
		if err := pgp.Unlock(key, p); err != nil {
			return nil, err
		}
	}
	return key, nil
}

func firstUID(e *openpgp.Entity) string {
	if ids := pgp.UserIDs(e); len(ids) > 0 {
		return ids[0]
	}
	return "(no user ID)"
}

// readLimited reads a small input fully (keys), with a cap.
func readLimited(r io.Reader, limit int64, what string) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", what, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s too large (more than %d bytes)", what, limit)
	}
	return b, nil
}
