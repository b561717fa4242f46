package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/acikit/acikit/internal/cli"
	"github.com/acikit/acikit/internal/errkind"
	"github.com/acikit/acikit/internal/pgp"
)

func keygenCommand() *ucli.Command {
	return &ucli.Command{
		Name:      "keygen",
		Usage:     "generate a signing key pair",
		UsageText: "acsign keygen --name N --email E [flags]",
		Description: `Writes the armored secret key (mode 0600) and the armored public key (pubkeys.gpg,
the file publishers serve and users trust). The secret key is protected by a passphrase from
--passphrase-file, $ACSIGN_PASSPHRASE or a terminal prompt; --no-passphrase must be explicit.
Prints the new key's fingerprint on stdout.`,
		Flags: []ucli.Flag{
			&ucli.StringFlag{Name: "name", Usage: "real name of the user ID"},
			&ucli.StringFlag{Name: "email", Usage: "email of the user ID"},
			&ucli.StringFlag{Name: "comment", Usage: "comment of the user ID"},
			&ucli.StringFlag{Name: "type", Value: "rsa", Usage: "key type: rsa or ed25519"},
			&ucli.IntFlag{Name: "bits", Value: 3072, Usage: "rsa key size: 2048, 3072 or 4096"},
			&ucli.StringFlag{Name: "expire", Value: "0", Usage: "key lifetime: 0 (never), or N followed by d, w, m or y (days, weeks, months, years)"},
			&ucli.StringFlag{Name: "secret-out", Value: "secret.asc", Usage: "write the secret key to `FILE`"},
			&ucli.StringFlag{Name: "public-out", Value: "pubkeys.gpg", Usage: "write the public key to `FILE` (- for stdout)"},
			&ucli.BoolFlag{Name: "overwrite", Usage: "replace existing key files"},
			passphraseFileFlag(),
			&ucli.BoolFlag{Name: "no-passphrase", Usage: "leave the secret key unprotected"},
		},
		Action: keygen,
	}
}

func keygen(c *ucli.Context) error {
	if err := cli.NArgs(c, 0, 0); err != nil {
		return err
	}
	life, err := parseLifetime(c.String("expire"))
	if err != nil {
		return err
	}
	if c.String("secret-out") == "-" {
		return errkind.Usagef("--secret-out: a secret key is written to a file, not stdout")
	}
	// The shown default is for rsa; only an explicit --bits reaches an
	// ed25519 key, which refuses it.
	bits := 0
	if c.IsSet("bits") {
		bits = c.Int("bits")
	}
	opts := pgp.KeygenOptions{
		Name: c.String("name"), Email: c.String("email"), Comment: c.String("comment"),
		Type: pgp.KeyType(c.String("type")), Bits: bits, Lifetime: life,
	}
	if !c.Bool("no-passphrase") {
		p, err := readPassphrase(c, "the new key", true)
		if err != nil {
			return err
		}
		if p == nil {
			return errkind.Usagef("keygen needs a passphrase: give --passphrase-file, set $%s, run on a terminal, or pass --no-passphrase", envPassphrase)
		}
		opts.Passphrase = p
	} else if c.IsSet("passphrase-file") {
		return errkind.Usagef("--no-passphrase and --passphrase-file exclude each other")
	}
	key, err := pgp.Keygen(opts)
	if err != nil {
		return err
	}
	sec, err := cli.CreateOutput(c, c.String("secret-out"), 0o600, c.Bool("overwrite"))
	if err != nil {
		return fmt.Errorf("write secret key: %w", err)
	}
	defer sec.Abort()
	pub, err := cli.CreateOutput(c, c.String("public-out"), 0o644, c.Bool("overwrite"))
	if err != nil {
		return fmt.Errorf("write public key: %w", err)
	}
	defer pub.Abort()
	if err := pgp.WriteSecret(sec, key); err != nil {
		return err
	}
	if err := pgp.WritePublic(pub, key); err != nil {
		return err
	}
	if err := sec.Commit(); err != nil {
		return err
	}
	if err := pub.Commit(); err != nil {
		return err
	}
	if !pub.IsStdout() {
		cli.Printf(c, "%s\n", pgp.Fingerprint(key))
	}
	cli.Logger(c).Infof("generated key %s for %q; secret key in %s, public key in %s",
		pgp.FormatFingerprint(pgp.Fingerprint(key)), firstUID(key), c.String("secret-out"), c.String("public-out"))
	return nil
}

// parseLifetime reads "0", "30d", "2w", "6m", "1y" (a month is 30 days, a
// year 365, as gpg counts them) or a Go duration such as "36h".
func parseLifetime(s string) (time.Duration, error) {
	if s == "" || s == "0" || s == "never" {
		return 0, nil
	}
	units := map[byte]time.Duration{'d': 24 * time.Hour, 'w': 7 * 24 * time.Hour, 'm': 30 * 24 * time.Hour, 'y': 365 * 24 * time.Hour}
	if u, ok := units[s[len(s)-1]]; ok {
		n, err := strconv.Atoi(s[:len(s)-1])
		if err == nil && n > 0 && n < 100*366 {
			return time.Duration(n) * u, nil
		}
	} else if d, err := time.ParseDuration(s); err == nil && d > 0 && !strings.HasPrefix(s, "-") {
		return d, nil
	}
	return 0, errkind.Usagef("--expire %q: want 0, or N followed by d, w, m or y", s)
}
