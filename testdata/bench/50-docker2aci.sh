# docker2aci (issue 6): conversion of a ~300 MB docker save archive (squashed,
# gzip output) against actool build of the same rootfs extracted on disk.
# Targets: <= 1.2x the time of actool build, peak RSS < 128 MB. The archive
# (Docker 1.10-24 shape: manifest.json, config, <id>/layer.tar as real files)
# is made by hand from the mixed tree in two layers, so squashing has work to
# do. The machine is shared: the two commands run in turn, three rounds, and
# the best time of each counts.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
d=$BENCH_DIR/docker2aci
mkdir -p "$d"
tree=$(mixed_tree "$BENCH_DIR/tree")
archive=$d/docker-save.tar

if [ ! -f "$archive" ]; then
	w=$d/work
	rm -rf "$w"
	mkdir -p "$w"
	layers=() diffs=()
	for part in lib/gcc share/locale; do
		tar -C "$tree/rootfs" --numeric-owner --sort=name -cf "$w/layer.tar" \
			--no-recursion usr "usr/${part%/*}" --recursion "usr/$part"
		diff=$(sha256sum "$w/layer.tar" | cut -d' ' -f1)
		mkdir -p "$w/$diff"
		mv "$w/layer.tar" "$w/$diff/layer.tar"
		layers+=("\"$diff/layer.tar\"") diffs+=("\"sha256:$diff\"")
	done
	printf '{"architecture":"amd64","os":"linux","created":"2024-01-01T00:00:00Z","config":{"Env":["PATH=/usr/bin"],"Cmd":["/bin/sh"]},"rootfs":{"type":"layers","diff_ids":[%s]}}' \
		"$(IFS=,; echo "${diffs[*]}")" >"$w/config.json"
	cfg=$(sha256sum "$w/config.json" | cut -d' ' -f1)
	mv "$w/config.json" "$w/$cfg.json"
	printf '[{"Config":"%s.json","RepoTags":["bench/mixed:latest"],"Layers":[%s]}]' "$cfg" "$(IFS=,; echo "${layers[*]}")" >"$w/manifest.json"
	(cd "$w" && tar --numeric-owner -cf "$archive.tmp" manifest.json "$cfg.json" $(ls -d */))
	mv "$archive.tmp" "$archive"
	rm -rf "$w"
fi
out=$d/out
rm -rf "$out"
mkdir -p "$out"
trap 'rm -rf "$out"' EXIT
echo "  archive: $(stat -c %s "$archive") bytes; tree: $(du -sh "$tree/rootfs" | cut -f1)"

names=("docker2aci (squashed, gzip)" "actool build (same rootfs)")
declare -A cmds=(["${names[0]}"]="'$BIN/docker2aci' --quiet --overwrite --compression gzip -o '$out/d2a.aci' '$archive'"
	["${names[1]}"]="'$BIN/actool' build --overwrite '$tree' '$out/build.aci'")
declare -A best bestrss
for n in "${names[@]}"; do
	bash -c "${cmds[$n]}" >/dev/null 2>"$d/.err" || { cat "$d/.err" >&2; exit 1; }
done
for round in 1 2 3; do
	for n in "${names[@]}"; do
		/usr/bin/time -f '%e %M' -o "$d/.time" bash -c "${cmds[$n]}" >/dev/null
		read -r s rss <"$d/.time"
		if [ -z "${best[$n]:-}" ] || awk -v a="$s" -v b="${best[$n]}" 'BEGIN { exit !(a < b) }'; then
			best[$n]=$s bestrss[$n]=$rss
		fi
	done
done
for n in "${names[@]}"; do
	printf '%s\t%s\t%s\n' "$n" "${best[$n]}" "${bestrss[$n]}" >>"$BENCH_DIR/results.tsv"
	printf '  %-40s %8.2f s  %8d KiB peak RSS (best of 3)\n' "$n" "${best[$n]}" "${bestrss[$n]}"
done

echo
echo "  convert: $(ratio "${names[1]}" "${names[0]}")x the time of actool build of the same rootfs (target <= 1.2x); peak RSS $(rss "${names[0]}") KiB (target < 131072)"
echo "  sizes: docker2aci $(stat -c %s "$out/d2a.aci") bytes, actool build $(stat -c %s "$out/build.aci") bytes"
