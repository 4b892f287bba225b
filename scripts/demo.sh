#!/usr/bin/env bash
# Quick start: set up, then analyse a bundled sample capture.
set -euo pipefail
cd "$(dirname "$0")/.."
DUALSCOPE_APT=no bash scripts/setup.sh
sample="${1:-samples/demo.pcapng}"
exec node dist/src/cli/main.js analyze "$sample" --force
