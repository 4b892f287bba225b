#!/usr/bin/env bash
# Rebuilds samples/*.pcap* and samples/expected/*.json with the namespace lab (needs root).
#   bash samples/lab/run-all.sh                 # every scenario
#   bash samples/lab/run-all.sh same-port-drop-aaaa pmtud-v6-blackhole   # just these
# Each scenario runs in its own bash process with an EXIT trap that kills what it started (by pid)
# and deletes its namespaces, so one failure neither leaks state nor stops the others.
set -uo pipefail
LAB_DIR="$(cd "$(dirname "$0")" && pwd)"
[[ $(id -u) -eq 0 ]] || { echo "run-all: needs root (network namespaces)" >&2; exit 2; }
# shellcheck source=lib.sh
source "$LAB_DIR/lib.sh"
lab_require_packages
mkdir -p "$WORK_DIR" "$SAMPLES_DIR/expected"

all=()
for f in "$LAB_DIR"/scenarios/*.sh; do all+=("$(basename "$f" .sh)"); done
want=("$@")
((${#want[@]})) || want=("${all[@]}")

failed=()
for s in "${want[@]}"; do
  [[ -f $LAB_DIR/scenarios/$s.sh ]] || { echo "run-all: no scenario $s (have: ${all[*]})" >&2; failed+=("$s"); continue; }
  echo "=== $s" >&2
  start=$(date +%s)
  if SCENARIO="$s" timeout --foreground -k 5 120 bash "$LAB_DIR/scenarios/$s.sh"; then
    echo "=== $s ok ($(( $(date +%s) - start )) s)" >&2
  else
    echo "=== $s FAILED" >&2
    failed+=("$s")
  fi
done
if ((${#failed[@]})); then echo "run-all: failed: ${failed[*]}" >&2; exit 1; fi
echo "run-all: all ${#want[@]} scenario(s) ok" >&2
