#!/usr/bin/env bash
# Holds `crossdock sync` against `skopeo sync` on the registry lab's workloads, in the same run.
#   npm run bench                      small, large and multiarch, 3 rounds each
#   npm run bench -- large --rounds 2 --large-mib 2048
# Prints bench.sh's per-round lines and one JSON summary line per workload (ratio = crossdock/skopeo).
# Needs ../shared/registry-lab (beside this repository), docker-registry, skopeo, python3.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
LAB=${REGISTRY_LAB:-$ROOT/../shared/registry-lab}
[ -x "$LAB/bench.sh" ] || { echo "bench: no registry lab at $LAB (set REGISTRY_LAB)" >&2; exit 2; }
workloads=()
while [ $# -gt 0 ] && [[ $1 != --* ]]; do workloads+=("$1"); shift; done
[ ${#workloads[@]} -gt 0 ] || workloads=(small large multiarch)
cd "$ROOT"
node infra/bin/crossdock.mjs help >/dev/null # build the bundle outside the timed runs
for w in "${workloads[@]}"; do
  echo "== workload $w"
  "$LAB/bench.sh" --workload "$w" --rounds 3 "$@" -- npm run -s crossdock -- sync --config '{config}'
done
