package main

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	ucli "github.com/urfave/cli/v2"

	"github.com/acikit/acikit/internal/cli"
	"github.com/acikit/acikit/internal/errkind"
	"github.com/acikit/acikit/internal/pgp"
	"github.com/acikit/acikit/internal/toolflags"
)

func verifyCommand() *ucli.Command {
	return &ucli.Command{
		Name:      "verify",
		Usage:     "check an image's detached signature",
		UsageText: "acsign verify [--keyring FILE | --trust-dir DIR] [--name NAME] IMAGE [SIG]",
		Description: `SIG defaults to IMAGE.asc (armored or binary), else rkt's name for it (IMAGE with a trailing .aci
dropped, then .aci.asc). With --keyring every key in FILE is
accepted. Otherwise the keys come from the trust store as rkt picks them: every root key and the
keys of each prefix of the image's name by path segment, the name read from the image's
manifest (or given with --name, needed when IMAGE is "-").

On success prints one line on stdout: the signer's fingerprint (40 hex), a tab, and the
signer's primary user ID. A bad or untrusted signature exits with status 4.`,
		Flags: append([]ucli.Flag{
			&ucli.StringFlag{Name: "keyring", Usage: "accept the keys in `FILE` (armored or binary) instead of the trust store"},
			&ucli.StringFlag{Name: "name", Usage: "choose trusted keys for image `NAME` instead of the manifest's name"},
		}, toolflags.Trust()...),
		Action: verify,
	}
}

func verify(c *ucli.Context) error {
	if err := cli.NArgs(c, 1, 2); err != nil {
		return err
	}
	image, sigName := c.Args().Get(0), c.Args().Get(1)
	if sigName == "" {
		if image == "-" {
			return errkind.Usagef("verify: give SIG when the image comes from stdin")
		}
		// IMAGE.asc, else rkt's name for it, as acfetch and acrun read.
		names := pgp.SignatureNames(image)
		sigName = names[0]
		for _, n := range names {
			if _, err := os.Stat(n); err == nil {
				sigName = n
				break
			}
		}
	}
	if image == "-" && sigName == "-" {
		return errkind.Usagef("verify: the image and the signature cannot both come from stdin")
	}
	if c.IsSet("keyring") && (trustDirGiven(c) || c.IsSet("name")) {
		return errkind.Usagef("verify: --keyring excludes --trust-dir and --name")
	}
	keys, name, err := verifyKeys(c, image)
	if err != nil {
		return err
	}
	// The image first: a missing image is not found (5), a missing
	// signature beside it a trust failure (4).
	img, err := cli.OpenInput(c, image)
	if err != nil {
		return fmt.Errorf("open image: %w", err)
	}
	defer img.Close()
	sig, err := cli.OpenInput(c, sigName)
	if err != nil {
		return errkind.Mark(fmt.Errorf("open signature: %w", err), errkind.Trust)
	}
	defer sig.Close()
	signer, err := pgp.Verify(c.Context, img, sig, keys, time.Now())
	if err != nil {
		if name != "" {
			err = pgp.WithName(err, name)
		}
		return fmt.Errorf("verify %s: %w", image, err)
	}
	uid := ""
	if len(signer.UserIDs) > 0 {
		uid = signer.UserIDs[0]
	}
	cli.Printf(c, "%s\t%s\n", signer.Fingerprint, uid)
	cli.Logger(c).Infof("good signature on %s by %q, key %s", image, strings.Join(signer.UserIDs, `", "`), pgp.FormatFingerprint(signer.Fingerprint))
	return nil
}

// trustDirGiven reports whether --trust-dir was given on the command line.
// urfave's IsSet is also true when only $ACIKIT_TRUST_DIR is set, and a
// user who keeps that in their profile must still be able to use --keyring.
func trustDirGiven(c *ucli.Context) bool {
	if !c.IsSet("trust-dir") {
		return false
	}
	env, ok := os.LookupEnv(toolflags.EnvTrustDir)
	return !ok || c.String("trust-dir") != env
}

// verifyKeys returns the keyring to check with and the image name it was
// chosen for ("" with --keyring).
func verifyKeys(c *ucli.Context, image string) (openpgp.EntityList, string, error) {
	if f := c.String("keyring"); f != "" {
		r, err := cli.OpenInput(c, f)
		if err != nil {
			return nil, "", fmt.Errorf("open keyring: %w", err)
		}
		defer r.Close()
		keys, err := pgp.ReadKeyring(r)
		if err != nil {
			return nil, "", fmt.Errorf("keyring %s: %w", f, err)
		}
		return keys, "", nil
	}
	name := c.String("name")
	if name == "" {
		if image == "-" {
			return nil, "", errkind.Usagef("verify: give --name (or --keyring) when the image comes from stdin")
		}
		f, err := os.Open(image)
		if err != nil {
			return nil, "", cli.NotFound(fmt.Errorf("open image: %w", err))
		}
		// The image is read twice (name, then signature): a pipe such as
		// <(curl ...) would be empty the second time and look tampered.
		if st, err := f.Stat(); err == nil && !st.Mode().IsRegular() {
			f.Close()
			return nil, "", errkind.Usagef("verify: %s is not a regular file; give --name (or --keyring) to choose the keys", image)
		}
		name, err = imageName(c.Context, f)
		f.Close()
		if err != nil {
			return nil, "", fmt.Errorf("%s: %w (give --name to choose the keys)", image, err)
		}
	}
	keys, err := toolflags.TrustStore(c).KeyringFor(name)
	if err != nil {
		return nil, "", err
	}
	cli.Logger(c).Debugf("%d trusted key(s) for %q", len(keys), name)
	return keys, name, nil
}
