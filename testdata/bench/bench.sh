#!/usr/bin/env bash
# make bench: every benchmark of docs/benchmarks.md, each against its named
# baseline in the same run. Ratios are what count: this machine is noisy.
# Parts are the NN-*.sh scripts beside this one, run in order; each prints a
# table on stdout. BENCH_ONLY=actool (a part's name) runs one part.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
export BIN=${BIN:-$root/bin}
export BENCH_DIR=${BENCH_DIR:-$root/.cache/bench}
export ROOT=$root
mkdir -p "$BENCH_DIR"
. "$here/lib.sh"

for part in "$here"/[0-9][0-9]-*.sh; do
	name=$(basename "$part" .sh); name=${name#*-}
	if [ -n "${BENCH_ONLY:-}" ] && [ "$BENCH_ONLY" != "$name" ]; then continue; fi
	echo
	echo "## $name"
	bash "$part"
done
