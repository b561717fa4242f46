#!/bin/sh
# Compares acsign sign/verify with gpg on one large file (default 1024 MiB,
# ACIKIT_BENCH_MB to change) and prints "acsign-bench ..." lines with the
# speed ratio and acsign's peak memory. Called by `make bench`.
set -eu
cd "$(dirname "$0")/.."
ACIKIT_BENCH=1 exec go test -count=1 -run '^TestBenchAgainstGPG$' -v . 
