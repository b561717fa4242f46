# actool (issue 2): build vs the reference actool, validate vs the reference,
# image-id vs zcat | sha512sum, on a ~300 MB mixed tree. Peak RSS limits: 64 MB.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
ref=$(reference_actool)
tree=$(mixed_tree "$BENCH_DIR/tree")
out=$BENCH_DIR/out; rm -rf "$out"; mkdir -p "$out"
echo "  tree: $(du -sh "$tree/rootfs" | cut -f1), $(find "$tree/rootfs" | wc -l) entries"

measure "actool build"            "$BIN/actool build --overwrite $tree $out/ours.aci"
measure "reference actool build"  "$ref build --overwrite $tree $out/ref.aci"
measure "actool validate"         "$BIN/actool validate $out/ours.aci"
measure "reference actool validate" "$ref validate $out/ours.aci"
measure "actool image-id"         "$BIN/actool image-id $out/ours.aci"
measure "zcat | sha512sum"        "zcat $out/ours.aci | sha512sum"

echo
echo "  build:    $(ratio "actool build" "reference actool build")x faster than the reference (target >= 4x); peak RSS $(rss "actool build") KiB (target < 65536)"
echo "  validate: $(ratio "actool validate" "reference actool validate")x faster than the reference (target >= 1.5x); peak RSS $(rss "actool validate") KiB (target < 65536)"
echo "  image-id: $(ratio "actool image-id" "zcat | sha512sum")x faster than zcat | sha512sum (target >= 1.5x)"
echo "  sizes: ours $(stat -c %s "$out/ours.aci") bytes, reference $(stat -c %s "$out/ref.aci") bytes"
