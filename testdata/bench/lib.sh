# Helpers for the benchmark parts (sourced).

# measure NAME CMD...: runs CMD (through bash -c) once after one warm-up
# run, records wall seconds and peak RSS (KiB) in $BENCH_DIR/results.tsv,
# prints them. The command's stdout is discarded.
measure() {
	local name=$1; shift
	local out=$BENCH_DIR/.time
	bash -c "$*" >/dev/null 2>"$BENCH_DIR/.warm.err" || { cat "$BENCH_DIR/.warm.err" >&2; return 1; }
	/usr/bin/time -f '%e %M' -o "$out" bash -c "$*" >/dev/null
	read -r secs rss <"$out"
	printf '%s\t%s\t%s\n' "$name" "$secs" "$rss" >>"$BENCH_DIR/results.tsv"
	printf '  %-40s %8.2f s  %8d KiB peak RSS\n' "$name" "$secs" "$rss"
}

# secs NAME: the seconds measured for NAME in this run.
secs() { awk -F'\t' -v n="$1" '$1==n {s=$2} END {print s}' "$BENCH_DIR/results.tsv"; }
rss() { awk -F'\t' -v n="$1" '$1==n {s=$3} END {print s}' "$BENCH_DIR/results.tsv"; }

# ratio A B: how many times faster A is than B (B's time / A's time).
ratio() { awk -v a="$(secs "$1")" -v b="$(secs "$2")" 'BEGIN { printf "%.2f", b / a }'; }

# reference_actool: builds the reference actool (test-only oracle module).
reference_actool() {
	local out=$BENCH_DIR/ref/actool
	if [ ! -x "$out" ]; then
		mkdir -p "$BENCH_DIR/ref"
		(cd "$ROOT/testdata/oracle" && GOWORK=off CGO_ENABLED=0 go build -o "$out" github.com/appc/spec/actool) >&2
	fi
	echo "$out"
}

# mixed_tree DIR: a ~300 MB image layout of real files (compilers' libraries,
# locales, docs) at DIR, made once.
mixed_tree() {
	local dir=$1
	if [ ! -f "$dir/manifest" ]; then
		rm -rf "$dir"; mkdir -p "$dir/rootfs"
		tar -C / -cf - usr/lib/gcc usr/share/locale | tar -C "$dir/rootfs" -xf -
		cp "$ROOT/testdata/hello/manifest" "$dir/manifest"
	fi
	echo "$dir"
}

# A part that fails says where, instead of stopping without a word.
set -E
trap 'echo "bench: $(basename "$0"): failed at line $LINENO: $BASH_COMMAND" >&2' ERR
