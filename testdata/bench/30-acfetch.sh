# acfetch (issue 4): fetch + verify + store of a ~300 MB signed gzip image
# served over loopback (python3 -m http.server), against
#   curl -o f; gpg --verify f.asc f; zcat f | sha512sum   (one after another)
# and against klauspost gzip decoding of the same file alone (the fetch
# package's BenchmarkGzipDecode, as a test binary). Targets: faster than the
# first, within 1.3x of the second, peak RSS < 64 MB. The machine is shared:
# the three commands run in turn, three rounds, and the best time of each
# counts.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
d=$BENCH_DIR/acfetch
mkdir -p "$d"
tree=$(mixed_tree "$BENCH_DIR/tree")
img=$d/srv/hello.aci

# The signed image, made once: actool build of the mixed tree, signed by a
# key made here.
if [ ! -f "$img.asc" ]; then
	rm -rf "$d/srv" "$d/key"
	mkdir -p "$d/srv" "$d/key"
	"$BIN/actool" build --overwrite "$tree" "$img" >/dev/null
	"$BIN/acsign" --quiet keygen --name bench --email bench@example.com --type ed25519 --no-passphrase \
		--secret-out "$d/key/secret.asc" --public-out "$d/key/pubkeys.gpg" >/dev/null
	"$BIN/acsign" --quiet sign --key "$d/key/secret.asc" "$img"
fi
echo "  image: $(stat -c %s "$img") bytes gzip, $(zcat "$img" | wc -c) bytes of tar"

# Trust: acfetch's trust store and a gpg home, both holding the key.
rm -rf "$d/trust" "$d/gnupg" "$d"/store.* "$d/f" "$d/f.asc"
"$BIN/acsign" --quiet trust --trust-dir "$d/trust" --system-trust-dir "" --root --skip-fingerprint-review "$d/key/pubkeys.gpg" >/dev/null
export GNUPGHOME=$d/gnupg
mkdir -m 700 "$GNUPGHOME"
gpg --batch -q --import "$d/key/pubkeys.gpg" 2>/dev/null

# The klauspost baseline: the fetch package's test binary.
(cd "$ROOT/internal" && CGO_ENABLED=0 go test -c -o "$d/fetch.test" ./fetch)

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 -m http.server --bind 127.0.0.1 --directory "$d/srv" "$port" >/dev/null 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$d"/store.* "$d/f" "$d/f.asc"' EXIT
url=http://127.0.0.1:$port/hello.aci
for _ in $(seq 50); do curl -sfo /dev/null "$url.asc" && break; sleep 0.1; done

# Each acfetch run fetches into a new, empty store.
fetch_cmd="s=\$(mktemp -d '$d/store.XXXXXX') && '$BIN/acfetch' fetch --quiet --store-dir \"\$s\" --trust-dir '$d/trust' \
--system-trust-dir '' --auth-dir '$d/none' --insecure-options=http '$url'"
pipeline_cmd="curl -sfo '$d/f' '$url' && curl -sfo '$d/f.asc' '$url.asc' && gpg --batch -q --verify '$d/f.asc' '$d/f' 2>/dev/null \
&& zcat '$d/f' | sha512sum"
gunzip_cmd="ACIKIT_BENCH_FILE='$img' '$d/fetch.test' -test.run '^\$' -test.bench '^BenchmarkGzipDecode\$' -test.benchtime 1x"

# best NAME...: after one warm-up run each, three rounds of the named
# commands in turn; the best wall time (and its peak RSS) of each goes to
# results.tsv as measure records it.
declare -A cmds=(["acfetch fetch (empty store)"]=$fetch_cmd ["curl; gpg --verify; zcat | sha512sum"]=$pipeline_cmd
	["klauspost gzip decode"]=$gunzip_cmd)
names=("acfetch fetch (empty store)" "curl; gpg --verify; zcat | sha512sum" "klauspost gzip decode")
declare -A best bestrss
for n in "${names[@]}"; do
	bash -c "${cmds[$n]}" >/dev/null 2>"$d/.err" || { cat "$d/.err" >&2; exit 1; }
	rm -rf "$d"/store.*
done
for round in 1 2 3; do
	for n in "${names[@]}"; do
		/usr/bin/time -f '%e %M' -o "$d/.time" bash -c "${cmds[$n]}" >/dev/null
		read -r s rss <"$d/.time"
		rm -rf "$d"/store.*
		if [ -z "${best[$n]:-}" ] || awk -v a="$s" -v b="${best[$n]}" 'BEGIN { exit !(a < b) }'; then
			best[$n]=$s bestrss[$n]=$rss
		fi
	done
done
for n in "${names[@]}"; do
	printf '%s\t%s\t%s\n' "$n" "${best[$n]}" "${bestrss[$n]}" >>"$BENCH_DIR/results.tsv"
	printf '  %-40s %8.2f s  %8d KiB peak RSS (best of 3)\n' "$n" "${best[$n]}" "${bestrss[$n]}"
done

f="acfetch fetch (empty store)"
echo
echo "  fetch: $(ratio "$f" "curl; gpg --verify; zcat | sha512sum")x faster than curl; gpg --verify; zcat | sha512sum (target > 1x)"
echo "  fetch: $(ratio "klauspost gzip decode" "$f")x the time of klauspost gzip decoding alone (target <= 1.3x); peak RSS $(rss "$f") KiB (target < 65536)"
