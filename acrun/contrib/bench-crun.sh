#!/bin/sh
# Start-to-exit of a cached busybox-static image running /bin/true: acrun
# --net=none against crun on the same rootfs in the same run (target: at
# most 2x crun), and acrun --net=default (target: under 150 ms). As root.
#
# crun refuses this machine's hybrid cgroup layout while the cgroup2 mount
# at /sys/fs/cgroup/unified owns a controller, so everything runs in a
# private mount namespace where that mount is gone (the host is untouched);
# acrun runs in the same namespace, so both see the same cgroups.
#
# Env: BIN (the tools, default ./bin, CNI plugins in $BIN/cni), BENCH_DIR,
# RUNS (default 30).
set -eu
BIN=${BIN:-$(pwd)/bin}
W=${BENCH_DIR:-/tmp/acikit-bench}/acrun
RUNS=${RUNS:-30}
for c in busybox crun hyperfine unshare python3; do
	command -v $c >/dev/null || { echo "bench-crun: needs $c" >&2; exit 1; }
done
rm -rf "$W"; mkdir -p "$W/layout/rootfs/bin" "$W/bundle"
cp "$(command -v busybox)" "$W/layout/rootfs/bin/busybox"
for a in true sh; do ln -s busybox "$W/layout/rootfs/bin/$a"; done
cat >"$W/layout/manifest" <<'M'
{"acKind":"ImageManifest","acVersion":"0.8.11","name":"example.com/bench-true","app":{"exec":["/bin/true"],"user":"0","group":"0"}}
M
id=$("$BIN/actool" build --owner-root "$W/layout" "$W/true.aci")
export ACIKIT_STORE_DIR="$W/store" ACIKIT_POD_DIR="$W/pods" ACIKIT_CNI_PATH="$BIN/cni"
# Import and render once: the runs measured use the cached tree.
"$BIN/acrun" --quiet --insecure-options=image --net=none "$W/true.aci" 2>/dev/null

cp -a "$W/layout/rootfs" "$W/bundle/rootfs"
(cd "$W/bundle" && crun spec)
python3 - "$W/bundle/config.json" <<'P'
import json, sys
p = sys.argv[1]; c = json.load(open(p))
c["process"]["args"] = ["/bin/true"]; c["process"]["terminal"] = False; c["root"]["readonly"] = True
json.dump(c, open(p, "w"))
P

acrun="$BIN/acrun --quiet --insecure-options=image"
unshare -m --propagation private sh -c "
	umount /sys/fs/cgroup/unified 2>/dev/null || true
	hyperfine -N --style none --warmup 3 --runs $RUNS --export-json '$W/times.json' \
		-n crun 'crun run -b $W/bundle acikit-bench-$$' \
		-n acrun-net-none '$acrun --net=none $id' \
		-n acrun-net-default '$acrun --net=default $id'
" >/dev/null 2>&1
"$BIN/acrun" gc --grace=0s >/dev/null
python3 - "$W/times.json" <<'P'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
ms = lambda n: r[n]["mean"] * 1000
for n in ("crun", "acrun-net-none", "acrun-net-default"):
    print("  %-20s %7.1f ms  (min %.1f, max %.1f, sd %.1f)" % (n, ms(n), r[n]["min"] * 1000, r[n]["max"] * 1000, r[n]["stddev"] * 1000))
ratio = ms("acrun-net-none") / ms("crun")
print("  acrun --net=none / crun: %.2fx (target <= 2x): %s" % (ratio, "ok" if ratio <= 2 else "MISSED"))
print("  acrun --net=default: %.1f ms (target < 150 ms): %s" % (ms("acrun-net-default"), "ok" if ms("acrun-net-default") < 150 else "MISSED"))
P
