#!/usr/bin/env bash
# The acikit user story, end to end, against a loopback server:
#   a static hello -> actool build -> acsign keygen + sign -> acsign trust
#   -> python3 -m http.server on 127.0.0.1 -> acfetch (progress bar on a
#   terminal) -> acrun prints "Hello AppC".
# Run by `make demo`, which builds the tools into $BIN first. The trust store,
# the image store and the pods (with their network state) live under the
# demo directory, so the demo changes nothing in /etc or /var/lib.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
BIN=${BIN:-$root/bin}
work=${DEMO_DIR:-$root/.cache/demo}
PATH=$BIN:$PATH
export ACIKIT_TRUST_DIR=$work/trustedkeys ACIKIT_SYSTEM_TRUST_DIR= ACIKIT_STORE_DIR=$work/store
export ACIKIT_POD_DIR=$work/pods
export ACIKIT_CNI_PATH=${CNI_PATH:-$BIN/cni}

say() { printf '\n== %s\n' "$*" >&2; }
run() { printf '$ %s\n' "$*" >&2; "$@"; }

server=
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; wait 2>/dev/null || true; }
trap cleanup EXIT

# The previous run's pods go through gc (it unmounts what a killed run left).
[ -d "$work/pods" ] && acrun gc --grace=0s >/dev/null 2>&1 || true
rm -rf "$work"
mkdir -p "$work/layout/rootfs/bin" "$work/www"
cd "$work"

say "1. a static hello program in rootfs/bin, and its manifest"
run gcc -static -Os -o layout/rootfs/bin/hello "$root/testdata/hello/hello.c"
cp "$root/testdata/hello/manifest" layout/manifest
cat layout/manifest >&2

say "2. build and check the image"
id=$(run actool build layout www/hello.aci)
echo "image ID: $id" >&2
run actool --debug validate www/hello.aci
echo "zcat | sha512sum gives: sha512-$(zcat www/hello.aci | sha512sum | cut -d' ' -f1)" >&2

say "3. make a key and sign the image"
run acsign keygen --name "acikit demo" --email demo@example.com --no-passphrase \
	--secret-out demo.key --public-out www/pubkeys.gpg >/dev/null
run acsign sign --key demo.key www/hello.aci
ls -l www >&2

say "4. trust the public key (for every name: --root)"
run acsign trust --root --skip-fingerprint-review www/pubkeys.gpg >/dev/null

say "5. serve the directory on 127.0.0.1"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
python3 -m http.server --bind 127.0.0.1 --directory www "$port" >/dev/null 2>&1 &
server=$!
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
url=http://127.0.0.1:$port/hello.aci

say "6. fetch it: signature checked against the trusted key, image stored"
fetched=$(run acfetch --insecure-options=http "$url")
echo "stored: $fetched" >&2
[ "$fetched" = "$id" ] || { echo "demo: fetched ID $fetched, built $id" >&2; exit 1; }

say "7. an unsigned copy is refused"
cp www/hello.aci www/unsigned.aci
if run acfetch --insecure-options=http "http://127.0.0.1:$port/unsigned.aci" 2>&1; then
	echo "demo: the unsigned image was accepted" >&2; exit 1
fi

say "8. run it"
out=$(run acrun --insecure-options=http "$url")
echo "$out"
[ "$out" = "Hello AppC" ] || { echo "demo: acrun printed '$out'" >&2; exit 1; }
say "done: the whole story works"
