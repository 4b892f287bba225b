#!/usr/bin/env bash
# npm run bench: set up, make sure the comparison tools are there (tshark, editcap, GNU time for
# their peak RSS — installed when root), then run the benchmark and the batch benchmark.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
  need=()
  command -v tshark >/dev/null || need+=(tshark)
  command -v editcap >/dev/null || need+=(wireshark-common)
  [[ -x /usr/bin/time ]] || need+=(time)
  if ((${#need[@]})); then
    echo "bench: apt-get install ${need[*]}" >&2
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null \
      || echo "bench: could not install ${need[*]}; those rows will say 'not run'" >&2
  fi
fi
node dist/bench/bench.js "$@"
# Batch throughput: 1 vs 2 jobs, and --queue with two local workers (bench/batch-bench.ts).
node dist/bench/batch-bench.js
