# acrun (issue 5): start-to-exit of a cached busybox-static image running
# /bin/true against crun on the same rootfs in the same run (<= 2x), and
# with --net=default (< 150 ms). The driver is acrun/contrib/bench-crun.sh.
set -euo pipefail
sh "$ROOT/acrun/contrib/bench-crun.sh"
