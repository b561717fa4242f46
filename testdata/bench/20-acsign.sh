# acsign (issue 3): sign and verify of a 1 GiB file against gpg in the same
# run; memory under 32 MB. The driver is a Go test that runs both tools.
set -euo pipefail
sh "$ROOT/acsign/contrib/bench-gpg.sh" 2>&1 | grep -E 'acsign-bench|^(ok|FAIL|---)' | sed 's/^/  /'
