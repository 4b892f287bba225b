#!/usr/bin/env bash
# Soak check for `dualscope serve` (not in CI): see bench/soak-serve.ts for what runs. Mounts a
# small tmpfs as the data disk (so it can be filled and emptied), runs the soak, unmounts.
#
#   sudo bash bench/soak-serve.sh [SECONDS=180] [DISK_SIZE=64m]
#
# Needs root (mount); run `npm run build` first.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-180}"
size="${2:-64m}"
[[ $(id -u) -eq 0 ]] || { echo "soak-serve: needs root (it mounts a tmpfs as the data disk)" >&2; exit 2; }
[[ -f dist/bench/soak-serve.js ]] || { echo "soak-serve: build first (npm run build)" >&2; exit 2; }
disk="$(mktemp -d /tmp/dualscope-soak-serve.XXXXXX)"
mount -t tmpfs -o "size=$size,mode=0700" tmpfs "$disk"
cleanup() { umount -l "$disk" 2>/dev/null || true; rmdir "$disk" 2>/dev/null || true; }
trap cleanup EXIT
node dist/bench/soak-serve.js "$disk" "$seconds"
