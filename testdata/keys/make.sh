#!/bin/sh
# Regenerates the throwaway key fixtures in this directory with gpg.
# See PROVENANCE.md. Run from anywhere: sh testdata/keys/make.sh
set -eu
cd "$(dirname "$0")"
GNUPGHOME=$(mktemp -d)
export GNUPGHOME
trap 'gpgconf --kill all >/dev/null 2>&1 || true; rm -rf "$GNUPGHOME"' EXIT
g() { gpg --batch --quiet --no-tty --pinentry-mode loopback --passphrase '' --yes "$@"; }

# The AppC signing tutorial's batch file (RSA 2048 key and subkey), minus the
# passphrase so tests can sign without a prompt.
g --gen-key tutorial.batch
g --armor --export carly@example.com >tutorial.pub.asc
g --armor --export-secret-keys carly@example.com >tutorial.sec.asc
printf 'hello, appc\n' >hello.txt
g --armor --detach-sig --output hello.txt.asc hello.txt

# A key that expired in 2021, and a signature it made while it was valid.
g --faked-system-time 20200101T000000 --quick-gen-key 'Expired Key <expired@example.com>' rsa2048 sign 1y
g --armor --export expired@example.com >expired.pub.asc
g --faked-system-time 20200601T000000 --local-user expired@example.com \
	--armor --detach-sig --output hello.txt.expired.asc hello.txt

# A key revoked with gpg's own revocation certificate, and its signature.
g --quick-gen-key 'Revoked Key <revoked@example.com>' rsa2048 sign never
g --local-user revoked@example.com --armor --detach-sig --output hello.txt.revoked.asc hello.txt
fp=$(g --with-colons --list-keys revoked@example.com | awk -F: '$1=="fpr"{print $10; exit}')
g --import "$GNUPGHOME/openpgp-revocs.d/$fp.rev" 2>/dev/null || {
	# The stored certificate starts with a ':' guard line that must go.
	sed 's/^:-----BEGIN/-----BEGIN/' "$GNUPGHOME/openpgp-revocs.d/$fp.rev" | g --import
}
g --armor --export revoked@example.com >revoked.pub.asc
